"""`validate(full=False)`: bulk files as summaries, saved between runs, never stale.

tests/test_bad_cases.py runs every bad case both ways; these tests cover the saved
state: what it reuses, and that an edit anywhere is still seen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dangjian import cache, validate as validate_module
from dangjian.recordtypes import RECORD_TYPES
from dangjian.schema import Asset
from dangjian.cache import State
from dangjian.summary import BULK_KINDS
from dangjian.validate import validate
from conftest import validate_uncached


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """The files validation loads (from the parse cache or by parsing), in order."""
    seen: list[str] = []
    real = validate_module.Files.payload
    monkeypatch.setattr(
        validate_module.Files, "payload", lambda files, source: seen.append(source.path) or real(files, source)
    )
    return seen


def same_as_full(root: Path):
    """Validate with summaries, check it agrees with a full validation, and return it."""
    summarised = validate(root, full=False)
    full = validate(root)  # with the full runs' state (`validate._keyed`)
    pure = validate_uncached(root)
    assert summarised.problems == full.problems == pure.problems
    assert summarised.records == full.records == pure.records == sum(len(r) for r in full.registry.records.values())
    return summarised


def test_a_second_run_loads_nothing(registry, cached, loads):
    root = registry()
    first = validate(root, full=False)
    assert first.ok and len(loads) == first.files
    loads.clear()
    again = validate(root, full=False)
    assert again.ok and again.records == first.records
    assert loads == []


def test_only_the_edited_file_is_loaded_again(registry, cached, loads):
    root = registry()
    validate(root, full=False)
    loads.clear()
    roster = root / "registry/members/west.yaml"
    roster.write_text(roster.read_text(encoding="utf-8") + "\n# 备注\n", encoding="utf-8")
    validate(root, full=False)
    assert loads == ["registry/members/west.yaml"]


def test_a_settled_file_is_not_read_again(registry, cached, settled, reads):
    root = registry()
    first = validate(root, full=False)
    assert first.ok and len(set(reads)) == first.files
    reads.clear()
    assert validate(root, full=False).records == first.records and reads == []
    roster = root / "registry/members/west.yaml"
    roster.write_text(roster.read_text(encoding="utf-8") + "\n# 备注\n", encoding="utf-8")
    validate(root, full=False)
    assert set(reads) == {"registry/members/west.yaml"}


def test_a_fresh_file_is_read_again(registry, cached, reads):
    """Within `RACY_NS` of its last change, a file's identity is not trusted (a coarse clock could keep it)."""
    root = registry()
    validate(root, full=False)
    reads.clear()
    validate(root, full=False)
    assert "registry/members/west.yaml" in reads


def test_a_second_change_in_the_same_tick_is_seen(registry, cached, monkeypatch):
    """A file system whose clock ticks in whole seconds: two saves in one second keep size and times. The racy
    margin reads such a file again, so the second save is seen."""
    root = registry()
    fixed = {}

    def coarse(path: str, seen: int):
        found = cache.stamp(path, seen)
        if found is None:
            return None
        (device, inode, size, _, _), _ = found
        fixed.setdefault(path, seen - 1_000_000)  # changed a millisecond before the first run looked
        return (device, inode, size, fixed[path], fixed[path]), seen

    monkeypatch.setattr(validate_module, "stamp", coarse)
    roster = root / "registry/members/east.yaml"
    assert validate(root, full=False).ok
    text = roster.read_text(encoding="utf-8")
    roster.write_text(text.replace("status: 正式党员", "status: 正式党贝", 1), encoding="utf-8")
    result = same_as_full(root)
    assert [(p.file, p.code) for p in result.problems] == [("registry/members/east.yaml", "enum")]


