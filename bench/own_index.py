"""A measured prototype of a search index of our own, beside Pagefind (issue 23; bench only, no product code).

Pagefind has no incremental mode: one changed page re-indexes its whole bundle. This prototype asks whether an
index of our own, made from the same search copies (`site/search.py`: folded to simplified characters, one token
per Han character, Latin words whole, the title weighted), would update in place, stay small to download and rank a
record's own page first. It prints figures and asserts nothing; `docs/search-own-index.md` reports them.

The format (one folder, every file but `state.json` fetched by the browser):

* `meta.gz`: gzip'd JSON: the number of chunks and each chunk's content hash (its file name), the pages'
  count and average length, and one byte per page id (its length, on a log scale) for the ranking.
* `c/<hash>.gz`: the postings, sharded by an FNV-1a hash of the term into a fixed number of chunks. A term is
  a token (a Han character or a Latin word) or two tokens that follow each other in a block (a bigram: a query
  of several characters asks for its bigrams, so a phrase needs no positions). Per page a term keeps one level
  1-15 (its weighted count, capped: a title token counts 10, a parent's name 3, the body 1). A term's postings
  are written sparse (page-id deltas and levels in varints) or dense (a nibble per page id), whichever is
  smaller; both are a function of the term's postings alone.
* `f/<id>.gz`: one fragment per page (url, title, the copy's body text for excerpts), by a page id that stays
  the same between builds (a new page takes a new id, a removed page's id is not reused).
* `state.json`: the build's own (url -> id, the next id, the lengths), never fetched.

An update reads only the copies that changed, re-encodes the terms whose levels changed in the chunks that
hold them (the other terms' bytes are copied as they were), writes those chunks, the changed pages' fragments
and the meta, and removes what they replace. Run from the repository root:

    export DANGJIAN_CACHE=/tmp/me/cache
    .venv/bin/dangjian build --root ROOT --out /tmp/me/site            # with search: copies kept in the cache
    .venv/bin/python bench/own_index.py --site /tmp/me/site --work /tmp/me/own [--repeat 3] [--no-browser]
    .venv/bin/python bench/own_index.py --site /tmp/big-site --recover --work /tmp/me/own-city --no-pagefind

`--recover` makes the copies from the published pages (`search.recover_copy`), e.g. of a `--no-search` build, and
keeps them in WORK/copies.json for `--copies`. `--after-site` (repeatable) names the same registry edited and built
with search: the update to its copies is measured too. `--check` decodes each update and compares it with a cold
build of the same pages; `--browser-client` runs own_index_client.js in Chromium against the Python model;
`--skip-cold --updates-only` measures the updates again over the index a previous run left in WORK/own.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import html
import itertools
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import accumulate, chain, compress, repeat
from operator import itemgetter, lshift, or_, sub
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dangjian.site import search

REPO = Path(__file__).resolve().parents[1]
LEVELS = 15  # a term's level on a page: its weighted count, 1..15
K1, B = 1.4, 0.5  # BM25 as Pagefind ranks (its term saturation 1.4; search.js sets pageLength 0.5)
RESULTS = 10  # fragments fetched for a query: the first ten results
HAN_CHAR = re.compile(f"[{search.HAN}]")
_P = re.compile(r'<p(?: data-pagefind-weight="(\d+)")?>(.*?)</p>', re.S)
_META_TITLE = re.compile(r'data-pagefind-meta="title:([^"]*)"')


# ---------------------------------------------------------------- pages from their copies


@dataclass
class Page:
    """What the index holds of one page, from its search copy."""

    url: str
    title: str
    text: str  # the body as an excerpt shows it (tokens joined as search.js joins them), blocks by newlines
    terms: dict[str, int]  # term -> level 1..15
    length: int  # word tokens of the weighted blocks (Pagefind's word count): what BM25 normalises by
    blocks: list[list[str]] = field(default_factory=list)  # each block's word tokens (to check phrases)


# A space the copy put between two tokens that an excerpt does not show: beside a Han character or punctuation
# (only two Latin-like words keep theirs: "Made with", not "G20 峰 会").
_UNSHOWN_SPACE = re.compile(rf"(?<=[{search.HAN}\W_]) | (?=[{search.HAN}\W_])")
_WORD = re.compile(r"[^\W_]+")  # a word token of the copy: a Han character or a run of other letters and digits


def parse(url: str, copy: str) -> Page:
    """A page from its copy: every word token and every pair of neighbouring word tokens in a block, weighted."""
    found = _META_TITLE.search(copy)
    title = html.unescape(found.group(1)) if found else ""
    counts: Counter[str] = Counter()
    lines: list[str] = []
    blocks: list[list[str]] = []
    length = 0
    for weight_text, inner in _P.findall(copy):
        weight = int(weight_text) if weight_text else 1
        text = html.unescape(inner)
        words = _WORD.findall(text.lower())  # as search.js cuts a query
        pairs = [f"{first} {second}" for first, second in zip(words, words[1:])]
        if weight == 1:
            counts.update(words)
            counts.update(pairs)
            lines.append(_UNSHOWN_SPACE.sub("", text))
        else:
            for term in words + pairs:
                counts[term] += weight  # weight 0 (the title key): held, at the lowest level
        if weight:
            length += len(words)
            blocks.append(words)
    terms = {term: max(1, min(LEVELS, count)) for term, count in counts.items()}
    return Page(url, title, "\n".join(lines), terms, length, blocks)


def copies_of(site: Path, recover: bool = False) -> dict[str, str]:
    """url -> copy of every indexed page of a site built with search: from the copies the build kept in the cache
    (`search.copies_path`) where their digest is the one the bundle records, else made again from the page."""
    if recover:
        return _recovered(site)
    recorded = json.loads((site / "pagefind" / search.PAGES_FILE).read_text(encoding="utf-8"))["pages"]
    kept = search._read_copies(search.copies_path(site, search.MAIN))
    copies = {}
    for url, digest in recorded.items():
        copy = kept.get(url)
        if copy is None or search._digest(copy) != digest:
            copy = search.recover_copy(site / search.page_file(url))
        if copy is not None:
            copies[url] = copy
    return copies


def _recovered(site: Path) -> dict[str, str]:
    copies = {}
    for rel in search._site_pages(site):
        copy = search.recover_copy(site / rel)
        if copy is not None:
            copies[search.page_url(rel)] = copy
    return copies


# ---------------------------------------------------------------- encoding


def fnv1a(text: str) -> int:
    """FNV-1a over the term's UTF-8 bytes (the browser: TextEncoder and Math.imul)."""
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


