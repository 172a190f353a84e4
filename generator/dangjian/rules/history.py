"""Dated histories (履历 and 沿革): events in order, each a real change, consistent with the record itself.

A member's history is checked one record at a time (`RECORD_RULES`): the order of its events, what an
event may write, flows that overlap or end without beginning, the stages of 发展党员 (forward only), dates
against `joined` and leaving, grades held by secretaries, and the record's own fields against the state
after the last event. What reads other records is cross-file: the orgs an `org` event names, activity
attendance dated when the member was not in the party (ledger entries too, once summaries hold them: see
`ledger_in_party`), and orgs' histories (parents, benchmarks, the tree on each day). What an event means
is timeline.py's (its module docstring); this module only judges it. Members are named by id: a problem
is for the editors, never published.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

from ..load import Record
from ..model import Registry, reads
from ..problems import Problem
from ..recordtypes import MEMBER_STATUSES
from ..timeline import MEMBER_FIELDS, ORG_FIELDS, events, member_state, member_steps, org_exists, org_state, org_steps

EventList = list[tuple[int, dict[str, Any]]]

MEMBER_WHY_BEFORE_JOINING = {
    "posts": "入党前不能担任职务",
    "grade": "入党前没有书记星级",
    "flow": "入党前不算流动党员",
}


def _at(record: Record, index: int, name: str = "", mapped: bool = True) -> tuple[str | int, ...]:
    """The path of event `index` of the record's converted history (or of its field `name`) in the file.

    The schema drops items that are empty or not mappings (and reports them), which shifts the rest: the
    file's own list is read again, only here, when a problem is reported. Stubs (`mapped=False`: cross-file
    rules under `dangjian validate`) cannot read it, and keep the converted position in both ways."""
    raw = _raw_events(record) if mapped else None
    history = record.get("history")
    if raw is not None and isinstance(history, list):
        kept = [position for position, item in enumerate(raw) if isinstance(item, dict)]
        if len(kept) == len(history):
            index = kept[index]
    return ("history", index, name) if name else ("history", index)


def _raw_events(record: Record) -> list | None:
    """The record's `history:` as written in the file (raw YAML values), or None when it cannot be read."""
    tree = getattr(record.doc, "tree", None)
    node = tree() if callable(tree) else None
    for step in (*record.base, "history"):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node if isinstance(node, list) else None


def _in_file_order(record: Record) -> EventList:
    """The dated events of a record's history, in the order written."""
    return sorted(events(record.data), key=lambda item: item[0])


def _show(value: Any) -> str:
    if value is None:
        return "（无）"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _order(record: Record, what: str, in_file: EventList) -> Iterator[Problem]:
    """Each event is dated on or after the one written above it."""
    previous: datetime.date | None = None
    for index, event in in_file:
        day = event["date"]
        if previous is not None and day < previous:
            yield record.problem(
                _at(record, index, "date"),
                f"这一条的日期 {day} 早于上一条的 {previous}",
                f"{what}按日期先后排列：把这一条移到前面去，或改正日期",
                "history-order",
            )
        previous = day


def _changes_something(record: Record, fields: tuple[str, ...]) -> Iterator[Problem]:
    """An event writes at least one field beside its date and note."""
    history = record.get("history")
    for index, event in enumerate(history if isinstance(history, list) else []):
        if isinstance(event, dict) and not any(name in event for name in fields) and _only_dated(record, index):
            yield record.problem(
                _at(record, index),
                "这一条只有日期（或说明），没有写变化了什么",
                f"写上这一天起变化的字段（{'、'.join(fields)}），或删除这一条",
                "history-empty",
            )


def _only_dated(record: Record, index: int) -> bool:
    """Whether the event as written holds nothing but `date` and `note` (a field written with a wrong value
    was dropped by the schema and reported there: the event did mean to change something)."""
    raw = _raw_events(record)
    position = _at(record, index)[1]
    if raw is None or not isinstance(position, int) or position >= len(raw) or not isinstance(raw[position], dict):
        return True
    return set(raw[position]) <= {"date", "note"}


