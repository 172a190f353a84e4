"""The search files dangjian reads back as its own (the own index's state in the cache, the previous output's index
files it carries over, the Pagefind copies kept in the cache) are read by one reader, `files.read_regular(own=True)`:
a link, a named pipe, a file too large, a file others may write or another user's is never used. Each reader falls
back to the slow, safe way (a cold index, copies made again from the pages), so "refused" is what is asserted."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dangjian.site import ownsearch, search
from test_ownsearch import PAGES


# --- how each reader is given its file, and whether it used it ------------------------------------------------------


def _state(tmp_path: Path) -> tuple[Path, Callable[[], bool]]:
    path = tmp_path / "state.json"
    ownsearch.save_state(path, ownsearch.build_cold(tmp_path / "index", PAGES, chunks=2))
    return path, lambda: ownsearch.read_state(path) is not None


def _copies(tmp_path: Path) -> tuple[Path, Callable[[], bool]]:
    path = tmp_path / "copies.json"
    path.write_text(json.dumps({"orgs/a/": PAGES["orgs/a/"]}, ensure_ascii=False), encoding="utf-8")
    path.chmod(0o600)
    return path, lambda: search._read_copies(path) == {"orgs/a/": PAGES["orgs/a/"]}


def _carried(tmp_path: Path) -> tuple[Path, Callable[[], bool]]:
    """The largest file of the previous output's index: carried only when every file of it is."""
    previous = tmp_path / "previous"
    state = ownsearch.build_cold(previous, PAGES, chunks=2)
    largest = max(ownsearch.files_of(previous), key=lambda path: path.stat().st_size)
    return largest, lambda: ownsearch._carry(previous, tmp_path / "new", state)


READERS = {"state": _state, "kept copies": _copies, "carried index file": _carried}
LIMITS = {"state": "_STATE_MAX", "kept copies": "_COPIES_MAX", "carried index file": "_FILE_MAX"}


# --- what a hostile hand may leave there ----------------------------------------------------------------------------


def _as_written(path: Path) -> None:
    pass


def _a_link(path: Path) -> None:
    real = path.with_name(path.name + ".real")
    path.rename(real)
    path.symlink_to(real)


def _group_writable(path: Path) -> None:
    path.chmod(path.stat().st_mode | 0o020)


def _world_writable(path: Path) -> None:
    path.chmod(path.stat().st_mode | 0o002)


def _another_users(path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to give the file away")
    os.chown(path, 4321, 4321)


def _a_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


SPOILS = {
    "a link": _a_link,
    "group-writable": _group_writable,
    "world-writable": _world_writable,
    "another user's": _another_users,
    "a named pipe": _a_fifo,
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_file_as_dangjian_wrote_it_is_used(tmp_path, reader):
    _, used = READERS[reader](tmp_path)
    assert used()


@pytest.mark.parametrize("spoil", sorted(SPOILS))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_hostile_file_is_never_used(tmp_path, reader, spoil):
    path, used = READERS[reader](tmp_path)
    SPOILS[spoil](path)
    assert not used()


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_file_over_its_readers_limit_is_never_used(tmp_path, monkeypatch, reader):
    path, used = READERS[reader](tmp_path)
    module = search if reader == "kept copies" else ownsearch
    monkeypatch.setattr(module, LIMITS[reader], path.stat().st_size - 1)
    assert not used()
    monkeypatch.setattr(module, LIMITS[reader], path.stat().st_size)
    assert used()


def test_index_files_are_written_for_this_user_alone_to_change_whatever_the_umask(tmp_path):
    """Under a umask of 002 (a user's own group, as many systems set it) the index files are still not
    group-writable: else the next build would refuse to carry any of them and always index cold."""
    umask = os.umask(0o002)
    try:
        previous = tmp_path / "previous"
        state = ownsearch.build_cold(previous, PAGES, chunks=2)
        state = ownsearch.update(previous, state, {**PAGES, "orgs/c/": PAGES["orgs/b/"]})
    finally:
        os.umask(umask)
    assert all(path.stat().st_mode & 0o022 == 0 for path in ownsearch.files_of(previous))
    assert ownsearch._carry(previous, tmp_path / "new", state)
