"""The duty record (履责证) on a public member's page, and which years of it the site may publish.

Only public members have a page, and a page shows only what `view` hands it: the rules, the events (an
attended activity by its title; a ledger entry by its rule: the ledger's `note` is the editors' own,
declared internal, and stays off the site), the totals, the stars and the member's own 履责手记.

Publishing a public member's exact score can give away a private member's by difference: an org's
average score is published when five or more are behind it, so with four of five members' scores on
their pages the fifth is the average × 5 less theirs. `withheld_years` prevents it. For each average
the site publishes (an org page's yearly average, a ranking's 党员积分 for any period of the year), the
readers can subtract published scores within each *region* (the members below a unit whose average is
published, less those below the nearest such units under it: sums over nested subtrees are known
exactly in those pieces, and only in unions of them). A year's record is published only when in every
region the members whose scores stay unknown are none or at least THRESHOLD; where a region has 1–4,
every public member in it has that year withheld too (then all its members are unknown, and a published
average's region has five or more scored members, or none: suppression.py sees to that).
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..duty import DutyBook, DutyRecord
from ..figures import shown
from ..suppression import THRESHOLD
from .persite import per_site

if TYPE_CHECKING:
    from .data import SiteData


@dataclass(frozen=True)
class Average:
    """A published average score: of the members in the party on `day` below `org` (that day's rolls and tree).

    An org page's average of a year is over 31 December's (`StatsBook.year_totals`), a ranking's 党员积分 over
    its period's last day's (`RankingBook.points_average`): averages of one day share their members' scores."""

    org: str
    day: datetime.date


def book(data: SiteData) -> DutyBook:
    """The site's duty book, made once per build."""
    return _state(data)[0]


@per_site
def _state(data: SiteData) -> tuple[DutyBook, dict[int, frozenset[str]]]:
    return DutyBook(data.reg, data.scores), {}


def view(data: SiteData, member_id: str) -> list[dict[str, Any]]:
    """A public member's duty record as their page shows it: a dict per year, the latest first.

    A private member gets nothing (they have no page; this is a second lock)."""
    member = data.reg.members.get(member_id)
    if member is None or data.person(member_id) is None:
        return []
    return [
        {"year": year, "withheld": True} if member_id in withheld_years(data, year) else shown
        for year, shown in own_years(data, member_id)
    ]


def own_years(data: SiteData, member_id: str) -> tuple[tuple[int, dict[str, Any]], ...]:
    """(year, the year as a page shows it when published: `year_view`) of each year of the member's duty record, the
    latest first: their own part (`parts.py`: kept for the members no edit touched), read from their record, events
    and notes alone."""
    return data.parts.member(member_id, ("duty",), lambda: _own_years(data, member_id))


def _own_years(data: SiteData, member_id: str) -> tuple[tuple[int, dict[str, Any]], ...]:
    duties = book(data)
    return tuple((year, year_view(duties.record(member_id, year))) for year in duties.years(member_id))


def year_view(record: DutyRecord, *, for_the_member: bool = False) -> dict[str, Any]:
    """One year of a duty record with every figure written for people. On the site a ledger entry is named
    积分登记 and its note is left out (see the module doc); on the member's own printed certificate
    (`for_the_member`, editing/certificates.py) it is named by its rule and carries its note."""
    return {
        "year": record.year,
        "withheld": False,
        "base": shown(record.base),
        "lines": [
            {
                "name": line.name,
                "times": line.times,
                "points": shown(line.points),
                "raw": shown(line.raw),
                "cap": shown(line.cap) if line.cap is not None else ("不限" if for_the_member else None),
                "counted": shown(line.counted),
                "capped": line.capped,
            }
            for line in record.lines
        ],
        "events": [
            {
                "date": e.date,
                "rule": e.rule_name,
                "what": _what(e.source, e.title, e.rule_name if for_the_member else "积分登记"),
                "points": shown(e.points),
                **({"note": e.note or ""} if for_the_member else {}),
            }
            for e in record.events
        ],
        "before": shown(record.before_clamp),
        "clamped": record.clamped,
        "total": shown(record.total),
        "cap": shown(record.cap),
        "stars": record.stars,
        "notes": [{"date": n.date, "title": n.title, "text": n.text} for n in record.notes],
    }


def _what(source: str, title: str | None, entry: str) -> str:
    """An event as a reader sees it: the activity attended, or the ledger entry as `entry` names it."""
    return f"参加活动：{title}" if source == "activity" and title else entry


def withheld_years(data: SiteData, year: int) -> frozenset[str]:
    """The public members whose `year` of the duty record the site does not publish (see the module doc)."""
    cache = _state(data)[1]
    if year not in cache:
        cache[year] = _withheld(data, year)
    return cache[year]


def _withheld(data: SiteData, year: int) -> frozenset[str]:
    # public members only (asking every member would gather a city's million events), each year of theirs kept with
    # their duty record (`own_years`: `DutyBook.has_year` is a year among them)
    shown_ids = sorted(p.id for p in data.public_members if any(y == year for y, _ in own_years(data, p.id)))
    days: dict[datetime.date, set[str]] = defaultdict(set)
    for average in published_averages(data, year):
        days[average.day].add(average.org)
    timeless = _timeless_admissions(data)
    regions = [_regions(data, day, units, shown_ids, timeless) for day, units in sorted(days.items())]
    withheld: set[str] = set()
    changed = True
    while changed:  # withholding only grows, so this ends
        changed = False
        for period in regions:
            for scored, public in period:
                unknown = scored - len(public - withheld)
                if 0 < unknown < THRESHOLD and public - withheld:
                    withheld |= public
                    changed = True
    return frozenset(withheld)


def published_averages(data: SiteData, year: int) -> Iterator[Average]:
    """Every average score of `year` the site publishes: org pages' and rankings' (shown whatever their size)."""
    for org_id in data.reg.orgs:
        if (org_id, ("average", year)) in data.disclosure.published:
            yield Average(org_id, datetime.date(year, 12, 31))
    for org_id, _cell, last in data.ranked:
        if last.year == year:
            yield Average(org_id, last)


def _regions(
    data: SiteData,
    day: datetime.date,
    units: set[str],
    shown_ids: list[str],
    timeless: dict[str, list[datetime.date]],
) -> list[tuple[int, set[str]]]:
    """(members in the party on `day`, public members among them with the year shown) of each region of that
    day's averages: the members grouped by the nearest org above their org (that day's roll and tree) with a
    published average. Members without a history are counted per org from their admission dates (a city has
    a million members and a few thousand orgs); the others, and the shown members, one by one."""
    rolls = data.rolls
    nearest: dict[str, str | None] = {}

    def unit_of(org_id: str | None) -> str | None:
        if org_id is None:
            return None
        if org_id not in nearest:
            nearest[org_id] = next((o for o in [org_id, *rolls.ancestors(org_id, day)] if o in units), None)
        return nearest[org_id]

    scored: dict[str, int] = defaultdict(int)
    for org_id, admitted in timeless.items():
        if (unit := unit_of(org_id)) is not None:
            scored[unit] += bisect.bisect_right(admitted, day)
    for member_id in rolls.dated_members:
        if rolls.in_party(member_id, day) and (unit := unit_of(rolls.on_roll(member_id, day))) is not None:
            scored[unit] += 1
    shown: dict[str, set[str]] = defaultdict(set)
    for member_id in shown_ids:
        if rolls.in_party(member_id, day) and (unit := unit_of(rolls.on_roll(member_id, day))) is not None:
            shown[unit].add(member_id)
    return [(count, shown[unit]) for unit, count in scored.items()]


def _timeless_admissions(data: SiteData) -> dict[str, list[datetime.date]]:
    """org id -> the `joined` dates, in order, of its scored members without a history (`Rolls.in_party` on a
    day: a scored status and admitted by then)."""
    return data.rolls.admissions()  # indexed once per build, shared with the figures (stats._joined)
