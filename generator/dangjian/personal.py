"""Personal identifiers that must never enter the registry: national ID and mobile numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .problems import Problem
from .text import line_col
from .yamlfile import Path, YamlDoc

# Full-width digits and letters map one-to-one onto ASCII, so offsets stay valid.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ＋", "0123456789XxX+")
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

ID_HINT = "登记簿不能保存身份证号码（无论仓库是否公开）：删除它"
MOBILE_HINT = "登记簿不能保存手机号码（无论仓库是否公开）：删除它"


def id_check_digit_ok(number: str) -> bool:
    """True when an 18-character national ID number has a valid GB 11643 check digit."""
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _WEIGHTS))
    return _CHECK_CHARS[total % 11] == number[17].upper()


_DIGIT_RUN = re.compile(r"[0-9０-９]{3}[- ]?[0-9０-９]{4}")  # the least any identifier holds in a row
_FULL_WIDTH_CHAR = re.compile(r"[０-９Ｘｘ＋]")


def _matches(text: str) -> Iterator[tuple[str, re.Match]]:
    if not _DIGIT_RUN.search(text):
        return
    folded = text.translate(_FULL_WIDTH) if _FULL_WIDTH_CHAR.search(text) else text
    for match in _ID_NUMBER.finditer(folded):
        if id_check_digit_ok(match.group()):
            yield "id", match
    for match in _MOBILE.finditer(folded):
        yield "mobile", match


def find_identifiers(text: str) -> Iterator[tuple[int, str]]:
    """(offset, "id" | "mobile") of each personal identifier in `text`."""
    for kind, match in _matches(text):
        yield match.start(), kind


def _problem(file: str, line: int, column: int, kind: str) -> Problem:
    # The number itself is never echoed: CI logs and annotations may be public.
    if kind == "id":
        return Problem(file, line, column, "这里像是身份证号码", ID_HINT, "personal-id")
    return Problem(file, line, column, "这里像是手机号码", MOBILE_HINT, "personal-mobile")


def scan_text(text: str, file: str) -> Iterator[Problem]:
    """Identifiers anywhere in a file's text: values, keys, comments, Markdown bodies."""
    for offset, kind in find_identifiers(text):
        line, column = line_col(text, offset)
        yield _problem(file, line, column, kind)


def scan_escaped_values(doc: YamlDoc, text: str) -> Iterator[Problem]:
    """Identifiers hidden from the text scan by escapes in double-quoted YAML strings."""
    if "\\" not in text or doc.value is None:
        return
    seen_lines = {line_col(text, offset)[0] for offset, _ in find_identifiers(text)}
    stack: list[tuple[Path, Any]] = [((), doc.value)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((path + (k,), v) for k, v in value.items())
            stack.extend((path + (k,), k) for k in value)
        elif isinstance(value, list):
            stack.extend((path + (i,), v) for i, v in enumerate(value))
        elif isinstance(value, str):
            for _, kind in find_identifiers(value):
                line, column = doc.pos(path)
                if line not in seen_lines:
                    yield _problem(doc.file, line, column, kind)


def redact(text: str) -> str:
    """`text` with every personal identifier masked, for messages that quote a value."""
    spans = sorted(match.span() for _, match in _matches(text))
    for start, end in reversed(spans):
        text = text[:start] + "*" * (end - start) + text[end:]
    return text


def redact_problem(problem: Problem) -> Problem:
    """The problem with any identifier in its message or hint masked (CI logs may be public)."""
    message, hint = redact(problem.message), redact(problem.hint)
    if (message, hint) == (problem.message, problem.hint):
        return problem
    return Problem(problem.file, problem.line, problem.column, message, hint, problem.code)
