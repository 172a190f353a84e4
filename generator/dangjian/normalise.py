"""One way to read text for every privacy check: what a reader would see, folded.

Validation (stories, file names, personal numbers), the site's privacy gate and the
redaction of commit subjects all read text through `readings()` (or `mapped()`, the
same steps keeping where each character came from), so a name split or disguised in
one of them is seen the same way by all three:

1. `\\uXXXX` and `\\n`-style escapes decoded (JSON, JavaScript), so that escaped markup
   is markup to the next steps;
2. markup stripped: comments and tags (a block tag such as `<td>` or `<p>` leaves a
   `|`, an inline one such as `<i>` or `<span>` nothing, as a browser joins them);
3. HTML entities decoded (named, decimal, hex), and markup they spell stripped again
   (feeds and JSON carry escaped HTML), up to three times (`&amp;#26472;` in a feed);
4. percent-encoding decoded, as UTF-8 and, in another reading, as GB18030 (GBK); a run
   mixing both is read piecewise;
5. invisible characters removed (zero-width, soft hyphen, bidi marks, variation
   selectors, tag characters, controls); Markdown's `*`, `_`, `~`, backtick and
   backslash removed; each character NFKC-folded (digits of every script to ASCII),
   traditional folded to simplified (OpenCC's character table) and lower-cased;
6. whitespace between two CJK characters removed (`杨 长根`, `杨\\n长根`).

A second reading keeps the markup (step 2 skipped), so attribute values (`title=`,
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
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    import opencc

    from .cache import Sealed


# Invisible or joining characters a reader does not see: format characters (Cf: soft
# hyphen, zero-width space/joiners, bidi marks and isolates, word joiner, invisible
# operators, BOM, tag characters), C0/C1 controls but for the line breaks, combining
# grapheme joiner, Hangul fillers, variation selectors, Mongolian and Khmer fillers.
_INVISIBLE_RANGES = (
    (0x00, 0x08),
    (0x0B, 0x0C),
    (0x0E, 0x1F),
    (0x7F, 0x9F),
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_MARKDOWN = "*_~`\\"  # emphasis, strike-through, code spans and escapes
# The CJK ideographs, the characters names are written in, as the body of a character class (written once:
# tests/test_defined_once.py): unified (A, base), compatibility, and the supplementary planes (B and on).
# The ranges in the Basic Multilingual Plane: a pattern that JavaScript also reads (the CMS's forms, the editors'
# JSON Schemas) cannot hold the supplementary planes' ranges without the `u` flag.
HAN_UNIFIED_BMP = "\u3400-\u4dbf\u4e00-\u9fff"  # unified ideographs only: NFKC leaves them as they are
HAN_RANGES_BMP = HAN_UNIFIED_BMP + "\uf900-\ufaff"
HAN_RANGES = HAN_RANGES_BMP + "\U00020000-\U0003134f"
HAN = re.compile(f"[{HAN_RANGES}]")

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")
# Elements a browser shows apart from their neighbours: their tags separate text.
_BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption dd details dialog div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hr html li link main menu meta nav noscript ol
    option p pre script section select style summary table tbody td template textarea tfoot th thead title tr ul
    loc url urlset lastmod entry item feed channel description summary content""".split()
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,7};?|[A-Za-z][A-Za-z0-9]{1,31};?)")
_U_ESCAPES = re.compile(
    r"\\(?:u[0-9a-fA-F]{4}|[nrtbf/\"'])(?:\\(?:u[0-9a-fA-F]{4}|[nrtbf/\"']))*"
)  # starts with `\`: fast to find
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": " ", "f": " ", "/": "/", '"': '"', "'": "'"}
# Percent-escapes, with the single printable bytes between them that GBK uses as trail
# bytes and quote() leaves unescaped (楊長根 is %97%EE%E9L%B8%F9).
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}(?:[\x40-\x7e]?%[0-9A-Fa-f]{2})*[\x40-\x7e]?")
_CJK_GAP_ONLY = re.compile(
    "(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])[\\s\u00b7\u2022\u2027\u30fb]+(?=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])"
)
# Starts with a class of BMP characters (a bitmap to the regex engine, unlike a look-behind).
# Middle dots count as a gap: Chinese writes a name in parts with them (阿依古丽·买买提), and
# 李·小·花 reads as 李小花 (names are folded the same way, so a dotted name still matches).
_CJK_GAP = re.compile(
    "([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])[\\s\u00b7\u2022\u2027\u30fb]+(?=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])"
)
BLOCK_MARK = "|"
ENTITY_ROUNDS = 3


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    import opencc

    return opencc.OpenCC("t2s")


