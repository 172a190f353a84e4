"""Photos of galleries and video posters (`images:` and `video:` of stories, activities and projects).

Each photo is published resized into a few widths (never wider than it is), as WebP and in its own
format, for `<picture>` with `srcset`: a phone downloads the 480-pixel copy, not the camera's 20 MB.
The photo is read as `assets.py` reads every asset (by content, size-capped, never through a link)
and only its cleaned image data is decoded; re-encoding writes pixels alone, so no EXIF, XMP, ICC
profile or comment survives, nor anything a polyglot hid after the image. A declared size over
`assets.MAX_PIXELS` is refused before decoding, and Pillow's own bomb check is held to the same
limit. Names are the hash of the photo's bytes and the width: a photo shown on several pages (a
story and its activity) is one set of files, written once per build.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..assets import ASSETS, MAX_BYTES, MAX_PIXELS, AssetError, clean, content_problems, sniff, walk
from ..cache import cache_dir, touch
from ..files import read_regular
from ..personal import lettered
from . import kept
from .persite import per_site

if TYPE_CHECKING:
    from ..load import Record
    from .data import SiteData

WIDTHS = (480, 960, 1600)  # pixels: a phone's column, a tablet or a desktop's column, a full screen
FOLDER = "assets/dangjian/photos"  # below the site's own assets: content/assets/ cannot reach it by name
KINDS = ("story", "activity", "project")  # the record kinds that may carry `images:` and `video:`
_SUFFIX = {"jpeg": "jpg", "png": "png", "webp": "webp"}


@dataclass(frozen=True)
class Rendition:
    """One photo as published: its copies' addresses (site-relative) by format, widest last."""

    source: str  # its path below content/assets/
    kind: str  # "png", "jpeg" or "webp": the photo's own format
    digest: str  # the first 16 hex digits of the SHA-256 of its bytes, in letters (`personal.lettered`)
    size: tuple[int, int]  # width and height as shown (after the camera's rotation)
    widths: tuple[int, ...]

    def url(self, width: int, fmt: str) -> str:
        """The address of the copy `width` pixels wide in format `fmt` ("webp" or the photo's own)."""
        return f"{FOLDER}/{self.digest}-{width}.{_SUFFIX[fmt]}"

    def height(self, width: int) -> int:
        return max(1, round(self.size[1] * width / self.size[0]))

    @property
    def formats(self) -> tuple[str, ...]:
        """WebP first (the `<source>` browsers pick), then the photo's own format (the `<img>` fallback)."""
        return ("webp",) if self.kind == "webp" else ("webp", self.kind)

    @property
    def fallback(self) -> str:
        """The format of the `<img>` element: the photo's own."""
        return self.kind


def widths_for(width: int) -> tuple[int, ...]:
    """The widths a photo `width` pixels wide is published at: those of WIDTHS it exceeds, then its own
    width capped at the widest (never upscaled)."""
    return tuple(sorted({w for w in WIDTHS if w < width} | {min(width, WIDTHS[-1])}))


class Photos:
    """The photos of one build: each read and planned once, by its path below content/assets/. Only plans are
    kept (a city's photos would not fit in memory); `encode` reads the photo again and checks it is the same."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # Reachable without a link on the way: walk() never enters one.
        self.files = {entry.rel for entry in walk(self.root) if entry.kind == "file"}
        self._plans: dict[str, Rendition] = {}

    def rendition(self, value: str) -> Rendition:
        """The plan of the photo at content/assets/`value`: its widths, formats and addresses."""
        if value not in self._plans:
            self._plans[value] = self.read(value)[0]
        return self._plans[value]

    def read(self, value: str) -> tuple[Rendition, bytes]:
        """The photo at content/assets/`value`, checked as every asset is: its plan and its cleaned bytes."""
        rel = f"{ASSETS}/{value}"
        if rel not in self.files:
            raise AssetError(f"图片文件有问题，网站没有发布：{rel}：找不到，或要经过符号链接")
        data = read_regular(os.path.join(self.root, rel), MAX_BYTES)
        kind = sniff(data)
        problems = list(content_problems(rel, data))
        if problems or kind not in _SUFFIX:
            said = problems[0].message if problems else "不是照片"
            raise AssetError(f"图片文件有问题，网站没有发布：{rel}：{said}")
        cleaned = clean(data, kind)
        try:
            size = _shown_size(cleaned)
        except Exception as err:  # noqa: BLE001 - Pillow's many ways of saying "damaged" or "a bomb"
            raise AssetError(f"图片文件有问题，网站没有发布：{rel}：无法读取图片尺寸（{err}）") from err
        digest = lettered(hashlib.sha256(cleaned).hexdigest()[:16])  # its files' names: no digits (see `lettered`)
        return Rendition(value, kind, digest, size, widths_for(size[0])), cleaned

    def encode(self, value: str) -> dict[str, bytes]:
        """Every copy of one photo: site-relative address → bytes, pixels only."""
        planned = self.rendition(value)
        rendition, data = self.read(value)
        if rendition != planned:  # pages already link the planned copies
            raise AssetError(f"图片文件有问题，网站没有发布：{ASSETS}/{value}：生成网站期间文件被改动了，请重新生成")
        out: dict[str, bytes] = {}
        try:
            for width, image in _resized(data, rendition):
                for fmt in rendition.formats:
                    out[rendition.url(width, fmt)] = _encoded(image, fmt)
        except (OSError, ValueError, SyntaxError, Warning) as err:  # Pillow's ways of saying "damaged" or "a bomb"
            raise AssetError(f"图片文件有问题，网站没有发布：{ASSETS}/{value}：无法解码和缩放（{err}）") from err
        return out


@per_site
def photos_of(data: SiteData) -> Photos:
    """The photos of the build showing `data`: one reading of each photo however many pages show it."""
    return Photos(data.reg.root)


def _open(data: bytes) -> Any:
    """The image, with Pillow's bomb check at MAX_PIXELS (its warning an error too); the caller closes it."""
    from PIL import Image

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _shown_size(data: bytes) -> tuple[int, int]:
    """Width and height as a browser shows the photo: swapped when the camera's orientation turns it."""
    with _open(data) as image:
        width, height = image.size
        if width * height > MAX_PIXELS:  # _open refuses it already; kept should its limit ever change
            raise ValueError(f"{width}×{height} 像素，超过 {MAX_PIXELS} 像素")
        turned = image.getexif().get(0x0112) in (5, 6, 7, 8)
    return (height, width) if turned else (width, height)


