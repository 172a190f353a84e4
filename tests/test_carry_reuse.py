"""A rebuild reuses the site from two builds ago as its staging folder (issue 23, the "stage" part).

The site a build replaces is kept beside the output (`output.KEPT`); the next build takes it as its staging folder
and settles it: a page carried over that is already the live site's file stays where it is, everything else is
moved out before anything is written. These tests attack that: links planted in the kept folder (to the live site,
to a folder outside), files the new site does not have, a kept folder of another output, one forged, one that is
a link; a kept folder whose every file is a hard link to the live site (any writer writing into an existing file
would change the published site); and the property: over several consecutive builds with random edits, each
output is a cold build's, byte for byte, and a build that fails leaves the live site as it was.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings, strategies as st

from conftest import REPO
from dangjian.cache import cache_dir
from dangjian.cli import main
from dangjian.site import images, incremental, output
from dangjian.site.output import KEPT, KEPT_MARK, STAGING
from dangjian.synth import Synth
from test_incremental import (  # noqa: F401 - `small` is a fixture used by name
    EDITS,
    EPOCH,
    TINY,
    Undo,
    assert_same_tree,
    make,
    member_public,
    org_name,
    project_status,
    result_score,
    small,
    story_body,
    undo,
    add_record,
    delete_record,
)


def kept_of(out: Path) -> Path:
    return out.parent / STAGING / (out.name + KEPT)


Seen = tuple[str, bytes | str, int]


def snapshot(folder: Path) -> dict[str, Seen]:
    """Every entry under `folder` (links not followed): a file's bytes and modification time (a write through a
    hard link changes it, even with the same bytes), a link's target, a folder."""
    found: dict[str, Seen] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path), 0)
            elif path.is_dir():
                found[rel] = ("folder", b"", 0)
            else:
                found[rel] = ("file", path.read_bytes(), path.stat().st_mtime_ns)
    return found


