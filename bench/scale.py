"""Speed and size of dangjian at synthetic scales, against its peer (Hugo, then Pagefind).

Run from the repository root:

    .venv/bin/python bench/scale.py --scale town county [--repeat 3] [--json bench/results/scale.json]
    .venv/bin/python bench/scale.py --scale city --repeat 1 --json bench/results/city.json
    .venv/bin/python bench/scale.py --scale city --registry /path/to/a/synthesized/city   # skip synth

It prints one table per scale and never asserts. For each scale it writes a synthetic
registry (`dangjian synth`; or copies the one given with `--registry`, since the
benchmark edits files), commits it to git as one commit (as editors' registries are: a
build then reads its history for each page; `--no-git` leaves it out, as rounds before
the ninth did), then times, each as a fresh child process (`os.wait4`: wall
time, CPU time of the process and its children, peak RSS of the largest process; and,
sampled every 0.2 s, the peak of the sum of the PSS of its whole process tree, since
parallel workers add up):

* `dangjian validate`: cold (a fresh, empty parse cache), warm (the same cache,
  nothing changed), and after one org file changed (a summary edited);
* `dangjian build`, cold (a fresh cache, a fresh output folder), with search; each
  such run is followed by one run of the peer and one cold `--no-search` build, so
  that ours and the peer's medians sample the same stretch of a noisy machine;
* the peer on the same pages: a Hugo site with one page per page of ours, at the
  same URL, carrying the title and the text that Pagefind indexes on ours (taken
  from our first cold build) inside a layout whose static navigation pads a page to
  our average page size; built by `hugo`, then indexed by Pagefind (the same
  extended binary, `--force-language zh`), since a Hugo site with search needs both;
* what the last cold build wrote: its size, its HTML pages and their average size,
  its largest file, and what one Chinese search query downloads: measured in
  headless Chromium through Playwright when both are installed (the bytes a local
  server sends after the home page has loaded), else estimated from the files (see
  `estimated_download`); both also given as a host that gzips JS/CSS would send them;
* `dangjian build` with search into that folder, with that build's warm cache, as an
  editor's rebuild would: after one org file, one roster (members) file, one
  assessment result file and one story changed (each change and build separately).
  The command is the plain `dangjian build`: where dangjian reuses the previous output
  (issue 23), these are incremental builds; the cold builds above pass `--cold` when
  `dangjian build` has it, besides starting from a fresh cache and no output folder;
* the floors under those rebuilds: `dangjian build` into that folder with nothing changed
  (what every rebuild pays before a change's own work), and Python started with dangjian
  imported (what every command pays before it reads a file);
* `dangjian serve`: seconds from saving a file to the browser showing the change (median of
  at least 3 edits), by `bench/serve_reload.py` when the checkout has it (else the row says
  "not measured").

Ratios are to the peer measured in the same run (the machine is shared and noisy):
`× peer` divides a median by the median of Hugo + Pagefind (for `--no-search`, by
Hugo alone). Each row of issue 23's table of targets is printed with the figure
measured, the target (the issue's county limit up to county scale, its city limit
above) and met / NOT MET / not measured; a rebuild or a validation after one change that
is not met is followed by its floor (the same command with nothing changed, and the imports
in it) and whether the floor by itself or the change's own work is over the limit. KB and
MB are decimal (1 MB = 10^6 bytes), GiB binary. `--json` keeps every figure and the commit
measured (with any uncommitted source files); `bench/chart.py` draws them and writes the
Markdown table.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gzip
import html
import http.server
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from site_build import Run, compile_source, hugo_binary, pagefind_binary, source_fingerprint  # noqa: E402

ENGINE_VARIABLE = "DANGJIAN_SEARCH_ENGINE"


def search_engine() -> str:
    """The engine the builds measured here use: the product's own answer, in the child's environment."""
    code = "from dangjian.site.ownsearch import engine; print(engine())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "dangjian"
SCALES = ("town", "county", "city", "province")
DEFAULT_QUERY = "乡村振兴"
DEFAULT_JSON = REPO / "bench" / "results" / "scale.json"
KB = 1000  # the sizes are decimal: 300 KB, 20 KB, 1 MB
MB = 1000 * 1000
GIB = 1024**3
PAGEFIND_BODY = re.compile(r"<div\b[^>]*\bdata-pagefind-body\b[^>]*>")
DIV_TAG = re.compile(r"<(/?)div\b[^>]*>", re.IGNORECASE)
TITLE = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.DOTALL | re.IGNORECASE)
BLOCK_END = re.compile(
    r"</(?:p|li|tr|h[1-6]|div|section|dd|dt|blockquote|pre|table|ul|ol|figcaption)>|<br\s*/?>", re.IGNORECASE
)
CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
PAGES_LINE = re.compile(r"已生成\s*(\d+)\s*个页面")
RECORDS_LINE = re.compile(r"(\d+)\s*个文件，(\d+)\s*条记录")


# ---------------------------------------------------------------- timing a process tree


@dataclass
class TreeRun(Run):
    """A timed child, plus the peak of its whole process tree's memory (sampled)."""

    tree_kib: int = 0


def _children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc), or [] once it is gone."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as file:
                found.extend(int(child) for child in file.read().split())
    except OSError:
        pass
    return found


def _memory_kib(pid: int) -> int:
    """The proportional set size of `pid` (its RSS with shared pages split among their sharers), KiB."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm") as file:
            return int(file.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError):
        return 0


def tree_pids(pid: int) -> list[int]:
    """`pid` and all its descendants now."""
    found, stack, seen = [], [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        found.append(current)
        stack.extend(_children(current))
    return found


def tree_memory_kib(pid: int) -> int:
    """The memory of `pid` and all its descendants now: the sum of their PSS, KiB."""
    return sum(_memory_kib(current) for current in tree_pids(pid))


def timed_tree(
    command: list[str], cwd: Path | None = None, interval: float = 0.2, env: dict[str, str] | None = None
) -> TreeRun:
    """`timed(command)` (wall, CPU and the largest process's peak RSS, from wait4), and the peak of the
    sum of the PSS of the command's process tree, sampled every `interval` seconds (parallel workers add
    up; a shorter spike can be missed). `env`: the command's environment (default: this process's)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_memory_kib(proc.pid))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return TreeRun(
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss,
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            peak[0] or usage.ru_maxrss,
        )


# ---------------------------------------------------------------- figures


