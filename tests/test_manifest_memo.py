"""The manifest kept in memory between the builds of one process (issue 23): `serve` builds again and again in one
process, and each build read from the cache the manifest the last one wrote (0.2 s of a city's rename, unpickled).
The last manifest this process wrote is taken from memory when the file in the cache is still the one it wrote (its
identity); anything else there (another process's manifest, none, a file put in its place) is read from disk, and
what a build does with the manifest it was given never changes the one remembered.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dangjian.cache import Sealed
from dangjian.site import incremental
from dangjian.site.incremental import Entry, Manifest, load_manifest, manifest_path, save_manifest
from test_carry_reuse import cold_of
from test_incremental import assert_same_tree, make, org_name, small, story_body  # noqa: F401 - `small`: a fixture


@pytest.fixture
def disk_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The manifests read from the cache folder."""
    reads: list[str] = []
    real = Sealed.read

    def spy(self: Sealed, folder: Path | None, name: str) -> object:
        if name.endswith("/pages.pickle"):
            reads.append(name)
        return real(self, folder, name)

    monkeypatch.setattr(Sealed, "read", spy)
    return reads


def entry(n: int) -> Entry:
    return Entry(f"key{n}", f"digest{n}", [["org", f"o{n}"]], (1, n, 100 + n, 10**9 + n))


def manifest_of(n: int) -> tuple[dict[str, Entry], dict[str, object], dict, dict]:
    pages = {f"orgs/o{i}/": entry(i) for i in range(n)}
    groups = {"org": ("gkey", [("o0", "x")], {"parts": "k"})}
    files = {"orgs/o0/calendar.ics": ((1, 2, 3, 4), "d0")}
    tables = {"names": {"o0": "甲村"}}
    return pages, groups, files, tables


def as_kept(manifest: Manifest) -> tuple:
    return (manifest.pages, manifest.groups, manifest.files, manifest.tables)


def saved_by_another_process(out: Path, key: str, *manifest: dict) -> None:
    """`save_manifest` as another process makes it: what this one remembers is left as it was."""
    remembered = incremental._LAST_MANIFEST, incremental._LAST_BUCKETS
    incremental._LAST_MANIFEST = incremental._LAST_BUCKETS = None
    save_manifest(out, key, *manifest)  # type: ignore[arg-type]
    incremental._LAST_MANIFEST, incremental._LAST_BUCKETS = remembered


def test_a_rebuild_in_the_same_process_reads_no_manifest_from_disk_and_equals_a_cold_build(
    small: Path, tmp_path: Path, disk_reads: list[str]
) -> None:
    out = tmp_path / "site"
    make(small, out)
    org_name(small, 1)
    report = make(small, out)
    story_body(small, 2)
    again = make(small, out)
    assert disk_reads == [] and report.reused > 0 and again.reused > 0
    assert_same_tree(out, cold_of(small, tmp_path))


def test_the_manifest_remembered_is_the_one_on_disk(tmp_path: Path, disk_reads: list[str]) -> None:
    out = tmp_path / "site"
    out.mkdir()
    pages, groups, files, tables = manifest_of(3)
    save_manifest(out, "k", pages, groups, files, tables)
    remembered = load_manifest(out, "k")
    assert disk_reads == []
    incremental._LAST_MANIFEST = None  # forgotten: read from disk
    from_disk = load_manifest(out, "k")
    assert disk_reads and as_kept(remembered) == as_kept(from_disk)
    assert as_kept(from_disk) == (pages, groups, files, tables)
    assert load_manifest(out, "another key") == Manifest()


def test_a_manifest_another_process_wrote_in_its_place_is_read_from_disk(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    save_manifest(out, "k", *manifest_of(3))
    ours = incremental._LAST_MANIFEST
    # what another process's save writes: the same entries, another manifest (not through this process's memory)
    other_pages = manifest_of(2)[0]
    saved_by_another_process(out, "k", *manifest_of(2))
    assert incremental._LAST_MANIFEST is ours
    assert load_manifest(out, "k").pages == other_pages
    incremental.forget_manifest(out)
    assert load_manifest(out, "k") == Manifest()
    save_manifest(out, "k", *manifest_of(3))
    path = manifest_path(out)
    assert path is not None
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data)  # the same bytes, another file: read from disk (and the same manifest)
    assert load_manifest(out, "k").pages == manifest_of(3)[0]


