"""`dangjian serve` with search, in headless Chromium (issue 23), with either engine (the own index, the default, and
Pagefind): a save reloads the open page to the new name at once, the page says the search index is being updated,
and once the index is in place the page reloads and its search finds the new name and never the removed one. Needs
Debian's chromium; DANGJIAN_REQUIRE_BROWSER=1 fails instead of skipping."""

from __future__ import annotations

from pathlib import Path

import pytest

from dangjian.site import ownsearch
from site_helpers import browser, pinned_engine, require_chromium, watching  # noqa: F401 - browser: a fixture

require_chromium()

from test_serve_reload import previewing  # noqa: E402
from test_serve_search import NAME, Held, edit  # noqa: E402

engine_pinned = pinned_engine("pagefind")  # `watched` sets each test's engine itself

WAIT_MS = 120_000
OVERLAY = "document.querySelector('#dj-serve')?.shadowRoot"
NOTE = f"{OVERLAY}?.querySelector('[role=status]')?.textContent || ''"
# The addresses of the pages the site's own search box finds for a query ("unavailable" while it has no index).
FIND = """q => document.querySelector('[data-dj-search]').djFind(q).then(
  results => Promise.all(results.map(r => r.data()))
    .then(pages => pages.map(p => new URL(p.url, location.href).pathname)),
  () => 'unavailable')"""


@pytest.fixture(params=["own", "pagefind"])
def watched(request, registry, tmp_path, monkeypatch):
    """A preview with search (the engine: the param) watching its registry, as `dangjian serve` runs it; the east
    org named NAME."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    monkeypatch.setenv(ownsearch.ENGINE_VARIABLE, request.param)
    base = Path(__file__).parent / "fixtures/minimal/registry/orgs/east.yaml"
    root = registry({"registry/orgs/east.yaml": base.read_text(encoding="utf-8").replace("东村党支部", NAME)})
    with previewing(root, tmp_path / "site", with_search=True) as (preview, address), watching(preview):
        yield preview, address


def test_the_page_shows_the_edit_at_once_and_its_search_finds_it_once_indexed(watched, browser, monkeypatch, tmp_path):
    preview, base = watched
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base + "orgs/east/")
    page.wait_for_function("document.querySelector('script[data-status]').dataset.state !== undefined")
    assert page.inner_text("h1") == NAME
    assert "/orgs/east/" in page.evaluate(FIND, "琥珀")  # the word is in the first index
    page.evaluate("window.djBeforeReload = true")
    held = Held(monkeypatch)
    edit(preview.root, "registry/orgs/east.yaml", NAME, "东村党支部")
    page.wait_for_function("document.querySelector('h1')?.textContent === '东村党支部'", timeout=WAIT_MS)
    assert page.evaluate("window.djBeforeReload") is None  # reloaded, before any index
    page.wait_for_function(f"({NOTE}).includes('搜索索引正在更新')", timeout=WAIT_MS)
    page.screenshot(path=str(tmp_path / "indexing-390.png"))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(tmp_path / "indexing-1366.png"))
    box = page.evaluate(
        f"(() => {{ const r = {OVERLAY}.querySelector('[role=status]').getBoundingClientRect();"
        " return [r.left, r.right, innerWidth]; })()"
    )
    assert 0 <= box[0] and box[1] <= box[2]  # the note stays inside the window
    assert page.evaluate(FIND, "琥珀") == "unavailable"  # no index at all, never the old one
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.djBeforeReload = true")
    held.release.set()
    page.wait_for_function("window.djBeforeReload === undefined", timeout=WAIT_MS)  # reloaded once indexed
    page.wait_for_function("document.querySelector('script[data-status]').dataset.state !== undefined")
    assert page.evaluate(f"{NOTE}") == ""
    assert "/orgs/east/" in page.evaluate(FIND, "东村党支部")
    assert page.evaluate(FIND, "琥珀") == []
    page.close()
