"""Rankings (工作排位): derived indicators, totals, competition ranks, changes and tiers.

A scheme ranks orgs (the scope's direct children) or, with `subject: members`, people: the members below
the scope holding one of the scheme's `posts` (`ranked_members`, the one place that decides who). Both
go through the same rows, ties, changes and tiers.

Everything is exact (Fractions); totals are rounded to two decimals only for display.

Privacy by construction: a private member's row never carries their name, id or adjustment reasons
(`_anonymised`): its name is `PRIVATE_MEMBER`, its key a stand-in (`~private-N`, never an id), so the
site, the exports, `dangjian rank` and `dangjian diff` cannot name them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from .compliance import Compliance
from .load import Record
from .model import Registry, is_public
from .parts import Parts
from .periods import Period, parse_period
from .rolls import Rolls
from .scores import ScoreBook, exact_sum

THEME_DAY = "主题党日"
# The words for the two tiers, the same on the site and in `dangjian rank`.
TOP_TIER = "前列"  # the top `tiers.top` ranks
BOTTOM_TIER = "后位"  # the bottom `tiers.bottom` ranks (排名后位; paired with 前列, both say where, not who)
PRIVATE_MEMBER = "未公开的党员"  # a private member's row: no name, no id, no org
PRIVATE_KEY = "~private-"  # + a number: a private row's key; `~` keeps it from ever equalling a record id
MEMBERS = "members"  # the `subject` of a scheme ranking people


@dataclass
class Row:
    """One org's (or member's) line in one period's ranking."""

    # The ranked org's id; in a members scheme the member's id, or a PRIVATE_KEY stand-in for a private one.
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
    named: bool = True  # False: a private member's row (name PRIVATE_MEMBER, key a stand-in)


@dataclass
class Ranking:
    """One scheme's ranking for one period, rows in display order."""

    scheme: Record
    period: Period
    result: Record
    rows: list[Row]
    previous: Period | None
    subject: str = "orgs"  # or MEMBERS


def subject_of(scheme: Record) -> str:
    """What a scheme ranks: "orgs" (the default, format 1.1) or "members"."""
    return MEMBERS if scheme.get("subject") == MEMBERS else "orgs"


def ranked_members(reg: Registry, scheme: Record, period: Period, rolls: Rolls | None = None) -> list[str]:
    """Who a members scheme may rank in `period`: the members on the rolls of the orgs below its scope (not
    the scope itself: its own secretary is the one who ranks) on the period's last day, holding any of its
    `posts` that day, by id (the tree, the rolls and the posts as `rolls.py` gives them on that day; a
    member without a history is where their record says, with its posts, on every day).

    The one place that decides it: the rules (a result may score only these) and the computation both
    ask here. `rolls`: an index built once for many calls (one is built when none is given).
    """
    posts = set(scheme.get("posts", []))
    scope = scheme.get("scope")
    if not posts or scope not in reg.orgs:
        return []
    rolls = rolls or Rolls(reg)
    day = period.last
    on_roll = rolls.members_of(day)
    found = []
    for org_id in rolls.subtree(scope, day)[1:]:
        for member_id in on_roll.get(org_id, []):
            state = rolls.state(member_id, day)
            if state is not None and posts & set(state.posts):
                found.append(member_id)
    return sorted(found)


def member_org(reg: Registry, member_id: str, period: Period, rolls: Rolls | None = None) -> str | None:
    """The org whose roll a ranked member is on at the period's end (their org's activity days are theirs)."""
    return (rolls or Rolls(reg)).on_roll(member_id, period.last)


def _org_name(org: Record | None, key: str) -> str:
    return org.get("name", key) if org is not None else key


def named(ranking: Ranking, reg: Registry) -> Ranking:
    """A ranking made without names (`RankingBook(names=False)`) with each org's row named as the org is now."""
    if ranking.subject == MEMBERS:
        return ranking
    orgs = reg.orgs
    return replace(ranking, rows=[replace(row, name=_org_name(orgs.get(row.org), row.org)) for row in ranking.rows])


