"""Files under content/assets/: checked as data, by content, and cleaned of metadata when published.

The registry is untrusted input, and an asset is published on the site's own origin: an SVG
with a script, or an HTML file named `.png`, would run as the site. So every file below
content/assets/ (referenced or not) must be an image of an allowed type, judged by its first
bytes and never by its suffix; its name must be plain (it becomes a URL); an SVG is parsed
(defusedxml: no entity expansion) and refused if it can script, load anything from elsewhere
or embed HTML. Raster images are published without their metadata (EXIF, XMP, comments, PNG
text chunks, colour profiles): the chunks or segments that carry it are dropped, the image
data itself is copied byte for byte. Symbolic links are never followed, here or anywhere in
the registry: a link is a problem, not a file.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .files import TooBig, read_regular
from .personal import NUMBER_NAMES, find_identifiers
from .problems import Problem

ASSETS = "content/assets"
MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000
MAX_NAME = 100

# Allowed types: what they are called, and the suffixes a file of that type may have.
ALLOWED: dict[str, tuple[str, tuple[str, ...]]] = {
    "png": ("PNG 图片", (".png",)),
    "jpeg": ("JPEG 图片", (".jpg", ".jpeg")),
    "webp": ("WebP 图片", (".webp",)),
    "svg": ("SVG 图片", (".svg",)),
}
_REFUSED_IMAGES = {"gif": "GIF", "bmp": "BMP", "tiff": "TIFF", "heic": "HEIC", "avif": "AVIF", "ico": "ICO"}
_NOT_IMAGES = {
    "html": "网页 HTML",
    "xml": "XML 文档",
    "text": "纯文本",
    "zip": "压缩包",
    "pdf": "PDF 文档",
    "program": "可执行程序",
    "video": "视频",
}
TYPES_HINT = "content/assets/ 里只能放 PNG、JPEG、WebP 或 SVG 图片（按文件内容判断，不看扩展名）"
NAME_CHARS = re.compile(r"[a-z0-9._-]")
LINK_MESSAGE = "这是一个符号链接，不会被读取或发布"
LINK_HINT = "把文件本身放进 content/assets/：符号链接可能指向登记簿之外的文件（例如 /etc/passwd）"


class AssetError(Exception):
    """An asset that may not be published was met while publishing (validation was skipped or raced)."""


class _Damaged(Exception):
    """A raster file whose structure is broken."""


# --- what a file is, by its first bytes ------------------------------------------------------------------------

_FIRST_TAG = re.compile(
    r"\A(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)*<([A-Za-z_][\w:.-]*)", re.S | re.I
)
_ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!", b"BZh", b"\xfd7zXZ\x00")
_HTML_TAGS = {"html", "head", "body", "script", "iframe", "div", "p", "a", "meta", "title", "style", "form", "img"}


def sniff(data: bytes) -> str:
    """The type of a file by its content: an `ALLOWED` key, or what else it is."""
    head = data[:32]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:2] == b"BM" and int.from_bytes(data[14:18], "little") in (12, 40, 52, 56, 64, 108, 124):
        return "bmp"  # the size of a known DIB header follows the file header
    if head[:4] == b"\x00\x00\x01\x00":
        return "ico"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        return "heic" if brand in (b"heic", b"heix", b"mif1", b"msf1") else "video"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if any(head.startswith(magic) for magic in _ARCHIVES) or data[257:262] == b"ustar":
        return "zip"
    if head.startswith((b"\x7fELF", b"MZ", b"\x00asm", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")):
        return "program"
    return _sniff_text(data)


def _sniff_text(data: bytes) -> str:
    try:
        text = data[:65536].decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < 65532:  # not just a character cut at the end of the sample
            return "unknown"
        text = data[: err.start].decode("utf-8")
    if "\x00" in text:
        return "unknown"
    text = text.lstrip("\ufeff")
    if re.match(r"\s*<!DOCTYPE\s+html", text, re.I):
        return "html"
    tag = _FIRST_TAG.match(text)
    if tag is None:
        return "text"
    name = tag.group(1)
    if name == "svg" or name.endswith(":svg"):
        return "svg"
    return "html" if name.lower() in _HTML_TAGS else "xml"


# --- walking content/assets without following links -----------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One thing below content/assets/: its path from the root, and what it is (never followed)."""

    rel: str
    kind: str  # "file", "folder", "link" or "special"