# Byte tables for the fast paths below: str/bytes methods and itertools run in C, a Python loop per posting
# does not (a city's common terms hold 10,000-37,000 postings each, and an added page touches hundreds of them).
_LOW = bytes(byte & 15 for byte in range(256))
_HIGH = bytes(byte >> 4 for byte in range(256))
_GAP = bytes((byte >> 4) + 1 for byte in range(128)) + bytes(128)  # a one-byte sparse value: id step
_SHIFT = bytes((byte << 4) & 0xFF for byte in range(256))


def encode_postings(postings: list[tuple[int, int]]) -> tuple[int, bytes]:
    """(kind, payload) of a term's (id, level) pairs sorted by id: sparse varints or a nibble per id, whichever is
    smaller (sparse on a tie). The same bytes as `_encode_plain`, through maps of C functions and memo tables."""
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


def _encode_plain(postings: list[tuple[int, int]]) -> tuple[int, bytes]:
    """encode_postings written plainly, one posting at a time (the reference the fast one is tested against)."""
    sparse = bytearray()
    last = -1
    for page_id, level in postings:
        _varint(((page_id - last - 1) << 4) | level, sparse)
        last = page_id
    dense_size = postings[-1][0] // 2 + 1
    if len(sparse) <= dense_size:
        return SPARSE, bytes(sparse)
    dense = bytearray(dense_size)
    for page_id, level in postings:
        dense[page_id >> 1] |= level << (4 * (page_id & 1))
    return DENSE, bytes(dense)


def decode_postings(kind: int, count: int, payload: bytes) -> dict[int, int]:
    """id -> level of one term."""
    if kind == DENSE:
        nibbles = bytearray(2 * len(payload))
        nibbles[0::2] = payload.translate(_LOW)
        nibbles[1::2] = payload.translate(_HIGH)
        return dict(zip(compress(itertools.count(), nibbles), nibbles.replace(b"\0", b"")))
    if len(payload) == count:  # every value one byte
        ids = accumulate(payload.translate(_GAP), initial=-1)
        next(ids)
        return dict(zip(ids, payload.translate(_LOW)))
    values = _VARINT.findall(payload)  # each value's bytes
    ids = accumulate(map(_STEPS.__getitem__, values), initial=-1)
    next(ids)
    return dict(zip(ids, map(_LEVELS.__getitem__, values)))


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


def _varint_value(data: bytes) -> int:
    return _read_varint(data, 0)[0]


_VARINT = re.compile(rb"[\x80-\xff]*[\x00-\x7f]")
_VARINTS = _Memo(_varint_bytes)
_STEPS = _Memo(lambda data: (_varint_value(data) >> 4) + 1)
_LEVELS = _Memo(lambda data: _varint_value(data) & 15)
_RUNS = _Memo(lambda run: bytes(run[0]) + bytes((run[1],)))  # (gap, level): the gap's empty ids, then the level
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def encode_entry(term: str, postings: list[tuple[int, int]]) -> bytes:
    """One term's entry in a chunk: its UTF-8 length and bytes, kind, page count, payload length, payload."""
    return _entry(term, len(postings), *encode_postings(postings))


def _entry(term: str, count: int, kind: int, payload: bytes) -> bytes:
    name = term.encode("utf-8")
    out = bytearray()
    _varint(len(name), out)
    out += name
    out.append(kind)
    _varint(count, out)
    _varint(len(payload), out)
    return bytes(out) + payload


def _entry_from_sparse(term: str, sparse: bytearray, last: int, count: int) -> bytes:
    """encode_entry's bytes from the term's sparse payload, made page by page in id order (a cold build)."""
    if len(sparse) <= last // 2 + 1:
        return _entry(term, count, SPARSE, bytes(sparse))
    return encode_entry(term, sorted(decode_postings(SPARSE, count, bytes(sparse)).items()))


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
        count, at = _read_varint(data, at + 1)
        length, at = _read_varint(data, at)
        payload = data[at : at + length]
        at += length
        entries[term] = (kind, count, payload, data[start:at])
    return entries


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, 9, mtime=0)


def _length_byte(length: int) -> int:
    """A page's length on a log scale, 1..255 (0: no page at this id)."""
    return max(1, min(255, round(16 * math.log2(length + 1)) + 1))


def _length_of(byte: int) -> float:
    return 2 ** ((byte - 1) / 16) - 1


# ---------------------------------------------------------------- the index on disk


@dataclass
class Written:
    """What a cold build or an update wrote and removed."""

    files: list[tuple[str, int]] = field(default_factory=list)  # (path relative to the index, bytes)
    removed: list[str] = field(default_factory=list)
    cpu: float = 0.0
    wall: float = 0.0

    @property
    def bytes(self) -> int:
        return sum(size for _, size in self.files)


