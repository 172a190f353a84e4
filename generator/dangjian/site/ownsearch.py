"""Search: an index of our own (issue 23), made from the same search copies as Pagefind's and updated in place; the
default engine since session 12 (Pagefind on request: `--search-engine pagefind`).

Pagefind has no incremental mode: one page changed re-indexes its whole bundle (seconds at county). This index is
made from the copies `search.py` takes out of the pages (folded to simplified characters, one token per Han
character, Latin words whole, the title weighted), and a rebuild rewrites only the files whose terms changed.
`docs/search-own-index.md` measured its prototype (`bench/own_index.py`); this is its format, cold build and update.

The index is the folder `djsearch/` of the site, every file gzip'd and fetched by `search.js`:

* `meta.gz`: JSON: each chunk's content name (12 hex digits, in chunk order), the pages' count and average length,
  and one byte per page id (its length on a log scale; 0: no page at this id).
* `c/<name>.gz`: the postings, sharded by an FNV-1a hash of the term into a power of two of chunks. A term is a
  token (a Han character or a Latin word), a prefix of a Latin word or number (`_with_prefixes`: a word typed in part
  finds it), or two tokens that follow each other in a block (a query word of several tokens asks for its bigrams, so
  a phrase needs no positions). Per page a term keeps one level 1-15 (its weighted
  count, capped: a title token counts 10, a parent's name 3, the body 1, the title key 0 -> 1). A term's postings
  are written sparse (varints of id gap * 16 + level) or dense (a nibble per id), whichever is smaller.
* `p/<n>.gz`: the fragments of the pages with ids `n * FRAGMENTS` to `n * FRAGMENTS + FRAGMENTS - 1`: a JSON list of
  [url, title, body text] (null for an id with no page, none after the last page), for a result and its excerpt. A
  file per page made the index most of a city site's files (37,300 of 81,000): each one linked, walked and checked at
  every rebuild. Neighbouring ids are neighbouring pages (a cold build gives ids in url order), so a file of 16
  compresses to about 6 of one page's (3.9 KB against 0.7 KB gzip'd at city), and a reader's results fetch one
  such file each at most. They were `f/<id>.gz`, one a page (the meta's `v` 1): a new folder, so that a browser
  still holding the old search.js fetches no file rather than a list where it expects a page.

Page ids stay the same between builds (a new page takes the next id, a removed page's id is not reused), so an
update rewrites only the chunks of the terms whose levels changed, the changed pages' fragment files and the meta. The
build's own record of the index (url -> id, the next id, the lengths, every file's digest; every page's copy in
buckets beside it) is kept in the cache once the site is published, and used only when it is exactly what this code
wrote for the previous output and that output's index files are exactly the ones it names; otherwise the index is
made cold.

An incremental index equals a cold build's by meaning (`decoded`: url -> title, text, term levels, length), not by
bytes: a page added later has a later id than a cold build would give it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import marshal
import math
import os
import re
import shutil
import stat
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain, compress, count as counting, repeat
from operator import itemgetter, lshift, or_, sub
from pathlib import Path
from typing import Any

from ..cache import cache_dir, touch, write_atomic
from ..files import check_regular, gunzip, read_regular
from ..parallel import in_order
from ..personal import lettered
from . import search
from .incremental import Identity, identity, identity_from

FOLDER = "djsearch"  # the index's folder in the site (recordtypes.SITE_FOLDERS lists it)
ENGINES = ("pagefind", "own")
DEFAULT_ENGINE = "own"  # since session 12: updated in place, a tenth of the download; Pagefind on request
ENGINE_VARIABLE = "DANGJIAN_SEARCH_ENGINE"  # the engine when the build is not told (a bench or CI sets it)
STATE_PART = "ownindex"  # the cache's part of the states of the own index (`state_path`)
LEVELS = 15  # a term's level on a page: its weighted count, 1..15
CHUNK_BYTES = 24_000  # a cold build's chunks hold about this many bytes of entries before gzip
_STATE_MAX = 1 << 30  # the most a state or a bucket of copies is read (a city's copies: about 100 MB in all)
_FILE_MAX = 1 << 26  # a file of the index (a chunk, a fragment, the meta) is far smaller; a larger one is not ours


def engine(given: str | None = None) -> str:
    """The search engine: `given`, else the environment's (`DANGJIAN_SEARCH_ENGINE`), else our own index."""
    value = (given or os.environ.get(ENGINE_VARIABLE, "") or DEFAULT_ENGINE).strip().lower()
    if value not in ENGINES:
        raise ValueError(f"未知的搜索引擎“{value}”：可选 {'、'.join(ENGINES)}")
    return value


def keyed(key: str | None, name: str | None) -> str | None:
    """The incremental build's global key with the engine in it: switching engine renders every page again (the
    Pagefind key is the key as it was, so a Pagefind build's carried pages are as before)."""
    if key is None or name != "own":
        return key
    return hashlib.sha256(f"{key}\0{name}".encode()).hexdigest()[: len(key)]


def config() -> str:
    """dangjian-search.json for a site searched alone with this index (search.js reads `engine`)."""
    return search.config([{"name": "", "title": "", "site": "./", "bundle": f"{FOLDER}/"}], engine="own")


# ---------------------------------------------------------------- pages from their copies


@dataclass
class Page:
    """What the index holds of one page, from its search copy."""

    url: str
    title: str
    text: str  # the body as an excerpt shows it, its blocks on lines of their own
    terms: dict[str, int]  # term -> level 1..15
    length: int  # word tokens of the weighted blocks: what BM25 normalises by


_P = re.compile(r'<p(?: data-pagefind-weight="(\d+)")?>(.*?)</p>', re.S)
_META_TITLE = re.compile(r'data-pagefind-meta="title:([^"]*)"')
# A space the copy put between two tokens: beside a Han character or punctuation (search.SPACE included), an
# excerpt does not show it; the page's own spaces are search.SPACE, shown as plain spaces ("G20 峰会", "日报 2015").
_UNSHOWN_SPACE = re.compile(rf"(?<=[{search.HAN}\W_]) | (?=[{search.HAN}\W_])")
_WORD = re.compile(r"[^\W_]+")  # a word token of the copy: a Han character or a run of other letters and digits
_HAN = re.compile(f"[{search.HAN}]")
PREFIX_MAX = 24  # a Latin word or number longer than this (a key, a hash) is held whole only


