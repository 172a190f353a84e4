"""A full validation (what `dangjian build` runs) keeps a state of its own (`validate._keyed`; issue 23).

Its records come from the parse cache as before; the state adds each file's key under the identity it had, so a
settled file is not read again to know its bytes, and the privacy rules' findings by file (`model.FileMemo`). What
a hostile or unlucky cache could do: an entry missing, damaged or of another type, a file changed in place or
swapped keeping its size and time. Every run must give what a run with no cache at all gives.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian import cache
from dangjian.rules import stories
from dangjian.validate import validate

from conftest import copy_minimal, validate_uncached

ROSTER = "registry/members/east.yaml"
STORY = "content/stories/east-road.md"


def _agrees(root: Path):
    """A full run with the state, checked against a run with no cache: its problems, its records (each one's
    data and file), and the keys it reports are those of the files' bytes now."""
    found = validate(root)
    pure = validate_uncached(root)
    assert found.problems == pure.problems
    assert _records(found) == _records(pure)
    assert found.keys == pure.keys
    return found


def _records(result) -> dict:
    return {
        kind: sorted((record.file, repr(record.data)) for record in records.values())
        for kind, records in result.registry.by_id.items()
    }


def test_a_settled_file_is_not_read_again(registry, cached, settled, reads):
    root = registry()
    first = validate(root)
    assert first.ok and len(set(reads)) == first.files
    reads.clear()
    again = validate(root)
    assert again.ok and again.records == first.records and reads == []
    assert again.keys == first.keys  # the keys of the bytes loaded, known without reading them
    roster = root / ROSTER
    roster.write_text(roster.read_text(encoding="utf-8") + "\n# 备注\n", encoding="utf-8")
    _agrees(root)
    reads.clear()
    validate(root)
    assert reads == []  # the edited file's new identity was kept too


def test_a_fresh_file_is_read_again(registry, cached, reads):
    """Within `RACY_NS` of its last change a file's identity is not trusted: it is read to know its bytes."""
    root = registry()
    validate(root)
    reads.clear()
    validate(root)
    assert ROSTER in reads


