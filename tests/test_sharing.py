"""Pages people share: Open Graph and itemprop metadata and feed links in every page's head, share images
(1200×630 PNG, no metadata, drawn once per content), and the privacy gate reading meta tags."""

from __future__ import annotations

import html
import struct
from io import BytesIO
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dangjian.site import sharing
from dangjian.site.build import build
from dangjian.site.privacy import Gate
from dangjian.validate import validate
from test_feeds import BASE, NO_BASE_SITE


def _pages(site: Path) -> dict[str, BeautifulSoup]:
    """Every HTML page of a built site but the 404, by address."""
    found = {}
    for path in sorted(site.rglob("index.html")):
        rel = path.parent.relative_to(site).as_posix()
        url = "" if rel == "." else rel + "/"
        if url.startswith(("pagefind/", "djsearch/", "assets/")):
            continue
        found[url] = BeautifulSoup(path.read_text("utf-8"), "html.parser")
    return found


def _meta(soup: BeautifulSoup, prop: str) -> str | None:
    tag = soup.head.find("meta", attrs={"property": prop}) or soup.head.find("meta", attrs={"itemprop": prop})
    return tag.get("content") if tag is not None else None


def _png_chunks(data: bytes) -> list[str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, names = 8, []
    while at < len(data):
        length, name = struct.unpack(">I4s", data[at : at + 8])
        names.append(name.decode("ascii"))
        at += 12 + length
    return names


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The minimal registry (with base_url) built once."""
    from conftest import copy_minimal

    root = copy_minimal(tmp_path_factory.mktemp("sharing") / "root")
    site = root.parent / "site"
    build(root, site, with_search=False)
    return site


def test_every_page_carries_open_graph_metadata_that_matches_its_own(built):
    pages = _pages(built)
    assert len(pages) > 10
    for url, soup in pages.items():
        canonical = soup.head.find("link", rel="canonical")["href"]
        assert _meta(soup, "og:url") == canonical == BASE + url, url
        assert _meta(soup, "og:locale") == "zh_CN"
        assert _meta(soup, "og:type") == ("website" if url == "" else "article")
        assert _meta(soup, "og:description") == soup.head.find("meta", attrs={"name": "description"})["content"]
        assert _meta(soup, "og:description"), url
        title = _meta(soup, "og:title")
        heading = soup.find("h1")
        assert title and " ".join(heading.get_text(" ").split()) == " ".join(title.split()), (url, title)
        assert _meta(soup, "name") == title and _meta(soup, "description") == _meta(soup, "og:description")
        image = _meta(soup, "og:image")
        assert image == _meta(soup, "image") and image.startswith(BASE + "assets/share/"), url
        content = (built / image.removeprefix(BASE)).read_bytes()
        assert Image.open(BytesIO(content)).size == (1200, 630)


def test_a_brand_page_shares_an_image_in_the_brand_s_colour(built):
    soup = _pages(built)["brands/red/"]
    image = _meta(soup, "og:image")
    assert image == BASE + "assets/share/brands/red.png"
    picture = Image.open(built / "assets/share/brands/red.png").convert("RGB")
    assert picture.getpixel((20, 20)) == (0xC8, 0x10, 0x2E)  # red.yaml's color: "#c8102e"
    home = Image.open(built / "assets/share/home.png").convert("RGB")
    assert home.getpixel((20, 20)) == (0xF4, 0x43, 0x36)  # the default theme's palette.primary: red


def test_share_images_carry_no_metadata_chunk(built):
    images = sorted((built / "assets/share").rglob("*.png"))
    assert len(images) >= len(sharing.SECTIONS) + 2  # every section, the site's own, the brand's
    for path in images:
        assert set(_png_chunks(path.read_bytes())) <= {"IHDR", "PLTE", "IDAT", "IEND"}, path


def test_feed_links_are_on_the_pages_whose_feeds_exist_and_resolve(built):
    pages = _pages(built)
    offered: dict[str, list[str]] = {}
    for url, soup in pages.items():
        for link in soup.head.find_all("link", rel="alternate", type="application/atom+xml"):
            href = link["href"]
            assert href.startswith(BASE) and (built / href.removeprefix(BASE)).is_file(), (url, href)
            offered.setdefault(url, []).append(href.removeprefix(BASE))
    assert offered[""] == ["stories/feed.xml"] and offered["stories/"] == ["stories/feed.xml"]
    assert offered["tags/shu-ji-xiang-mu/"] == ["tags/shu-ji-xiang-mu/feed.xml"]
    assert "orgs/" not in offered  # no feed there: no link
    calendars = {
        url: [
            link["href"].removeprefix(BASE)
            for link in soup.head.find_all("link", rel="alternate", type="text/calendar")
        ]
        for url, soup in pages.items()
    }
    assert calendars["orgs/town/"] == ["orgs/town/calendar.ics"] and calendars["activities/"] == ["calendar.ics"]
    assert all((built / href).is_file() for hrefs in calendars.values() for href in hrefs)
    for url, soup in pages.items():  # rel=alternate belongs in the head, never in the page's body
        assert soup.body is None or soup.body.find("link", rel="alternate") is None, url


def test_without_base_url_there_is_no_og_url_and_links_resolve_from_the_page(registry, tmp_path):
    site = tmp_path / "site"
    build(registry({"registry/site.yaml": NO_BASE_SITE}), site, with_search=False)
    for url, soup in _pages(site).items():
        assert _meta(soup, "og:url") is None
        image = _meta(soup, "og:image")
        assert (site / url / image).resolve().is_file(), (url, image)
        for link in soup.head.find_all("link", rel="alternate", type="application/atom+xml"):
            assert (site / url / link["href"]).resolve().is_file(), (url, link["href"])


def test_hostile_titles_are_escaped_in_every_share_attribute():
    title = '"><script>alert(1)</script>&\x1atitle\x1a'
    head = sharing.head("stories/x/", title, "描述 \"'<>", site_name="站<点>", site_url=BASE)
    soup = BeautifulSoup(f"<html><head>{head}</head></html>", "html.parser")
    assert soup.find("script") is None
    assert _meta(soup, "og:title") == title.replace("\x1a", "\ufffd")
    assert _meta(soup, "og:description") == "描述 \"'<>"
    assert "\x1a" not in head  # no placeholder token survives into the page


def test_share_images_are_drawn_once_per_content(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    drawn: list[str] = []
    real = sharing.draw

    def counting(site_name, label, *args, **kwargs):
        drawn.append(label)
        return real(site_name, label, *args, **kwargs)

    monkeypatch.setattr(sharing, "draw", counting)
    root = registry()
    build(root, tmp_path / "a", with_search=False)
    first = len(drawn)
    assert first >= len(sharing.SECTIONS)
    build(root, tmp_path / "b", with_search=False)
    assert len(drawn) == first  # nothing redrawn
    assert (tmp_path / "a/assets/share/home.png").read_bytes() == (tmp_path / "b/assets/share/home.png").read_bytes()
    site = (root / "registry/site.yaml").read_text("utf-8").replace("测试镇党建", "测试镇党建网")
    (root / "registry/site.yaml").write_text(site, "utf-8")
    build(root, tmp_path / "c", with_search=False)
    assert len(drawn) == 2 * first  # the site's name is on every image: all drawn again


def test_without_a_chinese_font_the_image_has_the_colour_and_no_text(monkeypatch):
    monkeypatch.setattr(sharing, "FONT_PATHS", ())
    assert sharing.chinese_font() is None
    content = sharing.draw("基层党建", "典型事迹", "#c8102e", sharing.chinese_font())
    picture = Image.open(BytesIO(content)).convert("RGB")
    assert picture.size == (1200, 630) and picture.getpixel((20, 20)) == (0xC8, 0x10, 0x2E)
    assert content == sharing.draw("基层党建", "党建品牌", "#c8102e", None)  # no letters: same length, same picture


@pytest.mark.skipif(sharing.chinese_font() is None, reason="no Chinese font on this machine")
def test_with_a_chinese_font_the_label_is_drawn():
    plain = sharing.draw("基层党建", "典型事迹", "#c8102e", None)
    lettered = sharing.draw("基层党建", "典型事迹", "#c8102e", sharing.chinese_font())
    other = sharing.draw("基层党建", "党建品牌", "#c8102e", sharing.chinese_font())
    assert len({plain, lettered, other}) == 3  # the label changes the picture


def test_the_gate_reads_a_private_name_in_share_metadata(registry):
    """A share card must never carry a private member: the gate scans meta tags' attributes, raw or escaped."""
    gate = Gate(validate(registry()).registry)
    private = "李小花"  # m-east-a: not public
    escaped = "".join(f"&#{ord(c)};" for c in private)
    for head in (
        f'<meta property="og:title" content="{private}的故事">',
        f'<meta property="og:description" content="{escaped}">',
        f'<meta itemprop="name" content="{html.escape(private)}">',
        f'<link rel="alternate" type="application/atom+xml" title="{private}" href="feed.xml">',
    ):
        assert gate.scan_text(f"<html><head>{head}</head><body>正文</body></html>", "x.html"), head
    assert gate.scan_text('<meta property="og:title" content="东村点亮回家路">', "x.html") == []


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(deadline=None, max_examples=100)
@given(
    title=_ANY_TEXT, description=_ANY_TEXT, site_name=_ANY_TEXT, url=st.sampled_from(["", "stories/x/", "tags/a-b/"])
)
def test_any_text_reads_back_from_the_share_metadata(title, description, site_name, url):
    head = sharing.head(url, title, description, site_name=site_name, site_url=BASE)
    soup = BeautifulSoup(f"<html><head>{head}</head></html>", "html.parser")
    assert len(soup.head.find_all(True)) == head.count("<")  # no text made a tag of its own
    assert _meta(soup, "og:title") == _meta(soup, "name") == title
    assert _meta(soup, "og:description") == _meta(soup, "description") == description
    assert _meta(soup, "og:site_name") == site_name