def _write(folder: Path, rel: str, data: bytes, written: Written) -> None:
    path = folder / rel
    path.unlink(missing_ok=True)  # never write through a hard link into another output's file
    path.write_bytes(data)
    written.files.append((rel, len(data)))


def _chunk_name(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


class Index:
    """The index in `folder`: made cold from pages, or updated in place from changed copies."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    # --- cold
    def build(self, copies: dict[str, str], chunk_kb: float = 24.0, chunks: int | None = None) -> Written:
        started, cpu = time.perf_counter(), time.process_time()
        written = Written()
        shutil.rmtree(self.folder, ignore_errors=True)
        (self.folder / "c").mkdir(parents=True)
        (self.folder / "f").mkdir()
        # one page at a time, its postings appended to each term's sparse payload in id order (a city's pages
        # parsed at once would hold every page's terms: gigabytes)
        postings: dict[str, list[Any]] = {}  # term -> [sparse payload, last id, count]
        ids: dict[str, int] = {}
        lengths: list[int] = []
        total = 0
        for page_id, url in enumerate(sorted(copies)):
            page = parse(url, copies[url])
            for term, level in page.terms.items():
                entry = postings.get(term)
                if entry is None:
                    entry = postings[term] = [bytearray(), -1, 0]
                _varint(((page_id - entry[1] - 1) << 4) | level, entry[0])
                entry[1] = page_id
                entry[2] += 1
            _write(self.folder, f"f/{page_id}.gz", self._fragment(page), written)
            ids[url] = page_id
            lengths.append(_length_byte(page.length))
            total += page.length
        entries = {term: _entry_from_sparse(term, *entry) for term, entry in postings.items()}
        del postings
        if chunks is None:  # a power of two of chunks of about chunk_kb before gzip, fixed until a cold build
            size = sum(len(entry) for entry in entries.values())
            chunks = 1 << max(0, math.ceil(math.log2(max(1.0, size / (chunk_kb * 1000)))))
        grouped: dict[int, list[str]] = defaultdict(list)
        for term in entries:
            grouped[fnv1a(term) % chunks].append(term)
        names = []
        for number in range(chunks):
            data = _gzip(self._chunk_bytes({term: entries[term] for term in grouped.get(number, [])}))
            names.append(_chunk_name(data))
            _write(self.folder, f"c/{names[-1]}.gz", data, written)
        state = {"chunks": names, "ids": ids, "next": len(ids), "lengths": lengths, "total": total}
        self._finish(state, written)
        written.cpu, written.wall = time.process_time() - cpu, time.perf_counter() - started
        return written

    @staticmethod
    def _chunk_bytes(entries: dict[str, bytes]) -> bytes:
        return b"".join(entries[term] for term in sorted(entries, key=lambda term: term.encode("utf-8")))

    @staticmethod
    def _fragment(page: Page) -> bytes:
        return _gzip(json.dumps([page.url, page.title, page.text], ensure_ascii=False).encode("utf-8"))

    def _finish(self, state: dict[str, Any], written: Written) -> None:
        lengths = state["lengths"]
        pages = sum(1 for byte in lengths if byte)
        meta = {
            "v": 1,
            "chunks": "".join(state["chunks"]),  # 12 hex digits each, in chunk order
            "pages": pages,
            "average": round(state["total"] / max(1, pages), 2),
            "lengths": base64.b64encode(bytes(lengths)).decode("ascii"),
        }
        _write(self.folder, "meta.gz", _gzip(json.dumps(meta, separators=(",", ":")).encode("utf-8")), written)
        _write(self.folder, "state.json", json.dumps(state, ensure_ascii=False).encode("utf-8"), written)
        written.files.pop()  # state.json is the build's own: not part of what is published for readers

    def state(self) -> dict[str, Any]:
        return json.loads((self.folder / "state.json").read_text(encoding="utf-8"))

    # --- update
    def update(self, before: dict[str, str], after: dict[str, str]) -> Written:
        """Bring the index of the pages `before` (url -> copy) to `after` by rewriting what changed."""
        started, cpu = time.perf_counter(), time.process_time()
        written = Written()
        state = self.state()
        ids: dict[str, int] = state["ids"]
        lengths: list[int] = state["lengths"]
        changed = sorted(url for url in set(before) | set(after) if before.get(url) != after.get(url))
        delta: dict[str, dict[int, int]] = defaultdict(dict)  # term -> id -> new level (0: gone)
        fragments: dict[int, Page | None] = {}
        for url in changed:
            old = parse(url, before[url]) if url in before else None
            new = parse(url, after[url]) if url in after else None
            if url not in ids:
                ids[url] = state["next"]
                state["next"] += 1
                lengths.append(0)
            page_id = ids[url]
            old_terms = old.terms if old else {}
            new_terms = new.terms if new else {}
            for term in old_terms.keys() | new_terms.keys():
                if old_terms.get(term) != new_terms.get(term):
                    delta[term][page_id] = new_terms.get(term, 0)
            state["total"] += (new.length if new else 0) - (old.length if old else 0)
            lengths[page_id] = _length_byte(new.length) if new else 0
            fragments[page_id] = new
            if new is None:
                del ids[url]
        count = len(state["chunks"])
        touched: dict[int, list[str]] = defaultdict(list)
        for term in delta:
            touched[fnv1a(term) % count].append(term)
        for number, terms in sorted(touched.items()):
            old_name = state["chunks"][number]
            entries = {
                term: entry[3] for term, entry in chunk_entries(gzip.decompress(self._read(f"c/{old_name}.gz"))).items()
            }
            for term in terms:
                current = (
                    decode_postings(*chunk_entries(entries[term])[term][:3]) if term in entries else {}
                )  # the term's own entry, decoded
                for page_id, level in delta[term].items():
                    if level:
                        current[page_id] = level
                    else:
                        current.pop(page_id, None)
                if current:
                    entries[term] = encode_entry(term, sorted(current.items()))
                else:
                    entries.pop(term, None)
            data = _gzip(self._chunk_bytes(entries))
            name = _chunk_name(data)
            if name != old_name:
                _write(self.folder, f"c/{name}.gz", data, written)
                if old_name not in state["chunks"][:number] + state["chunks"][number + 1 :]:
                    (self.folder / f"c/{old_name}.gz").unlink()
                    written.removed.append(f"c/{old_name}.gz")
                state["chunks"][number] = name
        for page_id, page in sorted(fragments.items()):
            if page is None:
                (self.folder / f"f/{page_id}.gz").unlink()
                written.removed.append(f"f/{page_id}.gz")
            else:
                _write(self.folder, f"f/{page_id}.gz", self._fragment(page), written)
        self._finish(state, written)
        written.cpu, written.wall = time.process_time() - cpu, time.perf_counter() - started
        return written

    def _read(self, rel: str) -> bytes:
        return (self.folder / rel).read_bytes()

    # --- reading it back (tests; a decoded index compares an update with a cold build by meaning)
    def decoded(self) -> dict[str, Any]:
        """{url: (title, text, {term: level}, length byte)} of every page: ids and file names left out."""
        meta = json.loads(gzip.decompress(self._read("meta.gz")))
        lengths = base64.b64decode(meta["lengths"])
        names = [meta["chunks"][at : at + 12] for at in range(0, len(meta["chunks"]), 12)]
        by_id: dict[int, dict[str, int]] = defaultdict(dict)
        for name in names:
            for term, (kind, count, payload, _) in chunk_entries(gzip.decompress(self._read(f"c/{name}.gz"))).items():
                for page_id, level in decode_postings(kind, count, payload).items():
                    by_id[page_id][term] = level
        pages = {}
        for page_id in range(len(lengths)):
            if not lengths[page_id]:
                continue
            url, title, text = json.loads(gzip.decompress(self._read(f"f/{page_id}.gz")))
            pages[url] = (title, text, by_id.get(page_id, {}), lengths[page_id])
        return pages


# ---------------------------------------------------------------- the query, as a browser client would run it


@dataclass
class Answer:
    """A query's results (urls, best first) and the files a browser would fetch for them."""

    query: str
    urls: list[str]
    fetched: list[tuple[str, int]]  # (file, bytes as served: the files are gzip already)
    candidates: int = 0  # pages holding every bigram of each word
    fallback: bool = False  # no page held the words as typed: every token anywhere
    ranks: list[tuple[bool, float]] = field(default_factory=list)  # (titled as the query, score) of each url

    @property
    def bytes(self) -> int:
        return sum(size for _, size in self.fetched)


class Client:
    """What a plain JS client would do: fetch meta, the chunks of the query's terms, rank, fetch fragments."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.meta_bytes = (folder / "meta.gz").read_bytes()
        self.meta = json.loads(gzip.decompress(self.meta_bytes))
        self.names = [self.meta["chunks"][at : at + 12] for at in range(0, len(self.meta["chunks"]), 12)]
        self.lengths = base64.b64decode(self.meta["lengths"])
        self._chunks: dict[int, dict[str, tuple[int, int, bytes, bytes]]] = {}

    def _chunk(self, number: int, fetched: list[tuple[str, int]]) -> dict[str, tuple[int, int, bytes, bytes]]:
        rel = f"c/{self.names[number]}.gz"
        data = (self.folder / rel).read_bytes()
        if not any(name == rel for name, _ in fetched):
            fetched.append((rel, len(data)))
        if number not in self._chunks:
            self._chunks[number] = chunk_entries(gzip.decompress(data))
        return self._chunks[number]

    def postings(self, term: str, fetched: list[tuple[str, int]]) -> dict[int, int]:
        entry = self._chunk(fnv1a(term) % len(self.names), fetched).get(term)
        return decode_postings(*entry[:3]) if entry else {}

    def search(self, query: str, titled_first: bool = True, results: int = RESULTS) -> Answer:
        fetched: list[tuple[str, int]] = [("meta.gz", len(self.meta_bytes))]
        words = [search.query_tokens(word) for word in query.split()]
        words = [tokens for tokens in words if tokens]
        if not words:
            return Answer(query, [], fetched)
        terms = [term for tokens in words for term in _terms(tokens)]
        lists = {term: self.postings(term, fetched) for term in terms}
        pages = set.intersection(*(set(found) for found in lists.values()))
        answer = Answer(query, [], fetched, candidates=len(pages))
        if not pages and any(len(tokens) > 1 for tokens in words):  # as search.js: every token anywhere
            answer.fallback = True
            lists = {token: self.postings(token, fetched) for tokens in words for token in tokens}
            pages = set.intersection(*(set(found) for found in lists.values()))
        titled = set(self.postings(search.title_key(query), fetched)) if titled_first else set()
        count, average = self.meta["pages"], self.meta["average"]
        scores = {}
        for page_id in pages:
            norm = K1 * (1 - B + B * _length_of(self.lengths[page_id]) / average)
            score = 0.0
            for found in lists.values():
                df = len(found)
                idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
                level = found[page_id]
                score += idf * level * (K1 + 1) / (level + norm)
            scores[page_id] = score
        order = sorted(pages, key=lambda page_id: (page_id not in titled, -scores[page_id], page_id))
        for page_id in order[:results]:
            rel = f"f/{page_id}.gz"
            data = (self.folder / rel).read_bytes()
            fetched.append((rel, len(data)))
            answer.urls.append(json.loads(gzip.decompress(data))[0])
            answer.ranks.append((page_id in titled, scores[page_id]))
        return answer


def sharded(work: Path, copies: dict[str, str], shards: int, chunk_kb: float = 24.0) -> list[Client]:
    """The site's pages spread over `shards` indexes as search.partition spreads Pagefind parts (by a hash of
    their record), each built cold: what `dangjian merge`'s shards, or parts, would each publish."""
    groups: dict[int, dict[str, str]] = defaultdict(dict)
    for url, copy in copies.items():
        groups[search._bucket(url, shards)][url] = copy
    clients = []
    for number in range(shards):
        index = Index(work / f"shard-{number}")
        index.build(groups[number], chunk_kb)
        clients.append(Client(index.folder))
    return clients


