"""The registry is untrusted input (issue 16): files read, files written, assets, operational errors.

Attacks a pull request (or a careless command) can make, each checked from outside: nothing
outside the root is read or published, only checked images are published (cleaned of their
metadata), `--out` never deletes a folder dangjian did not make, a killed build leaves no
half-written site and nothing behind that the next build does not remove, and an error of the
machine (disk full, no permission) is named as such, not as a bug of dangjian.
"""

from __future__ import annotations

import errno
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image, PngImagePlugin

from conftest import MINIMAL, REPO, copy_minimal
from dangjian.site.build import BuildError, InvalidRegistry, build
from dangjian.validate import validate

DANGJIAN = Path(sys.executable).parent / "dangjian"
SECRET = "甄秘密 13912345678 110101199003071233"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="5"/></svg>\n'


def problems_of(root: Path) -> list[tuple[str, int, int, str]]:
    return [(p.file, p.line, p.column, p.message) for p in validate(root).problems]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_minimal(tmp_path / "root")


# --- 1. nothing outside the root is read or published -----------------------------------------------------------

LINK_MESSAGE = "这是一个符号链接，不会被读取或发布"


def _outside_folder(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.svg").write_bytes(SVG.replace(b"<circle", "<text>外部机密</text><circle".encode()))
    return outside


ASSET_LINKS = {
    "to-etc-passwd": ("content/assets/brands/passwd.svg", lambda tmp: Path("/etc/passwd")),
    "to-proc-environ": ("content/assets/env.png", lambda tmp: Path("/proc/self/environ")),
    "to-a-folder-outside": ("content/assets/outside", _outside_folder),
    "the-assets-folder-itself": ("content/assets", _outside_folder),
    "to-a-file-inside-the-root": (
        "content/assets/brands/copy.svg",
        lambda tmp: tmp / "root/content/assets/brands/red.svg",
    ),
}
# The brand's logo is behind the linked folder: it will not be published.
LOGO_GONE = ("registry/brands/red.yaml", 6, 7, "图片 `brands/red.svg` 要经过符号链接才能找到，不会发布")


@pytest.mark.parametrize("case", sorted(ASSET_LINKS))
def test_a_symlink_in_assets_is_a_problem_and_nothing_it_points_to_is_published(case, root, tmp_path):
    rel, target = ASSET_LINKS[case]
    link = root / rel
    if link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(target(tmp_path))
    found = validate(root).problems
    expected = [(rel, 1, 1, LINK_MESSAGE)] + ([LOGO_GONE] if rel == "content/assets" else [])
    assert [(p.file, p.line, p.column, p.message) for p in found] == expected
    assert all(p.hint for p in found)
    with pytest.raises(InvalidRegistry):
        build(root, tmp_path / "site", with_search=False)
    assert not (tmp_path / "site").exists()


def test_publishing_never_follows_a_link_even_when_validation_was_skipped(root, tmp_path):
    """Defence in depth: a link made between validation and publishing is refused by the copy itself."""
    from dangjian.assets import AssetError, publish

    (root / "content/assets/passwd.svg").symlink_to("/etc/passwd")
    with pytest.raises(AssetError, match="符号链接"):
        publish(root, tmp_path / "out")
    assert not (tmp_path / "out/passwd.svg").exists()


RECORD_LINKS = {
    # (link, target relative to tmp_path, whether the target is a folder)
    "record-file-to-a-file-inside-the-root": ("registry/orgs/north.yaml", "root/notes/north.yaml", False),
    "record-file-outside": ("registry/orgs/north.yaml", "elsewhere/north.yaml", False),
    "record-folder": ("registry/orgs/more", "elsewhere", True),
    "stories-folder": ("content/stories", "elsewhere", True),
    "pages-file": ("content/pages/passwd.md", "/etc/passwd", False),
}
NORTH = "id: north\nname: 北村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"
STORY = "---\ntitle: 外部的故事\ndate: 2026-04-02\n---\n外部机密正文。\n"


@pytest.mark.parametrize("case", sorted(RECORD_LINKS))
def test_a_symlinked_record_file_or_folder_is_a_problem_and_is_not_read(case, root, tmp_path):
    rel, target, folder = RECORD_LINKS[case]
    target = Path(target) if target.startswith("/") else tmp_path / target
    if not target.is_absolute() or str(target).startswith(str(tmp_path)):
        target.parent.mkdir(parents=True, exist_ok=True)
        if folder:
            target.mkdir(exist_ok=True)
            (target / "north.yaml").write_text(NORTH, encoding="utf-8")
            (target / "outside.md").write_text(STORY, encoding="utf-8")
        else:
            target.write_text(NORTH, encoding="utf-8")
    link = root / rel
    if link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(target)
    result = validate(root)
    assert [(p.file, p.line, p.column, p.message) for p in result.problems] == [
        (rel, 1, 1, "这是一个符号链接，不会被读取")
    ]
    assert "north" not in result.registry.orgs
    assert all(story.get("title") != "外部的故事" for story in result.registry.all("story"))


# --- 2. assets are data, checked by content; metadata is not published --------------------------------------------


def _png_with_text(secret: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", secret)  # tEXt
    info.add_text("Comment", secret, zip=True)  # zTXt
    info.add_itxt("Description", secret, lang="zh", tkey="说明")  # iTXt
    buffer = io.BytesIO()
    image = Image.new("RGB", (8, 6), (200, 16, 46))
    image.putpixel((3, 2), (1, 2, 3))
    exif = Image.Exif()
    exif[0x013B] = secret  # Artist
    image.save(buffer, format="PNG", pnginfo=info, exif=exif)
    return buffer.getvalue()


def _jpeg_with_metadata(secret: str, **options) -> bytes:
    buffer = io.BytesIO()
    image = Image.effect_noise((48, 40), 64).convert("RGB")  # noise: entropy-coded data full of 0xFF bytes
    exif = Image.Exif()
    exif[0x013B] = secret
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{secret}</dc:creator></x:xmpmeta>'.encode()
    image.save(buffer, format="JPEG", exif=exif, comment=secret.encode(), xmp=xmp, quality=90, **options)
    return buffer.getvalue()


def _progressive_jpeg_with_metadata(secret: str) -> bytes:
    """Several scans, and restart markers inside them."""
    return _jpeg_with_metadata(secret, progressive=True, restart_marker_blocks=2)


def _webp_with_metadata(secret: str) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGBA", (8, 8), (200, 16, 46, 128))
    exif = Image.Exif()
    exif[0x013B] = secret
    image.save(buffer, format="WEBP", exif=exif, xmp=secret.encode(), lossless=True)
    return buffer.getvalue()


RASTERS = {
    "photo.png": _png_with_text,
    "photo.jpg": _jpeg_with_metadata,
    "progressive.jpg": _progressive_jpeg_with_metadata,
    "photo.webp": _webp_with_metadata,
}


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


@pytest.mark.parametrize("name", sorted(RASTERS))
def test_raster_metadata_is_not_published_and_the_pixels_are_unchanged(name, root, tmp_path):
    original = RASTERS[name](SECRET)
    assert SECRET.encode() in original or SECRET.encode("utf-16-le") in original or b"13912345678" in original
    (root / "content/assets/photos").mkdir()
    (root / "content/assets/photos" / name).write_bytes(original)
    assert problems_of(root) == []
    site = build(root, tmp_path / "site", with_search=False).out
    published = (site / "assets/photos" / name).read_bytes()
    for secret in ("13912345678", "110101199003071233", "甄秘密"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in published, (secret, encoding)
    assert _pixels(published) == _pixels(original)
    with Image.open(io.BytesIO(published)) as image:
        assert not getattr(image, "text", {}) and not image.getexif() and "xmp" not in image.info


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(sorted(RASTERS)),
    secret=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=6, max_size=40).map(
        lambda s: "甄" + s + "秘"
    ),
)
def test_cleaning_removes_any_metadata_text(kind, secret):
    from dangjian.assets import clean, sniff

    data = RASTERS[kind](secret)
    cleaned = clean(data, sniff(data))
    assert secret.encode() not in cleaned and "甄".encode() not in cleaned
    assert _pixels(cleaned) == _pixels(data)


def test_a_photo_keeps_its_orientation_and_nothing_else(root, tmp_path):
    """Browsers rotate a phone photo by its EXIF orientation: that one tag is written back, alone."""
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x013B] = SECRET
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPS
    Image.new("RGB", (16, 8), (200, 16, 46)).save(buffer, format="JPEG", exif=exif)
    (root / "content/assets/photo.jpg").write_bytes(buffer.getvalue())
    site = build(root, tmp_path / "site", with_search=False).out
    published = (site / "assets/photo.jpg").read_bytes()
    with Image.open(io.BytesIO(published)) as image:
        assert dict(image.getexif()) == {0x0112: 6}
    assert b"13912345678" not in published


