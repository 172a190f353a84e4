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


def org_stats(reg: Registry, scores: ScoreBook, org_id: str) -> OrgStats:
    """Figures over `org_id` and its descendants; scores are of the latest year with points events."""
    member_ids = [m for o in (org_id, *reg.descendants(org_id)) for m in reg.members_of.get(o, [])]
    stats = OrgStats(members=len(member_ids))
    for member_id in member_ids:
        member = reg.members[member_id]
        stats.by_status[member.get("status")] += 1
        flow = member.get("flow")
        if flow:
            stats.flow_out += flow.get("direction") == "out"
            stats.flow_in += flow.get("direction") == "in"
    scored = [m for m in member_ids if is_scored(reg.members[m])]
    stats.year = latest_year(scores, scored)
    if stats.year is not None and scored:
        values = [scores.yearly_score(m, stats.year) for m in scored]
        stats.scored = len(values)
        stats.average = sum(values, Fraction(0)) / len(values)
        stats.stars = Counter(stars_for(v, reg.stars) for v in values)
    return stats
