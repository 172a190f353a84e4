"""Aggregates over an organization and its descendants: raw figures, before any suppression.

Time (dated histories, issue 20; rolls.py): today's figures (在册人数, by status, 流出/流入) count the members
on a roll today, each in the org their state puts them in today (a member who left is not counted). A
year's figures (the scored members, their average and stars) are of that year's last day: the members in
the party on 31 December (`ScoreBook.joined_by`), each on the roll they were on then, added up over the
tree as it was then. A record without a history is timeless, so a registry without histories counts as
format 1.1 says, except that a member admitted after a year is no longer counted in that year's figures.
"""

from __future__ import annotations

import bisect
import datetime
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .load import Record
from .model import Registry
from .parts import Parts
from .recordtypes import MEMBER_STATUSES, SCORED_STATUSES
from .rolls import Rolls, year_end
from .scores import ScoreBook, exact_sum, stars_for
from .suppression import Dimension, Table
from .timeline import record_data


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

    def __init__(
        self,
        reg: Registry,
        scores: ScoreBook | None,
        rolls: Rolls | None = None,
        *,
        later: Callable[[], ScoreBook] | None = None,
        parts: Parts | None = None,
    ) -> None:
        """`scores`, or None and `later`, which makes them when first needed (a book whose stats were kept);
        `parts`: each org's own parts, computed once, or kept (`parts.py`)."""
        self.reg = reg
        self._scores, self._later = scores, later
        self.rolls = rolls or getattr(scores, "rolls", None) or Rolls(reg)
        self.parts = parts if parts is not None else Parts()
        self._model: dict[int, dict[str, tuple[int, Fraction, Counter]]] = {}
        self._unplaced: dict[datetime.date, set[str]] = {}
        self._totals: dict[str, OrgStats] = {}
        self._latest: dict[str, int | None] = {}
        self._years: dict[int, dict[str, tuple[int, Fraction, Counter]]] = {}
        self._stats: dict[str, OrgStats] = {}
        self._star_memo: dict[Fraction, int] = {}
        self._now: dict[str, tuple[str | None, str | None]] = {}

    @property
    def scores(self) -> ScoreBook:
        if self._scores is None:
            assert self._later is not None, "a StatsBook without its scores"
            self._scores = self._later()
        return self._scores

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

    def _children(self, org_id: str, tree: dict[str, list[str]] | None = None) -> list[str]:
        """The orgs under `org_id` in `tree` (today's, the files', by default)."""
        return [c for c in (self.reg.children if tree is None else tree).get(org_id, []) if c != org_id]

    def now(self, member_id: str) -> tuple[str | None, str | None]:
        """(status, flow direction) of a member today: their record's, or their history's end."""
        if member_id in self._now:  # asked of every member by the figures, the home page and the new members
            return self._now[member_id]
        found = self._now[member_id] = member_now(self.rolls, member_id)
        return found

    def placed(self, member_id: str, day: datetime.date) -> bool:
        """In the party on `day` and counted today where they were counted then: a member scored today (on
        a roll, a scored status), on the same roll under the same orgs on `day` (see `figure_table`)."""
        if not self.scores.joined_by(member_id, day):
            return False
        if member_id not in self.rolls.dated_members and not self.rolls.dated_orgs:
            return True
        return self.now(member_id)[0] in SCORED_STATUSES and self.rolls.placed_alike(member_id, day)

    def _order(self, org_id: str, done: dict, tree: dict[str, list[str]] | None = None) -> list[str]:
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
            stack.extend((child, False) for child in self._children(current, tree) if child not in seen)
        return order

    def own(self, org_id: str) -> tuple[OrgStats, int | None]:
        """The org's own members today only: figures, and the latest year the scored ones have points in (an own
        part: `parts.py`)."""
        return self.parts.org(org_id, ("own",), lambda: self._own(org_id))

    def _own(self, org_id: str) -> tuple[OrgStats, int | None]:
        stats = OrgStats()
        scored = []
        for member_id in self.rolls.members_of().get(org_id, []):
            status, flow = self.now(member_id)
            stats.members += 1
            stats.by_status[status] += 1
            stats.flow_out += flow == "out"
            stats.flow_in += flow == "in"
            if status in SCORED_STATUSES:
                scored.append(member_id)
        return stats, latest_year(self.scores, scored)

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
            years = [self.own(current)[1]] + [self._latest.get(c) for c in self._children(current)]
            self._latest[current] = max((y for y in years if y is not None), default=None)
        return self._latest[org_id]

    def year_totals(self, org_id: str, year: int) -> tuple[int, Fraction, Counter]:
        """The members in the party on 31 December of `year` in and below `org_id` (rolls and tree of that
        day): how many, the sum of their `year` scores, their stars."""
        day = year_end(year)
        return self._add_up(
            org_id,
            year,
            self._years.setdefault(year, {}),
            self.rolls.children(day),
            ("year", year),
            lambda org: [m for m in self.rolls.members_of(day).get(org, []) if self.scores.joined_by(m, day)],
        )

    def modelled_year(self, org_id: str, year: int) -> tuple[int, Fraction, Counter]:
        """`year_totals` over the members `placed` on its last day, on today's rolls and tree: what
        suppression's one tree can account for (equal to `year_totals` where no history moved anyone)."""
        if self.rolls.timeless:
            return self.year_totals(org_id, year)
        day = year_end(year)
        return self._add_up(
            org_id,
            year,
            self._model.setdefault(year, {}),
            None,
            ("model", year),
            lambda org: [m for m in self.rolls.members_of().get(org, []) if self.placed(m, day)],
        )

    def _add_up(
        self,
        org_id: str,
        year: int,
        done: dict,
        tree: dict[str, list[str]] | None,
        key: tuple,
        own: Callable[[str], list[str]],
    ) -> tuple[int, Fraction, Counter]:
        """Count, score sum and stars of `own(org)`'s `year` scores over `org_id`'s subtree, each org once (each org's
        own: an own part under `key`)."""
        for current in self._order(org_id, done, tree):
            count, total, stars = self._own_scores(current, key, own, year)
            stars = Counter(stars)
            for child in self._children(current, tree):
                part = done.get(child)
                if part:
                    count, total = count + part[0], total + part[1]
                    stars.update(part[2])
            done[current] = (count, total, stars)
        return done[org_id]

    def _own_scores(
        self, org_id: str, key: tuple, own: Callable[[str], list[str]], year: int
    ) -> tuple[int, Fraction, Counter]:
        """Count, score sum and stars of `own(org_id)`'s `year` scores: the org's own part under `key`."""

        def scored() -> tuple[int, Fraction, Counter]:
            values = [self.scores.yearly_score(m, year) for m in own(org_id)]
            return len(values), exact_sum(values), Counter(self._stars(v) for v in values)

        return self.parts.org(org_id, key, scored)

    def _stars(self, score: Fraction) -> int:
        """`stars_for` the registry's thresholds, once per score (members share a few hundred scores)."""
        if score not in self._star_memo:
            self._star_memo[score] = stars_for(score, self.reg.stars)
        return self._star_memo[score]

    def unplaced(self, day: datetime.date) -> set[str]:
        """Orgs whose figures of `day` count someone not `placed` (moved or left since, or under an org that
        moved): suppression cannot account for those figures on today's tree."""
        if day in self._unplaced:
            return self._unplaced[day]
        found: set[str] = set()
        self._unplaced[day] = found
        if self.rolls.timeless:
            return found
        for org in self.reg.orgs:  # an org on no roll that day: nobody to place
            if org not in found and self._unplaced_own(org, day):
                found.add(org)
                found.update(self.rolls.ancestors(org, day))
        return found

    def _unplaced_own(self, org_id: str, day: datetime.date) -> bool:
        """Whether the org's own roll on `day` has someone in the party not `placed` alike (an own part)."""

        def found() -> bool:
            members = self.rolls.members_of(day).get(org_id, [])
            return any(self.scores.joined_by(m, day) and not self.placed(m, day) for m in members)

        return self.parts.org(org_id, ("unplaced", day), found)