def test_what_a_build_does_with_the_manifest_it_was_given_never_changes_the_one_remembered(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    pages, groups, files, tables = manifest_of(3)
    save_manifest(out, "k", pages, groups, files, tables)
    pages["orgs/o9/"] = entry(9)  # the saving build's own dicts changed afterwards
    given = load_manifest(out, "k")
    given.pages.clear()
    given.groups.clear()
    given.files.clear()
    given.tables.clear()
    again = load_manifest(out, "k")
    assert as_kept(again) == manifest_of(3)
    for page in again.pages.values():
        page.reads.append(["changed"])
        page.stat = None
    assert as_kept(load_manifest(out, "k")) == manifest_of(3)


def test_no_manifest_is_remembered_when_it_could_not_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    out.mkdir()
    save_manifest(out, "k", *manifest_of(3))
    monkeypatch.setattr(Sealed, "write", lambda *args: False)
    save_manifest(out, "k", *manifest_of(2))
    assert load_manifest(out, "k") == Manifest()  # the failed write forgot the last manifest, on disk and here


# --- the pages in buckets ------------------------------------------------------------------------------------------


@pytest.fixture
def bucket_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the buckets of pages written to the cache folder."""
    writes: list[str] = []
    real = Sealed.write

    def spy(self: Sealed, folder: Path | None, name: str, value: object) -> bool:
        if "/pages-" in name:
            writes.append(name.rpartition("/")[2])
        return real(self, folder, name, value)

    monkeypatch.setattr(Sealed, "write", spy)
    return writes


def many(n: int) -> dict[str, Entry]:
    return {f"orgs/o{i}/": entry(i) for i in range(n)}


@pytest.mark.parametrize("remembered", [True, False], ids=["remembered", "read from disk"])
def test_a_save_writes_the_buckets_of_the_pages_that_changed_and_no_other(
    tmp_path: Path, bucket_writes: list[str], remembered: bool
) -> None:
    out = tmp_path / "site"
    out.mkdir()
    pages, groups, files, tables = manifest_of(1)
    pages = many(300)
    save_manifest(out, "k", pages, groups, files, tables)
    assert len(bucket_writes) == incremental.PAGE_BUCKETS  # 300 pages fill every bucket
    if not remembered:
        incremental._LAST_MANIFEST = incremental._LAST_BUCKETS = None
    given = load_manifest(out, "k")
    assert given.pages == pages
    bucket_writes.clear()
    changed = dict(given.pages)
    changed["orgs/o7/"] = Entry("another key", "another digest", [], None)
    del changed["orgs/o8/"]
    changed["orgs/new/"] = entry(1000)
    save_manifest(out, "k", changed, groups, files, tables)
    touched = {f"pages-{incremental._bucket(url):02d}.pickle" for url in ("orgs/o7/", "orgs/o8/", "orgs/new/")}
    assert sorted(bucket_writes) == sorted(touched)
    incremental._LAST_MANIFEST = incremental._LAST_BUCKETS = None
    assert load_manifest(out, "k").pages == changed
    bucket_writes.clear()
    save_manifest(out, "k", changed, groups, files, tables)  # nothing changed: no bucket written
    assert bucket_writes == []
    assert load_manifest(out, "k").pages == changed


def test_a_bucket_another_build_wrote_or_none_means_no_manifest(tmp_path: Path) -> None:
    """A manifest is never read with another build's pages: a bucket another save rewrote since (a build of the same
    output in another process) or a bucket gone makes it none, and the next build a cold one."""
    out = tmp_path / "site"
    out.mkdir()
    first = manifest_of(1)[1:]
    save_manifest(out, "k", many(300), *first)
    saved_by_another_process(out, "k", {"orgs/o0/": entry(5)}, *first)  # its bucket of orgs/o0/, then its manifest
    head = manifest_path(out)
    assert head is not None
    incremental.forget_manifest(out)  # as a build does before its save; this process still remembers its own buckets
    save_manifest(out, "k", many(300), *first)  # this process's buckets as it remembers them: one is no longer so
    incremental._LAST_MANIFEST = incremental._LAST_BUCKETS = None
    assert load_manifest(out, "k") == Manifest()
    save_manifest(out, "k", many(300), *first)  # written whole (nothing remembered): read again
    incremental._LAST_MANIFEST = incremental._LAST_BUCKETS = None
    assert load_manifest(out, "k").pages == many(300)
    (head.parent / f"pages-{incremental._bucket('orgs/o3/'):02d}.pickle").unlink()
    assert load_manifest(out, "k") == Manifest()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    saves=st.lists(
        st.tuples(
            st.dictionaries(st.integers(0, 150), st.integers(0, 3), max_size=120),
            st.sampled_from(["remembered", "forgotten", "another process"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_manifest_read_is_always_the_last_one_saved(tmp_path: Path, saves: list[tuple[dict, str]]) -> None:
    """Any sequence of saves, each after this process remembered its last one, forgot it or another process saved
    in between: what is read from disk is the last manifest saved, page for page."""
    out = tmp_path / f"site-{len(list(tmp_path.iterdir()))}"
    out.mkdir()
    groups, files, tables = manifest_of(1)[1:]
    incremental._LAST_MANIFEST = incremental._LAST_BUCKETS = None
    for chosen, how in saves:
        pages = {
            f"p/{n}/": Entry(f"key{n}-{v}", f"digest{v}", [["org", str(v)]], (1, n, v, 7)) for n, v in chosen.items()
        }
        if how == "forgotten":
            incremental._LAST_MANIFEST = incremental._LAST_BUCKETS = None
        elif how == "another process":
            saved_by_another_process(out, "k", {"p/0/": entry(0), "p/9/": entry(9)}, groups, files, tables)
        load_manifest(out, "k")  # as a build reads it before saving its own
        save_manifest(out, "k", pages, groups, files, tables)
        incremental._LAST_MANIFEST = incremental._LAST_BUCKETS = None
        assert load_manifest(out, "k").pages == pages
