"""One way to read text for every privacy check: what a reader would see, folded.

Validation (stories, file names, personal numbers), the site's privacy gate and the
redaction of commit subjects all read text through `readings()` (or `mapped()`, the
same steps keeping where each character came from), so a name split or disguised in
one of them is seen the same way by all three:

1. markup stripped: comments and tags (a block tag such as `<td>` or `<p>` leaves a
   `|`, an inline one such as `<i>` or `<span>` nothing, as a browser joins them);
2. HTML entities decoded (named, decimal, hex), and markup they spell stripped again
   (feeds and JSON carry escaped HTML), up to three times (`&amp;#26472;` in a feed);
3. `\\uXXXX` and `\\n`-style escapes decoded (JSON, JavaScript);
4. percent-encoding decoded, as UTF-8 and, in a second reading, as GB18030 (GBK);
5. invisible characters removed (zero-width, soft hyphen, bidi marks, variation
   selectors, tag characters, controls); Markdown's `*`, `_`, `~`, backtick and
   backslash removed; each character NFKC-folded, traditional folded to simplified
   (OpenCC's character table) and lower-cased;
6. whitespace between two CJK characters removed (`杨 长根`, `杨\\n长根`).

A second reading keeps the markup (step 1 skipped), so attribute values (`title=`,
`alt=`, `href=`) and text that looks like a tag after decoding (`&lt;b 杨长根&gt;`)
are read too. Secrets are folded with `fold()`, the same steps, before matching.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote_to_bytes

# Invisible or joining characters a reader does not see: format characters (Cf: soft
# hyphen, zero-width space/joiners, bidi marks and isolates, word joiner, invisible
# operators, BOM, tag characters), C0/C1 controls but for the line breaks, combining
# grapheme joiner, Hangul fillers, variation selectors, Mongolian and Khmer fillers.
_INVISIBLE_RANGES = (
    (0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x34F, 0x34F),
    (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164), (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFFB), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_MARKDOWN = "*_~`\\"  # emphasis, strike-through, code spans and escapes
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")
# Elements a browser shows apart from their neighbours: their tags separate text.
_BLOCK_TAGS = frozenset("""address article aside blockquote body caption dd details dialog div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hr html li link main menu meta nav noscript ol
    option p pre script section select style summary table tbody td template textarea tfoot th thead title tr ul
    loc url urlset lastmod entry item feed channel description summary content""".split())
_ENTITY = re.compile(r"&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,7};?|[A-Za-z][A-Za-z0-9]{1,31};?)")
_U_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4}|\\[nrtbf/\"'])+")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": " ", "f": " ", "/": "/", '"': '"', "'": "'"}
# Percent-escapes, with the single printable bytes between them that GBK uses as trail
# bytes and quote() leaves unescaped (楊長根 is %97%EE%E9L%B8%F9).
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}(?:[\x40-\x7e]?%[0-9A-Fa-f]{2})*[\x40-\x7e]?")
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
BLOCK_MARK = "|"
ENTITY_ROUNDS = 3


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _invisible(code: int) -> bool:
    if any(low <= code <= high for low, high in _INVISIBLE_RANGES):
        return True
    return unicodedata.category(chr(code)) == "Cf"


class _FoldTable(dict):
    """str.translate's table, filled on first sight of each character: what it folds to."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if _invisible(code) or char in _MARKDOWN:
            folded = ""
        else:
            folded = unicodedata.normalize("NFKC", char)
            if len(folded) == 1 and unicodedata.decimal(folded, None) is not None:
                folded = str(unicodedata.decimal(folded))  # ١ and 𝟏 are digits to a reader too
            if any(ord(c) > 0x2E7F for c in folded):
                folded = "".join(_t2s().convert(c) for c in folded)
            folded = folded.lower()
        self[code] = folded
        return folded


_FOLD = _FoldTable()
for _code in range(0x80):
    _FOLD.__missing__(_code)


