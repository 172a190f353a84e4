"""The rolls and the org tree as of a day, for the computations: who counts where, and when (issue 20).

`timeline.py` says what one record was on a day; this module indexes a registry once to answer, for any
day, which members are on which org's roll, who is a party member, and the tree, quickly: a record with
no `history:` is timeless and answers from its own fields without replaying anything, so a registry
without histories computes exactly what it computed before (format 1.1), at the same cost.

The rules (docs/extensions.md, "Time in the figures"):

- A member is on an org's roll on a day when their state that day (timeline.member_state) puts them
  there: not before their first `org` event, not after `left`. A timeless member is on their record's
  org's roll every day, whatever their stage (format 1.1).
- A member is *in the party* on a day when they are on a roll with the status 预备党员 or 正式党员 that day
  and were admitted (`joined`) on or before it. A timeless member: a scored status and `joined` by then.
- The tree on a day puts each org under its parent as of that day (an org without a history: its
  record's `parent`). `founded` and `dissolved` do not cut the tree: an org that did not exist yet has no
  one on its roll, and a dissolved org keeps its page and figures, as in format 1.1. Today's tree is
  the files' (`Registry.children`), which validation keeps equal to every history's end.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from .recordtypes import SCORED_STATUSES
from .timeline import MemberState, dated, member_state, org_field, record_data

Day = datetime.date | None  # None: today (the state after every event)
# What it reads of a member (timeline.member_state and admission): a rule asking it declares these
# (`@reads(member=rolls.READS)`), so `dangjian validate`'s stubs carry them.
READS = ("org", "status", "posts", "grade", "flow", "joined", "history")


def year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


class Rolls:
    """A registry's rolls and tree on any day, indexed once; records without a history take a fast path.

    `reg` needs `members`, `orgs` (records or plain dicts), `children` and `members_of`, as
    `model.Registry` has them."""

    def __init__(self, reg: Any) -> None:
        self.reg = reg
        self.dated_orgs: frozenset[str] = dated(reg.orgs)
        self._rolls: dict[Day, dict[str, list[str]]] = {}
        self._trees: dict[Day, dict[str, list[str]]] = {}
        self._states: dict[tuple[str, Day], MemberState] = {}
        self._parents: dict[Day, dict[str, str]] = {}
        self._by_org: dict[Any, list[datetime.date]] | None = None

    # The members are read when first asked about: the tree on a day (`children`, `subtree`, `ancestors`) reads the
    # orgs alone, so what asks only that (三会一课: `three_one.THREE_ONE`) reads no member.
    @cached_property
    def members(self) -> Mapping[str, Any]:
        return self.reg.members  # read once: a Registry's are a property

    @cached_property
    def dated_members(self) -> frozenset[str]:
        return dated(self.members)

    @cached_property
    def _admitted(self) -> dict[str, datetime.date]:
        """Timeless members in the party from this day on."""
        found: dict[str, datetime.date] = {}
        dated_members = self.dated_members
        for member_id, record in self.members.items():
            data = record_data(record)
            joined = data.get("joined")
            if (
                member_id not in dated_members
                and data.get("status") in SCORED_STATUSES
                and isinstance(joined, datetime.date)
            ):
                found[member_id] = joined
        return found

    def admissions(self) -> dict[Any, list[datetime.date]]:
        """Record org (None without one) -> the sorted `joined` dates of its scored members without a history:
        how many of them are in the party on a day is a bisection (`in_party`'s fast path, by org)."""
        if self._by_org is None:
            found: dict[Any, list[datetime.date]] = {}
            for member_id, joined in self._admitted.items():
                found.setdefault(record_data(self.members[member_id]).get("org"), []).append(joined)
            self._by_org = {org: sorted(dates) for org, dates in found.items()}
        return self._by_org

    @property
    def timeless(self) -> bool:
        """No record has a history: every figure is as format 1.1 defines it."""
        return not self.dated_members and not self.dated_orgs

    # --- one member ------------------------------------------------------------------------
    def state(self, member_id: str, day: Day = None) -> MemberState | None:
        """The member on `day` (None: today), or None for an unknown id."""
        record = self.members.get(member_id)
        if record is None:
            return None
        if member_id not in self.dated_members:
            return member_state(record_data(record), day)
        key = (member_id, day)
        if key not in self._states:
            self._states[key] = member_state(record_data(record), day)
        return self._states[key]

    def on_roll(self, member_id: str, day: Day = None) -> str | None:
        """The org whose roll the member is on that day (any stage), or None."""
        record = self.members.get(member_id)
        if record is None:
            return None
        if member_id not in self.dated_members:
            return record_data(record).get("org")
        state = self.state(member_id, day)
        return state.org if state is not None and state.left is None and state.status is not None else None

    def in_party(self, member_id: str, day: datetime.date) -> bool:
        """A 预备党员 or 正式党员 on a roll on `day`, admitted (`joined`) on or before it."""
        if member_id not in self.dated_members:
            admitted = self._admitted.get(member_id)
            return admitted is not None and admitted <= day
        joined = record_data(self.members[member_id]).get("joined")
        if not isinstance(joined, datetime.date) or joined > day:
            return False
        state = self.state(member_id, day)
        return state is not None and state.in_party

    def counts_on(self, member_id: str, day: datetime.date) -> bool:
        """Whether a points event of the member dated `day` counts: on a roll with a scored status that day.

        `joined` is not asked here: format 1.1 counts every event of the year of admission, and a
        timeless member's events all count (their year is gated by `joined`, see `in_party_during`)."""
        if member_id not in self.dated_members:
            return True
        state = self.state(member_id, day)
        return state is not None and state.in_party

    def in_party_during(self, member_id: str, year: int) -> bool:
        """Admitted by 31 December of `year` and in the party on at least one day of it."""
        if member_id not in self.dated_members:
            return self.in_party(member_id, year_end(year))
        record = self.members[member_id]
        joined = record_data(record).get("joined")
        if not isinstance(joined, datetime.date) or joined > year_end(year):
            return False
        first = max(datetime.date(year, 1, 1), joined)
        days = {first} | {
            event["date"]
            for event in record_data(record).get("history", [])
            if isinstance(event, dict)
            and isinstance(event.get("date"), datetime.date)
            and first <= event["date"] <= year_end(year)
        }
        return any(self.in_party(member_id, day) for day in sorted(days))

    # --- the rolls and the tree ------------------------------------------------------------
    def members_of(self, day: Day = None) -> dict[str, list[str]]:
        """org id -> the members on its roll on `day` (None: today), any stage."""
        if not self.dated_members:
            return self.reg.members_of
        if day not in self._rolls:
            rolls = {org: [m for m in ids if m not in self.dated_members] for org, ids in self.reg.members_of.items()}
            for member_id in sorted(self.dated_members):
                org = self.on_roll(member_id, day)
                if org is not None:
                    rolls.setdefault(org, []).append(member_id)
            self._rolls[day] = rolls
        return self._rolls[day]

    def children(self, day: Day = None) -> dict[str, list[str]]:
        """parent id -> the orgs under it on `day` (None: today, the files' tree)."""
        if day is None or not self.dated_orgs:
            return self.reg.children
        if day not in self._trees:
            tree = {parent: [c for c in kids if c not in self.dated_orgs] for parent, kids in self.reg.children.items()}
            for org_id in sorted(self.dated_orgs):
                parent = org_field(record_data(self.reg.orgs[org_id]), "parent", day)
                if parent:
                    tree.setdefault(parent, []).append(org_id)
            self._trees[day] = tree
        return self._trees[day]

    def subtree(self, org_id: str, day: Day = None) -> list[str]:
        """`org_id` and every org under it on `day`, each once (a cycle is cut)."""
        tree, seen, order, stack = self.children(day), {org_id}, [org_id], [org_id]
        while stack:
            for child in tree.get(stack.pop(), []):
                if child not in seen:
                    seen.add(child)
                    order.append(child)
                    stack.append(child)
        return order

    def party_in(self, org_id: str, day: datetime.date) -> list[str]:
        """The members in the party on `day` on the roll of `org_id` or an org under it that day."""
        rolls = self.members_of(day)
        return [m for o in self.subtree(org_id, day) for m in rolls.get(o, []) if self.in_party(m, day)]

    def ancestors(self, org_id: str, day: Day = None) -> list[str]:
        """The orgs above `org_id` on `day`, nearest first (a cycle is cut)."""
        if day not in self._parents:
            self._parents[day] = {c: p for p, kids in self.children(day).items() for c in kids}
        parents = self._parents[day]
        found, current = [], parents.get(org_id)
        while current is not None and current not in found and current != org_id:
            found.append(current)
            current = parents.get(current)
        return found

    def placed_alike(self, member_id: str, day: datetime.date) -> bool:
        """On the same org's roll on `day` as today, under the same chain of orgs: the member counts in
        the same published units on that day as today (what suppression's one tree can model)."""
        org = self.on_roll(member_id, day)
        if org is None or org != self.on_roll(member_id, None):
            return False
        if not self.dated_orgs:
            return True
        return self.ancestors(org, day) == self.ancestors(org, None)