# --- the figures the site publishes, as a table for secondary suppression -----------------

HOME = ""  # the unit of the home page's figures: every member of the registry


def points_dimension(last: datetime.date) -> str:
    """The dimension of an average of scores from 1 January to `last`: a whole year's is the org pages' own."""
    return f"average:{last.year}" if (last.month, last.day) == (12, 31) else f"points:{last.isoformat()}"


def figure_dimensions(
    levels: list[int], years: list[int], points: dict[str, list] | None = None, later: Sequence[int] = ()
) -> list[Dimension]:
    """How each published figure splits members (see suppression.py): statuses, flows, stars and averages.

    `points`: dimension name -> the rankings' average cells in it (see `points_dimension`). `later`: the
    years whose star bands leave out some of today's 党员 (admitted after the year, or not counted in that
    year where they are today): their stars dimension has a `later` atom beside the bands."""
    scored = tuple(SCORED_STATUSES)
    unscored = tuple(s for s in MEMBER_STATUSES if s not in SCORED_STATUSES)
    bands = tuple(f"L{k}" for k in sorted(set(levels) | {0}))  # L0: below every threshold, never shown
    party = {y: bands + ("later",) if y in later else bands for y in years}  # today's 党员 in the year's terms
    status_cells: dict = {("members",): MEMBER_STATUSES, ("party",): scored}
    status_cells.update({("status", s): (s,) for s in MEMBER_STATUSES})
    dims = [
        Dimension("status", MEMBER_STATUSES, status_cells, tuple((scored, f"stars:{y}", party[y]) for y in years)),
        Dimension(
            "flow",
            ("out", "in", "none"),
            {("members",): ("out", "in", "none"), ("flow", "out"): ("out",), ("flow", "in"): ("in",)},
        ),
    ]
    for year in years:
        cells: dict = {("members",): party[year] + unscored, ("party",): party[year]}
        cells.update({("status", s): (s,) for s in unscored})
        cells.update({("stars", year, k): (f"L{k}",) for k in levels})
        dims.append(Dimension(f"stars:{year}", party[year] + unscored, cells, ((party[year], "status", scored),)))
        dims.append(Dimension(f"average:{year}", ("scored",), {("average", year): ("scored",)}))
    for name, averages in (points or {}).items():  # a ranking averages the members admitted by the period's end
        known = next((d for d in dims if d.name == name), None)
        ranked = Dimension(name, ("joined", "later"), {cell: ("joined",) for cell in averages})
        if known is not None:  # the org pages' average of that year: the same members, those of 31 December
            ranked.add_cells({cell: ("joined",) for cell in known.cells})
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
    parent: dict[str, str | None] = {HOME: None}
    for org_id in reg.orgs:
        parent.setdefault(org_id, HOME)
        for child in book._children(org_id):
            if child in reg.orgs:
                parent[child] = org_id
    counts = {o: _counts(book, book.totals(o), o, years) for o in reg.orgs}
    unplaced = {year: book.unplaced(year_end(year)) for year in years}
    cells = {o: _cells(book.of(o), levels, o not in unplaced.get(book.of(o).year or 0, ())) for o in reg.orgs}
    everyone, outside = _today(book)
    counts[HOME] = _counts(book, everyone, None, years)
    _home_stars(book, counts[HOME], [o for o, p in parent.items() if p == HOME], outside, years)
    bands = len(set(levels) | {0})
    later = [y for y in years if any(c[f"stars:{y}"][bands] for c in counts.values())]
    for unit_counts in counts.values():  # the `later` atom only where some year needs it (see figure_dimensions)
        for year in years:
            if year not in later:
                stars = unit_counts[f"stars:{year}"]
                unit_counts[f"stars:{year}"] = stars[:bands] + stars[bands + 1 :]
    dims = figure_dimensions(levels, years, points, later)
    cells[HOME] = {("status", s): everyone.by_status[s] for s in MEMBER_STATUSES}
    cells[HOME][("party",)] = sum(everyone.by_status[s] for s in SCORED_STATUSES)
    for name in points:
        joined = _joined(book, parent, _day_of(name))
        for unit, unit_counts in counts.items():
            unit_counts[name] = (joined.get(unit, 0), _scored(unit_counts) - joined.get(unit, 0))
    for org, cell, name in ranked:
        cells[org][cell] = counts[org][name][0]
    _mark_unplaced(book, ranked, dims, counts, cells, parent)
    return Table(
        parent,
        dims,
        counts,
        cells,
        locked={(HOME, c) for c in cells[HOME]} if home_locked else set(),
        forced={(org, cell) for org, cell, _ in ranked},
    )