# Members, one record at a time


def member_history(member: Record) -> Iterator[Problem]:
    """A member's 履历: in order, each event a change, flows and stages that make sense, dates that fit."""
    if not member.get("history"):
        return
    in_file = _in_file_order(member)
    yield from _order(member, "履历", in_file)
    yield from _changes_something(member, MEMBER_FIELDS)
    yield from _places(member, in_file)
    yield from _replayed(member)


def _places(member: Record, in_file: EventList) -> Iterator[Problem]:
    """`place` goes with `flow: out` or `flow: in`, and they need it."""
    for index, event in in_file:
        starts = event.get("flow") in ("out", "in")
        if "place" in event and not starts:
            yield member.problem(
                _at(member, index, "place"),
                "`place` 只与 `flow: out` 或 `flow: in` 同写",
                "流动结束（flow: end）不写地点：删除 place，或写上流动的开始",
                "history-place",
            )
        elif starts and "place" not in event:
            yield member.problem(
                _at(member, index, "flow"),
                f"`flow: {event['flow']}` 要写流动地点 `place`",
                "加一行 `place: …`：流出到哪里，或从哪里流入",
                "history-place",
            )


def _next_step(status: str) -> str:
    if status == "预备党员":
        return "预备党员的下一步是转正：写 `status: 正式党员`"
    if status == MEMBER_STATUSES[-1]:
        return "正式党员已是最后一个阶段：删除这一条，或改正前面的阶段"
    return f"{status}的下一步是{MEMBER_STATUSES[MEMBER_STATUSES.index(status) + 1]}"


def _replayed(member: Record) -> Iterator[Problem]:
    """What each event does to the state it finds, in date order (events of a day in file order)."""
    joined = member.get("joined")
    left_on: datetime.date | None = None
    began: datetime.date | None = None  # the day the flow under way began
    steps = member_steps(member.data)
    end_of_day = {step.event["date"]: step.after for step in steps}  # the last event of a day wins
    for step in steps:
        event, day, index = step.event, step.event["date"], step.index
        if left_on is not None:
            yield _after_leaving(member, index, event, day, left_on)
            continue
        yield from _stage(member, index, event, step.before.status, joined)
        if isinstance(joined, datetime.date) and day < joined:
            for name, why in MEMBER_WHY_BEFORE_JOINING.items():
                if name in event and event[name] != []:
                    yield member.problem(
                        _at(member, index, name),
                        f"{day} 早于入党日期 {joined}：{why}",
                        "检查这一条的日期，或该党员的 joined",
                        "history-before-joined",
                    )
        yield from _flow(member, index, event, step.before.flow, began)
        if "flow" in event:
            began = day if event["flow"] in ("out", "in") else None
        if "grade" in event and "书记" not in end_of_day[day].posts:
            yield member.problem(
                _at(member, index, "grade"),
                f"{day} 这一天没有担任书记，不能有书记星级",
                "在这一条或更早的一条里写上含 书记 的 `posts`",
                "history-grade",
            )
        if "left" in event:
            left_on = day


def _after_leaving(member: Record, index: int, event: Mapping[str, Any], day: datetime.date, left_on: Any) -> Problem:
    if "left" in event:
        return member.problem(
            _at(member, index, "left"),
            f"已在 {left_on} 离开，不能再离开一次",
            "删除这一条；离开后又转回来的党员，新建一条记录",
            "history-after-left",
        )
    return member.problem(
        _at(member, index, "date"),
        f"{day} 这一条在 {left_on} 离开之后：离开以后不再记履历",
        "删除这一条，或改正日期（离开的那一条要写在最后）",
        "history-after-left",
    )


