"""Building sites in tests and reading their pages."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from dangjian.site import ownsearch
from dangjian.site.build import build

# Both search engines a site can be built with; privacy tests run over each (the own index is the default).
SEARCH_ENGINES = ownsearch.ENGINES
# Where each engine keeps the pages' text that a reader's result shows (a scan that missed it proves nothing).
INDEX_TEXTS = ("pagefind/fragment/", f"{ownsearch.FOLDER}/p/")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Headless Chromium on a closed network: without the background-networking flags it keeps
# trying Google's hosts and fills the log with refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A story written in 繁體, for searches across scripts.
TRADITIONAL_STORY = """---
title: 溪南村黨員義務清掃河道
date: 2015-08-01
org: caota-xinan
tags: [志願服務]
source: 測試用繁體稿件
---
溪南村黨支部組織黨員沿河撿拾垃圾，鄉親們紛紛點讚。
"""


def launch_chromium(playwright):
    """Debian's Chromium, headless, through Playwright (`playwright` is a started `sync_playwright()`)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def require_chromium() -> Any:
    """Playwright's sync API; without Chromium the calling test module is skipped (called as it is imported), or
    fails when DANGJIAN_REQUIRE_BROWSER is set."""
    if not CHROMIUM:
        if os.environ.get("DANGJIAN_REQUIRE_BROWSER"):
            raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
        pytest.skip("chromium is not installed", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for a test module (import this fixture into a module that calls `require_chromium`)."""
    with require_chromium().sync_playwright() as playwright:
        instance = launch_chromium(playwright)
        yield instance
        instance.close()


@contextmanager
def watching(preview: Any) -> Iterator[None]:
    """`preview` (a `serve.Preview`) watching its registry in a thread, as `dangjian serve` runs it."""
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, kwargs={"stop": stop}, daemon=True)
    watcher.start()
    threading.Event().wait(2)  # the watch is set up (watchfiles says nothing when it is)
    try:
        yield
    finally:
        stop.set()
        watcher.join(10)


def pinned_engine(name: str) -> Any:
    """A module-scoped autouse fixture that builds every site of the module that imports it with the search engine
    `name` (as `DANGJIAN_SEARCH_ENGINE` would), for a module that tests one engine's path: set up before the module's
    other fixtures, subprocesses included. Use as `engine_pinned = pinned_engine("pagefind")`."""

    @pytest.fixture(scope="module", autouse=True)
    def engine_pinned() -> Iterator[str]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(ownsearch.ENGINE_VARIABLE, name)
            yield name

    return engine_pinned


def build_site(root: Path, out: Path, search: bool = False, engine: str | None = None) -> Path:
    """Build the registry at `root` into `out` and return `out` (`engine`: the search engine, None the default)."""
    build(root, out, with_search=search, search_engine=engine)
    return out


def every_text(site: Path) -> Iterator[tuple[str, str]]:
    """(address, text) of every file of the site, each engine's index files unpacked: Pagefind's `.pf_*` and the own
    index's `.gz`; for the own index also its meaning (`ownsearch.decoded`: every page's address, title, text and
    terms), so that a term that no file holds as text is read too."""
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        rel = path.relative_to(site).as_posix()
        if path.suffix in (".pf_fragment", ".pf_index", ".pf_meta") or (
            rel.startswith(f"{ownsearch.FOLDER}/") and path.suffix == ".gz"
        ):
            data = gzip.decompress(data)
        yield rel, data.decode("utf-8", errors="replace")
    if (site / ownsearch.FOLDER / "meta.gz").is_file():
        pages = ownsearch.decoded(site / ownsearch.FOLDER)
        yield f"{ownsearch.FOLDER}/(decoded)", json.dumps(pages, ensure_ascii=False)


def index_scanned(texts: dict[str, str]) -> bool:
    """Whether `texts` (from `every_text`) hold a search index's page texts: a privacy scan without them is vacuous."""
    return any(rel.startswith(INDEX_TEXTS) for rel in texts)


def page(site: Path, url: str) -> BeautifulSoup:
    """The parsed page at a site address such as "orgs/east/"."""
    path = site / url / "index.html" if not url.endswith(".html") else site / url
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(site: Path, url: str) -> BeautifulSoup:
    """The part of a page that dangjian writes (what search indexes)."""
    body = page(site, url).select_one("[data-pagefind-body]")
    assert body is not None, f"{url} has no data-pagefind-body"
    return body


def text_files(site: Path) -> list[Path]:
    """Every file of the site that is text."""
    binary = {
        ".png",
        ".jpg",
        ".jpeg",
        ".webp",
        ".ico",
        ".woff",
        ".woff2",
        ".wasm",
        ".pagefind",
        ".pf_meta",
        ".pf_index",
        ".pf_fragment",
    }
    return [p for p in sorted(site.rglob("*")) if p.is_file() and p.suffix not in binary]
