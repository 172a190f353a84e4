"""The characters' fold table kept in the cache folder (`normalise._fold_table`, part `fold/`; issue 23).

Every name the privacy rules and the gate look for is found through this table (NFKC, 繁→简, case): a table read
from the cache must be the table the code makes, and one that is not exactly what dangjian wrote is never used.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dangjian import cache, normalise


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Path:
    """An empty cache folder, and no table made in this process yet (before and after the test)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    normalise._fold_table.cache_clear()
    yield folder
    normalise._fold_table.cache_clear()


def _entry(folder: Path) -> Path:
    (entry,) = (folder / "fold").iterdir()
    return entry


def _as_made() -> tuple:
    table, bmp, astral = normalise._made_fold_table()
    return table, (bmp, astral)


def _as_used() -> tuple:
    table, (bmp, astral), by_code = normalise._fold_table()
    assert by_code == {ord(c): folded for c, folded in table.items()}
    patterns = normalise._fold_patterns()
    assert [pattern.pattern for pattern in patterns] == [f"[{bmp}]", f"[{astral}]"]
    return table, (bmp, astral)


def test_the_table_read_back_is_the_table_made(fresh, monkeypatch):
    made = _as_made()
    assert _as_used() == made  # made, and kept
    assert _entry(fresh).name == f"{normalise.fold_key()}.table"
    normalise._fold_table.cache_clear()
    monkeypatch.setattr(normalise, "_made_fold_table", lambda: pytest.fail("made again: the kept table was not read"))
    assert _as_used() == made
    assert normalise.fold("臺灣ＡＢＣ") == normalise.fold("台湾abc") == "台湾abc"


@pytest.mark.parametrize("damage", ["flipped", "truncated", "emptied", "linked"])
def test_a_kept_table_not_exactly_as_written_is_made_again(fresh, tmp_path, damage):
    made = _as_made()
    _as_used()
    entry = _entry(fresh)
    data = entry.read_bytes()
    if damage == "flipped":  # a character of the table changed: a name would no longer be found
        at = data.index("臺".encode())
        entry.write_bytes(data[:at] + "台".encode() + data[at + len("臺".encode()) :])
    elif damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "emptied":
        entry.write_bytes(b"")
    else:
        elsewhere = tmp_path / "elsewhere.table"
        elsewhere.write_bytes(data)
        entry.unlink()
        entry.symlink_to(elsewhere)
    normalise._fold_table.cache_clear()
    assert _as_used() == made


def test_the_key_covers_the_libraries_and_python(fresh, monkeypatch):
    """OpenCC's table and Python's Unicode data make the table: another version of either is another entry."""
    import sys

    from dangjian import provenance

    key = normalise.fold_key()
    real = provenance.library
    monkeypatch.setattr(provenance, "library", lambda name: real(name) + " changed" if name == "opencc" else real(name))
    assert normalise.fold_key() != key
    monkeypatch.undo()
    monkeypatch.setattr(sys, "version", sys.version + " another")
    assert normalise.fold_key() != key


def test_the_part_is_known_to_the_cache_s_bound(fresh):
    _as_used()
    entry = _entry(fresh)
    (part,) = [part for part in cache.PARTS if part.name == "fold"]
    assert part.top.match("fold") and part.entry.match(entry.name)


@pytest.fixture
def fresh_search(fresh) -> Path:
    """As `fresh`, for the search's table (`search.fold_table`)."""
    from dangjian.site import search

    search.fold_table.cache_clear()
    search._fold_codes.cache_clear()
    yield fresh
    search.fold_table.cache_clear()
    search._fold_codes.cache_clear()


def test_the_search_s_table_read_back_is_the_table_made(fresh_search, monkeypatch):
    """The search's 繁→简 table (`search.fold_table`, what the page copies and t2s.js fold by) kept beside it: made
    once, then read; an entry that is not exactly what dangjian wrote is made again; the cache's bound knows it."""
    from dangjian.site import search

    made = search._made_fold_table()
    assert len(made) > 2000 and made["臺"] == "台" and made["灣"] == "湾"
    assert search.fold_table() == made
    (entry,) = (fresh_search / "fold").iterdir()
    assert entry.name.endswith(".search")
    (part,) = [part for part in cache.PARTS if part.name == "fold"]
    assert part.entry.match(entry.name)
    search.fold_table.cache_clear()
    monkeypatch.setattr(search, "_made_fold_table", lambda: pytest.fail("made again: the kept table was not read"))
    assert search.fold_table() == made
    monkeypatch.undo()
    data = entry.read_bytes()
    at = data.index("臺".encode())
    entry.write_bytes(data[:at] + "台".encode() + data[at + len("臺".encode()) :])  # 台 → 台: 臺 would not fold
    search.fold_table.cache_clear()
    assert search.fold_table() == made
    assert search.fold("臺灣") == "台湾"
