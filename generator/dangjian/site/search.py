"""Search: Pagefind's extended build over the written pages, with one segmentation both sides agree on.

Pagefind segments Chinese twice, differently: at indexing with jieba (charabia), in the
browser with `Intl.Segmenter` (ICU). A query word matches an indexed word it is a prefix of,
so whenever ICU cuts a name where jieba did not (`党|支部` against `党支部`), the page is not
found (Pagefind issues #1237 and #591). The one unit both segmenters keep whole is a single
character. So each page body is rendered with a hidden copy of its text, folded to simplified
characters and written one token per character (Latin letters and digits stay whole words);
`index()` moves every copy out of its page into a page of its own in a separate tree, which
is all Pagefind reads (readers never download the copies), and `search.js` writes a query the
same way; a space the page shows is kept in the copy as a token of its own (SPACE), so excerpts show it.
The copy's title is weighted above its body, so a record's own page outranks a
page that mentions it. The browser folds 繁體 queries to simplified (assets/dangjian/t2s.js).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markupsafe import escape

from ..cache import cache_dir, touch, write_atomic
from ..files import read_regular
from ..personal import lettered


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


def config(bundles: list[dict[str, str]], engine: str | None = None) -> str:
    """dangjian-search.json listing `bundles` ({name, title, site, bundle}, relative to the file); `engine` "own"
    when they are dangjian's own indexes (site/ownsearch.py), none for Pagefind's bundles."""
    data: dict[str, object] = {"version": 1, **({"engine": engine} if engine else {}), "bundles": bundles}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


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

    Made once (`_made_fold_table`: OpenCC imported and 90,000 characters converted, 0.03 s of every build that
    rendered a page) and kept in the cache folder under what made it (this module and OpenCC as installed).
    """
    from ..normalise import fold_cache
    from ..provenance import made_by

    folder = cache_dir()
    name = made_by(("site/search.py",), ("opencc", "opencc-python-reimplemented")) + ".search"
    kept = fold_cache().read(folder, name) if folder is not None else None
    if isinstance(kept, dict) and all(
        type(k) is str and type(v) is str and len(k) == len(v) == 1 for k, v in kept.items()
    ):
        return kept
    table = _made_fold_table()
    if folder is not None:
        fold_cache().write(folder, name, table)
    return table


def _made_fold_table() -> dict[str, str]:
    import opencc

    converter = opencc.OpenCC("t2s")
    chars = [chr(code) for low, high in HAN_RANGES for code in range(low, high + 1)]
    # In one call, a character a line (as normalise's table): 0.03 s, where a call per character took 0.14 s. No
    # phrase spans a line; should the lines not come back one per character, each is converted alone.
    simple = converter.convert("\n".join(chars)).split("\n")
    if len(simple) != len(chars):
        simple = [converter.convert(char) for char in chars]
    return {char: folded for char, folded in zip(chars, simple) if folded != char and len(folded) == 1}


@lru_cache(maxsize=1)
def _fold_codes() -> dict[int, str]:
    return {ord(char): simple for char, simple in fold_table().items()}


def fold(text: str) -> str:
    """`text` with each traditional character replaced by its simplified form."""
    return text.translate(_fold_codes())


# A token: one Han character, a run of other letters and digits, or one other visible character
# (punctuation stays in the copy so excerpts read as text; Pagefind indexes it as nothing).
_TOKEN = re.compile(rf"[{HAN}]|(?:(?![{HAN}])[^\W_])+|[^\s\w]|_")
# The copy joins every token with a space, so a space the page shows ("诸暨日报 2015-07-29") is written as a token
# of its own, an invisible one Pagefind indexes as nothing, and excerpts show it as one space where the copy's
# other spaces are dropped (search.js); the own index keeps it in its text as a plain space (ownsearch.parse).
# A SPACE in the page's own text, invisible there, is no space the page shows: it is dropped.
SPACE = "\u2063"  # INVISIBLE SEPARATOR: Pagefind keeps it in its text (it drops U+200B)
_SPACES = re.compile(r"\s+")
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


