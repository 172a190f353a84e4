"""Yearly reports (issue 21): an org's year in figures, computed once per site and rolled up the year's tree.

What a report of org O for year Y counts (docs/extensions.md, "年度报告"):

- Which years: every year with a dated record in O's subtree (today's tree): a held activity, a project's
  立项 year or a milestone done, a result's period, an honour of an org, a ledger entry of a member on a roll
  there; not after the build's year (`SiteData.today`), and the latest MAX_YEARS of them.
- The year's figures are of the tree of 31 December of Y (rolls.py), as every yearly figure of the site:
  each org's own figures are added up over that day's subtree, bottom up, once per year.
- Activities: held ones (not `planned`, dated on or before the build's day), by kind and by month.
  人次 is the sum of each activity's headcount (`headcount`, else the number of `attendees`), as the activity
  lists show it. It is not a count of distinct people, but at an org of one to four party members it would
  tell how often identifiable people came: it is shown only where the org's party membership of that year is
  published (site/timelines.py: five or more, after its own suppression; the build's year: today's count
  when the 党员队伍 table already gives it), else 不公布.
- 三会一课: compliance.py's cells of each org that owes meetings, added up over the subtree (an org page's
  grid shows the org's own; a 党委's report shows its branches' together).
- Projects: 立项 in Y (`year`), 完成 in Y (status 已完成/已验收 and its last milestone done in Y), milestones done
  in Y (and how many by their due date).
- Average score and star distribution: exactly what the org page publishes (SiteData.shown_stats), and only
  for the year it publishes them; other years say that they are not published. No new count of people.
- Honours: those of orgs in the subtree and of public members on its rolls that year (a private member's
  never, not even counted: /honours/ counts them in groups of five or more, per year and name, over the site).
- Ranking positions: SiteData.rankings_of, the periods of Y.
"""

from __future__ import annotations

import datetime
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..compliance import MEETINGS, SHORT, Cell
from ..figures import two_decimals
from ..periods import parse_period
from ..recordtypes import ACTIVITY_KINDS
from ..rolls import year_end
from ..suppression import THRESHOLD
from . import timelines
from .three_one import compliance
from .withheld import hidden
from . import kept, keptparts
from .persite import per_site, restored

if TYPE_CHECKING:
    from ..load import Record
    from ..rolls import Rolls
    from .data import SiteData

MAX_YEARS = 10  # reports per org at most (the latest years): a city's 20,000 orgs make at most 200,000 pages
FINISHED = ("已完成", "已验收")
NOT_PUBLISHED = "不公布"
ROWS_AT_MOST = 50  # honours and projects listed in one report (a city's root: thousands); then a count


@dataclass
class Year:
    """One org's year (itself and its subtree on 31 December), before what may be shown is decided."""

    activities: Counter = field(default_factory=Counter)  # (kind, month) -> held activities
    headcount: int = 0  # 人次
    compliance: dict[str, list[int]] = field(default_factory=dict)  # kind -> [due, held, missing, open]
    started: list[Record] = field(default_factory=list)  # projects 立项 in the year
    finished: list[Record] = field(default_factory=list)
    milestones: int = 0  # done in the year
    on_time: int = 0  # of those, done by their due date
    honours: list[Record] = field(default_factory=list)

    def add(self, other: Year) -> None:
        self.activities.update(other.activities)
        self.headcount += other.headcount
        for kind, tally in other.compliance.items():
            mine = self.compliance.setdefault(kind, [0, 0, 0, 0])
            for i, n in enumerate(tally):
                mine[i] += n
        self.started += other.started
        self.finished += other.finished
        self.milestones += other.milestones
        self.on_time += other.on_time
        self.honours += other.honours


def headcount(activity: Record) -> int:
    """An activity's 参加人数 as its list shows it: `headcount`, else the number of `attendees`."""
    return int(activity.get("headcount") or len(activity.get("attendees") or []))


def finished_on(project: Record) -> datetime.date | None:
    """The day a finished project (已完成/已验收) was done: its last milestone's `done`; None if not known."""
    if project.get("status") not in FINISHED:
        return None
    days = [m["done"] for m in project.get("milestones", []) if isinstance(m.get("done"), datetime.date)]
    return max(days, default=None)


