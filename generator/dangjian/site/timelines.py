"""Dated histories on the site (issue 20): a public member's 履历 and an org's 沿革 as timelines, an org's party
members at each year's end (a small chart), and each org's 本年新发展党员.

Timelines read timeline.py's changes (`member_changes`, `org_changes`) and say each in plain Chinese. Never
shown: an event's `note`, and how a member left (`left: 转出/去世/其他` reads 离开). Only public members have a
page, so `member_timeline` refuses a private one: nothing of a private member's history is ever worded.

Counts over time (the rules below are docs/security.md's "Counts over time"):

- `membership`: 预备党员 and 正式党员 in an org's subtree on 31 December of each complete year, the tree and
  the rolls as of that day (`rolls.Rolls`, as every figure counts them). A member without a history
  counts from `joined` in their current org: a version 1.1 record knows no past, so someone who left
  before the registry kept histories is not counted in the years they were there. The chart says so
  whenever such members are counted.
- At most MAX_YEARS year-ends up to the registry's latest dated year (`_latest_year`), from the first at
  which the org had five or more (a year before that would tell 0 from 1–4, which 少于5人 never does), and
  the count of today when the 党员队伍 table already lets a reader work it out (it adds nothing then).
- Suppression, applied again until nothing changes:
  1. a count under five is 少于5人 (primary);
  2. each year across the tree: `suppression.suppress` over that year's tree, so that no shown parent less
     its shown children counts 1–4 (secondary, as for every figure of the site);
  3. each org across years: any two of its shown counts (today's derivable one included) differ by 0 or by
     five or more, else the older is withheld (—): a rise of 1–4 would say that 1–4 people came. The same
     for a region (an org less its shown children) between two years with the same children shown.
  Nothing sums years, so no withheld year is a total less the other years. Withholding only merges
  regions (each 0 or five or more), so rule 3 never undoes rule 2.
- `new_members`: members admitted (their 预备党员 event, else `joined`) in the latest year, 预备 or 正式
  today, by the org they are in today; suppressed with `suppression.suppress` in one table with the
  党员队伍 status figures the page already shows (forced), so it never splits a status count into a part
  of 1–4; withheld as well when the year's end count (today's, for this year) less the year before's less
  the new members (the year's other movement) is 1–4.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
from itertools import chain
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..recordtypes import MEMBER_STATUSES, SCORED_STATUSES
from ..stats import HOME, member_now
from ..suppression import THRESHOLD, Dimension, Table, indicators, suppress
from ..timeline import Change, events, member_changes, org_changes
from .withheld import Small, Withheld, hidden
from . import kept, keptparts
from .persite import per_site, restored

if TYPE_CHECKING:
    from ..rolls import Rolls
    from ..load import Record
    from .data import Counted, OrgView, SiteData

MAX_YEARS = 15  # year-ends drawn at most (the latest); readable at 390 px, and older rolls are rarely complete
PARTY = ("party",)  # the one cell of a year's table: 预备党员 and 正式党员 in the subtree
NEW = ("new",)  # the cell of 本年新发展党员
NOW = "现在"  # the label of today's count in the chart
Shown = int  # a count, or a Small / Withheld stand-in (withheld.py)


@dataclass(frozen=True)
class Item:
    """One thing an event changed, worded: `text`, then an org linked (when it names one), then `tail`."""

    text: str
    org: OrgView | None = None  # as the pages of others show an org: its name a lookup
    tail: str = ""


@dataclass(frozen=True)
class Entry:
    """One dated line of a timeline: what one event (or one date of the record) changed."""

    date: datetime.date
    items: tuple[Item, ...]


# --- timelines ---------------------------------------------------------------------------------------------
def member_timeline(data: SiteData, member_id: str) -> list[Entry]:
    """A public member's 履历, oldest first (empty without a history). A private member's: refused."""
    if data.person(member_id) is None:
        raise ValueError(f"no public member {member_id!r}")
    record = data.reg.members[member_id]
    return _entries(_member_item(data, change) for change in member_changes(record.data))


def _member_item(data: SiteData, change: Change) -> tuple[datetime.date, int, list[Item]]:
    before, after = change.before, change.after
    items: list[Item] = []
    if change.field == "status":
        items.append(Item(_status_text(before, after)))
    elif change.field == "org":
        org = data.org_view(after)
        if after is None:
            pass  # the org written empty: nothing to say (validation reports it)
        elif before is None:
            items.append(Item("所在组织：", org, "" if org else str(after)))
        else:
            items.append(Item("组织关系转入 ", org, "" if org else str(after)))
    elif change.field == "posts":
        items += [Item(f"任{post}") for post in after if post not in before]
        items += [Item(f"不再担任{post}") for post in before if post not in after]
    elif change.field == "grade":
        if before is None:
            items.append(Item(f"书记星级评为 {after}"))
        elif after is not None:
            move = change.grade_move
            items.append(Item(f"书记星级 {before} → {after}" + (f"（{move}）" if move else "")))
    elif change.field == "flow":
        if after is None:
            items.append(Item("流动结束"))
        elif after[0] == "out":
            items.append(Item(f"流出至 {after[1]}" if after[1] else "流出"))
        else:
            items.append(Item(f"从 {after[1]} 流入" if after[1] else "流入"))
    elif change.field == "left" and after is not None:
        items.append(Item("离开"))  # the kind of leaving (转出/去世/其他) is never published
    return change.date, change.index, items


def _status_text(before: str | None, after: str | None) -> str:
    if after == "正式党员":
        return "转为正式党员" if before == "预备党员" else "成为正式党员"
    if after == "预备党员":
        return "接收为预备党员"
    if after == "发展对象":
        return "列为发展对象"
    return f"成为{after}" if after else "发展阶段取消"


def org_timeline(data: SiteData, org_id: str) -> list[Entry]:
    """An org's 沿革, oldest first: founded, renamed, moved, listed as weak, paired, 转化, dissolved."""
    record = data.reg.orgs[org_id]
    found: list[tuple[datetime.date, int, list[Item]]] = []
    founded, dissolved = record.get("founded"), record.get("dissolved")
    if isinstance(founded, datetime.date) and events(record.data):
        found.append((founded, -1, [Item("成立")]))
    benchmark, turned = None, set()
    for change in org_changes(record.data):
        if change.field == "weak" and change.after is False:
            turned.add(change.index)
        if change.field == "benchmark":
            if change.after is None and change.index in turned:
                continue  # 转化 ends the pairing: said with it
            benchmark = change.after
        found.append((change.date, change.index, _org_items(data, change, benchmark)))
    changed = {index for _, index, _ in found}
    for index, event in events(record.data):
        if index not in changed:  # a first value, reaching back to founding: what the org was from that day
            same_day = isinstance(founded, datetime.date) and event["date"] == founded
            found.append((event["date"], -1 if same_day else index, _org_start(data, event)))
    if isinstance(dissolved, datetime.date) and events(record.data):
        found.append((dissolved, 1 << 30, [Item("撤销")]))
    return _entries(found)