def query_tokens(text: str) -> list[str]:
    """The tokens of `text` that search matches (letters and digits, lower case), as search.js
    cuts a query."""
    return [token for token in _TOKEN.findall(fold(text).lower()) if token[0].isalnum()]


def _fnv(text: str, basis: int) -> str:
    value = basis
    for char in text:
        value = ((value ^ ord(char)) * 16777619) & 0xFFFFFFFF
    return f"{value:08x}"


def title_key(title: str) -> str:
    """One index word standing for a whole title: a query whose tokens are exactly the
    title's finds its page by this word (search.js computes it the same way), so a record
    typed in full comes first. Lower-case Latin letters only (the hash's hex digits as a-p):
    nothing segments, folds or splits it (Pagefind cuts words where letters meet digits)."""
    text = " ".join(query_tokens(title))
    return lettered(f"qx{_fnv(text, 0x811C9DC5)}{_fnv(text, 0x050C5D1F)}")


def _line(text: str) -> str:
    """`text` as a line of the copy: its tokens, each run of whitespace one SPACE, joined by spaces."""
    spaced = _SPACES.sub(SPACE, fold(text).replace(SPACE, ""))  # in C: a copy is made of every page
    return " ".join(_TOKEN.findall(spaced)).strip(f" {SPACE}")


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
    # most parts between block tags are the templates' indentation: nothing to read there
    parts = (part for part in _BLOCK.split(rest) if part and not part.isspace())
    blocks = (_line(html.unescape(_TAGS.sub("", part))) for part in parts)
    body = "".join(f"<p>{escape(line)}</p>" for line in blocks if line)
    meta = f' data-pagefind-meta="title:{escape(title)}"' if title else ""
    head = _title_copy(title) if title else ""
    key = f'<p data-pagefind-weight="0">{title_key(title)}</p>' if title else ""
    return f"<div hidden {COPY_ATTR}{meta}>{head}{body}{key}</div>"


def pagefind_binary() -> Path:
    """The extended Pagefind binary shipped by the pagefind-bin-extended wheel."""
    from pagefind_bin_extended import get_executable

    return Path(get_executable())


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
        copy = take_copy(page)
        if copy is None:
            continue
        _write_index_page(tree / page.relative_to(site), copy)
        moved += 1
    return moved


def take_copy(page: Path) -> str | None:
    """Remove the search copy from `page` (rewritten without it); the copy, or None without one."""
    text = page.read_text(encoding="utf-8")
    found = _COPY.search(text)
    if not found:
        return None
    page.unlink()  # a new file, never written through a hard link to another output's page
    page.write_text(text[: found.start()] + text[found.end() :], encoding="utf-8")
    return found.group()


def _write_index_page(target: Path, copy: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_INDEX_PAGE.format(copy), encoding="utf-8")


# --- the index in pieces ------------------------------------------------------------------------
#
# Pagefind indexes a whole tree at once and has no incremental mode. A site of more than
# PART_PAGES indexed pages is therefore indexed in pieces: its pages are spread over a power of
# two of bundles by a hash of their record (a record's own pages stay together), the first
# bundle in pagefind/ (with Pagefind's script and WebAssembly, which serve every bundle), the
# others in pagefind/parts/. Beside each bundle, dangjian-pages.json records its pages, the
# digest of each page's copy and the indexing code's version; a later build given the previous
# output reuses (hard-links) every bundle whose pages and copies are the same, and runs Pagefind
# only for the others. pagefind/dangjian-parts.json lists the parts, which search.js merges in
# the browser (Pagefind's mergeIndex), as it merges the bundles of `dangjian merge`'s shards.

PARTS = "parts"  # pagefind/parts/<key>/: one bundle per part
PAGES_FILE = "dangjian-pages.json"  # beside each bundle: its pages, their copies' digests, the version
PARTS_FILE = "dangjian-parts.json"  # in pagefind/: the part bundles, relative to it
# A site with more indexed pages is indexed in parts of about this many at most. Parts trade the
# reader's download for the rebuild: each part costs a query its own chunk per word typed (city,
# 37,300 pages, 乡村振兴: 723 KB from one bundle, 2,012 KB from 16) and saves a rebuild the
# indexing of the other parts (the city indexed in 63 s CPU; one page changed, with 16 parts: 6.9 s). The
# default keeps a county in one bundle and cuts a city in four; DANGJIAN_SEARCH_PART_PAGES sets
# another size (a CI that rebuilds often may choose 2000 and accept the larger download).
PART_PAGES = 10_000
PART_PAGES_VARIABLE = "DANGJIAN_SEARCH_PART_PAGES"