@pytest.fixture
def reuses(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each build carrying pages took the kept folder as its staging folder."""
    taken: list[bool] = []
    real = output.take_kept

    def spy(staging: Path) -> Path | None:
        trash = real(staging)
        taken.append(trash is not None)
        return trash

    monkeypatch.setattr(output, "take_kept", spy)
    return taken


def cold_of(root: Path, tmp_path: Path) -> Path:
    cold = tmp_path / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    make(root, cold, cold=True)
    return cold


def three_builds(root: Path, out: Path) -> None:
    """A site built, rebuilt after an edit (the first site kept), and again (the kept one reused, the second kept)."""
    make(root, out)
    org_name(root, 1)
    make(root, out)
    assert kept_of(out).is_dir()


# --- the reuse path is taken, and its output is a cold build's ---------------------------------------------------


def test_a_rebuild_reuses_the_site_from_two_builds_ago_and_leaves_the_pages_carried_twice_in_place(
    small: Path, tmp_path: Path, reuses: list[bool]
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    kept = kept_of(out)
    live = {p.relative_to(out).as_posix(): p.stat().st_ino for p in out.rglob("index.html")}
    in_kept = {p.relative_to(kept).as_posix(): p.stat().st_ino for p in kept.rglob("index.html")}
    shared = {rel for rel, ino in live.items() if in_kept.get(rel) == ino}
    assert shared, "pages carried by the last build are the same files in the live and the kept site"
    kept_ino = kept.stat().st_ino
    project_status(small, 2)
    report = make(small, out)
    assert reuses[-1] is True and report.reused > 0
    assert out.stat().st_ino == kept_ino  # the kept folder became the site
    after = {p.relative_to(out).as_posix(): p.stat().st_ino for p in out.rglob("index.html")}
    in_place = sum(after.get(rel) == live[rel] for rel in shared)
    assert in_place >= len(shared) - (report.pages - report.reused)  # all but those rendered now stay in place
    assert_same_tree(out, cold_of(small, tmp_path))
    assert stat.S_IMODE(out.stat().st_mode) == 0o755 and not (out / KEPT_MARK).exists()


def test_a_cold_build_and_a_build_carrying_nothing_do_not_reuse_and_still_equal_a_cold_build(
    small: Path, tmp_path: Path, reuses: list[bool]
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    make(small, out, cold=True)  # nothing carried: the kept folder is not taken, and is replaced
    assert reuses == [
        True
    ]  # the second build took the folder the first made beside it (`output.prekeep`); cold: not asked
    assert_same_tree(out, cold_of(small, tmp_path))
    assert kept_of(out).is_dir()
    result_score(small, 1)
    make(small, out)
    assert reuses[-1] is True
    assert_same_tree(out, cold_of(small, tmp_path))


def test_reuse_with_search_equals_a_cold_build_with_search(small: Path, tmp_path: Path, reuses: list[bool]) -> None:
    from dangjian.history import History
    from dangjian.site.build import build

    def searched(out: Path, cold: bool = False) -> None:
        build(small, out, with_search=True, history=History.empty(), cold=cold)

    out = tmp_path / "site"
    searched(out)
    story_body(small, 0)
    searched(out)
    org_name(small, 2)
    searched(out)
    assert reuses[-1] is True
    searched(tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


# --- hostile kept folders -----------------------------------------------------------------------------------------


def plant_links(kept: Path, out: Path, tmp_path: Path) -> Path:
    """Links planted in the kept folder of `out`: its first org page a link to the live page, a folder link out (to
    the folder returned, holding a file), a link to /etc, and a file a writer will write a link to that file."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("不能动", encoding="utf-8")
    page = sorted(kept.glob("orgs/*/index.html"))[0]
    page.unlink()
    page.symlink_to(out / page.relative_to(kept))  # a page that is a link to the live page
    (kept / "orgs" / "evil").symlink_to(victim, target_is_directory=True)  # a folder link out
    (kept / "etc").symlink_to("/etc", target_is_directory=True)
    (kept / "assets" / "dangjian" / "search.js").unlink()
    (kept / "assets" / "dangjian" / "search.js").symlink_to(victim / "keep.txt")  # a file a writer will write
    return victim


def test_links_planted_in_the_kept_folder_are_not_followed_nor_published(
    small: Path, tmp_path: Path, reuses: list[bool]
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    kept = kept_of(out)
    victim = plant_links(kept, out, tmp_path)
    live_before, victim_before = snapshot(out), snapshot(victim)
    project_status(small, 1)
    make(small, out)
    assert reuses[-1] is True
    assert snapshot(victim) == victim_before
    assert_same_tree(out, cold_of(small, tmp_path))
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert live_before  # (the previous live site is now the kept one: it was never written into)
    assert _files(kept_of(out)) == {rel: v for rel, v in live_before.items() if rel != output.MARKER}


def test_a_file_the_new_site_does_not_have_left_in_the_kept_folder_is_not_published(
    small: Path, tmp_path: Path, reuses: list[bool]
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    kept = kept_of(out)
    (kept / "secret").mkdir()
    (kept / "secret" / "index.html").write_text("<p>甄秘密 13912345678</p>", encoding="utf-8")
    org_folder = sorted(kept.glob("orgs/*/"))[0]
    (org_folder / "extra.html").write_text("不该发布", encoding="utf-8")
    os.link(sorted(out.glob("orgs/*/index.html"))[0], kept / "orgs" / "copy.html")  # a live page, elsewhere
    delete_record(small, 1)  # a page gone: carried by the last build, a hard link in the kept folder
    make(small, out)
    assert reuses[-1] is True
    assert_same_tree(out, cold_of(small, tmp_path))


def test_a_kept_folder_of_another_output_is_neither_reused_nor_removed(
    small: Path, tmp_path: Path, reuses: list[bool]
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    three_builds(small, one)
    make(small, two)
    make(small, two)
    shutil.rmtree(kept_of(one))
    os.rename(kept_of(two), kept_of(one))  # two's kept site, under one's name
    foreign = snapshot(kept_of(one))
    reuses.clear()
    story_body(small, 1)
    make(small, one)
    assert reuses == [False]
    assert snapshot(kept_of(one)) == foreign  # left alone
    assert_same_tree(one, cold_of(small, tmp_path))


@pytest.mark.parametrize("forgery", ["copied", "link", "mode", "unmarked", "owner"])
def test_a_forged_kept_folder_is_neither_reused_nor_removed(
    small: Path, tmp_path: Path, reuses: list[bool], forgery: str
) -> None:
    """What a registry could commit beside an output inside it (`.dangjian-staging/site.kept/`): a copy of a kept
    folder with a mark whose token it cannot know; a link to a folder; the real one made readable by others, without
    its mark, or another user's."""
    out = tmp_path / "site"
    three_builds(small, out)
    kept = kept_of(out)
    elsewhere = tmp_path / "elsewhere"
    if forgery == "copied":
        shutil.copytree(kept, elsewhere, symlinks=True)
        shutil.rmtree(kept)
        shutil.copytree(elsewhere, kept, symlinks=True)  # (the freed inode may well be the new folder's)
        mark = (kept / KEPT_MARK).read_text(encoding="utf-8")
        (kept / KEPT_MARK).write_text(mark.replace(mark.split()[2], "0" * 32), encoding="utf-8")  # unknown token
        kept.chmod(0o700)
    elif forgery == "link":
        os.rename(kept, elsewhere)
        kept.symlink_to(elsewhere, target_is_directory=True)
    elif forgery == "mode":
        kept.chmod(0o755)
    elif forgery == "unmarked":
        (kept / KEPT_MARK).unlink()
    else:
        if os.geteuid() != 0:
            pytest.skip("giving a folder to another user needs root")
        os.chown(kept, 65534, -1)
    before, outside = snapshot(kept), snapshot(elsewhere) if elsewhere.exists() else {}
    reuses.clear()
    result_score(small, 2)
    make(small, out)
    assert reuses == [False]
    assert snapshot(kept) == before
    if outside:
        assert snapshot(elsewhere) == outside
    assert_same_tree(out, cold_of(small, tmp_path))


# --- every writer writes new files --------------------------------------------------------------------------------


def _link_everything(live: Path, kept: Path) -> None:
    """Make every file of the live site (but the marker) a hard link in the kept folder at the same place: the
    worst a kept folder can hold. A writer writing into an existing file then writes into the live site.

    Every live file but the pages (assets, exports, search…) is first changed in place, so that a writer
    writing its usual bytes (with their usual time: copy2) through a link would still change it."""
    manifest = incremental.MANIFEST.read(cache_dir(), incremental._manifest_name(live))
    buckets = incremental._read_buckets(live, manifest[2])  # (global key, output, its buckets' tokens, …)
    assert buckets is not None
    pages = {incremental.page_file(url) for _, of_bucket in buckets for url in of_bucket}
    assert pages and all(url.endswith("/index.html") or url == "index.html" for url in pages)
    for path in live.rglob("*"):
        rel = path.relative_to(live)
        target = kept / rel
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif rel.as_posix() != output.MARKER:
            if rel.as_posix() not in pages:
                with open(path, "ab") as file:
                    file.write(b"\n")
            target.unlink(missing_ok=True)
            os.link(path, target)


def _files(site: Path) -> dict[str, Seen]:
    """A site's entries but its marks (the marker a build writes, the mark a kept folder gets)."""
    return {rel: v for rel, v in snapshot(site).items() if rel not in (output.MARKER, KEPT_MARK)}


@pytest.mark.parametrize("search", [False, True])
def test_no_writer_writes_into_the_live_site_through_a_kept_hard_link(
    small: Path, tmp_path: Path, reuses: list[bool], monkeypatch: pytest.MonkeyPatch, search: bool
) -> None:
    """Every writer of the staging folder (pages, assets, photos, exports, feeds, sitemaps, 404, /admin/, search)
    runs while the kept folder holds a hard link to every live file at its own place. A build failing at the swap
    leaves the live site as it was, byte for byte; a build that succeeds leaves the replaced site (kept now) as it
    was, and equals a cold build."""
    from dangjian.history import History
    from dangjian.site.build import build

    site_yaml = small / "registry/site.yaml"
    site_yaml.write_text(
        site_yaml.read_text(encoding="utf-8") + "cms:\n  backend: github\n  repo: a/b\n", encoding="utf-8"
    )
    photo = small / "content/assets/gallery/banden-ketang.jpg"  # content/assets/ and a project's photo, published
    photo.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "content/assets/gallery/banden-ketang.jpg", photo)
    project = sorted((small / "registry/projects").rglob("*.yaml"))[0]
    project.write_text(
        project.read_text(encoding="utf-8") + "images:\n  - file: gallery/banden-ketang.jpg\n    alt: 板凳课堂\n",
        encoding="utf-8",
    )

    def built(out: Path, cold: bool = False) -> None:
        build(small, out, with_search=search, history=History.empty(), cold=cold)

    def broken(*args: object) -> None:
        raise RuntimeError("交换失败")

    out = tmp_path / "site"
    built(out)
    org_name(small, 1)
    built(out)
    assert (out / "admin" / "index.html").is_file()
    assert (out / "assets/gallery/banden-ketang.jpg").is_file() and any((out / images.FOLDER).iterdir())
    _link_everything(out, kept_of(out))
    live = snapshot(out)
    for edit, n in ((org_name, 2), (story_body, 1), (add_record, 3)):  # pages, exports and feeds change
        edit(small, n)
    with monkeypatch.context() as patch:
        patch.setattr(output, "_swap", broken)
        with pytest.raises(RuntimeError):
            built(out)
    assert reuses[-1] is True
    assert snapshot(out) == live
    built(out)  # no kept folder (the failed build's staging is removed): the site just replaced is kept
    _link_everything(out, kept_of(out))
    live = snapshot(out)
    for edit, n in ((result_score, 1), (member_public, 2), (add_record, 4)):
        edit(small, n)
    built(out)
    assert reuses[-1] is True
    assert _files(kept_of(out)) == {rel: v for rel, v in live.items() if rel != output.MARKER}
    built(tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


# --- the property: several consecutive builds ------------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    root = tmp_path_factory.mktemp("reuse") / "root"
    for _ in Synth(TINY, 11).write(root):
        pass
    return root


Edit = Callable[[Path, int], Undo]


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 1000)), min_size=3, max_size=4),
    failing=st.integers(1, 3),
)
@example(edits=[(org_name, 3), (org_name, 3), (story_body, 0), (delete_record, 1)], failing=2)
@example(edits=[(project_status, 2), (member_public, 5), (add_record, 3)], failing=1)
def test_consecutive_builds_each_equal_a_cold_build(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[Edit, int]], failing: int
) -> None:
    """Builds after each of several edits (a page changed in one build is carried in the next, one carried twice
    stays in place): each output is a cold build's, byte for byte; a build that fails (at the swap, after every
    writer ran) between two of them leaves the live site as it was."""
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    work = tmp_path_factory.mktemp("steps")
    root, out = work / "root", work / "site"
    shutil.copytree(pristine, root)
    make(root, out)
    taken: list[bool] = []
    real = output.take_kept

    def spy(staging: Path) -> Path | None:
        trash = real(staging)
        taken.append(trash is not None)
        return trash

    def broken(*args: object) -> None:
        raise RuntimeError("交换失败")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(output, "take_kept", spy)
        for step, (edit, n) in enumerate(edits, 1):
            edit(root, n)
            if step == failing:
                live = snapshot(out)
                with pytest.MonkeyPatch.context() as failing_patch:
                    failing_patch.setattr(output, "_swap", broken)
                    with pytest.raises(RuntimeError):
                        make(root, out)
                assert snapshot(out) == live
            make(root, out)
            assert_same_tree(out, cold_of(root, work))
    assert any(taken)