def merged_search(clients: list[Client], query: str) -> tuple[int, int, list[str]]:
    """(bytes, files, first urls) of one search over several indexes merged in the browser: each index's meta
    and chunks, then the fragments of the first ten results over all of them (titled first, then by score)."""
    size = files = 0
    shown = []
    for client in clients:
        answer = client.search(query)
        chunks = [(name, bytes_) for name, bytes_ in answer.fetched if not name.startswith("f/")]
        size += sum(bytes_ for _, bytes_ in chunks)
        files += len(chunks)
        fragments = [bytes_ for name, bytes_ in answer.fetched if name.startswith("f/")]
        shown += [
            (not titled, -score, url, bytes_)
            for (titled, score), url, bytes_ in zip(answer.ranks, answer.urls, fragments)
        ]
    first = sorted(shown)[:RESULTS]
    return size + sum(item[3] for item in first), files + len(first), [item[2] for item in first]


def _terms(tokens: list[str]) -> list[str]:
    """A word's terms: its token alone, or its bigrams (a phrase of n tokens is held by n - 1 bigrams)."""
    if len(tokens) == 1:
        return tokens
    return [f"{first} {second}" for first, second in zip(tokens, tokens[1:])]


def exact_counts(copies: dict[str, str], queries: list[str]) -> dict[str, int]:
    """How many pages hold each word of each query contiguously in one block (what a phrase search means): one
    pass over the pages, each parsed once."""
    wanted = {query: [tokens for tokens in map(search.query_tokens, query.split()) if tokens] for query in queries}
    counts = dict.fromkeys(queries, 0)

    def holds(blocks: list[list[str]], tokens: list[str]) -> bool:
        size = len(tokens)
        return any(block[at : at + size] == tokens for block in blocks for at in range(len(block) - size + 1))

    for url, copy in copies.items():
        blocks = parse(url, copy).blocks
        for query, words in wanted.items():
            if words and all(holds(blocks, tokens) for tokens in words):
                counts[query] += 1
    return counts