_SAFE_ELEMENTS = st.sampled_from(["rect", "circle", "path", "g", "text", "ellipse", "line", "polygon"])
_SAFE_ATTRIBUTES = st.dictionaries(
    st.sampled_from(["fill", "stroke", "opacity", "x", "y", "width", "class", "id"]),
    st.from_regex(r"[a-z0-9#.% ]{0,12}", fullmatch=True),
    max_size=3,
)


def _svg(children: list[str]) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<defs><linearGradient id="g"/></defs>' + "".join(children) + "</svg>"
    ).encode()


def _element(name: str, attributes: dict[str, str], inner: str = "") -> str:
    written = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return f"<{name}{written}>{inner}</{name}>"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_SAFE_ELEMENTS, _SAFE_ATTRIBUTES), max_size=6))
def test_plain_drawings_pass(elements):
    from dangjian.svgcheck import svg_problems

    children = [_element(name, attrs) for name, attrs in elements]
    children.append('<use href="#g"/><rect style="fill: url(#g)" xlink:href="#g"/>')
    assert list(svg_problems("a.svg", _svg(children))) == []


def _random_case(draw, word: str) -> str:
    return "".join(ch.upper() if draw(st.booleans()) else ch for ch in word)


def _css_escaped(draw, word: str) -> str:
    """`word` with some letters written as CSS escapes (`\\75 ` for u), which browsers decode."""
    return "".join(f"\\{ord(ch):x} " if draw(st.booleans()) else ch for ch in word)


