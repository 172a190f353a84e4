"""Properties: every generated valid registry validates cleanly; no corrupted file ever crashes the validator."""

from __future__ import annotations

import datetime
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL, copy_minimal
from dangjian.recordtypes import ACTIVITY_KINDS, GRADES, MEMBER_STATUSES, ORG_DOMAINS, ORG_KINDS, POSTS, SCORED_STATUSES
from dangjian.validate import validate

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,  # write nothing outside the test's temporary folders
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GENERATED_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=100)  # each example writes a whole registry

# --- generated valid registries -----------------------------------------------------------------

IDEOGRAPH = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
CJK_TEXT = st.text(alphabet=st.one_of(IDEOGRAPH, st.sampled_from("·、（）《》")), min_size=1, max_size=16).filter(
    lambda s: any(0x4E00 <= ord(c) <= 0x9FFF for c in s)
)
DATES = st.dates(min_value=datetime.date(1921, 7, 1), max_value=datetime.date(2030, 12, 31)).map(
    datetime.date.isoformat
)
OTHER_POSTS = [p for p in POSTS if p != "书记"]


@st.composite
def registries(draw) -> dict[str, object]:
    """{relative path: YAML value} of a random, valid registry (every scalar a string)."""
    files: dict[str, object] = {
        "registry/site.yaml": {"title": draw(CJK_TEXT), "root": "o0"},
        "registry/points/rules.yaml": {
            "base": "60",
            "cap": "100",
            "rules": [{"id": "activity", "name": "参加活动", "points": "2", "max_per_year": "24"}],
        },
    }
    count = draw(st.integers(1, 15))
    orgs = []
    for index in range(count + 1):
        org: dict[str, object] = {
            "id": f"o{index}",
            "name": draw(CJK_TEXT),
            "kind": draw(st.sampled_from(ORG_KINDS)),
            "domain": draw(st.sampled_from(ORG_DOMAINS)),
        }
        if index:
            org["parent"] = f"o{draw(st.integers(0, index - 1))}"
        if draw(st.booleans()):
            org["founded"] = draw(DATES)
        orgs.append(org)

    all_members: list[str] = []
    for org in orgs:
        roster = []
        for number in range(draw(st.integers(0, 4))):
            status = draw(st.sampled_from(MEMBER_STATUSES))
            member: dict[str, object] = {
                "id": f"m-{org['id']}-{number}",
                "name": draw(CJK_TEXT),
                "org": org["id"],
                "status": status,
            }
            if status in SCORED_STATUSES:
                member["joined"] = draw(DATES)
            posts = draw(st.lists(st.sampled_from(OTHER_POSTS), unique=True, max_size=2))
            if posts:
                member["posts"] = posts
            if draw(st.booleans()):
                member["born"] = str(draw(st.integers(1921, 2008)))
            if draw(st.booleans()):
                member["gender"] = draw(st.sampled_from(["男", "女"]))
            roster.append(member)
        if roster and draw(st.booleans()):
            secretary = roster[draw(st.integers(0, len(roster) - 1))]
            secretary["posts"] = ["书记", *secretary.get("posts", [])]
            if draw(st.booleans()):
                secretary["grade"] = draw(st.sampled_from(GRADES))
            org["secretary"] = secretary["id"]
        if roster:
            files[f"registry/members/{org['id']}.yaml"] = roster
        all_members.extend(m["id"] for m in roster)

    for org in orgs:
        files[f"registry/orgs/{org['id']}.yaml"] = org
        activities = []
        for number in range(draw(st.integers(0, 3))):
            activity: dict[str, object] = {
                "id": f"{org['id']}-a{number}",
                "org": org["id"],
                "date": draw(DATES),
                "kind": draw(st.sampled_from(ACTIVITY_KINDS)),
                "title": draw(CJK_TEXT),
            }
            attendees = draw(st.lists(st.sampled_from(all_members), unique=True, max_size=6)) if all_members else []
            if attendees:
                activity["attendees"] = attendees
                if draw(st.booleans()):
                    activity["rule"] = "activity"
            if draw(st.booleans()):
                activity["headcount"] = str(len(attendees) + draw(st.integers(0, 50)))
            activities.append(activity)
        if activities:
            files[f"registry/activities/{org['id']}.yaml"] = activities
    return files


def dates_in(value: object) -> list[str]:
    if isinstance(value, dict):
        return [d for v in value.values() for d in dates_in(v)]
    if isinstance(value, list):
        return [d for v in value for d in dates_in(v)]
    return [value] if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else []


def dump(value: object) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=4096)


@GENERATED_SETTINGS
@given(registries())
def test_generated_valid_registries_have_no_problems(files: dict[str, object]):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for rel, value in files.items():
            text = dump(value)
            for date in dates_in(value):
                assert date in text, "dates are written as YYYY-MM-DD"
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        result = validate(root)
        assert result.problems == []
        orgs = [rel for rel in files if rel.startswith("registry/orgs/")]
        assert len(result.registry.orgs) == len(orgs)


def test_generated_registry_writer_quotes_what_yaml11_would_change():
    text = dump({"date": "2015-06-07", "headcount": "12", "slogan": "no", "name": "溪南村党支部"})
    assert "date: '2015-06-07'" in text
    assert "headcount: '12'" in text
    assert "slogan: 'no'" in text
    assert "name: 溪南村党支部" in text


# --- single-byte corruption never crashes -------------------------------------------------------

MINIMAL_FILES = sorted(p.relative_to(MINIMAL).as_posix() for p in MINIMAL.rglob("*") if p.is_file())
INTERESTING_BYTES = st.sampled_from(list(b"[]{}:-#&*!|>'\"\t\n\r %@`?,.~\\\x00\x07\xe2\xef\xff"))
ANY_BYTE = st.one_of(INTERESTING_BYTES, st.integers(0, 255))


@st.composite
def corruptions(draw, data: bytes) -> bytes:
    """`data` with one byte replaced, deleted or inserted."""
    operation = draw(st.sampled_from(["replace", "delete", "insert"] if data else ["insert"]))
    if operation == "insert":
        offset = draw(st.integers(0, len(data)))
        return data[:offset] + bytes([draw(ANY_BYTE)]) + data[offset:]
    offset = draw(st.integers(0, len(data) - 1))
    if operation == "delete":
        return data[:offset] + data[offset + 1 :]
    return data[:offset] + bytes([draw(ANY_BYTE)]) + data[offset + 1 :]


def test_the_minimal_fixture_has_files_to_corrupt():
    assert "registry/site.yaml" in MINIMAL_FILES
    assert "content/stories/east-road.md" in MINIMAL_FILES
    assert len(MINIMAL_FILES) >= 15


@pytest.mark.parametrize("rel", MINIMAL_FILES)
def test_single_byte_corruption_never_crashes(rel: str, tmp_path: Path):
    root = copy_minimal(tmp_path / "root")
    target = root / rel
    original = target.read_bytes()

    @PROPERTY_SETTINGS
    @given(corruptions(original))
    def check(corrupted: bytes) -> None:
        target.write_bytes(corrupted)
        try:
            problems = validate(root).problems
        finally:
            target.write_bytes(original)
        internal = [p for p in problems if p.code == "internal"]
        assert internal == []
        for p in problems:
            assert p.line >= 1 and p.column >= 1, p
            assert p.message.strip(), p
            assert p.hint.strip(), p

    check()
    assert validate(root).problems == []