@dataclass
class Figure:
    """The runs of one measured thing: medians of wall and CPU time, the largest peak."""

    label: str
    key: str
    runs: list[Run] = field(default_factory=list)
    peer: str = "hugo+pagefind"  # the peer measurement this one is divided by
    note: str = ""

    def median(self, attribute: str) -> float | None:
        values = [getattr(run, attribute) for run in self.runs]
        return statistics.median(values) if values else None

    @property
    def wall(self) -> float | None:
        return self.median("wall")

    @property
    def cpu(self) -> float | None:
        return self.median("cpu")

    @property
    def peak_mib(self) -> float | None:
        """The largest peak RSS of one process (wait4), MiB."""
        return max(run.peak_kib for run in self.runs) / 1024 if self.runs else None

    @property
    def tree_mib(self) -> float | None:
        """The largest sampled peak of the whole process tree (sum of PSS), MiB."""
        values = [getattr(run, "tree_kib", 0) for run in self.runs]
        return max(values) / 1024 if values and max(values) else None

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "wall_s": self.wall,
            "cpu_s": self.cpu,
            "peak_mib": self.peak_mib,
            "tree_mib": self.tree_mib,
            "peer": self.peer,
            "note": self.note,
            "runs": [
                {"wall_s": r.wall, "cpu_s": r.cpu, "peak_kib": r.peak_kib, "tree_kib": getattr(r, "tree_kib", None)}
                for r in self.runs
            ],
        }


def combined(label: str, key: str, first: Figure, second: Figure) -> Figure:
    """first then second, run by run: times add up, the peak is the larger one."""
    both = Figure(label, key, peer="")
    for a, b in zip(first.runs, second.runs):
        both.runs.append(
            TreeRun(
                a.wall + b.wall,
                a.cpu + b.cpu,
                max(a.peak_kib, b.peak_kib),
                0,
                "",
                "",
                max(getattr(a, "tree_kib", 0), getattr(b, "tree_kib", 0)),
            )
        )
    return both


def ratio(ours: float | None, peer: float | None) -> float | None:
    """ours / peer, or None when either is missing or the peer took no time."""
    if ours is None or not peer:
        return None
    return ours / peer


# ---------------------------------------------------------------- output trees


@dataclass
class TreeStats:
    """What a build wrote."""

    total_bytes: int = 0
    files: int = 0
    html_files: int = 0
    html_bytes: int = 0
    largest_path: str = ""
    largest_bytes: int = 0
    largest_export_path: str = ""  # under api/: the open-data downloads (whole-registry files, not pages)
    largest_export_bytes: int = 0
    largest_other_path: str = ""  # everything else: pages, assets, search files
    largest_other_bytes: int = 0

    @property
    def average_html_bytes(self) -> float:
        return self.html_bytes / self.html_files if self.html_files else 0.0


def tree_stats(root: Path) -> TreeStats:
    """Sizes of every file under `root`: total, HTML pages (`*.html`), and the largest file."""
    stats = TreeStats()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        size = path.stat().st_size
        stats.files += 1
        stats.total_bytes += size
        if path.suffix == ".html":
            stats.html_files += 1
            stats.html_bytes += size
        rel = path.relative_to(root).as_posix()
        if size > stats.largest_bytes:
            stats.largest_bytes, stats.largest_path = size, rel
        if rel.startswith("api/") or "/api/" in rel:
            if size > stats.largest_export_bytes:
                stats.largest_export_bytes, stats.largest_export_path = size, rel
        elif size > stats.largest_other_bytes:
            stats.largest_other_bytes, stats.largest_other_path = size, rel
    return stats


def pagefind_body(page: str) -> str:
    """The inner HTML of a page's `data-pagefind-body` element (what Pagefind indexes), or ""."""
    start = PAGEFIND_BODY.search(page)
    if not start:
        return ""
    depth = 1
    for tag in DIV_TAG.finditer(page, start.end()):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[start.end() : tag.start()]
    return page[start.end() :]


def html_to_markdown(fragment: str) -> tuple[str, str]:
    """(title, Markdown paragraphs) of an HTML fragment: its first <h1> and its text, block by block."""
    match = TITLE.search(fragment)
    title = html.unescape(TAG.sub("", match.group(1))).strip() if match else ""
    if match:
        fragment = fragment[: match.start()] + fragment[match.end() :]
    text = TAG.sub("", CELL_END.sub(" ", BLOCK_END.sub("\n", fragment)))
    lines = (" ".join(html.unescape(line).split()) for line in text.splitlines())
    return title, "\n\n".join(MARKDOWN_SPECIAL.sub(r"\\\1", line) for line in lines if line)


def page_url(site: Path, page: Path) -> str:
    """The URL path of an HTML file of a site: `orgs/x/index.html` → `/orgs/x/`."""
    rel = page.relative_to(site).as_posix()
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[: -len("index.html")]
    return "/" + rel


# ---------------------------------------------------------------- the peer

_BASEOF = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}">
<link rel="stylesheet" href="{{ "css/site.css" | relURL }}">
</head>
<body>
<header class="site-header"><a class="site-title" href="{{ "/" | relURL }}">{{ site.Title }}</a></header>
<nav class="site-nav" aria-label="导航"><ul>
NAV_ITEMS
</ul></nav>
<main>{{ block "main" . }}{{ end }}</main>
<footer class="site-footer"><p>{{ site.Title }} · {{ now.Year }}</p></footer>
</body>
</html>
"""
_SINGLE = """{{ define "main" }}<article data-pagefind-body>
<h1>{{ .Title }}</h1>
{{ .Content }}
</article>{{ end }}
"""


@dataclass
class PeerSite:
    """The Hugo site written from dangjian's output."""

    root: Path
    pages: int
    body_bytes: float  # average bytes of dangjian's indexed element per page
    padding_bytes: int  # the static navigation added to Hugo's layout