def _part_pages(given: int | None) -> int:
    """The part size: `given`, else the environment's (a positive whole number), else PART_PAGES."""
    if given:
        return given
    value = os.environ.get(PART_PAGES_VARIABLE, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else PART_PAGES


MAIN = ""  # the key of the main bundle
# What a part bundle needs: the main bundle's script and WebAssembly serve every part.
_PART_KEEPS = ("pagefind-entry.json", "index", "fragment", "filter")
_BODY = "<div data-pagefind-body>"
_DIVS = re.compile(r"<(/?)div\b[^>]*>", re.I)


class StaleCopy(SearchError):
    """A page kept from the previous output no longer gives back the copy its bundle recorded:
    its bundle cannot be rebuilt without rendering the page again (build with --cold)."""


def page_url(rel: str) -> str:
    """The address of the page written at `rel` (relative to the site): "orgs/a/" for
    orgs/a/index.html, "" for the home page, the path itself for any other file."""
    if rel == "index.html":
        return ""
    return rel.removesuffix("index.html") if rel.endswith("/index.html") else rel


def page_file(url: str) -> str:
    """The file of the page at `url`, relative to the site (page_url's inverse)."""
    return url + "index.html" if url == "" or url.endswith("/") else url


@lru_cache(maxsize=1)
def index_version() -> str:
    """What the index depends on besides the copies: this module's code (the copy, the index
    page, the language, the parts), Pagefind's version and the folding table's source."""
    from importlib.metadata import version

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for package in ("pagefind_bin_extended", "opencc"):
        try:
            digest.update(f"{package} {version(package)}\n".encode())
        except Exception:  # an unknown version: never reuse across it
            digest.update(package.encode())
    return lettered(digest.hexdigest()[:16])


def _digest(copy: str) -> str:
    """A copy's digest, in the letters a-p: no run of digits for the privacy gate to read as a number."""
    return lettered(hashlib.sha256(copy.encode("utf-8")).hexdigest()[:16])


def _record(url: str) -> str:
    """What keeps pages in one part: a record's own pages (orgs/a/, orgs/a/2025/) share their
    first two folders."""
    return "/".join(url.split("/")[:2])


def _bucket(url: str, count: int) -> int:
    return int(hashlib.sha256(_record(url).encode("utf-8")).hexdigest()[:8], 16) % count


def parts_for(pages: int, part_pages: int | None = None) -> int:
    """How many bundles a site of `pages` indexed pages has: a power of two, so that the parts
    change only when the site's size crosses a doubling."""
    count = 1
    while pages > count * _part_pages(part_pages):
        count *= 2
    return count


def partition(urls: Iterable[str], part_pages: int | None = None) -> dict[str, list[str]]:
    """The bundles of a site whose indexed pages are `urls`: key → its pages, sorted ("" is the
    main bundle, "2of8" … the parts).

    Pages go to parts by a hash of their record, not by section: each part is then a sample of
    the whole site, and Pagefind, which scores a page against its own bundle (how rare a word is
    there, how long its pages are), scores it in a part about as it would in one bundle of all;
    parts of one section each would rank a list page of tags above the record it names.
    """
    urls = sorted(set(urls))
    count = parts_for(len(urls), part_pages)
    bundles: dict[str, list[str]] = {MAIN: []}
    for url in urls:
        part = _bucket(url, count) if count > 1 else 0
        bundles.setdefault(MAIN if part == 0 else f"{part + 1}of{count}", []).append(url)
    return dict(sorted(bundles.items()))


def bundle_path(key: str) -> str:
    """The folder of a bundle, relative to the site."""
    return "pagefind/" if key == MAIN else f"pagefind/{PARTS}/{key}/"


@dataclass
class _Bundle:
    """What dangjian-pages.json says of a bundle: its pages and their copies' digests."""

    key: str
    version: str
    pages: dict[str, str]  # url -> digest of its copy
    unindexed: list[str] = field(default_factory=list)  # main bundle only: pages without a copy

    def text(self) -> str:
        data = {"version": self.version, "key": self.key, "pages": self.pages}
        if self.key == MAIN:
            data["unindexed"] = self.unindexed
        return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=0) + "\n"