class Reports:
    """Every org's report years and figures, indexed once (see the module's docstring)."""

    @property
    def data(self) -> SiteData:
        """The site this was computed for (alive while its build runs: `per_site` holds it weakly)."""
        data = self._data()
        assert data is not None, "a build's SiteData outlived by what was computed from it"
        return data

    @property
    def rolls(self) -> Rolls:
        return self.data.rolls  # the score book's and the figures' (`StatsBook.rolls`)

    def __init__(
        self, data: SiteData, dated: Mapping[str, frozenset[int]], honoured: Mapping[int, str] | None = None
    ) -> None:
        """`dated`: each org's years of its ledger entries and results (`dated_apart`), read apart from them;
        `honoured`: the org each public member's honour counts under (`honour_rolls`, made here when not given): all
        the index reads of the members."""
        self._data = weakref.ref(data)  # memoised per SiteData (weakly): never keep the key alive
        self.today = data.today
        self.own: dict[int, dict[str, Year]] = defaultdict(lambda: defaultdict(Year))  # year -> org -> own figures
        self.dated: dict[str, set[int]] = defaultdict(set)  # org -> years with a dated record of its own
        self._index(honour_rolls(data) if honoured is None else honoured)
        for org_id, years in dated.items():
            self.dated[org_id].update(years)
        self.years = self._report_years()
        self._totals: dict[int, dict[str, Year]] = {}
        self._compliance: dict[int, dict[str, dict[str, list[int]]]] | None = None

    # --- indexing: each record once, into its org's own year ---------------------------------------
    def _index(self, honoured: Mapping[int, str]) -> None:
        reg, last = self.data.reg, self.today
        for activity in self.data.activities:  # held ones (kinds/activity.py)
            day, org = activity.get("date"), activity.get("org")
            if not isinstance(day, datetime.date) or day > last or org not in reg.orgs:
                continue
            year = self.own[day.year][org]
            year.activities[activity["kind"], day.month] += 1
            year.headcount += headcount(activity)
            self.dated[org].add(day.year)
        for project in self.data.projects:
            org = project.get("org")
            if org not in reg.orgs:
                continue
            if isinstance(project.get("year"), int):
                self.own[project["year"]][org].started.append(project)
                self.dated[org].add(project["year"])
            for milestone in project.get("milestones", []):
                done = milestone.get("done")
                if isinstance(done, datetime.date):
                    own = self.own[done.year][org]
                    own.milestones += 1
                    own.on_time += isinstance(milestone.get("due"), datetime.date) and done <= milestone["due"]
                    self.dated[org].add(done.year)
            finished = finished_on(project)
            if finished is not None:
                self.own[finished.year][org].finished.append(project)
        for n, honour in enumerate(self.data.listed("honour")):
            year = honour.get("year")
            if not isinstance(year, int):
                continue
            org = honour.get("org")
            if org is None:
                org = honoured.get(n)  # a public member's: their roll then
            if org in reg.orgs:
                self.own[year][org].honours.append(honour)
                self.dated[org].add(year)

    def _report_years(self) -> dict[str, list[int]]:
        """org -> its report years: the latest MAX_YEARS years its subtree (today's tree) has dated records of."""
        below: dict[str, set[int]] = {}
        for org_id in _children_first(self.data.reg.children, self.data.reg.orgs):
            found = set(self.dated.get(org_id, ()))
            for child in self.data.reg.children.get(org_id, []):
                found |= below.get(child, set())
            below[org_id] = found
        return {
            org: sorted(y for y in years if y <= self.today.year)[-MAX_YEARS:] for org, years in below.items() if years
        }

    # --- one year over the year's tree ---------------------------------------------------------------
    def totals(self, year: int) -> dict[str, Year]:
        """org -> its year with every org under it on 31 December added (each org once)."""
        if year not in self._totals:
            day = year_end(year)
            tree = self.rolls.children(day)
            own = self.own.get(year, {})
            tallies = self._compliance_of(year)
            totals: dict[str, Year] = {}
            for org_id in _children_first(tree, self.data.reg.orgs):
                total = Year()
                if org_id in own:
                    total.add(own[org_id])
                total.compliance = {kind: list(tally) for kind, tally in tallies.get(org_id, {}).items()}
                for child in tree.get(org_id, []):
                    if child in totals and child != org_id:
                        total.add(totals[child])
                totals[org_id] = total
            self._totals[year] = totals
        return self._totals[year]

    def _compliance_of(self, year: int) -> dict[str, dict[str, list[int]]]:
        """Each org's own 三会一课 tallies of `year`: those of every report year made (or kept) together, once
        (`compliance_tallies`); another year's alone."""
        if self._compliance is None:
            years = tuple(sorted({y for found in self.years.values() for y in found}))
            self._compliance = compliance_tallies(self.data, years)
        found = self._compliance.get(year)
        return found if found is not None else _tallies(self.data, year)

    def year(self, org_id: str, year: int) -> Year:
        return self.totals(year).get(org_id, Year())

    # --- what may be shown -------------------------------------------------------------------------
    def headcount_shown(self, org_id: str, year: int) -> bool:
        """人次 is shown where the org's party membership of that year is published (the module's docstring)."""
        counts = timelines.histories(self.data)
        membership = counts.membership(org_id)
        if not counts.years or year > counts.years[-1]:  # after the registry's last complete year: today's count
            return membership.now is not None and membership.now >= THRESHOLD
        value = dict(membership.years).get(year)  # none before the org first had five, or before the range
        return value is not None and not hidden(value) and value >= THRESHOLD

    def scores(self, org_id: str, year: int) -> dict[str, Any] | None:
        """The org page's average score and stars (as published) when they are of `year`, else None."""
        stats = self.data.shown_stats(org_id)
        if stats.get("year") != year or stats.get("average") is None:
            return None
        average = stats["average"]  # a Fraction, or the mark of a hidden one (少于5人, —)
        shown = str(average) if isinstance(average, str) or hidden(average) else str(two_decimals(average))
        return {"average": shown, "stars": stats["stars"]}