@st.composite
def _hostile(draw) -> str:
    """One construct that scripts the page or calls elsewhere, written in one of the ways browsers accept."""
    event = "on" + draw(st.sampled_from(["load", "click", "mouseover", "focus", "begin", "error", "x"]))
    target = draw(
        st.sampled_from(
            [
                "http://e.example/x",
                "https://e.example/x",
                "//e.example/x",
                "javascript:alert(1)",
                "data:text/html,x",
                "other.svg#a",
                "file:///etc/passwd",
            ]
        )
    )
    spaced = draw(st.sampled_from(["", " ", "\t", "\n"])) + target
    url = _css_escaped(draw, "url")
    kind = draw(st.sampled_from(["event", "href", "xlink", "style", "sheet", "element", "animate", "import"]))
    if kind == "event":
        return f'<rect {_random_case(draw, event)}="alert(1)"/>'
    if kind == "href":
        return f'<image href="{spaced}"/>'
    if kind == "xlink":
        return f'<use xlink:href="{spaced}"/>'
    if kind == "style":
        return f'<rect style="fill: {url}({target})"/>'
    if kind == "sheet":
        return f"<style>rect {{ fill: {url}('{target}') }}</style>"
    if kind == "element":
        return draw(
            st.sampled_from(
                [
                    "<script>alert(1)</script>",
                    "<foreignObject><p/></foreignObject>",
                    '<h:script xmlns:h="http://www.w3.org/1999/xhtml">x</h:script>',
                    "<iframe/>",
                    "<embed/>",
                    "<object/>",
                    "<handler/>",
                ]
            )
        )
    if kind == "animate":
        element = draw(st.sampled_from(["set", "animate"]))
        return f'<{element} attributeName="{draw(st.sampled_from(["href", "xlink:href", event]))}" to="x"/>'
    return f"<style>@{_random_case(draw, 'import')} '{target}';</style>"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_SAFE_ELEMENTS, _SAFE_ATTRIBUTES), max_size=4), _hostile(), st.integers(0, 4))
