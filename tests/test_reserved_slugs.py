"""A free page's file name (content/pages/<slug>.md) is its address, /<slug>/: it may not be a name the site
keeps for itself (a section's folder, assets/, pagefind/, admin/), or the page would replace the section's
index page (content/pages/projects.md was published as /projects/ over the project list), be deleted by the
search step (pagefind/), or mix with the published assets."""

from __future__ import annotations

import re

import pytest

from conftest import REPO, copy_minimal
from site_helpers import build_site
from dangjian.recordtypes import RECORD_TYPES
from dangjian.site import ownsearch, search
from dangjian.site.kinds import KINDS
from dangjian.validate import validate

RESERVED = RECORD_TYPES["page"].reserved
PAGE = "---\ntitle: 一个页面\n---\n\n正文。\n"


def literal_sections() -> set[str]:
    """The first folder of every address pattern of the kinds whose first segment is written out literally."""
    names = set()
    for kind in KINDS:
        for pattern in kind.urls:
            first = pattern.split("/", 1)[0]
            if "/" in pattern and first and re.fullmatch(r"[a-z0-9-]+", first):
                names.add(first)
    return names


def test_every_reserved_name_is_refused_where_the_file_is(tmp_path):
    root = copy_minimal(tmp_path / "reg")
    pages = root / "content" / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    for name in sorted(RESERVED):
        (pages / f"{name}.md").write_text(PAGE, encoding="utf-8")
    (pages / "projects-intro.md").write_text(PAGE, encoding="utf-8")  # a name beside a section's: fine
    result = validate(root)
    found = {(p.file, p.line, p.column, p.code) for p in result.problems}
    assert found == {(f"content/pages/{name}.md", 1, 1, "file-name") for name in RESERVED}
    projects = next(p for p in result.problems if p.file == "content/pages/projects.md")
    assert (
        projects.message == "文件名 `projects` 是网站自己要用的地址「/projects/」（栏目、资源或搜索索引），页面不能用它"
    )
    assert "改" in projects.hint


def test_a_page_named_like_a_section_is_never_published_over_it(tmp_path):
    """The defect as a reader met it: the project list replaced by a free page. Now the build refuses."""
    root = copy_minimal(tmp_path / "reg")
    (root / "content" / "pages").mkdir(parents=True, exist_ok=True)
    (root / "content" / "pages" / "projects.md").write_text(PAGE, encoding="utf-8")
    with pytest.raises(Exception) as raised:
        build_site(root, tmp_path / "site")
    assert any(p.file == "content/pages/projects.md" for p in getattr(raised.value, "problems", []))
    assert not (tmp_path / "site").exists()


def test_the_reserved_names_are_exactly_the_top_level_names_the_site_uses(tmp_path):
    """Declared once in recordtypes.py (the registry side cannot read the site's kinds): checked here against
    the kinds' address patterns and the top-level folders of the demo site as built, so a new section (or
    one removed) fails this test until the declaration follows."""
    site = build_site(REPO, tmp_path / "site")
    free_pages = {path.stem for path in (REPO / "content" / "pages").rglob("*.md")}
    folders = {entry.name for entry in site.iterdir() if entry.is_dir()} - free_pages
    used = literal_sections() | folders | {search.bundle_path(search.MAIN).split("/", 1)[0], ownsearch.FOLDER}
    assert RESERVED == used


def test_the_editors_guide_and_the_format_list_the_same_names():
    for doc in ("docs/editors-guide.md", "docs/registry-format.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        paragraph = next(part for part in text.split("\n\n") if "`pagefind`" in part and "`venues`" in part)
        listed = set(re.findall(r"`([a-z]+)`", paragraph))
        assert RESERVED <= listed, (doc, sorted(RESERVED - listed))
