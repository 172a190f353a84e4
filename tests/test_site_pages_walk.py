"""`search._site_pages` lists a site's pages with `os.scandir` and strings (a city has 37,000 folders); it must find
what the plain `os.walk` listing it replaced finds, in the same order, over any tree: links to folders and files,
the search folders left out at the top only, names that sort differently as paths and as strings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.site import search


def _by_os_walk(site: Path) -> list[str]:
    """The listing as it was written before (os.walk, top down, folders sorted, links to folders not followed)."""
    found = []
    for folder, dirs, files in os.walk(site):
        rel = Path(folder).relative_to(site).as_posix()
        if rel == ".":
            dirs[:] = [d for d in dirs if d != "pagefind" and not d.startswith(".search-")]
            rel = ""
        else:
            rel += "/"
        dirs.sort()
        found += [rel + name for name in sorted(files) if name.endswith(".html")]
    return found


NAMES = st.sampled_from(["a", "b", "a-b", "a.b", "ab", "pagefind", ".search-1", "index.html", "x.html", "组织", "Z"])


@st.composite
def trees(draw) -> list[tuple[str, str]]:
    """(kind, path) entries: folders, files, links to a folder or a file, in a random tree."""
    entries: list[tuple[str, str]] = []
    folders = [""]
    for _ in range(draw(st.integers(1, 25))):
        parent = draw(st.sampled_from(folders))
        name = draw(NAMES)
        path = f"{parent}{name}"
        kind = draw(st.sampled_from(["folder", "file", "file", "link-folder", "link-file"]))
        entries.append((kind, path))
        if kind == "folder":
            folders.append(path + "/")
    return entries


@settings(max_examples=150, deadline=None)
@given(trees())
def test_the_pages_found_are_those_os_walk_finds_in_its_order(entries):
    with tempfile.TemporaryDirectory() as temporary:
        site = Path(temporary) / "site"
        site.mkdir()
        outside = Path(temporary) / "outside"
        (outside / "deep").mkdir(parents=True)
        (outside / "deep" / "page.html").write_text("x")
        (outside / "page.html").write_text("x")
        for kind, rel in entries:
            path = site / rel
            if os.path.lexists(path) or not path.parent.is_dir() or path.parent.is_symlink():
                continue
            if kind == "folder":
                path.mkdir()
            elif kind == "file":
                path.write_text("x")
            elif kind == "link-folder":
                path.symlink_to(outside)
            else:
                path.symlink_to(outside / "page.html")
        assert search._site_pages(site) == _by_os_walk(site)