def titles_of(copies: dict[str, str]) -> dict[str, str]:
    """url -> the page's title (its copy's data-pagefind-meta)."""
    return {
        url: html.unescape(found.group(1)) if (found := _META_TITLE.search(copy)) else ""
        for url, copy in copies.items()
    }


# ---------------------------------------------------------------- Pagefind beside it


def pagefind_cold(copies: dict[str, str], work: Path) -> dict[str, float]:
    """Pagefind over a tree like search.index writes (one index page per copy, same flags): the tree's writing
    time, then the binary's wall, CPU (its rusage) and output size."""
    tree, out = work / "tree", work / "out"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started, cpu = time.perf_counter(), time.process_time()
    for url, copy in copies.items():
        search._write_index_page(tree / search.page_file(url), copy)
    tree_wall, tree_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(search.pagefind_binary()), "--site", str(tree), "--output-path", str(out)]
        + ["--force-language", search.INDEX_LANGUAGE],
        stdout=subprocess.DEVNULL,
        stderr=(work / "pagefind.err").open("wb"),
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status:
        raise RuntimeError(f"pagefind failed: {(work / 'pagefind.err').read_text(errors='replace')[:500]}")
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    return {
        "tree_wall": tree_wall,
        "tree_cpu": tree_cpu,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
        "bytes": size,
    }


# ---------------------------------------------------------------- the measurements


def queries(titles: dict[str, str], seed: int) -> list[tuple[str, str]]:
    """(label, query) as a reader types them: three phrases, a village, a project (the county has no brand
    records), a public member, each also in 繁體 (OpenCC s2t; the client folds it back as search.js folds)."""
    rng = random.Random(seed)

    def titled(pattern: str) -> list[str]:
        return sorted({title for url, title in titles.items() if re.fullmatch(pattern, url)})

    village = rng.choice([title for title in titled(r"orgs/[^/]+/") if "村党" in title])
    village = village.split("党")[0]  # 长泉村党总支0-0-9 -> 长泉村
    project = rng.choice(titled(r"projects/[^/]+/"))
    member = rng.choice(titled(r"members/[^/]+/"))
    simplified = [
        ("phrase", "乡村振兴"),
        ("phrase", "三会一课"),
        ("phrase", "党员活动日"),
        ("village", village),
        ("project", project),
        ("member", member),
    ]
    import opencc  # the folding table's source (search.fold_table): how a 繁體 reader would write the same

    converter = opencc.OpenCC("s2t")
    return simplified + [(f"{label} 繁體", converter.convert(query)) for label, query in simplified]


def typed(client: Client, query: str) -> tuple[int, int]:
    """(bytes, files) fetched over the prefixes of `query` as a reader types it (each file once: cached)."""
    seen: dict[str, int] = {}
    for end in range(1, len(query) + 1):
        for name, size in client.search(query[:end]).fetched:
            seen[name] = size
    return sum(seen.values()), len(seen)