class RankingBook:
    """Computes every ranking of a registry from indexes built once."""

    def __init__(
        self, reg: Registry, scores: ScoreBook | None = None, *, names: bool = True, parts: Parts | None = None
    ) -> None:
        """`names=False`: an org's row is named by its id, reading nothing of the org but its place (the site names
        the rows when it publishes them, `named`, so a renamed org leaves the rankings it keeps as they were).
        `parts`: each org's own part of a 党员积分 average, computed once, or kept (`parts.py`)."""
        self.reg = reg
        self.scores = scores or ScoreBook(reg)
        self.names = names
        self.parts = parts if parts is not None else Parts()
        self.theme_months: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for activity in reg.all("activity"):
            held = activity.get("planned") is not True  # a planned one is not held (yet)
            if held and activity.get("kind") == THEME_DAY and "org" in activity.data and "date" in activity.data:
                self.theme_months[activity["org"]].add((activity["date"].year, activity["date"].month))
        self.projects_of: dict[str, list[Record]] = defaultdict(list)
        self.projects_led: dict[str, list[Record]] = defaultdict(list)
        for project in reg.all("project"):
            if "org" in project.data:
                self.projects_of[project["org"]].append(project)
            if "lead" in project.data:
                self.projects_led[project["lead"]].append(project)
        self.results: dict[str, list[tuple[Period, Record]]] = defaultdict(list)
        for result in reg.all("result"):
            period = parse_period(result.get("period", ""))
            if period is not None and "scheme" in result.data:
                self.results[result["scheme"]].append((period, result))
        for periods in self.results.values():
            periods.sort(key=lambda pair: pair[0].first)
        self._computed: dict[tuple[str, str], Ranking] = {}
        self._compliance: Compliance | None = None  # built when a scheme derives three_one_compliance
        self._raw: dict[tuple[str, str], list[Row]] = {}  # rows before anonymising: what changes compare
        self._stand_ins: dict[str, dict[str, str]] = defaultdict(dict)  # scheme → private member → key

    def periods(self, scheme_id: str) -> list[Period]:
        """The scored periods of a scheme, oldest first."""
        return [period for period, _ in self.results.get(scheme_id, [])]

    def _family(self, org_id: str, period: Period | None = None) -> list[str]:
        """The org and every org under it on the period's last day (today without a period; rolls.py)."""
        return self.scores.rolls.subtree(org_id, period.last if period is not None else None)

    def activity_days(self, org_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × months of the period with a 主题党日 in the org or below / months in the period."""
        months = set(period.months)
        held = set().union(*(self.theme_months.get(o, set()) for o in self._family(org_id, period))) & months
        return maximum * Fraction(len(held), len(months))

    def points_average(self, org_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × mean score (1 January to the period's last day) of scored members in the org or below / cap.

        Only members in the party on the period's last day count (admitted by then, format 1.1; on the roll
        of the org or one under it that day, with the tree of that day: rolls.py).
        """
        if not self.scores.cap:
            return Fraction(0)
        count, total = 0, Fraction(0)
        for org in self._family(org_id, period):  # each org's own members, an own part: `party_in`, org by org
            own_count, own_total = self._points_own(org, period)
            count, total = count + own_count, total + own_total
        if not count:
            return Fraction(0)
        return maximum * total / count / self.scores.cap

    def _points_own(self, org_id: str, period: Period) -> tuple[int, Fraction]:
        """How many are in the party on the period's last day on the org's own roll, and their scores' sum (1 January
        to that day): the org's own part of `points_average`."""
        day, year, rolls = period.last, period.first.year, self.scores.rolls

        def own() -> tuple[int, Fraction]:
            members = [m for m in rolls.members_of(day).get(org_id, []) if rolls.in_party(m, day)]
            return len(members), exact_sum(self.scores.yearly_score(m, year, day) for m in members)

        return self.parts.org(org_id, ("points", year, day), own)

    def project_progress(self, org_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × milestones due by the period's end and done by then / milestones due by then; max if none due."""
        projects = [p for org in self._family(org_id, period) for p in self.projects_of.get(org, [])]
        return _progress(projects, period, maximum)

    def three_one_compliance(self, org_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × 三会一课 meetings held / due in the period, over the org and those under it; max if none due
        (compliance.py: due are those whose month or quarter ends in the period)."""
        if self._compliance is None:
            self._compliance = Compliance(self.reg, rolls=self.scores.rolls)
        return self._compliance.share(org_id, period, maximum)

    # --- derived indicators of a person (members schemes) ----------------------------------
    def points_score(self, member_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × the member's score (1 January to the period's last day) / cap, scaled as `points_average` is;
        0 for a member not scored by the period's last day (not admitted yet, or not a scored status)."""
        if not self.scores.cap or not self.scores.joined_by(member_id, period.last):
            return Fraction(0)
        return maximum * self.scores.yearly_score(member_id, period.first.year, period.last) / self.scores.cap

    def member_activity_days(self, member_id: str, period: Period, maximum: Fraction) -> Fraction:
        """Their org's `activity_days` (the org they belong to in the period)."""
        org_id = member_org(self.reg, member_id, period, self.scores.rolls)
        return Fraction(0) if org_id is None else self.activity_days(org_id, period, maximum)

    def member_project_progress(self, member_id: str, period: Period, maximum: Fraction) -> Fraction:
        """`project_progress` over the projects the member leads (`lead`); max if none is due."""
        return _progress(self.projects_led.get(member_id, []), period, maximum)

    def _derived(self, subject: str, derive: str, key: str, period: Period, maximum: Fraction) -> Fraction:
        """A derived indicator of an org or, in a members scheme, of a person (rules/results.py allows only
        each subject's own, recordtypes.SUBJECT_DERIVATIONS)."""
        if subject == MEMBERS:
            person = {
                "points_score": self.points_score,
                "activity_days": self.member_activity_days,
                "project_progress": self.member_project_progress,
            }
            return person[derive](key, period, maximum)
        org = {
            "activity_days": self.activity_days,
            "points_average": self.points_average,
            "project_progress": self.project_progress,
            "three_one_compliance": self.three_one_compliance,
        }
        return org[derive](key, period, maximum)

    def _row(
        self, scheme: Record, period: Period, key: str, values: dict[str, Fraction], adjustments: list[dict]
    ) -> Row:
        subject = subject_of(scheme)
        indicators: dict[str, Fraction | int] = {}
        for indicator in scheme.get("indicators", []):
            maximum = Fraction(indicator.get("max", 0))
            derive = indicator.get("derive")
            if derive is None:
                indicators[indicator["id"]] = Fraction(values.get(indicator["id"], 0))
            else:
                indicators[indicator["id"]] = self._derived(subject, derive, key, period, maximum)
        named_by = "member" if subject == MEMBERS else "org"
        mine = [a for a in adjustments if a.get(named_by) == key]
        bonus, penalty = split_adjustments([a["points"] for a in mine], scheme.get("bonus_cap"))
        total = max(sum(indicators.values(), Fraction(0)) + bonus + penalty, Fraction(0))
        if subject == MEMBERS:
            member = self.reg.members.get(key)
            named = member is not None and is_public(member)
            name = member["name"] if member is not None and named else PRIVATE_MEMBER
            return Row(key, name, indicators, bonus, penalty, total, mine, named=named)
        org = self.reg.orgs.get(key) if self.names else None
        return Row(key, _org_name(org, key), indicators, bonus, penalty, total, mine)

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
        scores = result.get("scores", {})
        subject = subject_of(scheme)
        ranked = ranked_members(self.reg, scheme, period, self.scores.rolls) if subject == MEMBERS else []
        keys = [k for k in ranked if k in scores] if subject == MEMBERS else scores
        rows = [self._row(scheme, period, key, scores[key], adjustments) for key in keys]
        rank_rows(rows)
        previous = self.ranking(scheme_id, scored[index - 1][0].label) if index > 0 else None
        mark_changes(rows, self._raw[scheme_id, scored[index - 1][0].label] if previous else None)
        mark_tiers(rows, scheme.get("tiers", {}))
        self._raw[scheme_id, period.label] = rows
        if subject == MEMBERS:  # after the earlier periods (above): stand-ins numbered by first appearance
            rows = [self._anonymised(scheme_id, row) for row in rows]
        return Ranking(scheme, period, result, rows, previous.period if previous else None, subject)

    def _anonymised(self, scheme_id: str, row: Row) -> Row:
        """A private member's row as anyone may see it: no name, no id, adjustments as points only."""
        if row.named:
            return row
        stand_ins = self._stand_ins[scheme_id]
        key = stand_ins.setdefault(row.org, f"{PRIVATE_KEY}{len(stand_ins) + 1}")
        adjustments = [{"points": a["points"]} for a in row.adjustments]  # a reason or date may tell who
        return replace(row, org=key, name=PRIVATE_MEMBER, adjustments=adjustments)

    def history(self, scheme_id: str) -> list[Ranking]:
        """Every period's ranking of a scheme, oldest first."""
        return [r for p in self.periods(scheme_id) if (r := self.ranking(scheme_id, p.label)) is not None]


def split_adjustments(points: list[Fraction], bonus_cap: Fraction | None) -> tuple[Fraction, Fraction]:
    """(positive adjustments limited to the bonus cap, negative adjustments uncapped)."""
    bonus = sum((Fraction(p) for p in points if p > 0), Fraction(0))
    if bonus_cap is not None:
        bonus = min(bonus, Fraction(bonus_cap))
    return bonus, sum((Fraction(p) for p in points if p < 0), Fraction(0))


def _progress(projects: list[Record], period: Period, maximum: Fraction) -> Fraction:
    """max × milestones of `projects` due by the period's end and done by then / those due; max if none due."""
    due = done = 0
    for project in projects:
        for milestone in project.get("milestones", []):
            if "due" in milestone and milestone["due"] <= period.last:
                due += 1
                done += "done" in milestone and milestone["done"] <= period.last
    return maximum if due == 0 else maximum * Fraction(done, due)


def rank_rows(rows: list[Row]) -> None:
    """Sort by total (highest first) and give standard competition ranks (1, 2, 2, 4).

    Ties in order of id, named rows first: a private member's place among tied names would tell where
    their id falls in the alphabet."""
    rows.sort(key=lambda row: (-row.total, not row.named, row.org))
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
