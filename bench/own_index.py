"""Measures dangjian's own search index (`site/ownsearch.py`, issue 23) beside Pagefind: its cold build, its updates
in place, a query's download and its ranking (bench only: the index, its codec and its update are the product's).

Pagefind has no incremental mode: one changed page re-indexes its whole bundle. The own index is made from the same
search copies (`site/search.py`: folded to simplified characters, one token per Han character, Latin words whole,
the title weighted) and updates in place; `ownsearch.py`'s docstring describes its format. This script asks whether
it stays small to download and ranks a record's own page first, and how long its build and updates take. It prints
figures and asserts nothing; `docs/search-own-index.md` reports them.

The index is written by `ownsearch.build_cold` into WORK/own (the published files alone) and its state, which a
build keeps in the cache, beside it as WORK/own.state.json and its copies' buckets (`ownsearch.save_state`). An
update is `ownsearch.update` over a copy of the index as hard links (as a reused staging folder holds it); what it
wrote and removed is read off the folder (a file written anew is a new inode). Run from the repository root:

    export DANGJIAN_CACHE=/tmp/me/cache
    .venv/bin/dangjian build --root ROOT --out /tmp/me/site            # with search: copies kept in the cache
    .venv/bin/python bench/own_index.py --site /tmp/me/site --work /tmp/me/own [--repeat 3] [--no-browser]
    .venv/bin/python bench/own_index.py --site /tmp/big-site --recover --work /tmp/me/own-city --no-pagefind

`--recover` makes the copies from the published pages (`search.recover_copy`), e.g. of a `--no-search` build, and
keeps them in WORK/copies.json for `--copies`. `--after-site` (repeatable) names the same registry edited and built
with search: the update to its copies is measured too. `--check` decodes each update and compares it with a cold
build of the same pages; `--browser-client` runs the site's own search.js (its own-index part, in its search
dialog) in Chromium against the Python model of it here (`Client`); `--skip-cold --updates-only` measures the
updates again over the index a previous run left in WORK/own.
"""

from __future__ import annotations

import argparse
import base64
import gzip
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
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dangjian.site import ownsearch, search

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "site_templates" / "overrides" / "assets" / "dangjian"
K1, B = 1.4, 0.5  # BM25 as Pagefind ranks (its term saturation 1.4; search.js sets pageLength 0.5)
RESULTS = 10  # results whose fragments a query fetches: the first ten (their files, each once)
HAN_CHAR = re.compile(f"[{search.HAN}]")
parse = ownsearch.parse


# ---------------------------------------------------------------- pages from their copies


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


def blocks_of(copy: str) -> list[list[str]]:
    """Each weighted block's word tokens, as `ownsearch.parse` cuts them (to check phrases)."""
    return [words for weight, _, words in ownsearch.blocks(copy)[1] if weight]  # weight 0: the title key


def _length_of(byte: int) -> float:
    """A page's length from its length byte in the meta (as search.js reads it)."""
    return 2 ** ((byte - 1) / 16) - 1


# ---------------------------------------------------------------- the index on disk, timed


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


