"""YAML text for editors' commands: render records, append to list files, replace single items.

Existing text is never re-dumped: appending keeps every byte of the file and adds the
new items at its end; replacing an item rewrites only that item's lines.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from ..yamlfile import YamlDoc, parse_yaml
from .pending import Refusal, TextFile

_NO_FOLDING = 1 << 30
_ITEM_PREFIX = re.compile(r"^( *)- *$")
COMMENT_COLUMN = 28


def field_line(key: str, value: Any) -> str:
    """`key: value`, quoted where YAML would misread it; lists and small mappings in flow style (`[a, b]`).

    A mapping holding lists or mappings (only ever under `extra:`) is written in block style over several lines.
    """
    if _flat(value):
        return f"{_flow([key])[1:-1]}: {_flow(value)}"
    return yaml.safe_dump(
        {key: value}, allow_unicode=True, sort_keys=False, default_flow_style=False, width=_NO_FOLDING
    ).rstrip("\n")


def _flat(value: Any) -> bool:
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list)) for v in value.values())
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    return True


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=True, width=_NO_FOLDING)
    return text.removesuffix("\n").removesuffix("\n...")


def record_lines(data: dict[str, Any]) -> list[str]:
    """The lines of one record (a mapping), one field after another."""
    return [line for key, value in data.items() for line in field_line(key, value).split("\n")]


def display_width(text: str) -> int:
    """Columns `text` takes in a monospaced editor (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def with_comment(line: str, comment: str, column: int = COMMENT_COLUMN) -> str:
    """`line` followed by `# comment`, aligned at `column` when the line is short enough."""
    if not comment:
        return line
    padding = max(column - display_width(line), 2)
    return f"{line}{' ' * padding}# {comment}"


def as_list_item(lines: list[str], indent: int = 0) -> list[str]:
    """The lines of one mapping turned into one item of a block list (`- ` before the first line)."""
    pad = " " * indent
    return [f"{pad}{'- ' if i == 0 else '  '}{line}" if line else "" for i, line in enumerate(lines)]


def list_doc(file: TextFile) -> YamlDoc:
    """The parsed list file; refuses files that are not a block list dangjian can edit line by line."""
    doc = parse_yaml(file.text, file.path)
    if doc.value is None:
        return doc
    if not isinstance(doc.value, list):
        raise Refusal(f"{file.path} 不是列表（每一项以 `- ` 开头），无法在末尾添加 — 先修正这个文件")
    if any(p.code == "syntax" for p in doc.problems):
        raise Refusal(f"{file.path} 有 YAML 格式错误，无法安全地修改 — 先运行 dangjian validate 修正")
    return doc


def item_starts(file: TextFile, doc: YamlDoc) -> list[int] | None:
    """0-based line of each top-level item's `- `, or None when items are not one block item per line."""
    lines = file.text.split("\n")
    starts: list[int] = []
    for index in range(len(doc.value or [])):
        line, column = doc.marks.get((index,), (0, 0))
        prefix = lines[line - 1][: column - 1] if 0 < line <= len(lines) else ""
        if not _ITEM_PREFIX.match(prefix) or (starts and line - 1 <= starts[-1]):
            return None
        starts.append(line - 1)
    return starts


def item_indent(file: TextFile, doc: YamlDoc) -> int:
    """Columns before the `-` of the file's items (0 for a new or empty file)."""
    starts = item_starts(file, doc) if doc.value else None
    if not starts:
        return 0
    return len(file.text.split("\n")[starts[0]]) - len(file.text.split("\n")[starts[0]].lstrip(" "))


def append_text(file: TextFile, snippet: str) -> str:
    """The file's text with `snippet` (lines ending in `\\n`) added at the end, every existing byte kept."""
    text = file.text
    if text and not text.endswith(("\n", "\r")):
        text += file.newline
    return text + snippet.replace("\n", file.newline)


def replace_items(file: TextFile, doc: YamlDoc, replacements: dict[int, str]) -> str | None:
    """The file's text with items (by index) replaced by new text; None when the layout does not allow it.

    An item spans from its `- ` line to the next item's, less trailing blank and comment lines,
    which stay where they are.
    """
    starts = item_starts(file, doc)
    if starts is None:
        return None
    lines = file.text.split("\n")
    ends = starts[1:] + [len(lines)]
    out: list[str] = []
    cursor = 0
    for index in sorted(replacements):
        start, end = starts[index], ends[index]
        while end > start + 1 and _is_blank_or_comment(lines[end - 1]):
            end -= 1
        out += lines[cursor:start]
        out += [
            line.rstrip("\r") + ("\r" if file.newline == "\r\n" else "")
            for line in replacements[index].rstrip("\n").split("\n")
        ]
        cursor = end
    out += lines[cursor:]
    return "\n".join(out)


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
