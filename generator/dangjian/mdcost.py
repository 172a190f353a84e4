"""How long Python-Markdown would take over a text, estimated before it is rendered.

Python-Markdown's inline patterns look, for each `[` (a link or image) and each `<` (an
autolink or a tag), for what closes it, scanning on to the end of the paragraph when nothing
does. Unmatched openers therefore cost time quadratic in their number: 50,000 `[` in one
paragraph (a 50 KB story) kept a build busy for many minutes, 4,000 took 3 s. Matched ones
are cheap (8,000 links render in 0.2 s). The estimate adds, for every opener, the characters
the renderer scans to find its closer (to the end of its paragraph when there is none); a
text over the budget is a problem at validation, so nothing is rendered.
"""

from __future__ import annotations

import re

# About 2.5-4e-7 s per scanned character for `[` (4,000 `[ x `: 3.2e7, 7.6 s), a quarter of that
# for `<` (8,000 `<a `: 9.6e7 characters, 5.5 s): the budget keeps the worst text near 1.5 s.
BUDGET = 4_000_000
_ANGLE_WEIGHT = 0.25
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_MARKS = re.compile(r"(?<!\\)[\[\]<>]")


def slow_offset(text: str) -> int | None:
    """The offset of the paragraph where the text goes over the budget, or None when it renders fast."""
    if "[" not in text and "<" not in text:
        return None
    cost = 0.0
    start = 0
    for gap in [*_PARAGRAPH.finditer(text), None]:
        end = gap.start() if gap else len(text)
        cost += _paragraph_cost(text, start, end)
        if cost > BUDGET:
            return start
        start = gap.end() if gap else end
    return None


def _paragraph_cost(text: str, start: int, end: int) -> float:
    brackets: list[int] = []  # open `[`, innermost last: a `]` closes the innermost
    angles: list[int] = []  # open `<`: the next `>` closes all of them
    cost = 0.0
    for match in _MARKS.finditer(text, start, end):
        mark, at = match.group(), match.start()
        if mark == "[":
            brackets.append(at)
        elif mark == "]":
            if brackets:
                cost += at - brackets.pop()
        elif mark == "<":
            angles.append(at)
        elif angles:
            cost += _ANGLE_WEIGHT * sum(at - opened for opened in angles)
            angles.clear()
    cost += sum(end - opened for opened in brackets)
    cost += _ANGLE_WEIGHT * sum(end - opened for opened in angles)
    return cost


MESSAGE = "这段 Markdown 里没有配对的 `[` 或 `<` 太多，生成网页会非常慢"
HINT = "删除多余的 `[` 和 `<`，或在它们前面加 `\\` 写成 `\\[`、`\\<`"
