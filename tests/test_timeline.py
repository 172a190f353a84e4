"""timeline.py: a record as of a day, its changes, and the properties any history keeps.

Examples with expectations written by hand (a secretary's 5A moves, a 发展党员 pipeline, a flow out and
back, an org renamed and 转化), then Hypothesis properties over random histories."""

from __future__ import annotations

import datetime
import importlib.util
import subprocess
import sys
from typing import Any
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from dangjian.recordtypes import GRADES, LEAVINGS, MEMBER_STATUSES, POSTS
from dangjian.rolls import Rolls
from dangjian.timeline import (
    Change,
    MEMBER_FIELDS,
    MemberState,
    member_changes,
    member_state,
    member_steps,
    ORG_FIELDS,
    org_changes,
    org_field,
    org_state,
    org_steps,
)

D = datetime.date


def secretary() -> dict[str, Any]:
    return {
        "id": "m-sec",
        "org": "east",
        "status": "正式党员",
        "joined": D(2001, 7, 1),
        "posts": ["书记"],
        "grade": "4A",
        "history": [
            {"date": D(2015, 1, 1), "org": "east", "status": "正式党员", "posts": ["书记"], "grade": "3A"},
            {"date": D(2018, 1, 1), "grade": "4A"},
            {"date": D(2021, 1, 1), "grade": "5A"},
            {"date": D(2023, 1, 1), "grade": "4A"},
        ],
    }


def test_a_secretary_grade_on_each_day_and_its_moves():
    data = secretary()
    assert member_state(data, D(2014, 12, 31)).grade is None  # before the first grade event: none
    assert member_state(data, D(2015, 1, 1)).grade == "3A"
    assert member_state(data, D(2020, 6, 1)).grade == "4A"
    assert member_state(data, D(2022, 6, 1)).grade == "5A"
    assert member_state(data).grade == "4A"
    moves = [(c.date, c.before, c.after, c.grade_move) for c in member_changes(data) if c.field == "grade"]
    assert moves == [
        (D(2015, 1, 1), None, "3A", None),  # the first grade is no move
        (D(2018, 1, 1), "3A", "4A", "晋档"),
        (D(2021, 1, 1), "4A", "5A", "晋档"),
        (D(2023, 1, 1), "5A", "4A", "降档"),
    ]


def test_a_pipeline_from_application_to_full_membership():
    data = {
        "id": "m-new",
        "org": "east",
        "status": "正式党员",
        "joined": D(2024, 7, 1),
        "history": [
            {"date": D(2022, 3, 1), "org": "east", "status": "入党申请人"},
            {"date": D(2022, 9, 1), "status": "入党积极分子"},
            {"date": D(2023, 9, 1), "status": "发展对象"},
            {"date": D(2024, 7, 1), "status": "预备党员"},
            {"date": D(2025, 7, 1), "status": "正式党员"},
        ],
    }
    assert member_state(data, D(2022, 2, 28)).status is None
    assert member_state(data, D(2022, 2, 28)).org is None  # not yet on a roll of this registry
    assert [member_state(data, D(y, 12, 31)).status for y in range(2022, 2026)] == [
        "入党积极分子",
        "发展对象",
        "预备党员",
        "正式党员",
    ]
    assert not member_state(data, D(2024, 6, 30)).in_party
    assert member_state(data, D(2024, 7, 1)).in_party
    rolls = _rolls({"m-new": data}, {})
    assert not rolls.in_party("m-new", D(2024, 6, 30))
    assert rolls.in_party("m-new", D(2024, 7, 1))


