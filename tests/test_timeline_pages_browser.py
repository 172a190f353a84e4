"""Histories in headless Chromium: a member page with its 履历 and an org page with its 沿革 and membership chart,
on a 390 px phone and a 1366 px desktop. Screenshots go to /tmp/timeline-*.png (to look at).
Set DANGJIAN_REQUIRE_BROWSER=1 to fail instead of skipping without a browser.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import apply_overlay, copy_minimal
from site_helpers import CHROMIUM, build_site, launch_chromium
from test_browser import serving
from test_timeline_pages import EPOCH, overlay

if not CHROMIUM:
    if os.environ.get("DANGJIAN_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("chromium is not installed", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")

SHOTS = Path("/tmp")
PAGES = {"member": "members/m-pub/", "org": "orgs/north/"}


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory):
    root = apply_overlay(copy_minimal(tmp_path_factory.mktemp("tlb") / "root"), overlay())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        site = build_site(root, root.parent / "site")
    with serving(site) as url:
        yield url


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("name", sorted(PAGES))
def test_histories_read_on_a_phone_and_a_desktop(site_url: str, name: str, width: int) -> None:
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(site_url + PAGES[name])
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
            entries = page.locator("ul.dj-history > li")
            assert entries.count() >= 4
            box = entries.first.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width
            if name == "org":
                chart = page.locator("svg.dj-chart--members")
                chart.scroll_into_view_if_needed()
                frame = chart.bounding_box()
                assert frame is not None and frame["x"] + frame["width"] <= width
                # every year label and value is at least 12 px tall as drawn (readable on the phone)
                heights = page.eval_on_selector_all(
                    "svg.dj-chart--members text", "els => els.map(e => e.getBoundingClientRect().height)"
                )
                assert heights and min(heights) >= 12, heights
            page.screenshot(path=str(SHOTS / f"timeline-{name}-{width}.png"), full_page=True)
        finally:
            browser.close()