def record_titles(titles: dict[str, str], count: int, seed: int) -> list[tuple[str, str]]:
    """`count` random (url, title) of records' own pages (an org, a project, a member, a story)."""
    records = [
        (url, title)
        for url, title in sorted(titles.items())
        if re.fullmatch(r"(orgs|projects|members|stories)/[^/]+/", url) and search.SUB_PAGE not in title
    ]
    return random.Random(seed).sample(records, min(count, len(records)))


def _rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _edited(copy: str) -> str:
    """`copy` with one body word changed: the first Han character of its first body block after the title."""
    blocks = list(re.finditer(r"<p>(.*?)</p>", copy))
    for block in blocks:
        found = HAN_CHAR.search(block.group(1))
        if found:
            at = block.start(1) + found.start()
            return copy[:at] + ("改" if copy[at] != "改" else "变") + copy[at + 1 :]
    raise ValueError("no Han character in the copy's body")


def measure(args: argparse.Namespace) -> None:
    site, work = args.site.resolve(), args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.copies:
        copies = json.loads(args.copies.read_text(encoding="utf-8"))
    else:
        copies = copies_of(site, args.recover)
        if args.recover:  # kept for the next run (37,300 pages take minutes to recover)
            (work / "copies.json").write_text(json.dumps(copies, ensure_ascii=False), encoding="utf-8")
    source = "kept" if args.copies else "from the pages" if args.recover else "the cache pack"
    print(
        f"copies: {len(copies):,} pages, {sum(len(c.encode()) for c in copies.values()) / 1e6:.1f} MB, "
        f"read in {time.perf_counter() - started:.1f} s ({source})"
    )
    index = Index(work / "own")

    if args.skip_cold and (index.folder / "state.json").is_file():
        print(f"\n1. cold indexing: skipped (--skip-cold: the index a previous run built in {index.folder})")
    else:
        print("\n1. cold indexing")
        runs = [index.build(copies, args.chunk_kb) for _ in range(args.repeat)]
        written = runs[-1]
        chunks = [size for rel, size in written.files if rel.startswith("c/")]
        fragments = [size for rel, size in written.files if rel.startswith("f/")]
        print(
            f"  ours (Python, in-process): CPU {_median([r.cpu for r in runs]):.2f} s, "
            f"wall {_median([r.wall for r in runs]):.2f} s "
            f"(median of {len(runs)}: CPU {', '.join(f'{r.cpu:.2f}' for r in runs)})"
        )
        print(
            f"    {len(written.files):,} files, {written.bytes / 1e6:.2f} MB: "
            f"meta {dict(written.files)['meta.gz'] / 1e3:.1f} KB, "
            f"{len(chunks)} chunks (median {_median(chunks) / 1e3:.1f} KB, largest {max(chunks) / 1e3:.1f} KB), "
            f"{len(fragments):,} fragments (median {_median(fragments) / 1e3:.2f} KB)"
        )
        print(f"    this process's peak RSS so far (the copies included): {_rss_mib():.0f} MiB")
        if not args.no_pagefind:
            pf = [pagefind_cold(copies, work / "pagefind") for _ in range(args.repeat)]
            print(
                f"  Pagefind over the same copies: binary CPU {_median([r['cpu'] for r in pf]):.2f} s, wall "
                f"{_median([r['wall'] for r in pf]):.2f} s (CPU {', '.join('%.2f' % r['cpu'] for r in pf)}; peak RSS "
                f"{max(r['rss_mib'] for r in pf):.0f} MiB), plus writing its tree of index pages: CPU "
                f"{_median([r['tree_cpu'] for r in pf]):.2f} s, wall {_median([r['tree_wall'] for r in pf]):.2f} s; "
                f"output {pf[-1]['bytes'] / 1e6:.2f} MB"
            )

    print("\n2. updates (the index copied as hard links, as a reused staging folder would hold it)")
    urls = sorted(copies)
    rng = random.Random(args.seed)
    target = rng.choice([url for url in urls if re.fullmatch(r"orgs/[^/]+/", url)] or urls)
    added_from = rng.choice([url for url in urls if re.fullmatch(r"projects/[^/]+/", url)] or urls)
    removed = rng.choice([url for url in urls if re.fullmatch(r"stories/[^/]+/", url)] or urls)
    edits = {
        f"one word changed ({target})": {**copies, target: _edited(copies[target])},
        f"one page added (a copy of {added_from} with one word changed)": {
            **copies,
            "projects/p-own-index-new/": _edited(copies[added_from]),
        },
        f"one page removed ({removed})": {url: copy for url, copy in copies.items() if url != removed},
    }
    longest = max(urls, key=lambda url: (len(parse(url, copies[url]).terms), url))  # the worst page to add
    terms = len(parse(longest, copies[longest]).terms)
    edits[f"the page of most terms ({longest}, {terms}) added again as a new page, one word changed"] = {
        **copies,
        longest.rstrip("/") + "-own-index-new/": _edited(copies[longest]),
    }
    for after_site in args.after_site or []:
        edits[f"a real rebuild's copies ({after_site.name})"] = copies_of(after_site.resolve(), args.recover)
    for label, after in edits.items():
        times = []
        for _ in range(args.repeat):
            trial = Index(work / "updated")
            shutil.rmtree(trial.folder, ignore_errors=True)
            subprocess.run(["cp", "-al", str(index.folder), str(trial.folder)], check=True)
            times.append(trial.update(copies, after))
        result = times[-1]
        kinds: dict[str, int] = defaultdict(int)
        for rel, _ in result.files:
            kinds[rel.split("/")[0] if "/" in rel else rel] += 1
        changed = sum(1 for url in set(copies) | set(after) if copies.get(url) != after.get(url))
        print(
            f"  {label}: {changed} page(s) changed; CPU {_median([t.cpu for t in times]):.3f} s, wall "
            f"{_median([t.wall for t in times]):.3f} s (median of {len(times)}); wrote {len(result.files)} files "
            f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), {result.bytes / 1e3:.1f} KB; "
            f"removed {len(result.removed)}"
        )
        if args.check:
            cold = Index(work / "cold-after")
            cold.build(after, chunks=len(index.state()["chunks"]))
            same = cold.decoded() == trial.decoded()
            print(f"    decoded, the update equals a cold build of the same pages: {same}")

    if args.updates_only:
        return
    print("\n3. a query's download (files as served; they are gzip already)")
    titles = titles_of(copies)
    asked = queries(titles, args.seed)
    exact = exact_counts(copies, [query for _, query in asked])
    client = Client(index.folder)
    browser = None if args.no_browser else _pagefind_download
    pagefind_bundle = None if args.no_pagefind else work / "pagefind" / "out"
    t2s = REPO / "site_templates" / "overrides" / "assets" / "dangjian" / "t2s.js"
    print(f"  (beside ours, a client would fetch t2s.js once: {t2s.stat().st_size / 1e3:.1f} KB, and its own script)")
    for label, query in asked:
        answer = client.search(query)
        total, files = typed(client, query)
        line = (
            f"  {label:<16} {query:<14} ours {answer.bytes / 1e3:6.1f} KB in {len(answer.fetched)} files "
            f"(meta + {sum(1 for n, _ in answer.fetched if n.startswith('c/'))} chunks + "
            f"{sum(1 for n, _ in answer.fetched if n.startswith('f/'))} fragments); typed char by char "
            f"{total / 1e3:.1f} KB; {answer.candidates} pages hold the bigrams, {exact[query]} the phrase"
            + (" (fallback: tokens anywhere)" if answer.fallback else "")
        )
        if browser and not args.recover:
            line += f"; Pagefind {browser(site, query)}"
        if pagefind_bundle is not None:
            line += f"; Pagefind {pagefind_estimate(pagefind_bundle, t2s, query)}"
        print(line, flush=True)

    if args.browser_client:
        print("\n3b. the JS client in Chromium (bench/own_index_client.js)")
        browser_client(index.folder, work, asked, client)

    if args.shards > 1:
        started, cpu = time.perf_counter(), time.process_time()
        clients = sharded(work, copies, args.shards, args.shard_chunk_kb or args.chunk_kb)
        print(
            f"\n3c. the same queries over {args.shards} indexes merged in the browser (pages spread as "
            f"search.partition spreads them; chunks of {args.shard_chunk_kb or args.chunk_kb:g} KB before gzip; "
            f"built in {time.process_time() - cpu:.1f} s CPU)"
        )
        for label, query in asked:
            size, files, _ = merged_search(clients, query)
            print(f"  {label:<16} {query:<14} {size / 1e3:6.1f} KB in {files} files", flush=True)

    print("\n4. ranking: a record's own title as the query")
    sample = record_titles(titles, 50, args.seed)
    for titled_first in (True, False):
        first = 0
        misses = []
        for url, title in sample:
            answer = client.search(title, titled_first=titled_first, results=1)
            top = answer.urls[0] if answer.urls else None
            if top == url or (top is not None and titles[top] == title):  # another page of the very same title
                first += 1
            else:
                misses.append(f"{title} -> {top}")
        how = "title key first, then BM25" if titled_first else "BM25 with the title weight alone"
        print(
            f"  {how}: the record's page first for {first} of {len(sample)}"
            + (f"; e.g. {'; '.join(misses[:3])}" if misses else "")
        )


