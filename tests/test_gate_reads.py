"""What the privacy gate reads at a rebuild (issue 23's fixed costs). A file the build writes with the bytes the last
build wrote there is that build's file (left in place or linked from the published site), whose key the gate's memo
knows clean: it is not read again. The theme's scripts and styles, the registry's assets and the photos go through the
same `_Site.put` as every other file (copied anew, the gate read every one, every photo copy, at every rebuild)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from dangjian.history import History
from dangjian.site import privacy
from dangjian.site.build import build
from dangjian.site.theme import TEMPLATES

LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, "PNG")
    return out.getvalue()


class Reads:
    """The files the gate reads, in this process or in the one a build forks for the pages' scan (beside the own
    index: `build._own_index_beside_gate`), as lines of a file each process appends to."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def add(self, rel: str) -> None:
        with open(self.log, "a", encoding="utf-8") as file:
            file.write(rel + "\n")

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)

    def __iter__(self):
        return iter(self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else [])


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Reads:
    """The files the gate reads (serially: a rebuild reads too few to fork for)."""
    read = Reads(tmp_path / "gate-reads.txt")
    real = privacy.Gate._check_file
    monkeypatch.setattr(privacy.Gate, "_check_file", lambda self, path, rel: read.add(rel) or real(self, path, rel))
    return read


def _make(root: Path, out: Path):
    return build(root, out, history=History.empty(), search_engine="own")


def test_a_rebuild_reads_no_static_file_the_last_build_wrote(registry, cached, tmp_path, reads):
    root = registry({"content/assets/logo.svg": LOGO})
    out = tmp_path / "site"
    _make(root, out)
    assert any(rel.startswith("assets/") for rel in reads)  # the first build read them
    theme_script = (TEMPLATES / "overrides" / "assets" / "dangjian" / "search.js").read_bytes()
    assert (out / "assets/dangjian/search.js").read_bytes() == theme_script
    reads.clear()
    report = _make(root, out)
    assert report.reused > 0
    assert [rel for rel in reads if rel.startswith("assets/")] == []
    assert (out / "assets/dangjian/search.js").read_bytes() == theme_script
    assert (out / "assets/logo.svg").read_text(encoding="utf-8").startswith("<svg")


def test_a_registry_asset_in_place_of_a_theme_file_replaces_it_and_never_writes_into_the_published_one(
    registry, cached, tmp_path, reads
):
    """`content/assets/images/favicon.png` is the site's favicon, not the theme's; edited, the new one is published as
    a new file: the published site's file (linked into the staging folder by the rebuild before) is left as it was."""
    root = registry({"content/assets/images/favicon.png": _png("red")})
    out = tmp_path / "site"
    _make(root, out)
    _make(root, out)  # the favicon now a link of the published one in the staging folder of the next build
    published = out / "assets/images/favicon.png"
    assert published.read_bytes() != (TEMPLATES / "material/assets/images/favicon.png").read_bytes()
    before_inode, before = os.stat(published).st_ino, published.read_bytes()
    kept_copy = tmp_path / "kept.png"
    os.link(published, kept_copy)  # the published file itself, whatever the build does with the path
    (root / "content/assets/images/favicon.png").write_bytes(_png("blue"))
    _make(root, out)
    assert kept_copy.read_bytes() == before and os.stat(kept_copy).st_ino == before_inode
    assert published.read_bytes() != before
    with Image.open(published) as image:
        assert image.getpixel((0, 0))[:3] == (0, 0, 255)
