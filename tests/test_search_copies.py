"""Search copies kept between builds (issue 23): a rebuild that indexes a bundle again takes the copies of the
pages carried over from the cache (`search/<hex>-<bundle>.json`) instead of making them again from the published
pages, and uses a kept copy only when its digest is the one the previous output recorded for the page.

Built on test_search_pieces.py's sites (the minimal registry, rendered before and after an edit, cut into small
bundles).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dangjian import cache
from dangjian.site import search
from test_search_pieces import (  # noqa: F401 - fixtures used by name
    _pages,
    bundle_keys,
    changed_pages,
    copied,
    engine_pinned,  # Pagefind's copies: the own index keeps its own (test_ownsearch_incremental.py)
    files,
    incremental,
    sites,
    small_parts,
)


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    return folder


def _indexed(sites, tmp_path: Path, out: Path) -> tuple[Path, Path, frozenset[str]]:
    """The minimal site indexed cold (keeping its copies for `out`), then staged again after the project edit; and
    the fresh index of the edited site, to compare with."""
    cold = copied(sites["before"], tmp_path / "cold")
    search.index(cold, keep=out)
    fresh = copied(sites["project"], tmp_path / "fresh")
    search.index(fresh)
    changed = changed_pages(sites["before"], sites["project"])
    return cold, fresh, changed


def _recovered(monkeypatch) -> list[Path]:
    """Every page whose copy is made again from the published page, from now on."""
    made: list[Path] = []
    recover = search.recover_copy

    def counting(page: Path) -> str | None:
        made.append(page)
        return recover(page)

    monkeypatch.setattr(search, "recover_copy", counting)
    return made


def test_a_rebuild_takes_the_carried_pages_copies_from_the_cache(sites, small_parts, own_cache, tmp_path, monkeypatch):
    out = tmp_path / "out"
    cold, fresh, changed = _indexed(sites, tmp_path, out)
    kept = sorted((own_cache / search.COPIES_PART).glob("*.json"))
    assert len(kept) == len(bundle_keys(cold))  # every bundle indexed kept its copies
    made = _recovered(monkeypatch)
    staged = incremental(cold, sites["project"], changed, tmp_path / "incr")
    summary = search.index(staged, previous=cold, changed=changed, keep=out)
    assert "沿用上次的" in summary
    assert made == []  # no carried page read again
    assert files(staged) == files(fresh)  # pages and every bundle, byte for byte


def test_without_kept_copies_the_carried_pages_are_read_as_before(sites, small_parts, own_cache, tmp_path, monkeypatch):
    out = tmp_path / "out"
    cold, fresh, changed = _indexed(sites, tmp_path, out)
    made = _recovered(monkeypatch)
    staged = incremental(cold, sites["project"], changed, tmp_path / "incr")
    search.index(staged, previous=cold, changed=changed, keep=tmp_path / "another-out")  # kept for another output
    assert made  # the rebuilt bundles' carried pages
    assert files(staged) == files(fresh)


@pytest.mark.parametrize("tamper", ["private-name", "other-page", "not-json", "link", "list"])
def test_a_kept_copy_that_is_not_the_recorded_one_is_made_again(
    sites, small_parts, own_cache, tmp_path, monkeypatch, tamper
):
    """The cache needs no trust: a kept copy replaced (a name slipped in, another page's copy), a file that is not
    JSON of strings or is a link: the page's copy is made again from the page, and the index is the fresh one."""
    out = tmp_path / "out"
    cold, fresh, changed = _indexed(sites, tmp_path, out)
    staged = incremental(cold, sites["project"], changed, tmp_path / "incr")
    # the bundle of the edited project, which the rebuild indexes again, and a carried page of it
    url = "projects/east-2026-road/"
    key = next(key for key in bundle_keys(cold) if url in _pages(cold, key))
    path = search.copies_path(out, key)
    assert path is not None and path.is_file()
    kept = json.loads(path.read_text(encoding="utf-8"))
    carried = sorted(page for page in kept if page not in changed)
    assert carried, "the bundle holds a page carried over"
    victim = carried[0]
    if tamper == "private-name":
        kept[victim] = kept[victim].replace("</p>", "杨长根</p>", 1)
        path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    elif tamper == "other-page":
        kept[victim] = kept[url]
        path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    elif tamper == "not-json":
        path.write_bytes(path.read_bytes()[:-10])
    elif tamper == "list":
        path.write_text(json.dumps(list(kept.values())), encoding="utf-8")
    else:
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_bytes(path.read_bytes())
        path.unlink()
        os.symlink(elsewhere, path)
    made = _recovered(monkeypatch)
    search.index(staged, previous=cold, changed=changed, keep=out)
    assert staged / search.page_file(victim) in made
    assert files(staged) == files(fresh)


def test_kept_copies_are_a_part_of_the_bounded_cache(sites, small_parts, own_cache, tmp_path):
    _indexed(sites, tmp_path, tmp_path / "out")
    found = cache.scan(own_cache)
    entries = [entry for entry in found.entries if entry.part == "search"]
    assert entries and not any(entry.temp for entry in entries)
    assert found.foreign == 0
