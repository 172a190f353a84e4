"""Yearly member scores (党员积分履责制) and star ratings, exactly as the format defines them.

A member with a scored status is scored for year Y only when `joined` is on or before
31 December of Y (format 1.1: no score for a year before admission). Score for Y: start at `base`; per rule,
sum its points from ledger entries and activity attendance dated in Y (up to an optional last day), the
sum's absolute value limited to `max_per_year`; clamp to 0..cap. Arithmetic is on
Fractions of the decimal values written in the files.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from .model import Registry, is_scored


@dataclass(frozen=True)
class MemberScore:
    """A member's yearly score and star rating."""

    member: str
    score: Fraction
    stars: int


def stars_for(score: Fraction, thresholds: dict[int, Fraction]) -> int:
    """The largest star count whose threshold the score reaches (0 if none)."""
    return max((stars for stars, low in thresholds.items() if score >= low), default=0)


class ScoreBook:
    """Every member's dated points events, indexed once, to score any member for any year."""

    def __init__(self, reg: Registry) -> None:
        self.reg = reg
        book = reg.rulebook
        self.base = Fraction(book.get("base", 0)) if book else Fraction(0)
        self.cap = Fraction(book.get("cap", 0)) if book else Fraction(0)
        self.rules = reg.points_rules
        self.events: dict[str, list[tuple[datetime.date, str]]] = defaultdict(list)
        self._memo: dict[tuple[str, int, datetime.date], Fraction] = {}
        for entry in reg.all("ledger"):
            if {"member", "date", "rule"} <= entry.data.keys():
                self.events[entry["member"]].append((entry["date"], entry["rule"]))
        for activity in reg.all("activity"):
            if "rule" in activity.data and "date" in activity.data:
                for member_id in activity.get("attendees", []):
                    self.events[member_id].append((activity["date"], activity["rule"]))

    def yearly_score(self, member_id: str, year: int, until: datetime.date | None = None) -> Fraction:
        """The member's score for `year`, counting events up to `until` (inclusive) when given."""
        last = until or datetime.date(year, 12, 31)
        key = (member_id, year, last)
        if key not in self._memo:
            self._memo[key] = self._score(member_id, year, last)
        return self._memo[key]

    def _score(self, member_id: str, year: int, last: datetime.date) -> Fraction:
        counts: dict[str, int] = defaultdict(int)  # events per rule: n × points is exact, and cheaper than n additions
        for date, rule_id in self.events.get(member_id, ()):
            if date.year == year and date <= last and rule_id in self.rules:
                counts[rule_id] += 1
        score = self.base
        for rule_id, count in counts.items():
            total = Fraction(self.rules[rule_id]["points"]) * count
            limit = self.rules[rule_id].get("max_per_year")
            if limit is not None and abs(total) > limit:
                total = limit if total > 0 else -Fraction(limit)
            score += total
        return min(max(score, Fraction(0)), self.cap)

    def joined_by(self, member_id: str, day: datetime.date) -> bool:
        """Whether the member has a scored status and was admitted (`joined`) on or before `day`."""
        member = self.reg.members.get(member_id)
        if member is None or not is_scored(member):
            return False
        joined = member.get("joined")
        return isinstance(joined, datetime.date) and joined <= day

    def scored_in(self, member_id: str, year: int) -> bool:
        """Whether the member is scored for `year`: a scored status, admitted by 31 December of it."""
        return self.joined_by(member_id, datetime.date(year, 12, 31))

    def member_score(self, member_id: str, year: int) -> MemberScore:
        """Score and stars of one member for one year."""
        score = self.yearly_score(member_id, year)
        return MemberScore(member_id, score, stars_for(score, self.reg.stars))

    def year(self, year: int) -> list[MemberScore]:
        """Every member scored for `year` (admitted by its end), ordered by member id."""
        scored = sorted(m for m in self.reg.members if self.scored_in(m, year))
        return [self.member_score(member_id, year) for member_id in scored]