@pytest.mark.parametrize("renamed", [False, True], ids=["in-place", "renamed-over"])
@pytest.mark.parametrize("margin", [0, cache.RACY_NS], ids=["settled", "fresh"])
def test_an_edit_keeping_size_and_mtime_is_seen(registry, cached, monkeypatch, margin, renamed):
    """Written in place, or saved by renaming a new file over the old one (as editors do), keeping size and
    modification time: the change time or the inode moved."""
    monkeypatch.setattr(cache, "RACY_NS", margin)
    root = registry()
    roster = root / "registry/members/east.yaml"
    assert validate(root, full=False).ok
    before = roster.stat()
    text = roster.read_text(encoding="utf-8")
    assert "status: 正式党员" in text
    saved = roster.with_name("east.yaml.new") if renamed else roster
    saved.write_text(text.replace("status: 正式党员", "status: 正式党贝", 1), encoding="utf-8")
    os.utime(saved, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(saved, roster)
    assert roster.stat().st_size == before.st_size and roster.stat().st_mtime_ns == before.st_mtime_ns
    result = same_as_full(root)
    assert [(p.file, p.code) for p in result.problems] == [("registry/members/east.yaml", "enum")]


def test_an_unchanged_file_sees_an_id_removed_elsewhere(registry, cached, loads):
    """The ledger's summary is saved; removing the member it names is still reported in it, at its line."""
    root = registry()
    assert validate(root, full=False).ok
    roster = root / "registry/members/east.yaml"
    text = roster.read_text(encoding="utf-8")
    roster.write_text(text.replace("id: m-east-a\n", "id: m-east-b\n"), encoding="utf-8")
    loads.clear()
    result = same_as_full(root)
    ledger = [p for p in result.problems if p.file == "registry/points/ledger/east-2026.yaml"]
    assert [(p.line, p.column, p.message) for p in ledger] == [(1, 11, "找不到党员 `m-east-a`")]


def test_a_member_changed_elsewhere_is_seen_by_unchanged_orgs_and_stories(registry, cached):
    """Stubs carry what cross-file rules read: an org's secretary losing the post, a story's member going private."""
    root = registry()
    assert validate(root, full=False).ok
    roster = root / "registry/members/east.yaml"
    text = roster.read_text(encoding="utf-8")
    assert "posts: [书记]" in text
    roster.write_text(
        text.replace("posts: [书记]", "posts: [委员]", 1).replace("  grade: 3A\n", "", 1), encoding="utf-8"
    )
    codes = {(p.file, p.code) for p in same_as_full(root).problems}
    assert ("registry/orgs/east.yaml", "secretary") in codes
    assert ("content/stories/east-road.md", "private-member") in codes


def test_a_secretary_who_opts_out_of_the_site_is_seen_by_an_unchanged_story(registry, cached):
    root = registry()
    assert validate(root, full=False).ok
    roster = root / "registry/members/east.yaml"
    text = roster.read_text(encoding="utf-8")
    roster.write_text(text.replace("  grade: 3A\n", "  grade: 3A\n  public: false\n", 1), encoding="utf-8")
    codes = [(p.file, p.code) for p in same_as_full(root).problems]
    assert codes == [("content/stories/east-road.md", "private-member")]


def test_a_duplicate_id_across_rosters_is_placed_in_both_files(registry, cached):
    root = registry()
    assert validate(root, full=False).ok
    west = root / "registry/members/west.yaml"
    first_id = (root / "registry/members/east.yaml").read_text(encoding="utf-8").split("\n", 1)[0]
    west.write_text(
        west.read_text(encoding="utf-8") + first_id + "\n  name: 重名\n  org: west\n  status: 入党积极分子\n",
        encoding="utf-8",
    )
    problems = same_as_full(root).problems
    duplicate = [p for p in problems if p.code == "duplicate-id"]
    assert len(duplicate) == 1 and duplicate[0].file == "registry/members/west.yaml"
    assert "registry/members/east.yaml 第 1 行" in duplicate[0].message


def test_a_deleted_file_leaves_the_state(registry, cached, loads):
    root = registry()
    assert validate(root, full=False).ok
    (root / "registry/points/ledger/east-2026.yaml").unlink()
    (root / "registry/activities/town-2026.yaml").unlink()
    result = same_as_full(root)
    assert result.ok
    loads.clear()
    assert validate(root, full=False).records == result.records and loads == []


def test_a_damaged_state_is_only_a_cold_start(registry, cached, loads):
    root = registry()
    validate(root, full=False)
    states = list((cached / "state").iterdir())
    assert len(states) == 1
    buckets = sorted(states[0].iterdir())
    assert buckets
    buckets[0].write_bytes(b"not a pickle")
    loads.clear()
    assert validate(root, full=False).ok
    assert 0 < len(loads) < validate(root, full=False).files  # that bucket's files only


def test_an_edit_rewrites_one_bucket(registry, cached, settled):
    """One bucket of payloads; the rules' findings (`findings.pickle`, test_findings_memo.py) have their own file."""
    root = registry()
    validate(root, full=False)
    folder = next((cached / "state").iterdir())
    before = {path.name: path.stat().st_mtime_ns for path in folder.glob("[0-9][0-9].pickle")}
    assert len(before) > 3
    roster = root / "registry/members/west.yaml"
    roster.write_text(roster.read_text(encoding="utf-8") + "# 备注\n", encoding="utf-8")
    validate(root, full=False)
    after = {path.name: path.stat().st_mtime_ns for path in folder.glob("[0-9][0-9].pickle")}
    assert before.keys() == after.keys()
    assert [name for name in before if before[name] != after[name]] == [
        f"{State.bucket('registry/members/west.yaml'):02d}.pickle"
    ]


def test_without_a_cache_it_still_agrees(registry, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    root = registry(
        {"registry/members/west.yaml": "- id: m-west-x\n  name: 某人\n  org: nowhere\n  status: 正式党员\n"}
    )
    result = same_as_full(root)
    assert {p.code for p in result.problems} >= {"unknown-ref", "joined"}


def test_the_bulk_kinds_with_images_are_known():
    """Stubs carry each record's asset paths (summary.py), so the image rule sees a bulk record's images: an
    activity's photos (test_gallery.py checks that `dangjian validate` and a full validation report them alike).
    A bulk kind gaining images must be checked the same way."""

    def has_asset(schema) -> bool:
        if isinstance(schema, Asset):
            return True
        inner = [f.type for f in getattr(schema, "fields", ())] + [
            getattr(schema, name, None) for name in ("item", "key", "value")
        ]
        return any(has_asset(child) for child in inner if child is not None)

    assert has_asset(RECORD_TYPES["story"].schema) and has_asset(RECORD_TYPES["brand"].schema)
    assert [kind for kind in BULK_KINDS if has_asset(RECORD_TYPES[kind].schema)] == ["activity"]
