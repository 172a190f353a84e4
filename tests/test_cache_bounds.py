"""The cache stays bounded: `cache.trim` removes the least recently used entries over the limit, `cache.clean`
removes dangjian's entries, neither touches what dangjian did not make (foreign files, links and what they point
to), and processes trimming and reading at once do not crash."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import re
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from dangjian import cache
from dangjian.cli import main
from dangjian.load import Loaded
from dangjian.validate import validate

HOUR = 3600


def hexname(seed: object, length: int) -> str:
    return hashlib.blake2b(repr(seed).encode(), digest_size=32).hexdigest()[:length]


def aged(path: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(path, (when, when), follow_symlinks=False)


def put(path: Path, size: int, seconds_ago: float) -> Path:
    """A file of `size` bytes last used `seconds_ago`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    aged(path, seconds_ago)
    return path


def parse_entry(folder: Path, seed: object, size: int = 5000, seconds_ago: float = 0) -> Path:
    name = hexname(seed, 40)
    return put(folder / "parse" / name[:2] / name, size, seconds_ago)


def state_entry(folder: Path, seed: object, buckets: int = 3, seconds_ago: float = 0) -> Path:
    where = folder / "state" / hexname(seed, 32)
    for number in range(buckets):
        put(where / f"{number:02d}.pickle", 3000, seconds_ago)
    aged(where, seconds_ago)
    return where


def kept(folder: Path) -> set[str]:
    """dangjian's entries now in the cache, as paths relative to it."""
    return {"/".join((*e.where, e.name)) for e in cache.scan(folder).entries}


def tree(path: Path) -> dict[str, bytes | str]:
    """Everything under `path` (not following links): file contents and link targets."""
    out: dict[str, bytes | str] = {}
    for item in sorted(path.rglob("*")):
        rel = item.relative_to(path).as_posix()
        if item.is_symlink():
            out[rel] = "-> " + os.readlink(item)
        elif item.is_file():
            out[rel] = item.read_bytes()
        elif item.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = "special"
    return out


# --- the bound ---------------------------------------------------------------------------------------


def test_trim_keeps_the_cache_under_its_limit_and_the_entries_used_last(registry, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "LOW_WATER", 1.0)  # down to the limit exactly: what goes is what must go
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    texts = [f"id: org{n}\nname: 第{n}支部\nkind: 党支部\nparent: county\n".encode() for n in range(12)]
    for text in texts:
        cache.cached_load(text, "registry/orgs/x.yaml", "org", folder)
    entries = sorted((folder / "parse").rglob("*/*"))
    assert len(entries) == len(texts)
    for age, entry in enumerate(entries):  # all written long ago, at different times
        aged(entry, 10 * HOUR + age * 60)
    used = texts[::2]
    for text in used:  # read again now: a hit records the use
        cache.cached_load(text, "registry/orgs/x.yaml", "org", folder)
    used_entries = {
        "/".join(Path(cache._entry(cache.key(t, "registry/orgs/x.yaml", "org"), Path())).parts) for t in used
    }
    sizes = {"/".join(e.relative_to(folder).parts): e.stat().st_blocks * 512 for e in entries}
    limit = sum(sizes[e] for e in used_entries) + 1
    done = cache.trim(folder, limit)
    assert done is not None and done.removed == len(texts) - len(used)
    assert cache.scan(folder).size <= limit
    assert kept(folder) == used_entries