def walk(root: Path) -> list[Entry]:
    """Every entry below ROOT/content/assets (the folder itself when it is a link), sorted; links not entered."""
    top = os.path.join(root, ASSETS)
    try:
        if stat.S_ISLNK(os.lstat(os.path.join(root, "content")).st_mode):
            return []  # reported by the discovery of stories and pages (load.discover)
        mode = os.lstat(top).st_mode
    except OSError:
        return []
    if stat.S_ISLNK(mode):
        return [Entry(ASSETS, "link")]
    if not stat.S_ISDIR(mode):
        return [Entry(ASSETS, "special")]
    found: list[Entry] = []
    folders = [ASSETS]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(os.path.join(root, folder)) as entries:
                listed = [(entry.name, entry.stat(follow_symlinks=False).st_mode) for entry in entries]
        except OSError:
            continue
        for name, mode in listed:
            rel = f"{folder}/{name}"
            kind = (
                "link"
                if stat.S_ISLNK(mode)
                else "folder"
                if stat.S_ISDIR(mode)
                else "file"
                if stat.S_ISREG(mode)
                else "special"
            )
            found.append(Entry(rel, kind))
            if kind == "folder":
                folders.append(rel)
    return sorted(found, key=lambda entry: entry.rel)


# --- problems ------------------------------------------------------------------------------------------------


def asset_problems(root: Path) -> Iterator[Problem]:
    """Every problem of every file below ROOT/content/assets/: links, names, types, SVG content."""
    for entry in walk(root):
        yield from entry_problems(root, entry)


def entry_problems(root: Path, entry: Entry) -> Iterator[Problem]:
    """The problems of one entry below content/assets/."""
    if entry.kind == "link":
        yield Problem(entry.rel, 1, 1, LINK_MESSAGE, LINK_HINT, "symlink")
        return
    if entry.kind == "special":
        yield Problem(entry.rel, 1, 1, "这不是普通文件或文件夹", "删除它：content/assets/ 里只能放图片", "asset-type")
        return
    if entry.rel == ASSETS:
        return
    yield from name_problems(entry.rel, folder=entry.kind == "folder")
    if entry.kind == "file":
        try:
            data = read_regular(os.path.join(root, entry.rel), MAX_BYTES)
        except TooBig as err:
            yield Problem(
                entry.rel,
                1,
                1,
                f"文件太大（{err.size // (1024 * 1024)} MB，最多 {MAX_BYTES // (1024 * 1024)} MB）",
                "把图片缩小或压缩后再放入",
                "asset-size",
            )
            return
        except OSError as err:
            yield Problem(entry.rel, 1, 1, f"无法读取文件：{err.strerror or err}", "检查文件权限", "unreadable")
            return
        yield from content_problems(entry.rel, data)


def name_problems(rel: str, folder: bool = False) -> Iterator[Problem]:
    """A file or folder name becomes part of a URL: plain lowercase ASCII, no personal numbers."""
    name = rel.rsplit("/", 1)[-1]
    what = "文件夹名" if folder else "文件名"
    if name.startswith("."):
        yield Problem(
            rel,
            1,
            1,
            f"{what}不能以 `.` 开头",
            "隐藏文件也会被发布：删除它（常由系统自动生成），或改一个不以 . 开头的名称",
            "asset-name",
        )
    bad = list(dict.fromkeys(ch for ch in name if not NAME_CHARS.fullmatch(ch)))
    if bad and not name.startswith("."):  # a hidden file is to be deleted, not renamed
        shown = "、".join("空格" if ch == " " else f"`{ch}`" if ch.isprintable() else f"U+{ord(ch):04X}" for ch in bad)
        yield Problem(rel, 1, 1, f"{what}含有不允许的字符：{shown}", _rename_hint(name), "asset-name")
    if len(name) > MAX_NAME:
        yield Problem(
            rel, 1, 1, f"{what}太长（{len(name)} 个字符，最多 {MAX_NAME} 个）", "改一个短一些的名称", "asset-name"
        )
    for kind in dict.fromkeys(kind for _, kind in find_identifiers(name)):
        yield Problem(
            rel,
            1,
            1,
            f"{what}里像是{NUMBER_NAMES[kind]}",
            "文件名会出现在网站的网址里：改用不含个人信息的名称",
            "personal-" + kind,
        )


def _rename_hint(name: str) -> str:
    rule = "名称只能用小写英文字母、数字、`-`、`_` 和 `.`（网址里的名称）"
    suggestion = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9._-]", "-", name.lower())).strip("-")
    stem = suggestion.rsplit(".", 1)[0] if "." in suggestion else suggestion
    if stem.strip("-_.") and suggestion != name:
        return f"{rule}：例如改为 `{suggestion}`"
    return f"{rule}：可用拼音或英文，例如 `dangjian-logo.svg`"