def test_any_hostile_construct_anywhere_is_refused(elements, hostile, where):
    from dangjian.svgcheck import svg_problems

    children = [_element(name, attrs) for name, attrs in elements]
    children.insert(min(where, len(children)), hostile)
    assert list(svg_problems("a.svg", _svg(children))), hostile


@pytest.mark.parametrize(
    "saved, expected",
    [
        ("PNG", "png"),
        ("JPEG", "jpeg"),
        ("WEBP", "webp"),
        ("GIF", "gif"),
        ("BMP", "bmp"),
        ("TIFF", "tiff"),
        ("ICO", "ico"),
    ],
)
def test_types_are_known_by_their_content(saved, expected):
    from dangjian.assets import ALLOWED, content_problems, sniff

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 16, 46)).save(buffer, format=saved)
    assert sniff(buffer.getvalue()) == expected
    problems = list(content_problems(f"content/assets/x.{expected}", buffer.getvalue()))
    assert (problems == []) == (expected in ALLOWED)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_no_text_passes_for_an_image(text):
    from dangjian.assets import ALLOWED, sniff

    kind = sniff(text.encode("utf-8"))
    assert kind not in ALLOWED or (kind == "svg" and "svg" in text)


def test_an_image_with_data_after_its_end_is_published_without_it(root, tmp_path):
    """A PNG+HTML polyglot: what follows the image's end is not published."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    (root / "content/assets/poly.png").write_bytes(buffer.getvalue() + b"<html><script>alert(1)</script>")
    site = build(root, tmp_path / "site", with_search=False).out
    assert b"<script>" not in (site / "assets/poly.png").read_bytes()


def test_the_demo_assets_are_valid_and_published_unchanged_when_already_clean(tmp_path):
    from dangjian.assets import asset_problems

    assert list(asset_problems(REPO)) == []
    site = build(MINIMAL, tmp_path / "site", with_search=False).out
    assert (site / "assets/brands/red.svg").read_bytes() == (MINIMAL / "content/assets/brands/red.svg").read_bytes()


# --- 3. the output folder is ours or it is refused ----------------------------------------------------------------


def _docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "述职报告.docx").write_bytes(b"PK\x03\x04 user document")
    return folder


REFUSED_OUTPUTS = {
    "a-folder-of-documents": (lambda root, tmp: _docs(tmp / "documents"), "不是 dangjian 生成的网站"),
    "the-root": (lambda root, tmp: root, "登记簿"),
    "the-registry": (lambda root, tmp: root / "registry", "登记簿"),
    "the-content": (lambda root, tmp: root / "content", "登记簿"),
    "inside-the-registry": (lambda root, tmp: root / "registry/orgs/site", "登记簿"),
    "a-folder-holding-the-root": (lambda root, tmp: tmp, "登记簿"),
    "a-git-work-tree": (lambda root, tmp: _git_tree(tmp / "repo"), "git"),
}


def _git_tree(folder: Path) -> Path:
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", sorted(REFUSED_OUTPUTS))
def test_build_refuses_an_output_folder_it_did_not_make_and_touches_nothing(case, root, tmp_path):
    make, message = REFUSED_OUTPUTS[case]
    out = make(root, tmp_path)
    before = _snapshot(tmp_path)
    proc = subprocess.run(
        [str(DANGJIAN), "build", "--root", str(root), "--out", str(out), "--no-search"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr and "请报告" not in proc.stderr
    assert _snapshot(tmp_path) == before


def test_an_output_path_through_a_link_is_refused(root, tmp_path):
    """`site` committed as a link (to a web root, to another project): the default output would follow it."""
    www = tmp_path / "www"
    (root / "site").symlink_to(www)
    with pytest.raises(BuildError, match="符号链接"):
        build(root, None, with_search=False)
    assert not www.exists()
    (root / "public").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BuildError, match="符号链接"):
        build(root, root / "public/site", with_search=False)
    assert not (tmp_path / "elsewhere").exists()


def test_the_output_checks_refuse_the_home_folder_and_the_file_system_root(root, tmp_path, monkeypatch):
    from dangjian.site.output import refuse_output

    home = _docs(tmp_path / "home")
    monkeypatch.setenv("HOME", str(home))
    assert "主文件夹" in refuse_output(home, root)
    assert "主文件夹" in refuse_output(tmp_path, None)  # a folder holding the home folder
    assert "根目录" in refuse_output(Path("/"), root)
    (tmp_path / "empty").mkdir()
    assert refuse_output(tmp_path / "empty", root) is None
    assert refuse_output(tmp_path / "absent", root) is None


def test_a_planted_marker_does_not_make_a_registry_or_a_work_tree_an_output(root, tmp_path):
    from dangjian.site.output import MARKER, refuse_output

    (root / MARKER).write_text("x", encoding="utf-8")
    (root / "registry" / MARKER).write_text("x", encoding="utf-8")
    assert refuse_output(root, root) and refuse_output(root / "registry", root)
    assert refuse_output(root, None)  # merge: any folder holding a registry
    tree = _git_tree(tmp_path / "repo")
    (tree / MARKER).write_text("x", encoding="utf-8")
    assert "git" in refuse_output(tree, None)


def test_a_mount_point_is_refused_with_a_plain_message(root, tmp_path, monkeypatch):
    out = tmp_path / "mounted"
    real = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda path: os.fspath(path) == os.fspath(out) or real(path))
    out.mkdir()
    with pytest.raises(BuildError, match="是挂载点，不能替换"):
        build(root, out, with_search=False)


def test_build_accepts_its_own_output_an_older_site_an_empty_or_absent_folder(root, tmp_path):
    from dangjian.site.output import MARKER

    site = build(root, tmp_path / "site", with_search=False).out
    assert (site / MARKER).is_file()
    build(root, site, with_search=False)  # its own output
    (site / MARKER).unlink()  # a site built before the marker existed
    build(root, site, with_search=False)
    (tmp_path / "empty").mkdir()
    build(root, tmp_path / "empty", with_search=False)
    assert (tmp_path / "empty/index.html").is_file()


def test_merge_shares_the_output_rules(tmp_path):
    from dangjian.site.shards import SEARCH_CONFIG, MergeError, check

    shard = tmp_path / "shard"  # what merge reads of a shard, without building one
    (shard / "assets/dangjian").mkdir(parents=True)
    (shard / "pagefind").mkdir()
    (shard / "index.html").write_text('<h1 id="dj-title">分站</h1>', encoding="utf-8")
    (shard / "assets/dangjian/search.js").write_text(f"fetch('{SEARCH_CONFIG}')", encoding="utf-8")
    (shard / "pagefind/pagefind-entry.json").write_text('{"version": "1.0"}', encoding="utf-8")
    assert check([("a", shard)], tmp_path / "merged")
    (shard / "passwd.html").symlink_to("/etc/passwd")  # a shard site is never followed out of itself either
    with pytest.raises(MergeError, match="符号链接"):
        check([("a", shard)], tmp_path / "merged")
    (shard / "passwd.html").unlink()
    (tmp_path / "www-link").symlink_to(tmp_path / "www")
    with pytest.raises(MergeError, match="符号链接"):
        check([("a", shard)], tmp_path / "www-link")
    tree = _git_tree(tmp_path / "repo")
    with pytest.raises(MergeError, match="git"):
        check([("a", shard)], tree)
    with pytest.raises(MergeError, match="不是 dangjian"):
        check([("a", shard)], _docs(tmp_path / "documents"))


def test_serve_refuses_an_output_folder_it_did_not_make_before_serving_anything(root, tmp_path, monkeypatch):
    """`serve --out` follows build's rule: a folder of documents is never put on HTTP (nor replaced)."""
    from click.testing import CliRunner

    import dangjian.site.serve as serve_module
    from dangjian.cli import main

    served = []
    monkeypatch.setattr(serve_module, "serve", lambda *args, **kwargs: served.append(args))
    documents = _docs(tmp_path / "documents")
    before = sorted(p.name for p in documents.iterdir())
    result = CliRunner().invoke(main, ["serve", "--root", str(root), "--out", str(documents)])
    assert result.exit_code == 2, result.output
    assert "dangjian" in result.output and served == []
    assert sorted(p.name for p in documents.iterdir()) == before


