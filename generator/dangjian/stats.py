"""Aggregates over an organization and its descendants: raw figures, before any suppression."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .model import Registry, is_scored
from .recordtypes import MEMBER_STATUSES, SCORED_STATUSES
from .scores import ScoreBook, stars_for
from .suppression import Dimension, Table


@dataclass
class OrgStats:
    """Member figures of an org including every org below it."""

    members: int = 0
    by_status: Counter = field(default_factory=Counter)
    flow_out: int = 0
    flow_in: int = 0
    year: int | None = None  # the year the scores are of
    scored: int = 0  # members scored that year
    average: Fraction | None = None
    stars: Counter = field(default_factory=Counter)


def latest_year(scores: ScoreBook, member_ids: list[str]) -> int | None:
    """The latest year any of these members has a points event."""
    years = [date.year for m in member_ids for date, _ in scores.events.get(m, ())]
    return max(years, default=None)


class StatsBook:
    """Figures of each org over itself and its descendants, every org computed once.

    Scores are of the latest year with points events below the org. Walking every descendant's roster for every
    org costs members × depth; here each member is read once for its org, and each org adds up its children's
    totals (per year, since an org's latest year may be later than a child's).
    """

    def __init__(self, reg: Registry, scores: ScoreBook) -> None:
        self.reg = reg
        self.scores = scores
        self._own: dict[str, tuple[OrgStats, list[str], int | None]] = {}
        self._totals: dict[str, OrgStats] = {}
        self._latest: dict[str, int | None] = {}
        self._years: dict[int, dict[str, tuple[int, Fraction, Counter]]] = {}
        self._stats: dict[str, OrgStats] = {}

    def of(self, org_id: str) -> OrgStats:
        if org_id not in self._stats:
            totals = self.totals(org_id)
            stats = OrgStats(
                members=totals.members,
                by_status=Counter(totals.by_status),
                flow_out=totals.flow_out,
                flow_in=totals.flow_in,
            )
            stats.year = self.latest(org_id)
            if stats.year is not None:
                count, total, stars = self.year_totals(org_id, stats.year)
                if count:
                    stats.scored, stats.average, stats.stars = count, total / count, Counter(stars)
            self._stats[org_id] = stats
        return self._stats[org_id]

    def _children(self, org_id: str) -> list[str]:
        return [c for c in self.reg.children.get(org_id, []) if c != org_id]

    def _order(self, org_id: str, done: dict) -> list[str]:
        """`org_id` and the orgs below it not yet in `done`, children before parents (no recursion)."""
        order, stack, seen = [], [(org_id, False)], set()
        while stack:
            current, expanded = stack.pop()
            if current in done or (not expanded and current in seen):
                continue
            if expanded:
                order.append(current)
                continue
            seen.add(current)
            stack.append((current, True))
            stack.extend((child, False) for child in self._children(current) if child not in seen)
        return order

    def own(self, org_id: str) -> tuple[OrgStats, list[str], int | None]:
        """The org's own members only: figures, scored member ids, their latest year."""
        if org_id not in self._own:
            stats = OrgStats()
            scored = []
            for member_id in self.reg.members_of.get(org_id, []):
                member = self.reg.members[member_id]
                stats.members += 1
                stats.by_status[member.get("status")] += 1
                flow = member.get("flow")
                if flow:
                    stats.flow_out += flow.get("direction") == "out"
                    stats.flow_in += flow.get("direction") == "in"
                if is_scored(member):
                    scored.append(member_id)
            self._own[org_id] = (stats, scored, latest_year(self.scores, scored))
        return self._own[org_id]

    def totals(self, org_id: str) -> OrgStats:
        for current in self._order(org_id, self._totals):
            stats = OrgStats()
            for part in [self.own(current)[0]] + [
                self._totals[c] for c in self._children(current) if c in self._totals
            ]:
                stats.members += part.members
                stats.by_status.update(part.by_status)
                stats.flow_out += part.flow_out
                stats.flow_in += part.flow_in
            self._totals[current] = stats
        return self._totals[org_id]

    def latest(self, org_id: str) -> int | None:
        for current in self._order(org_id, self._latest):
            years = [self.own(current)[2]] + [self._latest.get(c) for c in self._children(current)]
            self._latest[current] = max((y for y in years if y is not None), default=None)
        return self._latest[org_id]

    def year_totals(self, org_id: str, year: int) -> tuple[int, Fraction, Counter]:
        """Scored members below and in `org_id`: how many, the sum of their `year` scores, their stars."""
        done = self._years.setdefault(year, {})
        for current in self._order(org_id, done):
            scored = self.own(current)[1]
            values = [self.scores.yearly_score(m, year) for m in scored]
            count, total = len(values), sum(values, Fraction(0))
            stars = Counter(stars_for(v, self.reg.stars) for v in values)
            for child in self._children(current):
                part = done.get(child)
                if part:
                    count, total = count + part[0], total + part[1]
                    stars.update(part[2])
            done[current] = (count, total, stars)
        return done[org_id]


