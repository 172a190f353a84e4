"""`dangjian fmt`: every registry file in the one layout that hand edits, `dangjian new` and the CMS share.

The layout is the one Sveltia CMS writes (it serialises with the `yaml` npm library:
`stringify(value, {indent: 2, indentSeq: true, lineWidth: 0, defaultStringType: 'PLAIN',
singleQuote: true})`, measured on the shipped 0.221.1 bundle), so a file saved through the CMS
without a change comes back byte for byte, and a pull request's diff shows only the real change:

- block lists and block mappings, two spaces a level; a list under a key is indented by two
  (`posts:` / `  - 书记`); an empty list or mapping is `[]` or `{}`;
- a text is plain where YAML reads it back as the same text, else in single quotes (double
  quotes when it holds a `'` and no `"`, or a control character); text of several lines is a
  literal block (`|`, `|-`, `|+`); a plain number, date or `true` is kept exactly as written
  (`92.50` stays `92.50`: the CMS, which reads it as a number, would write `92.5`); a null is `null`;
- keys in the order the CMS writes them: a record's declared fields in declaration order
  (`recordtypes.py`, through the CMS form the same declarations make), then what no form field
  claims — a result's `scores:`, the contents of `extra:`, unknown keys — sorted as the CMS sorts
  them (numbers by value; keys that are whole numbers first);
- no blank lines; comments are kept (the CMS drops them): a comment on a line of its own stays
  before the entry it preceded, an end-of-line comment stays on its entry's line, aligned at
  column 28 as `dangjian new` writes them;
- a Markdown file's front matter is rewritten; its body is kept byte for byte, after one blank line
  and ending in one line break, as the CMS writes it.

Values never change: a file is rewritten only from its own parsed tree, and a file with a problem
its parser reports (a syntax error, a duplicate key, a tag, an invisible character) or with
anchors and aliases is reported and left alone.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from ..cms import fields as form_fields
from ..files import read_regular
from ..load import classify, discover, escaped_invisible
from ..problems import Problem, format_text, sort_problems
from ..recordtypes import RECORD_TYPES
from ..schema import Object
from ..text import decode, normalize_line_ends
from ..validate import NotARegistry
from ..yamlfile import parse_yaml, yaml11_type
from .pending import TextFile, linked_part, write_all
from .yamltext import COMMENT_COLUMN, display_width

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
FIX_HINT = "运行 dangjian fmt"

# --- the tree, with its comments ---------------------------------------------------------------


@dataclass(eq=False)
class Scalar:
    """A key or a scalar value as written: its text (None for a plain null) and its style."""

    value: str  # as read (a plain `~` or `null` too)
    style: str  # "" plain, "'", '"', "|" or ">"
    start: int
    end: int

    @property
    def is_null(self) -> bool:
        """A plain null (empty, `~`, `null`): dangjian's loader reads it as no value."""
        return not self.style and yaml11_type(self.value) == "null"


@dataclass(eq=False)
class Collection:
    """A mapping (entries with keys) or a list (entries without)."""

    is_map: bool
    flow: bool
    start: int
    end: int = -1
    entries: list[Entry] = field(default_factory=list)


Node = Scalar | Collection


@dataclass(eq=False)
class Entry:
    """One `key: value` of a mapping or one item of a list, with the comments that go with it."""

    key: Scalar | None
    value: Node
    start: int
    before: list[str] = field(default_factory=list)  # comments on lines of their own, before the entry
    after: list[str] = field(default_factory=list)  # end-of-line comments on the entry's line