def _stage(member: Record, index: int, event: Mapping[str, Any], before: str | None, joined: Any) -> Iterator[Problem]:
    """发展党员: the stage only moves forward, and 预备党员 begins on `joined`."""
    if "status" not in event:
        return
    status = event["status"]
    if before is not None and MEMBER_STATUSES.index(status) <= MEMBER_STATUSES.index(before):
        yield member.problem(
            _at(member, index, "status"),
            f"发展阶段只能向前：{before}之后不能是{status}",
            _next_step(before),
            "history-status",
        )
    if status == "预备党员" and isinstance(joined, datetime.date) and event["date"] != joined:
        yield member.problem(
            _at(member, index, "date"),
            f"成为预备党员的日期 {event['date']} 与入党日期 `joined` {joined} 不一致",
            "预备党员从入党之日（政治生日）算起：两个日期应相同，改正其中一个",
            "history-joined",
        )


def _flow(
    member: Record, index: int, event: Mapping[str, Any], flowing: Any, began: datetime.date | None
) -> Iterator[Problem]:
    """A flow ends only while under way and begins only when none is."""
    change = event.get("flow")
    if change == "end" and flowing is None:
        yield member.problem(
            _at(member, index, "flow"),
            "`flow: end` 之前没有正在进行的流动",
            "删除这一条，或在前面补上流动开始的一条（flow: out 或 flow: in）",
            "history-flow",
        )
    elif change in ("out", "in") and flowing is not None:
        since = f"{began} 开始的" if began is not None else "上一次"
        yield member.problem(
            _at(member, index, "flow"),
            f"{since}流动还没有结束，不能再开始一次",
            "先写一条 `flow: end`（返回或注销）结束上一次流动",
            "history-flow",
        )


def member_matches_history(member: Record) -> Iterator[Problem]:
    """The record's own `status`, `org`, `posts`, `grade` and `flow`, where written, are the state after its
    last event (a field the history writes but the record does not is taken from the history)."""
    history = events(member.data)
    if not history:
        return
    final = member_state(member.data)
    for name in ("status", "org", "posts", "grade", "flow"):
        writers = [(index, event) for index, event in history if name in event]
        if not writers or name not in member.data:
            continue
        written, expected = _member_value(member, name), getattr(final, name)
        if written == expected:
            continue
        index, event = writers[-1]
        yield member.problem(
            (name,),
            f"`{name}` 写的是 {_show_member(name, written)}，但履历里 {event['date']} 那一条"
            f"（第 {index + 1} 条）之后是 {_show_member(name, expected)}",
            "两处要一致：上面的字段写现在的值，履历记下它是哪一天变的",
            "history-current",
        )


def _member_value(member: Record, name: str) -> Any:
    value = member.data[name]
    if name == "posts":
        return tuple(value)
    if name == "flow":
        return (value.get("direction"), value.get("place", "")) if isinstance(value, dict) else None
    return value


def _show_member(name: str, value: Any) -> str:
    if name == "flow":
        return "不在流动" if value is None else f"{value[0]}（{value[1]}）"
    return _show(value)


# Members, across files


@reads(member=("history",))
def history_orgs_exist(reg: Registry) -> Iterator[Problem]:
    """An `org` event names an org that exists on that day (founded on or before it, not yet dissolved)."""
    for member in reg.all("member"):
        for index, event in events(member.data):
            org = reg.orgs.get(event["org"]) if "org" in event else None
            if org is None or org_exists(org.data, event["date"]):
                continue  # unknown ids are reported by the reference rule
            yield member.problem(
                _at(member, index, "org", mapped=False),
                f"组织 `{org.id}` 在 {event['date']} 不存在（{_lifetime(org)}）",
                "检查这一条的日期，或组织的 founded / dissolved",
                "history-org",
            )


def _lifetime(org: Record) -> str:
    founded, dissolved = org.get("founded"), org.get("dissolved")
    parts = ([f"成立于 {founded}"] if founded else []) + ([f"撤销于 {dissolved}"] if dissolved else [])
    return "，".join(parts)