def _scale() -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import scale

    return scale


def _kind(path: str) -> str:
    """What a file fetched for a Pagefind search is: its fixed code, its metadata, index chunks or fragments."""
    if path.endswith(".pf_meta"):
        return "meta"
    if path.endswith(".pf_index"):
        return "chunks"
    if path.endswith(".pf_fragment") or path.startswith("fragment/") or "/fragment/" in path:
        return "fragments"
    return "fixed"  # pagefind.js, its WebAssembly and entry, t2s.js, dangjian-search.json, dangjian-parts.json


def _breakdown(files: list[tuple[str, int, int]]) -> str:
    parts: dict[str, list[int]] = defaultdict(list)
    for path, raw, _ in files:
        parts[_kind(path)].append(raw)
    return ", ".join(
        f"{kind} {sum(parts[kind]) / 1e3:.1f}" + (f" ({len(parts[kind])})" if kind in ("chunks", "fragments") else "")
        for kind in ("fixed", "meta", "chunks", "fragments")
        if kind in parts
    )


def _pagefind_download(site: Path, query: str) -> str:
    """Pagefind's download for `query` on the built site, as bench/scale.py measures a Chinese query's (Chromium)."""
    download = _scale().search_download(site, query)
    return (
        f"{download.raw_bytes / 1e3:.1f} KB in {len(download.files)} files, {download.results} results shown "
        f"[{_breakdown(download.files)} KB] ({download.method.split(' (')[0]})"
    )