def _counts(book: StatsBook, totals: OrgStats, org_id: str | None, years: list[int]) -> dict[str, tuple[int, ...]]:
    """A unit's atom counts in each dimension; a year's stars as bands, `later`, then the unscored statuses."""
    statuses = tuple(totals.by_status[s] for s in MEMBER_STATUSES)
    counts = {
        "status": statuses,
        "flow": (totals.flow_out, totals.flow_in, totals.members - totals.flow_out - totals.flow_in),
    }
    unscored = tuple(totals.by_status[s] for s in MEMBER_STATUSES if s not in SCORED_STATUSES)
    party = sum(totals.by_status[s] for s in SCORED_STATUSES)
    bands = sorted(set(book.reg.stars) | {0})
    for year in years:
        count, _, stars = book.modelled_year(org_id, year) if org_id is not None else (0, 0, Counter())
        counts[f"stars:{year}"] = tuple(stars[k] for k in bands) + (party - count,) + unscored
        counts[f"average:{year}"] = (count,)
    return counts


def _mark_unplaced(
    book: StatsBook,
    ranked: list[tuple[str, tuple, str]],
    dims: list[Dimension],
    counts: dict,
    cells: dict,
    parent: dict[str, str | None],
) -> None:
    """A ranking's average over members who moved or left since (`StatsBook.unplaced`) cannot be audited on
    today's tree, and it is shown whatever its size: it gets a dimension of its own in which it counts one
    member (counted up the tree, so units still add up), so suppression reports it unresolved and the site
    shows neither it nor its total. Its cell says how many it truly averages."""
    for org, cell, name in ranked:
        if org not in book.unplaced(_day_of(name)):
            continue
        cells[org][cell] = len(book.rolls.party_in(org, _day_of(name)))
        marker = f"{name}:moved:{org}"
        dims.append(Dimension(marker, ("moved",), {cell: ("moved",)}))
        above: set[str] = set()
        step: str | None = org
        while step is not None and step not in above:
            above.add(step)
            step = parent.get(step)
        for unit, unit_counts in counts.items():
            unit_counts[marker] = (1 if unit in above else 0,)


