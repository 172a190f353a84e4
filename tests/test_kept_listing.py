"""The kept site listed beside validation (issue 23): a rebuild's staging folder is the site two builds ago (the kept
folder), and settling it walked its every folder (a city's 37,000, 0.5 s of each rebuild, waiting on the file
system). A process started when the build begins lists it while the build validates (`incremental.KeptListing`,
`listing.py`); the settling reads the listing instead, only when the folder the build took is the very folder listed,
kept by the same keeping (its token).

These tests attack that: what is planted in the kept folder before the build (links out, a page replaced, files the
site does not have) is settled from the listing as the walk settles it; a listing of a kept folder kept again since
(another build of the same output in between, which planted nothing the stale listing knows of), of another folder,
or from a process that failed, is not used; and no process is left behind by a build refused, failed or done.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dangjian.site import incremental, listing as listing_module
from dangjian.site.build import InvalidRegistry
from test_carry_reuse import cold_of, kept_of, plant_links, snapshot, three_builds
from test_incremental import (  # noqa: F401 - `small` is a fixture used by name
    assert_same_tree,
    make,
    project_status,
    small,
    story_body,
)

# The builds here carry from the previous output or a kept folder the tests make: none made beside a first build.
pytestmark = pytest.mark.usefixtures("no_prekeep")


@pytest.fixture
def settles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """How each build that took the kept folder settled it: "listed" (each folder's entries from the listing) or
    "walked" (read from the folder as it is settled)."""
    ways: list[str] = []
    real = incremental._Settling._folder

    def folder(self, node, target, source, trash, entries):  # type: ignore[no-untyped-def]
        if node.url == "":
            ways.append("walked" if entries is incremental._entries_now else "listed")
        return real(self, node, target, source, trash, entries)

    monkeypatch.setattr(incremental._Settling, "_folder", folder)
    return ways


@pytest.fixture
def listings(monkeypatch: pytest.MonkeyPatch) -> list[incremental.KeptListing]:
    """Every listing a build started."""
    made: list[incremental.KeptListing] = []
    real = incremental.KeptListing

    def spy(out: Path | None) -> incremental.KeptListing:
        listing = real(out)
        made.append(listing)
        return listing

    monkeypatch.setattr(incremental, "KeptListing", spy)
    return made


def reaped(listing: incremental.KeptListing) -> bool:
    """Whether the listing's process (if it had one) is gone and reaped."""
    return listing._process is None


def test_a_rebuild_settles_the_kept_folder_from_the_listing_and_equals_a_cold_build(
    small: Path, tmp_path: Path, settles: list[str], listings: list[incremental.KeptListing]
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    assert settles == []  # the second build found no kept folder: nothing listed, nothing settled
    project_status(small, 1)
    report = make(small, out)
    assert settles == ["listed"] and report.reused > 0
    assert_same_tree(out, cold_of(small, tmp_path))
    assert all(reaped(listing) for listing in listings)
    story_body(small, 2)
    make(small, out)
    assert settles == ["listed", "listed"]
    assert_same_tree(out, cold_of(small, tmp_path))


def test_what_is_planted_in_the_kept_folder_before_the_build_is_settled_from_the_listing_as_a_walk_settles_it(
    small: Path, tmp_path: Path, settles: list[str]
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    kept = kept_of(out)
    victim = plant_links(kept, out, tmp_path)
    pages = sorted(kept.glob("orgs/*/index.html"))
    pages[1].unlink()
    pages[1].write_text("<p>甄秘密 13912345678</p>", encoding="utf-8")  # a page replaced by another file
    (kept / "secret").mkdir()
    (kept / "secret" / "index.html").write_text("<p>甄秘密</p>", encoding="utf-8")  # a page the site has not
    (pages[2].parent / "extra.html").write_text("不该发布", encoding="utf-8")
    os.mkfifo(kept / "orgs" / "pipe")
    victim_before = snapshot(victim)
    project_status(small, 1)
    make(small, out)
    assert settles == ["listed"]
    assert snapshot(victim) == victim_before
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert_same_tree(out, cold_of(small, tmp_path))


def test_a_listing_of_a_kept_folder_kept_again_since_is_not_used(
    small: Path, tmp_path: Path, settles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other builds of the same output between the listing and the take: the folder listed was taken, became the
    site, and is the kept folder again (the same folder: its device and inode), kept by another keeping, with a file
    planted there that the stale listing does not know of."""
    out = tmp_path / "site"
    three_builds(small, out)
    listed = os.stat(kept_of(out)).st_ino
    stale = incremental.KeptListing(out)  # lists the kept folder now
    project_status(small, 1)
    make(small, out)  # takes it (it becomes the site), and keeps the site it replaces
    story_body(small, 0)
    make(small, out)  # takes that one, and keeps the one listed again
    assert settles == ["listed", "listed"] and os.stat(kept_of(out)).st_ino == listed
    (kept_of(out) / "planted.html").write_text("<p>甄秘密</p>", encoding="utf-8")
    story_body(small, 1)
    monkeypatch.setattr(incremental, "KeptListing", lambda out: stale)
    make(small, out)
    assert settles == ["listed", "listed", "walked"]
    assert not (out / "planted.html").exists()
    assert_same_tree(out, cold_of(small, tmp_path))
    assert reaped(stale)


@pytest.mark.parametrize("damage", ["other folder", "process fails", "garbage", "no token"])
def test_a_listing_that_is_not_the_folder_taken_is_not_used(
    small: Path, tmp_path: Path, settles: list[str], monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    real = incremental._listing_from

    def listed(found):  # type: ignore[no-untyped-def]
        listing = real(found)
        assert listing is not None
        if damage == "other folder":  # the same token, another folder's device and inode
            return incremental.Listing((0, 0), listing.token, listing.folders)
        return incremental.Listing(listing.folder, None, listing.folders)  # the mark unreadable when listed

    script = tmp_path / "listing.py"
    if damage in ("other folder", "no token"):
        monkeypatch.setattr(incremental, "_listing_from", listed)
    elif damage == "process fails":
        script.write_text("import sys\nsys.stdout.buffer.write(b'x')\nsys.exit(3)\n", encoding="utf-8")
        monkeypatch.setattr(incremental, "_LISTING_SCRIPT", script)
    else:  # a pickle of something else
        script.write_text("import pickle, sys\npickle.dump(('a', 'b'), sys.stdout.buffer)\n", encoding="utf-8")
        monkeypatch.setattr(incremental, "_LISTING_SCRIPT", script)
    (kept_of(out) / "planted.html").write_text("不该发布", encoding="utf-8")
    project_status(small, 1)
    make(small, out)
    assert settles == ["walked"]
    assert not (out / "planted.html").exists()
    assert_same_tree(out, cold_of(small, tmp_path))


def test_no_listing_process_is_left_behind_by_a_build_refused_or_failed(
    small: Path, tmp_path: Path, listings: list[incremental.KeptListing], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    processes: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):  # type: ignore[no-untyped-def]
        process = real_popen(*args, **kwargs)
        processes.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", popen)
    org = sorted((small / "registry" / "orgs").rglob("*.yaml"))[0]
    before = org.read_bytes()
    org.write_text("id: [\n", encoding="utf-8")  # refused by validation
    with pytest.raises(InvalidRegistry):
        make(small, out)
    assert len(processes) == 1 and processes[0].returncode is not None and reaped(listings[-1])
    org.write_bytes(before)

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a page that cannot be made")

    monkeypatch.setattr("dangjian.site.build._render_site", failing)
    project_status(small, 1)
    with pytest.raises(RuntimeError):
        make(small, out)
    assert len(processes) == 2 and processes[1].returncode is not None and reaped(listings[-1])
    assert kept_of(out).is_dir()  # never taken: still there for the next build


def test_a_listing_process_stopped_is_killed_and_reaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "listing.py"
    script.write_text("import time\ntime.sleep(60)\n", encoding="utf-8")
    monkeypatch.setattr(incremental, "_LISTING_SCRIPT", script)
    monkeypatch.setattr("dangjian.site.output.kept_site", lambda out: tmp_path)
    started = time.monotonic()
    with incremental.KeptListing(tmp_path / "site") as listing:
        process = listing._process
        assert process is not None and process.returncode is None
    assert process.returncode is not None and time.monotonic() - started < 30
    assert listing.of("0" * 32) is None  # stopped: no listing


def test_the_listing_script_imports_nothing_but_the_standard_library() -> None:
    """Run without the site module (`-I -S`), it finds everything it imports in the standard library."""
    code = (
        f"import runpy, sys; runpy.run_path({str(incremental._LISTING_SCRIPT)!r}); "
        "print(sorted(m for m in sys.modules if m.startswith('dangjian')))"
    )
    found = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_a_kept_folder_removed_before_the_take_is_simply_not_reused(
    small: Path, tmp_path: Path, settles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    real = incremental.KeptListing

    def listed_then_removed(out: Path | None) -> incremental.KeptListing:
        listing = real(out)
        if out is not None:
            listing.of("0" * 32)  # waits for the listing (the child done), then the folder goes
            shutil.rmtree(kept_of(out))
        return listing

    monkeypatch.setattr(incremental, "KeptListing", listed_then_removed)
    project_status(small, 1)
    make(small, out)
    assert settles == []
    assert_same_tree(out, cold_of(small, tmp_path))


def test_the_listing_never_blocks_on_a_pipe_planted_as_the_mark(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    mark = kept_of(out) / ".dangjian-kept"
    text = mark.read_bytes()
    mark.unlink()
    os.mkfifo(mark)  # read without O_NONBLOCK, the mark would wait for a writer forever
    signal.alarm(60)
    try:
        found = listing_module.listing(os.fspath(kept_of(out)))
    finally:
        signal.alarm(0)
    assert found[1] is None
    mark.unlink()
    mark.write_bytes(text)
    again = incremental._listing_from(listing_module.listing(os.fspath(kept_of(out))))
    assert again is not None and again.token is not None


def test_a_listed_file_has_the_identity_the_settling_compares(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    kept = kept_of(out)
    _, _, folders = listing_module.listing(os.fspath(kept))
    files = {f"{url}{name}": seen for url, entries in folders.items() for name, kind, seen in entries if kind == 0}
    on_disk = {p.relative_to(kept).as_posix(): incremental.identity_of(p) for p in kept.rglob("*") if p.is_file()}
    assert files == on_disk


def test_a_listing_process_slower_to_start_than_the_build_is_waited_for_before_the_take(
    small: Path, tmp_path: Path, settles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small registry validates in less time than a process takes to start: the kept folder is listed before it is
    taken (renamed), or the process finds no folder there and the build walks it."""
    out = tmp_path / "site"
    three_builds(small, out)
    real = incremental._LISTING_SCRIPT
    slow = tmp_path / "slow_listing.py"
    slow.write_text(
        f"import runpy, sys, time\ntime.sleep(0.5)\nsys.argv = [{str(real)!r}, *sys.argv[1:]]\n"
        f"runpy.run_path({str(real)!r}, run_name='__main__')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(incremental, "_LISTING_SCRIPT", slow)
    settles.clear()
    project_status(small, 3)
    make(small, out)
    assert settles == ["listed"]
    assert_same_tree(out, cold_of(small, tmp_path))
