"""Photos and video on the site (site/images.py, pages/_gallery.html): each photo resized into its widths as WebP
and its own format with nothing but pixels (read back with Pillow), written once however many pages show it,
shown in a `<picture>` under the heading 图片 with its alt text and caption, a lightbox per photo, the video
as its poster linking out (never an iframe); hostile files refused even when validation is skipped."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from conftest import BAD
from reading import text
from site_helpers import article, build_site
from dangjian.assets import AssetError
from dangjian.site import images
from dangjian.site.images import WIDTHS, Photos, widths_for

SECRET = b"GPS-30.1234N-SECRET"  # a marker hidden in every kind of metadata the test photos carry
PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"
VIDEO = "https://video.example.org/east-road?from=site&t=1"


def _exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker " + SECRET.decode()  # Make
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (30.0, 7.0, 24.0)}  # a GPS block
    return exif.tobytes()


def _icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _xmp() -> bytes:
    return b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>' + SECRET + b"</rdf:RDF></x:xmpmeta>"


def _scene(size: tuple[int, int]) -> Image.Image:
    image = Image.new("RGB", size, "#cfe3f2")
    image.paste("#c62828", (0, 0, size[0] // 3, size[1] // 2))  # a red block top left: shows which way is up
    return image


def jpeg(size: tuple[int, int], orientation: int = 1) -> bytes:
    out = io.BytesIO()
    _scene(size).save(out, "JPEG", exif=_exif(orientation), icc_profile=_icc(), comment=SECRET, xmp=_xmp())
    return out.getvalue()


def png(size: tuple[int, int], trailer: bytes = b"") -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SECRET.decode())
    info.add_itxt("XML:com.adobe.xmp", _xmp().decode())
    out = io.BytesIO()
    _scene(size).convert("RGBA").save(out, "PNG", pnginfo=info, icc_profile=_icc(), exif=_exif())
    return out.getvalue() + trailer


def webp(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    _scene(size).save(out, "WEBP", exif=_exif(), icc_profile=_icc(), xmp=_xmp())
    return out.getvalue()


STORY = f"""---
title: 东村点亮回家路
date: 2026-04-02
org: east
images:
  - file: gallery/wide.jpg
    alt: 村道两旁新装的路灯
    caption: 路灯亮了 <script>alert(1)</script>
  - file: gallery/turned.jpg
    alt: 党员在立杆
  - file: gallery/trans.png
    alt: 一张透明底的示意图
    caption: 示意图
video:
  url: {VIDEO}
  poster: gallery/wide.jpg
  title: 点亮回家路
---
东村党支部带领党员为村道装上路灯。
"""

# A story whose poster is in no gallery: its copies are published for the poster alone.
FILM = f"""---
title: 东村路灯纪录片
date: 2026-04-09
org: east
video:
  url: {VIDEO}
  poster: gallery/poster.jpg
  title: 路灯纪录片
---
东村党支部拍了一部路灯的短片。
"""

ACTIVITY = """
- id: east-2026-05-01
  org: east
  date: 2026-05-01
  kind: 志愿服务
  title: 义务清扫
  headcount: 8
  images:
    - file: gallery/wide.jpg
      alt: 村道两旁新装的路灯
    - file: gallery/small.webp
      alt: 小图
      caption: 一张很小的图
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from conftest import apply_overlay, copy_minimal

    root = copy_minimal(tmp_path_factory.mktemp("gallery") / "root")
    activities = (root / "registry/activities/town-2026.yaml").read_text(encoding="utf-8")
    apply_overlay(
        root,
        {
            "content/stories/east-road.md": STORY,
            "content/stories/east-film.md": FILM,
            "registry/activities/town-2026.yaml": activities + ACTIVITY,
            "content/assets/gallery/wide.jpg": jpeg((2000, 1000)),
            "content/assets/gallery/turned.jpg": jpeg((600, 400), orientation=6),  # shown 400 wide, 600 high
            "content/assets/gallery/trans.png": png((1000, 500), trailer=PAYLOAD),  # a PNG, then a page
            "content/assets/gallery/small.webp": webp((300, 200)),
            "content/assets/gallery/poster.jpg": jpeg((800, 400)),
        },
    )
    site = build_site(root, root.parent / "site")
    return root, site