def _identities(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every file of the index, by its path relative to the index."""
    found = {}
    for path in ownsearch.files_of(folder):
        info = path.stat()
        found[path.relative_to(folder).as_posix()] = (info.st_ino, info.st_mtime_ns)
    return found


@contextmanager
def _chunk_bytes(chunk_kb: float | None) -> Iterator[None]:
    """A cold build's chunks of about `chunk_kb` KB before gzip (the product's CHUNK_BYTES, for this build)."""
    saved = ownsearch.CHUNK_BYTES
    if chunk_kb:
        ownsearch.CHUNK_BYTES = round(chunk_kb * 1000)
    try:
        yield
    finally:
        ownsearch.CHUNK_BYTES = saved


class Index:
    """The product's index in `folder`, its state beside it (FOLDER.state.json): built, updated and timed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state_file = folder.with_name(folder.name + ".state.json")

    def build(self, copies: dict[str, str], chunk_kb: float | None = None, chunks: int | None = None) -> Written:
        """A cold build of `copies` (url -> copy): every file it wrote."""
        return self._timed(lambda: ownsearch.build_cold(self.folder, copies, chunks), chunk_kb, cold=True)

    def update(self, after: dict[str, str]) -> Written:
        """The update of the index (its pages the state's copies) to the pages `after`."""
        state = self.state()
        return self._timed(lambda: ownsearch.update(self.folder, state, after))

    def _timed(self, run: Any, chunk_kb: float | None = None, cold: bool = False) -> Written:
        before = {} if cold else _identities(self.folder)  # a cold build writes every file anew
        started, cpu = time.perf_counter(), time.process_time()
        with _chunk_bytes(chunk_kb):
            state = run()
        written = Written(cpu=time.process_time() - cpu, wall=time.perf_counter() - started)
        after = _identities(self.folder)
        written.files = [
            (rel, (self.folder / rel).stat().st_size) for rel in sorted(after) if before.get(rel) != after[rel]
        ]
        written.removed = sorted(set(before) - set(after))
        ownsearch.save_state(self.state_file, state)
        return written

    def state(self) -> ownsearch.State:
        state = ownsearch.read_state(self.state_file)
        if state is None:
            raise FileNotFoundError(f"no state of the index at {self.state_file}")
        return state

    def copy_to(self, folder: Path) -> Index:
        """The index as hard links in `folder` (made anew), with a copy of its state."""
        copied = Index(folder)
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(["cp", "-al", str(self.folder), str(folder)], check=True)
        shutil.copyfile(self.state_file, copied.state_file)
        for bucket in self.state_file.parent.glob(self.state_file.name + ".*.copies"):  # its copies, beside it
            suffix = bucket.name[len(self.state_file.name) :]
            shutil.copyfile(bucket, copied.state_file.with_name(copied.state_file.name + suffix))
        return copied

    def decoded(self) -> dict[str, tuple[str, str, dict[str, int], int]]:
        return ownsearch.decoded(self.folder)


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
    # what showing each url added: its fragment file's bytes, or 0 when an earlier result's file held it too
    shown_bytes: list[int] = field(default_factory=list)

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
            self._chunks[number] = ownsearch.chunk_entries(gzip.decompress(data))
        return self._chunks[number]

    def postings(self, term: str, fetched: list[tuple[str, int]]) -> dict[int, int]:
        entry = self._chunk(ownsearch.fnv1a(term) % len(self.names), fetched).get(term)
        return ownsearch.decode_postings(*entry[:3]) if entry else {}

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
        if not pages and sum(map(len, words)) > 1:  # as search.js: every token anywhere, those no page holds left out
            answer.fallback = True
            lists = {token: found for tokens in words for token in tokens if (found := self.postings(token, fetched))}
            pages = set.intersection(*(set(found) for found in lists.values())) if lists else set()
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
        files: dict[str, list] = {}  # each fragment file fetched once a query, as search.js does
        for page_id in order[:results]:
            rel = ownsearch.fragment_file(page_id)
            new = rel not in files
            if new:
                data = (self.folder / rel).read_bytes()
                fetched.append((rel, len(data)))
                files[rel] = json.loads(gzip.decompress(data))
            answer.urls.append(files[rel][page_id % ownsearch.FRAGMENTS][0])
            answer.ranks.append((page_id in titled, scores[page_id]))
            answer.shown_bytes.append(fetched[-1][1] if new else 0)
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
        chunks = [(name, bytes_) for name, bytes_ in answer.fetched if not name.startswith("p/")]
        size += sum(bytes_ for _, bytes_ in chunks)
        files += len(chunks)
        shown += [
            (not titled, -score, url, bytes_)
            for (titled, score), url, bytes_ in zip(answer.ranks, answer.urls, answer.shown_bytes)
        ]
    first = sorted(shown)[:RESULTS]  # a file an earlier result of its index fetched is counted there (an estimate)
    fetched = [item[3] for item in first]
    return size + sum(fetched), files + sum(1 for bytes_ in fetched if bytes_), [item[2] for item in first]


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
        blocks = blocks_of(copy)
        for query, words in wanted.items():
            if words and all(holds(blocks, tokens) for tokens in words):
                counts[query] += 1
    return counts