def write_peer_site(ours: Path, peer: Path) -> PeerSite:
    """A Hugo site with one page per HTML page of `ours` (not 404.html), at the same URL.

    Each page holds the title and the text Pagefind indexes on ours, as Markdown; Hugo's
    layout carries a static navigation list sized so that its pages weigh about what ours
    do (ours carry mkdocs-material's navigation, header and footer around the indexed part).
    """
    pages = sorted(
        p for p in ours.rglob("*.html") if p.name != "404.html" and "pagefind" not in p.relative_to(ours).parts
    )
    content = peer / "content"
    content.mkdir(parents=True, exist_ok=True)
    html_bytes = body_bytes = markdown_bytes = 0
    links: list[tuple[str, str]] = []
    for number, path in enumerate(pages):
        page = path.read_text(encoding="utf-8", errors="replace")
        body = pagefind_body(page)
        html_bytes += len(page.encode())
        body_bytes += len(body.encode())
        title, text = html_to_markdown(body)
        url = page_url(ours, path)
        title = title or url
        if len(links) < 400:
            links.append((url, title))
        front = json.dumps({"title": title, "url": url}, ensure_ascii=False)
        target = content / "_index.md" if url == "/" else content / "p" / f"{number}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{front}\n\n{text}\n", encoding="utf-8")
        markdown_bytes += len(text.encode())
    count = max(1, len(pages))
    nav: list[str] = []
    size = 0
    # Hugo's page: its head, header and footer (about 700 bytes), the title, the Markdown as HTML
    # (the text and about 10 % of tags), and the padding.
    target_padding = max(0, int((html_bytes - 1.1 * markdown_bytes) / count) - 700)
    while links and size < target_padding:
        url, title = links[len(nav) % len(links)]
        item = f'<li><a href="{html.escape(url)}">{html.escape(title)}</a></li>'
        nav.append(item)
        size += len(item.encode()) + 1
    layouts = peer / "layouts" / "_default"
    layouts.mkdir(parents=True, exist_ok=True)
    (layouts / "baseof.html").write_text(_BASEOF.replace("NAV_ITEMS", "\n".join(nav)), encoding="utf-8")
    (layouts / "single.html").write_text(_SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(_SINGLE, encoding="utf-8")
    (peer / "static" / "css").mkdir(parents=True, exist_ok=True)
    (peer / "static" / "css" / "site.css").write_text("body{font-family:sans-serif;max-width:60em;margin:auto}\n")
    (peer / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\nlanguageCode = "zh-CN"\ndefaultContentLanguage = "zh"\n'
        'title = "示范市基层党建"\nhasCJKLanguage = true\ndisableKinds = ["taxonomy", "term", "rss"]\n',
        encoding="utf-8",
    )
    return PeerSite(peer, len(pages), body_bytes / count, size)


# ---------------------------------------------------------------- search download


@dataclass
class Download:
    """What one search query fetched."""

    query: str
    method: str
    files: list[tuple[str, int, int]] = field(default_factory=list)  # (path, bytes, gzip bytes)
    results: int | None = None
    note: str = ""

    @property
    def raw_bytes(self) -> int:
        return sum(raw for _, raw, _ in self.files)

    @property
    def gzip_bytes(self) -> int:
        return sum(packed for _, _, packed in self.files)


def transfer_size(path: Path) -> tuple[int, int]:
    """(bytes, bytes as a host that gzips text would send them) of a served file.

    Pagefind's .pf_* and .pagefind files are gzip already; JS, CSS, JSON and HTML are compressed
    (level 6, as nginx and most static hosts do).
    """
    data = path.read_bytes()
    if path.suffix in (".js", ".css", ".json", ".html", ".svg", ".txt"):
        return len(data), len(gzip.compress(data, 6))
    return len(data), len(data)


def _cbor(data: bytes, at: int = 0) -> tuple[Any, int]:
    """Decode one CBOR item of `data` at `at` (the subset Pagefind's metadata uses)."""
    head = data[at]
    major, info = head >> 5, head & 31
    at += 1
    if info < 24:
        arg = info
    elif info <= 27:
        width = 1 << (info - 24)
        arg, at = int.from_bytes(data[at : at + width], "big"), at + width
    else:
        raise ValueError(f"unsupported CBOR item {head:#x}")
    if major == 0:
        return arg, at
    if major == 1:
        return -1 - arg, at
    if major in (2, 3):
        chunk = data[at : at + arg]
        return (chunk.decode() if major == 3 else chunk), at + arg
    if major in (4, 5):
        items = []
        for _ in range(arg * (2 if major == 5 else 1)):
            item, at = _cbor(data, at)
            items.append(item)
        return (items if major == 4 else dict(zip(items[::2], items[1::2]))), at
    if major == 7:
        return {20: False, 21: True, 22: None}.get(arg, arg), at
    raise ValueError(f"unsupported CBOR major type {major}")


def pagefind_meta(bundle: Path) -> tuple[str, list[tuple[str, str, str]], list[str]]:
    """(meta file name, index chunks as (from, to, hash), fragment hashes of the pages) of a Pagefind bundle."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    language = next(iter(entry["languages"].values()))
    name = f"pagefind.{language['hash']}.pf_meta"
    data = gzip.decompress((bundle / name).read_bytes())
    if data.startswith(b"pagefind_dcd"):
        data = data[len(b"pagefind_dcd") :]
    meta, _ = _cbor(data)
    pages = [page[0] for page in meta[1]]
    chunks = [(chunk[0], chunk[1], chunk[2]) for chunk in meta[2]]
    return name, chunks, pages


def chunks_for(query: str, chunks: list[tuple[str, str, str]]) -> list[str]:
    """Hashes of the index chunks whose [from, to] range holds a word of `query`.

    Pagefind segments a Chinese query into words in the browser; which words is not known
    here, so every substring of the query counts (an upper bound on the chunks).
    """
    words = {query[i:j] for i in range(len(query)) for j in range(i + 1, len(query) + 1)}
    return sorted({hash_ for low, high, hash_ in chunks for word in words if low <= word <= high})


def estimated_download(site: Path, query: str, results: int = 5) -> Download:
    """The approximate download of one search on `site`, from the files alone.

    The folding table (t2s.js), Pagefind's script, worker and WebAssembly, its entry
    and metadata, the index chunks that may hold a word of the query, and `results` fragments
    of average size (the UI shows five results at first). Compare `browser_download`.
    """
    bundle = site / "pagefind"
    download = Download(query, "estimate from the files (no browser)")
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    language = next(iter(entry["languages"].values()))
    wasm = f"wasm.{language.get('wasm') or 'unknown'}.pagefind"
    meta, chunks, pages = pagefind_meta(bundle)
    names = ["pagefind.js", "pagefind-worker.js", "pagefind-entry.json", meta, wasm]
    names += [f"index/{hash_}.pf_index" for hash_ in chunks_for(query, chunks)]
    for name in names:
        if (bundle / name).is_file():
            download.files.append((f"pagefind/{name}", *transfer_size(bundle / name)))
    t2s = site / "assets" / "dangjian" / "t2s.js"
    if t2s.is_file():
        download.files.append(("assets/dangjian/t2s.js", *transfer_size(t2s)))
    fragments = [
        transfer_size(bundle / "fragment" / f"{hash_}.pf_fragment")
        for hash_ in pages[:200]
        if (bundle / "fragment" / f"{hash_}.pf_fragment").is_file()
    ]
    if fragments:
        average = statistics.mean(raw for raw, _ in fragments)
        for k in range(results):
            download.files.append((f"pagefind/fragment/(average {k + 1})", round(average), round(average)))
    download.note = "upper bound on index chunks (every substring of the query), average fragments"
    return download


def chromium() -> str | None:
    """A Chromium binary Playwright can drive, and Playwright itself, or None."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        return None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None
    return binary


def browser_download(site: Path, query: str, binary: str) -> Download:
    """What Chromium fetches for one search on `site`: served by a local HTTP server that counts bytes.

    The home page is loaded first (its own files are cached), then `/?q=QUERY`, which opens the
    search dialog and types the query; every file fetched from then on, except the page itself,
    is the search's (the folding table, Pagefind's script, worker, WebAssembly, metadata, index chunks and
    the fragments of the results shown).
    """
    from playwright.sync_api import sync_playwright

    served: list[tuple[str, int]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def copyfile(self, source, destination):  # only bodies sent count (not 304 revalidations)
            data = source.read()
            served.append((urllib.parse.unquote(urllib.parse.urlsplit(self.path).path), len(data)))
            destination.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    download = Download(query, "measured in Chromium (headless, phone viewport, empty cache)")
    try:
        with sync_playwright() as play:
            browser = play.chromium.launch(
                executable_path=binary,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            try:
                page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
                page.goto(base)
                page.wait_for_load_state("networkidle")
                before = len(served)
                page.goto(base + "?q=" + urllib.parse.quote(query))
                page.wait_for_selector(".dj-search__result-link", timeout=60000)
                page.wait_for_load_state("networkidle")
                time.sleep(0.5)
                download.results = len(page.query_selector_all(".dj-search__result"))
                fetched = served[before:]
            finally:
                browser.close()
    finally:
        server.shutdown()
    for path, sent in fetched:
        file = site / path.lstrip("/")
        if path.endswith("/") or path.endswith(".html"):  # the page itself, not the search
            continue
        packed = transfer_size(file)[1] if file.is_file() and sent == file.stat().st_size else sent
        download.files.append((path.lstrip("/"), sent, packed))
    download.note = "bytes as served without compression; gzip column: as a host that compresses JS/CSS/JSON sends them"
    return download


def search_download(site: Path, query: str, browser: bool = True) -> Download:
    """The bytes one Chinese search query fetches: in Chromium when it is installed, else estimated."""
    binary = chromium() if browser else None
    if binary:
        try:
            return browser_download(site, query, binary)
        except Exception as err:  # a broken browser should not cost the whole run its figures
            estimate = estimated_download(site, query)
            estimate.note += f"; the browser failed: {type(err).__name__}: {str(err)[:200]}"
            return estimate
    return estimated_download(site, query)


# ---------------------------------------------------------------- edits


def edit_org(root: Path, step: int) -> Path:
    """Change one org's summary (a different org each step); the registry stays valid."""
    files = sorted((root / "registry" / "orgs").rglob("*.yaml"))
    path = files[(7 * step + 3) % len(files)]
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^summary: *[\"']?", text, re.MULTILINE)  # plain or quoted: write inside the quotes
    if not match:
        raise ValueError(f"no `summary:` in {path}")
    path.write_text(text[: match.end()] + f"修改{step}，" + text[match.end() :], encoding="utf-8")
    return path


def edit_roster(root: Path, step: int) -> Path:
    """Change one member's birth year in one roster file."""
    files = sorted((root / "registry" / "members").rglob("*.yaml"))
    path = files[(11 * step + 5) % len(files)]
    text = path.read_text(encoding="utf-8")
    match = re.search(r"(\n\s*born: )(\d{4})", text)
    if not match:
        raise ValueError(f"no `born:` in {path}")
    year = int(match.group(2))
    changed = year + 1 if year < 2000 else year - 1
    path.write_text(text[: match.start(2)] + str(changed) + text[match.end(2) :], encoding="utf-8")
    return path


def edit_member(root: Path, step: int) -> Path:
    """Move one 正式党员's admission day (`joined`, which the counting reads) one day earlier, in one roster file (a
    different file each step; a member without a history, so the registry stays valid). `edit_roster` changes a
    birth year, which no figure reads."""
    files = sorted((root / "registry" / "members").rglob("*.yaml"))
    path = files[(11 * step + 7) % len(files)]
    text = path.read_text(encoding="utf-8")
    start = 0
    for block in re.split(r"(?m)^(?=- )", text):
        found = re.search(r"(\n\s*joined: )(\d{4}-\d{2}-\d{2})", block)
        if found and re.search(r"status: [\"']?正式党员", block) and "history:" not in block:
            day = datetime.date.fromisoformat(found.group(2)) - datetime.timedelta(days=1)
            at = start + found.start(2)
            path.write_text(text[:at] + day.isoformat() + text[at + 10 :], encoding="utf-8")
            return path
        start += len(block)
    raise ValueError(f"no 正式党员 with `joined:` and no history in {path}")


def edit_ledger(root: Path, step: int) -> Path:
    """Add one points entry to one duty-ledger file (a different file each step): the first entry's member, a day later
    than its date, under its rule (the commonest edit of all: a branch records the month's points)."""
    files = sorted((root / "registry" / "points" / "ledger").rglob("*.yaml"))
    path = files[(13 * step + 5) % len(files)]
    text = path.read_text(encoding="utf-8")
    found = re.search(r"(?m)^- member: (\S+)\n  date: (\d{4}-\d{2}-\d{2})\n  rule: (\S+)\n", text)
    if not found:
        raise ValueError(f"no entry with a member, a date and a rule in {path}")
    day = min(datetime.date.fromisoformat(found.group(2)) + datetime.timedelta(days=1), datetime.date(2025, 12, 31))
    entry = f"- member: {found.group(1)}\n  date: {day.isoformat()}\n  rule: {found.group(3)}\n"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    with path.open("a", encoding="utf-8") as out:
        out.write(entry)
    return path


def edit_result(root: Path, step: int) -> Path:
    """Change one score in one assessment result file (kept within the indicator's maximum)."""
    files = sorted((root / "registry" / "assessments" / "results").rglob("*.yaml"))
    path = files[(3 * step + 1) % len(files)]
    text = path.read_text(encoding="utf-8")
    match = re.search(r"(\bwork: )([0-9.]+)", text)
    if not match:
        raise ValueError(f"no `work:` score in {path}")
    path.write_text(text[: match.start(2)] + f"{40 + (step % 9) + 0.25}" + text[match.end(2) :], encoding="utf-8")
    return path


def edit_story(root: Path, step: int) -> Path:
    """Change one story's text: a sentence added to its last paragraph (a different story each step)."""
    files = sorted((root / "content" / "stories").rglob("*.md"))
    if not files:
        raise ValueError(f"no story under {root / 'content' / 'stories'}")
    path = files[(13 * step + 2) % len(files)]
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text + f"第{step + 1}次修改补充了一句。\n", encoding="utf-8")
    return path


# What a build imports before it reads a file (the command line and the site builder): the floor of every command.
IMPORTS = "import dangjian.cli, dangjian.site.build"

EDITS = (
    ("org", "one org file changed", edit_org),
    ("roster", "one roster file changed", edit_roster),
    ("member", "one member's admission day changed", edit_member),
    ("ledger", "one points entry added", edit_ledger),
    ("result", "one result file changed", edit_result),
    ("story", "one story changed", edit_story),
)


# ---------------------------------------------------------------- running


def with_cache(cache: Path | str) -> None:
    """Point the children's parse cache at `cache` (a folder, or "off")."""
    os.environ["DANGJIAN_CACHE"] = str(cache)


def checked(run: Run, what: str) -> Run:
    """`run`, or a RuntimeError with the end of its output when it failed."""
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {run.returncode}):\n{(run.stderr or run.stdout)[-3000:]}")
    return run


def say(figure: Figure, run: Run) -> None:
    print(
        f"    {figure.label}: {run.wall:.2f} s wall, {run.cpu:.2f} s cpu, {run.peak_kib / 1024:.0f} MiB peak "
        f"(tree {getattr(run, 'tree_kib', 0) / 1024:.0f} MiB)",
        flush=True,
    )


def over_budget(figure: Figure, budget: float) -> bool:
    return bool(figure.runs) and sum(run.wall for run in figure.runs) >= budget


def discard_kept(out: Path) -> None:
    """Remove the site a build of `out` kept for the next one (`dangjian.site.output.kept_of`), made by an earlier run
    in this bench's own folder: a cold build starts from no kept site, as from no cache. Left there, the previous cold
    build's kept site is proven by a cache the next cold build does not use, so that build and every rebuild after it
    find it unprovable, keep nothing and carry into a new folder (the county's rebuilds 0.7–1.2 → 1.7–2.9 s with
    `--repeat 3`, r40 and r41's first run)."""
    from dangjian.site.output import kept_of  # the checkout's dangjian, the one `BIN` runs

    shutil.rmtree(kept_of(out), ignore_errors=True)


def validate_cmd(root: Path) -> list[str]:
    return [str(BIN), "validate", "--root", str(root)]


@functools.cache
def build_offers_cold() -> bool:
    """Whether `dangjian build` has `--cold` (a full build whatever the previous output and its manifest hold)."""
    result = subprocess.run([str(BIN), "build", "--help"], capture_output=True, text=True)
    return "--cold" in result.stdout


def build_cmd(root: Path, out: Path, search: bool = True, cold: bool = False) -> list[str]:
    """`dangjian build`: a rebuild reuses what it can of the previous output (when dangjian can); `cold` forces
    a full build (`--cold`, where it exists; the cold runs also start from a fresh cache and an absent folder)."""
    command = [str(BIN), "build", "--root", str(root), "--out", str(out)]
    if not search:
        command.append("--no-search")
    if cold and build_offers_cold():
        command.append("--cold")
    return command


def prepare_registry(scale: str, work: Path, given: Path | None, git: bool = True) -> Path:
    """The registry root to measure: a copy of `given`, or a fresh `dangjian synth`; committed to git (`git`), as
    editors' registries are (pages then show their history, and a build reads it)."""
    root = _registry_files(scale, work, given)
    if git:
        started = time.perf_counter()
        commit_all(root, "合成登记簿")
        print(f"  committed to git in {time.perf_counter() - started:.1f} s", flush=True)
    return root


def commit_all(root: Path, subject: str) -> None:
    """`root` as a git repository of one commit holding every file (a fixed author and date)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.org",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+08:00",
        "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+08:00",
    }
    for args in (["init", "--quiet"], ["add", "-A"], ["commit", "--quiet", "--no-verify", "-m", subject]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def _registry_files(scale: str, work: Path, given: Path | None) -> Path:
    root = work / "registry-root"
    if given is not None:
        if not (given / "registry").is_dir():
            raise RuntimeError(f"{given} has no registry/ folder")
        started = time.perf_counter()
        shutil.copytree(given, root, symlinks=True, ignore=shutil.ignore_patterns("site", ".git"))
        print(f"  copied {given} in {time.perf_counter() - started:.1f} s (the benchmark edits files)", flush=True)
        return root
    started = time.perf_counter()
    result = subprocess.run([str(BIN), "synth", "--scale", scale, "--out", str(root)], capture_output=True, text=True)
    if result.returncode != 0 and "--scale" in result.stderr and not any(root.iterdir() if root.exists() else ()):
        # a scale the library has but the command does not offer yet: call the library
        code = f"from dangjian.synth import synth; synth({scale!r}, {str(root)!r})"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"dangjian synth --scale {scale} failed:\n{(result.stderr or result.stdout)[-2000:]}")
    print(f"  synth --scale {scale}: {time.perf_counter() - started:.1f} s", flush=True)
    return root


SERVE_RELOAD = REPO / "bench" / "serve_reload.py"


def measure_serve(scale: str, work: Path, repeat: int) -> tuple[Figure | None, str]:
    """`dangjian serve`: the seconds from saving a registry file to the browser showing the change, by
    `bench/serve_reload.py`'s `measure(scale, work, edits, search)` (its own registry of the scale, in git, and
    headless Chromium): at least 3 edits, the median counts. (None, why) when it is absent or failed."""
    if not SERVE_RELOAD.is_file():
        return None, "not measured: bench/serve_reload.py does not exist in this checkout"
    print("  serve: save → browser", flush=True)
    try:
        import serve_reload

        edits = serve_reload.measure(scale, work / "serve", max(3, repeat), True)
    except Exception as err:  # a broken preview should not cost the run its other figures
        return None, f"not measured: serve_reload.measure failed: {type(err).__name__}: {str(err)[:200]}"
    figure = Figure("serve: save → browser shows the change", "serve_reload", peer="")
    for edit in edits:
        figure.runs.append(Run(edit.total, edit.cpu, 0, 0, "", ""))
        print(f"    {figure.label}: {edit.total:.2f} s, {edit.cpu:.2f} s cpu", flush=True)
    if not figure.runs:
        return None, "not measured: serve_reload.py made no edit"
    figure.note = f"{len(edits)} edits of an org's name, median; dangjian serve with search, headless Chromium"
    return figure, figure.note


def measure_scale(
    scale: str,
    work: Path,
    given: Path | None,
    repeat: int,
    budget: float,
    query: str,
    browser: bool,
    git: bool = True,
) -> dict[str, Any]:
    """Every measurement at one scale; returns the scale's JSON record."""
    work.mkdir(parents=True, exist_ok=True)
    root = prepare_registry(scale, work, given, git)
    figures: dict[str, Figure] = {}
    caches = iter(range(10_000))

    def fresh_cache() -> Path:
        path = work / f"cache-{next(caches)}"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        return path

    def add(key: str, label: str, peer: str = "hugo+pagefind") -> Figure:
        figures[key] = Figure(label, key, peer=peer)
        return figures[key]

    # validate
    print("  validate", flush=True)
    cold = add("validate_cold", "validate, cold cache")
    records = files = None
    for attempt in range(repeat):
        if over_budget(cold, budget):
            break
        with_cache(fresh_cache())  # warm and touched below use the last one
        run = checked(timed_tree(validate_cmd(root)), "dangjian validate")
        found = RECORDS_LINE.search(run.stdout + run.stderr)
        if found:
            files, records = int(found.group(1)), int(found.group(2))
        cold.runs.append(run)
        say(cold, run)
    warm = add("validate_warm", "validate, warm cache, no change")
    touched = add("validate_touched", "validate, one org file changed")
    for attempt in range(repeat):
        if over_budget(warm, budget):
            break
        run = checked(timed_tree(validate_cmd(root)), "dangjian validate")
        warm.runs.append(run)
        say(warm, run)
    for attempt in range(repeat):
        if over_budget(touched, budget):
            break
        edit_org(root, 100 + attempt)
        run = checked(timed_tree(validate_cmd(root)), "dangjian validate after an edit")
        touched.runs.append(run)
        say(touched, run)

    # cold builds, each run followed by a run of the peer on the same pages (Hugo, then Pagefind)
    # and a cold build without search, so that all their medians sample the same stretch of a
    # noisy machine
    print("  build, cold, with the peer after each run", flush=True)
    site = work / "site"
    bare = work / "site-no-search"
    build_cold = add("build_cold", "build, cold (search)")
    no_search = add("build_cold_no_search", "build, cold, --no-search", peer="hugo")
    hugo = add("peer_hugo", "peer: Hugo", peer="")
    indexer = add("peer_pagefind", "peer: Pagefind over Hugo's output", peer="")
    pages = build_cache = peer = bare_stats = None
    peer_stats = TreeStats()
    peer_pages = 0
    public = work / "hugo-site" / "public"
    for attempt in range(repeat):
        if over_budget(build_cold, budget):
            break
        build_cache = fresh_cache()
        with_cache(build_cache)
        shutil.rmtree(site, ignore_errors=True)
        discard_kept(site)
        run = checked(timed_tree(build_cmd(root, site, cold=True)), "dangjian build")
        found = PAGES_LINE.search(run.stderr + run.stdout)
        pages = int(found.group(1)) if found else pages
        build_cold.runs.append(run)
        say(build_cold, run)

        if peer is None:  # from the first cold build's output
            started = time.perf_counter()
            peer = write_peer_site(site, work / "hugo-site")
            print(
                f"    (wrote the peer's Hugo site, {peer.pages:,} pages, in {time.perf_counter() - started:.1f} s)",
                flush=True,
            )
        shutil.rmtree(public, ignore_errors=True)
        run = checked(
            timed_tree(
                [str(hugo_binary()), "--quiet", "--source", str(peer.root), "--destination", str(public)], cwd=peer.root
            ),
            "hugo",
        )
        hugo.runs.append(run)
        say(hugo, run)
        html_only = tree_stats(public)
        run = checked(
            timed_tree([str(pagefind_binary()), "--site", str(public), "--force-language", "zh"], cwd=peer.root),
            "pagefind over Hugo's output",
        )
        indexer.runs.append(run)
        say(indexer, run)
        peer_stats = tree_stats(public)
        peer_stats.html_files, peer_stats.html_bytes = html_only.html_files, html_only.html_bytes
        found = re.search(r"Indexed (\d+) pages?", run.stdout)
        peer_pages = int(found.group(1)) if found else peer.pages

        with_cache(fresh_cache())
        shutil.rmtree(bare, ignore_errors=True)
        discard_kept(bare)
        run = checked(timed_tree(build_cmd(root, bare, search=False, cold=True)), "dangjian build --no-search")
        no_search.runs.append(run)
        say(no_search, run)
        bare_stats = tree_stats(bare)
        shutil.rmtree(bare, ignore_errors=True)
    both = combined("peer: Hugo + Pagefind", "peer_hugo_pagefind", hugo, indexer)
    figures[both.key] = both
    stats = tree_stats(site)
    pages = pages or max(0, stats.html_files - 1)

    # what the last cold build wrote, and a search on it (before the rebuilds below replace it)
    print("  output and search download", flush=True)
    download = search_download(site, query, browser)
    print(
        f"    search {query!r}: {download.raw_bytes / KB:.0f} KB in {len(download.files)} files "
        f"({download.gzip_bytes / KB:.0f} KB gzip), {download.method}",
        flush=True,
    )

    # rebuilds after one change, into the cold build's folder with its warm cache
    for key, label, edit in EDITS:
        figure = add(f"build_{key}", f"build, {label} (search)")
        if build_cache is not None:
            with_cache(build_cache)
        for attempt in range(repeat):
            if over_budget(figure, budget):
                break
            try:
                edit(root, attempt)
            except ValueError as err:  # a registry given with --registry may lack the kind (no story)
                figure.note = f"not measured: {err}"
                print(f"    {figure.label}: {figure.note}", flush=True)
                break
            run = checked(timed_tree(build_cmd(root, site)), f"dangjian build after {label}")
            figure.runs.append(run)
            say(figure, run)

    # the floors under the rebuilds: a rebuild after no change (what every rebuild pays before an edit's own work),
    # and Python started with dangjian imported (what every command pays before reading a file)
    nothing = add("build_none", "build, nothing changed (search)")
    if build_cache is not None:
        with_cache(build_cache)
    for attempt in range(repeat):
        if over_budget(nothing, budget):
            break
        run = checked(timed_tree(build_cmd(root, site)), "dangjian build after no change")
        nothing.runs.append(run)
        say(nothing, run)
    imported = add("python_import", "Python started, dangjian imported", peer="")
    for attempt in range(repeat):
        run = checked(timed_tree([sys.executable, "-c", IMPORTS]), "importing dangjian")
        imported.runs.append(run)
        say(imported, run)

    # the preview: save a file, wait for the browser to show it (bench/serve_reload.py, when it exists)
    serve, serve_note = measure_serve(scale, work, repeat)
    if serve is not None:
        figures[serve.key] = serve

    record = {
        "serve_note": serve_note,
        "scale": scale,
        "registry": str(given) if given else f"dangjian synth --scale {scale}",
        "files": files,
        "records": records,
        "pages": pages,
        "peer_pages": peer_pages,
        "figures": {key: figure.as_json() for key, figure in figures.items()},
        "site": {**asdict(stats), "average_html_bytes": stats.average_html_bytes},
        "site_no_search": (
            {**asdict(bare_stats), "average_html_bytes": bare_stats.average_html_bytes} if bare_stats else None
        ),
        "peer_site": {
            **asdict(peer_stats),
            "average_html_bytes": peer_stats.average_html_bytes,
            "average_indexed_bytes_ours": peer.body_bytes if peer else None,
            "layout_padding_bytes": peer.padding_bytes if peer else None,
        },
        "search": {
            "query": download.query,
            "method": download.method,
            "bytes": download.raw_bytes,
            "gzip_bytes": download.gzip_bytes,
            "results": download.results,
            "note": download.note,
            "files": [{"path": p, "bytes": raw, "gzip_bytes": packed} for p, raw, packed in download.files],
        },
    }
    record["ratios"] = ratios(record)
    record["targets"] = targets(record)
    return record


