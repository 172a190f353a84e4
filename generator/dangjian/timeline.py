"""Records as of a date: the dated histories of members and orgs (format extension, docs/extensions.md).

A `history:` is a list of events, each with a `date` and the fields it sets from that day on. The state
of a record on a day is, field by field, the value of the latest event on or before that day that writes
the field; events of one day apply in file order. What a field was before its first event:

- a field no event writes keeps the record's own value on every day (a version-1.1 record without a
  history means what it meant: the present, timeless);
- `org`: on no roll of this registry (the first `org` event is the day the member came onto it);
- `status`: no stage yet (before the application); `posts`: none; `grade`: none;
- `flow`: the record's `flow` from its `since` (always, without `since`) when no event writes `flow`;
  none before the first `flow` event otherwise. `flow: end` ends a flow;
- an org's `name` and `parent` (always there): the first event's value reaches back to founding, the
  record's own value when no event writes them; `weak` and `benchmark` (a listing and a pairing begin
  with an event): not weak and unpaired before the first event writing them, the record's own value
  when none does; `weak: false` (转化) ends the pairing too. Orgs exist from `founded` (always, without
  it) until the day before `dissolved`.

After a `left` event the member is on no roll. The current state is the state after every event
(`day=None`): validation checks the record's own fields against it (rules/history.py).

Pure functions of one record's data. Who is on which roll, and the tree, on a day are `rolls.py`'s (the one
index the computations and pages share).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .recordtypes import GRADES, SCORED_STATUSES

MEMBER_FIELDS = ("status", "org", "posts", "grade", "flow", "left")
ORG_FIELDS = ("name", "parent", "weak", "benchmark")


@dataclass(frozen=True)
class MemberState:
    """A member on one day."""

    org: str | None  # None: on no roll of this registry (not yet come, or left)
    status: str | None  # None: no stage yet
    posts: tuple[str, ...]
    grade: str | None
    flow: tuple[str, str] | None  # (direction "out"/"in", place) while flowing
    left: str | None  # how they left (转出/去世/其他), never published; None while on the rolls

    @property
    def in_party(self) -> bool:
        """A 预备党员 or 正式党员 on a roll of this registry (callers also check `joined`)."""
        return self.org is not None and self.left is None and self.status in SCORED_STATUSES


@dataclass(frozen=True)
class OrgState:
    """An org on one day."""

    exists: bool  # founded on or before the day, not yet dissolved
    name: str | None
    parent: str | None
    weak: bool
    benchmark: str | None


@dataclass(frozen=True)
class Change:
    """One field changed by one event: what the timelines on pages and `dangjian diff` show."""

    date: datetime.date
    field: str
    before: Any
    after: Any
    index: int  # the event's position in `history:`

    @property
    def grade_move(self) -> str | None:
        """晋档 or 降档 for a grade change between two grades; None otherwise."""
        if self.field != "grade" or self.before not in GRADES or self.after not in GRADES:
            return None
        return "晋档" if GRADES.index(self.after) > GRADES.index(self.before) else "降档"


def events(data: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The usable events of a record's history, (position, event), ordered by date then position.

    Events without a date (an invalid file: validation reports it) are skipped, never guessed."""
    history = data.get("history")
    if not isinstance(history, list):
        return []
    dated = [
        (index, event)
        for index, event in enumerate(history)
        if isinstance(event, dict) and isinstance(event.get("date"), datetime.date)
    ]
    return sorted(dated, key=lambda item: (item[1]["date"], item[0]))


def _written(history: list[tuple[int, dict[str, Any]]], name: str) -> bool:
    return any(name in event for _, event in history)


def member_state(data: Mapping[str, Any], day: datetime.date | None = None) -> MemberState:
    """The member as of `day` (inclusive); `None`: after every event, the current state."""
    history = events(data)
    if not history:
        return _timeless(data, day)
    state = _member_start(data, history, _record_flow(data, day))
    for _, event in history:
        if day is not None and event["date"] > day:
            break
        _apply_member(state, event)
    return MemberState(**state)


def _member_start(
    data: Mapping[str, Any], history: list[tuple[int, dict[str, Any]]], flow: tuple[str, str] | None
) -> dict[str, Any]:
    """The member's fields before the first event of `history`; `flow`: the record's own flow then."""
    written = {name for name in MEMBER_FIELDS if _written(history, name)}
    return {
        "org": None if "org" in written else data.get("org"),
        "status": None if "status" in written else data.get("status"),
        "posts": () if "posts" in written else tuple(data.get("posts", ())),
        "grade": None if "grade" in written else data.get("grade"),
        "flow": None if "flow" in written else flow,
        "left": None,
    }


def _flow_before(data: Mapping[str, Any], history: list[tuple[int, dict[str, Any]]]) -> tuple[str, str] | None:
    """The record's own flow the day before the first event (a flow since that day or later has not begun)."""
    flow = _record_flow(data, None)
    since = data["flow"].get("since") if flow is not None else None
    if history and isinstance(since, datetime.date) and since >= history[0][1]["date"]:
        return None
    return flow


def _timeless(data: Mapping[str, Any], day: datetime.date | None) -> MemberState:
    return MemberState(
        org=data.get("org"),
        status=data.get("status"),
        posts=tuple(data.get("posts", ())),
        grade=data.get("grade"),
        flow=_record_flow(data, day),
        left=None,
    )


def _record_flow(data: Mapping[str, Any], day: datetime.date | None) -> tuple[str, str] | None:
    flow = data.get("flow")
    if not isinstance(flow, dict) or "direction" not in flow:
        return None
    since = flow.get("since")
    if day is not None and isinstance(since, datetime.date) and since > day:
        return None
    return (flow["direction"], flow.get("place", ""))


