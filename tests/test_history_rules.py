"""rules/history.py beyond the bad cases: ledger entries (which `dangjian validate` does not hold, so their
rule is run directly, on a registry validated in full), and properties: any valid history passes, and each
kind of damage is caught."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import REPO, apply_overlay, copy_minimal
from dangjian.load import load_source
from dangjian.rules import record_problems
from dangjian.rules.history import ledger_in_party
from dangjian.timeline import member_state
from dangjian.validate import validate

D = datetime.date
PATH = "registry/members/history.yaml"


def test_a_ledger_entry_from_before_joining_is_reported_at_its_date(tmp_path):
    root = apply_overlay(
        copy_minimal(tmp_path / "r"),
        {
            PATH: "- id: m-late\n  name: 韩雪松\n  org: east\n  status: 预备党员\n  joined: 2026-03-01\n"
            "  history:\n    - date: 2026-03-01\n      status: 预备党员\n",
            "registry/points/ledger/late.yaml": "- member: m-late\n  date: 2026-02-01\n  rule: absent\n"
            "- member: m-late\n  date: 2026-03-01\n  rule: absent\n",
        },
    )
    result = validate(root, full=True)
    assert result.problems == []  # not listed in ALL_RULES yet (see ledger_in_party)
    found = [(p.file, p.line, p.column, p.message) for p in ledger_in_party(result.registry)]
    assert found == [
        ("registry/points/ledger/late.yaml", 2, 9, "`m-late` 在 2026-02-01 还没有入党（入党日期 2026-03-01）"),
    ]


def test_a_member_without_history_is_not_dated(tmp_path):
    """Version 1.1 records mean what they meant: attendance before `joined` of a member without a history is
    not this rule's to judge."""
    root = apply_overlay(
        copy_minimal(tmp_path / "r"),
        {"registry/points/ledger/late.yaml": "- member: m-east-a\n  date: 2020-02-01\n  rule: absent\n"},
    )
    assert list(ledger_in_party(validate(root, full=True).registry)) == []


# Properties: a random valid history (a pipeline, then posts, grades, flows, transfers, maybe leaving)