_INVISIBLE_CHAR = re.compile("[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in _INVISIBLE_RANGES) + "]")


# Characters looked up for folding: the BMP, math and enclosed alphanumerics, CJK
# compatibility ideographs, tag characters. Others are left as they are.
_FOLD_RANGES = (
    (0, 0xFFFF),
    (0x1D100, 0x1D7FF),
    (0x1F100, 0x1F2FF),
    (0x2F800, 0x2FA1F),
    (0xE0000, 0xE0FFF),
    (0x110BD, 0x110BD),
    (0x1BCA0, 0x1BCA3),
)
_UNIFIED = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))  # NFKC leaves these alone: only 繁→简 applies


def _nfkc_char(char: str) -> str:
    if char in _MARKDOWN or _INVISIBLE_CHAR.match(char) or unicodedata.category(char) == "Cf":
        return ""
    if char.isascii() or unicodedata.is_normalized("NFKC", char):
        return char if unicodedata.decimal(char, None) is None or char.isascii() else str(unicodedata.decimal(char))
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) == 1 and unicodedata.decimal(folded, None) is not None:
        folded = str(unicodedata.decimal(folded))  # ١ and 𝟏 are digits to a reader too
    return folded


@lru_cache(maxsize=1)
def _fold_table() -> tuple[dict[str, str], tuple[str, str], dict[int, str]]:
    """Every character that folds to something else → what it folds to, the classes of two patterns finding them
    (the BMP's and the others', compiled by `_fold_patterns` when first used), and the table by code point
    (`str.translate`).

    Made once a process (`_made_fold_table`, 0.17 s), or read from the cache folder where an earlier run kept it
    (cache part `fold/`, under `fold_key`: about 0.02 s). A build that folds only names and their positions
    (`_translate`, `private.fold_name`) never compiles the patterns (0.02–0.05 s)."""
    from .cache import cache_dir  # the cache imports the loader, which imports this module

    folder, name = cache_dir(), f"{fold_key()}.table"
    kept = fold_cache().read(folder, name)
    if isinstance(kept, tuple) and len(kept) == 3:
        table, bmp, astral = kept
    else:
        table, bmp, astral = _made_fold_table()
        fold_cache().write(folder, name, (table, bmp, astral))
    return table, (bmp, astral), {ord(c): folded for c, folded in table.items()}


def _fold_patterns() -> tuple[re.Pattern, re.Pattern]:
    """The fold table's two patterns (the BMP's characters that fold, and the others'), compiled once."""
    return _compiled_classes(*_fold_table()[1])


@lru_cache(maxsize=1)
def _compiled_classes(bmp: str, astral: str) -> tuple[re.Pattern, re.Pattern]:
    return re.compile(f"[{bmp}]"), re.compile(f"[{astral}]")


def fold_key() -> str:
    """What the fold table is made of: this module's code, OpenCC as installed (its 繁→简 tables) and Python (its
    Unicode data)."""
    import sys

    from .provenance import made_by

    python = f"{sys.version}\0{unicodedata.unidata_version}".encode()
    return made_by(("normalise.py",), ("opencc", "opencc-python-reimplemented"), extra=python)


def fold_cache() -> Sealed:
    """The cache part `fold/`: this module's table and the search's (`search.fold_table`). Made when first used: the
    cache imports the loader, which imports this module."""
    from .cache import Sealed

    return Sealed("fold", b"dangjian-fold 1", 8 << 20)


