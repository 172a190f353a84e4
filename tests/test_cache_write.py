"""How the cache writes an entry (`cache.write_atomic`): a new file of this user's under a temporary name the bound
knows, then renamed over the entry; its folder made once a process, made again when it went away; a name taken (by
another process, or a planted link) never written through."""

from __future__ import annotations

import os
import pickle
import re
import stat

import pytest

from dangjian import cache


def _temp_pattern() -> re.Pattern[str]:
    (parse,) = [part for part in cache.PARTS if part.name == "parse"]
    return parse.temp


def test_an_entry_is_written_whole_as_this_users_alone_and_nothing_else_is_left(tmp_path):
    entry = tmp_path / "parse" / "ab" / ("ab" + "0" * 38)
    body = os.urandom(300_000)  # more than one write() may take
    assert cache.write_atomic(entry, body)
    assert entry.read_bytes() == body
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert os.listdir(entry.parent) == [entry.name]
    assert cache.write_atomic(entry, b"again")  # over an entry: replaced
    assert entry.read_bytes() == b"again"
    assert os.listdir(entry.parent) == [entry.name]


def test_a_write_stopped_before_its_rename_leaves_a_name_the_bound_knows(tmp_path, monkeypatch):
    entry = tmp_path / "parse" / "cd" / ("cd" + "1" * 38)

    def killed(source, target):  # noqa: ANN001, ARG001
        raise KeyboardInterrupt  # as a process killed between the two steps

    monkeypatch.setattr(cache.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.write_atomic(entry, b"half")
    (left,) = os.listdir(entry.parent)
    assert _temp_pattern().match(left), left  # trimmed by the bound once old (`test_cache_bounds`)


def test_a_folder_removed_after_a_write_is_made_again(tmp_path):
    folder = tmp_path / "aggregates"
    assert cache.write_atomic(folder / "a.kept", b"1")
    for name in os.listdir(folder):
        os.unlink(folder / name)
    os.rmdir(folder)  # a trim or another process removed it: this process still has it as made
    assert cache.write_atomic(folder / "b.kept", b"2")
    assert (folder / "b.kept").read_bytes() == b"2"


def test_a_name_taken_by_a_planted_link_is_never_written_through(tmp_path):
    folder, target = tmp_path / "gate", tmp_path / "elsewhere"
    target.write_bytes(b"untouched")
    assert cache.write_atomic(folder / "first.clean", b"1")  # letters drawn, the folder made
    prefix, count = cache._temp_names
    for n in range(count, count + 3):  # the next names this process would take
        os.symlink(target, folder / f".tmp-{prefix}{n:05d}")
    assert cache.write_atomic(folder / "second.clean", b"2")
    assert (folder / "second.clean").read_bytes() == b"2"
    assert target.read_bytes() == b"untouched"
    links = sorted(name for name in os.listdir(folder) if os.path.islink(folder / name))
    assert links == sorted(f".tmp-{prefix}{n:05d}" for n in range(count, count + 3))


def test_a_forked_child_draws_letters_of_its_own(tmp_path):
    assert cache.write_atomic(tmp_path / "x", b"parent")
    assert cache._temp_names  # drawn in this process
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it would count with, before and after a write
        try:
            before = list(cache._temp_names)
            cache.write_atomic(tmp_path / "y", b"child")
            os.write(write, pickle.dumps((before, list(cache._temp_names))))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        before, after = pickle.loads(answer.read())
    os.waitpid(pid, 0)
    assert before == []  # not the parent's letters and count: the two would take the same names
    assert after and after[0] and after[1] == 1
    assert (tmp_path / "y").read_bytes() == b"child"


def test_two_processes_writing_one_folder_at_once_each_write_every_entry(tmp_path):
    folder = tmp_path / "parse" / "ef"
    pids = []
    for who in range(2):
        pid = os.fork()
        if pid == 0:
            try:
                ok = all(cache.write_atomic(folder / f"{who}-{n}", f"{who} {n}".encode()) for n in range(500))
            finally:
                os._exit(0 if ok else 1)
        pids.append(pid)
    assert all(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid in pids)
    names = os.listdir(folder)
    assert len(names) == 1000
    assert all((folder / f"{who}-{n}").read_bytes() == f"{who} {n}".encode() for who in range(2) for n in range(500))