# A prefix never ends inside a run of digits after more than this many of them: eleven digits are a mobile number
# to the privacy gate (personal.py), and a page showing 139139139139 shows no such number, so its index must not
# hold 13913913913 (found by Hypothesis). Typing eleven digits of a longer number finds it once it is whole.
NUMBER_CUT_MAX = 10
_LONG_NUMBER = re.compile("[0-9]{%d}" % (NUMBER_CUT_MAX + 2))  # only a word with one can be cut after more
_DIGITS_AT_END = re.compile("[0-9]+\\Z")


def _with_prefixes(words: list[str]) -> list[str]:
    """`words` and the shorter prefixes of each Latin word or number among them: a query word (as typed so far)
    then finds every word it begins, as Pagefind's does ("pag" finds "pagefind", "202" finds "2025")."""
    prefixes = [
        word[:end] for word in words if len(word) <= PREFIX_MAX and not _HAN.match(word) for end in _prefix_ends(word)
    ]
    return words + prefixes if prefixes else words


def _prefix_ends(word: str) -> range | list[int]:
    """Where the prefixes of `word` end: everywhere but inside a long number (looked for once a word)."""
    if not _LONG_NUMBER.search(word):
        return range(1, len(word))
    return [end for end in range(1, len(word)) if not _cuts_a_long_number(word, end)]


def _cuts_a_long_number(word: str, end: int) -> bool:
    """Whether `word[:end]` ends between two digits after more than `NUMBER_CUT_MAX` of them."""
    if not (word[end - 1].isascii() and word[end - 1].isdigit() and word[end].isascii() and word[end].isdigit()):
        return False
    run = _DIGITS_AT_END.search(word, 0, end)
    return run is not None and len(run.group()) > NUMBER_CUT_MAX


def blocks(copy: str) -> tuple[str, list[tuple[int, str, list[str]]]]:
    """A search copy's title and its blocks, each as (weight, text, word tokens): the tokens lower-cased and cut as
    search.js cuts a query; weight 0 is the title key, held but not a block a reader sees."""
    found = _META_TITLE.search(copy)
    cut = []
    for weight_text, inner in _P.findall(copy):
        text = html.unescape(inner)
        cut.append((int(weight_text) if weight_text else 1, text, _WORD.findall(text.lower())))
    return (html.unescape(found.group(1)) if found else ""), cut


def parse(url: str, copy: str) -> Page:
    """A page from its copy: every word token and every pair of neighbouring word tokens in a block, weighted."""
    title, cut = blocks(copy)
    counts: Counter[str] = Counter()
    lines: list[str] = []
    length = 0
    for weight, text, words in cut:
        pairs = [f"{first} {second}" for first, second in zip(words, words[1:])]
        if weight == 1:
            counts.update(_with_prefixes(words))
            counts.update(pairs)
            lines.append(_UNSHOWN_SPACE.sub("", text).replace(search.SPACE, " "))
        else:
            for term in (_with_prefixes(words) if weight else words) + pairs:
                counts[term] += weight  # weight 0 (the title key): held whole, at the lowest level
        if weight:
            length += len(words)
    terms = {term: max(1, min(LEVELS, n)) for term, n in counts.items()}
    return Page(url, title, "\n".join(lines), terms, length)


_PARSED: dict[tuple[str, str], Page] = {}  # the pages `update` parsed last, by (url, copy): their parse is pure
_PARSED_MAX = 2048


def _parsed(url: str, copy: str) -> Page:
    """`parse`, remembered for the pages `update` parsed lately: `serve`'s next rebuild finds each page it changed
    as its "before" without parsing it again (a county org's renamed pages: 11 ms each)."""
    key = (url, copy)
    page = _PARSED.pop(key, None)
    if page is None:
        page = parse(url, copy)
        while len(_PARSED) >= _PARSED_MAX:
            del _PARSED[next(iter(_PARSED))]  # the least recently used
    _PARSED[key] = page
    return page


# ---------------------------------------------------------------- encoding