def _made_fold_table() -> tuple[dict[str, str], str, str]:
    """The fold table and its two patterns' classes, made: NFKC, 繁→简 by OpenCC's table one character at a time
    (converted in one call, one character a line), lower case, and invisible characters and Markdown marks to
    nothing."""
    unified = {code for low, high in _UNIFIED for code in range(low, high + 1)}
    chars = [
        chr(code)
        for low, high in _FOLD_RANGES
        for code in range(low, high + 1)
        if not 0xD800 <= code <= 0xDFFF and code not in unified
    ]
    table = {}
    for char in chars:
        folded = _nfkc_char(char).lower()
        if folded != char:
            table[char] = folded
    # 繁→简 one character at a time, in one call: a character a line.
    han = [chr(code) for code in sorted(unified)] + [c for c in table.values() if len(c) == 1 and ord(c) >= 0x3400]
    for char, simple in zip(han, _t2s().convert("\n".join(han)).split("\n")):
        if simple != char:
            table[char] = simple
    for char, folded in list(table.items()):
        table[char] = table.get(folded, folded) if len(folded) == 1 else folded
    ranges: list[list[int]] = []
    codes = sorted(ord(c) for c in table)
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    # ASCII is folded apart (see _fold_chars): the BMP class starts at U+0080.
    bmp = "".join(
        f"\\u{max(low, 0x80):04x}-\\u{min(high, 0xFFFF):04x}" for low, high in ranges if high >= 0x80 and low <= 0xFFFF
    )
    astral = "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges if low > 0xFFFF)
    # Two patterns: the regex engine makes a bitmap of a class only when it lies in the BMP.
    return table, bmp, astral


_ASCII_FOLD = {code: _nfkc_char(chr(code)).lower() for code in range(0x80)}
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_ASCII_DROP = re.compile("[" + re.escape("".join(chr(c) for c, f in _ASCII_FOLD.items() if not f)) + "]")


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


def _sub(reading: Reading, pattern: re.Pattern, repl: Callable[[re.Match], str] | str) -> Reading:
    """pattern.sub(repl) that also carries the origin of every character, when kept."""
    if reading.starts is None or reading.ends is None:
        return Reading(pattern.sub(repl, reading.text))
    if isinstance(repl, str):
        repl = (lambda constant: lambda m: constant)(repl)
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


def _fold_chars(text: str, dense: bool = False) -> str:
    """Each character folded: for most text, only the few that change are looked up;
    for `dense` text (binary read as CJK), every character is."""
    if text.isascii():
        return text.translate(_ASCII_FOLD)  # CPython's fast path for ASCII
    table, _, by_code = _fold_table()
    if dense:
        return text.translate(by_code)
    bmp, astral = _fold_patterns()
    # ASCII apart (marks and controls dropped in one pass, then lower()), so that only the
    # few non-ASCII characters that change cost a lookup.
    text = bmp.sub(lambda m: table[m.group()], _ASCII_DROP.sub("", text))
    if _ASTRAL.search(text):
        text = astral.sub(lambda m: table[m.group()], text)
    return text.lower()


def _translate(reading: Reading, dense: bool = False) -> Reading:
    """Each character folded (NFKC, 繁→简, lower case; invisible characters and Markdown marks dropped)."""
    if reading.starts is None or reading.ends is None:
        return Reading(_fold_chars(reading.text, dense))
    table = _fold_table()[0]
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for char, start, end in zip(reading.text, reading.starts, reading.ends):
        folded = table.get(char, char)
        out.append(folded)
        starts += [start] * len(folded)
        ends += [end] * len(folded)
    return Reading("".join(out), starts, ends)


def _tag(match: re.Match) -> str:
    return BLOCK_MARK if match.group(1).lower() in _BLOCK_TAGS else ""


def _strip_tags(reading: Reading) -> Reading:
    return _sub(reading, _TAG, _tag)


def _entity(match: re.Match) -> str:
    return html.unescape(match.group())


def _u_escapes(match: re.Match) -> str:
    text, units, i = match.group(), [], 0
    while i < len(text):
        if text[i + 1] == "u":
            units.append(chr(int(text[i + 2 : i + 6], 16)))
            i += 6
        else:
            units.append(_SIMPLE_ESCAPES[text[i + 1]])
            i += 2
    return "".join(units).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _decode_mixed(data: bytes, first: str, second: str) -> str:
    """Bytes as `first`, each stretch that is not read as `second` (a run may mix UTF-8 and GBK)."""
    out, at = [], 0
    while at < len(data):
        try:
            out.append(data[at:].decode(first))
            break
        except UnicodeDecodeError as err:
            out.append(data[at : at + err.start].decode(first))
            at += err.start
        for size in (2, 4, 1):  # a GB18030 character is 1, 2 or 4 bytes; UTF-8 1 to 4
            try:
                out.append(data[at : at + size].decode(second))
                at += size
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\ufffd")
            at += 1
    return "".join(out)