def honour_rolls(data: SiteData) -> dict[int, str]:
    """Each public member's honour (by its place in the honours listed) → the org it counts under: the member's roll on
    31 December of its year. A private member's honour counts under none (module docstring)."""
    found: dict[int, str] = {}
    for n, honour in enumerate(data.listed("honour")):
        year = honour.get("year")
        if isinstance(year, int) and honour.get("org") is None and data.person(honour.get("member")) is not None:
            org = data.rolls.on_roll(honour["member"], year_end(year))
            if org is not None:
                found[n] = org
    return found


def _own_compliance(cells: Iterable[Cell]) -> dict[str, list[int]]:
    """kind -> [due, held, missing, open] of one org's own cells (as compliance.Tally counts them)."""
    found: dict[str, list[int]] = {}
    for cell in cells:
        if not cell.due:
            continue
        tally = found.setdefault(cell.kind, [0, 0, 0, 0])
        tally[0] += 1
        tally[1] += cell.state == "held"
        tally[2] += cell.state == "missing"
        tally[3] += cell.state == "open"
    return found


def _children_first(tree: dict[str, list[str]], orgs: Iterable[str]) -> list[str]:
    """Every org in `orgs`, each after every org under it in `tree` (a cycle is cut), without recursion."""
    order: list[str] = []
    seen: set[str] = set()
    for start in sorted(orgs):
        if start in seen:
            continue
        stack = [(start, False)]
        while stack:
            org_id, expanded = stack.pop()
            if expanded:
                order.append(org_id)
                continue
            if org_id in seen:
                continue
            seen.add(org_id)
            stack.append((org_id, True))
            stack.extend((c, False) for c in tree.get(org_id, []) if c not in seen)
    known = set(orgs)
    return [o for o in order if o in known]


# Each org's own 三会一课 tally of a year, which `Reports.totals` adds up the tree: read as the pages' 三会一课 is
# (`three_one.THREE_ONE`: activities, the orgs' tree, kinds and dates, `site.yaml`'s rules, the day), no member.
REPORT_COMPLIANCE = kept.Aggregate(
    "reportcompliance", frozenset({"org", "activity", "site"}), today=True, fields={"org": kept.COUNTING_ORG}
)