@st.composite
def valid_histories(draw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    joined = draw(st.dates(min_value=D(1990, 1, 1), max_value=D(2010, 12, 31)))
    stages = ["入党申请人", "入党积极分子", "发展对象"][3 - draw(st.integers(0, 3)) :]
    history: list[dict[str, Any]] = [
        {"date": joined - datetime.timedelta(days=200 * (len(stages) - k)), "status": stage}
        for k, stage in enumerate(stages)
    ]
    history.append({"date": joined, "status": "预备党员"})
    history[0]["org"] = "east"
    day, posts, flowing, status = joined, (), False, "预备党员"
    graded_on = None  # a day is one state (its last): a grade's day must end with 书记 among the posts
    for _ in range(draw(st.integers(0, 8))):
        day += datetime.timedelta(days=draw(st.integers(0, 500)))
        choices = ["posts", "flow", "org"] + (["status"] if status == "预备党员" else [])
        choices += ["grade"] if "书记" in posts else []
        action = draw(st.sampled_from(choices))
        if action == "status":
            event: dict[str, Any] = {"status": "正式党员"}
            status = "正式党员"
        elif action == "posts":
            posts = tuple(draw(st.lists(st.sampled_from(["书记", "副书记", "委员"]), unique=True, max_size=2)))
            event = {"posts": list(posts)}
            if "书记" not in posts and graded_on == day:
                day += datetime.timedelta(days=1)
        elif action == "grade":
            event = {"grade": draw(st.sampled_from(["1A", "2A", "3A", "4A", "5A"]))}
            graded_on = day
        elif action == "flow":
            event = {"flow": "end"} if flowing else {"flow": draw(st.sampled_from(["out", "in"])), "place": "苏州"}
            flowing = not flowing
        else:
            event = {"org": draw(st.sampled_from(["east", "west"]))}
        history.append({"date": day, **event})
    if draw(st.booleans()):
        history.append({"date": day + datetime.timedelta(days=draw(st.integers(0, 300))), "left": "转出"})
    member = {"id": "m-prop", "name": "林一帆", "joined": joined, "history": history}
    final = member_state(member)
    member.update(status=final.status, org=final.org)
    if final.posts:
        member["posts"] = list(final.posts)
        if final.grade is not None and "书记" in final.posts:
            member["grade"] = final.grade
    if final.flow is not None:
        member["flow"] = {"direction": final.flow[0], "place": final.flow[1]}
    return member, history


def _yaml(member: dict[str, Any], history: list[dict[str, Any]]) -> str:
    lines = [f"- id: {member['id']}", f"  name: {member['name']}", f"  org: {member['org']}"]
    lines += [f"  status: {member['status']}", f"  joined: {member['joined']}"]
    if "posts" in member:
        lines.append(f"  posts: [{', '.join(member['posts'])}]")
    if "grade" in member:
        lines.append(f"  grade: {member['grade']}")
    if "flow" in member:
        lines += ["  flow:", f"    direction: {member['flow']['direction']}", f"    place: {member['flow']['place']}"]
    lines.append("  history:")
    for event in history:
        lines.append(f"    - date: {event['date']}")
        for name, value in event.items():
            if name != "date":
                lines.append(
                    f"      {name}: [{', '.join(value)}]" if isinstance(value, list) else f"      {name}: {value}"
                )
    return "\n".join(lines) + "\n"


def _problems(text: str) -> list[tuple[int, int, str]]:
    loaded = load_source(text.encode(), PATH, "member")
    found = [*loaded.problems, *(p for record in loaded.records for p in record_problems(record))]
    return [(p.line, p.column, p.message) for p in found]


@settings(max_examples=120, deadline=None)
@given(valid_histories())
def test_any_valid_history_passes(made):
    member, history = made
    assert _problems(_yaml(member, history)) == []


def test_a_grade_on_a_day_that_ends_without_the_secretary_post_is_reported():
    """A day is one state, its last: a grade given the day the member stops being 书记 is reported (found by the
    property above, whose generator made such a day until it kept to this rule)."""
    day = D(2000, 1, 1)
    history = [
        {"date": day, "status": "预备党员", "org": "east"},
        {"date": day, "posts": ["书记"]},
        {"date": day, "grade": "1A"},
        {"date": day, "posts": []},
    ]
    member = {"id": "m-prop", "name": "林一帆", "org": "east", "status": "预备党员", "joined": day}
    assert _problems(_yaml(member, history)) == [(13, 14, "2000-01-01 这一天没有担任书记，不能有书记星级")]
    history[-1]["date"] = D(2000, 1, 2)  # left the post the next day: the grade stands
    assert _problems(_yaml(member, history)) == []


@settings(max_examples=120, deadline=None)
@given(valid_histories(), st.data())
def test_an_event_moved_above_an_earlier_one_is_reported_at_its_date(made, data):
    member, history = made
    later = [k for k in range(1, len(history)) if history[k]["date"] > history[0]["date"]]
    assume(later)
    k = data.draw(st.sampled_from(later))
    moved = [history[k], *history[:k], *history[k + 1 :]]
    text = _yaml(member, moved)
    date_line = text.splitlines().index(f"    - date: {history[0]['date']}") + 1
    assert (date_line, 13, f"这一条的日期 {history[0]['date']} 早于上一条的 {history[k]['date']}") in _problems(text)


@settings(max_examples=80, deadline=None)
@given(valid_histories(), st.sampled_from(["status", "org"]))
def test_a_current_field_that_differs_from_the_history_is_reported(made, name):
    member, history = made
    other = {"status": {"正式党员": "预备党员", "预备党员": "正式党员"}, "org": {"east": "west", "west": "east"}}
    member[name] = other[name][member[name]]
    text = _yaml(member, history)
    messages = [message for _, _, message in _problems(text)]
    assert any(message.startswith(f"`{name}` 写的是 {member[name]}，但履历里") for message in messages)


def test_the_member_example_of_the_format_passes_and_means_what_it_says():
    """docs/registry-format.md's example of a member's history: no problem, and its states as annotated."""
    text = (REPO / "docs/registry-format.md").read_text(encoding="utf-8")
    section = text.split("## Dated histories", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert _problems(example) == []
    member = load_source(example.encode(), PATH, "member").records[0].data
    assert member_state(member, D(2017, 6, 30)).status == "预备党员"
    assert member_state(member, D(2017, 7, 1)).status == "正式党员"
    assert member_state(member, D(2023, 6, 1)).flow == ("out", "苏州")
    assert member_state(member).flow is None


HOSTILE = """- id: m-odd
  name: 古怪
  org: east
  status: 正式党员
  joined: 2001-07-01
  history:
    - 2020-01-01
    -
    - date: 2020-02-30
      grade: 9A
    - date: 0001-01-01
      org: nowhere
      posts: 书记
    - date: 2020-03-01
      flow: sideways
      place: [一, 二]
    - {date: 2021-01-01, left: 转出, status: 入党申请人}
    - date: 2022-01-01
      org: west
- id: m-odd-2
  name: 古怪二
  org: east
  status: 正式党员
  joined: 2001-07-01
  history: 不是列表
"""

HOSTILE_ORG = """id: odd
name: 古怪村党支部
kind: 党支部
parent: town
domain: 农村
history:
  - date: 2020-01-01
    parent: odd
    benchmark: odd
    weak: 也许
  - date: 2019-01-01
    parent: nowhere
  - date: 0001-01-01
    name: 古怪村
  - 2020
"""


@pytest.mark.parametrize("full", [True, False])
def test_hostile_histories_are_problems_never_a_crash(tmp_path, full):
    root = apply_overlay(copy_minimal(tmp_path / "r"), {PATH: HOSTILE, "registry/orgs/odd.yaml": HOSTILE_ORG})
    problems = validate(root, full=full).problems
    assert problems, "the files are wrong"
    assert not [p for p in problems if p.code == "internal"], [p.message for p in problems if p.code == "internal"]
    assert all(p.hint for p in problems)
    found = {(p.file, p.line, p.column, p.message) for p in problems}
    # the two items the schema dropped above it (a bare date, an empty item) do not shift it to another line
    assert (PATH, 18, 13, "2022-01-01 这一条在 2021-01-01 离开之后：离开以后不再记履历") in found
    assert ("registry/orgs/odd.yaml", 8, 13, "组织不能是自己的上级") in found
    assert ("registry/orgs/odd.yaml", 9, 16, "组织不能与自己结对") in found
    # an event whose fields were all written wrong is reported for them, not as an event changing nothing
    assert not [p for p in problems if p.code == "history-empty"]