def fnv1a(text: str) -> int:
    """FNV-1a over the term's UTF-8 bytes (search.js: TextEncoder and Math.imul)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def _varint(value: int, out: bytearray) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


SPARSE, DENSE = 0, 1

# Byte tables for the paths below: str/bytes methods and itertools run in C, a Python loop per posting does not
# (a city's common terms hold tens of thousands of postings, and an added page touches hundreds of terms).
_LOW = bytes(byte & 15 for byte in range(256))
_HIGH = bytes(byte >> 4 for byte in range(256))
_GAP = bytes((byte >> 4) + 1 for byte in range(128)) + bytes(128)  # a one-byte sparse value: its id step
_SHIFT = bytes((byte << 4) & 0xFF for byte in range(256))
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


class _Memo(dict[Any, Any]):
    """A table filled on first use: a value's varint bytes, or a varint's id step or level (few distinct)."""

    def __init__(self, make: Any) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        self[key] = value = self.make(key)
        return value


def _varint_bytes(value: int) -> bytes:
    out = bytearray()
    _varint(value, out)
    return bytes(out)


_VARINT = re.compile(rb"[\x80-\xff]*[\x00-\x7f]")
_VARINTS = _Memo(_varint_bytes)
_STEPS = _Memo(lambda data: (_read_varint(data, 0)[0] >> 4) + 1)
_LEVELS = _Memo(lambda data: _read_varint(data, 0)[0] & 15)
_RUNS = _Memo(lambda run: bytes(run[0]) + bytes((run[1],)))  # (gap, level): the gap's empty ids, then the level


def encode_postings(postings: list[tuple[int, int]]) -> tuple[int, bytes]:
    """(kind, payload) of a term's (id, level) pairs sorted by id: sparse varints or a nibble per id, whichever is
    smaller (sparse on a tie); a function of the postings alone, so an update and a cold build choose alike."""
    ids = list(map(_FIRST, postings))
    levels = list(map(_SECOND, postings))
    gaps = list(map(sub, map(sub, ids, chain((-1,), ids)), repeat(1)))
    values = list(map(or_, map(lshift, gaps, repeat(4)), levels))
    dense_size = ids[-1] // 2 + 1
    sparse = bytes(values) if max(values) < 0x80 else b"".join(map(_VARINTS.__getitem__, values))
    if len(sparse) <= dense_size:
        return SPARSE, sparse
    nibbles = b"".join(map(_RUNS.__getitem__, zip(gaps, levels))).ljust(2 * dense_size, b"\0")  # a level per id
    low, high = nibbles[0::2], nibbles[1::2].translate(_SHIFT)
    return DENSE, (int.from_bytes(low, "little") | int.from_bytes(high, "little")).to_bytes(dense_size, "little")


def decode_postings(kind: int, count: int, payload: bytes) -> dict[int, int]:
    """id -> level of one term."""
    if kind == DENSE:
        nibbles = bytearray(2 * len(payload))
        nibbles[0::2] = payload.translate(_LOW)
        nibbles[1::2] = payload.translate(_HIGH)
        return dict(zip(compress(counting(), nibbles), nibbles.replace(b"\0", b"")))
    if len(payload) == count:  # every value one byte
        ids = accumulate(payload.translate(_GAP), initial=-1)
        next(ids)
        return dict(zip(ids, payload.translate(_LOW)))
    values = _VARINT.findall(payload)  # each value's bytes
    ids = accumulate(map(_STEPS.__getitem__, values), initial=-1)
    next(ids)
    return dict(zip(ids, map(_LEVELS.__getitem__, values)))


def _entry(term: str, count: int, kind: int, payload: bytes) -> bytes:
    """One term's entry in a chunk: its UTF-8 length and bytes, kind, page count, payload length, payload."""
    name = term.encode("utf-8")
    out = bytearray()
    _varint(len(name), out)
    out += name
    out.append(kind)
    _varint(count, out)
    _varint(len(payload), out)
    return bytes(out) + payload


def encode_entry(term: str, postings: list[tuple[int, int]]) -> bytes:
    return _entry(term, len(postings), *encode_postings(postings))


def chunk_entries(data: bytes) -> dict[str, tuple[int, int, bytes, bytes]]:
    """term -> (kind, count, payload, the entry's bytes as written) of a chunk (gunzipped)."""
    entries = {}
    at = 0
    while at < len(data):
        start = at
        size, at = _read_varint(data, at)
        term = data[at : at + size].decode("utf-8")
        at += size
        kind = data[at]
        n, at = _read_varint(data, at + 1)
        length, at = _read_varint(data, at)
        payload = data[at : at + length]
        at += length
        if kind > DENSE or at > len(data):
            raise ValueError("索引块的条目不完整")  # a chunk cut short, or bytes that are no chunk
        entries[term] = (kind, n, payload, data[start:at])
    return entries


def _chunk_bytes(entries: dict[str, bytes]) -> bytes:
    return b"".join(entries[term] for term in sorted(entries, key=lambda term: term.encode("utf-8")))


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, 9, mtime=0)


def _name(data: bytes) -> str:
    """A chunk file's name: its digest, in letters (`personal.lettered`: `b17949608192.gz` stopped a build)."""
    return lettered(hashlib.sha256(data).hexdigest()[:12])


def _length_byte(length: int) -> int:
    """A page's length on a log scale, 1..255 (0: no page at this id)."""
    return max(1, min(255, round(16 * math.log2(length + 1)) + 1))


FRAGMENTS = 16  # pages' fragments per file (`p/<n>.gz`; search.js reads the same number from the meta)