def _read_bundles(previous: Path | None) -> dict[str, _Bundle]:
    """The bundles of the previous output (none when it has no readable record of them)."""
    if previous is None:
        return {}
    folder = previous / "pagefind"
    found: dict[str, _Bundle] = {}
    try:
        listed = json.loads((folder / PARTS_FILE).read_text(encoding="utf-8"))
        keys = [MAIN] + [str(key) for key in listed.get("parts", [])]
        for key in keys:
            data = json.loads((previous / bundle_path(key) / PAGES_FILE).read_text(encoding="utf-8"))
            pages = {str(url): str(digest) for url, digest in data["pages"].items()}
            unindexed = [str(url) for url in data.get("unindexed", [])]
            if data.get("key") != key:
                return {}
            found[key] = _Bundle(key, str(data["version"]), pages, unindexed)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return found


def _site_pages(site: Path) -> list[str]:
    """Every HTML file of `site` outside its search folders, relative to it: what `os.walk` (top down, links to
    folders listed but not followed, unreadable folders skipped) finds, each folder's files sorted before its
    folders, in order. Made of strings, not paths: a city has 37,000 folders."""
    found: list[str] = []
    _walk_pages(os.fspath(site), "", found)
    return found


def _walk_pages(path: str, rel: str, found: list[str]) -> None:
    try:
        with os.scandir(path) as listing:
            entries = list(listing)
    except OSError:
        return
    pages, folders = [], []
    for entry in entries:
        if _is_dir(entry):
            if not (rel == "" and (entry.name == "pagefind" or entry.name.startswith(".search-"))):
                folders.append(entry)
        elif entry.name.endswith(".html"):
            pages.append(rel + entry.name)
    found += sorted(pages)
    for entry in sorted(folders, key=lambda entry: entry.name):
        if not entry.is_symlink():
            _walk_pages(entry.path, f"{rel}{entry.name}/", found)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def content_of(page: str) -> str | None:
    """The body a published page's copy was made from: what its data-pagefind-body element
    holds (the copy came last in it and is gone), or None."""
    start = page.find(_BODY)
    if start < 0:
        return None
    depth, at = 1, start + len(_BODY)
    for tag in _DIVS.finditer(page, at):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[at : tag.start()]
    return None


def recover_copy(page: Path) -> str | None:
    """The copy of a published page (moved out when it was built), made again from its body."""
    content = content_of(page.read_text(encoding="utf-8"))
    return None if content is None else simplified_copy(content)


# --- the copies kept between builds ------------------------------------------------------------
#
# A rebuild that indexes a bundle again needs the copy of every page in it, the pages carried
# over from the previous output too, whose copies were moved out when they were built. Making a
# copy again from a published page costs as much as making it the first time (a county's 2,200
# carried pages: about 4 s), so each bundle's copies are kept in the cache folder, as
# `search/<32 hex>-<bundle>.json` (the hex names the output folder). A kept copy is used only when
# its digest is the one the previous output's dangjian-pages.json records for its page, so the
# file needs no trust: a copy that does not match (an edited or stale file) is made again from
# the page, as before.

COPIES_PART = "search"  # the cache part (`cache.PARTS`)
_COPIES_MAX = 1 << 30  # a city's copies take about 100 MB; a larger file is not ours


def copies_path(out: Path, key: str) -> Path | None:
    """Where the copies of bundle `key` of the site at `out` are kept (None when caching is off)."""
    folder = cache_dir()
    if folder is None:
        return None
    return folder / COPIES_PART / f"{output_key(out)}-{key or 'main'}.json"


