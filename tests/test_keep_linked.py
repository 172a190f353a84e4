"""A kept folder made for a site built whole, so that the next build takes it instead of making every folder again
(0.13 ms each here: 37,000 at city). A build into no site makes one beside it (`output.prekeep`: the pages' folders
made by a process of their own while it renders, its files linked in once the site is whole); for a site already
there, `output.keep_linked` (which `serve` runs while it waits for a save) replaces it by a copy whose files are its own
files linked, and the site it replaces is kept.

Attacked: the site served never changes (the same files, the same bytes); a copy stopped half-way changes nothing and
is removed; an output holding a link or anything but folders and files is left alone; nothing is done where a build
would keep nothing; and what the next build makes from the folder kept this way is a cold build's site."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from dangjian.site import output
from dangjian.site.output import MARKER, STAGING, keep_linked, kept_site
from dangjian.site.serve import Preview
from test_carry_reuse import cold_of, kept_of, reuses  # noqa: F401 - `reuses` is a fixture used by name
from test_incremental import (  # noqa: F401 - `small` is a fixture used by name
    assert_same_tree,
    make,
    org_name,
    small,
    story_body,
)


def inodes(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under `folder` (links not followed) by its path: its inode, size and modification time."""
    found = {}
    for where, _, names in os.walk(folder):
        for name in names:
            info = os.lstat(os.path.join(where, name))
            found[os.path.relpath(os.path.join(where, name), folder)] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return found


def left_in_area(out: Path, timeout: float = 20) -> list[str]:
    """What is left in the staging area once the detached removal is done (the kept folder aside)."""
    area = out.parent / STAGING
    deadline = time.monotonic() + timeout
    while True:
        try:
            names = os.listdir(area)
        except FileNotFoundError:  # the removal took the emptied area itself
            names = []
        left = sorted(name for name in names if name != out.name + output.KEPT)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def test_a_site_built_whole_gets_a_kept_folder_of_its_own_files_and_the_next_build_takes_it(
    small: Path, tmp_path: Path, reuses: list[bool], no_prekeep: None
) -> None:
    out = tmp_path / "site"
    make(small, out)
    assert kept_site(out) is None  # a site made whole: nothing kept
    before, folder = inodes(out), os.stat(out).st_ino
    assert keep_linked(out, lambda: False)
    kept = kept_site(out)
    assert kept is not None and kept == kept_of(out)
    now = inodes(out)
    del before[MARKER], now[MARKER]
    assert now == before  # the very files served: the site does not change
    assert os.stat(out).st_ino != folder  # but in a folder of its own
    assert {rel: seen for rel, seen in inodes(kept).items() if rel != output.KEPT_MARK and rel != MARKER} == before
    assert left_in_area(out) == []
    story_body(small, 0)
    make(small, out)
    assert reuses == [True]  # the folder kept taken: its folders not made again
    assert_same_tree(out, cold_of(small, tmp_path))


def test_a_copy_stopped_half_way_changes_nothing_and_is_removed(small: Path, tmp_path: Path, no_prekeep: None) -> None:
    out = tmp_path / "site"
    make(small, out)
    before, folder = inodes(out), os.stat(out).st_ino
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 5  # a few folders linked, then a save comes

    assert not keep_linked(out, cancelled)
    assert len(asked) == 6
    assert kept_site(out) is None and not kept_of(out).exists()
    assert os.stat(out).st_ino == folder and inodes(out) == before
    assert left_in_area(out) == []


@pytest.mark.parametrize("planted", ["link to a file", "link to a folder", "pipe"])
def test_an_output_holding_anything_but_folders_and_files_is_left_alone(
    small: Path, tmp_path: Path, planted: str, no_prekeep: None
) -> None:
    out = tmp_path / "site"
    make(small, out)
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("甄秘密 13800138000", encoding="utf-8")
    where = out / "orgs" / "planted"
    if planted == "link to a file":
        where.symlink_to(secret)
    elif planted == "link to a folder":
        where.symlink_to(secret.parent)
    else:
        os.mkfifo(where)
    before, folder = inodes(out), os.stat(out).st_ino
    assert not keep_linked(out, lambda: False)
    assert kept_site(out) is None
    assert os.stat(out).st_ino == folder and inodes(out) == before
    assert left_in_area(out) == []