def pagefind_estimate(bundle: Path, t2s: Path | None, query: str, results: int = 5) -> str:
    """Pagefind's download for `query` from a bundle's files alone (no site, no browser): its script, WebAssembly,
    entry and metadata, t2s.js, the chunks whose word range holds a token of the query or its title key (what
    search.js asks for), and `results` fragments of average size (the search box shows five at first)."""
    scale = _scale()
    meta, chunks, pages = scale.pagefind_meta(bundle)
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    wasm = f"wasm.{next(iter(entry['languages'].values())).get('wasm') or 'unknown'}.pagefind"
    words = set(search.query_tokens(query)) | {search.title_key(query)}
    hashes = sorted({hash_ for low, high, hash_ in chunks for word in words if low <= word <= high})
    files = [(name, (bundle / name).stat().st_size, 0) for name in ("pagefind.js", "pagefind-entry.json", wasm, meta)]
    files += [
        (f"index/{hash_}.pf_index", (bundle / "index" / f"{hash_}.pf_index").stat().st_size, 0) for hash_ in hashes
    ]
    if t2s is not None:
        files.append(("t2s.js", t2s.stat().st_size, 0))
    sizes = [(bundle / "fragment" / f"{hash_}.pf_fragment").stat().st_size for hash_ in pages[:500]]
    files += [(f"fragment/(average {k + 1})", round(statistics.mean(sizes)), 0) for k in range(results)]
    total = sum(raw for _, raw, _ in files)
    return f"{total / 1e3:.1f} KB in {len(files)} files [{_breakdown(files)} KB] (estimate from the bundle)"


CLIENT = Path(__file__).resolve().parent / "own_index_client.js"
_PAGE = (
    '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><script src="t2s.js"></script>'
    '<script src="own_index_client.js"></script></head><body></body></html>\n'
)
_RUN = (
    """async (query) => {
  const started = performance.now();
  const index = new DjOwnIndex("own/");
  const results = await index.search(query);
  const shown = await Promise.all(results.slice(0, %d).map((r) => index.fragment(r.id, query)));
  return {count: results.length, ms: performance.now() - started, shown: shown.map((f) => [f.url, f.excerpt.textContent,
    Array.from(f.excerpt.querySelectorAll("mark")).map((m) => m.textContent)])};
}"""
    % RESULTS
)


def browser_client(folder: Path, work: Path, asked: list[tuple[str, str]], client: Client) -> None:
    """Run own_index_client.js in Chromium over the index in `folder` (served from 127.0.0.1): each query in an
    empty cache, its results compared with the Python model's, the bytes fetched counted."""
    import functools
    import http.server
    import threading
    import urllib.parse

    from playwright.sync_api import sync_playwright

    scale = _scale()
    binary = scale.chromium()
    if not binary:
        print("  (no Chromium: the client was not run)")
        return
    served_dir = work / "served"
    shutil.rmtree(served_dir, ignore_errors=True)
    served_dir.mkdir(parents=True)
    (served_dir / "own").symlink_to(folder)
    shutil.copy(CLIENT, served_dir / CLIENT.name)
    shutil.copy(REPO / "site_templates" / "overrides" / "assets" / "dangjian" / "t2s.js", served_dir / "t2s.js")
    (served_dir / "index.html").write_text(_PAGE, encoding="utf-8")
    served: list[tuple[str, int]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def copyfile(self, source: Any, destination: Any) -> None:
            data = source.read()
            served.append((urllib.parse.urlsplit(self.path).path, len(data)))
            destination.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    size = CLIENT.stat().st_size
    print(
        f"  client {CLIENT.name}: {size / 1e3:.1f} KB ({len(gzip.compress(CLIENT.read_bytes(), 6)) / 1e3:.1f} KB "
        f"gzip), t2s.js {(served_dir / 't2s.js').stat().st_size / 1e3:.1f} KB: loaded with the page, not counted below"
    )
    try:
        with sync_playwright() as play:
            browser = play.chromium.launch(executable_path=binary, args=["--no-sandbox", "--disable-gpu"])
            try:
                for label, query in asked:
                    page = browser.new_context().new_page()
                    page.goto(base)
                    page.wait_for_load_state("networkidle")
                    before = len(served)
                    found = page.evaluate(_RUN, query)
                    fetched = served[before:]
                    page.context.close()
                    model = client.search(query)
                    same = [url for url, _, _ in found["shown"]] == model.urls
                    marks = sorted({mark for _, _, marked in found["shown"] for mark in marked})
                    print(
                        f"  {label:<16} {query:<14} in Chromium: {found['count']} results in {found['ms']:.0f} ms, "
                        f"{sum(n for _, n in fetched) / 1e3:.1f} KB in {len(fetched)} files; the same first "
                        f"{len(model.urls)} as the Python model: {same}; marked {marks[:3]}; first excerpt "
                        f"{found['shown'][0][1][:40] if found['shown'] else ''!r}",
                        flush=True,
                    )
            finally:
                browser.close()
    finally:
        server.shutdown()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="a site built with search (or any with --recover)")
    parser.add_argument("--work", type=Path, required=True, help="a folder of your own for the indexes")
    parser.add_argument("--recover", action="store_true", help="make the copies from the published pages")
    parser.add_argument("--copies", type=Path, help="the copies a --recover run kept (WORK/copies.json)")
    parser.add_argument(
        "--after-site",
        type=Path,
        action="append",
        help="the same registry, edited, built with search (repeatable): update to its copies",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk-kb", type=float, default=24.0, help="a chunk's size before gzip (cold build)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--no-pagefind", action="store_true", help="do not run Pagefind beside it")
    parser.add_argument("--no-browser", action="store_true", help="do not measure Pagefind's download in Chromium")
    parser.add_argument("--browser-client", action="store_true", help="run own_index_client.js in Chromium")
    parser.add_argument("--shards", type=int, default=0, help="also search N indexes merged (as dangjian merge)")
    parser.add_argument("--shard-chunk-kb", type=float, help="a shard's chunk size before gzip (default: --chunk-kb)")
    parser.add_argument("--skip-cold", action="store_true", help="use the index a previous run left in WORK/own")
    parser.add_argument("--updates-only", action="store_true", help="stop after the updates (section 2)")
    parser.add_argument("--check", action="store_true", help="decode each update and compare it with a cold build")
    measure(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
