"""三会一课 compliance: per org and period, which meetings were due, which were held, which are missing.

The rules (docs/extensions.md, "三会一课"):

- What an org owes depends on its `kind`: every kind of 党支部 (党支部, 联合党支部, 临时党支部, 功能型党支部) a
  支部党员大会 each quarter, a 支部委员会 each month, a 党课 each quarter and a 主题党日 each month; a 党小组 a
  党小组会 each month (《中国共产党支部工作条例（试行）》: 三会一课 is the branch's system; a 党委, 党工委, 党组 or
  党总支 holds its meetings under other rules, so owes none here). `site.yaml` `three_one:` replaces an org
  kind's list (`党总支: {支部党员大会: quarter}`; `{}`: owes nothing).
- A meeting is due for each frequency period (month, quarter, year) the org exists throughout: founded on
  or before its first day, not dissolved by its last (timeline.org_exists). An org founded mid-quarter owes
  that quarter's meetings from the next quarter on.
- It is held when an activity of that kind is dated within the period, by the org or an org under it on
  the period's last day (the tree of that day, rolls.py), as `activity_days` counts 主题党日. A planned
  activity (`planned: true`) is not held; with a `today`, neither is one dated after it.
- A due meeting not held is *missing* once its period has ended (its last day before `today`); before that
  it is *open*. Without a `today` (rankings), every period is judged as ended.
- Over a longer period (a ranking's), the meetings due are those whose frequency period ends within it: a
  quarter's 支部党员大会 counts in that quarter's last month, held any time in the quarter.

These are org figures (meetings, never people): nothing here is suppressed.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .model import Registry
from .periods import Period, parse_period
from .rolls import Rolls
from .timeline import org_exists

BRANCH_KINDS = ("党支部", "联合党支部", "临时党支部", "功能型党支部")
BRANCH_MEETINGS = {"支部党员大会": "quarter", "支部委员会": "month", "党课": "quarter", "主题党日": "month"}
# The national defaults: org kind → {activity kind: how often (month, quarter, year)}.
DEFAULT_RULES: dict[str, dict[str, str]] = {
    **{kind: dict(BRANCH_MEETINGS) for kind in BRANCH_KINDS},
    "党小组": {"党小组会": "month"},
}
# The grid's column order (and short headings that fit a phone's width).
MEETINGS = ("支部党员大会", "支部委员会", "党小组会", "党课", "主题党日")
SHORT = {
    "支部党员大会": "党员大会",
    "支部委员会": "支委会",
    "党小组会": "党小组会",
    "党课": "党课",
    "主题党日": "主题党日",
}

HELD, MISSING, OPEN, NOT_DUE = "held", "missing", "open", "not_due"


def rules_of(settings: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """The national defaults with `site.yaml`'s `three_one:` over them, one org kind at a time."""
    rules = {kind: dict(meetings) for kind, meetings in DEFAULT_RULES.items()}
    for kind, meetings in ((settings or {}).get("three_one") or {}).items():
        rules[kind] = dict(meetings)
    return rules


def frequency_periods(year: int, how_often: str) -> list[Period]:
    """Every month, quarter or the year itself of `year`, in order."""
    return list(_frequency_periods(year, how_often))


@lru_cache(maxsize=1024)
def _frequency_periods(year: int, how_often: str) -> tuple[Period, ...]:
    """`frequency_periods`, parsed once (a county's reports ask for the same years' months ten thousand times)."""
    labels = {
        "month": [f"{year}-{m:02d}" for m in range(1, 13)],
        "quarter": [f"{year}-Q{q}" for q in range(1, 5)],
        "year": [str(year)],
    }[how_often]
    return tuple(p for p in (parse_period(label) for label in labels) if p is not None)


@dataclass(frozen=True)
class Cell:
    """One meeting's frequency period in an org's year grid."""

    kind: str
    period: Period
    state: str  # HELD, MISSING, OPEN or NOT_DUE
    held_on: tuple[datetime.date, ...] = ()
    span: int = 1  # months the period covers in the grid (a quarter: 3)
    due: bool = True  # False: the org did not exist throughout the period (a meeting held then is shown, not counted)


