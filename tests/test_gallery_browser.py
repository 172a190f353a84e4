"""The gallery in headless Chromium at 390 and 1366 px: the lightbox opens and turns by keyboard alone (no
script: links and `:target`), shows its caption and a WebP copy, closes back to the thumbnail; nothing scrolls
sideways; axe finds nothing serious, closed or open. Screenshots: /tmp/photos-browser-*.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import apply_overlay, copy_minimal
from site_helpers import CHROMIUM, build_site, launch_chromium
from test_gallery import ACTIVITY, STORY, jpeg, png, webp

if not CHROMIUM:
    if os.environ.get("DANGJIAN_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("chromium is not installed", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")
from test_browser import SettledAxe, serving  # noqa: E402 - after the skip: it needs playwright too

SHOTS = Path("/tmp")
SIZES = {390: 844, 1366: 900}


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory):
    root = copy_minimal(tmp_path_factory.mktemp("gallery-browser") / "root")
    activities = (root / "registry/activities/town-2026.yaml").read_text(encoding="utf-8")
    apply_overlay(
        root,
        {
            "content/stories/east-road.md": STORY,
            "registry/activities/town-2026.yaml": activities + ACTIVITY,
            "content/assets/gallery/wide.jpg": jpeg((2000, 1000)),
            "content/assets/gallery/turned.jpg": jpeg((600, 400), orientation=6),
            "content/assets/gallery/trans.png": png((1000, 500)),
            "content/assets/gallery/small.webp": webp((300, 200)),
        },
    )
    with serving(build_site(root, root.parent / "site")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = launch_chromium(p)
        yield instance
        instance.close()


def _open_box(page) -> str | None:
    """The id of the lightbox on screen, if one is."""
    return page.evaluate(
        "() => { const b = [...document.querySelectorAll('.dj-lightbox')]"
        ".find(e => getComputedStyle(e).display !== 'none'); return b ? b.id : null }"
    )


def _serious(page) -> list[str]:
    return SettledAxe().problems(page, top=False)


@pytest.mark.parametrize("width", sorted(SIZES))
def test_the_lightbox_opens_turns_and_closes_by_keyboard(site_url: str, browser, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": SIZES[width]})
    page.goto(site_url + "stories/east-road/")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    first = page.locator("a.dj-gallery__thumb").first
    first.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / f"photos-browser-grid-{width}.png"))
    assert _open_box(page) is None and not _serious(page)
    thumbs = page.locator("a.dj-gallery__thumb")
    columns = {round(thumbs.nth(i).bounding_box()["x"]) for i in range(thumbs.count())}
    assert len(columns) >= 2, columns  # a grid, two or more across even on a phone

    first.focus()
    page.keyboard.press("Enter")
    box = _open_box(page)
    assert box and box.endswith("-1-view")
    img = page.locator(f"#{box} img")
    img.evaluate("i => i.decode()")
    assert img.evaluate("i => i.naturalWidth") > 0 and img.evaluate("i => i.currentSrc").endswith(".webp")
    shown = img.bounding_box()
    assert shown["width"] <= width and shown["x"] >= 0  # fits the screen
    assert "路灯亮了" in page.locator(f"#{box} figcaption").inner_text()
    page.screenshot(path=str(SHOTS / f"photos-browser-lightbox-{width}.png"))
    assert not _serious(page)

    page.locator(f"#{box} a", has_text="下一张").focus()
    page.keyboard.press("Enter")
    second = _open_box(page)
    assert second and second.endswith("-2-view")
    page.locator(f"#{second} a", has_text="关闭").focus()
    page.keyboard.press("Enter")
    assert _open_box(page) is None
    assert page.evaluate("location.hash").endswith("-2")  # back at the photo's thumbnail
    page.close()


def test_the_video_poster_is_a_link_out_and_no_frame_loads(site_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site_url + "stories/east-road/")
    link = page.locator("section.dj-video a.dj-video__link")
    link.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "photos-browser-video-390.png"))
    assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    assert page.locator("iframe, video, embed, object").count() == 0
    assert not [r for r in requests if "video.example.org" in r]  # nothing is loaded from the video's platform
    page.close()


def test_tab_moves_into_the_open_lightbox_not_to_the_thumbnails_behind_it(site_url: str, browser) -> None:
    """Opening a lightbox is a fragment navigation: the next Tab starts from the lightbox, so a keyboard user
    reaches 关闭 and 下一张 at once instead of the thumbnails hidden behind it."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(site_url + "stories/east-road/")
    page.locator("a.dj-gallery__thumb").first.focus()
    page.keyboard.press("Enter")
    focused = lambda: page.evaluate("document.activeElement.textContent.trim()")  # noqa: E731
    page.keyboard.press("Tab")
    assert focused() == "关闭 ×"
    page.keyboard.press("Tab")
    assert focused() == "下一张 ›"
    page.keyboard.press("Enter")
    assert (_open_box(page) or "").endswith("-2-view")
    page.keyboard.press("Tab")
    assert focused() == "‹ 上一张"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # 关闭
    assert _open_box(page) is None and page.evaluate("location.hash").endswith("-2")
    page.close()
