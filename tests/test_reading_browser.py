"""Pages that change as a reader uses them, in headless Chromium: the project filters.

Needs Debian's chromium; set DANGJIAN_REQUIRE_BROWSER=1 to fail instead of skipping without it.
"""

from __future__ import annotations

import functools
import http.server
import itertools
import os
import threading

import pytest

from conftest import REPO
from dangjian.recordtypes import PROJECT_CATEGORIES, PROJECT_STATUSES
from dangjian.validate import validate
from site_helpers import CHROMIUM, build_site, launch_chromium

if not CHROMIUM:
    if os.environ.get("DANGJIAN_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("chromium is not installed", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    site = build_site(REPO, tmp_path_factory.mktemp("reading-browser") / "site")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = launch_chromium(p)
        yield instance
        instance.close()


LINES = """cells => cells.map(cell => { const range = document.createRange(); range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; })"""


def test_project_list_keeps_category_and_status_on_one_line_on_a_phone(server, browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "projects/")
    headers = page.eval_on_selector_all("#dj-projects thead th", "ths => ths.map(th => th.textContent.trim())")
    for name in ("类别", "状态", "年份"):
        column = headers.index(name) + 1
        lines = page.eval_on_selector_all(f"#dj-projects tbody td:nth-child({column})", LINES)
        assert lines and set(lines) == {1}, (name, lines)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.close()


def test_a_filter_that_leaves_nothing_says_so(server, browser) -> None:
    projects = validate(REPO).registry.all("project")
    present = {(p["category"], p["status"]) for p in projects}
    category, status = next(
        (c, s)
        for c, s in itertools.product(PROJECT_CATEGORIES, PROJECT_STATUSES)
        if (c, s) not in present
        and any(p["category"] == c for p in projects)
        and any(p["status"] == s for p in projects)
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "projects/")
    empty = page.locator("[data-dj-empty]")
    assert not empty.is_visible()
    page.select_option("select[name=category]", category)
    wanted = sum(1 for p in projects if p["category"] == category)
    assert page.locator("#dj-projects tbody tr:visible").count() == wanted
    assert f"符合条件的项目 {wanted} 个" in page.locator("[data-dj-shown]").inner_text()
    page.select_option("select[name=status]", status)
    assert empty.is_visible() and empty.inner_text() == "没有符合条件的项目。"
    assert not page.locator("#dj-projects").is_visible()
    page.select_option("select[name=category]", "")
    page.select_option("select[name=status]", "")
    assert not empty.is_visible()
    assert page.locator("#dj-projects tbody tr:visible").count() == len(projects)
    page.close()


def test_every_ranking_table_fits_its_column_on_a_desktop(server, browser) -> None:
    reg = validate(REPO).registry
    from dangjian.rankings import RankingBook

    book = RankingBook(reg)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    checked = 0
    for scheme in sorted(reg.schemes):
        for ranking in book.history(scheme):
            page.goto(server + f"rankings/{scheme}/{ranking.period.label}/")
            table, column = page.evaluate("""() => { const t = document.querySelector('article table');
                return [t.getBoundingClientRect().width, t.closest('article').getBoundingClientRect().width]; }""")
            assert table <= column, (scheme, ranking.period.label, table, column)
            checked += 1
    assert checked >= 5 and checked == sum(len(book.history(scheme)) for scheme in reg.schemes)
    page.close()


def test_project_reviews_fit_a_phone_so_no_remark_is_cut(server, browser) -> None:
    projects = [p for p in validate(REPO).registry.all("project") if p.get("reviews")]
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for project in projects:
        page.goto(server + f"projects/{project.id}/")
        table, column = page.evaluate("""() => { const t = [...document.querySelectorAll('article table')].pop();
            return [t.getBoundingClientRect().width, t.closest('article').getBoundingClientRect().width]; }""")
        assert table <= column, (project.id, table, column)
    assert projects
    page.close()
