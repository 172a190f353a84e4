"""Bytes to text: the encoding rule and the invisible-character rule, shared by YAML and Markdown files."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from .problems import Problem

RESAVE_HINT = "请用 UTF-8 编码重新保存这个文件（例如记事本：另存为 → 编码选 UTF-8）"

# C0 and C1 controls except tab, newline and carriage return; DEL; bidi embeddings,
# overrides and isolates; directional marks; a BOM anywhere but the start.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
# Line breaks to YAML but not to most editors: reported above, then read as spaces so
# that every position counts lines by "\n" alone.
_HIDDEN_BREAKS = str.maketrans({"\x85": " ", "\u2028": " ", "\u2029": " "})
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_INVISIBLE_REPORTS = 20


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in `text`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def normalize_line_ends(text: str) -> str:
    """`\r\n` and a lone `\r` become `\n`."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def normalize_breaks(text: str) -> str:
    """`\r\n` and a lone `\r` become `\n`; NEL and the Unicode line separators become spaces."""
    text = normalize_line_ends(text)
    if "\x85" in text or "\u2028" in text or "\u2029" in text:  # rare; translate walks every character
        text = text.translate(_HIDDEN_BREAKS)
    return text


def decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (a leading BOM is dropped); anything else is a problem telling to re-save."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, [Problem(file, 1, 1, "文件是 UTF-16 编码，不是 UTF-8", RESAVE_HINT, "encoding")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        try:
            data.decode("gb18030")
            message = "文件不是 UTF-8 编码（看起来是 GBK/GB2312，Windows 中文版的常见编码）"
        except UnicodeDecodeError:
            message = "文件不是有效的 UTF-8 文本"
        return None, [Problem(file, line, column, message, RESAVE_HINT, "encoding")]


def invisible_characters(text: str, file: str) -> Iterator[Problem]:
    """Control characters and bidi overrides: they hide or reorder what a reviewer sees."""
    for count, match in enumerate(INVISIBLE.finditer(text)):
        if count == MAX_INVISIBLE_REPORTS:
            line, column = line_col(text, match.start())
            yield Problem(
                file,
                line,
                column,
                "从这里起还有更多不可见字符，未逐个列出",
                "用编辑器的“显示不可见字符”功能找到并删除它们",
                "invisible-char",
            )
            return
        char = match.group()
        line, column = line_col(text, match.start())
        kind = "双向文字控制字符" if char in _BIDI else ("行分隔符" if char in "\u2028\u2029" else "控制字符")
        yield Problem(
            file,
            line,
            column,
            f"不允许的{kind} U+{ord(char):04X}",
            "删除这个看不见的字符：它会让审阅者看到的文字与实际内容不同",
            "invisible-char",
        )


# YAML's escapes in double-quoted scalars (YAML 1.1 and 1.2 alike), and the characters they make.
_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_ESCAPED = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}  # fmt: skip


def escaped_characters(written: str) -> Iterator[str]:
    """The characters escapes make in a double-quoted scalar as written (`"东村\\u202e"` makes U+202E), in
    order; `\\\\` and the escapes of printable characters make nothing worth reporting and are skipped."""
    for match in _ESCAPE.finditer(written):
        escape = match.group()[1:]
        if escape[0] in "xuU" and len(escape) > 1:
            if int(escape[1:], 16) <= 0x10FFFF:  # a parser refuses more
                yield chr(int(escape[1:], 16))
        elif escape in _ESCAPED:
            yield _ESCAPED[escape]


_TAB_INDENT = re.compile(r"^[ ]*\t", re.MULTILINE)


def tab_indents(text: str, file: str) -> Iterator[Problem]:
    """Tabs in a line's indentation, which YAML forbids."""
    for match in _TAB_INDENT.finditer(text):
        line, column = line_col(text, match.end() - 1)
        yield Problem(file, line, column, "缩进里有制表符（Tab）", "YAML 只能用空格缩进：把 Tab 换成空格", "tab")