def test_a_used_state_outlives_one_not_used(registry, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "LOW_WATER", 1.0)
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    root = registry()
    validate(root, full=False)
    (mine,) = (folder / "state").iterdir()
    other = state_entry(folder, "another registry", seconds_ago=2 * HOUR)
    for path in [mine, *mine.iterdir()]:
        aged(path, 5 * HOUR)  # older than the other state: until it is used again
    validate(root, full=False)  # opens its state: recorded as used now
    assert mine.stat().st_mtime > time.time() - 60
    parse = {e for e in kept(folder) if e.startswith("parse/")}
    sizes = {e.name: e.size for e in cache.scan(folder).entries if e.part == "state"}
    cache.trim(folder, limit=cache.scan(folder).size - sizes[other.name])
    assert (folder / "state" / mine.name).is_dir() and not other.exists()
    assert {e for e in kept(folder) if e.startswith("parse/")} == parse  # newer than the state removed: kept


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(
        st.tuples(
            st.sampled_from(["parse", "state", "gate", "share", "templates", "manifests", "photos"]),
            st.integers(1, 9000),
        ),
        min_size=1,
        max_size=14,
    ),
    ages=st.randoms(use_true_random=False),
    limit=st.integers(0, 80_000),
)
def test_trim_removes_least_recently_used_first_down_to_the_limit(tmp_path_factory, entries, ages, limit):
    folder = tmp_path_factory.mktemp("cache")
    foreign = put(folder / "notes.txt", 100, 100 * HOUR)
    made: dict[str, float] = {}
    for number, (part, size) in enumerate(entries):
        age = ages.uniform(0, 100 * HOUR)
        if part == "parse":
            path = parse_entry(folder, number, size, age)
        elif part == "state":
            path = state_entry(folder, number, 1 + size % 4, age)
        elif part == "gate":
            path = put(folder / "gate" / f"{hexname(number, 32)}.clean", size, age)
        elif part == "share":
            path = put(folder / "share" / f"{hexname(number, 40)}.png", size, age)
        elif part == "photos":
            path = put(folder / "photos-1-pillow13.0.0" / f"{hexname(number, 16)}-480.webp", size, age)
        elif part == "manifests":  # site/incremental.py's: a folder per output folder
            path = put(folder / "manifests" / hexname(number, 32) / "pages.pickle", size, age).parent
            aged(path, age)
        else:
            where = folder / "templates" / hexname(number, 20)
            put(where / f"__jinja2_{hexname(number, 40)}.cache", size, age)
            path = where
            aged(where, age)
        made["/".join(path.relative_to(folder).parts)] = path.stat().st_mtime
    before = {e.name: e for e in cache.scan(folder).entries}
    total = sum(e.size for e in before.values())
    cache.trim(folder, limit)
    after = kept(folder)
    size = cache.scan(folder).size
    assert size <= limit
    removed = set(made) - after
    assert bool(removed) == (total > limit)
    if removed and after:  # least recently used first: everything kept is newer than everything removed
        assert min(made[e] for e in after) >= max(made[e] for e in removed)
    if removed:  # down to LOW_WATER of the limit, and no further: putting back the newest removed entry goes over
        target = int(limit * cache.LOW_WATER)
        newest = max(removed, key=lambda e: made[e])
        assert size <= target < size + before[newest.rsplit("/", 1)[-1]].size
    assert foreign.read_bytes() == b"x" * 100


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "rewrite", "temp", "trim"]),
        st.sampled_from(["parse", "state", "share"]),
        st.integers(0, 5),  # which entry
        st.integers(1, 20_000),  # size, or the limit of a trim
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_the_quick_scan_counts_what_a_full_scan_counts(tmp_path_factory, operations):
    """Entries added, removed, rewritten between trims: the folders the index reuses give the same size as
    reading everything, and a trim leaves the cache within its limit."""
    folder = tmp_path_factory.mktemp("cache")
    base = time.time() - 10 * HOUR
    index: dict | None = None
    for step, (operation, part, number, size) in enumerate(operations):
        if part == "parse":
            path = folder / "parse" / hexname(number % 2, 2) / hexname(number, 40)  # few folders, shared
        elif part == "state":
            path = folder / "state" / hexname(number % 2, 32) / f"{number:02d}.pickle"
        else:
            path = folder / "share" / f"{hexname(number, 40)}.png"
        if operation == "add" or (operation == "rewrite" and path.exists()):
            temporary = path.with_name(".tmp-abcdefgh")  # written as the writers do: a new file renamed over
            put(temporary, size, 0)
            temporary.replace(path)
        elif operation == "remove" and path.exists():
            path.unlink()
        elif operation == "temp":  # left by a writer that stopped (each writer's name is its own)
            put(path.with_name(f".tmp-{step:08d}"), size, 0)
        elif operation == "trim":
            cache.trim(folder, limit=size)
            assert cache.scan(folder).size <= size
        # what changed was changed at a time of its own, long enough ago not to be too recent to trust
        for item in [folder, *folder.rglob("*")]:
            if not item.is_symlink() and item.lstat().st_mtime > time.time() - 60:
                when = base + step
                os.utime(item, (when, when))
        full = cache.scan(folder)
        quick = cache.scan(folder, index)
        assert quick.size == full.size
        assert quick.folders == full.folders
        index = quick.folders