def _day_of(name: str) -> datetime.date:
    """The last day of a `points_dimension`."""
    kind, _, when = name.partition(":")
    return datetime.date(int(when), 12, 31) if kind == "average" else datetime.date.fromisoformat(when)


def _joined(book: StatsBook, parent: dict[str, str | None], day: datetime.date) -> dict[str, int]:
    """Members in the party on `day` and `placed` alike today, under each unit (today's) and the home page's."""
    rolls = book.rolls
    direct: Counter = Counter()  # members counted at each unit itself; then each unit's walk up the tree, once
    one_by_one: Iterable[str] = rolls.members
    if getattr(book.scores, "rolls", None) is book.rolls:  # a ScoreBook: `joined_by` is these rolls' `in_party`
        one_by_one = rolls.dated_members
        for org, admitted in rolls.admissions().items():  # without a history: `placed` is admitted by `day`
            if rolls.dated_orgs and (org is None or rolls.ancestors(org, day) != rolls.ancestors(org, None)):
                continue  # `placed_alike`: under another chain of orgs on `day` than today (or on no roll)
            count = bisect.bisect_right(admitted, day)
            if count:
                direct[org if org in parent else HOME] += count
    for member_id in one_by_one:
        if book.placed(member_id, day):
            org = rolls.on_roll(member_id)
            direct[org if org in parent else HOME] += 1
    found: Counter = Counter()
    for start, count in direct.items():
        unit, steps = start, 0
        while unit is not None and steps <= len(parent):  # up to the home page; a cycle ends the walk
            found[unit] += count
            unit, steps = parent.get(unit), steps + 1
    return found