class Unformattable(Exception):
    """A file fmt leaves alone; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class Document:
    """A parsed YAML text: its root node and the comments before its first entry and after its last."""

    root: Node | None
    leading: list[str] = field(default_factory=list)  # the file's opening comments: they stay at the top
    trailing: list[str] = field(default_factory=list)


def _offsets(text: str) -> list[int]:
    starts = [0]
    starts += [m.end() for m in re.finditer("\n", text)]
    return starts


class _Reader:
    """Builds the tree from the parser's events (the values) and the text between them (the comments)."""

    def __init__(self, text: str, file: str, line_offset: int) -> None:
        self.text, self.file, self.line_offset = text, file, line_offset
        self.lines = _offsets(text)
        self.entries: list[Entry] = []
        self.anchors: list[tuple[int, Entry]] = []  # (end offset, entry): what an end-of-line comment follows
        self.spans: list[tuple[int, int]] = []  # every scalar's text: a `#` inside one is not a comment
        self.blocks: list[tuple[Scalar, Entry | None]] = []

    def offset(self, mark: Any) -> int:
        return self.lines[mark.line] + mark.column if mark.line < len(self.lines) else len(self.text)

    def refuse(self, mark: Any, message: str, hint: str) -> Unformattable:
        return Unformattable(Problem(self.file, mark.line + 1 + self.line_offset, mark.column + 1, message, hint))

    def read(self) -> Document:
        root = self.tree()
        doc = Document(root)
        self.attach_comments(doc)
        return doc

    def tree(self) -> Node | None:
        loader = _Loader(self.text)
        root: Node | None = None
        stack: list[tuple[Collection, Entry | None]] = []
        keys: list[Scalar | None] = []  # per open mapping: a key waiting for its value
        try:
            while loader.check_event():
                event = loader.get_event()
                kind = type(event)
                if kind is AliasEvent or getattr(event, "anchor", None):
                    raise self.refuse(
                        event.start_mark,
                        "dangjian fmt 不整理使用锚点（&）或别名（*）的文件",
                        "把别名处写成完整的内容，删除锚点",
                    )
                if kind in (MappingEndEvent, SequenceEndEvent):
                    done, owner = stack.pop()
                    keys.pop()
                    done.end = self.offset(event.end_mark)
                    if done.flow and owner is not None:
                        self.anchors.append((done.end, owner))
                    continue
                if kind is ScalarEvent:
                    node: Node = self.scalar(event)
                elif kind in (MappingStartEvent, SequenceStartEvent):
                    node = Collection(kind is MappingStartEvent, bool(event.flow_style), self.offset(event.start_mark))
                else:
                    continue
                if not stack:
                    root = node
                    entry = None
                elif stack[-1][0].is_map and keys[-1] is None:
                    if not isinstance(node, Scalar):
                        raise self.refuse(event.start_mark, "键必须是简单的文本", "把键写成 `名称: 值` 的形式")
                    keys[-1] = node
                    continue
                else:
                    entry = self.attach(stack[-1][0], keys, node)
                if isinstance(node, Collection):
                    stack.append((node, entry))
                    keys.append(None)
        finally:
            loader.dispose()
        return root

    def scalar(self, event: Any) -> Scalar:
        node = Scalar(event.value, event.style or "", self.offset(event.start_mark), self.offset(event.end_mark))
        self.spans.append((node.start, node.end))
        return node

    def attach(self, parent: Collection, keys: list[Scalar | None], node: Node) -> Entry:
        if parent.is_map:
            key = keys[-1]
            assert key is not None  # the caller has just read it
            keys[-1] = None
            entry = Entry(key, node, key.start)
            self.anchors.append((key.end, entry))
        else:
            entry = Entry(None, node, node.start)
        parent.entries.append(entry)
        self.entries.append(entry)
        if isinstance(node, Scalar):
            self.anchors.append((node.end, entry))
            if node.style in ("|", ">"):
                self.blocks.append((node, entry))
        return entry

    def comments(self) -> Iterator[tuple[int, str, bool]]:
        """(offset, text from `#`, alone on its line) of every comment."""
        spans = sorted(self.spans)
        starts = [s for s, _ in spans]
        skip_to = -1
        for match in re.finditer("#", self.text):
            pos = match.start()
            if pos < skip_to:
                continue
            i = bisect.bisect_right(starts, pos) - 1
            if i >= 0 and spans[i][0] <= pos < spans[i][1]:
                continue
            eol = self.text.find("\n", pos)
            eol = len(self.text) if eol < 0 else eol
            skip_to = eol
            line_start = self.text.rfind("\n", 0, pos) + 1
            yield pos, self.text[pos:eol].rstrip(), not self.text[line_start:pos].strip()

    def header_comments(self) -> Iterator[tuple[int, str, Entry | None]]:
        """Comments on a block scalar's header line (`note: |  # …`), which the scalar's own span covers."""
        for node, entry in self.blocks:
            eol = self.text.find("\n", node.start)
            header = self.text[node.start : len(self.text) if eol < 0 else eol]
            found = re.match(r"[|>][0-9+-]*[ \t]+(#.*)$", header)
            if found:
                yield node.start + found.start(1), found.group(1).rstrip(), entry

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.lines, offset) - 1

    def attach_comments(self, doc: Document) -> None:
        anchors = sorted(self.anchors, key=lambda a: a[0])
        ends = [a[0] for a in anchors]
        entry_starts = [e.start for e in self.entries]
        for _, text, entry in self.header_comments():
            if entry is not None:
                entry.after.append(text)
        for pos, text, alone in self.comments():
            if not alone:
                i = bisect.bisect_right(ends, pos) - 1
                if i >= 0 and self.line_of(ends[i]) == self.line_of(pos):
                    anchors[i][1].after.append(text)
                    continue
            j = bisect.bisect_right(entry_starts, pos)
            if j == 0:
                doc.leading.append(text)
            elif j < len(self.entries):
                self.entries[j].before.append(text)
            else:
                doc.trailing.append(text)
        for entry in self.entries:  # one line, one end-of-line comment: others (a flow written over lines) go above
            entry.before += entry.after[1:]
            del entry.after[1:]


