"""`dangjian serve` in headless Chromium: a saved edit reloads the open page, a bad edit shows its
problems over the page (as text), the fix reloads (issue 23). Needs Debian's chromium, like
test_browser.py; DANGJIAN_REQUIRE_BROWSER=1 fails instead of skipping."""

from __future__ import annotations

import threading

import pytest

from site_helpers import browser, require_chromium, watching  # noqa: F401 - browser: a fixture

require_chromium()

from test_serve_reload import BROKEN_AT, BROKEN_ORG, HOSTILE_KIND, previewing  # noqa: E402

WAIT_MS = 120_000  # a rebuild on a machine shared by many jobs

# The overlay lives in a shadow root (the site's CSS must not restyle it); these read it as a reader does.
OVERLAY = "document.querySelector('#dj-serve')?.shadowRoot"
PROBLEMS = f"Array.from({OVERLAY}?.querySelectorAll('[role=alert] li') || []).map(li => li.textContent)"


@pytest.fixture
def watched(registry, tmp_path):
    """A preview watching its registry, as `dangjian serve` runs it."""
    with previewing(registry(), tmp_path / "site") as (preview, base), watching(preview):
        yield preview, base


def save(preview, rel: str, text: str) -> None:
    (preview.root / rel).write_text(text, encoding="utf-8")


def edited_org(preview, old: str, new: str) -> str:
    return (preview.root / "registry/orgs/east.yaml").read_text(encoding="utf-8").replace(old, new)


def open_page(browser, address: str):
    page = browser.new_page()
    page.goto(address)
    page.wait_for_function("document.querySelector('script[data-status]').dataset.state !== undefined")
    page.evaluate("window.djBeforeReload = true")  # gone after a reload: proves the page was loaded again
    return page


def test_a_saved_edit_reloads_the_open_page_with_the_change(watched, browser):
    preview, base = watched
    page = open_page(browser, base + "orgs/east/")
    assert page.inner_text("h1") == "东村党支部"
    save(preview, "registry/orgs/east.yaml", edited_org(preview, "东村党支部", "东村党总支"))
    page.wait_for_function("document.querySelector('h1')?.textContent === '东村党总支'", timeout=WAIT_MS)
    assert page.evaluate("window.djBeforeReload") is None
    assert page.evaluate(f"{OVERLAY} === undefined || {OVERLAY} === null")


def test_a_bad_edit_shows_its_problems_and_the_fix_reloads(watched, browser):
    preview, base = watched
    page = open_page(browser, base + "orgs/west/")
    good = (preview.root / "registry/orgs/west.yaml").read_text(encoding="utf-8")
    save(preview, "registry/orgs/west.yaml", BROKEN_ORG)
    page.wait_for_function(f"{PROBLEMS}.length > 0", timeout=WAIT_MS)
    problems = page.evaluate(PROBLEMS)
    assert [line.split(": ", 1)[0] for line in problems] == BROKEN_AT
    assert "缺少必填的键 `name`" in problems[-1]
    title = page.evaluate(f"{OVERLAY}.querySelector('[role=alert] h2').textContent")
    assert title == "登记簿有 5 个问题，网站没有重新生成"
    assert page.evaluate("window.djBeforeReload")  # not reloaded into the last good site
    save(preview, "registry/orgs/west.yaml", good.replace("西村党支部", "西村党总支"))
    page.wait_for_function("document.querySelector('h1')?.textContent === '西村党总支'", timeout=WAIT_MS)
    assert page.evaluate("window.djBeforeReload") is None and page.evaluate(PROBLEMS) == []


def test_a_page_opened_while_the_registry_is_broken_shows_the_problems_at_once(watched, browser):
    preview, base = watched
    save(preview, "registry/orgs/west.yaml", BROKEN_ORG)
    assert _until(lambda: preview.status()["failed"])
    page = browser.new_page()
    page.goto(base + "orgs/east/")
    page.wait_for_function(f"{PROBLEMS}.length === 5", timeout=WAIT_MS)
    assert page.inner_text("h1") == "东村党支部"  # the last good site, under the problems


def test_a_problem_quoting_markup_is_shown_as_text(watched, browser):
    preview, base = watched
    page = open_page(browser, base + "orgs/east/")
    save(preview, "registry/orgs/east.yaml", edited_org(preview, "kind: 党支部", f"kind: '{HOSTILE_KIND}'"))
    page.wait_for_function(f"{PROBLEMS}.length > 0", timeout=WAIT_MS)
    assert any(HOSTILE_KIND in line for line in page.evaluate(PROBLEMS))
    assert page.evaluate(f"{OVERLAY}.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('img[onerror]').length") == 0
    assert page.evaluate("window.__pwned") is None


def test_a_rebuild_under_way_is_said_on_the_page(served_slowly, browser):
    preview, base, release = served_slowly
    page = open_page(browser, base + "orgs/east/")
    rebuilding = threading.Thread(target=preview.rebuild)
    rebuilding.start()
    try:
        page.wait_for_function(f"{OVERLAY}?.querySelector('[role=status]')?.textContent.includes('正在重新生成')")
    finally:
        release.set()
        rebuilding.join(WAIT_MS / 1000)
    page.wait_for_function("window.djBeforeReload === undefined", timeout=WAIT_MS)


@pytest.fixture
def served_slowly(registry, tmp_path, monkeypatch):
    """A preview whose next rebuild waits until the test releases it."""
    import dangjian.site.serve as serve_module

    with previewing(registry(), tmp_path / "site") as (preview, base):
        release = threading.Event()
        real = serve_module.attempt

        def held(*args, **kwargs):
            release.wait(WAIT_MS / 1000)
            return real(*args, **kwargs)

        monkeypatch.setattr(serve_module, "attempt", held)
        yield preview, base, release


def _until(condition, seconds: float = WAIT_MS / 1000) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