def test_a_flow_out_and_back_and_leaving():
    data = {
        "id": "m-kite",
        "org": "east",
        "status": "正式党员",
        "joined": D(2000, 7, 1),
        "history": [
            {"date": D(2019, 3, 1), "flow": "out", "place": "苏州"},
            {"date": D(2022, 5, 1), "flow": "end"},
            {"date": D(2025, 1, 1), "left": "转出"},
        ],
    }
    assert member_state(data, D(2019, 2, 28)).flow is None
    assert member_state(data, D(2020, 1, 1)).flow == ("out", "苏州")
    assert member_state(data, D(2022, 5, 1)).flow is None
    assert member_state(data, D(2024, 12, 31)).in_party
    assert member_state(data, D(2025, 1, 1)).left == "转出"
    assert not member_state(data, D(2025, 1, 1)).in_party
    rolls = _rolls({"m-kite": data}, {})
    assert rolls.members_of(D(2024, 12, 31)).get("east") == ["m-kite"]
    assert rolls.members_of(D(2025, 1, 1)).get("east", []) == []


def test_an_org_renamed_moved_and_turned_round():
    data = {
        "id": "north",
        "name": "北村党支部",
        "parent": "town-b",
        "founded": D(2010, 1, 1),
        "history": [
            {"date": D(2012, 1, 1), "name": "北村党支部", "parent": "town-a"},
            {"date": D(2016, 1, 1), "weak": True, "benchmark": "east"},
            {"date": D(2019, 1, 1), "parent": "town-b"},
            {"date": D(2020, 6, 1), "weak": False},
            {"date": D(2021, 1, 1), "name": "北村社区党支部"},
        ],
    }
    assert not org_state(data, D(2009, 12, 31)).exists
    assert org_state(data, D(2011, 1, 1)).parent == "town-a"  # the first value reaches back to founding
    on_2017 = org_state(data, D(2017, 1, 1))
    assert (on_2017.weak, on_2017.benchmark) == (True, "east")
    on_2020 = org_state(data, D(2020, 6, 1))
    assert (on_2020.weak, on_2020.benchmark) == (False, None)  # 转化 ends the pairing
    assert org_state(data).name == "北村社区党支部"
    assert [(c.field, c.before, c.after) for c in org_changes(data)] == [
        ("weak", False, True),
        ("benchmark", None, "east"),
        ("parent", "town-a", "town-b"),
        ("weak", True, False),
        ("benchmark", "east", None),  # 转化 ends the pairing: a change no event writes
        ("name", "北村党支部", "北村社区党支部"),
    ]
    assert [step.before.weak for step in org_steps(data)] == [False, False, True, True, False]


def test_the_tree_on_a_day_follows_moves():
    north = {"id": "north", "name": "北", "parent": "b", "history": [{"date": D(2012, 1, 1), "parent": "a"}]}
    north["history"].append({"date": D(2019, 1, 1), "parent": "b"})
    orgs = {"a": {"id": "a", "name": "甲"}, "b": {"id": "b", "name": "乙"}, "north": north}
    rolls = _rolls({}, orgs)
    assert rolls.subtree("a", D(2015, 1, 1)) == ["a", "north"]
    assert rolls.subtree("a", D(2019, 1, 1)) == ["a"]
    assert rolls.subtree("b") == ["b", "north"]


def _rolls(members: dict, orgs: dict) -> Rolls:
    """rolls.Rolls over plain records: the tree and the rolls as the files say them today."""
    children: dict[str, list[str]] = {}
    for org_id, org in sorted(orgs.items()):
        if org.get("parent"):
            children.setdefault(org["parent"], []).append(org_id)
    members_of: dict[str, list[str]] = {}
    for member_id, member in sorted(members.items()):
        members_of.setdefault(member["org"], []).append(member_id)
    return Rolls(SimpleNamespace(members=members, orgs=orgs, children=children, members_of=members_of))


def test_the_first_day_there_is_has_a_day_before_it():
    """An event on 0001-01-01 (a valid date in a file): the state before it has no day before it to ask for."""
    data = {"id": "m-old", "org": "east", "status": "正式党员", "history": [{"date": D(1, 1, 1), "grade": "1A"}]}
    assert [(c.before, c.after) for c in member_changes(data)] == [(None, "1A")]
    assert member_steps(data)[0].before.grade is None