def output_key(out: Path) -> str:
    """32 hex digits naming what the cache keeps for the output folder `out` (by its resolved path)."""
    return hashlib.blake2b(str(Path(out).resolve()).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _read_copies(path: Path | None) -> dict[str, str]:
    """The copies kept at `path`, {url: copy} (none when it is missing, a link, not a regular file, too large, not
    this user's alone, or not JSON of strings)."""
    if path is None:
        return {}
    try:
        value = json.loads(read_regular(path, _COPIES_MAX, own=True))
    except (OSError, ValueError):
        return {}
    if not isinstance(value, dict):
        return {}
    touch(path)  # used now: the cache's bound keeps it over older entries
    return {url: copy for url, copy in value.items() if isinstance(url, str) and isinstance(copy, str)}


def _keep_copies(path: Path | None, copies: dict[str, str]) -> None:
    """Keep a bundle's copies at `path` (atomically); copies that cannot be kept only cost the next rebuild."""
    if path is None:
        return
    if not write_atomic(path, json.dumps(copies, ensure_ascii=False, separators=(",", ":")).encode("utf-8")):
        try:
            path.unlink()  # the previous build's copies: not this output's any more
        except OSError:
            pass


def _link_tree(source: Path, target: Path) -> None:
    """`source`'s files at the same paths under `target`, hard-linked (copied across devices)."""
    for folder, _, files in os.walk(source):
        into = target / Path(folder).relative_to(source)
        into.mkdir(parents=True, exist_ok=True)
        for name in files:
            try:
                os.link(Path(folder) / name, into / name)
            except OSError:
                shutil.copy2(Path(folder) / name, into / name)


def _pagefind(tree: Path, output: Path) -> subprocess.Popen[str]:
    command = [
        str(pagefind_binary()),
        "--site",
        str(tree),
        "--output-path",
        str(output),
        "--force-language",
        INDEX_LANGUAGE,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Cancelled(SearchError):
    """The index was no longer wanted (a newer save superseded it): nothing was put in place."""


def _run_all(jobs: list[tuple[Path, Path]], cancelled: Callable[[], bool] | None = None) -> None:
    """Pagefind over each (tree, output), as many at once as there are cores; every run is stopped, and Cancelled
    raised, as soon as `cancelled()` says so."""
    width = max(1, min(len(jobs), os.cpu_count() or 1))
    pending = list(jobs)
    running: list[subprocess.Popen[str]] = []
    failures: list[str] = []
    try:
        while pending or running:
            while pending and len(running) < width:
                running.append(_pagefind(*pending.pop(0)))
            process = running[0]
            if cancelled is not None:
                while process.poll() is None and not cancelled():
                    try:
                        process.wait(0.05)
                    except subprocess.TimeoutExpired:
                        pass
                if cancelled():
                    raise Cancelled("搜索索引已被新的修改取代")
            running.pop(0)
            out, err = process.communicate()
            if process.returncode != 0:
                failures.append(err.strip() or out.strip())
    finally:
        for process in running:
            process.kill()
            process.communicate()
    if failures:
        raise SearchError(f"Pagefind 建立搜索索引失败：{failures[0]}")


@dataclass
class Copies:
    """The search copies of a site's pages, taken out of them: what its index is made from."""

    digests: dict[str, str]  # every indexed page -> the digest of its copy
    copies: dict[str, str]  # page -> its copy: the pages read now (`take_copies(whole=True)`: every indexed page)
    unindexed: list[str]  # pages without a copy
    old: dict[str, _Bundle] = field(default_factory=dict)  # the previous output's bundles (what may be reused)

    @property
    def same_code(self) -> bool:
        """Whether the previous output's bundles were made by this indexing code (else none is reused)."""
        version = index_version()
        return bool(self.old) and all(bundle.version == version for bundle in self.old.values())


def take_copies(
    site: Path,
    previous: Path | None = None,
    changed: frozenset[str] | None = None,
    *,
    known: Copies | None = None,
    keep: Path | None = None,
    whole: bool = False,
) -> Copies:
    """Take the search copy out of each page of `site` that has one (rewritten without it): the pages a reader
    downloads never hold it.

    `previous` and `changed` as for `index`: a page carried over from `previous` (not in `changed`) is not read,
    its copy's digest is the one `known` (the copies of the previous output, kept by the caller) or the previous
    output's bundles record. With `whole`, every indexed page's copy is in the answer (a carried page's from
    `known`, else from the copies kept in the cache for `keep`, else made again from its page), so that the index
    can be made later without the pages."""
    site = Path(site)
    old = _read_bundles(previous)
    recorded = {url: digest for bundle in old.values() for url, digest in bundle.pages.items()}
    unindexed_before = set(old[MAIN].unindexed) if MAIN in old else set()
    known = known if previous is not None and changed is not None else None
    copies: dict[str, str] = {}  # url -> copy, of the pages read now
    digests: dict[str, str] = {}  # url -> digest of its copy, of every indexed page
    unindexed: list[str] = []
    for rel in _site_pages(site):
        url = page_url(rel)
        carried = changed is not None and url not in changed and previous is not None
        if carried and known is not None and (url in known.digests or url in known.unindexed):
            if url in known.digests:
                digests[url] = known.digests[url]
                if url in known.copies:
                    copies[url] = known.copies[url]
            else:
                unindexed.append(url)
            continue
        if carried and (url in recorded or url in unindexed_before):
            if url in recorded:
                digests[url] = recorded[url]
            else:
                unindexed.append(url)
            continue
        copy = take_copy(site / rel)
        if copy is None and changed is not None:  # a page carried over that no record names
            copy = recover_copy(site / rel)
        if copy is None:
            unindexed.append(url)
            continue
        copies[url] = copy
        digests[url] = _digest(copy)
    taken = Copies(digests, copies, unindexed, old)
    if whole:
        same_code = taken.same_code
        kept: dict[str, str] = {}
        missing = [url for url in digests if url not in copies]
        if missing and same_code and keep is not None:
            for key in old:
                kept.update(_read_copies(copies_path(keep, key)))
        for url in missing:
            copies[url] = _copy_of(url, digests, kept, site, same_code)
    return taken


def _copy_of(url: str, digests: dict[str, str], kept: dict[str, str], pages: Path, same_code: bool) -> str:
    """The copy of a page whose copy is not at hand: the one kept in the cache when its digest is the one recorded,
    else made again from its published page (`digests[url]` then follows it when the code changed)."""
    if url in kept and _digest(kept[url]) == digests[url]:
        return kept[url]  # as the previous build made it from the same page
    copy = recover_copy(pages / page_file(url))
    if copy is None or (same_code and _digest(copy) != digests[url]):
        raise StaleCopy(f"搜索索引无法增量更新：页面 {url or '首页'} 与上次生成时记录的不一致，请用 --cold 完整生成")
    digests[url] = _digest(copy)  # the indexing code may have changed
    return copy


def _plan(copies: Copies, part_pages: int | None) -> tuple[dict[str, _Bundle], set[str]]:
    """The bundles of the site whose copies are `copies`, and the keys of those the previous output has as they are."""
    version = index_version()
    bundles = {
        key: _Bundle(key, version, {url: copies.digests[url] for url in urls})
        for key, urls in partition(copies.digests, part_pages).items()
    }
    bundles[MAIN].unindexed = sorted(copies.unindexed)
    same_code = copies.same_code
    old = copies.old
    reused = {key for key, bundle in bundles.items() if same_code and key in old and old[key].pages == bundle.pages}
    return bundles, reused


def reusable(copies: Copies, part_pages: int | None = None) -> bool:
    """Whether the previous output's index serves the site of `copies` as it is (every bundle reused: nothing for
    Pagefind to do)."""
    bundles, reused = _plan(copies, part_pages)
    return reused == set(bundles)


def index(
    site: Path,
    previous: Path | None = None,
    changed: frozenset[str] | None = None,
    *,
    part_pages: int | None = None,
    keep: Path | None = None,
) -> str:
    """Index the pages of `site` into `site/pagefind/` from their search copies (removed from the
    pages); returns a summary line in Chinese.

    `previous` is the previous output folder: a bundle of it whose pages and copies are the same
    (and made by the same indexing code) is reused as it is. `changed` lists the pages rendered
    anew or removed since (addresses as page_url gives them): only those are read for a copy,
    the others are taken to be as `previous` recorded them. None: every page is read.
    `keep` is the output folder the site will be published in: each bundle indexed keeps its
    pages' copies in the cache for the next build of it (`copies_path`).
    """
    copies = take_copies(site, previous, changed)
    return write_index(site, copies, previous, part_pages=part_pages, keep=keep)


def write_index(
    site: Path,
    copies: Copies,
    previous: Path | None = None,
    *,
    part_pages: int | None = None,
    keep: Path | None = None,
    pages: Path | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> str:
    """Write the index of the pages whose copies are `copies` into `site/pagefind/` (`index`'s second half); a page
    whose copy is not in `copies` is read from `pages` (default `site`). `cancelled()`, asked while it works, stops
    it (Cancelled)."""
    site = Path(site)
    pages = Path(pages) if pages is not None else site
    same_code = copies.same_code
    digests = copies.digests
    shutil.rmtree(site / "pagefind", ignore_errors=True)  # ours: a stale copy of the previous index
    # Inside the site being built, so a build that dies leaves it where its staging folder goes.
    with tempfile.TemporaryDirectory(prefix=".search-", dir=site) as work:
        bundles, reused = _plan(copies, part_pages)
        jobs = []
        for key, bundle in bundles.items():
            if key in reused:
                continue
            tree = Path(work) / "tree" / (key or "_main")
            pack = copies_path(keep, key) if keep is not None else None
            kept = _read_copies(pack) if same_code and any(url not in copies.copies for url in bundle.pages) else {}
            indexed: dict[str, str] = {}
            for url in bundle.pages:
                copy = copies.copies.get(url)
                if copy is None:
                    copy = _copy_of(url, digests, kept, pages, same_code)
                    bundle.pages[url] = digests[url]
                _write_index_page(tree / page_file(url), copy)
                indexed[url] = copy
                if cancelled is not None and len(indexed) % 64 == 0 and cancelled():
                    raise Cancelled("搜索索引已被新的修改取代")
            _keep_copies(pack, indexed)
            jobs.append((tree, Path(work) / "out" / (key or "_main")))
        _run_all(jobs, cancelled)
        _assemble(site, Path(work) / "out", bundles, reused, previous)
    parts = len(bundles) - 1
    summary = f"搜索索引：{len(digests)} 个页面"
    if parts:
        summary += f"，分 {len(bundles)} 卷"
    if reused:
        summary += f"，沿用上次的 {len(reused)} 卷"
    return summary


def _assemble(site: Path, built: Path, bundles: dict[str, _Bundle], reused: set[str], previous: Path | None) -> None:
    """Put every bundle in its place under site/pagefind/, with its dangjian-pages.json."""
    for key, bundle in bundles.items():
        target = site / bundle_path(key)
        if key in reused:
            assert previous is not None
            source = previous / bundle_path(key)
            if key == MAIN:  # the main bundle's folder also holds the parts: link its own files only
                _link_tree_except(source, target, {PARTS})
            else:
                _link_tree(source, target)
        else:
            output = built / (key or "_main")
            target.parent.mkdir(parents=True, exist_ok=True)
            if key == MAIN:
                shutil.move(output, target)
            else:
                target.mkdir(parents=True)
                for name in _PART_KEEPS + tuple(p.name for p in output.glob("*.pf_meta")):
                    if (output / name).exists():
                        shutil.move(output / name, target / name)
        (target / PAGES_FILE).unlink(missing_ok=True)  # a hard link to the previous output's: never write through
        (target / PAGES_FILE).write_text(bundle.text(), encoding="utf-8")
    parts = [bundle_path(key).removeprefix("pagefind/") for key in bundles if key != MAIN]
    listed = json.dumps({"version": 1, "parts": [key for key in bundles if key != MAIN], "bundles": parts})
    (site / "pagefind" / PARTS_FILE).write_text(listed + "\n", encoding="utf-8")


def _link_tree_except(source: Path, target: Path, skip: set[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        if entry.name in skip or entry.name in (PAGES_FILE, PARTS_FILE):
            continue
        if entry.is_dir():
            _link_tree(entry, target / entry.name)
        else:
            try:
                os.link(entry, target / entry.name)
            except OSError:
                shutil.copy2(entry, target / entry.name)
