"""The demo site in headless Chromium: phone and desktop screenshots, and Chinese search in both scripts.

Needs Debian's chromium (`.ci/run` installs it). Screenshots go to test-artifacts/.
Set DANGJIAN_REQUIRE_BROWSER=1 (CI does) to fail instead of skipping without a browser.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import pytest

from conftest import REPO
from site_helpers import build_site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "test-artifacts"
TRADITIONAL_STORY = """---
title: 溪南村黨員義務清掃河道
date: 2015-08-01
org: caota-xinan
tags: [志願服務]
source: 測試用繁體稿件
---
溪南村黨支部組織黨員沿河撿拾垃圾，鄉親們紛紛點讚。
"""

if not CHROMIUM:
    if os.environ.get("DANGJIAN_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("chromium is not installed", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser") / "root"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    (root / "content/stories/xinan-qingsao-fanti.md").write_text(TRADITIONAL_STORY, encoding="utf-8")
    site = build_site(root, root / "site", search=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield instance
        instance.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
@pytest.mark.parametrize("name,url", [("home", ""), ("org", "orgs/caota-shangyu/"), ("ranking", "rankings/caota-villages/2015-Q2/")])
def test_pages_fit_the_screen_and_are_saved(server, browser, name, url, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server + url)
    assert page.locator("h1#dj-title").inner_text().strip()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at {width}px"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.close()


def results(browser, server, query: str) -> list[str]:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=" + query)
    page.wait_for_selector(".dj-search__result-link", timeout=20000)
    titles = [link.inner_text() for link in page.query_selector_all(".dj-search__result-link")]
    page.close()
    return titles


def test_a_chinese_query_finds_the_page(server, browser):
    assert "上余村：每周二的民情分析会" in results(browser, server, "民情分析会")


def test_a_traditional_query_finds_a_simplified_page(server, browser):
    assert "上余村：每周二的民情分析会" in results(browser, server, "民情分析會")


def test_a_simplified_query_finds_a_traditional_page(server, browser):
    assert "溪南村黨員義務清掃河道" in results(browser, server, "义务清扫河道")


def test_more_results_are_shown_on_request(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=党员")
    page.wait_for_selector(".dj-search__result-link", timeout=20000)
    status = page.inner_text(".dj-search__status")
    found = int("".join(ch for ch in status if ch.isdigit()))
    assert found > 5, status
    assert len(page.query_selector_all(".dj-search__result")) == 5
    page.click(".dj-search__more")
    page.wait_for_function("document.querySelectorAll('.dj-search__result').length > 5", timeout=20000)
    assert len(page.query_selector_all(".dj-search__result")) == min(10, found)
    page.close()


def test_a_query_with_no_match_says_so(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=量子引力")
    page.wait_for_function("document.querySelector('.dj-search__status').textContent.length > 0", timeout=20000)
    assert "没有找到" in page.inner_text(".dj-search__status")
    assert not page.query_selector_all(".dj-search__result")
    page.close()


def test_excerpts_hold_text_and_marks_only(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=民情分析会")
    page.wait_for_selector(".dj-search__excerpt mark", timeout=20000)
    tags = page.evaluate(
        "[...document.querySelectorAll('.dj-search__excerpt *')].map(node => node.tagName)")
    assert set(tags) == {"MARK"}
    page.close()


def test_a_search_fetches_no_worker_and_nothing_missing(server, browser):
    fetched = []
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.on("response", lambda response: fetched.append((response.url, response.status)))
    page.goto(server + "?q=民情分析会")
    page.wait_for_selector(".dj-search__result-link", timeout=20000)
    page.close()
    assert [url for url, status in fetched if status >= 400] == []
    assert any(url.endswith("dangjian-search.json") for url, _ in fetched)
    assert not any("pagefind-worker" in url for url, _ in fetched)