def content_problems(rel: str, data: bytes) -> Iterator[Problem]:
    """What is wrong with a file's content: not an allowed image, a suffix that lies, a damaged or active image."""
    kind = sniff(data)
    suffix = os.path.splitext(rel)[1].lower()
    if kind in _REFUSED_IMAGES:
        yield Problem(
            rel,
            1,
            1,
            f"不支持 {_REFUSED_IMAGES[kind]} 图片",
            "请转换为 PNG、JPEG 或 WebP 后再放入 content/assets/",
            "asset-type",
        )
        return
    if kind not in ALLOWED:
        what = _NOT_IMAGES.get(kind)
        message = f"这个文件不是图片（内容是{_spaced(what)}）" if what else "这个文件不是图片（内容无法识别）"
        yield Problem(rel, 1, 1, message, TYPES_HINT, "asset-type")
        return
    title, suffixes = ALLOWED[kind]
    if suffix not in suffixes:
        stem = os.path.splitext(rel.rsplit("/", 1)[-1])[0]
        yield Problem(
            rel,
            1,
            1,
            f"文件内容是{_spaced(title)}，与扩展名 `{suffix or '（无）'}` 不符",
            f"把文件改名为 `{stem}{suffixes[0]}`",
            "asset-type",
        )
    if kind == "svg":
        from .svgcheck import svg_problems

        yield from svg_problems(rel, data)
    else:
        yield from _raster_problems(rel, data, kind, title)


def _spaced(words: str) -> str:
    """`words` as it follows a Chinese character: a space before a Latin word."""
    return f" {words}" if words[:1].isascii() else words


def _raster_problems(rel: str, data: bytes, kind: str, title: str) -> Iterator[Problem]:
    try:
        clean(data, kind)
        size = _pixel_size(data)
    except Exception:  # noqa: BLE001 - Pillow and the chunk walkers raise many kinds; each means "damaged"
        yield Problem(rel, 1, 1, f"{title}已损坏，无法读取", "用图片软件打开后重新导出", "asset-damaged")
        return
    if size[0] * size[1] > MAX_PIXELS:
        yield Problem(
            rel, 1, 1, f"图片尺寸过大（{size[0]}×{size[1]} 像素）", "缩小到 5000 万像素以内再放入", "asset-size"
        )


def _pixel_size(data: bytes) -> tuple[int, int]:
    """The size the header declares. Nothing is decoded, so Pillow's own bomb check (a warning over
    89 M pixels, an error over 179 M, which read as "damaged") is off here: MAX_PIXELS decides."""
    from PIL import Image

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    finally:
        Image.MAX_IMAGE_PIXELS = limit


# --- cleaning: the image, without what describes it --------------------------------------------------------------


def clean(data: bytes, kind: str) -> bytes:
    """A raster image without its metadata and without anything after its end; other kinds unchanged."""
    if kind == "png":
        return _clean_png(data)
    if kind == "jpeg":
        return _clean_jpeg(data)
    if kind == "webp":
        return _clean_webp(data)
    return data


# Chunks that draw the image (and animate it, APNG); text, EXIF, ICC profiles, times and unknown chunks go.
_PNG_KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"sBIT",
    b"pHYs",
    b"bKGD",
    b"acTL",
    b"fcTL",
    b"fdAT",
}


def _clean_png(data: bytes) -> bytes:
    out = [data[:8]]
    offset = 8
    while True:
        if offset + 12 > len(data):
            raise _Damaged("truncated chunk")
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunk_type = data[offset + 4 : offset + 8]
        end = offset + 12 + length
        if end > len(data):
            raise _Damaged("truncated chunk")
        if chunk_type in _PNG_KEEP:
            out.append(data[offset:end])
        offset = end
        if chunk_type == b"IEND":
            return b"".join(out)