@reads(member=("joined", "history", "org"), activity=("date", "attendees"))
def attended_in_party(reg: Registry) -> Iterator[Problem]:
    """Activity attendance of a member with a history falls on days the member was in the party: on or after
    `joined`, on a roll of this registry (from the first `org` event), before leaving.

    Members without a history are timeless (version 1.1 means what it meant): they are not checked here."""
    dated = {member_id for member_id, member in reg.members.items() if member.get("history")}
    if not dated:
        return  # a registry without histories (every 1.1 registry) reads no activity
    for activity in reg.all("activity"):
        day = activity.get("date")
        for position, member_id in enumerate(activity.get("attendees") or ()):
            if member_id not in dated:
                continue
            why = _outside(reg, member_id, day)
            if why is not None:
                yield activity.problem(
                    ("attendees", position), why, "检查活动日期或参加者：不在党内的日子不记活动", "history-outside"
                )


@reads(member=("joined", "history", "org"), ledger=("member", "date"))
def ledger_in_party(reg: Registry) -> Iterator[Problem]:
    """Ledger entries of a member with a history fall on days the member was in the party.

    Not in `ALL_RULES` yet: `dangjian validate` holds no ledger entries (summary.py keeps stubs of kinds with
    ids only), so listing it would make the two ways of validating disagree. It needs ledger stubs carrying
    `member` and `date` first."""
    for entry in reg.all("ledger"):
        why = _outside(reg, entry.get("member"), entry.get("date"))
        if why is not None:
            yield entry.problem(("date",), why, "检查日期或党员编号：不在党内的日子不记积分", "history-outside")


def _outside(reg: Registry, member_id: Any, day: Any) -> str | None:
    """Why the member was not in the party on `day`, or None (also for members without a history).

    Reads `joined`, `history` and `org` only (what the rule declares): not timeline.member_state."""
    member = reg.members.get(member_id)
    if member is None or not isinstance(day, datetime.date) or not member.get("history"):
        return None
    joined = member.get("joined")
    if isinstance(joined, datetime.date) and day < joined:
        return f"`{member_id}` 在 {day} 还没有入党（入党日期 {joined}）"
    history = events(member.data)
    left_on = next((event["date"] for _, event in history if "left" in event), None)
    if left_on is not None and left_on <= day:
        return f"`{member_id}` 在 {day} 已经离开（{left_on} 起）"
    first = next((event["date"] for _, event in history if "org" in event), None)
    if first is not None and day < first:
        return f"`{member_id}` 在 {day} 还不在本登记簿的组织里（履历里组织关系从 {first} 起）"
    return None


# Orgs (not a bulk kind: read in full)


def org_history(reg: Registry) -> Iterator[Problem]:
    """An org's 沿革: in order, each event a change, within its life, parents and benchmarks that exist and
    make sense on that day, and the record's own fields equal to the state after its last event."""
    dated = {org_id for org_id, org in reg.orgs.items() if org.get("history")}
    for org in reg.all("org"):
        if not org.get("history"):
            continue
        yield from _order(org, "沿革", _in_file_order(org))
        yield from _changes_something(org, ORG_FIELDS)
        for step in org_steps(org.data):
            yield from _org_step(reg, org, step.index, step.event, step.before.weak, step.after, dated)
        yield from _org_matches_history(org)


def _org_step(
    reg: Registry,
    org: Record,
    index: int,
    event: Mapping[str, Any],
    was_weak: bool,
    after: Any,
    dated: set[str],
) -> Iterator[Problem]:
    day = event["date"]
    founded, dissolved = org.get("founded"), org.get("dissolved")
    if isinstance(founded, datetime.date) and day < founded:
        yield org.problem(
            _at(org, index, "date"), f"{day} 早于成立日期 {founded}", "检查这一条的日期，或 founded", "history-life"
        )
    elif isinstance(dissolved, datetime.date) and day >= dissolved:
        yield org.problem(
            _at(org, index, "date"),
            f"{day} 不早于撤销日期 {dissolved}：撤销以后不再有沿革",
            "检查这一条的日期，或 dissolved",
            "history-life",
        )
    if "parent" in event:
        yield from _parent(reg, org, index, event["parent"], day, dated)
    if event.get("weak") is False and not was_weak:
        yield org.problem(
            _at(org, index, "weak"),
            "`weak: false`（转化）之前这个组织不是薄弱组织",
            "转化写在列为薄弱组织（weak: true）的那一条之后；检查日期和顺序",
            "history-weak",
        )
    if "benchmark" in event:
        yield from _benchmark(reg, org, index, event["benchmark"], day, after.weak)