def _percent(first: str, second: str) -> Callable[[re.Match], str]:
    def decode(match: re.Match) -> str:
        return _decode_mixed(unquote_to_bytes(match.group()), first, second)

    return decode


_INVISIBLE_CLASS = "".join(
    f"\\U{low:08x}-\\U{high:08x}"
    for low, high in _INVISIBLE_RANGES
    + (
        (0x600, 0x605),
        (0x61C, 0x61C),
        (0x6DD, 0x6DD),
        (0x70F, 0x70F),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0xFEFF, 0xFEFF),
        (0x110BD, 0x110BD),
        (0x1BCA0, 0x1BCA3),
    )
)
# Text holding none of these reads the same in every reading but for NFKC, 繁→简 and spacing (`suspect`).
# Digits other than ASCII and full-width ones (𝟏, ①, ¹, ١) fold to ASCII digits.
_SUSPECT_SIGNS = re.compile(f"[<&%\\\\*_~`{_INVISIBLE_CLASS}\u00b2\u00b3\u00b9\u2070-\u209f\u2460-\u24ff\u2776-\u2793]")
_OTHER_DIGITS = re.compile("[^\\D0-9\uff10-\uff19]")  # a decimal digit (`\d`: Unicode's Nd) of another script


def suspect(text: str) -> bool:
    """Whether `text` holds a character some reading changes beyond NFKC, 繁→简 and spacing: markup, an entity, an
    escape, an invisible character, a digit of another script. Two searches of one class each: one pattern with both
    (a look-ahead at every character) took four times as long, 0.2 ms a roster file."""
    return _SUSPECT_SIGNS.search(text) is not None or (not text.isascii() and _OTHER_DIGITS.search(text) is not None)


_AS_UTF8 = _percent("utf-8", "gb18030")
_AS_GBK = _percent("gb18030", "utf-8")


def _markup(reading: Reading, strip: bool) -> Reading:
    """Steps 2 and 3: tags stripped (if `strip`), entities decoded."""
    if strip and "<" in reading.text:
        reading = _strip_tags(_sub(reading, _COMMENT, ""))
    for _ in range(ENTITY_ROUNDS):  # a feed's escaped HTML may itself hold entities: &amp;#26472;
        if "&" not in reading.text:
            break
        reading = _sub(reading, _ENTITY, _entity)
        if strip and "<" in reading.text:
            reading = _strip_tags(reading)
    return reading


def _finish(reading: Reading, dense: bool = False) -> Reading:
    """Steps 5 and 6: characters folded, whitespace between CJK characters removed."""
    reading = _translate(reading, dense)
    if reading.text.isascii():
        return reading
    if reading.starts is not None:  # the same result, the spaces alone replaced: spans stay exact
        return _sub(reading, _CJK_GAP_ONLY, "")
    return _sub(reading, _CJK_GAP, _keep_first)


def _keep_first(match: re.Match) -> str:
    return match.group(1)


_HIGH_PERCENT = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")


def _readings(origin: Reading, every: bool = True, dense: bool = False, strip: bool = True) -> list[Reading]:
    """The readings of `origin`: the first has markup stripped (unless not `strip`) and percent-encoding read as
    UTF-8."""
    base = _sub(origin, _U_ESCAPES, _u_escapes) if "\\" in origin.text else origin
    shapes = [_markup(base, strip=strip)]
    if every and strip and ("<" in base.text or "&" in base.text):
        kept = _markup(base, strip=False)
        if kept.text != shapes[0].text:  # no tag was stripped (`a < b` in a script): one reading
            shapes.append(kept)
    gbk = every and _HIGH_PERCENT.search(base.text) is not None
    found = []
    for shape in shapes:
        if "%" not in shape.text:
            found.append(_finish(shape, dense))
            continue
        found.append(_finish(_sub(shape, _PERCENT, _AS_UTF8), dense))
        if gbk:
            found.append(_finish(_sub(shape, _PERCENT, _AS_GBK), dense))
    return found