@pytest.mark.parametrize("renamed", [False, True], ids=["in-place", "renamed-over"])
def test_an_edit_keeping_size_and_mtime_is_seen(registry, cached, settled, renamed):
    root = registry()
    roster = root / ROSTER
    assert validate(root).ok
    before = roster.stat()
    text = roster.read_text(encoding="utf-8")
    saved = roster.with_name("east.yaml.new") if renamed else roster
    saved.write_text(text.replace("status: 正式党员", "status: 正式党贝", 1), encoding="utf-8")
    os.utime(saved, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(saved, roster)
    assert roster.stat().st_size == before.st_size and roster.stat().st_mtime_ns == before.st_mtime_ns
    found = _agrees(root)
    assert [(p.file, p.code) for p in found.problems] == [(ROSTER, "enum")]


def _parse_entries(folder: Path) -> list[Path]:
    return [p for p in (folder / "parse").rglob("*") if p.is_file() and not p.name.startswith(".tmp")]


@pytest.mark.parametrize("damage", ["removed", "garbage", "another type"])
def test_a_parse_cache_entry_of_no_use_is_not_used(registry, cached, settled, reads, damage):
    """The state knows each file's key, but the entry under it is gone, damaged, or holds something other than a
    file's records: the file is read and loaded again."""
    root = registry()
    assert validate(root).ok
    entries = _parse_entries(cached)
    assert entries
    for entry in entries:
        if damage == "removed":
            entry.unlink()
        elif damage == "garbage":
            entry.write_bytes(b"\x80\x04not a pickle")
        else:
            entry.write_bytes(pickle.dumps({"records": []}))
    reads.clear()
    _agrees(root)
    assert ROSTER in reads  # read again, its entry being of no use


def test_the_privacy_rules_keep_their_findings_in_a_full_run(registry, cached, settled, monkeypatch):
    """A story naming a private member is reported on every run; its file is checked for names once while its
    bytes and the private names stay the same, and again when a member is made private."""
    checked: list[str] = []
    real = stories.named_in_content
    monkeypatch.setattr(stories, "named_in_content", lambda r, n: checked.append(r.file) or real(r, n))
    root = registry()
    roster = root / ROSTER
    text = roster.read_text(encoding="utf-8")
    head, _, block = text.partition("- id: m-east-b\n")
    assert block and "public: true" in block
    story = (root / STORY).read_text(encoding="utf-8")
    (root / STORY).write_text(story + "\n赵大年带头修路。\n", encoding="utf-8")
    assert validate(root).ok and STORY in checked
    checked.clear()
    assert validate(root).ok and checked == []
    roster.write_text(head + "- id: m-east-b\n" + block.replace("public: true", "public: false", 1), encoding="utf-8")
    found = _agrees(root)
    assert (STORY, "private-member") in {(p.file, p.code) for p in found.problems}
    assert STORY in checked
    checked.clear()
    again = validate(root)
    assert again.problems == found.problems and checked == []


def test_record_rules_are_not_run_again_on_an_unchanged_file(registry, cached, settled, monkeypatch):
    """A record rule reads its record alone: a file whose bytes did not change keeps its problems (reported
    again), and only a changed file is checked."""
    import dangjian.rules as rules_package

    seen: list[str] = []
    real = rules_package.record_problems
    monkeypatch.setattr(rules_package, "record_problems", lambda record: seen.append(record.file) or real(record))
    root = registry()
    roster = root / ROSTER
    roster.write_text(roster.read_text(encoding="utf-8").replace("status: 入党积极分子", "status: 正式党员", 1))
    first = validate(root)
    assert [(p.file, p.code) for p in first.problems] == [(ROSTER, "joined")]
    assert ROSTER in seen
    seen.clear()
    assert validate(root).problems == first.problems and seen == []
    west = root / "registry/members/west.yaml"
    west.write_text(west.read_text(encoding="utf-8") + "\n# 备注\n", encoding="utf-8")
    seen.clear()
    assert validate(root).problems == first.problems
    assert set(seen) == {"registry/members/west.yaml"}
    assert validate_uncached(root).problems == first.problems


def test_references_are_checked_again_when_an_id_goes(registry, cached, settled, monkeypatch):
    """A file whose references all resolved is not checked again while the ids stay; when a member it names
    is renamed elsewhere, the unchanged file's reference is reported at its line."""
    from dangjian.rules import references

    seen: list[str] = []
    real = references.record_references
    monkeypatch.setattr(references, "record_references", lambda reg, r: seen.append(r.file) or real(reg, r))
    root = registry()
    assert validate(root).ok
    seen.clear()
    assert validate(root).ok and seen == []
    roster = root / ROSTER
    roster.write_text(roster.read_text(encoding="utf-8").replace("id: m-east-a\n", "id: m-east-z\n"))
    seen.clear()
    found = validate(root)
    assert len(set(seen)) > 1  # the ids changed: every file was checked again
    assert found.problems == validate_uncached(root).problems
    assert any(p.code == "unknown-ref" and p.file != ROSTER for p in found.problems)
    seen.clear()
    again = validate(root)
    assert again.problems == found.problems
    broken = {p.file for p in found.problems if p.code == "unknown-ref"}
    assert broken <= set(seen)  # a file with an unresolved reference is checked on every run


_EDITS = st.lists(
    st.tuples(
        st.sampled_from(["append", "status", "private", "swap", "remove story", "touch", "activate", "rename id"]),
        st.sampled_from([ROSTER, "registry/members/west.yaml", "registry/orgs/west.yaml", STORY]),
    ),
    min_size=1,
    max_size=4,
)


def _edit(root: Path, what: str, rel: str) -> None:
    path = root / rel
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    if what == "append":
        text += "\n# 备注\n"
    elif what == "status":
        text = text.replace("status: 正式党员", "status: 预备党员", 1)
    elif what == "private":
        text = text.replace("public: true", "public: false", 1)
    elif what == "activate":  # a record rule's problem: a scored member with no `joined`
        text = text.replace("status: 入党积极分子", "status: 正式党员", 1)
    elif what == "rename id":  # the references to it elsewhere break
        text = text.replace("id: m-east-a\n", "id: m-east-z\n", 1).replace("id: west\n", "id: west-z\n", 1)
    elif what == "remove story" and rel == STORY:
        path.unlink()
        return
    before = path.stat()
    if what == "swap":  # another file renamed over it, keeping size and modification time
        new = path.with_name(path.name + ".new")
        old, new_status = ("正式党员", "预备党员") if "正式党员" in text else ("预备党员", "正式党员")
        swapped = text.replace(old, new_status, 1)
        new.write_text(swapped, encoding="utf-8")  # the same size
        os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))
        os.replace(new, path)
        return
    path.write_text(text, encoding="utf-8")
    if what == "touch":
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_EDITS, min_size=1, max_size=3))
def test_property_full_runs_with_the_state_agree_with_uncached_runs(tmp_path_factory, steps):
    """Over random sequences of edits (in place, swapped, made private, removed, times kept), each run after an
    edit reports the problems and the records an uncached run reports."""
    base = tmp_path_factory.mktemp("state")
    root = copy_minimal(base / "root")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DANGJIAN_CACHE", str(base / "cache"))
        patch.setattr(cache, "RACY_NS", 0)
        validate(root)
        for edits in steps:
            for what, rel in edits:
                _edit(root, what, rel)
            _agrees(root)