def _apply_member(state: dict[str, Any], event: Mapping[str, Any]) -> None:
    for name in ("status", "org", "grade"):
        if name in event:
            state[name] = event[name]
    if "posts" in event:
        state["posts"] = tuple(event["posts"]) if isinstance(event["posts"], list) else ()
    if "flow" in event:
        state["flow"] = (event["flow"], event.get("place", "")) if event["flow"] in ("out", "in") else None
    if "left" in event:
        state["left"] = event["left"]


def member_changes(data: Mapping[str, Any]) -> list[Change]:
    """Every field each event of the member's history changed, in date order (an event repeating the
    value it finds changes nothing and is not listed)."""
    history = events(data)
    return list(
        _changes(history, _member_start(data, history, _flow_before(data, history)), MEMBER_FIELDS, _apply_member)
    )


def org_state(data: Mapping[str, Any], day: datetime.date | None = None) -> OrgState:
    """The org as of `day` (inclusive); `None`: after every event, the current state."""
    state: dict[str, Any] = {name: _org_initial(data, name) for name in ORG_FIELDS}
    for _, event in events(data):
        if day is not None and event["date"] > day:
            break
        _apply_org(state, event)
    return OrgState(exists=org_exists(data, day), **state)


def org_field(data: Mapping[str, Any], name: str, day: datetime.date | None = None) -> Any:
    """One field of `org_state(data, day)` (one of ORG_FIELDS), reading no other field of the org: the counting reads
    an org's parent on a day, never its name (site/kept.py keeps what it counts across a rename)."""
    value = _org_initial(data, name)
    for _, event in events(data):
        if day is not None and event["date"] > day:
            break
        if name in event:
            value = event[name] is True if name == "weak" else event[name]
        elif name == "benchmark" and event.get("weak") is False:
            value = None  # 转化 ends the pairing (as `_apply_org`)
    return value


def org_exists(data: Mapping[str, Any], day: datetime.date | None) -> bool:
    """Founded on or before `day` (or no `founded`), and not dissolved by it (`None`: today)."""
    founded, dissolved = data.get("founded"), data.get("dissolved")
    if day is None:
        return not isinstance(dissolved, datetime.date)
    if isinstance(founded, datetime.date) and founded > day:
        return False
    return not (isinstance(dissolved, datetime.date) and dissolved <= day)


def _org_initial(data: Mapping[str, Any], name: str) -> Any:
    """The value of `name` before the first event writing it (see the module's docstring)."""
    writers = [event for _, event in events(data) if name in event]
    if not writers:
        return data.get(name) is True if name == "weak" else data.get(name)
    if name in ("name", "parent"):
        return writers[0][name]
    return False if name == "weak" else None


def _apply_org(state: dict[str, Any], event: Mapping[str, Any]) -> None:
    for name in ORG_FIELDS:
        if name in event:
            state[name] = event[name] is True if name == "weak" else event[name]
    if event.get("weak") is False and "benchmark" not in event:
        state["benchmark"] = None  # 转化 ends the pairing: a benchmark is the partner of a weak org only


def org_changes(data: Mapping[str, Any]) -> list[Change]:
    """Every field each event of the org's history changed, in date order."""
    initial = {name: _org_initial(data, name) for name in ORG_FIELDS}
    return list(_changes(events(data), initial, ORG_FIELDS, _apply_org))


@dataclass(frozen=True)
class Step:
    """One event replayed: the record's state just before it and just after it (events of a day in file order)."""

    index: int  # the event's position in `history:`
    event: Mapping[str, Any]
    before: Any  # MemberState or OrgState
    after: Any


def member_steps(data: Mapping[str, Any]) -> list[Step]:
    """The member's events in date order, each with the state it found and the state it left."""
    history = events(data)
    state = _member_start(data, history, _flow_before(data, history))
    dated_flow = not _written(history, "flow")  # the record's own flow, from its `since`: by day, not by event
    steps = []
    for index, event in history:
        if dated_flow:
            state["flow"] = _record_flow(data, event["date"])
        before = MemberState(**state)
        _apply_member(state, event)
        steps.append(Step(index, event, before, MemberState(**state)))
    return steps


def org_steps(data: Mapping[str, Any]) -> list[Step]:
    """The org's events in date order, each with the state it found and the state it left (`exists` on its day)."""
    state = {name: _org_initial(data, name) for name in ORG_FIELDS}
    steps = []
    for index, event in events(data):
        exists = org_exists(data, event["date"])
        before = OrgState(exists=exists, **state)
        _apply_org(state, event)
        steps.append(Step(index, event, before, OrgState(exists=exists, **state)))
    return steps


def _changes(
    history: list[tuple[int, dict[str, Any]]], initial: Any, names: tuple[str, ...], apply: Any
) -> Iterator[Change]:
    state = dict(initial) if isinstance(initial, dict) else {name: getattr(initial, name) for name in names}
    for index, event in history:
        before = dict(state)
        apply(state, event)
        for name in names:
            if state[name] != before[name]:  # 转化 changes `benchmark` without writing it
                yield Change(event["date"], name, before[name], state[name], index)


def dated(records: Mapping[str, Any]) -> frozenset[str]:
    """The ids of the records (members or orgs, id → record or plain dict) that have a history."""
    return frozenset(key for key, record in records.items() if record_data(record).get("history"))


def record_data(record: Any) -> Mapping[str, Any]:
    """A record's fields: a `load.Record`'s data, or the plain dict the rolls and the counting are given instead."""
    return record.data if hasattr(record, "data") else record