# --- the figures the site publishes, as a table for secondary suppression -----------------

HOME = ""  # the unit of the home page's figures: every member of the registry


def points_dimension(last: datetime.date) -> str:
    """The dimension of an average of scores from 1 January to `last`: a whole year's is the org pages' own."""
    return f"average:{last.year}" if (last.month, last.day) == (12, 31) else f"points:{last.isoformat()}"


def figure_dimensions(levels: list[int], years: list[int], points: dict[str, list] | None = None) -> list[Dimension]:
    """How each published figure splits members (see suppression.py): statuses, flows, stars and averages.

    `points`: dimension name -> the rankings' average cells in it (see `points_dimension`)."""
    scored = tuple(SCORED_STATUSES)
    unscored = tuple(s for s in MEMBER_STATUSES if s not in SCORED_STATUSES)
    bands = tuple(f"L{k}" for k in sorted(set(levels) | {0}))  # L0: below every threshold, never shown
    status_cells: dict = {("members",): MEMBER_STATUSES, ("party",): scored}
    status_cells.update({("status", s): (s,) for s in MEMBER_STATUSES})
    dims = [
        Dimension("status", MEMBER_STATUSES, status_cells, tuple((scored, f"stars:{y}", bands) for y in years)),
        Dimension(
            "flow",
            ("out", "in", "none"),
            {("members",): ("out", "in", "none"), ("flow", "out"): ("out",), ("flow", "in"): ("in",)},
        ),
    ]
    for year in years:
        cells: dict = {("members",): bands + unscored, ("party",): bands}
        cells.update({("status", s): (s,) for s in unscored})
        cells.update({("stars", year, k): (f"L{k}",) for k in levels})
        dims.append(Dimension(f"stars:{year}", bands + unscored, cells, ((bands, "status", scored),)))
        dims.append(Dimension(f"average:{year}", ("scored",), {("average", year): ("scored",)}))
    for name, averages in (points or {}).items():  # a ranking averages the members admitted by the period's end
        known = next((d for d in dims if d.name == name), None)
        ranked = Dimension(name, ("joined", "later"), {cell: ("joined",) for cell in averages})
        if known is not None:  # the org pages' average of that year counts later members too
            ranked.add_cells({cell: ("joined", "later") for cell in known.cells})
            dims.remove(known)
        dims.append(ranked)
    return dims


def figure_table(
    book: StatsBook, home_locked: bool = False, rankings: Sequence[tuple[str, tuple, datetime.date]] = ()
) -> Table:
    """Every org's published figures and the home page's, with the counts behind them.

    `home_locked`: the home page shows its figures whatever suppression decides (only primary
    suppression), so other figures must be withheld around them. `rankings`: (org, cell, last
    day) of each average score a ranking publishes (`points_average`), shown whatever its size.
    """
    reg = book.reg
    levels = sorted(reg.stars)
    years = sorted({y for o in reg.orgs if (y := book.of(o).year) is not None})
    ranked = [(org, cell, points_dimension(last)) for org, cell, last in rankings if org in reg.orgs]
    points: dict[str, list] = {}
    for _, cell, name in ranked:
        points.setdefault(name, []).append(cell)
    dims = figure_dimensions(levels, years, points)
    parent: dict[str, str | None] = {HOME: None}
    for org_id in reg.orgs:
        parent.setdefault(org_id, HOME)
        for child in book._children(org_id):
            if child in reg.orgs:
                parent[child] = org_id
    counts = {o: _counts(book, book.totals(o), o, years) for o in reg.orgs}
    cells = {o: _cells(book.of(o), levels) for o in reg.orgs}
    everyone = OrgStats(members=len(reg.members), by_status=Counter(m.get("status") for m in reg.members.values()))
    for member in reg.members.values():
        flow = member.get("flow") or {}
        everyone.flow_out += flow.get("direction") == "out"
        everyone.flow_in += flow.get("direction") == "in"
    counts[HOME] = _counts(book, everyone, None, years)
    _home_stars(book, counts[HOME], [o for o, p in parent.items() if p == HOME], years)
    cells[HOME] = {("status", s): everyone.by_status[s] for s in MEMBER_STATUSES}
    cells[HOME][("party",)] = sum(everyone.by_status[s] for s in SCORED_STATUSES)
    for name in points:
        joined = _joined(book, parent, _day_of(name))
        for unit, unit_counts in counts.items():
            unit_counts[name] = (joined.get(unit, 0), _scored(unit_counts) - joined.get(unit, 0))
    for org, cell, name in ranked:
        cells[org][cell] = counts[org][name][0]
    return Table(
        parent,
        dims,
        counts,
        cells,
        locked={(HOME, c) for c in cells[HOME]} if home_locked else set(),
        forced={(org, cell) for org, cell, _ in ranked},
    )