# --- 4. staging: one known place, cleaned, ignored by git --------------------------------------------------------


def test_staging_lives_in_one_ignored_folder_and_stale_entries_are_removed(root, tmp_path):
    from dangjian.site.output import STAGING

    out = tmp_path / "site"
    build(root, out, with_search=False)
    staging = tmp_path / STAGING
    staging.mkdir(exist_ok=True)
    # Left by a build killed with kill -9: a lock nobody holds, and the half-written site it named.
    (staging / "site.abc123.lock").write_bytes(b"")
    (staging / "site.abc123").mkdir()
    (staging / "site.abc123/index.html").write_text("甄秘密", encoding="utf-8")
    (staging / "site.abc123.old").mkdir()
    (staging / "site.abc123.index/djsearch").mkdir(parents=True)  # its own search index, half made
    (staging / "site.abc123.index/djsearch/meta.gz").write_bytes(b"\x1f\x8b")
    (staging / "site.abc123.pre/orgs").mkdir(parents=True)  # the folders it made for the next build
    (staging / "site.abc123.pre/index.html").write_text("甄秘密", encoding="utf-8")
    # Left by an older dangjian: a hidden staging folder beside the output.
    legacy = tmp_path / ".site.k2j4h5g6"
    (legacy / "orgs").mkdir(parents=True)
    (legacy / "index.html").write_text("甄秘密", encoding="utf-8")
    legacy.chmod(0o700)
    # Not ours: kept.
    (staging / "notes.txt").write_text("keep", encoding="utf-8")
    build(root, out, with_search=False)
    _wait_until(
        lambda: not any((staging / f"site.abc123{end}").exists() for end in ("", ".old", ".index", ".pre")),
    )
    assert not legacy.exists()
    assert (staging / "notes.txt").read_text(encoding="utf-8") == "keep"
    assert not (staging / "site.abc123.lock").exists()


