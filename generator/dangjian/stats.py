"""Aggregates over an organization and its descendants: raw figures, before any suppression."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from .model import Registry, is_scored
from .scores import ScoreBook, stars_for


@dataclass
class OrgStats:
    """Member figures of an org including every org below it."""

    members: int = 0
    by_status: Counter = field(default_factory=Counter)
    flow_out: int = 0
    flow_in: int = 0
    year: int | None = None          # the year the scores are of
    scored: int = 0                  # members scored that year
    average: Fraction | None = None
    stars: Counter = field(default_factory=Counter)


def latest_year(scores: ScoreBook, member_ids: list[str]) -> int | None:
    """The latest year any of these members has a points event."""
    years = [date.year for m in member_ids for date, _ in scores.events.get(m, ())]
    return max(years, default=None)


class StatsBook:
    """Figures of each org over itself and its descendants, every org computed once.

    Scores are of the latest year with points events below the org. Walking every descendant's roster for every org costs members × depth; here each
    member is read once for its org, and each org adds up its children's totals (per
    year, since an org's latest year may be later than a child's).
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
            stats = OrgStats(members=totals.members, by_status=Counter(totals.by_status),
                             flow_out=totals.flow_out, flow_in=totals.flow_in)
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
            for part in [self.own(current)[0]] + [self._totals[c] for c in self._children(current) if c in self._totals]:
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
