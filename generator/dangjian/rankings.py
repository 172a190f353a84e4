"""Rankings (工作排位): derived indicators, totals, competition ranks, changes and tiers.

Everything is exact (Fractions); totals are rounded to two decimals only for display.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .load import Record
from .model import Registry
from .periods import Period, parse_period
from .scores import ScoreBook

THEME_DAY = "主题党日"
# The words for the two tiers, the same on the site and in `dangjian rank`.
TOP_TIER = "前列"  # the top `tiers.top` ranks
BOTTOM_TIER = "后位"  # the bottom `tiers.bottom` ranks (排名后位; paired with 前列, both say where, not who)


@dataclass
class Row:
    """One org's line in one period's ranking."""

    org: str
    name: str
    # Figures are exact fractions; the site may put an int stand-in (site.withheld.Withheld) in place of
    # one it must not publish.
    indicators: dict[str, Fraction | int]
    bonus: Fraction  # positive adjustments after the bonus cap
    penalty: Fraction  # negative adjustments (≤ 0), uncapped
    total: Fraction | int
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    rank: int = 0
    change: int | str = "new"  # previous rank minus this rank, or "new"
    top: bool = False
    bottom: bool = False


@dataclass
class Ranking:
    """One scheme's ranking for one period, rows in display order."""

    scheme: Record
    period: Period
    result: Record
    rows: list[Row]
    previous: Period | None