def test_a_staging_folder_planted_as_a_link_is_refused_and_nothing_it_points_to_is_removed(root, tmp_path):
    """A pull request can commit `.dangjian-staging` as a link (git ignores only a folder of that name)."""
    from dangjian.site.output import STAGING

    victim = _docs(tmp_path / "victim")
    (victim / "work.lock").write_bytes(b"")
    (victim / "work").mkdir()
    (victim / "work/keep.txt").write_text("keep", encoding="utf-8")
    (tmp_path / STAGING).symlink_to(victim)
    before = _snapshot(victim)
    with pytest.raises(BuildError, match="符号链接"):
        build(root, tmp_path / "site", with_search=False)
    time.sleep(0.5)  # a detached removal, had one started
    assert _snapshot(victim) == before


def test_a_running_build_s_staging_is_not_removed_by_another(root, tmp_path):
    import fcntl

    from dangjian.site.output import STAGING

    staging = tmp_path / STAGING
    staging.mkdir()
    (staging / "other.xyz.lock").write_bytes(b"")
    (staging / "other.xyz").mkdir()
    with open(staging / "other.xyz.lock", "rb+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        build(root, tmp_path / "site", with_search=False)
        assert (staging / "other.xyz").is_dir()


def test_without_an_atomic_exchange_two_renames_and_a_failed_one_puts_the_old_site_back(root, tmp_path, monkeypatch):
    from dangjian.site import output

    out = build(root, tmp_path / "site", with_search=False).out
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    build(root, out, with_search=False)  # two renames
    _wait_until(lambda: _only_kept(tmp_path / output.STAGING))
    before = _snapshot(out)
    real_rename = Path.rename

    def rename(self, target):
        if Path(target) == out and not self.name.endswith(".old"):
            raise OSError(errno.EIO, "Input/output error", str(target))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(BuildError, match="磁盘读写出错"):
        build(root, out, with_search=False)
    assert _snapshot(out) == before


def test_git_ignores_the_staging_folder():
    from dangjian.site.output import STAGING

    assert f"{STAGING}/" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    probe = subprocess.run(["git", "check-ignore", "-q", f"{STAGING}/site.x/index.html"], cwd=REPO)
    assert probe.returncode == 0
    assert f"{STAGING}/" in (REPO / "docs/editors-guide.md").read_text(encoding="utf-8")


def _only_kept(area: Path) -> bool:
    """Nothing left in the staging area but the site the last build replaced, kept for the next (`output.KEPT`)."""
    from dangjian.site.output import KEPT

    return not area.exists() or {p.name for p in area.iterdir()} <= {"site" + KEPT}


def _wait_until(condition, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def _consistent(site: Path) -> str | None:
    """ "旧" or "新" when every page of `site` is of the one complete build; None when there is no site."""
    if not site.exists():
        return None
    titles = {("新" if "新标题镇" in p.read_text(encoding="utf-8") else "旧") for p in site.rglob("index.html")}
    assert len(titles) == 1, "a site mixing two builds"
    assert (site / "404.html").is_file() and (site / "sitemap.xml").is_file() and (site / "robots.txt").is_file()
    return titles.pop()


def test_a_build_killed_at_any_moment_never_leaves_a_half_written_site(root, tmp_path):
    """kill -9 at random moments: the output is the previous site, the new one, or (between two renames,
    where the system cannot exchange them) absent; never part of one. The next build removes what it left."""
    from dangjian.site.output import STAGING

    site_yaml = root / "registry/site.yaml"
    original = site_yaml.read_text(encoding="utf-8")

    def titled(title: str) -> None:
        site_yaml.write_text(original.replace("title: ", f"title: {title}标题镇", 1), encoding="utf-8")

    out = tmp_path / "site"
    command = [str(DANGJIAN), "build", "--root", str(root), "--out", str(out), "--no-search"]
    titled("旧")
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    whole = time.monotonic() - started
    current: str | None = "旧"
    for moment in random.Random(16).sample([whole * k / 20 for k in range(2, 22)], 5):
        target = "旧" if current == "新" else "新"
        titled(target)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        found = _consistent(out)
        assert found in (current, target, None), moment
        current = found
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != STAGING]
        assert leftovers == [], moment
    titled("新")
    subprocess.run(command, check=True, capture_output=True)
    assert _consistent(out) == "新"
    _wait_until(lambda: _only_kept(tmp_path / STAGING))


# --- 5. an error of the machine is the user's to fix, named plainly -----------------------------------------------


def _run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    from dangjian import cli

    monkeypatch.setattr(sys, "argv", ["dangjian", *args])
    with pytest.raises(SystemExit) as done:
        cli._run()  # the console entry less its ending (`_leave` would end this process)
    return done.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    "code, message",
    [
        (errno.ENOSPC, "磁盘空间不足"),
        (errno.EACCES, "没有写入权限"),
        (errno.EROFS, "只读"),
        (errno.EDQUOT, "磁盘配额"),
    ],
)
def test_a_full_or_read_only_disk_is_named_and_the_site_survives(code, message, root, tmp_path, monkeypatch, capsys):
    from dangjian.site import build as build_module

    out = build(root, tmp_path / "site", with_search=False).out
    before = _snapshot(out)
    real = build_module._write

    def failing(path, data):
        if path.name == "robots.txt":
            raise OSError(code, os.strerror(code), str(path))
        real(path, data)

    monkeypatch.setattr(build_module, "_write", failing)
    # --cold: every file written anew (a rebuild links the robots.txt it wrote last time instead of writing it)
    status, err = _run_cli(
        monkeypatch, capsys, "build", "--root", str(root), "--out", str(out), "--no-search", "--cold"
    )
    assert status not in (0, 2)  # failed, and not as a usage error (the CLI's code for "could not run")
    assert message in err and "robots.txt" in err and "原来的网站" in err
    assert "请报告" not in err and "内部错误" not in err
    assert _snapshot(out) == before