@dataclass
class Tally:
    """Meetings due, held (of those due), missing (due, ended, not held) and open (due, not ended yet)."""

    due: int = 0
    held: int = 0
    missing: int = 0
    open: int = 0
    missing_by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, cell: Cell) -> None:
        if not cell.due:
            return
        self.due += 1
        self.held += cell.state == HELD
        self.open += cell.state == OPEN
        if cell.state == MISSING:
            self.missing += 1
            self.missing_by_kind[cell.kind] = self.missing_by_kind.get(cell.kind, 0) + 1


@dataclass
class YearGrid:
    """An org's year: months as rows, each owed meeting a column; a quarter's cell spans its three months."""

    org: str
    year: int
    kinds: list[str]
    rows: list[tuple[int, list[Cell | None]]]  # (month, a cell per kind; None where a longer period's cell spans)
    tally: Tally


class Compliance:
    """Indexes a registry's activities once; answers what each org owed and held in any period.

    `today`: the build's day (SiteData.today): activities after it are not held, periods not ended by it are
    open. None (rankings): every period is judged as ended and every recorded activity counts."""

    def __init__(self, reg: Registry, today: datetime.date | None = None, rolls: Rolls | None = None) -> None:
        self.reg = reg
        self.today = today
        self.rolls = rolls or Rolls(reg)
        self.rules = rules_of(reg.settings.data if reg.settings is not None else None)
        self.tracked = {kind for meetings in self.rules.values() for kind in meetings}
        dates: dict[tuple[str, str], list[datetime.date]] = defaultdict(list)
        for activity in reg.all("activity"):
            if activity.get("kind") in self.tracked and self._counts(activity.data):
                dates[activity["org"], activity["kind"]].append(activity["date"])
        self.dates = {key: sorted(days) for key, days in dates.items()}
        self._latest: dict[str, int | None] = {}
        self._timeless: dict[str, bool] = {}  # org id -> it has neither `founded` nor `dissolved` (see `due`)

    def _counts(self, data: Mapping[str, Any]) -> bool:
        """A held activity: an org and a date, not planned, not after today."""
        day = data.get("date")
        if not isinstance(day, datetime.date) or not isinstance(data.get("org"), str) or data.get("planned") is True:
            return False
        return self.today is None or day <= self.today

    def owed(self, org_id: str) -> dict[str, str]:
        """The meetings an org owes by its kind: {activity kind: how often}, in the grid's order."""
        org = self.reg.orgs.get(org_id)
        meetings = self.rules.get(org.get("kind", ""), {}) if org is not None else {}
        return {kind: meetings[kind] for kind in sorted(meetings, key=_meeting_order)}

    def due(self, org_id: str, period: Period) -> bool:
        """The org exists throughout `period`."""
        if org_id not in self._timeless:  # no `founded` nor `dissolved` date: it exists on every day
            data = self.reg.orgs[org_id].data
            self._timeless[org_id] = not any(isinstance(data.get(n), datetime.date) for n in ("founded", "dissolved"))
        if self._timeless[org_id]:
            return True
        data = self.reg.orgs[org_id].data
        return org_exists(data, period.first) and org_exists(data, period.last)

    def held_on(self, org_id: str, kind: str, period: Period) -> tuple[datetime.date, ...]:
        """Days in `period` on which the org or one under it (on the period's last day) held `kind`."""
        found: list[datetime.date] = []
        for org in self.rolls.subtree(org_id, period.last):
            days = self.dates.get((org, kind), [])
            start = bisect.bisect_left(days, period.first)
            found += days[start : bisect.bisect_right(days, period.last)]
        return tuple(sorted(found))

    def cell(self, org_id: str, kind: str, period: Period) -> Cell:
        """The state of one meeting in one frequency period."""
        days, due = self.held_on(org_id, kind, period), self.due(org_id, period)
        if days:
            state = HELD
        elif not due:
            state = NOT_DUE
        elif self.today is None or period.last < self.today:
            state = MISSING
        else:
            state = OPEN
        return Cell(kind, period, state, days, len(period.months), due)

    def cells(self, org_id: str, first: datetime.date, last: datetime.date) -> list[Cell]:
        """Every owed meeting's frequency periods ending between `first` and `last` (inclusive)."""
        found = []
        for kind, how_often in self.owed(org_id).items():
            for year in range(first.year, last.year + 1):
                found += [
                    self.cell(org_id, kind, p) for p in frequency_periods(year, how_often) if first <= p.last <= last
                ]
        return found

    def tally(self, org_id: str, first: datetime.date, last: datetime.date) -> Tally:
        """What the org itself owed, held and missed in periods ending between `first` and `last`."""
        tally = Tally()
        for cell in self.cells(org_id, first, last):
            tally.add(cell)
        return tally

    def family_tally(self, org_id: str, period: Period) -> Tally:
        """`tally` summed over the org and every org under it on the period's last day that owes meetings."""
        total = Tally()
        for org in self.rolls.subtree(org_id, period.last):
            for cell in self.cells(org, period.first, period.last):
                total.add(cell)
        return total

    def share(self, org_id: str, period: Period, maximum: Fraction) -> Fraction:
        """max × due meetings held / due meetings, over the org and those under it; max when none was due."""
        tally = self.family_tally(org_id, period)
        return maximum if tally.due == 0 else maximum * Fraction(tally.held, tally.due)

    def year_grid(self, org_id: str, year: int) -> YearGrid | None:
        """The org's year as a month × meeting grid; None for an org that owes no meeting."""
        owed = self.owed(org_id)
        if not owed:
            return None
        tally = Tally()
        starts: dict[tuple[str, int], Cell] = {}
        for kind, how_often in owed.items():
            for period in frequency_periods(year, how_often):
                cell = self.cell(org_id, kind, period)
                tally.add(cell)
                starts[kind, period.first.month] = cell
        covered = {(c.kind, m) for c in starts.values() for _, m in c.period.months}
        rows = [
            (month, [starts.get((kind, month)) if (kind, month) in covered else None for kind in owed])
            for month in range(1, 13)
        ]
        return YearGrid(org_id, year, list(owed), rows, tally)

    # --- which year a page shows ----------------------------------------------------------
    def latest_year(self, org_id: str) -> int | None:
        """The latest year the org or one under it (today's tree) held a tracked meeting."""
        if org_id not in self._latest:
            years = [
                days[-1].year
                for org in self.rolls.subtree(org_id)
                for kind in self.tracked
                if (days := self.dates.get((org, kind)))
            ]
            self._latest[org_id] = max(years, default=None)
        return self._latest[org_id]

    def report_year(self, org_id: str) -> int:
        """The year an org is checked in: the latest year its parent's family recorded a meeting (a town reports
        its villages' year together), else the grandparent's, and so on up; the root's own family; else today's
        (needs `today`).

        A branch that stopped recording is checked in its peers' year, so it shows as missing, not as done."""
        chain, current, seen = [], self.reg.orgs.get(org_id), {org_id}
        parent = current.get("parent") if current is not None else None
        while isinstance(parent, str) and parent in self.reg.orgs and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = self.reg.orgs[parent].get("parent")
        for org in chain or [org_id]:
            year = self.latest_year(org)
            if year is not None:
                return year
        if self.today is None:
            raise ValueError("report_year needs the build's today")
        return self.today.year

    def overdue(self) -> list[tuple[str, int, Tally]]:
        """(org, year, tally) of every org with a missing meeting in its report year, by org id."""
        found = []
        for org_id in sorted(self.reg.orgs):
            grid = self.year_grid(org_id, self.report_year(org_id))
            if grid is not None and grid.tally.missing:
                found.append((org_id, grid.year, grid.tally))
        return found


def _meeting_order(kind: str) -> tuple[int, str]:
    return (MEETINGS.index(kind) if kind in MEETINGS else len(MEETINGS), kind)
