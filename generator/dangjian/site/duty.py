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
from weakref import WeakKeyDictionary

from ..duty import DutyBook, DutyRecord
from ..figures import shown
from ..model import is_public, is_scored
from ..suppression import THRESHOLD

if TYPE_CHECKING:
    from .data import SiteData


@dataclass(frozen=True)
class Average:
    """A published average score: over the scored members below `org`, admitted by `last` when given."""

    org: str
    period: tuple[Any, ...]  # averages of one period share members' scores: ("year", 2015) or ("until", date)
    admitted_by: datetime.date | None  # a ranking counts members admitted by its period's last day


_BOOKS: WeakKeyDictionary[SiteData, tuple[DutyBook, dict[int, frozenset[str]]]] = WeakKeyDictionary()


def book(data: SiteData) -> DutyBook:
    """The site's duty book, made once per build."""
    return _state(data)[0]


def _state(data: SiteData) -> tuple[DutyBook, dict[int, frozenset[str]]]:
    if data not in _BOOKS:
        _BOOKS[data] = (DutyBook(data.reg, data.scores), {})
    return _BOOKS[data]


def view(data: SiteData, member_id: str) -> list[dict[str, Any]]:
    """A public member's duty record as their page shows it: a dict per year, the latest first.

    A private member gets nothing (they have no page; this is a second lock)."""
    member = data.reg.members.get(member_id)
    if member is None or data.person(member_id) is None:
        return []
    duties = book(data)
    years = []
    for year in duties.years(member_id):
        if member_id in withheld_years(data, year):
            years.append({"year": year, "withheld": True})
        else:
            years.append(year_view(duties.record(member_id, year)))
    return years


def year_view(record: DutyRecord) -> dict[str, Any]:
    """One year of a duty record with every figure written for people (no ledger notes: see the module doc)."""
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
                "cap": shown(line.cap) if line.cap is not None else None,
                "counted": shown(line.counted),
                "capped": line.capped,
            }
            for line in record.lines
        ],
        "events": [
            {"date": e.date, "rule": e.rule_name, "what": _what(e.source, e.title), "points": shown(e.points)}
            for e in record.events
        ],
        "before": shown(record.before_clamp),
        "clamped": record.clamped,
        "total": shown(record.total),
        "cap": shown(record.cap),
        "stars": record.stars,
        "notes": [{"date": n.date, "title": n.title, "text": n.text} for n in record.notes],
    }


def _what(source: str, title: str | None) -> str:
    """An event as the site names it: the activity attended, or a ledger entry (never its internal note)."""
    return f"参加活动：{title}" if source == "activity" and title else "积分登记"


def withheld_years(data: SiteData, year: int) -> frozenset[str]:
    """The public members whose `year` of the duty record the site does not publish (see the module doc)."""
    cache = _state(data)[1]
    if year not in cache:
        cache[year] = _withheld(data, year)
    return cache[year]


def _withheld(data: SiteData, year: int) -> frozenset[str]:
    reg = data.reg
    shown_ids = sorted(m for m in book(data).members_with_year(year) if is_public(reg.members[m]))
    periods: dict[tuple[Any, ...], list[Average]] = defaultdict(list)
    for average in published_averages(data, year):
        periods[average.period].append(average)
    joined = _joined_dates(data)
    regions = [_regions(data, averages, shown_ids, joined) for averages in periods.values()]
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
            yield Average(org_id, ("year", year), None)
    for org_id, _cell, last in data.ranked_averages():
        if last.year == year:  # a ranking counts only members admitted by the period's end: a set of its own
            yield Average(org_id, ("until", last), last)


def _regions(
    data: SiteData, averages: list[Average], shown_ids: list[str], joined: dict[str, tuple[int, list[datetime.date]]]
) -> list[tuple[int, set[str]]]:
    """(scored members, public members with the year shown) of each region of one period's averages: the
    members grouped by the nearest org above them with a published average. Counted per org (a city has a
    million members and a few thousand orgs); only the shown members are read one by one."""
    reg = data.reg
    units = {a.org: a for a in averages}
    last = averages[0].admitted_by  # one period: the same for all
    nearest: dict[str, str | None] = {}
    scored: dict[str, int] = defaultdict(int)
    for org_id in reg.orgs:
        unit = nearest[org_id] = _nearest(reg.orgs, org_id, units)
        if unit is not None:
            count, dates = joined.get(org_id, (0, []))
            scored[unit] += count if last is None else bisect.bisect_right(dates, last)
    shown: dict[str, set[str]] = defaultdict(set)
    for member_id in shown_ids:
        unit = nearest.get(reg.members[member_id].get("org"))
        if unit is not None and (last is None or data.scores.joined_by(member_id, last)):
            shown[unit].add(member_id)
    return [(count, shown[unit]) for unit, count in scored.items()]


def _joined_dates(data: SiteData) -> dict[str, tuple[int, list[datetime.date]]]:
    """Each org's own scored members: how many (an org page's average counts them all), and their `joined`
    dates in order (a ranking's counts those admitted by its period's last day: `ScoreBook.joined_by`)."""
    found: dict[str, tuple[int, list[datetime.date]]] = {}
    for org_id, member_ids in data.reg.members_of.items():
        scored = [data.reg.members[m] for m in member_ids if is_scored(data.reg.members[m])]
        dates = sorted(d for m in scored if isinstance(d := m.get("joined"), datetime.date))
        found[org_id] = (len(scored), dates)
    return found


def _nearest(orgs: dict, org_id: str | None, units: dict[str, Average]) -> str | None:
    """`org_id` or its nearest ancestor holding a published average, if any."""
    seen: set[str] = set()
    while org_id is not None and org_id not in seen:
        if org_id in units:
            return org_id
        seen.add(org_id)
        org = orgs.get(org_id)
        org_id = org.get("parent") if org is not None else None
    return None