class RankingBook:
    """Computes every ranking of a registry from indexes built once."""

    def __init__(self, reg: Registry, scores: ScoreBook | None = None) -> None:
        self.reg = reg
        self.scores = scores or ScoreBook(reg)
        self.theme_months: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for activity in reg.all("activity"):
            if activity.get("kind") == THEME_DAY and "org" in activity.data and "date" in activity.data:
                self.theme_months[activity["org"]].add((activity["date"].year, activity["date"].month))
        self.projects_of: dict[str, list[Record]] = defaultdict(list)
        for project in reg.all("project"):
            if "org" in project.data:
                self.projects_of[project["org"]].append(project)
        self.results: dict[str, list[tuple[Period, Record]]] = defaultdict(list)
        for result in reg.all("result"):
            period = parse_period(result.get("period", ""))
            if period is not None and "scheme" in result.data:
                self.results[result["scheme"]].append((period, result))
        for periods in self.results.values():
            periods.sort(key=lambda pair: pair[0].first)
        self._computed: dict[tuple[str, str], Ranking] = {}

    def periods(self, scheme_id: str) -> list[Period]:
        """The scored periods of a scheme, oldest first."""
        return [period for period, _ in self.results.get(scheme_id, [])]

    def _family(self, org_id: str) -> list[str]:
        return [org_id, *self.reg.descendants(org_id)]

    def activity_days(self, org_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × months of the period with a 主题党日 in the org or below / months in the period."""
        months = set(period.months)
        held = set().union(*(self.theme_months.get(o, set()) for o in self._family(org_id))) & months
        return maximum * Fraction(len(held), len(months))

    def points_average(self, org_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × mean score (1 January to the period's last day) of scored members in the org or below / cap.

        Only members admitted on or before the period's last day count (format 1.1).
        """
        members = [
            m
            for o in self._family(org_id)
            for m in self.reg.members_of.get(o, [])
            if self.scores.joined_by(m, period.last)
        ]
        if not members or not self.scores.cap:
            return Fraction(0)
        total = sum((self.scores.yearly_score(m, period.first.year, period.last) for m in members), Fraction(0))
        return maximum * total / len(members) / self.scores.cap

    def project_progress(self, org_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × milestones due by the period's end and done by then / milestones due by then; max if none due."""
        due = done = 0
        for org in self._family(org_id):
            for project in self.projects_of.get(org, []):
                for milestone in project.get("milestones", []):
                    if "due" in milestone and milestone["due"] <= period.last:
                        due += 1
                        done += "done" in milestone and milestone["done"] <= period.last
        return maximum if due == 0 else maximum * Fraction(done, due)

    def _row(
        self, scheme: Record, period: Period, org_id: str, values: dict[str, Fraction], adjustments: list[dict]
    ) -> Row:
        indicators: dict[str, Fraction | int] = {}
        for indicator in scheme.get("indicators", []):
            maximum = Fraction(indicator.get("max", 0))
            derive = indicator.get("derive")
            if derive is None:
                indicators[indicator["id"]] = Fraction(values.get(indicator["id"], 0))
            else:
                indicators[indicator["id"]] = getattr(self, derive)(org_id, period, maximum)
        mine = [a for a in adjustments if a.get("org") == org_id]
        bonus, penalty = split_adjustments([a["points"] for a in mine], scheme.get("bonus_cap"))
        total = max(sum(indicators.values(), Fraction(0)) + bonus + penalty, Fraction(0))
        org = self.reg.orgs.get(org_id)
        name = org.get("name", org_id) if org is not None else org_id
        return Row(org_id, name, indicators, bonus, penalty, total, mine)

    def ranking(self, scheme_id: str, label: str | None = None) -> Ranking | None:
        """One period's ranking (the latest when `label` is None), or None if there is no such result."""
        scheme = self.reg.schemes.get(scheme_id)
        scored = self.results.get(scheme_id, [])
        if scheme is None or not scored:
            return None
        index = (
            len(scored) - 1 if label is None else next((i for i, (p, _) in enumerate(scored) if p.label == label), None)
        )
        if index is None:
            return None
        period, result = scored[index]
        if (scheme_id, period.label) not in self._computed:
            self._computed[scheme_id, period.label] = self._compute(scheme_id, scheme, scored, index)
        return self._computed[scheme_id, period.label]

    def _compute(self, scheme_id: str, scheme: Record, scored: list[tuple[Period, Record]], index: int) -> Ranking:
        period, result = scored[index]
        adjustments = result.get("adjustments", [])
        rows = [
            self._row(scheme, period, org_id, values, adjustments)
            for org_id, values in result.get("scores", {}).items()
        ]
        rank_rows(rows)
        previous = self.ranking(scheme_id, scored[index - 1][0].label) if index > 0 else None
        mark_changes(rows, previous.rows if previous else None)
        mark_tiers(rows, scheme.get("tiers", {}))
        return Ranking(scheme, period, result, rows, previous.period if previous else None)

    def history(self, scheme_id: str) -> list[Ranking]:
        """Every period's ranking of a scheme, oldest first."""
        return [r for p in self.periods(scheme_id) if (r := self.ranking(scheme_id, p.label)) is not None]


def split_adjustments(points: list[Fraction], bonus_cap: Fraction | None) -> tuple[Fraction, Fraction]:
    """(positive adjustments limited to the bonus cap, negative adjustments uncapped)."""
    bonus = sum((Fraction(p) for p in points if p > 0), Fraction(0))
    if bonus_cap is not None:
        bonus = min(bonus, Fraction(bonus_cap))
    return bonus, sum((Fraction(p) for p in points if p < 0), Fraction(0))


def rank_rows(rows: list[Row]) -> None:
    """Sort by total (highest first, ties by org id) and give standard competition ranks (1, 2, 2, 4)."""
    rows.sort(key=lambda row: (-row.total, row.org))
    for position, row in enumerate(rows):
        tied_with_previous = position > 0 and rows[position - 1].total == row.total
        row.rank = rows[position - 1].rank if tied_with_previous else position + 1


def mark_changes(rows: list[Row], previous: list[Row] | None) -> None:
    """Change = rank in the previous scored period minus rank now; "new" when not ranked then."""
    before = {row.org: row.rank for row in previous or []}
    for row in rows:
        row.change = before[row.org] - row.rank if row.org in before else "new"


def mark_tiers(rows: list[Row], tiers: dict[str, int]) -> None:
    """Flag the top `top` ranks and the bottom `bottom` ranks (ties share the flag)."""
    top, bottom = tiers.get("top", 0), tiers.get("bottom", 0)
    for row in rows:
        row.top = row.rank <= top
        worse = sum(1 for other in rows if other.total < row.total)
        row.bottom = worse < bottom
