"""The manifest kept in memory between the builds of one process (issue 23): `serve` builds again and again in one
process, and each build read from the cache the manifest the last one wrote (0.2 s of a city's rename, unpickled).
The last manifest this process wrote is taken from memory when the file in the cache is still the one it wrote (its
identity); anything else there (another process's manifest, none, a file put in its place) is read from disk, and
what a build does with the manifest it was given never changes the one remembered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dangjian.cache import Sealed, cache_dir
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
    # what another process's save writes: the same entry, another manifest (not through this process's memory)
    other_pages, groups, files, tables = manifest_of(2)
    kept = (
        "k",
        str(out),
        {url: (e.key, e.out, e.reads, e.stat) for url, e in other_pages.items()},
        groups,
        files,
        tables,
    )
    assert incremental.MANIFEST.write(cache_dir(), incremental._manifest_name(out), kept)
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