# --- cutting a long text into pieces read alone (the privacy gate's memo of pieces) ---------------------------------
#
# A page is mostly its theme: the same header, nav and footer on every page. The gate reads each
# distinct piece once when every step of a reading can be shown to stay within a piece:
# - escapes are decoded first, over the whole text; a text still holding `\` after that is not cut;
# - percent-escapes (runs of `%XX` and printable bytes, `|` among them) are not cut: a text holding one is not cut;
# - an entity is decoded in place; one that decodes to `<`, `>` or `&` could make markup or another entity
#   across a cut in a later round: a text holding one is not cut;
# - a cut falls just before a block tag that the first round strips (so the stripped reading has a `|`
#   there and the kept one a `<`: neither continues a name, an id, a number or a gap between CJK
#   characters), never inside a comment, and after a line break and indentation (whitespace ends a token
#   and a number, and keeps cuts where templates put them, the same on every page);
# - a tag never holds a `<`, so one that starts before a cut ends before it in the first round; in a later
#   round (after entities are decoded) a `<` left over could reach past a cut, or a piece without `&`
#   could stop its rounds early: so a piece counts only when its stripped reading is `sealed` (no `<`
#   there could ever open a tag).
# Then each reading of the text is the pieces' readings end to end, and what is found in no piece is
# found nowhere (tests/test_cold_gate.py checks it against whole readings on generated pages).

# `\n  <div …>` and `\n  </li>`: before the `<` of a block tag at a line's start, the tag as `_TAG` matches
# it (its name is followed by a space, `/` or `>`, so it is the whole name `_TAG` reads).
_CUT = re.compile(
    "\n[ \t]*(?=</?(?:" + "|".join(sorted(_BLOCK_TAGS, key=len, reverse=True)) + ")(?=[\\s/>])(?:\\s[^<>]*)?/?>)"
)
_ANY_PERCENT = re.compile("%[0-9A-Fa-f]{2}")
_OPENING = re.compile("<(?:[A-Za-z/&]|\\Z)")  # a `<` that a later round could read as a tag's start


def pieces(text: str) -> tuple[str, list[int]] | None:
    """`text` with its escapes decoded, and the offsets where it may be cut so that each reading of it is the
    readings of its pieces end to end (see above); None when it may not be cut."""
    base = _U_ESCAPES.sub(_u_escapes, text) if "\\" in text else text
    if "\\" in base or _ANY_PERCENT.search(base):
        return None
    if "&" in base:
        for entity in set(_ENTITY.findall(base)):
            decoded = html.unescape(entity)
            if decoded != entity and any(c in decoded for c in "<>&"):
                return None
    cuts = [match.end() for match in _CUT.finditer(base)]
    if "<!--" in base:
        comments = [m.span() for m in _COMMENT.finditer(base)]
        cuts = [at for at in cuts if not any(start <= at < end for start, end in comments)]
    return base, cuts


def sealed(stripped: str) -> bool:
    """Whether a piece's stripped reading (the first of `readings`) holds no `<` that a later round of
    entity decoding could turn into a tag's start, up to its end (where the next piece begins)."""
    return "<" not in stripped or _OPENING.search(stripped) is None


def fold(text: str) -> str:
    """A secret (a name, an id) in the normal form readings are matched in."""
    return _readings(Reading(text), every=False)[0].text


def readings(text: str, dense: bool = False, markup: bool = True) -> list[str]:
    """Every normalised reading of `text`: markup stripped and kept; percent-decoded as UTF-8 and GB18030.

    `dense`: most characters are CJK (binary read as GB18030 or UTF-16); same result, other method.
    `markup` false: bytes of a binary file, where `<` and `>` fall at random: only the reading that keeps them.
    """
    return [reading.text for reading in _readings(Reading(text), dense=dense, strip=markup)]


def mapped(text: str) -> list[Reading]:
    """The readings of `text` with each character's original span (slower: for short texts and positions)."""
    return _readings(Reading(text, list(range(len(text))), list(range(1, len(text) + 1))))


def is_cjk(char: str) -> bool:
    """Whether `char` is a CJK ideograph (the characters names are written in)."""
    return bool(HAN.fullmatch(char))