def test_the_old_timeline_crashed_on_the_first_day():
    """The bug the previous test guards against, seen in the version before it was fixed (commit 0997f0d)."""
    source = subprocess.run(
        ["git", "show", "0997f0d:generator/dangjian/timeline.py"], cwd=REPO, capture_output=True, text=True
    )
    if source.returncode != 0:
        pytest.skip("history of the repository not available")
    spec = importlib.util.spec_from_loader("dangjian._old_timeline", loader=None)
    assert spec is not None
    old = importlib.util.module_from_spec(spec)
    old.__dict__["__package__"] = "dangjian"
    sys.modules[spec.name] = old
    try:
        exec(compile(source.stdout, "old_timeline.py", "exec"), old.__dict__)
        data = {"id": "m-old", "org": "east", "status": "正式党员", "history": [{"date": D(1, 1, 1), "grade": "1A"}]}
        with pytest.raises(OverflowError):
            old.member_changes(data)
    finally:
        del sys.modules[spec.name]


# Properties

days = st.dates(min_value=D(1990, 1, 1), max_value=D(2030, 12, 31))
member_event = st.fixed_dictionaries(
    {"date": days},
    optional={
        "status": st.sampled_from(MEMBER_STATUSES),
        "org": st.sampled_from(["east", "west", "north"]),
        "posts": st.lists(st.sampled_from(POSTS), unique=True, max_size=3),
        "grade": st.sampled_from(GRADES),
        "flow": st.sampled_from(["out", "in", "end"]),
        "place": st.sampled_from(["上海", "苏州"]),
        "left": st.sampled_from(LEAVINGS),
    },
)
base_member = st.fixed_dictionaries(
    {"id": st.just("m-x"), "org": st.sampled_from(["east", "west"]), "status": st.sampled_from(MEMBER_STATUSES)},
    optional={
        "posts": st.lists(st.sampled_from(POSTS), unique=True, max_size=2),
        "grade": st.sampled_from(GRADES),
        "flow": st.fixed_dictionaries(
            {"direction": st.sampled_from(["out", "in"]), "place": st.just("南京")}, optional={"since": days}
        ),
    },
)
members_with_history = st.tuples(base_member, st.lists(member_event, min_size=1, max_size=8)).map(
    lambda pair: {**pair[0], "history": pair[1]}
)


@settings(max_examples=150, deadline=None)
@given(members_with_history)
def test_the_state_after_the_last_event_is_the_current_state(data):
    last = max(event["date"] for event in data["history"])
    assert member_steps(data)[-1].after == member_state(data, last)
    since = data.get("flow", {}).get("since", last)  # the record's own flow, when dated, begins that day
    assert member_state(data, max(last, since)) == member_state(data)


@settings(max_examples=150, deadline=None)
@given(members_with_history)
def test_replaying_the_changes_gives_the_final_state(data):
    state = member_steps(data)[0].before
    fields = {name: getattr(state, name) for name in MEMBER_FIELDS}
    for change in member_changes(data):
        assert fields[change.field] == change.before
        fields[change.field] = change.after
    last = max(event["date"] for event in data["history"])
    if not any("flow" in event for event in data["history"]):
        # the record's own flow is no event: it begins on its `since`, a day, and no change reports it
        fields["flow"] = member_state(data, last).flow
    assert MemberState(**fields) == member_state(data, last)


@settings(max_examples=100, deadline=None)
@given(base_member, days, days)
def test_a_record_without_history_is_timeless(data, one, other):
    if isinstance(data.get("flow"), dict):
        data["flow"].pop("since", None)  # a flow with `since` begins that day: the one thing that is dated
    assert member_state(data, one) == member_state(data, other) == member_state(data)
    assert member_changes(data) == []