def test_a_folder_changed_just_now_is_read_again_next_time(tmp_path):
    folder = tmp_path / "cache"
    entry = parse_entry(folder, 1)
    assert cache.scan(folder).folders == {f"parse/{entry.parent.name}": [-1, 8192]}  # too recent to trust
    aged(entry.parent, HOUR)
    assert cache.scan(folder).folders == {f"parse/{entry.parent.name}": [entry.parent.stat().st_mtime_ns, 8192]}


def test_a_trim_within_the_limit_reads_only_the_folders_that_changed(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    entries = [parse_entry(folder, n, seconds_ago=HOUR) for n in range(40)]
    state_entry(folder, "s", seconds_ago=HOUR)
    for item in folder.rglob("*"):
        if item.is_dir():
            aged(item, HOUR)
    read = []
    listing = cache._listing
    monkeypatch.setattr(cache, "_listing", lambda handle: read.append(handle) or listing(handle))
    assert cache.trim(folder, limit=10**9) is not None  # the first: a full scan, which saves the index
    first = len(read)
    assert (folder / ".dangjian-trim.json").is_file()
    parse_entry(folder, "new", seconds_ago=0)  # one folder changes
    read.clear()
    done = cache.trim(folder, limit=10**9)
    assert len(read) <= 4 < first  # the cache folder, parse/, state/, and the folder that changed
    assert done is not None and done.left == cache.scan(folder).size
    (folder / ".dangjian-trim.json").write_text("{not json")  # a damaged index: a full scan again
    read.clear()
    done = cache.trim(folder, limit=10**9)
    assert len(read) >= first and done is not None and done.left == cache.scan(folder).size
    assert len(entries) == 40


def test_old_temporary_files_go_young_ones_stay_until_clean(tmp_path):
    folder = tmp_path / "cache"
    young = put(folder / "parse" / "ab" / ".tmp-abcd1234", 10, 60)
    old = put(folder / "parse" / "ab" / ".tmp-zzzz_999", 10, 2 * HOUR)
    photo = put(folder / "photos-1-pillow13.0.0" / ".31e9ef19b8d4311b-480.jpg.123.tmp", 10, 2 * HOUR)
    jinja = put(folder / "templates" / hexname(1, 20) / f"__jinja2_{hexname(2, 40)}.cacheab_cd123.tmp", 10, 60)
    cache.trim(folder, limit=10**9)
    assert young.exists() and jinja.exists() and not old.exists() and not photo.exists()
    cache.clean(folder)
    assert not young.exists() and not jinja.exists()


@pytest.mark.parametrize(
    "setting, limit",
    [("", cache.DEFAULT_LIMIT), ("512M", 512 << 20), ("2G", 2 << 30), ("1.5gb", 3 << 29), ("4096", 4096)]
    + [("300 MiB", 300 << 20), ("off", None), ("none", None)],
)
def test_the_limit_is_read_from_the_environment(monkeypatch, setting, limit):
    monkeypatch.setenv(cache.LIMIT_VARIABLE, setting)
    assert cache.cache_limit() == limit


@pytest.mark.parametrize("setting", ["lots", "-5M", "5X", "1e9", "M"])
def test_a_limit_that_cannot_be_read_is_refused_and_trim_uses_the_default(monkeypatch, tmp_path, setting):
    monkeypatch.setenv(cache.LIMIT_VARIABLE, setting)
    with pytest.raises(ValueError):
        cache.cache_limit()
    entry = parse_entry(tmp_path, 1)
    cache.trim(tmp_path)
    assert entry.exists()


# --- what dangjian did not make ---------------------------------------------------------------------


def hostile_cache(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    """A cache folder with real entries among foreign files, links out of it, and things that only look like
    entries; and the outside folder the links point into."""
    outside = tmp_path / "outside"
    for name in ("parse/ab", "state/" + hexname("s", 32), "inner"):
        (outside / name).mkdir(parents=True)
    victim = put(outside / "parse" / "ab" / hexname("victim", 40), 5000, 50 * HOUR)
    put(outside / "state" / hexname("s", 32) / "00.pickle", 5000, 50 * HOUR)
    put(outside / "inner" / "00.pickle", 5000, 50 * HOUR)
    put(outside / "gate.clean", 100, 50 * HOUR)

    folder = tmp_path / "cache"
    ours = [parse_entry(folder, n, 4000, 10 * HOUR) for n in range(3)]
    ours.append(state_entry(folder, "ours", seconds_ago=10 * HOUR))
    put(folder / "README.txt", 50, 100 * HOUR)  # foreign, at the top
    put(folder / "parse" / "ab" / "notes.txt", 50, 100 * HOUR)  # foreign, in a part's folder
    put(folder / "parse" / "ab" / hexname("upper", 40).upper(), 50, 100 * HOUR)  # not a name dangjian writes
    ours.append(put(folder / "state" / hexname("mixed", 32) / "00.pickle", 50, 100 * HOUR))  # a state folder...
    put(folder / "state" / hexname("mixed", 32) / "keep.me", 50, 100 * HOUR)  # ...holding a foreign file
    (folder / "parse" / "cd").symlink_to(outside / "parse" / "ab")  # a linked folder where entries live
    (folder / "parse" / "ab" / hexname("link", 40)).symlink_to(victim)  # a link named as an entry
    (folder / "state" / hexname("s", 32)).symlink_to(outside / "state" / hexname("s", 32))
    (folder / "templates").symlink_to(outside / "inner")  # a whole part folder linked out
    (folder / "gate").mkdir()
    (folder / "gate" / f"{hexname('g', 32)}.clean").symlink_to(outside / "gate.clean")
    (folder / "parse" / "ab" / hexname("dir", 40)).mkdir()  # a folder named as a file entry
    put(folder / "state" / hexname("file", 32), 50, 100 * HOUR)  # a file named as a folder entry
    os.mkfifo(folder / "parse" / "ab" / hexname("fifo", 40))  # not a regular file: never opened
    return folder, outside, ours


def test_trim_and_clean_leave_foreign_files_links_and_their_targets(tmp_path):
    folder, outside, ours = hostile_cache(tmp_path)
    outside_before = tree(outside)
    foreign_before = {
        rel: v
        for rel, v in tree(folder).items()
        if not any(
            rel == o.relative_to(folder).as_posix() or rel.startswith(o.relative_to(folder).as_posix() + "/")
            for o in ours
        )
    }

    said = cache.describe(folder)  # cache info reads the same layout without following anything either
    assert said[-1].startswith("另有 ") and "解析缓存：3 项，12.0 KB" in said
    done = cache.trim(folder, limit=0)
    assert done is not None and done.removed == len(ours) and done.left == 0
    assert all(not path.exists() for path in ours)
    assert tree(outside) == outside_before
    after = tree(folder)
    for rel, value in foreign_before.items():
        if value != "dir":
            assert after.get(rel) == value, rel

    for path in ours:  # again, for clean
        if path.parent.name == "state":
            state_entry(folder, "ours")
        else:
            put(path, 4000, 0)
    done = cache.clean(folder)
    assert done is not None and done.removed == len(ours) and done.foreign > 0
    assert tree(outside) == outside_before
    after = tree(folder)
    for rel, value in foreign_before.items():
        if value != "dir":
            assert after.get(rel) == value, rel
    left = cache.scan(folder).entries  # the state folder holding a foreign file, nothing of dangjian's in it
    assert [(e.name, e.size) for e in left] == [(hexname("mixed", 32), 0)]


def test_an_entry_that_cannot_be_read_is_a_miss(registry, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    root = registry()
    expected = validate(root)
    entries = sorted(p for p in (folder / "parse").rglob("*/*"))
    entries[0].write_bytes(b"not a pickle")
    entries[1].unlink()
    entries[1].mkdir()  # a folder where the entry was
    entries[2].unlink()
    os.mkfifo(entries[2])  # a pipe: opening it must not hang, reading it must not happen
    entries[3].unlink()
    entries[3].symlink_to(tmp_path / "elsewhere")
    again = validate(root)
    assert again.problems == expected.problems and again.records == expected.records
    assert entries[1].is_dir()  # left as it was (nothing is written over a folder)
    for entry in (entries[0], entries[2], entries[3]):  # stored again, in place of what was there
        assert entry.is_file() and not entry.is_symlink() and isinstance(pickle.loads(entry.read_bytes()), Loaded)
    assert not (tmp_path / "elsewhere").exists()


def test_entries_that_vanish_or_turn_into_links_after_the_scan(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    gone = parse_entry(folder, 1, seconds_ago=HOUR)
    moved = parse_entry(folder, 2, seconds_ago=HOUR)
    state = state_entry(folder, 3, seconds_ago=HOUR)
    stale = cache.scan(folder)  # what a trim saw, before another process changed the folder
    gone.unlink()
    away = tmp_path / "away"
    moved.parent.rename(away)  # the entry's folder swapped for a link to where it went
    moved.parent.symlink_to(away)
    outside = tmp_path / "outside"
    for number in range(3):
        put(outside / f"{number:02d}.pickle", 10, 2 * HOUR)
    for bucket in state.iterdir():
        bucket.unlink()
    state.rmdir()
    state.symlink_to(outside)  # the state folder swapped for a link out of the cache
    before = tree(outside), tree(away)
    monkeypatch.setattr(cache, "scan", lambda where: stale)
    done = cache.trim(folder, limit=0)
    assert done is not None and done.removed == 0
    assert (tree(outside), tree(away)) == before


# --- two processes at once ---------------------------------------------------------------------------


def _trim_until(folder: str, stop: Any) -> None:
    number = 0
    while not stop.is_set():
        number += 1
        if number % 3:
            cache.trim(Path(folder), limit=(number % 7) * 4096)
        else:
            cache.clean(Path(folder))


def test_reading_while_other_processes_trim_is_only_a_miss(registry, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    root = registry()
    expected = validate(root), validate(root, full=False)
    assert all(outcome.ok for outcome in expected) and len(cache.scan(folder).entries) > 3
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    trimmers = [context.Process(target=_trim_until, args=(str(folder), stop)) for _ in range(2)]
    for trimmer in trimmers:
        trimmer.start()
    try:
        for _ in range(10):  # validations that write, read and lose entries and states while they are trimmed
            for full in (True, False):
                outcome = validate(root, full=full)
                assert outcome.problems == expected[not full].problems
                assert outcome.records == expected[not full].records
            assert all(trimmer.is_alive() for trimmer in trimmers)
    finally:
        stop.set()
        for trimmer in trimmers:
            trimmer.join(60)
    assert all(trimmer.exitcode == 0 for trimmer in trimmers)


# --- the command line --------------------------------------------------------------------------------


def info(monkeypatch, folder: Path, **env: str) -> tuple[int, dict[str, str]]:
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["cache", "info"])
    lines = dict(line.split("：", 1) for line in result.output.splitlines() if "：" in line)
    return result.exit_code, lines


def test_cache_info_says_where_how_big_by_part_and_the_limit(registry, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    validate(registry(), full=False)
    put(folder / "gate" / f"{hexname(1, 32)}.clean", 5000, 0)
    put(folder / "notes.txt", 10, 0)
    code, lines = info(monkeypatch, folder, DANGJIAN_CACHE_LIMIT="512M")
    assert code == 0
    assert lines["位置"] == str(folder)
    assert lines["上限"].startswith("512.0 MB")
    found = cache.scan(folder)
    for part in cache.PARTS:
        mine = [e for e in found.entries if e.part == part.name and not e.temp]
        count, size = re.fullmatch(r"(\d+) 项，(.+)", lines[part.title]).groups()
        assert int(count) == len(mine), part.name
        assert size == cache.size_text(sum(e.size for e in mine)), part.name
    assert int(re.match(r"\d+", lines["解析缓存"])[0]) > 0 and int(re.match(r"\d+", lines["校验状态"])[0]) == 1
    assert lines["合计"] == f"{len(found.entries)} 项，{cache.size_text(found.size)}"
    assert "另有 1 个" in CliRunner().invoke(main, ["cache", "info"]).output


def test_cache_info_names_a_limit_it_cannot_read_and_a_cache_turned_off(tmp_path, monkeypatch):
    code, lines = info(monkeypatch, tmp_path / "none-yet", DANGJIAN_CACHE_LIMIT="lots")
    assert code == 0 and "无法识别" in lines["上限"] and lines["位置"].endswith("（还没有创建）")
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    result = CliRunner().invoke(main, ["cache", "info"])
    assert result.exit_code == 0 and "缓存已关闭" in result.output


def test_cache_clean_removes_dangjians_entries_only(registry, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    validate(registry(), full=False)
    count = len(cache.scan(folder).entries)
    put(folder / "parse" / "ab" / "notes.txt", 10, 0)
    result = CliRunner().invoke(main, ["cache", "clean"])
    assert result.exit_code == 0
    assert f"已清理 {count} 项" in result.output and "另有 1 个" in result.output
    assert cache.scan(folder).entries == [] and (folder / "parse" / "ab" / "notes.txt").read_bytes() == b"x" * 10
    assert not (folder / "state").exists()  # emptied part folders go too


@pytest.mark.parametrize("fixture_edit", [{}, {"registry/orgs/west.yaml": "id: west\nname: [\n"}])
def test_commands_trim_the_cache_when_they_end(registry, tmp_path, monkeypatch, fixture_edit):
    folder = tmp_path / "cache"
    root = registry(fixture_edit)
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    monkeypatch.setenv(cache.LIMIT_VARIABLE, "off")
    CliRunner().invoke(main, ["validate", "--root", str(root)])
    assert len(cache.scan(folder).entries) > 3
    monkeypatch.setenv(cache.LIMIT_VARIABLE, "1")  # one byte: everything goes when the command ends
    result = CliRunner().invoke(main, ["validate", "--root", str(root)])
    assert result.exit_code == (1 if fixture_edit else 0)
    assert cache.scan(folder).entries == []


def test_where_folders_cannot_be_walked_safely_nothing_is_removed(registry, tmp_path, monkeypatch):
    """Windows has no folder descriptors: rather than walk by paths (and follow a link), the cache is left as it
    is, and `cache info` says so."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    root = registry()
    assert validate(root).ok
    before = tree(folder)
    monkeypatch.setattr(cache, "WALKS", False)
    assert validate(root).ok  # the parse cache still answers
    assert cache.trim(folder, limit=0) is not None and cache.clean(folder) is not None
    assert {rel: v for rel, v in tree(folder).items() if not rel.startswith(".dangjian-trim")} == before
    result = CliRunner().invoke(main, ["cache", "info"])
    assert result.exit_code == 0 and "不能安全地逐项查看" in result.output


@pytest.mark.parametrize(
    "command",
    [["validate"], ["build"], ["serve"], ["score", "2025"], ["rank"], ["diff", "HEAD"]],
    ids=lambda command: command[0],
)
def test_every_command_that_writes_to_the_cache_trims_it_however_it_ends(tmp_path, monkeypatch, command):
    calls = []
    monkeypatch.setattr(cache, "trim", lambda *args, **kwargs: calls.append(args))
    result = CliRunner().invoke(main, [*command, "--root", str(tmp_path / "no-registry")])
    assert result.exit_code != 0  # not a registry: the command stops early, and trims all the same
    assert calls == [()]


def test_commands_that_do_not_write_to_the_cache_leave_it(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(cache, "trim", lambda *args, **kwargs: calls.append(args))
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    for command in (["cache", "info"], ["cache", "clean"], ["--help"]):
        assert CliRunner().invoke(main, command).exit_code == 0
    assert calls == []


def test_everything_a_build_keeps_in_the_cache_is_an_entry_its_bound_knows(tmp_path):
    """Whatever a build and a rebuild keep in the cache folder (every writer: the parse cache, the aggregates, the own
    search index's state, the Markdown rendered, the gate's memo…) is an entry of a part (`PARTS`): none is left out of
    the bound as foreign (the own index's state, about 100 MB at city scale, and the Markdown memo once were). Built
    by the command, in fresh processes: this one's memos (the Markdown rendered, the tables made) would keep a writer
    from writing."""
    import subprocess
    import sys

    from conftest import REPO

    folder = tmp_path / "cache"
    env = {**os.environ, "DANGJIAN_CACHE": str(folder), cache.LIMIT_VARIABLE: "off", "DANGJIAN_SEARCH_ENGINE": "own"}
    command = [
        str(Path(sys.executable).parent / "dangjian"),
        "build",
        "--root",
        str(REPO),
        "--out",
        str(tmp_path / "s"),
    ]
    for _ in range(2):  # a build, then a rebuild reusing what it kept
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    found = cache.scan(folder)
    named = {"/".join((*entry.where, entry.name)) for entry in found.entries}
    files = {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}
    assert found.foreign == 0, sorted(f for f in files if not any(f == n or f.startswith(n + "/") for n in named))
    assert {"parse", "state", "aggregates", "ownindex", "markdown", "gate", "fold"} <= {e.part for e in found.entries}