def test_nothing_is_done_where_a_folder_is_kept_already_or_none_would_be(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    make(small, out)
    org_name(small, 1)
    make(small, out)  # a rebuild keeps the site it replaced
    kept = kept_site(out)
    assert kept is not None
    before = (os.stat(out).st_ino, os.stat(kept).st_ino)
    assert not keep_linked(out, lambda: False)
    assert (os.stat(out).st_ino, os.stat(kept).st_ino) == before
    other = tmp_path / "other"
    monkeypatch.setenv("DANGJIAN_CACHE", "off")  # nowhere to record a kept folder: a build keeps none either
    make(small, other)
    folder = os.stat(other).st_ino
    assert not keep_linked(other, lambda: False)
    assert os.stat(other).st_ino == folder and not kept_of(other).exists()


def test_the_preview_keeps_a_folder_after_its_first_build_and_its_next_build_takes_it(
    small: Path, tmp_path: Path, reuses: list[bool], no_prekeep: None
) -> None:
    out = tmp_path / "site"
    preview = Preview(small, out, with_search=False, say=lambda _: None)
    assert preview.rebuild()
    job = preview._keeping
    assert job is not None
    job[0].join(60)
    assert kept_site(out) is not None
    story_body(small, 1)
    assert preview.rebuild()
    assert reuses == [True]
    assert_same_tree(out, cold_of(small, tmp_path))


def test_a_save_during_the_copy_waits_for_it_and_the_build_takes_the_folder_kept(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reuses: list[bool], no_prekeep: None
) -> None:
    """Never a site swapped in during a build: the build begins once the copy is in place (it is not stopped: the
    build would make the same folders itself), and takes the folder kept."""
    out = tmp_path / "site"
    started, finished = threading.Event(), threading.Event()
    real = output.keep_linked

    def slow(out_: Path, cancelled):  # type: ignore[no-untyped-def]
        started.set()
        time.sleep(0.5)  # a save comes meanwhile
        try:
            return real(out_, cancelled)
        finally:
            finished.set()

    monkeypatch.setattr("dangjian.site.serve.keep_linked", slow)
    preview = Preview(small, out, with_search=False, say=lambda _: None)
    assert preview.rebuild()
    assert started.wait(30) and not finished.is_set()
    story_body(small, 2)
    building: list[bool] = []
    real_staged = output.staged

    def staged(out_: Path, kind: str = "build"):  # type: ignore[no-untyped-def]
        building.append(finished.is_set())  # the copy was in place when the build began
        return real_staged(out_, kind)

    monkeypatch.setattr("dangjian.site.build.staged", staged)
    assert preview.rebuild()
    assert building == [True] and reuses == [True]
    assert_same_tree(out, cold_of(small, tmp_path))


def test_closing_the_preview_stops_the_copy(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_prekeep: None
) -> None:
    """Ctrl+C during the copy: it stops between folders, the site unchanged, what was begun removed."""
    out = tmp_path / "site"
    started = threading.Event()
    real = output._link_folder

    def slow(source, target, cancelled, top_level=False, made=False):  # type: ignore[no-untyped-def]
        started.set()
        deadline = time.monotonic() + 30
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        return real(source, target, cancelled, top_level, made)

    monkeypatch.setattr(output, "_link_folder", slow)
    preview = Preview(small, out, with_search=False, say=lambda _: None)
    assert preview.rebuild()
    assert started.wait(30)
    before, folder = inodes(out), os.stat(out).st_ino
    preview.close()
    job = preview._keeping
    assert job is not None
    job[0].join(30)
    assert not job[0].is_alive()
    assert kept_site(out) is None and os.stat(out).st_ino == folder and inodes(out) == before
    assert left_in_area(out) == []


# --- a build into no site: the folder made beside it --------------------------------------------------------------


def test_a_build_into_no_site_leaves_a_kept_folder_of_its_own_files_and_the_next_build_takes_it(
    small: Path, tmp_path: Path, reuses: list[bool]
) -> None:
    out = tmp_path / "site"
    make(small, out)
    kept = kept_site(out)
    assert kept is not None
    site = inodes(out)
    del site[MARKER]
    assert {rel: seen for rel, seen in inodes(kept).items() if rel != output.KEPT_MARK} == site
    assert left_in_area(out) == []
    story_body(small, 3)
    make(small, out)
    assert reuses == [True]
    assert_same_tree(out, cold_of(small, tmp_path))


def test_a_build_into_a_site_makes_no_folder_beside_it(small: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "site"
    make(small, out)
    made: list[Path] = []
    real = output.prekeep
    monkeypatch.setattr(output, "prekeep", lambda staging, folders: made.append(staging) or real(staging, folders))
    make(small, out, cold=True)  # a site there: the one it replaces is kept, as always
    assert made and not any(path.name.endswith(output.PRE) for path in (out.parent / STAGING).iterdir())
    assert kept_site(out) is not None


@pytest.mark.parametrize("how", ["a leak", "the folders' process fails", "a folder it cannot make"])
def test_a_build_that_fails_or_whose_folders_fail_leaves_nothing_beside_it(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    out = tmp_path / "site"
    if how == "a leak":
        from dangjian.site import privacy

        monkeypatch.setattr(privacy.Gate, "scan_tree", lambda self, *a, **k: [privacy.Leak("index.html", "甄秘密")])
        with pytest.raises(Exception, match="隐私检查未通过"):
            make(small, out)
        assert not out.exists()
    else:
        if how == "the folders' process fails":
            monkeypatch.setattr(output, "_FOLDERS_SCRIPT", tmp_path / "no-such-script.py")
        else:
            real = output.prekeep
            monkeypatch.setattr(output, "prekeep", lambda staging, folders: real(staging, [*folders, "../out/"]))
        make(small, out)
        assert kept_site(out) is None  # not made whole: not kept
        assert_same_tree(out, cold_of(small, tmp_path))
    assert left_in_area(out) == []


@pytest.mark.parametrize("name", ["../escape/", "/absolute/", "a//b/", "a/./b/", "no-slash", ""])
def test_the_folders_script_refuses_a_name_leaving_its_folder(tmp_path: Path, name: str) -> None:
    from dangjian.site import folders

    top = tmp_path / "top"
    top.mkdir()
    assert not folders.make(str(top), [name, "fine/one/"])
    assert (top / "fine" / "one").is_dir()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "top",
        "top/fine",
        "top/fine/one",
    ]


def test_the_folders_script_makes_nothing_through_a_link(tmp_path: Path) -> None:
    from dangjian.site import folders

    top, elsewhere = tmp_path / "top", tmp_path / "elsewhere"
    top.mkdir()
    elsewhere.mkdir()
    (top / "orgs").symlink_to(elsewhere)
    assert not folders.make(str(top), ["orgs/c000/"])
    assert list(elsewhere.iterdir()) == []