def _resized(data: bytes, rendition: Rendition) -> Iterator[tuple[int, Any]]:
    """The photo decoded once (turned upright) and resized to each of its widths."""
    from PIL import Image, ImageOps

    with _open(data) as image:
        if image.format == "JPEG":  # decode at a reduced scale when the widest copy allows it
            image.draft("RGB", (rendition.widths[-1], rendition.height(rendition.widths[-1])))
        upright = ImageOps.exif_transpose(image)
        mode = "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
        pixels = upright.convert(mode)
    for width in rendition.widths:
        size = (width, rendition.height(width))
        copy = pixels.copy() if pixels.size == size else pixels.resize(size, Image.Resampling.LANCZOS)
        copy.info = {}  # nothing but pixels goes out: no profile, no EXIF, no text
        yield width, copy


def _encoded(image: Any, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, "WEBP", quality=80, method=4)
    elif fmt == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=82, optimize=True, progressive=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


# --- what pages show ------------------------------------------------------------------------------------------


def gallery(photos: Photos, record: Record) -> dict[str, Any] | None:
    """A record's photos and video for `_gallery.html`, or None when it has neither."""
    images = [(photos.rendition(i["file"]), i["alt"], i.get("caption", "")) for i in record.get("images", [])]
    video = record.get("video")
    if not images and not video:
        return None
    poster = (photos.rendition(video["poster"]), video) if video else None
    return {"key": _key(record), "images": images, "video": poster}


def _key(record: Record) -> str:
    """A short id for the record's gallery anchors, unique on a page (a month lists many activities)."""
    return "g" + hashlib.sha1(f"{record.kind}\0{record.file}\0{record.id}".encode()).hexdigest()[:8]


# What `used` reads: of stories, activities and projects, their galleries and posters, and what their listing reads
# (the order the photos are met in). Kept, a rebuild that changed none of those fields lists none of them (a city's
# 60,000 activities listed for their photos took 0.17 s of every rebuild).
USED = kept.Aggregate(
    "photosused",
    frozenset({"story", "activity", "project", "site"}),
    fields={
        "story": ("date", "images", "video"),
        "activity": ("date", "planned", "images", "video"),
        "project": ("year", "images", "video"),
    },
)


def used(data: SiteData) -> list[str]:
    """Every photo a page shows, each once: computed, or as the last build kept them (`USED`)."""
    return data.kept_value(USED, lambda: _used(data))


def _used(data: SiteData) -> list[str]:
    """Every photo a page shows, each once, in the order met: each gallery image and video poster of the site's
    stories, activities, projects."""
    found: dict[str, None] = {}
    for records in (data.stories, data.activities, data.projects):
        for record in records:
            for image in record.get("images", []):
                found[image["file"]] = None
            if record.get("video"):
                found[record["video"]["poster"]] = None
    return list(found)


def publish(data: SiteData, put: Callable[[str, bytes], None]) -> int:
    """Every copy of every photo the site shows, each photo once, given to `put(address, bytes)` (the build's writer,
    which keeps a file with the last build's bytes); the number of files."""
    photos, folder, written = photos_of(data), cache_folder(), 0
    for value in used(data):
        for address, content in _copies(photos, value, folder).items():
            put(address, content)
            written += 1
    return written


# Resizing a 12-megapixel photo takes seconds: copies are kept between builds in the cache folder (outside the
# registry, as the parse cache), named by the photo's digest, so a rebuild resizes only new photos.
ENCODER = "1"  # change when WIDTHS, the qualities or the resizing change: copies made before are not reused


def cache_folder() -> Path | None:
    """Where copies are kept between builds (by encoder and Pillow version), or None when caching is off."""
    from PIL import __version__ as pillow

    base = cache_dir()
    return None if base is None else base / f"photos-{ENCODER}-pillow{pillow}"


def _copies(photos: Photos, value: str, folder: Path | None) -> dict[str, bytes]:
    """The copies of one photo: from the cache when it holds them all, else made (and kept there)."""
    rendition = photos.rendition(value)  # as this build read and checked it: its digest names the copies
    addresses = [rendition.url(width, fmt) for width in rendition.widths for fmt in rendition.formats]
    if folder is not None:
        try:
            found = {a: read_regular(os.path.join(folder, a.rsplit("/", 1)[-1])) for a in addresses}
            for address in addresses:  # used now: trim removes the least recently used first
                touch(os.path.join(folder, address.rsplit("/", 1)[-1]))
            return found
        except OSError:
            pass  # not all there: make them
    made = photos.encode(value)
    if folder is not None:
        _keep(folder, made)
    return made


def _keep(folder: Path, copies: dict[str, bytes]) -> None:
    """Store copies atomically (a half-written copy is never read back); a cache that cannot be written is skipped."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for address, content in copies.items():
            target = folder / address.rsplit("/", 1)[-1]
            partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            partial.write_bytes(content)
            os.replace(partial, target)
    except OSError:
        pass