def test_one_kept_site_at_most_and_everything_else_removed(small: Path, tmp_path: Path) -> None:
    """Beside the output, after any number of builds (reusing or not), the staging area holds the one kept site,
    once the detached removals are done."""
    import time

    out = tmp_path / "site"
    three_builds(small, out)
    for edit, n in ((story_body, 2), (member_public, 1)):
        edit(small, n)
        make(small, out)
    make(small, out, cold=True)
    area = out.parent / STAGING
    end = time.monotonic() + 30
    while sorted(p.name for p in area.iterdir()) != ["site" + KEPT]:
        assert time.monotonic() < end, sorted(p.name for p in area.iterdir())
        time.sleep(0.05)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [STAGING]


# --- the kept folder when the cache forgets it --------------------------------------------------------------------


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own (the commands below clean it)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    return folder


def cache_command(*args: str) -> str:
    result = CliRunner().invoke(main, ["cache", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cache_clean_removes_the_kept_folder_its_record_names_and_nothing_of_the_live_site(
    small: Path, tmp_path: Path, own_cache: Path
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    live = snapshot(out)  # the kept folder holds hard links to some of these files
    assert "保留的旧网站：1 个" in cache_command("info")
    said = cache_command("clean")
    assert not os.path.lexists(kept_of(out)) and "1 个保留的旧网站" in said
    assert snapshot(out) == live
    assert "保留的旧网站：0 个" in cache_command("info")
    story_body(small, 1)
    make(small, out)  # nothing kept to reuse: still a cold build's site, and the site replaced is kept again
    assert_same_tree(out, cold_of(small, tmp_path))
    assert kept_of(out).is_dir()


@pytest.mark.parametrize("forgery", ["link", "copied", "mode", "other-output"])
def test_cache_clean_leaves_a_kept_folder_it_cannot_prove_its_own(
    small: Path, tmp_path: Path, own_cache: Path, forgery: str
) -> None:
    """A link named like the kept folder (to the real one, moved), a copy with a mark whose token it cannot know, the
    real one made readable by others, another output's kept folder under this one's name: none is removed."""
    out, other, elsewhere = tmp_path / "site", tmp_path / "other", tmp_path / "elsewhere"
    three_builds(small, out)
    kept = kept_of(out)
    if forgery == "link":
        os.rename(kept, elsewhere)
        kept.symlink_to(elsewhere, target_is_directory=True)
    elif forgery == "copied":
        shutil.copytree(kept, elsewhere, symlinks=True)
        shutil.rmtree(kept)
        shutil.copytree(elsewhere, kept, symlinks=True)
        mark = (kept / KEPT_MARK).read_text(encoding="utf-8")
        (kept / KEPT_MARK).write_text(mark.replace(mark.split()[2], "0" * 32), encoding="utf-8")
        kept.chmod(0o700)
        shutil.rmtree(elsewhere)
    elif forgery == "mode":
        kept.chmod(0o755)
    else:
        make(small, other)
        make(small, other)
        shutil.rmtree(kept)
        os.rename(kept_of(other), kept)  # the other output's kept site, under this one's name
    before = snapshot(kept) if not kept.is_symlink() else {"": ("link", os.readlink(kept), 0)}
    outside = snapshot(elsewhere) if elsewhere.exists() else {}
    cache_command("clean")
    assert os.path.lexists(kept)
    assert (snapshot(kept) if not kept.is_symlink() else {"": ("link", os.readlink(kept), 0)}) == before
    if outside:
        assert snapshot(elsewhere) == outside


def test_a_kept_folder_whose_record_is_gone_is_left_alone_and_named_with_how_to_remove_it(
    small: Path, tmp_path: Path, own_cache: Path
) -> None:
    """The cache folder deleted: nothing proves the kept folder is ours any more, so no build reuses or removes it;
    `dangjian cache info --out` (and the build's warning, `output.kept_warning`) tells the editor it is there."""
    out = tmp_path / "site"
    three_builds(small, out)
    shutil.rmtree(own_cache)
    kept = kept_of(out)
    before = snapshot(kept)
    story_body(small, 1)
    report = make(small, out)
    assert snapshot(kept) == before
    warning = output.kept_warning(out)
    assert warning is not None and str(kept) in warning and "rm -rf" in warning
    # The build tells the editor too (dangjian build prints its warnings); its size was counted before the build.
    assert [w for w in report.warnings if str(kept) in w and "rm -rf" in w]
    assert str(kept) in cache_command("info", "--out", str(out))
    assert str(kept) not in cache_command("info", "--out", str(tmp_path / "no-such-site"))


@pytest.mark.parametrize("decoy", ["link", "unmarked", "bad-mark", "pipe-mark", "link-mark"])
def test_only_a_folder_marked_as_dangjians_is_named_as_a_kept_site(
    small: Path, tmp_path: Path, own_cache: Path, decoy: str
) -> None:
    out = tmp_path / "site"
    three_builds(small, out)
    shutil.rmtree(own_cache)
    kept, elsewhere = kept_of(out), tmp_path / "elsewhere"
    if decoy == "link":  # to a folder with a good mark: a link is never dangjian's kept folder
        os.rename(kept, elsewhere)
        kept.symlink_to(elsewhere, target_is_directory=True)
    elif decoy == "unmarked":
        (kept / KEPT_MARK).unlink()
    elif decoy == "pipe-mark":  # a named pipe for the mark: reading it must not wait for a writer
        (kept / KEPT_MARK).unlink()
        os.mkfifo(kept / KEPT_MARK)
    elif decoy == "link-mark":  # a link to a good mark elsewhere is not followed
        os.rename(kept / KEPT_MARK, tmp_path / "mark")
        (kept / KEPT_MARK).symlink_to(tmp_path / "mark")
    else:
        (kept / KEPT_MARK).write_text("dangjian kept ../../etc\n", encoding="utf-8")
    assert output.kept_warning(out) is None
    assert str(kept) not in cache_command("info", "--out", str(out))