def titles_of(copies: dict[str, str]) -> dict[str, str]:
    """url -> the page's title (its copy's data-pagefind-meta)."""
    return {url: ownsearch.blocks(copy)[0] for url, copy in copies.items()}


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

    if args.skip_cold and index.state_file.is_file():
        print(f"\n1. cold indexing: skipped (--skip-cold: the index a previous run built in {index.folder})")
    else:
        print("\n1. cold indexing")
        runs = [index.build(copies, args.chunk_kb) for _ in range(args.repeat)]
        written = runs[-1]
        chunks = [size for rel, size in written.files if rel.startswith("c/")]
        fragments = [size for rel, size in written.files if rel.startswith("p/")]
        print(
            f"  ours (Python, in-process): CPU {_median([r.cpu for r in runs]):.2f} s, "
            f"wall {_median([r.wall for r in runs]):.2f} s "
            f"(median of {len(runs)}: CPU {', '.join(f'{r.cpu:.2f}' for r in runs)})"
        )
        print(
            f"    {len(written.files):,} files, {written.bytes / 1e6:.2f} MB: "
            f"meta {dict(written.files)['meta.gz'] / 1e3:.1f} KB, "
            f"{len(chunks)} chunks (median {_median(chunks) / 1e3:.1f} KB, largest {max(chunks) / 1e3:.1f} KB), "
            f"{len(fragments):,} fragment files of {ownsearch.FRAGMENTS} pages "
            f"(median {_median(fragments) / 1e3:.2f} KB)"
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
            trial = index.copy_to(work / "updated")
            times.append(trial.update(after))
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
            cold.build(after, chunks=len(index.state().chunks))
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
        print("\n3b. the site's search.js in Chromium (its own-index part)")
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


CLIENT = ASSETS / "search.js"  # the site's search: its own-index part runs in its dialog, over the index served
_PAGE = f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"></head><body>
<dialog data-dj-search data-bundle="{ownsearch.FOLDER}/" data-t2s="t2s.js"><div id="dj-search-ui"></div></dialog>
<script src="{CLIENT.name}"></script></body></html>
"""
_DIALOG = "document.querySelector('[data-dj-search]')"
_LOAD = f"() => {_DIALOG}.djFind('')"  # the dialog started: t2s.js and dangjian-search.json loaded
_RUN = """async (query) => {
  const started = performance.now();
  const results = await %s.djFind(query);
  const shown = await Promise.all(results.slice(0, %d).map((result) => result.data()));
  const parser = new DOMParser();
  return {count: results.length, ms: performance.now() - started, shown: shown.map((page) => {
    const excerpt = parser.parseFromString(page.excerpt, "text/html").body;
    return [page.url, excerpt.textContent, Array.from(excerpt.querySelectorAll("mark")).map((m) => m.textContent)];
  })};
}""" % (_DIALOG, RESULTS)


@dataclass
class InBrowser:
    """One query run by the site's search.js in Chromium."""

    query: str
    count: int  # results found
    ms: float
    fetched: list[tuple[str, int]]  # (path served, bytes) during the query
    urls: list[str]  # the first RESULTS, relative to the site
    excerpts: list[str]
    marks: list[list[str]]


def run_in_browser(folder: Path, work: Path, queries: list[str]) -> list[InBrowser] | None:
    """Run the site's search.js in Chromium over the index in `folder`, served from 127.0.0.1 as a site built with
    the own engine serves it (`ownsearch.config()` beside it): each query in an empty cache, the bytes it fetched
    counted once the dialog has started. None without Chromium or Playwright."""
    import functools
    import http.server
    import threading
    import urllib.parse

    binary = _scale().chromium()
    if not binary:
        return None
    from playwright.sync_api import sync_playwright

    served_dir = work / "served"
    shutil.rmtree(served_dir, ignore_errors=True)
    served_dir.mkdir(parents=True)
    (served_dir / ownsearch.FOLDER).symlink_to(folder.resolve())
    (served_dir / CLIENT.name).symlink_to(CLIENT)
    (served_dir / "t2s.js").symlink_to(ASSETS / "t2s.js")
    (served_dir / search.CONFIG).write_text(ownsearch.config(), encoding="utf-8")
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
    runs = []
    try:
        with sync_playwright() as play:
            browser = play.chromium.launch(executable_path=binary, args=["--no-sandbox", "--disable-gpu"])
            try:
                for query in queries:
                    page = browser.new_context().new_page()
                    page.goto(base)
                    page.wait_for_load_state("networkidle")
                    page.evaluate(_LOAD)
                    before = len(served)
                    found = page.evaluate(_RUN, query)
                    fetched = served[before:]
                    page.context.close()
                    shown = found["shown"]
                    runs.append(
                        InBrowser(
                            query,
                            found["count"],
                            found["ms"],
                            fetched,
                            [url.removeprefix(base) for url, _, _ in shown],
                            [text for _, text, _ in shown],
                            [marked for _, _, marked in shown],
                        )
                    )
            finally:
                browser.close()
    finally:
        server.shutdown()
    return runs


def browser_client(folder: Path, work: Path, asked: list[tuple[str, str]], client: Client) -> None:
    """Print what the site's search.js does in Chromium over the index in `folder` beside the Python model's."""
    size = CLIENT.stat().st_size
    print(
        f"  client {CLIENT.name} (the site's, Pagefind's part included): {size / 1e3:.1f} KB "
        f"({len(gzip.compress(CLIENT.read_bytes(), 6)) / 1e3:.1f} KB gzip), t2s.js "
        f"{(ASSETS / 't2s.js').stat().st_size / 1e3:.1f} KB: loaded with the dialog, not counted below"
    )
    runs = run_in_browser(folder, work, [query for _, query in asked])
    if runs is None:
        print("  (no Chromium: the client was not run)")
        return
    for (label, query), run in zip(asked, runs):
        model = client.search(query)
        marks = sorted({mark for marked in run.marks for mark in marked})
        print(
            f"  {label:<16} {query:<14} in Chromium: {run.count} results in {run.ms:.0f} ms, "
            f"{sum(n for _, n in run.fetched) / 1e3:.1f} KB in {len(run.fetched)} files; the same first "
            f"{len(model.urls)} as the Python model: {run.urls == model.urls}; tokens marked {marks[:6]}; "
            f"first excerpt {run.excerpts[0][:40] if run.excerpts else ''!r}",
            flush=True,
        )


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
    parser.add_argument("--browser-client", action="store_true", help="run the site's search.js in Chromium")
    parser.add_argument("--shards", type=int, default=0, help="also search N indexes merged (as dangjian merge)")
    parser.add_argument("--shard-chunk-kb", type=float, help="a shard's chunk size before gzip (default: --chunk-kb)")
    parser.add_argument("--skip-cold", action="store_true", help="use the index a previous run left in WORK/own")
    parser.add_argument("--updates-only", action="store_true", help="stop after the updates (section 2)")
    parser.add_argument("--check", action="store_true", help="decode each update and compare it with a cold build")
    measure(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