def _org_start(data: SiteData, event: dict[str, Any]) -> list[Item]:
    """An org event that changed nothing (the first to write a value, which reaches back to founding), worded."""
    items = [Item(f"名称：{event['name']}")] if event.get("name") else []
    parent = data.org_view(event.get("parent"))
    if parent is not None:
        items.append(Item("上级组织：", parent))
    return items


def _org_items(data: SiteData, change: Change, benchmark: str | None) -> list[Item]:
    before, after = change.before, change.after
    if change.field == "name":
        return [Item(f"更名：{before} → {after}")]
    if change.field == "parent":
        org = data.org_view(after)
        return [Item("上级组织调整为 ", org, "" if org or after is None else str(after))] if after else []
    if change.field == "weak":
        if after:
            return [Item("列为薄弱组织")]
        paired = data.org_view(benchmark)
        return [Item("完成转化，不再是薄弱组织" + ("（结对标杆：" if paired else ""), paired, "）" if paired else "")]
    if change.field == "benchmark":
        paired = data.org_view(after)
        return [Item("与 ", paired, " 结对帮扶")] if paired else [Item("结对帮扶结束")]
    return []


def _entries(found: Iterable[tuple[datetime.date, int, list[Item]]]) -> list[Entry]:
    """One entry per event (per date and position), in date order; events that changed nothing shown are left out."""
    by_event: dict[tuple[datetime.date, int], list[Item]] = defaultdict(list)
    for date, index, items in found:
        by_event[(date, index)] += items
    return [Entry(date, tuple(items)) for (date, _), items in sorted(by_event.items(), key=lambda kv: kv[0]) if items]


