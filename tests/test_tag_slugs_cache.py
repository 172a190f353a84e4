"""The tags' addresses kept in the cache folder (`rules/tags.py`, part `tags/`; issue 23).

A tag's slug becomes a folder of the site: one read from the cache is the one pypinyin gives, and an entry not
exactly as dangjian wrote it, or holding anything but folder names of [a-z0-9-], is not used.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dangjian import cache
from dangjian.rules import tags

TAGS = ["乡村振兴", "党建引领", "A/../b", "红色 传承"]
SLUGS = {
    "乡村振兴": "xiang-cun-zhen-xing",
    "党建引领": "dang-jian-yin-ling",
    "A/../b": "a-b",
    "红色 传承": "hong-se-chuan-cheng",
}


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Path:
    """An empty cache folder, and no slug known to this process (before and after the test)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    monkeypatch.setattr(tags, "_KEPT", None)
    return folder


def _no_pypinyin(monkeypatch) -> None:
    """pypinyin cannot be imported: every slug must come from the cache."""
    monkeypatch.setitem(sys.modules, "pypinyin", None)


def test_slugs_are_kept_and_read_back_without_pypinyin(fresh, monkeypatch):
    assert tags.pinyin_slugs(TAGS) == SLUGS
    (entry,) = (fresh / "tags").iterdir()
    assert cache.PARTS and any(part.name == "tags" and part.entry.match(entry.name) for part in cache.PARTS)
    monkeypatch.setattr(tags, "_KEPT", None)
    _no_pypinyin(monkeypatch)
    assert tags.pinyin_slugs(TAGS) == SLUGS
    assert tags.tag_slugs(TAGS + ["乡村振兴"]) == SLUGS
    with pytest.raises(ImportError):
        tags.pinyin_slugs(["新标签"])  # a tag never seen needs pypinyin: the test's guard holds


@pytest.mark.parametrize("damage", ["flipped", "a path", "truncated"])
def test_a_kept_entry_not_as_written_or_not_folder_names_is_not_used(fresh, monkeypatch, damage):
    tags.pinyin_slugs(TAGS)
    (entry,) = (fresh / "tags").iterdir()
    if damage == "flipped":
        data = entry.read_bytes()
        entry.write_bytes(data.replace(b"xiang-cun", b"xiang-cuo"))
    elif damage == "a path":  # sealed as dangjian seals, but a slug that would leave its folder
        sealed = cache.Sealed("tags", b"dangjian-tags 1", 1 << 20)
        assert sealed.write(fresh, entry.name, {**SLUGS, "乡村振兴": "../../etc"})
    else:
        entry.write_bytes(entry.read_bytes()[:20])
    monkeypatch.setattr(tags, "_KEPT", None)
    assert tags.pinyin_slugs(TAGS) == SLUGS


def test_another_pypinyin_is_another_entry(fresh, monkeypatch):
    """pypinyin as installed names the entry: another version, or its dictionaries changed under the same version."""
    from dangjian import provenance

    name = tags._entry_name()
    assert "pypinyin" in provenance.library("pypinyin") and " - " not in provenance.library("pypinyin")
    real = provenance.library
    monkeypatch.setattr(
        provenance, "library", lambda dist: real(dist) + " changed" if dist == "pypinyin" else real(dist)
    )
    assert tags._entry_name() != name
