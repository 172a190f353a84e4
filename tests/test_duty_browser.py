"""The duty record (履责证) in Chromium: a public member's page on a phone and a desktop, printed as A5 pages
without the site's header and navigation; a printed certificate is A5 too. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from site_helpers import CHROMIUM, build_site, launch_chromium
from test_browser import ARTIFACTS, demo_copy, serving
from dangjian.cli import main

if not CHROMIUM:
    pytest.skip("chromium is not installed", allow_module_level=True)  # test_browser.py raises when required
playwright = pytest.importorskip("playwright.sync_api")

MEMBER = "members/m-xue-bingkun/"
A5 = (420, 595)  # points (148 × 210 mm)


def is_a5(box: tuple[float, float]) -> bool:
    return abs(box[0] - A5[0]) <= 1 and abs(box[1] - A5[1]) <= 1


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    root = demo_copy(tmp_path_factory)
    with serving(build_site(root, root / "site", search=False)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = launch_chromium(p)
        yield instance
        instance.close()


def page_boxes(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's size in points, from the PDF's MediaBox entries."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf)
    return [(float(w), float(h)) for w, h in boxes]


@pytest.mark.parametrize("width", [390, 1366])
def test_the_duty_record_fits_the_screen(site: str, browser, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(site + MEMBER)
    assert page.locator("section.dj-duty h3").first.inner_text().strip().endswith("2009 年度履责记录")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.locator(".dj-duty__print-name").first.is_hidden()  # the name is for the printed page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"duty-member-{width}.png"), full_page=True)
    page.close()


def test_a_member_page_prints_as_a5_pages_without_the_sites_chrome(site: str, browser) -> None:
    page = browser.new_page()
    page.goto(site + MEMBER)
    page.emulate_media(media="print")
    for chrome in (".md-header", ".md-tabs", ".md-footer", ".dj-search"):
        assert page.locator(chrome).first.evaluate("e => getComputedStyle(e).display") == "none", chrome
    assert page.locator(".dj-duty__print-name").first.is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)  # the page's CSS decides
    boxes = page_boxes(pdf)
    assert len(boxes) >= 2 and all(is_a5(box) for box in boxes), boxes
    (ARTIFACTS / "duty-member-print.pdf").write_bytes(pdf)
    other = browser.new_page()
    other.goto(site + "orgs/caota/")
    other.emulate_media(media="print")
    assert not any(is_a5(box) for box in page_boxes(other.pdf(format="A4", prefer_css_page_size=True)))  # theirs
    page.close()
    other.close()


def test_a_printed_certificate_is_a5(browser, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    out = tmp_path / "out"
    args = ["export", "certificates", "--root", str(root), "--org", "jiangyin-xiagang-puhuiyuan", "--year", "2009"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = browser.new_page()
    page.goto((out / "m-xue-bingkun.html").as_uri())
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    assert all(is_a5(box) for box in page_boxes(pdf))
    (ARTIFACTS / "duty-certificate.pdf").write_bytes(pdf)
    page.goto((out / "all.html").as_uri())
    sheets = page.locator("article.sheet").count()
    assert len(page_boxes(page.pdf(format="A4", prefer_css_page_size=True))) >= sheets == 12  # a page each, at least
    page.close()