_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def _clean_jpeg(data: bytes) -> bytes:
    """SOI, the tables, frames and scans, EOI; APPn (EXIF, XMP, ICC, JFIF) and comments dropped, except an
    Adobe APP14 (it says how to read the colours) and a new EXIF holding only the orientation."""
    out = [b"\xff\xd8"]
    orientation = _jpeg_orientation(data)
    if orientation not in (None, 1):
        out.append(_orientation_segment(orientation))
    offset = 2
    while True:
        marker, offset = _next_marker(data, offset)
        if marker == 0xD9:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in _JPEG_STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        if offset + 2 > len(data):
            raise _Damaged("truncated segment")
        (length,) = struct.unpack(">H", data[offset : offset + 2])
        end = offset + length
        if length < 2 or end > len(data):
            raise _Damaged("truncated segment")
        segment = data[offset - 2 : end]
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE) or (
            marker == 0xEE and data[offset + 2 : offset + 7] == b"Adobe"
        )
        if keep:
            out.append(segment)
        offset = end
        if marker == 0xDA:  # a scan: its entropy-coded data runs to the next marker that is not RSTn or a stuffed 0xFF
            start = offset
            offset = _scan_end(data, offset)
            out.append(data[start:offset])


def _next_marker(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data) or data[offset] != 0xFF:
        raise _Damaged("expected a marker")
    while offset < len(data) and data[offset] == 0xFF:  # fill bytes
        offset += 1
    if offset >= len(data):
        raise _Damaged("truncated marker")
    return data[offset], offset + 1


_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # a marker: not a stuffed 0xFF00, a restart or a fill byte


def _scan_end(data: bytes, offset: int) -> int:
    match = _SCAN_END.search(data, offset)
    if match is None:
        raise _Damaged("unterminated scan")
    return match.start()


def _jpeg_orientation(data: bytes) -> int | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            value = image.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - no readable EXIF: no orientation to keep
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _orientation_segment(orientation: int) -> bytes:
    """An APP1 EXIF segment holding the orientation tag alone (browsers rotate photos by it)."""
    tiff = (
        b"MM\x00*\x00\x00\x00\x08"
        + struct.pack(">H", 1)
        + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
        + b"\x00" * 4
    )
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


_WEBP_KEEP = {b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"}
_VP8X_METADATA = 0x20 | 0x08 | 0x04  # ICC profile, EXIF, XMP


def _clean_webp(data: bytes) -> bytes:
    (size,) = struct.unpack("<I", data[4:8])
    end = 8 + size
    if end > len(data) or size < 4:
        raise _Damaged("truncated RIFF")
    chunks = []
    offset = 12
    while offset < end:
        if offset + 8 > end:
            raise _Damaged("truncated chunk")
        fourcc = data[offset : offset + 4]
        (length,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        stop = offset + 8 + length + (length & 1)
        if offset + 8 + length > end:
            raise _Damaged("truncated chunk")
        chunk = data[offset : min(stop, end)]
        if fourcc == b"VP8X" and length >= 1:
            chunk = chunk[:8] + bytes((chunk[8] & ~_VP8X_METADATA & 0xFF,)) + chunk[9:]
        if fourcc in _WEBP_KEEP:
            chunks.append(chunk + (b"\x00" if len(chunk) & 1 else b""))
        offset = stop
    if not any(c[:4] in (b"VP8 ", b"VP8L", b"ANMF") for c in chunks):
        raise _Damaged("no image data")
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- publishing ---------------------------------------------------------------------------------------------------


def publish(root: Path, dest: Path) -> int:
    """Copy every file below ROOT/content/assets/ into `dest`, checked again and cleaned (`published`); never
    through a link, never into one (a file there is replaced)."""
    files = published(root)
    for rel, data in files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        target.write_bytes(data)
    return len(files)


def published(root: Path) -> dict[str, bytes]:
    """Every file below ROOT/content/assets/ as the site publishes it, checked again and cleaned: its path below
    the site's assets/ → its bytes; never read through a link.

    Validation has refused every problem already; meeting one here means the files changed
    since (or validation was skipped), and nothing is published: an AssetError.
    """
    entries = walk(root)
    problems = [p for entry in entries if entry.kind != "file" for p in entry_problems(root, entry)]
    if problems:
        raise AssetError(_listed(problems))
    files: dict[str, bytes] = {}
    for entry in entries:
        if entry.kind != "file":
            continue
        data = read_regular(os.path.join(root, entry.rel), MAX_BYTES)
        found = list(name_problems(entry.rel)) + list(content_problems(entry.rel, data))
        if found:
            raise AssetError(_listed(found))
        files[entry.rel[len(ASSETS) + 1 :]] = clean(data, sniff(data))
    return files


def _listed(problems: list[Problem]) -> str:
    return "图片文件有问题，网站没有发布：" + "；".join(f"{p.file}：{p.message}" for p in problems[:20])