def compliance_tallies(data: SiteData, years: tuple[int, ...]) -> dict[int, dict[str, dict[str, list[int]]]]:
    """year -> org -> its own 三会一课 tallies of the year (`_own_compliance`), for every org and each of `years`:
    computed, or as the last build kept them for the same years (a roster or ledger edit recomputes the reports' index,
    not 三会一课)."""
    return data.kept_value(REPORT_COMPLIANCE, lambda: {year: _tallies(data, year) for year in years}, given=repr(years))


def _tallies(data: SiteData, year: int) -> dict[str, dict[str, list[int]]]:
    book, first, last = compliance(data), datetime.date(year, 1, 1), year_end(year)
    found = {org_id: _own_compliance(book.cells(org_id, first, last)) for org_id in data.reg.orgs}
    return {org_id: tallies for org_id, tallies in found.items() if tallies}


def dated_apart(data: SiteData) -> dict[str, frozenset[int]]:
    """org -> the years of its ledger entries (of the members on its roll that day) and of the results scoring it:
    all the reports read of those kinds (their years), read apart so that an entry or a result dated in a year the org
    already has keeps the reports (`REPORTS_DATED`)."""
    found = {org_id: set(years) for org_id, years in _ledger_years(data).items() if years}
    orgs = data.reg.orgs
    for result in data.reg.all("result"):
        period = parse_period(str(result.get("period", "")))
        for key in result.get("scores") or {}:
            if period is not None and key in orgs:
                found.setdefault(key, set()).add(period.first.year)
    return {org_id: frozenset(years) for org_id, years in found.items()}


def _ledger_years(data: SiteData) -> dict[str, frozenset[int]]:
    """Each org's years with a ledger entry of a member on its roll that day: an own part of each org (`parts.py`:
    kept for the orgs no edit touched), from the entries of the members ever on its roll, or, where most orgs' are
    missing, from every entry read once (`_every_ledger_year`)."""
    reg, ever = data.reg, keptparts.ever_on(data)
    return data.parts.of_every_org(
        reg.orgs, ("ledger years",), lambda org_id: _own_years(data, org_id, ever)(), lambda: _every_ledger_year(data)
    )


def _every_ledger_year(data: SiteData) -> dict[str, frozenset[int]]:
    """org id -> the years of the ledger entries of the members on its roll on their day, every entry read once."""
    orgs, rolls, timeless = data.reg.orgs, data.rolls, {}  # member without a history -> their roll (any day)
    found: dict[str, set[int]] = {}
    for entry in data.reg.all("ledger"):
        fields = entry.data  # fifty thousand entries at county: their fields read directly
        day, member = fields.get("date"), cast(str, fields.get("member"))  # an id (None: on no roll)
        if not isinstance(day, datetime.date):
            continue
        if member in rolls.dated_members:
            org = rolls.on_roll(member, day)
        else:
            if member not in timeless:
                timeless[member] = rolls.on_roll(member, day)
            org = timeless[member]
        if org in orgs:
            found.setdefault(org, set()).add(day.year)
    return {org_id: frozenset(found.get(org_id, ())) for org_id in orgs}


def _own_years(data: SiteData, org_id: str, ever: Mapping[str, list[str]]) -> Callable[[], frozenset[int]]:
    """What makes the years of the ledger entries of the members on the org's roll on their day."""

    def years() -> frozenset[int]:
        rolls, ledger, found = data.rolls, data.scores.ledger, set()
        for member_id in ever.get(org_id, ()):
            for entry in ledger.get(member_id, ()):
                day = entry.data.get("date")
                if isinstance(day, datetime.date) and rolls.on_roll(member_id, day) == org_id:
                    found.add(day.year)
        return frozenset(found)

    return years