@dataclass(frozen=True)
class Reading:
    """Normalised text; with `starts`/`ends`, the original span each character came from."""

    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised characters [start, end)."""
        if self.starts is None or self.ends is None or end <= start:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _sub(reading: Reading, pattern: re.Pattern, repl: Callable[[re.Match], str]) -> Reading:
    """pattern.sub(repl) that also carries the origin of every character, when kept."""
    if reading.starts is None or reading.ends is None:
        return Reading(pattern.sub(repl, reading.text))
    text, starts, ends = reading.text, reading.starts, reading.ends
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    for match in pattern.finditer(text):
        begin, finish = match.span()
        out.append(text[last:begin])
        new_starts += starts[last:begin]
        new_ends += ends[last:begin]
        replacement = repl(match)
        if replacement and finish > begin:
            out.append(replacement)
            new_starts += [starts[begin]] * len(replacement)
            new_ends += [ends[finish - 1]] * len(replacement)
        last = finish
    out.append(text[last:])
    new_starts += starts[last:]
    new_ends += ends[last:]
    return Reading("".join(out), new_starts, new_ends)


def _translate(reading: Reading) -> Reading:
    if reading.starts is None or reading.ends is None:
        return Reading(reading.text.translate(_FOLD))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for char, start, end in zip(reading.text, reading.starts, reading.ends):
        folded = _FOLD[ord(char)]
        out.append(folded)
        starts += [start] * len(folded)
        ends += [end] * len(folded)
    return Reading("".join(out), starts, ends)


def _tag(match: re.Match) -> str:
    return BLOCK_MARK if match.group(1).lower() in _BLOCK_TAGS else ""


def _entity(match: re.Match) -> str:
    return html.unescape(match.group())


def _u_escapes(match: re.Match) -> str:
    text, units, i = match.group(), [], 0
    while i < len(text):
        if text[i + 1] == "u":
            units.append(chr(int(text[i + 2:i + 6], 16)))
            i += 6
        else:
            units.append(_SIMPLE_ESCAPES[text[i + 1]])
            i += 2
    return "".join(units).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _percent(encodings: tuple[str, ...]) -> Callable[[re.Match], str]:
    def decode(match: re.Match) -> str:
        data = unquote_to_bytes(match.group())
        for encoding in encodings:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        return data.decode(encodings[-1], "replace")

    return decode


_INVISIBLE_CLASS = "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in _INVISIBLE_RANGES + (
    (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F), (0x180E, 0x180E), (0x200B, 0x200F),
    (0x202A, 0x202E), (0x2060, 0x206F), (0xFEFF, 0xFEFF), (0x110BD, 0x110BD), (0x1BCA0, 0x1BCA3)))
# Text holding none of these reads the same in every reading but for NFKC, 繁→简 and spacing.
# Digits other than ASCII and full-width ones (𝟏, ①, ¹, ١) fold to ASCII digits.
SUSPECT = re.compile(f"[<&%\\\\*_~`{_INVISIBLE_CLASS}\u00b2\u00b3\u00b9\u2070-\u209f\u2460-\u24ff\u2776-\u2793]"
                     "|(?![0-9\uff10-\uff19])\\d")
_AS_UTF8 = _percent(("utf-8", "gb18030"))
_AS_GBK = _percent(("gb18030", "utf-8"))
_MARKUP = re.compile(r"[<&\\%]")


def _read(reading: Reading, strip: bool, percent: Callable[[re.Match], str]) -> Reading:
    if "\\" in reading.text:
        reading = _sub(reading, _U_ESCAPES, _u_escapes)
    text = reading.text
    if strip and "<" in text:
        reading = _sub(_sub(reading, _COMMENT, lambda m: ""), _TAG, _tag)
    for _ in range(ENTITY_ROUNDS):  # a feed's escaped HTML may itself hold entities: &amp;#26472;
        if "&" not in reading.text:
            break
        reading = _sub(reading, _ENTITY, _entity)
        if strip and "<" in reading.text:
            reading = _sub(reading, _TAG, _tag)
    if "%" in reading.text:
        reading = _sub(reading, _PERCENT, percent)
    reading = _translate(reading)
    return _sub(reading, _CJK_GAP, lambda m: "")


def fold(text: str) -> str:
    """A secret (a name, an id) in the normal form readings are matched in."""
    return _read(Reading(text), strip=True, percent=_AS_UTF8).text


def readings(text: str) -> list[str]:
    """Every normalised reading of `text`: markup stripped and kept; percent-decoded as UTF-8 and GB18030."""
    stripped = _read(Reading(text), strip=True, percent=_AS_UTF8).text
    if not _MARKUP.search(text):
        return [stripped]  # no markup, entity, escape or percent sign: both readings agree
    found = [stripped, _read(Reading(text), strip=False, percent=_AS_UTF8).text]
    if _PERCENT.search(text):
        found.append(_read(Reading(text), strip=True, percent=_AS_GBK).text)
        found.append(_read(Reading(text), strip=False, percent=_AS_GBK).text)
    return found


def mapped(text: str) -> list[Reading]:
    """The readings of `text` with each character's original span (slower: for short texts and positions)."""
    origin = Reading(text, list(range(len(text))), list(range(1, len(text) + 1)))
    found = [_read(origin, strip=True, percent=_AS_UTF8)]
    if _MARKUP.search(text):
        found.append(_read(origin, strip=False, percent=_AS_UTF8))
        if _PERCENT.search(text):
            found.append(_read(origin, strip=True, percent=_AS_GBK))
            found.append(_read(origin, strip=False, percent=_AS_GBK))
    return found


def is_cjk(char: str) -> bool:
    """Whether `char` is a CJK ideograph (the characters names are written in)."""
    return bool(re.fullmatch(f"[{_CJK}]", char))