# ---------------------------------------------------------------- report


def peer_of(record: dict[str, Any], figure: dict[str, Any]) -> dict[str, Any] | None:
    """The peer figure that `figure` is divided by."""
    return {
        "hugo+pagefind": record["figures"].get("peer_hugo_pagefind"),
        "hugo": record["figures"].get("peer_hugo"),
    }.get(figure.get("peer") or "")


def ratios(record: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Each of our figures over its peer's: wall and CPU."""
    out = {}
    for key, figure in record["figures"].items():
        peer = peer_of(record, figure)
        if peer is None:
            continue
        out[key] = {"wall": ratio(figure["wall_s"], peer["wall_s"]), "cpu": ratio(figure["cpu_s"], peer["cpu_s"])}
    return out


def _wall(record: dict[str, Any], key: str) -> float | None:
    figure = record["figures"].get(key)
    return figure["wall_s"] if figure else None


def limit_at(scale: str, county: float, city: float) -> tuple[float, str]:
    """The issue's limit at `scale`: its county figure up to county scale, its city figure above."""
    if scale in ("town", "county"):
        return county, "county"
    return city, "city"


def _seconds_shown(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _cpu_ratio(record: dict[str, Any], key: str) -> str:
    """ "; CPU time ×r" (a loaded machine stretches wall times more than CPU times), or ""."""
    share = (record["ratios"].get(key) or {}).get("cpu")
    return f"; CPU time ×{share:.2f}" if share is not None else ""


def build_peak_mib(record: dict[str, Any]) -> tuple[float | None, str]:
    """The largest memory of a build (ours, cold or rebuild), MiB: the larger of its process tree's sampled
    PSS and its largest process's RSS; and which build it was."""
    best: tuple[float | None, str] = (None, "")
    for key, figure in record["figures"].items():
        if not key.startswith("build"):
            continue
        value = max(figure.get("tree_mib") or 0, figure.get("peak_mib") or 0)
        if value and (best[0] is None or value > best[0]):
            best = (value, figure["label"])
    return best


def targets(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 23's targets, one row each: what was measured, the limit (the county figure up to county scale,
    the city figure above) and met / not met (None: not measured)."""
    out: list[dict[str, Any]] = []
    scale = record["scale"]

    def check(
        name: str,
        value: float | None,
        limit: float,
        shown: str,
        wanted: str,
        note: str = "",
        floor: tuple[str, float | None] = ("", None),
    ) -> None:
        out.append(
            {
                "target": name,
                "value": value,
                "limit": limit,
                "shown": shown,
                "wanted": wanted,
                "note": note,
                "met": None if value is None else value <= limit,
                "floor": floor[0],
                "floor_s": floor[1],
            }
        )

    limit, at = limit_at(scale, 1.0, 5.0)
    imports = _wall(record, "python_import")
    for key, label, _ in EDITS:
        value = _wall(record, f"build_{key}")
        figure = record["figures"].get(f"build_{key}") or {}
        runs = figure.get("runs") or []
        spread = f"cpu {figure['cpu_s']:.2f} s" if figure.get("cpu_s") is not None else ""
        if len(runs) > 1:
            spread += f"; {len(runs)} runs, {min(r['wall_s'] for r in runs):.2f}–{max(r['wall_s'] for r in runs):.2f} s"
        check(
            f"build after {label}, search included",
            value,
            limit,
            _seconds_shown(value) if value is not None else "not measured",
            f"≤ {limit:g} s ({at})",
            spread or figure.get("note", ""),
            _floor(value, limit, _wall(record, "build_none"), imports, "a build after no change", "any rebuild"),
        )

    limit, at = limit_at(scale, 1.0, 3.0)
    serve = record["figures"].get("serve_reload")
    value = serve["wall_s"] if serve else None
    check(
        "serve: save → browser shows the change",
        value,
        limit,
        _seconds_shown(value) if serve else "not measured",
        f"≤ {limit:g} s ({at})",
        (serve or {}).get("note") or record.get("serve_note", ""),
    )

    for key, peer, limit, label in (
        ("build_cold", "peer_hugo_pagefind", 1.0, "build, cold, search included ÷ Hugo + Pagefind"),
        ("build_cold_no_search", "peer_hugo", 3.0, "build, cold, --no-search ÷ Hugo"),
    ):
        share = (record["ratios"].get(key) or {}).get("wall")
        check(
            label,
            share,
            limit,
            f"×{share:.2f}" if share is not None else "-",
            f"≤ ×{limit:.1f}",
            f"{_seconds_shown(_wall(record, key))} vs {_seconds_shown(_wall(record, peer))}" + _cpu_ratio(record, key),
        )

    value = _wall(record, "validate_cold")
    check("validate, cold", value, 10, _seconds_shown(value), "≤ 10 s")
    value = _wall(record, "validate_touched")
    warm = _wall(record, "validate_warm")
    told = _floor(value, 1, warm, imports, "a validation after no change", "any validation")
    check("validate, after one change", value, 1, _seconds_shown(value), "≤ 1 s", floor=told)

    peak, which = build_peak_mib(record)
    check(
        "peak memory of a build (its process tree)",
        None if peak is None else peak * 2**20,
        2 * GIB,
        f"{peak:,.0f} MiB" if peak is not None else "-",
        "≤ 2 GiB",
        f"{which}; the larger of the tree's sampled PSS sum and the largest process's RSS" if which else "",
    )

    search = record["search"]
    check(
        "a Chinese query's download",
        search["bytes"],
        300 * KB,
        f"{search['bytes'] / KB:.0f} KB",
        "≤ 300 KB",
        f"query {search['query']}, {len(search['files'])} files, {search['gzip_bytes'] / KB:.0f} KB if the host "
        f"gzips JS/CSS; {search['method']}",
    )

    site = record["site"]
    other = (
        f"; largest outside api/: {site['largest_other_path']} ({site['largest_other_bytes'] / KB:,.0f} KB)"
        if site.get("largest_other_path") and site["largest_other_path"] != site["largest_path"]
        else ""
    )
    check(
        "largest output file (exports included)",
        site["largest_bytes"],
        MB,
        f"{site['largest_path']} {site['largest_bytes'] / KB:,.0f} KB",
        "≤ 1 MB",
        f"{site['files']:,} files{other}",
    )
    return out


def _floor(
    value: float | None, limit: float, nothing: float | None, imports: float | None, what: str, every: str
) -> tuple[str, float | None]:
    """For a target not met (`value` over `limit`), what was measured under it, told and in seconds: `what` (the same
    command with nothing to do: `nothing` seconds, of which starting Python and importing dangjian `imports`) and
    whether that floor or the change's own work is over the limit. ("", None) for a target met or without a floor."""
    if nothing is None or value is None or value <= limit:
        return "", None
    told = f"{what} {_seconds_shown(nothing)}"
    if imports is not None:
        told += f" (of which Python started and dangjian imported {_seconds_shown(imports)})"
    if nothing > limit:
        return f"{told}: over the limit by itself, {every} pays it", nothing
    return f"{told}; the change's own work, {_seconds_shown(max(0.0, value - nothing))}, is what is over", nothing


ORDER = (
    "validate_cold",
    "validate_warm",
    "validate_touched",
    "build_cold",
    "build_cold_no_search",
    "build_org",
    "build_roster",
    "build_result",
    "build_story",
    "build_none",
    "python_import",
    "serve_reload",
    "peer_hugo",
    "peer_pagefind",
    "peer_hugo_pagefind",
)


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(record: dict[str, Any]) -> str:
    """The table of one scale: every figure, its ratio to the peer, the output, the search, the targets."""
    lines = []
    head = f"{record['scale']}: {record['pages'] or 0:,} pages"
    if record.get("files"):
        head += f", {record['files']:,} files"
    if record.get("records"):
        head += f", {record['records']:,} records"
    lines.append(head)
    lines.append(
        f"{'what':<44}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}{'tree MiB':>10}{'× peer wall':>13}"
        f"{'× peer cpu':>12}{'runs':>6}"
    )
    for key, figure in sorted(
        record["figures"].items(), key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else 99
    ):
        share = record["ratios"].get(key, {})
        peer = figure.get("peer") or ""
        mark = "" if not peer else (" (vs Hugo)" if peer == "hugo" else "")
        lines.append(
            f"{figure['label'] + mark:<44}{_num(figure['wall_s']):>9}{_num(figure['cpu_s']):>9}"
            f"{_num(figure['peak_mib'], 0):>10}{_num(figure.get('tree_mib'), 0):>10}"
            f"{_num(share.get('wall')):>13}{_num(share.get('cpu')):>12}"
            f"{len(figure['runs']):>6}"
        )
    site, peer = record["site"], record["peer_site"]
    lines.append("")
    lines.append(
        f"output: {site['total_bytes'] / MB:,.1f} MB in {site['files']:,} files; {site['html_files']:,} HTML "
        f"pages, average {site['average_html_bytes'] / KB:.1f} KB; largest {site['largest_path']} "
        f"({site['largest_bytes'] / KB:,.0f} KB)"
    )
    lines.append(
        f"peer output: {peer['total_bytes'] / MB:,.1f} MB in {peer['files']:,} files; {peer['html_files']:,} HTML "
        f"pages, average {peer['average_html_bytes'] / KB:.1f} KB; Pagefind indexed {record.get('peer_pages') or 0:,}"
    )
    search = record["search"]
    lines.append(
        f"search {search['query']}: {search['bytes'] / KB:.0f} KB in {len(search['files'])} files "
        f"({search['gzip_bytes'] / KB:.0f} KB with gzip), {search['method']}"
    )
    lines.append("")
    lines.append("targets of issue 23 (the county limit up to county scale, the city limit above):")
    rows = [("target", "measured", "wanted", "state")]
    rows += [(t["target"], t["shown"], t["wanted"], target_state(t)) for t in record["targets"]]
    widths = [max(len(row[column]) for row in rows) + 2 for column in range(3)]
    notes = [("", "")] + [(t["note"], t.get("floor", "")) for t in record["targets"]]
    for row, (note, floor) in zip(rows, notes):
        lines.append("  " + "".join(cell.ljust(width) for cell, width in zip(row, widths)) + row[3])
        if note:
            lines.append(f"      {note}")
        if floor:
            lines.append(f"      floor: {floor}")
    return "\n".join(lines)


def target_state(target: dict[str, Any]) -> str:
    """met, not met, or not measured."""
    if target["met"] is None:
        return "not measured"
    return "met" if target["met"] else "NOT MET"


# ---------------------------------------------------------------- main


def parse_registries(values: list[str], scales: list[str]) -> dict[str, Path]:
    """`--registry DIR` (one scale) or `--registry SCALE=DIR` (any) → {scale: DIR}."""
    given: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if sep and name in SCALES:
            given[name] = Path(path).expanduser().resolve()
        elif len(scales) == 1:
            given[scales[0]] = Path(value).expanduser().resolve()
        else:
            raise SystemExit(f"--registry {value}: with several scales write SCALE=DIR")
    return given


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        nargs="+",
        choices=SCALES,
        default=["county"],
        help="one or more of town, county, city (default county)",
    )
    parser.add_argument(
        "--registry",
        action="append",
        default=[],
        metavar="[SCALE=]DIR",
        help="measure a copy of this registry root instead of synthesizing one",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; medians are shown (default 1)")
    parser.add_argument(
        "--budget",
        type=float,
        default=900.0,
        help="stop repeating a measurement once its runs took this many seconds (default 900)",
    )
    parser.add_argument("--query", default=DEFAULT_QUERY, help=f"the Chinese search query (default {DEFAULT_QUERY})")
    parser.add_argument(
        "--no-browser", action="store_true", help="estimate the search download even if Chromium is installed"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"write the figures here (default {DEFAULT_JSON.relative_to(REPO)})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (registries, sites, Hugo site)")
    parser.add_argument(
        "--no-git",
        action="store_true",
        help="leave the registry outside git (rounds before the ninth: its pages then have no history)",
    )
    return parser.parse_args(argv)


def measured_commit() -> dict[str, Any]:
    """The commit checked out, and the source files that differ from it (the figures measure those too)."""

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return result.stdout.rstrip("\n") if result.returncode == 0 else ""  # porcelain lines start with a space

    changed = git("status", "--porcelain", "--", "generator", "site_templates", "pyproject.toml").splitlines()
    return {
        "commit": git("rev-parse", "HEAD"),
        "subject": git("log", "-1", "--format=%s")[:120],
        "uncommitted": [line[3:] for line in changed],
    }


def command_line(argv: list[str]) -> str:
    return ".venv/bin/python bench/scale.py " + " ".join(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    given = parse_registries(args.registry, args.scale)
    work = Path(tempfile.mkdtemp(prefix="dj-scale-"))
    fingerprint = source_fingerprint()
    commit = measured_commit()
    bytecode = compile_source()
    saved_cache = os.environ.get("DANGJIAN_CACHE")
    result: dict[str, Any] = {
        "tool": "bench/scale.py",
        "command": command_line(argv),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "load_average": list(os.getloadavg()),
        },
        "dangjian_source": fingerprint,
        "commit": commit,
        "bytecode": bytecode,
        "repeat": args.repeat,
        "query": args.query,
        "search_engine": search_engine(),
        "scales": [],
    }
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}; "
        f"temporary folder {work}"
    )
    dirty = f", {len(commit['uncommitted'])} source files uncommitted" if commit["uncommitted"] else ""
    print(f"dangjian source: {fingerprint}; commit {commit['commit'][:12]}{dirty}; bytecode {bytecode}")
    print(f"search engine: {result['search_engine']} ({ENGINE_VARIABLE}={os.environ.get(ENGINE_VARIABLE, '')!r})")
    tables = []
    try:
        for scale in args.scale:
            print(f"\n== {scale}", flush=True)
            started = time.perf_counter()
            try:
                record = measure_scale(
                    scale,
                    work / scale,
                    given.get(scale),
                    args.repeat,
                    args.budget,
                    args.query,
                    not args.no_browser,
                    git=not args.no_git,
                )
            except RuntimeError as err:
                print(f"  ! {scale}: {err}", flush=True)
                continue
            record["seconds"] = time.perf_counter() - started
            result["scales"].append(record)
            table = format_table(record)
            tables.append(table)
            print("\n" + table, flush=True)
            if not args.keep:
                shutil.rmtree(work / scale, ignore_errors=True)
    finally:
        if saved_cache is None:
            os.environ.pop("DANGJIAN_CACHE", None)
        else:
            os.environ["DANGJIAN_CACHE"] = saved_cache
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    result["load_average_after"] = list(os.getloadavg())
    if source_fingerprint() != fingerprint:
        result["warning"] = "dangjian's source changed during the run: the figures mix two versions"
        print(f"\n! {result['warning']}; run again")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if len(tables) > 1:
        print("\n\n" + "\n\n".join(tables))
    print(
        "\nmedians over the runs; cpu = user+sys of the command and its children (Pagefind, workers); peak = the "
        "largest max RSS of one process (wait4); tree = the largest sampled sum of the PSS of the command's "
        "processes; × peer = ours / Hugo + Pagefind on the same pages (--no-search: / Hugo) in this run"
    )
    print(f"figures written to {args.json}")
    print(f"reproduce: {command_line(argv)}")
    return 0 if result["scales"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