# What the reports' index reads (each org's own figures by year, the years it has records of, and every report
# year's totals with their 三会一课), and the day: kept under every file of those kinds (`REPORTS`), or, when one of
# them changed, under those it reads whole and the digest of the years it reads of the ledger and the results and of
# the orgs the members' honours count under (`REPORTS_DATED`, given `dated_apart` and `honour_rolls`: a points entry or
# a result in a year already dated keeps them, a city's 0.8 s, and a member's admission day or status, 1.75 s).
REPORTS = kept.Aggregate(
    "reports",
    frozenset({"org", "member", "ledger", "activity", "project", "honour", "result", "rulebook", "site"}),
    today=True,
    fields=kept.COUNTING_FIELDS,
)
REPORTS_DATED = kept.Aggregate(
    "reportsdated",
    frozenset({"org", "activity", "project", "honour", "site"}),
    today=True,
    fields={"org": kept.COUNTING_ORG},
)
# Each org's report years alone (`report_years`): the same inputs, their own entries.
REPORT_YEARS = kept.Aggregate("reportyears", REPORTS.kinds, today=True, fields=kept.COUNTING_FIELDS)
REPORT_YEARS_DATED = kept.Aggregate("reportyearsdated", REPORTS_DATED.kinds, today=True, fields=REPORTS_DATED.fields)


@per_site
def reports(data: SiteData) -> Reports:
    """The site's reports, computed once per SiteData, or as the last build kept them (`REPORTS`; after a ledger or
    result edit, `REPORTS_DATED`): the years read apart are made only when the first key misses (the orgs' kept
    parts are not even loaded after a story edited)."""
    return kept.value_or_cutoff(
        data.reg,
        REPORTS,
        REPORTS_DATED,
        data.today,
        lambda: _dated_digest(data),
        lambda: Reports(data, _dated(data), _honoured(data)),
        reuse=data.reuse,
        state=_state,
        restore=lambda state: restored(Reports, data, state),
    )


@per_site
def report_years(data: SiteData) -> dict[str, list[int]]:
    """Each org's report years (`Reports.years`), kept apart from the reports' index under the same inputs (an org page
    made alone reads these: unpickling the whole index for them took 0.2 s of a city rebuild after a story edited)."""
    return kept.value_or_cutoff(
        data.reg,
        REPORT_YEARS,
        REPORT_YEARS_DATED,
        data.today,
        lambda: _dated_digest(data),
        lambda: reports(data).years,
        reuse=data.reuse,
    )


@per_site
def _dated(data: SiteData) -> dict[str, frozenset[int]]:
    """`dated_apart`, made once a build and only if a kept value asks for it."""
    return dated_apart(data)


@per_site
def _honoured(data: SiteData) -> dict[int, str]:
    """`honour_rolls`, made once a build and only if a kept value asks for it."""
    return honour_rolls(data)


@per_site
def _dated_digest(data: SiteData) -> str:
    found = _dated(data)
    dated = [(org_id, sorted(found[org_id])) for org_id in sorted(found)]
    return kept.digest_of((dated, sorted(_honoured(data).items())))


def _state(made: Reports) -> dict[str, Any]:
    """What `Reports.__init__` computed, in plain dicts (its defaultdicts' factories are not kept), and the totals of
    every year some org reports on (its pages ask for each of them: computed here, they are kept too)."""
    own = {year: dict(orgs) for year, orgs in made.own.items()}
    totals = {year: made.totals(year) for year in sorted({y for years in made.years.values() for y in years})}
    # every report year's totals are made; their 三会一课 tallies are kept apart (`compliance_tallies`)
    return {
        "today": made.today,
        "own": own,
        "dated": dict(made.dated),
        "years": made.years,
        "_totals": totals,
        "_compliance": None,
    }


def kinds_in(year: Year) -> list[str]:
    """The activity kinds held in the year, in the format's order."""
    held = {kind for kind, _ in year.activities}
    return [k for k in ACTIVITY_KINDS if k in held] + sorted(held - set(ACTIVITY_KINDS))


def meetings_in(year: Year) -> list[tuple[str, str]]:
    """(kind, short heading) of the meetings owed in the year, in the grid's order."""
    order = {k: n for n, k in enumerate(MEETINGS)}
    return [(k, SHORT.get(k, k)) for k in sorted(year.compliance, key=lambda k: (order.get(k, len(order)), k))]