def fragment_file(page_id: int) -> str:
    """The file of the index holding the fragment of the page with this id."""
    return _fragments_file(page_id // FRAGMENTS)


def _fragments_file(number: int) -> str:
    """Fragment file `number` of the index (ids `number * FRAGMENTS` on), relative to it."""
    return f"p/{number}.gz"


def _fragment(page: Page) -> list[str]:
    return [page.url, page.title, page.text]


def _fragments(entries: list[list[str] | None]) -> bytes:
    """A fragment file: the fragments of its ids in order, null where there is no page, none after the last page."""
    while entries and entries[-1] is None:
        entries = entries[:-1]
    return _gzip(json.dumps(entries, ensure_ascii=False).encode("utf-8"))


def read_fragments(folder: Path, number: int) -> list[list[str] | None]:
    """The fragments of fragment file `number` of the index in `folder`, FRAGMENTS of them (None: no page)."""
    rel = _fragments_file(number)
    entries = json.loads(_read_gz(folder / rel))
    if not isinstance(entries, list) or len(entries) > FRAGMENTS:
        raise ValueError(f"{rel} is not a fragment file")
    return entries + [None] * (FRAGMENTS - len(entries))


def fragment_of(folder: Path, page_id: int) -> list[str]:
    """The fragment of the page with this id in the index in `folder`: [url, title, body text]."""
    found = read_fragments(folder, page_id // FRAGMENTS)[page_id % FRAGMENTS]
    if found is None:
        raise LookupError(page_id)
    return found


# ---------------------------------------------------------------- the state kept in the cache


@lru_cache(maxsize=1)
def version() -> str:
    """What the index's files depend on besides the copies: this module's code and the copies' (search.py)."""
    return hashlib.sha256(Path(__file__).read_bytes() + search.index_version().encode()).hexdigest()[:16]


COPY_BUCKETS = 256  # the pages' copies are kept apart from the state, in this many files by a hash of the url


class _Lost(Exception):
    """A copy the state names cannot be read back (its file missing, damaged or not what the state names)."""


def _bucket(url: str) -> int:
    return hashlib.blake2b(url.encode("utf-8", "surrogateescape"), digest_size=1).digest()[0]


@dataclass
class State:
    """The build's own record of the index it wrote: never fetched, kept in the cache.

    Every page's copy is kept too (the text it was indexed from: an update takes a changed page's old terms out), but
    not in the state's own file: in `COPY_BUCKETS` files beside it by a hash of the url (`buckets`: each one's content
    name, "" for none), read when one of their pages changed and written when one of their copies did. At city scale
    the copies are 100 MB: read and written whole at every rebuild, they took 0.7 s of one that changed a story."""

    chunks: list[str]  # each chunk's content name, in chunk order
    ids: dict[str, int]  # url -> page id
    next: int  # the next page id
    lengths: list[int]  # length byte per id (0: no page)
    total: int  # every page's length, for the average
    files: dict[str, str]  # every file of the index (relative to it) -> its content name
    copies: dict[str, str]  # url -> the copy the page was indexed from: every page's of the buckets in `loaded`
    unindexed: list[str] = field(default_factory=list)  # pages without a copy
    sharded: int = 0  # pages at the cold build that chose the chunk count
    marks: dict[str, Identity] = field(default_factory=dict)  # file -> its identity when written or carried
    buckets: list[str] = field(default_factory=lambda: [""] * COPY_BUCKETS)  # each bucket's file's content name
    source: Path | None = None  # the state's file the buckets were read beside (None: made in memory)
    loaded: set[int] = field(default_factory=lambda: set(range(COPY_BUCKETS)))  # buckets whose copies are all known
    dirty: set[int] = field(default_factory=lambda: set(range(COPY_BUCKETS)))  # buckets whose copies changed

    def data(self) -> dict[str, Any]:
        return {
            "version": version(),
            "chunks": self.chunks,
            "ids": self.ids,
            "next": self.next,
            "lengths": self.lengths,
            "total": self.total,
            "files": self.files,
            "buckets": self.buckets,
            "unindexed": self.unindexed,
            "sharded": self.sharded,
            "marks": self.marks,
        }

    def copy_of(self, url: str) -> str:
        """The copy the page at `url` (one the state names) was indexed from: `_Lost` when it cannot be read back."""
        self.load({_bucket(url)})
        try:
            return self.copies[url]
        except KeyError:
            raise _Lost(url) from None

    def load(self, numbers: Iterable[int]) -> None:
        """Read these buckets' copies (each once): `_Lost` when one is not exactly what the state names."""
        for number in sorted(set(numbers) - self.loaded):
            name = self.buckets[number]
            found = _read_bucket(self.source, number, name) if name else {}
            if any(url not in self.ids for url in found):
                raise _Lost(number)
            self.copies.update(found)
            self.loaded.add(number)

    def load_all(self) -> None:
        """Every page's copy (`_Lost` when one cannot be read back)."""
        self.load(range(COPY_BUCKETS))
        if not self.ids.keys() <= self.copies.keys():
            raise _Lost("a page without its copy")

    def put(self, url: str, copy: str | None) -> None:
        """The page at `url` now indexed from `copy` (None: gone); its bucket must be loaded."""
        number = _bucket(url)
        assert number in self.loaded, url
        if copy is None:
            self.copies.pop(url, None)
        else:
            self.copies[url] = copy
        self.dirty.add(number)


def state_path(out: Path) -> Path | None:
    """Where the state of the index of the site at `out` is kept (None when caching is off): the file `state` of the
    cache's entry `ownindex/<the output's key>/`, its copies' buckets beside it (one entry for the cache's bound:
    used, and trimmed, as one)."""
    folder = cache_dir()
    return folder / STATE_PART / search.output_key(out) / "state" if folder is not None else None


def _bucket_file(state: Path, number: int, name: str) -> Path:
    """The file of a bucket of copies of the state at `state`: beside it, named after it, the bucket and its content."""
    return state.with_name(f"{state.name}.{number:02x}-{name}.copies")


_COPIES_HEAD = b"dangjian own-index copies, marshal 4\n"


def _read_bucket(state: Path | None, number: int, name: str) -> dict[str, str]:
    """The copies of one bucket of the state at `state`, whose bytes must be those named `name`: `_Lost` when they
    are not (missing, a link, another user's, damaged, of another bucket) or are not plain copies."""
    if state is None:
        raise _Lost(number)
    try:
        data = read_regular(_bucket_file(state, number, name), _STATE_MAX, own=True)
    except OSError:
        raise _Lost(number) from None
    if _bucket_name(data) != name or not data.startswith(_COPIES_HEAD):
        raise _Lost(number)
    try:
        found = marshal.loads(memoryview(data)[len(_COPIES_HEAD) :])
    except (EOFError, TypeError, ValueError):
        raise _Lost(number) from None
    if not isinstance(found, dict) or not all(
        type(url) is str and type(copy) is str and _bucket(url) == number for url, copy in found.items()
    ):
        raise _Lost(number)
    return found


def _bucket_name(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _save_buckets(path: Path, state: State) -> bool:
    """Write the buckets of copies that changed beside `path` (all of them when the state was read elsewhere), each a
    new file named after its content, before the state naming them: False when one could not be written."""
    if state.source != path:
        state.load_all()
        state.dirty = set(range(COPY_BUCKETS))
    grouped: dict[int, dict[str, str]] = {number: {} for number in state.dirty}
    for url, copy in state.copies.items():
        number = _bucket(url)
        if number in grouped:
            grouped[number][url] = copy
    for number, copies in sorted(grouped.items()):
        if not copies:
            state.buckets[number] = ""
            continue
        data = _COPIES_HEAD + marshal.dumps(dict(sorted(copies.items())), 4)
        name = _bucket_name(data)
        target = _bucket_file(path, number, name)
        if not target.is_file() and not write_atomic(target, data):
            return False
        state.buckets[number] = name
    state.source, state.dirty = path, set()
    return True


def _drop_other_buckets(path: Path, state: State) -> None:
    """Remove the bucket files beside `path` the state kept there does not name (an earlier state's)."""
    named = {_bucket_file(path, number, name).name for number, name in enumerate(state.buckets) if name}
    prefix = path.name + "."
    try:
        listing = os.listdir(path.parent)
    except OSError:
        return
    for entry in listing:
        if entry.startswith(prefix) and entry.endswith(".copies") and entry not in named:
            try:
                os.unlink(path.parent / entry)
            except OSError:
                pass


# The state is marshalled plain values (strings, integers, lists, dictionaries, tuples) after this line: JSON took
# 2.2 s to read and write at city (37,300 pages' copies, 120 MB), marshal 0.35 s. Like every file of the cache it is
# trusted as the user's own (`read_regular(own=True)`: this user's alone), and checked value by value (`_state_of`).
_STATE_HEAD = b"dangjian own-index state, marshal 4\n"


def state_value(path: Path) -> Any:
    """The plain value kept at `path` (OSError, ValueError: not one `write_state_value` wrote)."""
    data = read_regular(path, _STATE_MAX, own=True)
    if not data.startswith(_STATE_HEAD):
        raise ValueError("not a state")
    try:
        return marshal.loads(memoryview(data)[len(_STATE_HEAD) :])
    except (EOFError, TypeError) as err:
        raise ValueError(str(err)) from None


def write_state_value(path: Path, value: Any) -> bool:
    """Keep `value` at `path`, atomically (False: it could not be)."""
    try:
        data = marshal.dumps(value, 4)
    except ValueError:  # a value marshal does not take: never ours
        return False
    return write_atomic(path, _STATE_HEAD + data)


def _is_ints(value: Any) -> bool:
    return isinstance(value, list) and all(type(item) is int for item in value)


def read_state(path: Path | None) -> State | None:
    """The state kept at `path`, or None when it is not exactly what `save_state` writes: missing, a link, not a
    regular file, another user's, too large, not JSON, of another version, or inconsistent."""
    if path is None:
        return None
    try:
        value = state_value(path)
    except (OSError, ValueError):
        return None
    try:
        state = _state_of(value)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if state is not None:
        state.source = path
        touch(path)  # used now: the cache's bound keeps it over older entries
        touch(path.parent)  # …and its entry, the state's folder with its buckets
    return state


_NAME12 = re.compile(r"[a-p]{12}")  # a file's name (`_name`)
_HEX16 = re.compile(r"[0-9a-f]{16}")


def _state_of(value: Any) -> State | None:
    if not isinstance(value, dict) or value.get("version") != version():
        return None
    chunks, ids, lengths, files, buckets = (value[k] for k in ("chunks", "ids", "lengths", "files", "buckets"))
    nxt, total, unindexed, sharded = value["next"], value["total"], value["unindexed"], value["sharded"]
    if not (isinstance(chunks, list) and chunks and all(isinstance(c, str) and _NAME12.fullmatch(c) for c in chunks)):
        return None
    if len(chunks) & (len(chunks) - 1) or not _is_ints([nxt, total, sharded]) or not _is_ints(lengths):
        return None
    if len(lengths) != nxt or not all(0 <= byte <= 255 for byte in lengths):
        return None
    if not (isinstance(ids, dict) and isinstance(files, dict) and isinstance(buckets, list)):
        return None
    if len(buckets) != COPY_BUCKETS or not all(
        b == "" or (isinstance(b, str) and _HEX16.fullmatch(b)) for b in buckets
    ):
        return None
    if not all(isinstance(url, str) for url in ids):
        return None
    if not all(type(page_id) is int and 0 <= page_id < nxt and lengths[page_id] for page_id in ids.values()):
        return None
    if len(set(ids.values())) != len(ids) or sum(1 for byte in lengths if byte) != len(ids):
        return None
    wanted = {"meta.gz"} | {f"c/{name}.gz" for name in chunks} | {fragment_file(page_id) for page_id in ids.values()}
    if set(files) != wanted or not all(isinstance(n, str) and _NAME12.fullmatch(n) for n in files.values()):
        return None
    if not (isinstance(unindexed, list) and all(isinstance(url, str) for url in unindexed)):
        return None
    marks = value.get("marks", {})
    if not isinstance(marks, dict):
        return None
    known = {rel: mark for rel, found in marks.items() if rel in files and (mark := identity_from(found)) is not None}
    return State(chunks, ids, nxt, lengths, total, files, {}, unindexed, sharded, known, buckets, None, set(), set())


def save_state(path: Path | None, state: State) -> None:
    """Keep `state` at `path` (atomically); a state that cannot be kept only makes the next index cold."""
    if path is None:
        return
    try:
        saved = _save_buckets(path, state) and write_state_value(path, state.data())
    except _Lost:  # a bucket of a state read elsewhere that cannot be read back: nothing to keep
        saved = False
    if not saved:
        _forget(path)  # the previous build's: not this output's any more
        return
    _drop_other_buckets(path, state)


def _forget(path: Path) -> None:
    """The state kept at `path` removed (the next index made cold), if it can be."""
    try:
        path.unlink()
    except OSError:
        pass


# ---------------------------------------------------------------- writing the index


def _write(folder: Path, rel: str, data: bytes, state: State) -> None:
    """Write a new file of the index: never through a hard link (the staging folder may hold the live site's), and
    writable by this user alone whatever the umask (`_carry` carries no file others may write)."""
    path = folder / rel
    path.unlink(missing_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
        file.flush()
        state.marks[rel] = identity(os.fstat(file.fileno()))
    state.files[rel] = _name(data)


def _meta(state: State) -> bytes:
    pages = sum(1 for byte in state.lengths if byte)
    meta = {
        "v": 2,  # 2: the fragments 16 to a file, under p/ (1: one file a page, under f/)
        "chunks": "".join(state.chunks),  # 12 hex digits each, in chunk order
        "fragments": FRAGMENTS,  # pages per fragment file
        "pages": pages,
        "average": round(state.total / max(1, pages), 2),
        "lengths": base64.b64encode(bytes(state.lengths)).decode("ascii"),
    }
    return _gzip(json.dumps(meta, separators=(",", ":")).encode("utf-8"))


def build_cold(folder: Path, copies: dict[str, str], chunks: int | None = None) -> State:
    """Write the index of `copies` (url -> copy) into `folder` (made anew): page ids in url order."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "c").mkdir(parents=True)
    (folder / "p").mkdir()
    state = State([], {}, 0, [], 0, {}, dict(copies))
    # one page at a time, its postings appended to each term's sparse payload in id order
    postings: dict[str, list[Any]] = {}  # term -> [sparse payload, last id, count]
    urls = sorted(copies)
    fragments: list[list[str] | None] = []  # the current fragment file's
    for page_id, (url, page) in enumerate(zip(urls, _parse_all(urls, copies))):
        for term, level in page.terms.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = [bytearray(), -1, 0]
            _varint(((page_id - entry[1] - 1) << 4) | level, entry[0])
            entry[1] = page_id
            entry[2] += 1
        fragments.append(_fragment(page))
        if len(fragments) == FRAGMENTS or page_id == len(urls) - 1:
            _write(folder, fragment_file(page_id), _fragments(fragments), state)
            fragments = []
        state.ids[url] = page_id
        state.lengths.append(_length_byte(page.length))
        state.total += page.length
    state.next = state.sharded = len(state.ids)
    entries = {}
    for term, (sparse, last, n) in postings.items():
        if len(sparse) <= last // 2 + 1:
            entries[term] = _entry(term, n, SPARSE, bytes(sparse))
        else:
            entries[term] = encode_entry(term, sorted(decode_postings(SPARSE, n, bytes(sparse)).items()))
    del postings
    if chunks is None:  # a power of two of chunks of about CHUNK_BYTES before gzip, fixed until a cold build
        size = sum(len(entry) for entry in entries.values())
        chunks = 1 << max(0, math.ceil(math.log2(max(1.0, size / CHUNK_BYTES))))
    grouped: dict[int, list[str]] = defaultdict(list)
    for term in entries:
        grouped[fnv1a(term) % chunks].append(term)
    for number in range(chunks):
        data = _gzip(_chunk_bytes({term: entries[term] for term in grouped.get(number, [])}))
        state.chunks.append(_name(data))
        _write(folder, f"c/{state.chunks[-1]}.gz", data, state)
    _write(folder, "meta.gz", _meta(state), state)
    return state


_PARALLEL_FROM = 400  # pages; below this a pool costs more than it saves
_CHUNK = 100


def _parse_all(urls: list[str], copies: dict[str, str]) -> Iterator[Page]:
    """`parse` of each url's copy, in order: on every core when there are many (a cold build parses every page: a
    city's cold build with search 190 → 164 s with this and the calendars); the workers inherit the copies by
    forking and are renewed every `RENEW_ITEMS` pages (reading a copy copies the parent's memory page it sits on)."""
    return in_order(_parse_copy, urls, copies, _PARALLEL_FROM, _CHUNK, renew=True)


def _parse_copy(copies: dict[str, str], url: str) -> Page:
    return parse(url, copies[url])


def update(folder: Path, state: State, after: Mapping[str, str | None]) -> State:
    """Bring the index in `folder` (described by `state`, its copies the pages before) to the pages `after` (url ->
    copy; None: the page as the state knows it, carried over): only the chunks of terms whose levels changed, the
    changed pages' fragments and the meta are written, and what they replace is removed. `_Lost` (before anything is
    written) when a changed page's copy before cannot be read back."""
    gone = [url for url in state.ids if url not in after]
    fresh = [
        url for url, copy in after.items() if copy is not None and (url not in state.ids or state.copy_of(url) != copy)
    ]
    changed = sorted(gone + fresh)
    state.load(_bucket(url) for url in changed)  # every copy read back before the ids change
    before = {url: state.copy_of(url) for url in changed if url in state.ids}
    delta: dict[str, dict[int, int]] = defaultdict(dict)  # term -> id -> new level (0: gone)
    fragments: dict[int, Page | None] = {}
    for url in changed:
        copy = after.get(url)
        old = _parsed(url, before[url]) if url in before else None
        new = _parsed(url, copy) if copy is not None else None
        if url not in state.ids:
            state.ids[url] = state.next
            state.next += 1
            state.lengths.append(0)
        page_id = state.ids[url]
        old_terms = old.terms if old else {}
        new_terms = new.terms if new else {}
        for term in old_terms.keys() | new_terms.keys():
            if old_terms.get(term) != new_terms.get(term):
                delta[term][page_id] = new_terms.get(term, 0)
        state.total += (new.length if new else 0) - (old.length if old else 0)
        state.lengths[page_id] = _length_byte(new.length) if new else 0
        fragments[page_id] = new
        if new is None:
            del state.ids[url]
    for url in changed:
        state.put(url, after.get(url))
    touched: dict[int, list[str]] = defaultdict(list)
    for term in delta:
        touched[fnv1a(term) % len(state.chunks)].append(term)
    for number, terms in sorted(touched.items()):
        old_name = state.chunks[number]
        entries = {term: entry[3] for term, entry in chunk_entries(_read_gz(folder / f"c/{old_name}.gz")).items()}
        for term in terms:
            current = decode_postings(*chunk_entries(entries[term])[term][:3]) if term in entries else {}
            for page_id, level in delta[term].items():
                if level:
                    current[page_id] = level
                else:
                    current.pop(page_id, None)
            if current:
                entries[term] = encode_entry(term, sorted(current.items()))
            else:
                entries.pop(term, None)
        data = _gzip(_chunk_bytes(entries))
        name = _name(data)
        if name != old_name:
            state.chunks[number] = name
            _write(folder, f"c/{name}.gz", data, state)
            if old_name not in state.chunks:
                (folder / f"c/{old_name}.gz").unlink()
                del state.files[f"c/{old_name}.gz"]
                state.marks.pop(f"c/{old_name}.gz", None)
    by_file: dict[int, dict[int, Page | None]] = defaultdict(dict)
    for page_id, page in fragments.items():
        by_file[page_id // FRAGMENTS][page_id % FRAGMENTS] = page
    for number, pages in sorted(by_file.items()):
        rel = _fragments_file(number)
        held: list[list[str] | None] = read_fragments(folder, number) if rel in state.files else [None] * FRAGMENTS
        for at, page in pages.items():
            held[at] = _fragment(page) if page is not None else None
        if any(held):
            _write(folder, rel, _fragments(held), state)
        else:
            (folder / rel).unlink(missing_ok=True)
            state.files.pop(rel, None)
            state.marks.pop(rel, None)
    _write(folder, "meta.gz", _meta(state), state)
    return state


def _read_gz(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _carry(previous: Path, folder: Path, state: State) -> bool:
    """Hard-link the previous output's index files into `folder` (made anew), each only when it is the file the
    state names (a file edited, added or swapped for a link in the output is never carried): whether every file was.

    A file is the one the state names when the new link is a regular file of this user alone whose identity is the
    one the state recorded when the file was written or last carried (`incremental.Identity`: the rule the pages'
    carrier follows, for the same reasons); a file without a recorded identity is read and its bytes checked."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "c").mkdir(parents=True)
    (folder / "p").mkdir()
    source_root, target_root = os.fspath(previous), os.fspath(folder)
    for rel, name in state.files.items():
        source, target = os.path.join(source_root, rel), os.path.join(target_root, rel)
        try:
            try:
                os.link(source, target, follow_symlinks=False)
            except OSError:
                shutil.copyfile(
                    source, target, follow_symlinks=False
                )  # a link or a pipe: copied as such, refused below
            # the file now in the new index is the one checked: a file swapped in the output since is not carried
            info = os.lstat(target)
            check_regular(info, target, _FILE_MAX, own=True)  # what `read_regular` refuses (`update` reads chunks)
            if state.marks.get(rel) != identity(info):
                if _name(read_regular(target, _FILE_MAX, own=True)) != name:
                    return False
                state.marks[rel] = identity(info)  # as it was before its bytes were read: a later change is seen
        except OSError:
            return False
    return True


@dataclass
class Taken:
    """The pages' copies (url -> copy; None: a page carried over whose copy the state holds) and the pages without."""

    copies: dict[str, str | None]
    unindexed: list[str]


def take(
    site: Path,
    previous: Path | None,
    changed: frozenset[str] | None,
    state: State | None,
    given: Mapping[str, str] | None = None,
    pages: Iterable[str] | None = None,
) -> Taken:
    """The copies of the pages of `site`: a page rendered with its copy apart (`given`: the build never wrote it into
    the page) is not read; any other rendered page's is taken out of it (readers never download them); a page
    carried over from `previous` (not in `changed`) is not read when `state` holds its copy (None: read from the state
    when needed) or knows it has none, else its copy is made again from the page.

    `pages`: the addresses of every page of `site` with a copy, when the caller knows them (the build: walking a
    city's 37,000 folders for them took 0.26 s), taken in url order; else every HTML file of `site`, in the order a
    walk finds them (a page without a copy is only left unindexed). The order is the state's only: an index gives
    new pages their ids in url order (`write`, `update`), whatever order its copies come in. (Sorting a city's pages
    into a walk's order took 0.1 s of every rebuild.)"""
    copies: dict[str, str | None] = {}
    unindexed: list[str] = []
    known = state.ids if state is not None and previous is not None and changed is not None else {}
    known_bare = set(state.unindexed) if state is not None and known else set()
    given = given or {}
    rels = search._site_pages(site) if pages is None else [search.page_file(url) for url in sorted(pages)]
    for rel in rels:
        url = search.page_url(rel)
        if url in given:
            copies[url] = given[url]
            continue
        carried = changed is not None and previous is not None and url not in changed
        if carried and url in known:
            copies[url] = None
            continue
        if carried and url in known_bare:
            unindexed.append(url)
            continue
        copy = search.take_copy(site / rel)
        if copy is None and carried:  # a page carried over that the state does not know
            copy = search.recover_copy(site / rel)
        if copy is None:
            unindexed.append(url)
        else:
            copies[url] = copy
    return Taken(copies, unindexed)


def index(site: Path, previous: Path | None = None, changed: frozenset[str] | None = None, *, keep: Path) -> str:
    """Index the pages of `site` into `site/djsearch/` from their search copies (removed from the pages); returns a
    summary line in Chinese. The new state is kept for the next build at once (`index_later`: when it is asked)."""
    summary, keep_state = index_later(site, previous, changed, keep=keep)
    keep_state()
    return summary


def index_later(
    site: Path,
    previous: Path | None = None,
    changed: frozenset[str] | None = None,
    *,
    keep: Path,
) -> tuple[str, Callable[[], None]]:
    """`index`, its state kept for the next build only when the function returned is called: a build calls it once
    the site is published. A build stopped after indexing (the privacy gate found a leak) keeps the state of the site
    still published, whose pages the next build carries over: kept as the stopped build's, its pages' words would be
    indexed for pages that no longer say them.

    `previous` and `changed` as for `search.index`. When the state kept for `keep` (the output folder the site will
    be published in) describes `previous`'s index exactly, that index is carried over and updated; else it is made
    cold."""
    return complete(begin(site, previous, changed, keep=keep), site, previous, Path(site) / FOLDER)


@dataclass
class Pending:
    """An index begun (`begin`): the pages' copies taken out of them, and the state of the previous index, if any."""

    path: Path | None  # where the state is kept
    state: State | None
    taken: Taken
    changed: frozenset[str] | None


def begin(
    site: Path,
    previous: Path | None,
    changed: frozenset[str] | None,
    *,
    keep: Path,
    given: Mapping[str, str] | None = None,
    pages: Iterable[str] | None = None,
) -> Pending:
    """The first half of `index_later`, before the site is published: each page's copy (`take`, of `pages` when
    given), the state of `previous`'s index read. `complete` makes the index, then or later (`serve`)."""
    path = state_path(keep)
    state = read_state(path) if previous is not None else None
    pages = None if pages is None else frozenset(pages)
    carried = pages - changed if pages is not None and changed is not None else frozenset()
    if state is not None and not _describes(state, previous, carried):
        state = None
    return Pending(path, state, take(Path(site), previous, changed, state, given, pages), changed)


def forget_state(pending: Pending) -> None:
    """The state kept no longer describes the output's index (`serve` published the site without one, to be made
    later): a next build that finds no index made from `pending` makes it cold, never carrying over copies of pages
    this site changed. `pending` holds what it read; its buckets stay until a new state is kept."""
    if pending.path is not None:
        _forget(pending.path)


def complete(pending: Pending, site: Path, previous: Path | None, folder: Path) -> tuple[str, Callable[[], None]]:
    """The second half of `index_later`: the index of the pages of `site` made in `folder`, updated from `previous`'s
    (the site `pending` was begun against, wherever it is now) when the state allows; the summary, and what keeps
    the new state."""
    state, taken = pending.state, pending.taken
    new: State | None = None
    if (
        state is not None
        and previous is not None
        and state.sharded <= 2 * len(taken.copies) <= 4 * max(1, state.sharded)  # else shard it again, cold
        and _carry(previous / FOLDER, folder, state)
    ):
        try:
            new, how = update(folder, state, taken.copies), "更新"
        except _Lost:
            new = None
    if new is None:
        copies = _every_copy(Path(site), previous, pending.changed, taken, state)
        new, how = build_cold(folder, copies), "新建"
    new.unindexed = taken.unindexed
    made, path = new, pending.path
    return f"搜索索引（自有）：{len(made.ids)} 个页面，{how}", lambda: save_state(path, made)


def _every_copy(
    site: Path, previous: Path | None, changed: frozenset[str] | None, taken: Taken, state: State | None
) -> dict[str, str]:
    """Every page's copy, for a cold index: those the state holds read back, or, when one cannot be, those of the
    pages carried over made again from the pages (the others' were taken out of them: `taken` holds them)."""
    copies = {url: copy for url, copy in taken.copies.items() if copy is not None}
    kept = [url for url, copy in taken.copies.items() if copy is None]
    if kept:
        assert state is not None
        try:
            state.load(_bucket(url) for url in kept)
            copies.update((url, state.copy_of(url)) for url in kept)
        except _Lost:
            again = take(site, previous, changed, None).copies
            return {**{url: copy for url, copy in again.items() if copy is not None}, **copies}
    return copies


def _describes(state: State, previous: Path | None, carried: frozenset[str] = frozenset()) -> bool:
    """Whether `state` can be the record of `previous`'s index: every page it names is a page of `previous`.

    A page `carried` over by this build is taken as one, unlooked-at (37,300 looks took 0.2 s of a city rebuild): the
    carrier found its file the very one the previous build recorded (`incremental.Identity`), so the copy the state
    holds of it is that file's, and the new site has it."""
    if previous is None:
        return False
    root = os.fspath(previous)
    return all(
        url in carried or os.path.isfile(os.path.join(root, search.page_file(url)))
        for url in chain(state.ids, state.unindexed)
    )


# ---------------------------------------------------------------- reading it back


def decoded(folder: Path) -> dict[str, tuple[str, str, dict[str, int], int]]:
    """{url: (title, text, {term: level}, length byte)} of every page of the index in `folder`: ids and file names
    left out, so that an updated index and a cold build of the same pages compare equal."""
    meta = json.loads(_read_gz(folder / "meta.gz"))
    lengths = base64.b64decode(meta["lengths"])
    names = [meta["chunks"][at : at + 12] for at in range(0, len(meta["chunks"]), 12)]
    by_id: dict[int, dict[str, int]] = defaultdict(dict)
    for name in names:
        for term, (kind, n, payload, _) in chunk_entries(_read_gz(folder / f"c/{name}.gz")).items():
            for page_id, level in decode_postings(kind, n, payload).items():
                by_id[page_id][term] = level
    pages = {}
    for number in range(0, len(lengths), FRAGMENTS):
        if not any(lengths[number : number + FRAGMENTS]):
            continue  # no page left among these ids: no file
        for page_id, fragment in enumerate(read_fragments(folder, number // FRAGMENTS), number):
            if (fragment is not None) != bool(page_id < len(lengths) and lengths[page_id]):
                raise ValueError(f"page id {page_id}: a fragment without a length, or a length without a fragment")
            if fragment is not None:
                url, title, text = fragment
                pages[url] = (title, text, by_id.get(page_id, {}), lengths[page_id])
    return pages


_META_MAX = 1 << 24  # a city's meta is about 60 KB gzip'd


def problem(folder: Path) -> str | None:
    """What is wrong with the published index in `folder` for a reader's search (in Chinese), or None when its meta
    is what `_meta` writes and every chunk and fragment it names is a regular file: `dangjian merge` checks each
    shard's index with it, since a reader's browser would otherwise fail on it at a query."""
    try:
        meta = json.loads(gunzip(read_regular(folder / "meta.gz", _META_MAX), _META_MAX))
    except FileNotFoundError:
        return "缺少 meta.gz"
    except (OSError, ValueError) as err:
        return f"meta.gz 读不出来（{err}）"
    if not isinstance(meta, dict) or meta.get("v") != 2:
        return "meta.gz 不是本版 dangjian 写的索引"
    chunks, pages, average, lengths = (meta.get(key) for key in ("chunks", "pages", "average", "lengths"))
    names = re.findall(r"[a-p]{12}", chunks) if isinstance(chunks, str) else []
    if not names or "".join(names) != chunks or len(names) & (len(names) - 1):
        return "meta.gz 列出的索引块名称有误"
    try:
        length_bytes = base64.b64decode(lengths, validate=True) if isinstance(lengths, str) else None
    except ValueError:
        length_bytes = None
    if length_bytes is None or type(pages) is not int or pages != sum(1 for byte in length_bytes if byte):
        return "meta.gz 的页面数与页面长度不一致"
    if isinstance(average, bool) or not isinstance(average, (int, float)) or not 0 <= average < 1e9:
        return "meta.gz 的平均长度有误"
    if meta.get("fragments") != FRAGMENTS:
        return "meta.gz 列出的每个片段文件的页面数有误"
    groups = sorted({n // FRAGMENTS for n, byte in enumerate(length_bytes) if byte})
    wanted = [f"c/{name}.gz" for name in names] + [_fragments_file(n) for n in groups]
    for rel in wanted:
        try:
            mode = os.lstat(folder / rel).st_mode
        except OSError:
            return f"缺少 meta.gz 列出的 {rel}"
        if not stat.S_ISREG(mode):
            return f"{rel} 是符号链接" if stat.S_ISLNK(mode) else f"{rel} 不是普通文件"
    return None


def files_of(folder: Path) -> Iterable[Path]:
    """Every file of the index in `folder`."""
    return sorted(path for path in folder.rglob("*") if path.is_file())