def read_document(text: str, file: str, line_offset: int = 0) -> Document:
    """The tree of a YAML text already free of problems, with its comments attached."""
    return _Reader(text, file, line_offset).read()


# --- key order: the order the CMS writes ------------------------------------------------------

_INDEX_KEY = re.compile(r"^(?:0|[1-9][0-9]{0,9})$")  # a JavaScript object lists these keys first
# The CMS sorts key paths with `Intl.Collator(…, {numeric: true, sensitivity: 'base'})`; for ASCII
# this is ICU's order: spaces, then punctuation in this order, then numbers by value, then letters
# without case. Other characters follow here by code point (the browser's language decides their order
# in the CMS: pinyin in a Chinese browser), a difference only for such keys under `extra:`.
_PUNCTUATION = " \t_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
_COLLATION_TOKEN = re.compile(r"[0-9]+|.", re.DOTALL)


def collation_key(path: str) -> list[tuple[int, Any]]:
    """A sort key for a flattened key path (`scores.haian-gaoxin.jichu`) in the CMS's order."""
    out: list[tuple[int, Any]] = []
    for token in _COLLATION_TOKEN.findall(path):
        if token[0].isdigit() and token.isascii():
            out.append((2, int(token)))
        elif token in _PUNCTUATION:
            out.append((1, _PUNCTUATION.index(token)))
        elif token.isascii() and token.isalpha():
            out.append((3, token.lower()))
        else:
            out.append((4, ord(token)))
    return out