def _copies(site: Path) -> dict[str, Path]:
    return {p.name: p for p in (site / images.FOLDER).iterdir()}


# --- the files ---------------------------------------------------------------------------------------------


@given(st.integers(1, 20000))
def test_widths_are_never_wider_than_the_photo_and_end_at_its_width_or_the_widest(width: int) -> None:
    widths = widths_for(width)
    assert list(widths) == sorted(set(widths))
    assert widths[-1] == min(width, WIDTHS[-1])
    assert all(w <= width for w in widths)
    assert set(widths) - {width} <= set(WIDTHS)


def test_every_copy_has_its_declared_width_and_the_photos_proportions(built: tuple[Path, Path]) -> None:
    root, site = built
    photos = Photos(root)
    expected = {
        "gallery/wide.jpg": ((480, 960, 1600), ("webp", "jpg"), 2.0),
        "gallery/turned.jpg": ((400,), ("webp", "jpg"), 400 / 600),  # upright: the camera's rotation applied
        "gallery/trans.png": ((480, 960, 1000), ("webp", "png"), 2.0),
        "gallery/small.webp": ((300,), ("webp",), 1.5),
        "gallery/poster.jpg": ((480, 800), ("webp", "jpg"), 2.0),  # a poster in no gallery
    }
    seen = set()
    for source, (widths, suffixes, ratio) in expected.items():
        rendition = photos.rendition(source)
        assert rendition.widths == widths
        for width in widths:
            for suffix in suffixes:
                name = f"{rendition.digest}-{width}.{suffix}"
                with Image.open(site / images.FOLDER / name) as image:
                    assert image.size[0] == width, name
                    assert abs(image.size[0] / image.size[1] - ratio) < 0.01, name
                    assert image.format == {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[suffix]
                seen.add(name)
    assert set(_copies(site)) == seen  # nothing else, and each photo once though three records show wide.jpg


def test_the_turned_photo_is_upright(built: tuple[Path, Path]) -> None:
    """EXIF orientation 6 (turned right) is applied to the pixels before it is dropped: the red block the
    camera saw at the top left is at the top right once upright."""
    root, site = built
    rendition = Photos(root).rendition("gallery/turned.jpg")
    with Image.open(site / images.FOLDER / f"{rendition.digest}-400.jpg") as image:
        top_right, top_left = image.convert("RGB").getpixel((390, 10)), image.convert("RGB").getpixel((10, 10))
    assert top_right[0] > 150 and top_right[2] < 100, top_right  # red
    assert top_left[2] > 150, top_left  # sky blue


def test_no_copy_keeps_metadata_or_what_followed_the_image(built: tuple[Path, Path]) -> None:
    _, site = built
    copies = _copies(site)
    assert copies
    for name, path in copies.items():
        data = path.read_bytes()
        assert SECRET not in data and PAYLOAD not in data, name
        assert b"Exif" not in data and b"http://ns.adobe.com/xap" not in data and b"xmpmeta" not in data, name
        with Image.open(path) as image:
            assert not image.getexif(), name
            assert not {"icc_profile", "exif", "xmp", "XML:com.adobe.xmp", "Author", "comment"} & set(image.info), (
                name,
                image.info.keys(),
            )
            if image.format == "PNG":
                assert not getattr(image, "text", {}), name


def test_a_decoding_bomb_is_refused_before_decoding_even_without_validation(tmp_path: Path) -> None:
    huge = (BAD / "photos-huge/content/assets/gallery/huge.png").read_bytes()
    (tmp_path / "content/assets/gallery").mkdir(parents=True)
    (tmp_path / "content/assets/gallery/huge.png").write_bytes(huge)
    with pytest.raises(AssetError, match="图片尺寸过大"):
        Photos(tmp_path).encode("gallery/huge.png")


def test_pillow_s_own_bomb_check_holds_at_the_same_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the asset checks out of the way (a changed limit, a bug), opening the photo still refuses it."""
    monkeypatch.setattr(images, "content_problems", lambda rel, data: iter(()))
    huge = (BAD / "photos-huge/content/assets/gallery/huge.png").read_bytes()
    (tmp_path / "content/assets/gallery").mkdir(parents=True)
    (tmp_path / "content/assets/gallery/huge.png").write_bytes(huge)
    with pytest.raises(AssetError, match="无法读取图片尺寸"):
        Photos(tmp_path).read("gallery/huge.png")


def test_a_page_with_a_png_after_it_is_refused_even_without_validation(tmp_path: Path) -> None:
    (tmp_path / "content/assets/gallery").mkdir(parents=True)
    polyglot = (BAD / "photos-polyglot/content/assets/gallery/polyglot.png").read_bytes()
    (tmp_path / "content/assets/gallery/polyglot.png").write_bytes(polyglot)
    with pytest.raises(AssetError, match="不是图片"):
        Photos(tmp_path).read("gallery/polyglot.png")


def test_a_photo_behind_a_link_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "content/assets/gallery").mkdir(parents=True)
    (tmp_path / "outside.jpg").write_bytes(jpeg((100, 100)))
    (tmp_path / "content/assets/gallery/linked.jpg").symlink_to(tmp_path / "outside.jpg")
    with pytest.raises(AssetError, match="符号链接"):
        Photos(tmp_path).read("gallery/linked.jpg")


# --- the pages ---------------------------------------------------------------------------------------------


def _section(body: BeautifulSoup, heading: str) -> BeautifulSoup:
    h = next(h for h in body.find_all(re.compile("^h[2-4]$")) if text(h) == heading)
    section = h.find_parent("section")
    assert section is not None
    return section


def test_the_story_shows_its_photos_under_their_heading_in_order_with_alt_and_caption(built: tuple[Path, Path]) -> None:
    root, site = built
    body = article(site, "stories/east-road/")
    grid = _section(body, "图片").select_one("ul.dj-gallery__grid")
    items = grid.find_all("li", recursive=False)
    assert [i.img["alt"] for i in items] == ["村道两旁新装的路灯", "党员在立杆", "一张透明底的示意图"]
    captions = [
        text(i.select_one(".dj-gallery__caption")) if i.select_one(".dj-gallery__caption") else "" for i in items
    ]
    assert captions == ["路灯亮了 <script>alert(1)</script>", "", "示意图"]  # escaped: read back as text
    assert not body.find("script")
    rendition = Photos(root).rendition("gallery/wide.jpg")
    first = items[0]
    img, source = first.img, first.source
    assert (img["width"], img["height"], img["loading"]) == ("1600", "800", "lazy")
    assert img["src"].endswith(f"{rendition.digest}-1600.jpg")
    assert source["type"] == "image/webp"
    for srcset, suffix in ((img["srcset"], "jpg"), (source["srcset"], "webp")):
        entries = [e.strip().split(" ") for e in srcset.split(",")]
        assert [w for _, w in entries] == ["480w", "960w", "1600w"]
        for url, w in entries:
            assert url.endswith(f"-{w[:-1]}.{suffix}")
            assert (site / "stories/east-road" / url).resolve().is_file(), url


def test_each_thumbnail_opens_its_lightbox_with_previous_next_and_close(built: tuple[Path, Path]) -> None:
    _, site = built
    section = _section(article(site, "stories/east-road/"), "图片")
    thumbs = section.select("a.dj-gallery__thumb")
    for n, thumb in enumerate(thumbs, 1):
        box = section.find(id=thumb["href"][1:])
        assert box is not None and "dj-lightbox" in box["class"]
        links = {text(a): a["href"] for a in box.select(".dj-lightbox__nav a")}
        assert links["关闭 ×"] == f"#{thumb.find_parent('li')['id']}"  # back to the thumbnail
        assert ("‹ 上一张" in links) == (n > 1) and ("下一张 ›" in links) == (n < len(thumbs))
        assert f"{n} / {len(thumbs)}" in text(box.figcaption)


def test_the_video_is_its_poster_linking_out_never_a_player(built: tuple[Path, Path]) -> None:
    _, site = built
    body = article(site, "stories/east-road/")
    section = _section(body, "视频")
    links = section.find_all("a", href=VIDEO)
    assert len(links) == 2 and all("noopener" in a["rel"] for a in links)
    assert links[0].img["alt"] == "观看视频：点亮回家路"
    assert "点亮回家路" in text(links[1])
    page = (site / "stories/east-road/index.html").read_text(encoding="utf-8")
    assert "<iframe" not in page and "<video" not in page and "<embed" not in page
    # a poster in no gallery is published for the video alone
    poster = _section(article(site, "stories/east-film/"), "视频").find("a", href=VIDEO).img
    assert (site / "stories/east-film" / poster["src"]).resolve().is_file(), poster["src"]


def test_an_activity_s_photos_are_on_its_month_page_under_its_title(built: tuple[Path, Path]) -> None:
    _, site = built
    body = article(site, "activities/2026-05/")
    record = next(a for a in body.select("article.dj-gallery__record") if "义务清扫" in text(a.h3))
    assert text(record.h3) == "2026年5月1日 · 义务清扫"
    assert [img["alt"] for img in record.select("ul.dj-gallery__grid img")] == ["村道两旁新装的路灯", "小图"]
    small = record.select("ul.dj-gallery__grid picture")[1]
    assert small.find("source") is None and small.img["src"].endswith("-300.webp")  # a WebP: one format
    assert not article(site, "activities/2026-01/").select(".dj-gallery")  # a month without photos shows none


# --- privacy -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["alt", "caption", "title"])
def test_a_private_member_named_by_a_photo_or_video_stops_the_build(registry, tmp_path: Path, where: str) -> None:
    """Alt text is an attribute, not page text: the gate reads it too, and the old site stays."""
    from test_site_privacy import ROSTER, SECRET_NAME

    from dangjian.site.build import BuildError, build

    item = {"alt": f"{SECRET_NAME}在清扫", "caption": f"{SECRET_NAME}在清扫", "title": f"{SECRET_NAME}讲党课"}[where]
    media = (
        f"  video:\n    url: https://video.example.org/a\n    poster: gallery/wide.jpg\n    title: {item}\n"
        if where == "title"
        else f"  images:\n    - file: gallery/wide.jpg\n      alt: 清扫村道\n      {where}: {item}\n".replace(
            "alt: 清扫村道\n      alt:", "alt:"
        )
    )
    root = registry({"registry/members/secret.yaml": ROSTER, "content/assets/gallery/wide.jpg": jpeg((600, 400))})
    activities = root / "registry/activities/town-2026.yaml"
    clean = "\n- id: east-2026-05-01\n  org: east\n  date: 2026-05-01\n  kind: 志愿服务\n  title: 义务清扫\n"
    activities.write_text(activities.read_text(encoding="utf-8") + clean, encoding="utf-8")
    out = build_site(root, tmp_path / "site")
    before = (out / "activities/2026-05/index.html").read_bytes()
    activities.write_text(activities.read_text(encoding="utf-8") + media, encoding="utf-8")
    with pytest.raises(BuildError, match="隐私检查未通过") as failure:
        build(root, out, with_search=False)
    assert "activities/2026-05/index.html" in str(failure.value) and SECRET_NAME not in str(failure.value)
    assert (out / "activities/2026-05/index.html").read_bytes() == before


# --- validation of an activity's photos (a bulk kind, held as stubs by `dangjian validate`) -------------------

ACTIVITY_PHOTOS = """
- id: east-2026-05-01
  org: east
  date: 2026-05-01
  kind: 志愿服务
  title: 义务清扫
  images:
    - file: brands/red.svg
      alt: 品牌标志
    - file: gallery/none.jpg
      alt: 不存在的照片
  video:
    url: https://video.example.org/qingsao
    poster: gallery/none.webp
    title: 义务清扫
"""
ACTIVITY_PROBLEMS = [
    (16, 13, "图片 `brands/red.svg` 不是照片：相册和视频封面只能用 PNG、JPEG 或 WebP 图片"),
    (18, 13, "找不到图片 content/assets/gallery/none.jpg"),
    (22, 13, "找不到图片 content/assets/gallery/none.webp"),
]


def _activity_problems(registry, full: bool) -> list[tuple[int, int, str]]:
    from dangjian.validate import validate

    activities = (BAD.parent / "minimal/registry/activities/town-2026.yaml").read_text(encoding="utf-8")
    root = registry({"registry/activities/town-2026.yaml": activities + ACTIVITY_PHOTOS})
    return [(p.line, p.column, p.message) for p in validate(root, full=full).problems]


def test_an_activity_s_photos_are_checked_at_their_lines_in_a_full_validation(registry) -> None:
    assert _activity_problems(registry, full=True) == ACTIVITY_PROBLEMS


def test_an_activity_s_photos_are_checked_the_same_by_dangjian_validate(registry) -> None:
    assert _activity_problems(registry, full=False) == ACTIVITY_PROBLEMS


# --- the patterns ------------------------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.from_regex(r"\Ahttps?://[a-z.]+/[ -~]*\Z"))
def test_a_video_address_that_passes_is_http_and_cannot_leave_its_attribute(value: str) -> None:
    from dangjian.recordtypes import VIDEO_URL_PATTERN

    if re.fullmatch(VIDEO_URL_PATTERN, value):
        assert value.startswith(("http://", "https://"))
        assert not set(value) & set("\"'<>\\` \t\r\n"), value


@pytest.mark.parametrize(
    ("alt", "ok"),
    [("路灯", True), ("Street 路灯", True), ("Street lights", False), ("１２３", False), ("多行\n说明", True)],
)
def test_alt_text_holds_a_chinese_character(alt: str, ok: bool) -> None:
    from dangjian.recordtypes import ALT_PATTERN

    assert bool(re.fullmatch(ALT_PATTERN, alt)) == ok


def test_a_photo_changed_after_its_pages_were_planned_is_not_published(tmp_path: Path) -> None:
    """Pages link the copies planned from the photo's first reading; a photo changed since would not match."""
    (tmp_path / "content/assets/gallery").mkdir(parents=True)
    photo = tmp_path / "content/assets/gallery/a.jpg"
    photo.write_bytes(jpeg((600, 400)))
    photos = Photos(tmp_path)
    photos.rendition("gallery/a.jpg")
    photo.write_bytes(jpeg((800, 400)))
    with pytest.raises(AssetError, match="被改动"):
        photos.encode("gallery/a.jpg")


def test_a_rebuild_takes_the_copies_from_the_cache_and_a_changed_photo_is_made_again(
    registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    root = registry({"content/stories/east-road.md": STORY.split("video:")[0] + "---\n正文。\n"})
    for name, data in (
        ("wide.jpg", jpeg((2000, 1000))),
        ("turned.jpg", jpeg((600, 400))),
        ("trans.png", png((800, 400))),
    ):
        (root / "content/assets/gallery").mkdir(parents=True, exist_ok=True)
        (root / "content/assets/gallery" / name).write_bytes(data)
    first = build_site(root, tmp_path / "one")
    made: list[str] = []
    encode = Photos.encode
    monkeypatch.setattr(Photos, "encode", lambda self, value: made.append(value) or encode(self, value))
    second = build_site(root, tmp_path / "two")
    assert made == []  # every copy from the cache
    assert {p.name: p.read_bytes() for p in (second / images.FOLDER).iterdir()} == {
        p.name: p.read_bytes() for p in (first / images.FOLDER).iterdir()
    }
    (root / "content/assets/gallery/turned.jpg").write_bytes(jpeg((640, 400)))
    build_site(root, tmp_path / "three")
    assert made == ["gallery/turned.jpg"]
