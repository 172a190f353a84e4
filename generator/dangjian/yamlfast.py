"""A fast path for plain YAML files: yaml-rs parses, PyYAML stays the reference.

The reference loader (`yamlfile.parse_yaml`) builds values from PyYAML's event stream
with every position: exact, but about 25 µs a value in Python. Most registry files
are plain block YAML (keys, `- ` items, one-line quoted or plain scalars), and for
those yaml-rs (a Rust parser) gives the same tree about ten times faster. The fast
path only answers when it can prove its answer is the reference's answer; otherwise
it returns None and the caller takes the reference path. The proof:

1. a byte-level router turns away anything outside that plain subset: tags,
   anchors, aliases, flow mappings, flow sequences but a key's one-line list of
   scalars, block scalars, escapes, tabs, directives, document markers, complex
   keys, merge keys, multi-line scalars (every line must be a key, an item, a
   comment or blank), and the slips of a Chinese keyboard the reference words
   (`yamlfile.KEYBOARD_SLIP`: a key's full-width colon, full-width indentation);
2. yaml-rs must parse the text without error (duplicate keys are errors);
3. yaml-rs reads YAML 1.2, the reference keeps text and notes what YAML 1.1 would
   make of a plain scalar. So a string YAML 1.1 would read as a boolean or number
   (`yes`, `1_000`, `12:30`) is turned away, since yaml-rs cannot say whether it was
   quoted; and each number or boolean yaml-rs made must match, in document order,
   the next plain number-or-boolean token of the text, whose exact text is kept
   (`92.50` stays `92.50`). A null, a non-text key or a mismatch turns the file away.

Positions are not computed: the document is born compact, and the first problem that
asks for a position makes the reference loader read this one file again.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .text import INVISIBLE
from .yamlfile import FLAGGED, KEYBOARD_SLIP, MAX_DEPTH, Path, YamlDoc, parse_yaml, yaml11_type

try:
    import yaml_rs
except ImportError:  # pragma: no cover - yaml-rs is a dependency; PyYAML alone gives the same results
    yaml_rs = None  # type: ignore[assignment]  # the module or None, tested before each use


# Anything outside the plain subset, anywhere in the file (false alarms only cost speed).
# Invisible characters and odd line breaks are text.INVISIBLE, checked beside this.
_SUSPECT = re.compile(r"[!&*\\{}|>%@`\t\r]")
_SUSPECT_LINE = re.compile(r"(?:^|\n)(?:---|\.\.\.|[ -]*\?)")  # document markers, complex keys

_PLAIN_START = r"""(?:[^\s\-?:,\[\]{}#&*!|>'"%@`]|[-?:](?=[^\s,\[\]{}]))"""
_PLAIN_REST = r"(?:[^:#\n]|:(?=[^\s]))*?"
_SCALAR = rf"""(?:"[^"\\\n]*"|'(?:[^'\n]|'')*'|{_PLAIN_START}{_PLAIN_REST})"""
_KEY = rf"""(?:"[^"\\\n]*"|'(?:[^'\n]|'')*'|{_PLAIN_START}[^:#\n]*?)"""
_COMMENT = r"(?:(?:^|(?<= ))#.*)?"
# A one-line flow sequence of scalars as a key's value: `posts: [书记, "委员"]`. Its plain
# items hold no `:` or `#` (where flow and block rules differ); a number in it makes the
# walk below run out of number tokens, so such a file is turned away.
_FLOW_PLAIN = r"""[^\s\-?:,\[\]{}#&*!|>'"%@`][^,\[\]{}#:\n]*?"""
_FLOW_ITEM = rf"""(?:"[^"\\\n]*"|'(?:[^'\n]|'')*'|{_FLOW_PLAIN})"""
_FLOW = rf"\[[ ]*(?:{_FLOW_ITEM}[ ]*(?:,[ ]*{_FLOW_ITEM}[ ]*)*)?\]"
_LINE = rf"[ ]*(?:(?:- +)*{_KEY}:(?:[ ]+(?:{_FLOW}|{_SCALAR}))?|(?:- +)+{_SCALAR})?[ ]*{_COMMENT}"
_GOOD_LINE = re.compile(_LINE)
_GOOD_LINES: set[str] = set()  # lines found good: a registry repeats most of its lines many times
_GOOD_LINES_KEPT = 50_000


def _has_bad_line(text: str) -> bool:
    """Whether a line of `text` is outside the plain subset (each distinct line is checked once)."""
    lines = set(text.split("\n"))
    lines -= _GOOD_LINES
    for line in lines:
        if _GOOD_LINE.fullmatch(line) is None:
            return True
    if len(_GOOD_LINES) > _GOOD_LINES_KEPT:
        _GOOD_LINES.clear()
    _GOOD_LINES.update(lines)
    return False


# Plain values YAML 1.2's core schema reads as numbers or booleans, in document order.
_TOKEN = re.compile(
    r"[:-] +("
    r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|true|True|TRUE|false|False|FALSE"
    r")[ ]*(?: #.*)?$",
    re.MULTILINE,
)
# First characters of the plain scalars YAML 1.1 may read as booleans or numbers.
_FLAG_FIRST = frozenset("yYnNtTfFoO-+.0123456789")
_MAX_TOKEN = 40
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_BOOLEAN = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def enabled() -> bool:
    """Whether the fast path runs: yaml-rs is installed and DANGJIAN_PARSER does not say `pyyaml`."""
    return yaml_rs is not None and os.environ.get("DANGJIAN_PARSER", "").lower() != "pyyaml"


class _Decline(Exception):
    """The fast path cannot prove its answer; the reference loader takes the file."""


def read_yaml(text: str, file: str, line_offset: int = 0) -> YamlDoc:
    """`parse_yaml(text, file, line_offset)`, through the fast path when it can answer."""
    if enabled():
        doc = parse(text, file, line_offset)
        if doc is not None:
            return doc
    return parse_yaml(text, file, line_offset)


def parse(text: str, file: str, line_offset: int = 0) -> YamlDoc | None:
    """The reference loader's document for `text` (without positions), or None to take the reference path."""
    if (
        _SUSPECT.search(text)
        or INVISIBLE.search(text)
        or "<<" in text
        or (("---" in text or "..." in text or "?" in text) and _SUSPECT_LINE.search(text))
        or _has_bad_line(text)
        or (("：" in text or "\u3000" in text) and KEYBOARD_SLIP.search(text))
    ):  # full-width slips: the reference words them
        return None
    try:
        value = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - any complaint of yaml-rs sends the file to the reference loader
        return None
    if not isinstance(value, (dict, list)) or not value:
        return None
    doc = YamlDoc(file)
    try:
        doc.value = _Walk(_TOKEN.findall(text), doc.implicit).tree(value)
    except _Decline:
        return None
    doc.source, doc._positioned = (text, line_offset), False
    return doc


class _Walk:
    """Rebuilds yaml-rs's tree as the reference's: text scalars, YAML 1.1 notes on plain ones."""

    def __init__(self, tokens: list[str], implicit: dict[Path, str]) -> None:
        self.tokens = tokens
        self.next_token = 0
        self.implicit = implicit

    def tree(self, root: Any) -> Any:
        result = self.value(root, (), 0)
        if self.next_token != len(self.tokens):
            raise _Decline  # a number-like token yaml-rs read as text: a case this path does not prove
        return result

    def value(self, value: Any, path: Path, depth: int) -> Any:
        """`value` with every number and boolean replaced by its text, in place."""
        kind = type(value)
        if kind is str:
            if value[:1] in _FLAG_FIRST and yaml11_type(value) in FLAGGED:
                raise _Decline  # quoted or plain? yaml-rs cannot tell, and it matters
            return value
        if depth >= MAX_DEPTH:
            raise _Decline
        if kind is dict:
            for key, item in value.items():
                if type(key) is not str or (key[:1] in _FLAG_FIRST and yaml11_type(key) in FLAGGED):
                    raise _Decline
                if type(item) is not str or item[:1] in _FLAG_FIRST:
                    value[key] = self.value(item, path + (key,), depth + 1)
            return value
        if kind is list:
            for index, item in enumerate(value):
                if type(item) is not str or item[:1] in _FLAG_FIRST:
                    value[index] = self.value(item, path + (index,), depth + 1)
            return value
        return self.scalar(value, path)

    def scalar(self, value: Any, path: Path) -> str:
        if self.next_token >= len(self.tokens):
            raise _Decline
        token = self.tokens[self.next_token]
        self.next_token += 1
        kind = type(value)
        if kind is bool:
            if _BOOLEAN.get(token) is not value:
                raise _Decline
        elif kind is int or kind is float:
            if len(token) > _MAX_TOKEN or not _DECIMAL.fullmatch(token) or ("." in token) is (kind is int):
                raise _Decline  # long numbers, and forms whose text needs care, go the reference way
            if (int if kind is int else float)(token) != value:
                raise _Decline
        else:  # None and anything else: the reference path words these problems
            raise _Decline
        flagged = yaml11_type(token)
        if flagged in FLAGGED:
            self.implicit[path] = flagged
        return token