def _counts(book: StatsBook, totals: OrgStats, org_id: str | None, years: list[int]) -> dict[str, tuple[int, ...]]:
    statuses = tuple(totals.by_status[s] for s in MEMBER_STATUSES)
    counts = {
        "status": statuses,
        "flow": (totals.flow_out, totals.flow_in, totals.members - totals.flow_out - totals.flow_in),
    }
    unscored = tuple(totals.by_status[s] for s in MEMBER_STATUSES if s not in SCORED_STATUSES)
    bands = sorted(set(book.reg.stars) | {0})
    for year in years:
        count, _, stars = book.year_totals(org_id, year) if org_id is not None else (0, 0, Counter())
        counts[f"stars:{year}"] = tuple(stars[k] for k in bands) + unscored
        counts[f"average:{year}"] = (count,)
    return counts


def _day_of(name: str) -> datetime.date:
    """The last day of a `points_dimension`."""
    kind, _, when = name.partition(":")
    return datetime.date(int(when), 12, 31) if kind == "average" else datetime.date.fromisoformat(when)


def _joined(book: StatsBook, parent: dict[str, str | None], day: datetime.date) -> dict[str, int]:
    """Members admitted (scored) by `day`, under each unit and the home page's."""
    found: Counter = Counter()
    for member_id, member in book.reg.members.items():
        if not book.scores.joined_by(member_id, day):
            continue
        unit, steps = member.get("org") if member.get("org") in parent else HOME, 0
        while unit is not None and steps <= len(parent):  # up to the home page; a cycle ends the walk
            found[unit] += 1
            unit, steps = parent.get(unit), steps + 1
    return found


def _scored(unit_counts: dict[str, tuple[int, ...]]) -> int:
    statuses = dict(zip(MEMBER_STATUSES, unit_counts["status"]))
    return sum(statuses[s] for s in SCORED_STATUSES)


def _home_stars(book: StatsBook, counts: dict, tops: list[str], years: list[int]) -> None:
    """Star bands of every scored member: the top orgs' and those of members outside any org."""
    reg, bands = book.reg, sorted(set(book.reg.stars) | {0})
    outside = [m for m, member in reg.members.items() if member.get("org") not in reg.orgs and is_scored(member)]
    for year in years:
        stars: Counter[int] = Counter()
        for top in tops:
            stars.update(book.year_totals(top, year)[2])
        stars.update(stars_for(book.scores.yearly_score(m, year), reg.stars) for m in outside)
        unscored = counts[f"stars:{year}"][len(bands) :]
        counts[f"stars:{year}"] = tuple(stars[k] for k in bands) + unscored
        counts[f"average:{year}"] = (sum(stars.values()),)


def _cells(stats: OrgStats, levels: list[int]) -> dict:
    """The figures an org page shows, each with the number of members it counts."""
    cells: dict = {("members",): stats.members, ("flow", "out"): stats.flow_out, ("flow", "in"): stats.flow_in}
    cells.update({("status", s): stats.by_status[s] for s in MEMBER_STATUSES})
    if stats.year is not None and stats.scored:
        cells[("average", stats.year)] = stats.scored
        cells.update({("stars", stats.year, k): stats.stars[k] for k in levels})
    return cells
