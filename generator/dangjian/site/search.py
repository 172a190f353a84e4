"""Search: Pagefind's extended build over the written pages, with one segmentation both sides agree on.

Pagefind segments Chinese twice, differently: at indexing with jieba (charabia), in the
browser with `Intl.Segmenter` (ICU). A query word matches an indexed word it is a prefix of,
so whenever ICU cuts a name where jieba did not (`党|支部` against `党支部`), the page is not
found (Pagefind issues #1237 and #591). The one unit both segmenters keep whole is a single
character. So each page body is rendered with a hidden copy of its text, folded to simplified
characters and written one token per character (Latin letters and digits stay whole words);
`index()` moves every copy out of its page into a page of its own in a separate tree, which
is all Pagefind reads (readers never download the copies), and `search.js` writes a query the
same way. The copy's title is weighted above its body, so a record's own page outranks a
page that mentions it. The browser folds 繁體 queries to simplified (assets/dangjian/t2s.js).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from markupsafe import escape


# The bundles the search box merges, beside the site's pagefind/ folder (`dangjian merge`
# rewrites it to list every shard). A site built alone lists its own bundle.
CONFIG = "dangjian-search.json"

# The hidden copy in a rendered page body, which index() moves to the tree Pagefind reads.
COPY_ATTR = "data-dj-index"
# The index holds tokens cut here and in search.js, so Pagefind must not segment or stem them
# again: "und" (no language) is a language it neither segments nor stems, and it is faster
# and leaner than "zh" (jieba on every one-character token). The browser still asks for the
# page's language (zh-Hans) and, finding no such index, takes the only one there is.
INDEX_LANGUAGE = "und"
TITLE_WEIGHT = 10  # Pagefind's maximum: a record's title outweighs any passing mention
SUBTITLE_WEIGHT = 3  # the parent's name in the title of a page under it ("X · 活动")
SUB_PAGE = " · "  # how a page under a record is titled: "上余村党支部 · 活动"


def config(bundles: list[dict[str, str]]) -> str:
    """dangjian-search.json listing `bundles` ({name, title, site, bundle}, relative to the file)."""
    return json.dumps({"version": 1, "bundles": bundles}, ensure_ascii=False, indent=1) + "\n"


def own_config() -> str:
    """dangjian-search.json for a site searched alone."""
    return config([{"name": "", "title": "", "site": "./", "bundle": "pagefind/"}])


class SearchError(Exception):
    """Pagefind failed."""


# Han characters: the blocks of the Basic Multilingual Plane and the supplementary ideographic
# planes (Extensions B to H, compatibility supplement), as (first, last) code points.
HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))
HAN = "".join(f"{chr(low)}-{chr(high)}" for low, high in HAN_RANGES)


@lru_cache(maxsize=1)
def fold_table() -> dict[str, str]:
    """Every Han character OpenCC's t2s changes, to its simplified form, one character to one.

    Folding is applied alike to the page copy (here) and to the query (t2s.js, generated from
    this table by scripts/make_t2s.py), character by character: OpenCC's phrase conversions
    would read a simplified page and a query differently (乾隆 stays, 乾 alone becomes 干).
    """
    import opencc

    converter = opencc.OpenCC("t2s")
    table = {}
    for low, high in HAN_RANGES:
        for code in range(low, high + 1):
            char = chr(code)
            simple = converter.convert(char)
            if simple != char and len(simple) == 1:
                table[char] = simple
    return table


def fold(text: str) -> str:
    """`text` with each traditional character replaced by its simplified form."""
    table = fold_table()
    return "".join(table.get(char, char) for char in text)


# A token: one Han character, a run of other letters and digits, or one other visible character
# (punctuation stays in the copy so excerpts read as text; Pagefind indexes it as nothing).
_TOKEN = re.compile(rf"[{HAN}]|(?:(?![{HAN}])[^\W_])+|[^\s\w]|_")
_TITLE = re.compile(r'\A\s*<h1 id="dj-title">(.*?)</h1>', re.S)
_BLOCK = re.compile(
    r"</?(?:p|div|li|ul|ol|tr|td|th|table|thead|tbody|h[1-6]|section|article|header|footer|"
    r"details|summary|dl|dt|dd|figure|figcaption|blockquote|pre|nav|aside|br)\b[^>]*>",
    re.I,
)
_TAGS = re.compile(r"<[^>]*>")
# Elements whose text is not the page's text: Pagefind itself drops these (its REMOVE_SELECTORS).
_DROPPED = re.compile(
    r"<(script|style|template|svg|noscript|iframe|form|nav|footer|label)\b[^>]*>.*?</\1\s*>", re.S | re.I
)


def tokens(text: str) -> list[str]:
    """`text` folded to simplified characters and cut into the tokens of the index copy."""
    return _TOKEN.findall(fold(text))


def query_tokens(text: str) -> list[str]:
    """The tokens of `text` that search matches (letters and digits, lower case), as search.js
    cuts a query."""
    return [token for token in _TOKEN.findall(fold(text).lower()) if token[0].isalnum()]


def _fnv(text: str, basis: int) -> str:
    value = basis
    for char in text:
        value = ((value ^ ord(char)) * 16777619) & 0xFFFFFFFF
    return f"{value:08x}"


_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def title_key(title: str) -> str:
    """One index word standing for a whole title: a query whose tokens are exactly the
    title's finds its page by this word (search.js computes it the same way), so a record
    typed in full comes first. Lower-case Latin letters only (the hash's hex digits as a-p):
    nothing segments, folds or splits it (Pagefind cuts words where letters meet digits)."""
    text = " ".join(query_tokens(title))
    return f"qx{_fnv(text, 0x811C9DC5)}{_fnv(text, 0x050C5D1F)}".translate(_LETTERS)


def _line(text: str) -> str:
    return " ".join(tokens(text))


def _title_copy(title: str) -> str:
    """The title's tokens, weighted: on a page under a record, its parent's name weighs less."""
    parent, sep, own = title.rpartition(SUB_PAGE)
    if not sep:
        return f'<p data-pagefind-weight="{TITLE_WEIGHT}">{escape(_line(title))}</p>'
    return (
        f'<p data-pagefind-weight="{SUBTITLE_WEIGHT}">{escape(_line(parent))}</p>'
        f'<p data-pagefind-weight="{TITLE_WEIGHT}">{escape(_line(own))}</p>'
    )


def simplified_copy(content_html: str) -> str:
    """The hidden copy of a page body that search indexes: its text in simplified characters,
    one token per character, the title (the body's leading `h1`) weighted and kept whole as
    the result's title."""
    match = _TITLE.match(content_html)
    title = html.unescape(_TAGS.sub("", match.group(1))).strip() if match else ""
    rest = _DROPPED.sub(" ", content_html[match.end() :] if match else content_html)
    blocks = (_line(html.unescape(_TAGS.sub("", part))) for part in _BLOCK.split(rest))
    body = "".join(f"<p>{escape(line)}</p>" for line in blocks if line)
    meta = f' data-pagefind-meta="title:{escape(title)}"' if title else ""
    head = _title_copy(title) if title else ""
    key = f'<p data-pagefind-weight="0">{title_key(title)}</p>' if title else ""
    return f"<div hidden {COPY_ATTR}{meta}>{head}{body}{key}</div>"


def pagefind_binary() -> Path:
    """The extended Pagefind binary shipped by the pagefind-bin-extended wheel."""
    from pagefind_bin_extended import get_executable

    return Path(get_executable())


_INDEXED = re.compile(r"Indexed (\d+) pages?")
# A copy holds only <p> elements of escaped text, so its first </div> closes it.
_COPY = re.compile(rf"<div hidden {COPY_ATTR}[^>]*>.*?</div>", re.S)
_INDEX_PAGE = (
    '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"></head>'
    "<body><div data-pagefind-body>{}</div></body></html>\n"
)


def move_copies(site: Path, tree: Path) -> int:
    """Move the search copy out of each HTML page of `site` into a page of its own at the same
    path under `tree`; returns how many pages had one."""
    moved = 0
    for page in sorted(path for path in site.rglob("*.html") if not path.is_relative_to(tree)):
        text = page.read_text(encoding="utf-8")
        found = _COPY.search(text)
        if not found:
            continue
        page.write_text(text[: found.start()] + text[found.end() :], encoding="utf-8")
        target = tree / page.relative_to(site)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_INDEX_PAGE.format(found.group()), encoding="utf-8")
        moved += 1
    return moved


def index(site: Path) -> str:
    """Index the pages of `site` into `site/pagefind/` from their search copies (removed from
    the pages); returns a summary line in Chinese."""
    # Inside the site being built, so a build that dies leaves it where its staging folder goes.
    with tempfile.TemporaryDirectory(prefix=".search-", dir=site) as tree:
        move_copies(site, Path(tree))
        command = [
            str(pagefind_binary()),
            "--site",
            tree,
            "--output-path",
            str(site / "pagefind"),
            "--force-language",
            INDEX_LANGUAGE,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchError(f"Pagefind 建立搜索索引失败：{result.stderr.strip() or result.stdout.strip()}")
    counts = _INDEXED.findall(result.stdout)
    return f"搜索索引：{counts[-1]} 个页面" if counts else ""
