"""Building sites in tests and reading their pages."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from dangjian.site.build import build

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


def build_site(root: Path, out: Path, search: bool = False) -> Path:
    """Build the registry at `root` into `out` and return `out`."""
    build(root, out, with_search=search)
    return out


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