def _parent(
    reg: Registry,
    org: Record,
    index: int,
    parent: str,
    day: datetime.date,
    dated: set[str],
) -> Iterator[Problem]:
    target = reg.orgs.get(parent)
    if parent == org.id:
        yield org.problem(_at(org, index, "parent"), "组织不能是自己的上级", "填写上级组织的编号", "history-parent")
        return
    if target is not None and not org_exists(target.data, day):
        yield org.problem(
            _at(org, index, "parent"),
            f"上级组织 `{parent}` 在 {day} 不存在（{_lifetime(target)}）",
            "检查这一条的日期，或上级组织的 founded / dissolved",
            "history-parent",
        )
        return
    own = str(org.id)
    chain, current = [own], _parent_on(reg, own, day, dated)
    while current is not None and current in reg.orgs and current not in chain:
        chain.append(current)
        current = _parent_on(reg, current, day, dated)
    if current == own:
        yield org.problem(
            _at(org, index, "parent"),
            f"{day} 起上级关系形成了循环：{' → '.join([*chain, own])}",
            "检查这些组织在这一天的上级：上级链最终要到达最上级",
            "history-parent",
        )


def _parent_on(reg: Registry, org_id: str, day: datetime.date, dated: set[str]) -> str | None:
    """An org's parent on `day`: replayed for the few orgs with a history, written for the rest (a city's tree
    is walked for each event writing a parent)."""
    org = reg.orgs[org_id]
    parent = org_state(org.data, day).parent if org_id in dated else org.get("parent")
    return parent if isinstance(parent, str) else None


def _benchmark(
    reg: Registry, org: Record, index: int, benchmark: str, day: datetime.date, weak: bool
) -> Iterator[Problem]:
    target = reg.orgs.get(benchmark)
    if benchmark == org.id:
        yield org.problem(
            _at(org, index, "benchmark"), "组织不能与自己结对", "填写另一个标杆组织的编号", "history-benchmark"
        )
    elif not weak:
        yield org.problem(
            _at(org, index, "benchmark"),
            f"{day} 这个组织不是薄弱组织，不能有结对标杆",
            "在这一条或更早的一条里写 `weak: true`",
            "history-benchmark",
        )
    elif target is not None and not org_exists(target.data, day):
        yield org.problem(
            _at(org, index, "benchmark"),
            f"标杆组织 `{benchmark}` 在 {day} 不存在（{_lifetime(target)}）",
            "检查这一条的日期，或换一个标杆",
            "history-benchmark",
        )
    elif target is not None and org_state(target.data, day).weak:
        yield org.problem(
            _at(org, index, "benchmark"),
            f"标杆组织 `{benchmark}` 在 {day} 自己也是薄弱组织",
            "换一个那时不是薄弱组织的标杆",
            "history-benchmark",
        )


def _org_matches_history(org: Record) -> Iterator[Problem]:
    history = events(org.data)
    final = org_state(org.data)
    for name in ORG_FIELDS:
        # 转化 (`weak: false`) ends a pairing too (timeline.py)
        writers = [(i, e) for i, e in history if name in e or (name == "benchmark" and e.get("weak") is False)]
        if not writers or name not in org.data:
            continue
        written = org.data[name] is True if name == "weak" else org.data[name]
        expected = getattr(final, name)
        if written == expected:
            continue
        index, event = writers[-1]
        yield org.problem(
            (name,),
            f"`{name}` 写的是 {_show(written)}，但沿革里 {event['date']} 那一条"
            f"（第 {index + 1} 条）之后是 {_show(expected)}",
            "两处要一致：上面的字段写现在的值，沿革记下它是哪一天变的",
            "history-current",
        )
