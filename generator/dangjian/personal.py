"""Personal identifiers that must never enter the registry: national ID and mobile numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .problems import Problem
from .text import line_col
from .yamlfile import Path, YamlDoc

# A separator run between the digits of a number: spaces (not line breaks), dots, dashes
# of every width, slashes, underscores, middle dots and their full-width forms.
_SEP = (
    "[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000.\\-/\\\\_\u00b7\u2010-\u2015\u2022\u2027\u2212"
    "\u30fb\ufe58\ufe63\uff0d\uff0e\uff0f\uff3f\uff65\u3002]"
)
_DIGIT = "[0-9\uff10-\uff19]"
# A run of at least 11 digits joined by short separator runs, maximal on the left (no
# digit before it); an ID's check character may end it. Letters may come before it
# (`ID110101…`, `tel13812345678`).
# (The look-behind comes after the first digit so that the regex engine skips to digits.)
_NUMBER_RUN = re.compile(f"{_DIGIT}(?<![0-9\uff10-\uff19]{_DIGIT})(?:{_SEP}{{0,3}}{_DIGIT}){{10,}}[XxＸｘ]?")
_GROUP = re.compile("[0-9\uff10-\uff19]+[XxＸｘ]?")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]")
_MOBILE_SHAPE = re.compile(r"(?:0086|86)?(1[3-9][0-9]{9})")
_NOT_DIGIT = re.compile(r"[^0-9Xx]")
_CANDIDATE_AT = re.compile(
    r"(?=1[3-9][0-9]{9}|[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])"
)
MAX_MOBILE_GROUPS = 4  # 139 1234 5678 is 3; more small groups look like a table of numbers
MAX_ID_GROUPS = 6  # an ID's check character makes a false alarm rare anyway

NUMBER_NAMES = {"id": "身份证号码", "mobile": "手机号码"}  # what each kind is called in messages

# A hex digest spelled in the letters a-p: for a name dangjian makes of a digest and publishes (a file, an id), which
# then holds no digit for the privacy gate to read, with the digits beside it, as a number (`lettered`).
_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
ID_HINT = "登记簿不能保存身份证号码（无论仓库是否公开）：删除它"
MOBILE_HINT = "登记簿不能保存手机号码（无论仓库是否公开）：删除它"


def id_check_digit_ok(number: str) -> bool:
    """True when an 18-character national ID number has a valid GB 11643 check digit."""
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _WEIGHTS))
    return _CHECK_CHARS[total % 11] == number[17].upper()


def _groups(run: re.Match) -> list[tuple[str, int, int]]:
    """The digit groups of a number run: (ASCII digits, start, end) in the text."""
    offset = run.start()
    return [
        (g.group().translate(_FULL_WIDTH), offset + g.start(), offset + g.end()) for g in _GROUP.finditer(run.group())
    ]


_DOTS = ".．。"


def _separators_ok(text: str, groups: list[tuple[str, int, int]], first: int, last: int) -> bool:
    """Whether groups first..last read as one number: not a list of decimals (`13.255 6.75488`,
    SVG path data, scores: a dot beside another kind of separator) nor of sentences or cells
    (`17. 26. 31`, as Pagefind joins a page's blocks: a dot and a space in one run)."""
    seps = [text[groups[i][2] : groups[i + 1][1]] for i in range(first, last)]
    if any(any(d in sep for d in _DOTS) and sep.strip() != sep for sep in seps):
        return False
    kinds = {sep.strip() or " " for sep in seps}
    return not (len(kinds) > 1 and any(any(d in k for d in _DOTS) for k in kinds))


def _in_a_token(text: str, start: int, end: int) -> bool:
    """Whether the number is part of a longer token: letters after it (`…377fc`), or letters
    before it that follow digits (`qx39f1444…`, a hash). Plain letters may lead: `ID110…`, `tel138…`."""
    if end < len(text) and text[end].isascii() and text[end].isalpha():
        return True
    i = start
    while i > 0 and text[i - 1].isascii() and text[i - 1].isalpha():
        i -= 1
    return i < start and i > 0 and text[i - 1].isascii() and text[i - 1].isdigit()


def _identifier_at(text: str, groups: list[tuple[str, int, int]], first: int) -> tuple[str, int, int] | None:
    """The identifier made of whole groups from `first` on, if any: (kind, start, end)."""
    digits = ""
    for last in range(first, min(first + MAX_ID_GROUPS, len(groups))):
        digits += groups[last][0]
        count = last - first + 1
        if count > 1 and len(digits) in (11, 13, 15, 18) and not _separators_ok(text, groups, first, last):
            continue
        if len(digits) == 18 and _ID_SHAPE.fullmatch(digits) and id_check_digit_ok(digits):
            if not _in_a_token(text, groups[first][1], groups[last][2]):
                return "id", groups[first][1], groups[last][2]
        mobile = _MOBILE_SHAPE.fullmatch(digits)
        if mobile and count <= MAX_MOBILE_GROUPS and "X" not in digits.upper():
            skipped = len(digits) - 11  # a country code written without a separator
            if not _in_a_token(text, groups[first][1], groups[last][2]):
                return "mobile", groups[first][1] + (skipped if count == 1 else 0), groups[last][2]
        if len(digits) > 22:
            return None
    return None


def _matches(text: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of each ID or mobile number in `text`, separators and all."""
    for run in _NUMBER_RUN.finditer(text):
        digits = _NOT_DIGIT.sub("", run.group().translate(_FULL_WIDTH))
        # Where an identifier could start in the digits, ignoring where the groups break
        # (a superset): most runs (scores, SVG path data) have none.
        starts = {m.start() for m in _CANDIDATE_AT.finditer(digits)}
        if not starts:
            continue
        groups = _groups(run)
        offsets, total = [], 0
        for group in groups:
            offsets.append(total)
            total += len(group[0])
        first = 0
        while first < len(groups):
            if not starts.intersection(range(offsets[first], offsets[first] + 5)):
                first += 1  # no candidate starts here (a country code may come first)
                continue
            found = _identifier_at(text, groups, first)
            if found is None:
                first += 1
                continue
            yield found
            first = next((i for i, g in enumerate(groups) if g[1] >= found[2]), len(groups))


def _readings_matches(text: str) -> Iterator[tuple[str, int, int]]:
    """Identifiers hidden by markup, entities, escapes or invisible characters, at their original spans."""
    from .normalise import mapped, readings, suspect

    if not suspect(text) or not any(_has_match(reading) for reading in readings(text)):
        return
    for reading in mapped(text):  # slower: only to find where in the text a hidden number is
        for kind, start, end in _matches(reading.text):
            begin, finish = reading.span(start, end)
            yield kind, begin, finish


def _has_match(text: str) -> bool:
    return next(_matches(text), None) is not None


def all_matches(text: str, escapes: bool = True) -> list[tuple[str, int, int]]:
    """Identifiers in `text` as written and in every normalised reading, without repeats.

    With `escapes` false, a number found only by decoding backslash escapes is left out
    (in YAML, `scan_escaped_values` reports those at their value).
    """
    found = {(start, kind): (kind, start, end) for kind, start, end in _matches(text)}
    for kind, start, end in _readings_matches(text):
        if not escapes and "\\" in text[start:end]:
            continue
        if not any(s <= start < e for _, s, e in found.values()):
            found.setdefault((start, kind), (kind, start, end))
    return sorted(found.values(), key=lambda m: m[1])


def find_identifiers(text: str) -> Iterator[tuple[int, str]]:
    """(offset, "id" | "mobile") of each personal identifier in `text`, however it is split or disguised."""
    for kind, start, _ in all_matches(text):
        yield start, kind


def in_reading(text: str) -> list[str]:
    """The kinds of identifier in an already normalised reading (the privacy gate's fast path)."""
    return [kind for kind, _, _ in _matches(text)]


# In the bytes of a binary file, digits and separators meet by chance (a search index's
# numbers, font tables): there a number counts only written whole or in the usual
# groups with one separator, and standing apart from letters and digits.
_BINARY_MOBILE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?1[3-9][0-9](?P<s>[ .-]?)[0-9]{4}(?P=s)[0-9]{4}(?![0-9A-Za-z])"
)
_BINARY_ID = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})(?P<s>[ .-]?)([0-9]{8})(?P=s)([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")


def in_binary_reading(text: str) -> list[str]:
    """The kinds of identifier in a reading of a binary file's bytes (stricter: see above)."""
    kinds = [
        "id"
        for m in _BINARY_ID.finditer(text)
        if _ID_SHAPE.fullmatch(m[1] + m[3] + m[4]) and id_check_digit_ok(m[1] + m[3] + m[4])
    ]
    return kinds + ["mobile" for _ in _BINARY_MOBILE.finditer(text)]


def _problem(file: str, line: int, column: int, kind: str) -> Problem:
    # The number itself is never echoed: CI logs and annotations may be public.
    hint = ID_HINT if kind == "id" else MOBILE_HINT
    return Problem(file, line, column, f"这里像是{NUMBER_NAMES[kind]}", hint, "personal-" + kind)


# A line break between digits, with at most two spaces or tabs on either side: inside a Markdown
# paragraph (a story, a multi-line summary) it is shown as a space, so 139, 1234 and 5678 on three lines are read on
# the page as 139 1234 5678. Replaced by as many spaces, offsets stay those of the file.
_SOFT_BREAK = re.compile(r"(?<=\d)[ \t]{0,2}\n[ \t]{0,2}(?=\d)")
_BREAK_DIGIT = re.compile(r"\n[ \t]{0,2}\d")  # its second half: a line break leads, which the engine finds at once


def _soft_break_in(text: str) -> bool:
    """`_SOFT_BREAK.search(text)`, a sixth of the time: each line break with a digit after it (at most two spaces or
    tabs between), then a look back for one before it (the pattern's look-behind, tried at every character)."""
    for match in _BREAK_DIGIT.finditer(text):
        at = match.start()
        for back in range(3):
            if back and (at - back < 0 or text[at - back] not in " \t"):
                break
            if at - back - 1 >= 0 and text[at - back - 1].isdecimal():  # `\d`: Unicode's Nd, as `isdecimal`
                return True
    return False


# Digits written as Chinese numerals (一三九…, 幺 as read aloud, 壹贰叁 as on cheques): only in runs of
# eleven or more, mixed with digits or not, which ordinary text never has (二〇一九年, 一五一十).
_NUMERAL_DIGITS = str.maketrans("〇零一二三四五六七八九幺壹贰貳叁參肆伍陆陸柒捌玖", "001234567891122334566789")
_NUMERAL_RUN = re.compile("[0-9〇零一二三四五六七八九幺壹贰貳叁參肆伍陆陸柒捌玖]{11,}")


def lettered(hexdigest: str) -> str:
    """`hexdigest` in the letters a-p. A digest's digits are read with what stands beside them as any other text is:
    a search-index file named `b17949608192.gz`, a photo's `…8192-1280.jpg` (its width joined on by the dash) read
    as mobile numbers, and the build stopped by its own privacy gate."""
    return hexdigest.translate(_LETTERS)


def scan_text(text: str, file: str) -> Iterator[Problem]:
    """Identifiers anywhere in a file's text: values, keys, comments, Markdown bodies (wrapped lines
    joined, Chinese numerals read as digits)."""
    escapes = not file.endswith(".yaml")
    found = {offset: kind for kind, offset, _ in all_matches(text, escapes=escapes)}
    if "\n" in text and _soft_break_in(text):
        joined = _SOFT_BREAK.sub(lambda match: " " * len(match.group()), text)
        for kind, offset, _ in all_matches(joined, escapes=escapes):
            found.setdefault(offset, kind)
    if not text.isascii() and _NUMERAL_RUN.search(text):
        as_digits = _NUMERAL_RUN.sub(lambda match: match.group().translate(_NUMERAL_DIGITS), text)
        for kind, offset, _ in all_matches(as_digits, escapes=escapes):
            found.setdefault(offset, kind)
    for offset, kind in sorted(found.items()):
        line, column = line_col(text, offset)
        yield _problem(file, line, column, kind)


def scan_escaped_values(doc: YamlDoc, text: str) -> Iterator[Problem]:
    """Identifiers hidden from the text scan by escapes in double-quoted YAML strings."""
    if "\\" not in text or doc.value is None:
        return
    seen_lines = {line_col(text, offset)[0] for _, offset, _ in all_matches(text, escapes=False)}
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
    spans = sorted((start, end) for _, start, end in all_matches(text))
    for start, end in reversed(spans):
        text = text[:start] + "*" * (end - start) + text[end:]
    return text


def redact_problem(problem: Problem) -> Problem:
    """The problem with any identifier in its message or hint masked (CI logs may be public)."""
    message, hint = redact(problem.message), redact(problem.hint)
    if (message, hint) == (problem.message, problem.hint):
        return problem
    return Problem(problem.file, problem.line, problem.column, message, hint, problem.code)