def _scored(unit_counts: dict[str, tuple[int, ...]]) -> int:
    statuses = dict(zip(MEMBER_STATUSES, unit_counts["status"]))
    return sum(statuses[s] for s in SCORED_STATUSES)


def _today(book: StatsBook) -> tuple[OrgStats, list[str]]:
    """Every member on a roll today (or without a history: on their record's) as one unit's figures, the home
    page's; and the scored ones among them on the roll of no org of this registry, whose stars the home page adds to
    the top orgs' (`_home_stars`). One pass over the members, each read once (`StatsBook.now`, inlined for a member
    without a history: a city's 200,000 were read three times over, 0.7 s of a figure table's 1.2)."""
    rolls, orgs, known = book.rolls, book.reg.orgs, book._now
    dated = rolls.dated_members
    by_status: dict[str | None, int] = {}
    members = flow_out = flow_in = 0
    outside: list[str] = []
    for member_id, record in rolls.members.items():
        if member_id in dated:
            org = rolls.on_roll(member_id)
            if org is None:
                continue  # left, or not yet on a roll of this registry
            status, flow = book.now(member_id)
        else:
            data = record_data(record)
            org = data.get("org")
            status, flow = known[member_id] = record_now(data)  # as `now` keeps it
        members += 1
        by_status[status] = by_status.get(status, 0) + 1
        flow_out += flow == "out"
        flow_in += flow == "in"
        if org not in orgs and status in SCORED_STATUSES:
            outside.append(member_id)
    return OrgStats(members, Counter(by_status), flow_out, flow_in), outside


def _home_stars(book: StatsBook, counts: dict, tops: list[str], outside: list[str], years: list[int]) -> None:
    """Star bands of every scored member: the top orgs' and those of members on no org's roll (`outside`)."""
    bands = sorted(set(book.reg.stars) | {0})
    party = counts["status"]
    party_count = sum(n for s, n in zip(MEMBER_STATUSES, party) if s in SCORED_STATUSES)
    for year in years:
        stars: Counter[int] = Counter()
        for top in tops:
            stars.update(book.modelled_year(top, year)[2])
        day = year_end(year)
        stars.update(book._stars(book.scores.yearly_score(m, year)) for m in outside if book.placed(m, day))
        unscored = counts[f"stars:{year}"][len(bands) + 1 :]
        count = sum(stars.values())
        counts[f"stars:{year}"] = tuple(stars[k] for k in bands) + (party_count - count,) + unscored
        counts[f"average:{year}"] = (count,)


def _cells(stats: OrgStats, levels: list[int], placed: bool = True) -> dict:
    """The figures an org page shows, each with the number of members it counts; without its year's figures
    when they count someone suppression cannot place on today's tree (`placed` False: never published)."""
    cells: dict = {("members",): stats.members, ("flow", "out"): stats.flow_out, ("flow", "in"): stats.flow_in}
    cells.update({("status", s): stats.by_status[s] for s in MEMBER_STATUSES})
    if stats.year is not None and stats.scored and placed:
        cells[("average", stats.year)] = stats.scored
        cells.update({("stars", stats.year, k): stats.stars[k] for k in levels})
    return cells


def record_now(member: Mapping[str, Any] | Record) -> tuple[str | None, str | None]:
    """(status, flow direction) of a member without a history: their record's."""
    return member.get("status"), (member.get("flow") or {}).get("direction")


def member_now(rolls: Rolls, member_id: str) -> tuple[str | None, str | None]:
    """(status, flow direction) of a member today, as the rolls give it: their record's, or their history's end."""
    member = rolls.members[member_id]
    if member_id not in rolls.dated_members:
        return record_now(member)
    state = rolls.state(member_id)
    return (state.status, state.flow[0] if state.flow else None) if state is not None else (None, None)
