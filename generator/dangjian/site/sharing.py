"""Pages people share: Open Graph and WeChat metadata in each page's head, and the share images it names.

WeChat (and most chat apps) read Open Graph (`og:title`, `og:description`, `og:image`, `og:url`) and, for
older clients, `itemprop` name/description/image; search engines read `<meta name="description">` (Material
writes that one). Every value comes from the page's own title and description, which the page already shows
and the privacy gate scans as part of the page, so a share card can say nothing the page does not.

Share images are made at build time, one per section of the site (org pages, stories, rankings…) and one
per brand (in the brand's colour, with its logo when that is a raster image): a 1200×630 PNG, the site's
colour (Material's `palette.primary`) behind the site's name and the section's. The repository ships no
font: a Chinese font is looked for where Linux distributions put one (`fonts-wqy-microhei`, which CI
installs, or Noto CJK); without one the image carries the colours and marks only, no text (Pillow's own font
has no Chinese). The privacy gate cannot read pixels, so an image carries only names every page shows as
text (the site's title, a section's fixed name, a brand's name on its page), which the gate reads there.
An image is drawn once per content (its inputs hashed, kept in dangjian's cache folder), and written
without any metadata chunk. Open Graph wants absolute addresses: with `base_url` `og:url` and
`og:image` are absolute; without it `og:url` is left out and `og:image` is relative (apps ignore it; the
build's warning about `base_url` already says to set it).
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cache import cache_dir, touch
from ..files import read_regular
from ..themeconfig import read_site_config, theme_settings

if TYPE_CHECKING:
    from .data import SiteData

SIZE = (1200, 630)
FOLDER = "assets/share/"
DRAWING_VERSION = "2"  # part of each image's cache key: change it when the drawing changes
DEFAULT_COLOUR = "#c8102e"

# The site's sections (a page address's first folder) → the name on their share image.
SECTIONS = {
    "": "首页",
    "orgs": "党组织",
    "members": "党员风采",
    "brands": "党建品牌",
    "projects": "书记项目",
    "rankings": "排名",
    "honours": "荣誉",
    "stories": "典型事迹",
    "activities": "党员活动",
    "notices": "通知",
    "venues": "场所",
    "tags": "专题",
    "reports": "年度报告",
    "api": "开放数据",
}
OTHER = "site"  # every other page (free pages, 最近更改…): the site's own image

# Material's primary colours (its 500 shades), as mkdocs.yml names them.
MATERIAL_COLOURS = {
    "red": "#f44336",
    "pink": "#e91e63",
    "purple": "#9c27b0",
    "deep purple": "#673ab7",
    "indigo": "#3f51b5",
    "blue": "#2196f3",
    "light blue": "#03a9f4",
    "cyan": "#00bcd4",
    "teal": "#009688",
    "green": "#4caf50",
    "light green": "#8bc34a",
    "lime": "#cddc39",
    "yellow": "#ffeb3b",
    "amber": "#ffc107",
    "orange": "#ff9800",
    "deep orange": "#ff5722",
    "brown": "#795548",
    "grey": "#9e9e9e",
    "blue grey": "#607d8b",
    "black": "#000000",
    "white": "#ffffff",
}

# Where Debian, Ubuntu, Fedora and Alpine put the Chinese fonts a build machine may have.
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)

_BRAND_PAGE = re.compile(r"brands/([^/]+)/")


# --- what a page's head says --------------------------------------------------------------------


def section_of(url: str) -> str:
    """The section whose image a page shares: its first folder when that is a section, else OTHER."""
    first = url.split("/", 1)[0] if url else ""
    return first if first in SECTIONS else OTHER


def image_path(url: str) -> str:
    """The share image of the page at `url`, from the site's root: a brand's own for a brand page (the
    share kind writes one for every brand, and a brand's page is brands/<id>/)."""
    match = _BRAND_PAGE.fullmatch(url)
    if match:
        return f"{FOLDER}brands/{match.group(1)}.png"
    return f"{FOLDER}{section_of(url) or 'home'}.png"


ATOM, ICALENDAR = "application/atom+xml", "text/calendar"


def feeds_of(url: str) -> list[tuple[str, str, str]]:
    """(title, path, type) of the feeds a page offers: a topic's own, the notices' on their pages, the stories'
    on theirs and on the home page (Atom); an org's calendar on its page and the site's upcoming activities on the
    activity pages (iCalendar, site/calendars.py). Each is written whenever the page is (tests/test_sharing.py
    checks every link of the demo resolves)."""
    wanted: list[tuple[str, str, str]] = []
    topic = re.fullmatch(r"tags/([a-z0-9-]+)/", url)
    if topic:
        wanted.append(("本专题订阅", f"tags/{topic.group(1)}/feed.xml", ATOM))
    first = url.split("/", 1)[0] if url else ""
    if first == "notices":
        wanted.append(("通知订阅", "notices/feed.xml", ATOM))
    if first in ("", "stories"):
        wanted.append(("典型事迹订阅", "stories/feed.xml", ATOM))
    org = re.fullmatch(r"orgs/([a-z0-9][a-z0-9-]*)/", url)
    if org:
        wanted.append(("活动日历", f"orgs/{org.group(1)}/calendar.ics", ICALENDAR))
    if first == "activities":
        wanted.append(("计划活动日历", "calendar.ics", ICALENDAR))
    return wanted


def _from_page(url: str, path: str) -> str:
    """`path` (from the site's root) as a link from the page at `url`."""
    depth = len([p for p in url.split("/") if p])
    return "../" * depth + path if depth else path


def head(
    url: str,
    title: str,
    description: str,
    *,
    site_name: str,
    site_url: str | None,
) -> str:
    """The share metadata and feed links of one page's head, as HTML (every value escaped)."""

    def attr(value: str) -> str:
        return html.escape(value, quote=True).replace("\x1a", "\ufffd")

    image = image_path(url)
    image_url = (site_url + image) if site_url else _from_page(url, image)
    lines = [
        '<meta property="og:type" content="{}">'.format("website" if not url else "article"),
        '<meta property="og:locale" content="zh_CN">',
        f'<meta property="og:site_name" content="{attr(site_name)}">',
        f'<meta property="og:title" content="{attr(title)}">',
        f'<meta property="og:description" content="{attr(description)}">',
        f'<meta property="og:image" content="{attr(image_url)}">',
        f'<meta property="og:image:width" content="{SIZE[0]}">',
        f'<meta property="og:image:height" content="{SIZE[1]}">',
        f'<meta property="og:image:alt" content="{attr(site_name)}">',
    ]
    if site_url:
        lines.append(f'<meta property="og:url" content="{attr(site_url + url)}">')
    lines += [
        f'<meta itemprop="name" content="{attr(title)}">',
        f'<meta itemprop="description" content="{attr(description)}">',
        f'<meta itemprop="image" content="{attr(image_url)}">',
    ]
    for feed_title, path, kind in feeds_of(url):
        href = (site_url + path) if site_url else _from_page(url, path)
        lines.append(f'<link rel="alternate" type="{kind}" title="{attr(feed_title)}" href="{attr(href)}">')
    return "\n    ".join(lines)


# --- the images -------------------------------------------------------------------------------


def chinese_font() -> Path | None:
    """A font with Chinese glyphs on this machine, or None (then the images carry no text)."""
    for candidate in FONT_PATHS:
        path = Path(candidate)
        if path.is_file():
            return path
    return None


def site_colour(primary: object) -> str:
    """mkdocs.yml's `palette.primary` (a name, or a list of palettes: the first) as #rrggbb."""
    if isinstance(primary, str):
        return MATERIAL_COLOURS.get(primary.strip().lower(), DEFAULT_COLOUR)
    return DEFAULT_COLOUR


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _ink(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White on dark colours, near-black on light ones (relative luminance, WCAG's formula)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in background)
    return (255, 255, 255) if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4 else (33, 33, 33)


@functools.lru_cache(maxsize=32)
def _font(path: str, size: int) -> Any:
    """A font at a size, loaded once a build (a .ttc of 5 MB takes a while to open)."""
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def _fitted(draw: Any, text: str, font_path: Path, size: int, width: int) -> tuple[str, Any]:
    """`text` at the largest size up to `size` that fits `width` (cut with … below 40 px)."""
    from PIL import ImageDraw

    assert isinstance(draw, ImageDraw.ImageDraw)
    while True:
        font = _font(str(font_path), size)
        if draw.textlength(text, font=font) <= width or size <= 40:
            break
        size -= 4
    while len(text) > 1 and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…"
    return text, font


def draw(site_name: str, label: str, colour: str, font: Path | None, logo: bytes | None = None) -> bytes:
    """One share image: the colour, a band and a mark; the site's name and `label` when there is a font;
    a raster `logo` in the corner. A PNG with no metadata chunk."""
    from PIL import Image, ImageDraw

    background = _rgb(colour)
    ink = _ink(background)
    image = Image.new("RGB", SIZE, background)
    pen = ImageDraw.Draw(image)
    w, h = SIZE
    pen.rectangle((0, h - 90, w, h), fill=tuple(int(c * 0.8) for c in background))  # a darker band
    pen.rectangle((80, 150, 92, 480), fill=ink)  # the rule the text hangs on
    if font is not None:
        name, name_font = _fitted(pen, site_name, font, 64, w - 400)
        title, title_font = _fitted(pen, label, font, 112, w - 400)
        pen.text((130, 170), name, fill=ink, font=name_font)
        pen.text((130, 290), title, fill=ink, font=title_font)
    else:  # no Chinese font: bars standing for the two lines, so the card still reads as the site's
        pen.rectangle((130, 180, 130 + min(640, 40 * max(1, len(site_name))), 230), fill=ink)
        pen.rectangle((130, 300, 130 + min(760, 90 * max(1, len(label))), 400), fill=ink)
    if logo is not None:
        _paste_logo(image, logo)
    out = io.BytesIO()
    # Pillow writes no text chunk unless given one. zlib level 6, not `optimize`: 11 ms against 150 ms an image
    # for 6 % more bytes (measured on the demo's images)
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def _paste_logo(image: Any, logo: bytes) -> None:
    """A raster logo, fitted into 240 px at the right; an image Pillow cannot read is left out."""
    from PIL import Image, UnidentifiedImageError

    assert isinstance(image, Image.Image)
    try:
        with Image.open(io.BytesIO(logo)) as source:
            source.thumbnail((240, 240))
            mark = source.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return
    box = (SIZE[0] - 80 - mark.width, (SIZE[1] - 90 - mark.height) // 2)
    image.paste(mark, box, mark)


def cached_draw(site_name: str, label: str, colour: str, font: Path | None, logo: bytes | None = None) -> bytes:
    """`draw`, kept in dangjian's cache folder by a hash of everything it depends on."""
    digest = hashlib.blake2b(digest_size=20)
    font_id = f"{font}:{font.stat().st_size}" if font is not None else "-"
    for part in (DRAWING_VERSION, site_name, label, colour, font_id):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(logo or b"")
    folder = cache_dir()
    entry = folder / "share" / f"{digest.hexdigest()}.png" if folder is not None else None
    if entry is not None:
        try:  # read, never checked first: a trim or `cache clean` may remove it between the two
            content = entry.read_bytes()
            touch(entry)  # used now: trim removes the least recently used first
            return content
        except OSError:
            pass
    content = draw(site_name, label, colour, font, logo)
    if entry is not None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            temporary = entry.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(content)
            os.replace(temporary, entry)
        except OSError:
            pass  # a cache that cannot be written only costs a redraw next time
    return content


def primary(palette: Any) -> Any:
    """mkdocs.yml's `palette.primary`; of a list of palettes (light and dark), the first's."""
    if isinstance(palette, list):
        palette = palette[0] if palette else {}
    return palette.get("primary") if isinstance(palette, dict) else None


def site_images(data: SiteData) -> dict[str, bytes]:
    """The share images in the site's colour, read from the root's mkdocs.yml (checked as untrusted data)."""
    checked = read_site_config(data.reg.root)
    palette = theme_settings(checked.values).theme.get("palette") if not checked.problems else None
    return images(data, site_colour(primary(palette)))


def images(data: SiteData, colour: str) -> dict[str, bytes]:
    """Every share image the pages name: one per section, the site's, and one per brand."""
    site_name = data.settings.get("title", "基层党建")
    font = chinese_font()
    out = {
        f"{FOLDER}{name or 'home'}.png": cached_draw(site_name, label, colour, font) for name, label in SECTIONS.items()
    }
    out[f"{FOLDER}{OTHER}.png"] = cached_draw(site_name, site_name, colour, font)
    for brand in data.brands:
        logo = _raster_logo(data, brand.get("logo"))
        out[f"{FOLDER}brands/{brand.id}.png"] = cached_draw(
            site_name, brand["name"], brand.get("color") or colour, font, logo
        )
    return out


def _raster_logo(data: SiteData, asset: str | None) -> bytes | None:
    """A brand logo's bytes when it is a PNG or JPEG under content/assets/ (an SVG is not drawn: Pillow
    cannot read one, and the build installs no SVG renderer)."""
    if not asset or not asset.lower().endswith((".png", ".jpg", ".jpeg")):
        return None
    try:
        return read_regular(data.reg.root / "content" / "assets" / asset, max_bytes=5_000_000)
    except (OSError, ValueError):
        return None