@settings(max_examples=150, deadline=None)
@given(members_with_history, st.randoms(use_true_random=False))
def test_events_of_a_day_keep_their_file_order_wherever_the_days_are_written(data, rnd):
    """Moving whole days about changes nothing; within a day, the later event in the file wins."""
    history = data["history"]
    shuffled = list(enumerate(history))
    rnd.shuffle(shuffled)
    # put each day's events back in their file order, at the positions the shuffle gave that day
    by_day: dict[D, list[dict]] = {}
    for _, event in sorted(shuffled, key=lambda item: item[0]):
        by_day.setdefault(event["date"], []).append(event)
    moved = [by_day[event["date"]].pop(0) for _, event in shuffled]
    other = {**data, "history": moved}
    for day in sorted({event["date"] for event in history}):
        assert member_state(other, day) == member_state(data, day)
    position = {id(event): index for index, event in enumerate(moved)}
    assert member_changes(other) == [
        Change(change.date, change.field, change.before, change.after, position[id(history[change.index])])
        for change in member_changes(data)
    ]


@settings(max_examples=100, deadline=None)
@given(days, st.sampled_from(GRADES), st.sampled_from(GRADES))
def test_the_later_of_two_events_on_one_day_wins(day, first, second):
    data = {
        "id": "m-x",
        "org": "east",
        "status": "正式党员",
        "posts": ["书记"],
        "history": [{"date": day, "grade": first}, {"date": day, "grade": second}],
    }
    assert member_state(data, day).grade == second
    assert member_state(data, day - datetime.timedelta(days=1)).grade is None


org_event = st.fixed_dictionaries(
    {"date": days},
    optional={
        "name": st.sampled_from(["甲村党支部", "乙村党支部"]),
        "parent": st.sampled_from(["town-a", "town-b"]),
        "weak": st.booleans(),
        "benchmark": st.sampled_from(["east", "west"]),
    },
)
orgs_with_history = st.tuples(
    st.fixed_dictionaries(
        {"id": st.just("o-x"), "name": st.just("丙村党支部"), "parent": st.just("town-a")},
        optional={"weak": st.booleans(), "benchmark": st.just("east")},
    ),
    st.lists(org_event, min_size=1, max_size=8),
).map(lambda pair: {**pair[0], "history": pair[1]})


@settings(max_examples=150, deadline=None)
@given(orgs_with_history)
def test_an_org_replayed_from_its_changes_is_its_final_state(data):
    last = max(event["date"] for event in data["history"])
    assert org_state(data, last) == org_state(data)  # never dissolved: exists on both
    state = {name: getattr(org_steps(data)[0].before, name) for name in ("name", "parent", "weak", "benchmark")}
    for change in org_changes(data):
        assert state[change.field] == change.before
        state[change.field] = change.after
    final = org_state(data)
    assert state == {name: getattr(final, name) for name in state}
    assert not (final.benchmark is not None and final.weak is False and _turned_round(data))


@settings(max_examples=150, deadline=None)
@given(orgs_with_history, days)
def test_one_field_of_an_org_on_a_day_is_the_org_s_state_s(data, day):
    """`org_field` (the counting reads an org's parent on a day, and nothing else of it) agrees with `org_state`
    on every field, on the days of the events, the days before them, and any day."""
    dates = [e["date"] for e in data["history"]]
    for when in [None, day, *dates, *(d - D.resolution for d in dates)]:
        state = org_state(data, when)
        assert {name: org_field(data, name, when) for name in ORG_FIELDS} == {n: getattr(state, n) for n in ORG_FIELDS}


def _turned_round(data: dict) -> bool:
    """The last event writing `weak` or `benchmark` is a 转化 without a benchmark: the pairing ended."""
    writers = [e for e in sorted(data["history"], key=lambda e: e["date"]) if "weak" in e or "benchmark" in e]
    return bool(writers) and writers[-1].get("weak") is False and "benchmark" not in writers[-1]