# --- counts over time -----------------------------------------------------------------------------------------
@dataclass
class Membership:
    """An org's party members at year-ends, as they may be published."""

    years: list[tuple[int, Shown]]  # (year, count or stand-in), oldest first
    now: Shown | None  # today's count when the 党员队伍 table already gives it, else None
    timeless: bool  # members without a history are counted (from `joined`, in their current org)
    year: int  # the build's year

    def any_shown(self) -> bool:
        """Whether some point is a number (a chart of marks alone says nothing: the page says so in words)."""
        return any(not hidden(value) for _, value in self.points())

    def points(self) -> list[tuple[str, Shown]]:
        """What the chart and its table show: (label, count or stand-in), oldest first, today's last."""
        found: list[tuple[str, Shown]] = [(f"{year}", value) for year, value in self.years]
        if self.now is not None:
            found.append((NOW, self.now if self.now >= THRESHOLD else Small()))
        return found


@dataclass
class NewMembers:
    year: int
    current: bool  # the year is the build's (counted up to today)
    shown: dict[str, Shown] = field(default_factory=dict)  # org id -> 本年新发展党员 as it may be published


@dataclass(frozen=True)
class CountingSeen:
    """What the counts over time read of the counting (`data.counted`), and nothing else of it: the figures'
    dimensions and tree, what suppression publishes of them (a reader who can count today's members from the
    published cells, 党员队伍 or the stars, can count them here too), and each org's members by status. Their key is
    the digest of these (`digest`) beside the orgs' and members' fields they read directly (`HISTORIES`): a points
    entry or a result that publishes the same cells keeps them (a city's 1 s), and one that publishes another cell
    makes them again. Read through this alone, they cannot read of the counting what their key does not hold."""

    dimensions: tuple[Dimension, ...]
    parent: Mapping[str, str | None]
    published: frozenset[tuple[str, tuple]]
    by_status: Mapping[str, Mapping[str, int]]

    @classmethod
    def of(cls, counted: Counted) -> CountingSeen:
        return cls(
            tuple(counted.figures.dimensions),
            dict(counted.figures.parent),
            frozenset(counted.disclosure.published),
            {org_id: dict(stats.by_status) for org_id, stats in counted.org_stats.items()},
        )

    def digest(self) -> str:
        """A digest of all of it, equal only when the values are (each in a sorted, plain form)."""
        digest = hashlib.blake2b(digest_size=16)
        # Each org's counts as their dict holds them: equal ones in another order give another digest (the value is
        # computed again, never kept wrongly); sorting a city's 30,000 of them took longer than the rest together.
        for part in (
            [(d.name, d.atoms, _sorted(d.cells.items()), d.links) for d in self.dimensions],
            _sorted(self.parent.items()),
            _sorted(self.published),
            [(org_id, self.by_status[org_id]) for org_id in sorted(self.by_status)],
        ):
            digest.update(repr(part).encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()


def _sorted(items: Iterable[Any]) -> list[Any]:
    """`items` sorted as they compare (a city's 30,000 published cells: a tenth of the time of sorting their `repr`),
    or by their `repr` where two do not compare."""
    found = list(items)
    try:
        return sorted(found)
    except TypeError:
        return sorted(found, key=repr)


class Histories:
    """Every org's counts over time and 本年新发展党员, computed once per site (see the module's docstring), from
    the orgs and members and what they read of the counting (`CountingSeen`)."""

    @property
    def data(self) -> SiteData:
        """The site this was computed for (alive while its build runs: `per_site` holds it weakly)."""
        data = self._data()
        assert data is not None, "a build's SiteData outlived by what was computed from it"
        return data

    @property
    def rolls(self) -> Rolls:
        """The rolls and the tree on a day, as every other figure counts them."""
        return self.data.rolls  # the score book's and the figures' (`StatsBook.rolls`)

    def __init__(self, data: SiteData, seen: CountingSeen) -> None:
        self._data = weakref.ref(data)  # memoised per SiteData (weakly): never keep the key alive
        self.today = data.today
        self.latest = _latest_year(data)
        last = self.latest if self.latest < self.today.year else self.today.year - 1  # the last complete year
        self.years = list(range(last - MAX_YEARS + 1, last + 1))
        self.trees = {y: self._tree(_end(y)) for y in self.years}
        self.raw = {y: self._counts(_end(y)) for y in self.years}
        self.timeless = self._timeless_counted()
        self.now = self._now(seen)
        self.shown = shown_over_years(data, self)
        self.new = self._new_members(seen)

    # the tree and the rolls on a day
    def _tree(self, day: datetime.date) -> dict[str | None, list[str]]:
        """parent (None for roots) -> children: the tree on `day` (rolls.py: founding and dissolving do not cut
        it; an org before its founding has nobody on its roll)."""
        children = self.rolls.children(day)
        below = {c for p, kids in children.items() if p in self.data.reg.orgs for c in kids if c != p}
        tree: dict[str | None, list[str]] = {p: sorted(set(k) - {p}) for p, k in children.items()}
        tree[None] = sorted(set(self.data.reg.orgs) - below)
        return tree

    def _counts(self, day: datetime.date) -> dict[str, int]:
        """org id -> party members in its subtree on `day`: each org's own count an own part (`parts.py`), made one by
        one where few are missing, or all at once (`_own_counts`)."""
        orgs = self.data.reg.orgs
        own = self.data.parts.of_every_org(orgs, ("party", day), _party(self.data, day), lambda: self._own_counts(day))
        return _roll_up(self.trees[day.year], own)

    def _own_counts(self, day: datetime.date) -> dict[str, int]:
        """org id -> the party members on its own roll on `day`, for every org at once."""
        rolls = self.rolls
        # members without a history: in the party from `joined` on, on their record's org's roll (if it has one)
        own = {org_id: bisect.bisect_right(admitted, day) for org_id, admitted in rolls.admissions().items() if org_id}
        for member_id in rolls.dated_members:  # members with a history: one by one, on that day's roll
            org_id = rolls.on_roll(member_id, day)
            if org_id is not None and rolls.in_party(member_id, day):
                own[org_id] = own.get(org_id, 0) + 1
        return {org_id: own.get(org_id, 0) for org_id in self.data.reg.orgs}

    def _timeless_counted(self) -> set[str]:
        """Orgs whose year-end counts include a member without a history (counted from `joined`)."""
        orgs, ever = self.data.reg.orgs, keptparts.ever_on(self.data)
        starts = [o for o in orgs if self.data.parts.org(o, ("timeless",), _timeless_own(self.data, o, ever))]
        found: set[str] = set()
        for start in starts:
            unit: str | None = start
            steps = 0
            while unit is not None and unit not in found and steps <= len(self.data.reg.orgs):
                found.add(unit)
                unit, steps = self.data.reg.orgs[unit].get("parent") if unit in self.data.reg.orgs else None, steps + 1
        return found

    def _now(self, seen: CountingSeen) -> dict[str, int]:
        """org id -> today's party members, for each org whose 党员队伍 figures already let a reader count them."""
        dims = {d.name: d for d in seen.dimensions}
        published = seen.published
        found = {}
        for org_id in self.data.reg.orgs:
            if _derivable(org_id, dims, published, "status", SCORED_STATUSES):
                raw = seen.by_status[org_id]
                found[org_id] = sum(raw.get(s, 0) for s in SCORED_STATUSES)
        return found

    # suppression
    def _suppressed(self) -> dict[int, set[str]]:
        """year -> the orgs whose count that year may be published (each 5 or more)."""
        shown: dict[int, set[str]] = {}
        for year in self.years:
            shown[year] = self._tree_rule(year)
        while self._across_years(shown):
            pass
        return shown

    def _tree_rule(self, year: int) -> set[str]:
        tree, counts = self.trees[year], self.raw[year]
        parent = {child: p for p, kids in tree.items() for child in kids}
        table = Table(
            parent=parent,
            dimensions=[Dimension("party", ("party",), {PARTY: ("party",)})],
            counts={o: {"party": (n,)} for o, n in counts.items()},
            cells={o: {PARTY: n} for o, n in counts.items()},
        )
        outcome = suppress(table)
        return {o for o, cell in outcome.published if cell == PARTY and counts.get(o, 0) >= THRESHOLD}

    def _across_years(self, shown: dict[int, set[str]]) -> bool:
        """Rule 3 (module docstring), one pass: withhold the older of two counts (or regions) 1–4 apart."""
        changed = False
        series: dict[tuple[str, frozenset[str]], list[tuple[int, int]]] = defaultdict(list)
        for org_id, value in self.now.items():
            series[(org_id, frozenset())].append((self.today.year, value))
            region = self._region_now(org_id)
            if region is not None:
                series[(org_id, region[0])].append((self.today.year, region[1]))
        for year in reversed(self.years):
            for org_id in sorted(shown[year]):
                value = self.raw[year][org_id]
                kept = series[(org_id, frozenset())]
                if any(0 < abs(value - other) < THRESHOLD for _, other in kept):
                    shown[year].discard(org_id)
                    changed = True
                    continue
                kept.append((year, value))
            for org_id in sorted(shown[year]):
                below = frozenset(_nearest(self.trees[year], org_id, shown[year]))
                if not below:
                    continue  # the org alone: checked above
                value = self.raw[year][org_id] - sum(self.raw[year][b] for b in below)
                kept = series[(org_id, below)]
                if any(0 < abs(value - other) < THRESHOLD for _, other in kept):
                    shown[year].discard(org_id)
                    changed = True
                    continue
                kept.append((year, value))
        return changed

    def _region_now(self, org_id: str) -> tuple[frozenset[str], int] | None:
        """Today's org less its nearest children whose count today is derivable too (None: no such child)."""
        below = _nearest(self.data.reg.children, org_id, set(self.now))
        if not below:
            return None
        return frozenset(below), self.now[org_id] - sum(self.now[b] for b in below)

    # what pages read
    def membership(self, org_id: str) -> Membership:
        shown_years: list[tuple[int, Shown]] = []
        started = False
        for year in self.years:
            if org_id not in self.raw[year]:
                if started:
                    shown_years.append((year, Small()))  # dissolved or not yet founded: no members that year
                continue
            value = self.raw[year][org_id]
            started = started or value >= THRESHOLD
            if not started:
                continue
            if org_id in self.shown[year]:
                shown_years.append((year, value))
            else:
                shown_years.append((year, Small() if value < THRESHOLD else Withheld()))
        return Membership(shown_years, self.now.get(org_id), org_id in self.timeless, self.today.year)

    # 本年新发展党员
    def _new_members(self, seen: CountingSeen) -> NewMembers:
        year = self.latest
        reg = self.data.reg
        split = {s: (f"{s}:new", s) if s in SCORED_STATUSES else (s,) for s in MEMBER_STATUSES}
        atoms = tuple(atom for status in MEMBER_STATUSES for atom in split[status])
        cells: dict[tuple, tuple[str, ...]] = {
            ("members",): atoms,
            ("party",): split["预备党员"] + split["正式党员"],
            NEW: ("预备党员:new", "正式党员:new"),
        }
        cells.update({("status", s): split[s] for s in MEMBER_STATUSES})
        parent = dict(seen.parent)
        own: dict[str, list[int]] = defaultdict(lambda: [0] * len(atoms))
        ever = keptparts.ever_on(self.data)
        for org_id in (*reg.orgs, keptparts.NO_ROLL):  # each org's own, an own part (`parts.py`)
            part = self.data.parts.org(org_id, ("new", year), self._new_own(org_id, year, atoms, ever))
            if any(part):
                into = org_id if org_id in parent else HOME
                own[into] = [a + b for a, b in zip(own[into], part)]
        counts = _roll_up_vectors(parent, own, len(atoms))
        published = seen.published
        dims = {d.name: d for d in seen.dimensions}
        forced: set[tuple[str, tuple]] = set()
        table_cells: dict[str, dict[tuple, int]] = {}
        positions = {cell: [atoms.index(a) for a in members] for cell, members in cells.items()}
        for unit in parent:
            vector = counts.get(unit, [0] * len(atoms))
            mine = {cell: sum(vector[i] for i in at) for cell, at in positions.items()}
            table_cells[unit] = {cell: n for cell, n in mine.items() if cell == NEW and unit != HOME}
            for cell in cells:
                if cell != NEW and (unit, cell) in published:
                    table_cells[unit][cell] = mine[cell]
                    forced.add((unit, cell))
            if (unit, ("party",)) not in forced and _derivable(unit, dims, published, "status", SCORED_STATUSES):
                table_cells[unit][("party",)] = mine[("party",)]
                forced.add((unit, ("party",)))  # derivable already (through the stars, say): as good as shown
        # An atom empty everywhere may be known to be empty (new members are 预备党员 until a year has passed):
        # model it as absent, so that 预备党员 less the new members is seen to count the earlier ones.
        keep = [i for i in range(len(atoms)) if any(counts.get(u, [0] * len(atoms))[i] for u in parent)]
        kept = tuple(atoms[i] for i in keep)
        table = Table(
            parent=parent,
            dimensions=[Dimension("new", kept, {c: tuple(a for a in m if a in kept) for c, m in cells.items()})],
            counts={u: {"new": tuple(counts.get(u, [0] * len(atoms))[i] for i in keep)} for u in parent},
            cells=table_cells,
            forced=forced,
        )
        outcome = suppress(table)
        stuck = {unit for unit, _, _ in outcome.unresolved}
        result = NewMembers(year, year == self.today.year)
        for org_id in reg.orgs:
            value = table_cells.get(org_id, {}).get(NEW, 0)
            if value < THRESHOLD:
                result.shown[org_id] = Small()
            elif (org_id, NEW) not in outcome.published or org_id in stuck or self._moves_give_away(org_id, value):
                result.shown[org_id] = Withheld()
            else:
                result.shown[org_id] = value
        return result

    def _new_own(
        self, org_id: str, year: int, atoms: tuple[str, ...], ever: Mapping[str, list[str]]
    ) -> Callable[[], tuple[int, ...]]:
        """What makes an org's own 本年新发展党员 atoms: the members on its roll today (`keptparts.NO_ROLL`: on none,
        and without a history) by status, those admitted in `year` apart."""

        def vector() -> tuple[int, ...]:
            found = [0] * len(atoms)
            rolls, reg = self.rolls, self.data.reg
            for member_id in ever.get(org_id, ()):
                on = rolls.on_roll(member_id)
                dated = member_id in rolls.dated_members
                if (dated and on is None) or on != (org_id or None):
                    continue  # left, not yet on a roll, or on another's today
                status = member_now(rolls, member_id)[0]
                if status not in MEMBER_STATUSES:
                    continue
                new = _admitted(reg.members[member_id]) == year and status in SCORED_STATUSES
                found[atoms.index(f"{status}:new" if new else status)] += 1
            return tuple(found)

        return vector

    def _moves_give_away(self, org_id: str, new: int) -> bool:
        """The year's count at its end (today's, for this year) less the year before's less the new members: the
        year's other movement (transfers, leaving), 1–4?"""
        year, before = self.latest, self.latest - 1
        if year == self.today.year:
            end = self.now.get(org_id)
        else:
            end = self.raw[year].get(org_id) if org_id in self.shown.get(year, set()) else None
        if end is None or org_id not in self.shown.get(before, set()):
            return False
        return 0 < abs(end - self.raw[before][org_id] - new) < THRESHOLD

    def new_rows(self) -> list[tuple[OrgView, OrgView | None, int]]:
        """(org, its parent, count) of every org whose 本年新发展党员 is published, in the tree's order (each org as
        the pages of others show one: its name a lookup)."""
        rows = []
        for org_id in _tree_order(self.data):
            value = self.new.shown.get(org_id)
            if isinstance(value, int) and not isinstance(value, (Small, Withheld)):
                org = self.data.org_views[org_id]
                rows.append((org, self.data.org_view(org.get("parent")), value))
        return rows


# Which year-end counts may be published (`Histories._suppressed`: each year's tree rule, then the rule across years and
# regions) reads of the registry today's tree (`_region_now`), the site's settings (as every `SiteData`) and the day;
# the rest, the years' trees and counts and today's counts, is its key's `given`. A member's admission day moved within
# a year, or any edit that moves no year's count, keeps it (a city's 1.0 s of every member edit the figures count).
SHOWN = kept.Aggregate("historiesshown", frozenset({"org", "site"}), today=True, fields={"org": kept.COUNTING_ORG})


def shown_over_years(data: SiteData, made: Histories) -> dict[int, set[str]]:
    """`made._suppressed()`, or what the last build kept for the same years' trees and counts and today's counts."""
    given = kept.digest_of((made.years, made.trees, made.raw, made.now))
    return data.kept_value(SHOWN, made._suppressed, given=given)  # noqa: SLF001 - its own step, kept


# What the counts over time read directly: the orgs and members as the figures count them (`kept.COUNTING_FIELDS`), the
# site's settings (as every `SiteData`) and the build's day; what they read of the counting is the key's `given`
# (`CountingSeen.digest`).
HISTORIES = kept.Aggregate("histories", frozenset({"org", "member", "site"}), today=True, fields=kept.COUNTING_FIELDS)


@per_site
def histories(data: SiteData) -> Histories:
    """The site's counts over time, computed once per SiteData, or as the last build kept them (`HISTORIES`, under
    the digest of what they read of the counting)."""
    seen = CountingSeen.of(data.counted)
    return data.kept_value(
        HISTORIES,
        lambda: Histories(data, seen),
        state=lambda made: dict(vars(made), _data=None),
        restore=lambda state: restored(Histories, data, state),
        given=seen.digest(),
    )


def _latest_year(data: SiteData) -> int:
    """The latest year the registry's members and orgs hold data of (admissions, events, founding), at most
    the build's year: what 本年 means on the site (a registry kept up to date: this year)."""
    ever = keptparts.ever_on(data)  # each org's own members' latest, an own part (`parts.py`)
    members = (data.parts.org(o, ("latest",), _latest_own(data, o, ever)) for o in (*data.reg.orgs, keptparts.NO_ROLL))
    orgs = (_dated(record.data, _DATED_ORG) for record in data.reg.orgs.values())
    latest = max((year for year in chain(members, orgs) if year is not None), default=None)
    return min(data.today.year - 1 if latest is None else latest, data.today.year)  # nothing dated: last complete year


def _dated(fields: Mapping[str, Any], names: tuple[str, ...]) -> int | None:
    """The latest year of a record's dated fields `names` and history events, or None."""
    years = [value.year for name in names if isinstance(value := fields.get(name), datetime.date)]
    if "history" in fields:
        years += [event["date"].year for _, event in events(fields)]
    return max(years, default=None)


def _latest_own(data: SiteData, org_id: str, ever: Mapping[str, list[str]]) -> Callable[[], int | None]:
    """What makes the latest year the records of the members ever on an org's roll hold."""
    members = data.reg.members

    def latest() -> int | None:
        years = [_dated(members[m].data, _DATED_MEMBER) for m in ever.get(org_id, ()) if m in members]
        return max((year for year in years if year is not None), default=None)

    return latest


_DATED_MEMBER, _DATED_ORG = ("joined",), ("founded", "dissolved")  # the dated fields `_latest_year` reads


def _party(data: SiteData, day: datetime.date) -> Callable[[str], int]:
    """What makes an org's own count on `day`: the members on its roll then, in the party."""
    rolls = data.rolls

    def count(org_id: str) -> int:
        ever = keptparts.ever_on(data).get(org_id, ())
        return sum(1 for m in ever if rolls.on_roll(m, day) == org_id and rolls.in_party(m, day))

    return count


def _timeless_own(data: SiteData, org_id: str, ever: Mapping[str, list[str]]) -> Callable[[], bool]:
    """What makes whether an org's own roll has a member without a history counted from `joined` (a scored status)."""
    dated, members = data.rolls.dated_members, data.reg.members

    def found() -> bool:
        return any(
            m not in dated and members[m].get("status") in SCORED_STATUSES and members[m].get("org") == org_id
            for m in ever.get(org_id, ())
        )

    return found


def _end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


def _admitted(member: Record) -> int | None:
    """The year a member became a 预备党员: their history's 预备党员 event, else `joined`."""
    for _, event in events(member.data):
        if event.get("status") == "预备党员":
            return int(event["date"].year)
    joined = member.get("joined")
    return joined.year if isinstance(joined, datetime.date) else None


def _roll_up(tree: Mapping[str | None, list[str]], own: Mapping[str, int]) -> dict[str, int]:
    """Each org's own count plus its subtree's, over the orgs in `tree` (cycles cannot occur: roots go down)."""
    totals: dict[str, int] = {}
    order: list[str] = []
    stack = list(tree.get(None, []))
    while stack:
        org_id = stack.pop()
        if org_id in totals:
            continue
        totals[org_id] = 0
        order.append(org_id)
        stack.extend(tree.get(org_id, []))
    for org_id in reversed(order):
        totals[org_id] = own.get(org_id, 0) + sum(totals[c] for c in tree.get(org_id, []) if c in totals)
    return totals


def _roll_up_vectors(parent: Mapping[str, str | None], own: Mapping[str, list[int]], size: int) -> dict[str, list[int]]:
    """Each unit's vector plus every unit's below it (a cycle of parents is cut at the start)."""
    totals: dict[str, list[int]] = {u: list(own.get(u, [0] * size)) for u in parent}
    for unit, vector in own.items():
        seen = {unit}
        above = parent.get(unit)
        while above is not None and above not in seen and above in totals:
            seen.add(above)
            totals[above] = [a + b for a, b in zip(totals[above], vector)]
            above = parent.get(above)
    return totals


def _nearest(tree: Mapping[Any, list[str]], org_id: str, shown: set[str]) -> list[str]:
    """The nearest orgs below `org_id` in `tree` that are in `shown`."""
    found, stack, seen = [], list(tree.get(org_id, [])), {org_id}
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in shown:
            found.append(current)
        else:
            stack.extend(tree.get(current, []))
    return sorted(found)


def _derivable(
    unit: str, dims: Mapping[str, Dimension], published: Set[tuple[str, tuple]], name: str, atoms: Iterable[str]
) -> bool:
    """Whether a reader can count `atoms` of dimension `name` at `unit` from its published figures (and links)."""
    dim = dims[name]
    generators = {mask for cell, mask in dim.cell_masks.items() if (unit, cell) in published}
    for here, other, there in dim.links:
        linked = dims.get(other)
        if linked is None:
            continue
        linked_generators = frozenset(m for c, m in linked.cell_masks.items() if (unit, c) in published)
        if linked.mask(there) in indicators(linked_generators, len(linked.atoms)):
            generators.add(dim.mask(here))
    return dim.mask(atoms) in indicators(frozenset(generators), len(dim.atoms))


def _tree_order(data: SiteData) -> Iterator[str]:
    """Every org, depth first from the site's root (orgs it does not reach after, by id)."""
    seen: set[str] = set()
    roots = [data.root] if data.root in data.reg.orgs else []
    for start in [*roots, *sorted(data.reg.orgs)]:
        stack = [start]
        while stack:
            org_id = stack.pop()
            if org_id in seen or org_id not in data.reg.orgs:
                continue
            seen.add(org_id)
            yield org_id
            stack.extend(sorted(data.reg.children.get(org_id, []), reverse=True))