def _key_paths(fields: list[dict], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(key path, widget) in the order the CMS lists a form's fields (Sveltia's `createKeyPathList`)."""
    for spec in fields:
        yield from _field_paths(spec, f"{prefix}{spec['name']}")


_MULTIPLE_WIDGETS = ("file", "image", "relation", "select")


def _field_paths(spec: dict, path: str) -> Iterator[tuple[str, str]]:
    widget = spec.get("widget", "string")
    yield path, widget
    if widget in ("list", "object"):
        is_list = widget == "list"
        if spec.get("fields"):
            for sub in spec["fields"]:
                yield from _field_paths(sub, f"{path}.*.{sub['name']}" if is_list else f"{path}.{sub['name']}")
        elif is_list and spec.get("field"):
            yield from _field_paths(spec["field"], f"{path}.*")
        elif is_list:
            yield f"{path}.*", ""
    elif widget in _MULTIPLE_WIDGETS and spec.get("multiple"):
        yield f"{path}.*", ""


def _leaves(node: Node, path: str) -> Iterator[str]:
    """Flattened key paths in the order the CMS reads them (`flat`'s flatten of the parsed object)."""
    if isinstance(node, Scalar) or not node.entries:
        yield path
        return
    prefix = f"{path}." if path else ""
    if node.is_map:
        for entry in _js_order(node.entries):
            yield from _leaves(entry.value, f"{prefix}{entry.key.value if entry.key else ''}")
    else:
        for index, entry in enumerate(node.entries):
            yield from _leaves(entry.value, f"{prefix}{index}")


def _key_text(entry: Entry) -> str:
    return entry.key.value if entry.key is not None else ""


def _js_order(entries: list[Entry]) -> list[Entry]:
    """A JavaScript object's key order: whole-number keys first, ascending, then the others as written."""
    numeric = sorted((e for e in entries if _INDEX_KEY.match(_key_text(e))), key=lambda e: int(_key_text(e)))
    return numeric + [e for e in entries if not _INDEX_KEY.match(_key_text(e))]


def _ranks(record: Collection, schema: Object) -> dict[str, int]:
    """Each flattened key path's place in the CMS's output (Sveltia's `finalizeContent`)."""
    unclaimed = dict.fromkeys(_leaves(record, ""))
    rank: dict[str, int] = {}

    def claim(paths: Iterable[str]) -> None:
        for path in list(paths):
            rank[path] = len(rank)
            del unclaimed[path]

    for key_path, widget in _key_paths(form_fields(schema)):
        if key_path in unclaimed:
            claim([key_path])
        elif widget == "keyvalue":
            claim([p for p in unclaimed if p.startswith(f"{key_path}.")])
        else:
            pattern = re.compile("^" + re.escape(key_path).replace(r"\*", r"\d+") + "$")
            claim(sorted((p for p in unclaimed if pattern.match(p)), key=collation_key))
    claim(sorted(unclaimed, key=collation_key))
    return rank


def _sort(node: Node, path: str, rank: dict[str, int]) -> int:
    """Put every mapping under `node` in the CMS's key order; the first rank under it."""
    if isinstance(node, Scalar) or not node.entries:
        return rank.get(path, len(rank))
    prefix = f"{path}." if path else ""
    firsts: dict[int, int] = {}
    for index, entry in enumerate(node.entries):
        child = f"{prefix}{_key_text(entry) if node.is_map else index}"
        firsts[id(entry)] = _sort(entry.value, child, rank)
    if node.is_map:
        node.entries.sort(
            key=lambda e: (0, int(_key_text(e)), 0) if _INDEX_KEY.match(_key_text(e)) else (1, 0, firsts[id(e)])
        )
    return min(firsts.values())


def order_records(doc: Document, kind: str) -> None:
    """Sort each record's keys as the CMS writes them (a list file: each item)."""
    record_type = RECORD_TYPES[kind]
    root = doc.root
    if not isinstance(root, Collection):
        return
    records = [e.value for e in root.entries] if record_type.layout == "list" and not root.is_map else [root]
    for record in records:
        if isinstance(record, Collection) and record.is_map:
            _sort(record, "", _ranks(record, record_type.schema))


# --- scalars, as the `yaml` library writes them ------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_PLAIN = re.compile(r"\A[\n\t ,\[\]{}#&*!|>'\"%@`]|\A[?-]\Z|\A[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]\Z")
_DOCUMENT_MARKER = re.compile(r"(?:\A|(?<=[\n\r\u2028\u2029]))(?:%|---|\.\.\.)")  # JavaScript's /^…/m
# The YAML 1.2 core schema's scalars that are not text: the library quotes a text that looks like one.
_CORE_NOT_TEXT = re.compile(
    r"\A(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))?\Z"
)
_YAML11_NOT_TEXT = ("bool", "int", "float", "null")  # what dangjian's loader reads differently when plain
_DOUBLE_QUOTED_MIN_MULTILINE = 40
_BLOCK_END_NEWLINES = re.compile(r"(?:\A|(?<!\n))\n+(?!\n|\Z)")


def scalar_text(node: Scalar, indent: int) -> str:
    """A value as written in the canonical layout; `indent` is the indentation of its own lines."""
    if node.is_null:
        return "null"
    value = node.value
    if node.style == "" and "\n" not in value and not _NOT_PLAIN.search(value):
        return value  # plain as written: a number, a date, `true` or a text stays exactly what it was
    plain_ok = yaml11_type(value) not in _YAML11_NOT_TEXT
    return text_scalar(value, indent, plain_ok=plain_ok)


def key_text(node: Scalar, indent: int) -> str:
    """A key as written in the canonical layout (`indent`: its value's indentation)."""
    value = node.value
    plain_ok = node.style == "" or yaml11_type(value) not in _YAML11_NOT_TEXT
    return text_scalar(value, indent, plain_ok=plain_ok, implicit_key=True)


def text_scalar(value: str, indent: int, *, plain_ok: bool = True, implicit_key: bool = False) -> str:
    """A text the way the `yaml` library writes a string (Sveltia's options); `plain_ok=False` keeps it quoted."""
    pad = " " * indent
    if _CONTROL.search(value):
        return _double(value, pad, implicit_key)
    if implicit_key and "\n" in value:
        return _quoted(value, pad, implicit_key)
    if _NOT_PLAIN.search(value):
        return _quoted(value, pad, implicit_key) if implicit_key or "\n" not in value else _block(value, pad)
    if not implicit_key and "\n" in value:
        return _block(value, pad)
    if implicit_key and indent == 2 and _DOCUMENT_MARKER.search(value):
        return _quoted(value, pad, implicit_key)
    if _CORE_NOT_TEXT.match(value) or not plain_ok:
        return _quoted(value, pad, implicit_key)
    return value


def _quoted(value: str, pad: str, implicit_key: bool) -> str:
    has_double, has_single = '"' in value, "'" in value
    if has_single and not has_double:
        return _double(value, pad, implicit_key)
    return _single(value, pad, implicit_key)


def _single(value: str, pad: str, implicit_key: bool) -> str:
    if (implicit_key and "\n" in value) or re.search(r"[ \t]\n|\n[ \t]", value):
        return _double(value, pad, implicit_key)
    return "'" + re.sub(r"\n+", lambda m: m.group(0) + "\n" + pad, value.replace("'", "''")) + "'"


_SHORT_ESCAPES = {
    "0000": "\\0",
    "0007": "\\a",
    "000b": "\\v",
    "001b": "\\e",
    "0085": "\\N",
    "00a0": "\\_",
    "2028": "\\L",
    "2029": "\\P",
}


def _json(value: str) -> str:
    """JavaScript's JSON.stringify of a string."""
    out = json.dumps(value, ensure_ascii=False)
    return re.sub(r"[\ud800-\udfff]", lambda m: f"\\u{ord(m.group(0)):04x}", out)


def _double(value: str, pad: str, implicit_key: bool) -> str:
    """The library's doubleQuotedString: JSON escapes, YAML's short escapes, long texts broken at `\\n`."""
    js = _json(value)
    out: list[str] = []
    start = 0
    i = 0
    while i < len(js):
        ch = js[i]
        if ch == " " and js[i + 1 : i + 3] == "\\n":
            out.append(js[start:i] + "\\ ")
            i += 1
            start = i
            ch = "\\"
        if ch == "\\":
            follow = js[i + 1 : i + 2]
            if follow == "u":
                out.append(js[start:i])
                code = js[i + 2 : i + 6]
                if code in _SHORT_ESCAPES:
                    out.append(_SHORT_ESCAPES[code])
                elif code.startswith("00"):
                    out.append("\\x" + code[2:])
                else:
                    out.append(js[i : i + 6])
                i += 5
                start = i + 1
            elif follow == "n":
                if implicit_key or js[i + 2 : i + 3] == '"' or len(js) < _DOUBLE_QUOTED_MIN_MULTILINE:
                    i += 1
                else:
                    out.append(js[start:i] + "\n\n")
                    while js[i + 2 : i + 4] == "\\n" and js[i + 4 : i + 5] != '"':
                        out.append("\n")
                        i += 2
                    out.append(pad)
                    if js[i + 2 : i + 3] == " ":
                        out.append("\\")
                    i += 1
                    start = i + 1
            else:
                i += 1
        i += 1
    return "".join(out) + js[start:] if start else js


_JS_SPACE_ONLY = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*")  # JS /^\s*$/


def _block(value: str, pad: str) -> str:
    """The library's blockString with no line width: a literal block scalar."""
    # A block cannot end in whitespace unless its last line has text; a text of whitespace alone (`" \n"`: a block of
    # blank lines, read back as "\n") is double-quoted, as the library does (found by the property in CI; single
    # quotes would fold its line breaks into blank lines).
    if re.search(r"\n[\t ]+\Z", value) or _JS_SPACE_ONLY.fullmatch(value):
        return _double(value, pad, False)
    end_start = len(value)
    while end_start > 0 and value[end_start - 1] in "\n\t ":
        end_start -= 1
    end = value[end_start:]
    newline_at = end.find("\n")
    if newline_at == -1:
        chomp = "-"
    elif value == end or newline_at != len(end) - 1:
        chomp = "+"
    else:
        chomp = ""
    if end:
        value = value[: -len(end)]
        if end.endswith("\n"):
            end = end[:-1]
        end = _BLOCK_END_NEWLINES.sub(lambda m: m.group(0) + pad, end)
    start_with_space = False
    start_end = 0
    start_newline = -1
    while start_end < len(value):
        ch = value[start_end]
        if ch == " ":
            start_with_space = True
        elif ch == "\n":
            start_newline = start_end
        else:
            break
        start_end += 1
    start = value[: start_newline + 1 if start_newline < start_end else start_end]
    if start:
        value = value[len(start) :]
        start = re.sub(r"\n+", lambda m: m.group(0) + pad, start)
    header = ("2" if start_with_space else "") + chomp
    body = re.sub(r"\n+", lambda m: m.group(0) + pad, value)
    return f"|{header}\n{pad}{start}{body}{end}"


# --- the layout ----------------------------------------------------------------------------------


def _with_comments(line: str, comments: list[str]) -> str:
    if not comments:
        return line
    padding = max(COMMENT_COLUMN - display_width(line), 2)
    return f"{line}{' ' * padding}{'  '.join(comments)}"


def _comment_lines(comments: list[str], indent: int) -> list[str]:
    return [" " * indent + c for c in comments]


def _value_lines(head: str, node: Node, indent: int, comments: list[str]) -> list[str]:
    """`head` (`key:` or `-`) with its value; `indent`: the indentation of the value's own lines."""
    if isinstance(node, Scalar):
        text = scalar_text(node, indent)
        lines = f"{head} {text}".split("\n")
        at = len(lines) - 1 if text[:1] in "'\"" else 0  # after a quoted text broken over lines
        lines[at] = _with_comments(lines[at], comments)
        return lines
    if not node.entries:
        return [_with_comments(f"{head} {'{}' if node.is_map else '[]'}", comments)]
    return [_with_comments(head, comments)] + _collection_lines(node, indent)


def _collection_lines(node: Collection, indent: int) -> list[str]:
    """A non-empty block mapping or list whose entries start at column `indent`."""
    pad = " " * indent
    lines: list[str] = []
    for entry in node.entries:
        lines += _comment_lines(entry.before, indent)
        if node.is_map:
            assert entry.key is not None  # entries of a mapping always have one
            head = f"{pad}{key_text(entry.key, indent + 2)}:"
            if isinstance(entry.value, Collection) and entry.value.entries:
                lines.append(_with_comments(head, entry.after))
                lines += _collection_lines(entry.value, indent + 2)
            else:
                lines += _value_lines(head, entry.value, indent + 2, entry.after)
        else:
            lines += _item_lines(entry, indent)
    return lines


def _item_lines(entry: Entry, indent: int) -> list[str]:
    """One list item: `- value`, or a mapping or list whose first line follows the `- `."""
    pad = " " * indent
    value = entry.value
    if not isinstance(value, Collection) or not value.entries:
        return _value_lines(f"{pad}-", value, indent + 2, entry.after)
    first = value.entries[0]
    hoisted = _comment_lines(first.before, indent)  # a comment before the first key goes before the `- `
    first.before = []
    after = entry.after
    if after and first.after:  # the first key's line has its own: one line, one end-of-line comment
        hoisted += _comment_lines(after, indent)
        after = []
    inner = _collection_lines(value, indent + 2)
    inner[0] = _with_comments(f"{pad}- {inner[0][indent + 2 :]}", after)
    return hoisted + inner


def layout(doc: Document) -> str | None:
    """The canonical text of a parsed document; None for a document with no mapping or list to lay out."""
    root = doc.root
    if not isinstance(root, Collection):
        return None
    if root.entries:
        lines = _collection_lines(root, 0)
    else:
        lines = ["{}" if root.is_map else "[]"]
    lines = doc.leading + lines + doc.trailing
    return "\n".join(lines) + "\n"


# --- files ---------------------------------------------------------------------------------------


def canonical_yaml(text: str, kind: str, file: str, line_offset: int = 0) -> str | None:
    """YAML text (its breaks normalised) in the canonical layout; None when it has nothing to lay out.

    Raises Unformattable with the first problem the parser reports."""
    parsed = parse_yaml(text, file, line_offset)
    problems = parsed.problems or list(escaped_invisible(parsed))  # `"\ufeff"` would be written as it is
    if problems:
        raise Unformattable(problems[0])
    doc = read_document(text, file, line_offset)
    order_records(doc, kind)
    return layout(doc)


def canonical_text(text: str, kind: str, file: str) -> str:
    """A registry file's whole text (decoded) in the canonical layout; unchanged when there is nothing to do.

    Line ends become `\n`; NEL and the Unicode line separators stay (the loader reports them as problems, and
    turning them into spaces here would hide that: a front matter holding one is left alone, Unformattable, and a
    body keeps its text byte for byte)."""
    text = normalize_line_ends(text)
    if RECORD_TYPES[kind].layout != "markdown":
        return canonical_yaml(text, kind, file) or text
    if not (text.startswith("---") and text[3:4] == "\n"):
        return text
    end = _FRONT_MATTER_END.search(text, 4)
    if end is None:
        return text
    front = text[4 : end.start()]
    body = text[end.end() + 1 :]
    formatted = canonical_yaml(front, kind, file, line_offset=1) if front.strip() else None
    if formatted is None:
        return text
    # The CMS writes the body after one blank line and ends it with one line break (blank lines around a
    # Markdown text change nothing it shows); the body's own text is kept byte for byte.
    body = body.strip("\n")
    return f"---\n{formatted}---\n" + (f"\n{body}\n" if body else "")


@dataclass
class Outcome:
    """What `dangjian fmt` found: the files whose layout changes (with their new text) and the problems."""

    changed: dict[str, TextFile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0


def format_files(root: Path, rels: Iterable[tuple[str, str]]) -> Outcome:
    """Every (path, kind) in the canonical layout; nothing is written."""
    outcome = Outcome()
    for rel, kind in rels:
        try:
            data = read_regular(root / rel)
        except OSError as err:
            outcome.problems.append(Problem(rel, 1, 1, f"无法读取：{err.strerror or err}", "检查文件的权限"))
            continue
        text, problems = decode(data, rel)
        if text is None:
            outcome.problems.extend(problems)
            continue
        outcome.checked += 1
        try:
            formatted = canonical_text(text, kind, rel)
        except Unformattable as err:
            problem = err.problem
            outcome.problems.append(
                Problem(
                    problem.file,
                    problem.line,
                    problem.column,
                    problem.message,
                    f"{problem.hint}；改正后再运行 dangjian fmt" if problem.hint else "改正后再运行 dangjian fmt",
                    "fmt",
                )
            )
            continue
        if formatted.encode("utf-8") != data:
            outcome.changed[rel] = TextFile(rel, formatted, exists=True)
    return outcome


def registry_files(root: Path, paths: list[Path]) -> tuple[list[tuple[str, str]], list[Problem]]:
    """The registry files named by `paths` (files or folders; all of them when none), with their kinds.

    A path outside the root or through a symbolic link is a problem; discovery never follows links."""
    found, problems = discover(root)
    linked = [p for p in problems if p.code == "symlink"]
    if not paths:
        return [(s.path, s.kind) for s in found], linked
    base = Path(os.path.abspath(root))
    chosen: dict[str, str] = {}
    for given in paths:
        absolute = Path(os.path.abspath(given))
        try:
            rel = absolute.relative_to(base).as_posix()
        except ValueError:
            problems_for = Problem(str(given), 1, 1, "不在登记簿之内，没有整理", "只能整理 --root 下的文件")
            linked.append(problems_for)
            continue
        rel = "" if rel == "." else rel
        link = linked_part(base, rel, with_file=True) if rel else None
        if link is not None:
            linked.append(Problem(rel, 1, 1, f"{link} 是符号链接，没有整理", "把链接换成文件（或文件夹）本身"))
            continue
        inside = [s for s in found if not rel or s.path == rel or s.path.startswith(rel + "/")]
        if not inside and classify(rel) is None:  # an image, mkdocs.yml…: nothing to lay out (validate checks it)
            click.echo(f"{rel}: 提示：不是登记簿的记录文件，跳过", err=True)
        chosen.update((s.path, s.kind) for s in inside)
    return sorted(chosen.items()), linked


def run(root: Path, paths: list[Path], check: bool) -> bool:
    """`dangjian fmt`: lay out the files (or, with `check`, list those that would change); True when all is well."""
    if not (root / "registry").is_dir():
        raise NotARegistry(f"{root} 下没有 registry/ 文件夹：用 --root 指向登记簿的根目录")
    rels, problems = registry_files(root, paths)
    outcome = format_files(root, rels)
    problems += outcome.problems
    if problems:
        click.echo(format_text(sort_problems(problems)))
    changed = sorted(outcome.changed)
    if check:
        for rel in changed:
            line = first_difference(root, outcome.changed[rel])
            click.echo(f"{rel}:{line}:1: 排版不是统一格式（从这一行起不同） — {FIX_HINT} {rel}")
        if changed:
            click.echo(f"✗ {len(changed)} 个文件需要整理格式 — 运行 dangjian fmt 后提交", err=True)
        elif not problems:
            click.echo(f"✓ {outcome.checked} 个文件的格式都已统一", err=True)
        return not changed and not problems
    written = write_all(root, outcome.changed)
    for rel in written:
        click.echo(rel)
    click.echo(f"✓ 已整理 {len(written)} 个文件（共检查 {outcome.checked} 个），只改排版，内容不变", err=True)
    return not problems


def first_difference(root: Path, file: TextFile) -> int:
    """The first line (1-based) where the file on disk and its canonical text differ."""
    old = (root / file.path).read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    old_lines, new_lines = old.split("\n"), file.text.split("\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines))