def test_a_full_disk_while_linking_a_file_the_last_build_wrote_is_named_and_the_site_survives(
    root, tmp_path, monkeypatch, capsys, no_prekeep
):
    """A rebuild links the files it would write with the same bytes (robots.txt); a link that fails is a write
    instead, and a full disk then is named as any write's is, the site as it was."""
    from dangjian.site import build as build_module

    out = tmp_path / "site"
    args = ("build", "--root", str(root), "--out", str(out), "--no-search")
    assert _run_cli(monkeypatch, capsys, *args)[0] == 0  # the next build's staging folder is a new one
    real = os.link

    def full(src, dst, *args, **kwargs):
        if os.fspath(dst).endswith("robots.txt"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(dst))
        return real(src, dst, *args, **kwargs)

    def write(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(os, "link", full)
    status, err = _run_cli(monkeypatch, capsys, *args)
    assert status == 0, err  # the link refused: robots.txt written instead
    monkeypatch.setattr(build_module, "_write", lambda path, data: write(path, data))
    before = _snapshot(out)
    status, err = _run_cli(monkeypatch, capsys, *args)
    assert status not in (0, 2) and "磁盘空间不足" in err and "原来的网站" in err, err
    assert "请报告" not in err and "内部错误" not in err
    assert _snapshot(out) == before


def test_an_os_error_outside_the_build_is_named_too(root, monkeypatch, capsys):
    from dangjian import validate as validate_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/var/cache/dangjian/x")

    monkeypatch.setattr(validate_module, "_validate", full)
    status, err = _run_cli(monkeypatch, capsys, "validate", "--root", str(root))
    assert status not in (0, 2) and "磁盘空间不足：/var/cache/dangjian/x" in err and "请报告" not in err


def test_an_output_under_a_file_is_named_not_reported_as_a_bug(root, tmp_path, monkeypatch, capsys):
    """`build --out FILE/site`, FILE a regular file: the user's slip (ENOTDIR), said in Chinese."""
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04")
    status, err = _run_cli(
        monkeypatch,
        capsys,
        "build",
        "--root",
        str(root),
        "--out",
        str(tmp_path / "report.docx" / "site"),
        "--no-search",
    )
    assert status not in (0, 2) and "report.docx" in err
    assert "请报告" not in err and "内部错误" not in err


def test_a_real_bug_still_says_report_it(root, monkeypatch, capsys):
    from dangjian import validate as validate_module

    def bug(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(validate_module, "_validate", bug)
    status, err = _run_cli(monkeypatch, capsys, "validate", "--root", str(root))
    assert status not in (0, 2) and "请报告" in err


def test_a_read_only_output_folder_really_read_only(tmp_path):
    """chmod the output's parent read-only and build; as root, build as an unprivileged user (root ignores modes)."""
    command: list[str] = []
    base = tmp_path
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("needs setpriv to drop root")
        base = Path(tempfile.mkdtemp(prefix="dangjian-read-only-", dir="/tmp"))  # reachable by an unprivileged user
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    try:
        _build_into_a_read_only_folder(base, command)
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        if base != tmp_path:
            shutil.rmtree(base)


def _build_into_a_read_only_folder(base: Path, prefix: list[str]) -> None:
    root = copy_minimal(base / "root")
    parent = base / "public"
    parent.mkdir()
    out = parent / "site"
    command = [*prefix, str(DANGJIAN), "build", "--root", str(root), "--out", str(out), "--no-search"]
    env = {**os.environ, "DANGJIAN_CACHE": str(base / "cache"), "HOME": str(base)}
    if prefix:
        for path in [base, *base.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _snapshot(out)
    for path in [parent, *parent.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o555)
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode not in (0, 2), proc.stderr
    assert "没有写入权限" in proc.stderr and str(parent) in proc.stderr and "请报告" not in proc.stderr
    assert _snapshot(out) == before


def test_a_staging_area_removed_by_the_last_builds_cleanup_is_made_again(root, tmp_path, monkeypatch):
    """The previous build's detached cleanup removes the staging area once it is empty (`rmdir`), and may do so
    between this build's `mkdir` and its lock file: the build makes the area again, never fails (CI saw the
    race once, on a build into a second folder beside a site just replaced)."""
    from dangjian.site import output

    created = output._Lock.create.__func__  # type: ignore[attr-defined]
    calls = []

    def cleanup_wins_once(cls, area: Path, out_name: str):
        calls.append(area)
        if len(calls) == 1:
            area.rmdir()  # as the detached `rmdir -- "$AREA"` does when the area is empty
        return created(cls, area, out_name)

    monkeypatch.setattr(output._Lock, "create", classmethod(cleanup_wins_once))
    site = build(root, tmp_path / "site", with_search=False).out
    assert (site / output.MARKER).is_file() and len(calls) == 2
