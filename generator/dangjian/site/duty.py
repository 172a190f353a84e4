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
    shown_ids = {m for m in book(data).members_with_year(year) if is_public(reg.members[m])}
    periods: dict[tuple[Any, ...], list[Average]] = defaultdict(list)
    for average in published_averages(data, year):
        periods[average.period].append(average)
    withheld: set[str] = set()
    changed = True
    while changed:  # withholding only grows, so this ends
        changed = False
        for averages in periods.values():
            for region in _regions(data, averages):
                unknown = [m for m in region if m not in shown_ids or m in withheld]
                if 0 < len(unknown) < THRESHOLD:
                    more = {m for m in region if m in shown_ids} - withheld
                    if more:
                        withheld |= more
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


def _regions(data: SiteData, averages: list[Average]) -> list[list[str]]:
    """The scored members behind one period's averages, grouped by the nearest unit above them with one."""
    reg = data.reg
    units = {a.org: a for a in averages}
    regions: dict[str, list[str]] = defaultdict(list)
    for member_id, member in reg.members.items():
        if not is_scored(member):
            continue
        unit = _nearest(reg.orgs, member.get("org"), units)
        if unit is None:
            continue
        last = units[unit].admitted_by
        if last is not None and not data.scores.joined_by(member_id, last):
            continue
        regions[unit].append(member_id)
    return list(regions.values())


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
