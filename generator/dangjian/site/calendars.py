"""Activity calendars (RFC 5545, made with the `icalendar` library): `/orgs/<id>/calendar.ics` for every org and
`/calendar.ics` for the whole site, so a secretary's phone calendar shows and reminds them of what is planned.

An org's calendar holds its own activities, held and planned (`planned: true`), and its recurring plans (ORG
`recurring:`, plus those an org above it declares `below: true`) as events with an RRULE. The site's holds the
planned activities from the build's day (`SiteData.today`) on. Everything in them is reproducible from the data:
a UID comes from the activity id (a plan's from its org and title), DTSTAMP from the activity's date (a plan's
from its org file's last commit, else its first day); dates are all-day (VALUE=DATE) unless a time is written,
then Asia/Shanghai. No attendee, headcount or person is ever written: titles and summaries are the editors' text,
and the privacy gate scans these files like every other.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..cache import _read_entry as read_entry
from ..cache import cache_dir, code_fingerprint, write_atomic
from ..parallel import in_order
from ..personal import find_identifiers, lettered
from ..recordtypes import WEEKDAYS
from . import kept
from .incremental import Canon, Volatile
from .persite import per_site

if TYPE_CHECKING:
    from icalendar import Calendar, Event, Timezone

    from ..load import Record
    from .data import SiteData

# icalendar is imported where a calendar is made (0.06 s): a rebuild whose calendars all come from the pack never
# imports it.

ZONE = "Asia/Shanghai"
BEIJING = datetime.timezone(datetime.timedelta(hours=8), ZONE)  # no daylight saving since 1991
PRODID = "-//dangjian//activity calendar//ZH"
SITE_FEED = "calendar.ics"
SITE_EVENTS = 2000  # the site feed's upcoming events at most (a city plans thousands)
QUARTER_MONTHS = (1, 4, 7, 10)
BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ORDINALS = {1: "第一个", 2: "第二个", 3: "第三个", 4: "第四个", -1: "最后一个"}
EVERY_TEXT = {"week": "每周", "month": "每月", "quarter": "每季度（1、4、7、10 月）"}
ON_PAGE = 12  # planned activities listed on an org page; the calendar holds them all


@dataclass(frozen=True)
class Plan:
    """One recurring plan of an org (ORG `recurring:`), as the calendar reads it."""

    org: str  # the org that declared it
    title: str
    kind: str
    every: str  # week, month, quarter
    weekday: int | None  # 0 = Monday
    nth: int | None  # 1..4, -1 = the last
    day: int | None  # day of the month
    time: datetime.time | None
    start: datetime.date
    until: datetime.date | None

    def uid(self, host: str) -> str:
        """Stable across builds and reorderings: the org and the plan's name (unique on the org), digested. A digest
        whose digits would be read as a number with what stands beside them (`personal.lettered`) is spelled in
        letters: such an id stopped every build at the privacy gate, so none was ever published, and every other
        one stays what calendars already hold."""
        digest = hashlib.sha256(f"{self.org}\0{self.title}".encode()).hexdigest()[:16]
        uid = f"plan-{self.org}-{digest}@{host}"
        return f"plan-{self.org}-{lettered(digest)}@{host}" if any(find_identifiers(uid)) else uid


def plan_of(org_id: str, written: Mapping[str, Any], year: int) -> Plan:
    """A plan as written on an org; with no `start`, from January 1 of `year` (the build's year)."""
    weekday = written.get("weekday")
    return Plan(
        org=org_id,
        title=written["title"],
        kind=written["kind"],
        every=written.get("every", "month"),
        weekday=WEEKDAYS.index(weekday) if weekday in WEEKDAYS else None,
        nth=written.get("nth"),
        day=written.get("day"),
        time=_time(written.get("time")),
        start=written.get("start") or datetime.date(year, 1, 1),
        until=written.get("until"),
    )


def _time(value: str | None) -> datetime.time | None:
    if not value:
        return None
    hours, minutes = value.split(":")
    return datetime.time(int(hours), int(minutes))


# --- when a plan falls --------------------------------------------------------------------------------------
def _months(first: datetime.date, last: datetime.date, every: str) -> Iterator[tuple[int, int]]:
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        if every != "quarter" or month in QUARTER_MONTHS:
            yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _in_month(plan: Plan, year: int, month: int) -> datetime.date | None:
    """The plan's day in one month (None when the month has no such day)."""
    if plan.day is not None:
        return datetime.date(year, month, plan.day)
    if plan.weekday is None or plan.nth is None:
        return None
    first = datetime.date(year, month, 1)
    offset = (plan.weekday - first.weekday()) % 7
    days = [first + datetime.timedelta(days=offset + 7 * n) for n in range(5)]
    days = [d for d in days if d.month == month]
    return days[plan.nth - 1] if plan.nth > 0 else days[plan.nth]


def occurrences(plan: Plan, first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every day the plan falls on between `first` and `last` (inclusive), within its start and until."""
    low = max(first, plan.start)
    high = min(last, plan.until) if plan.until is not None else last
    if high < low:
        return []
    if plan.every == "week":
        if plan.weekday is None:
            return []
        day = low + datetime.timedelta(days=(plan.weekday - low.weekday()) % 7)
        found = []
        while day <= high:
            found.append(day)
            day += datetime.timedelta(days=7)
        return found
    days = (_in_month(plan, year, month) for year, month in _months(low, high, plan.every))
    return [d for d in days if d is not None and low <= d <= high]


def first_day(plan: Plan) -> datetime.date | None:
    """The plan's first occurrence (its DTSTART: RFC 5545 counts DTSTART as an instance, so it must fall on one)."""
    horizon = plan.start + datetime.timedelta(days=400)  # every rule falls within a year of its start
    found = occurrences(plan, plan.start, horizon if plan.until is None else min(horizon, plan.until))
    return found[0] if found else None


def describe(plan: Plan) -> str:
    """每月第一个星期六, 每季度（1、4、7、10 月）10 日, 每周星期五, with its time when set."""
    every = EVERY_TEXT[plan.every]
    if plan.every == "week" and plan.weekday is not None:
        when = f"{every}{WEEKDAYS[plan.weekday]}"
    elif plan.day is not None:
        when = f"{every} {plan.day} 日"
    elif plan.weekday is not None and plan.nth is not None:
        when = f"{every}{ORDINALS[plan.nth]}{WEEKDAYS[plan.weekday]}"
    else:
        when = every
    return when + (f" {plan.time.strftime('%H:%M')}" if plan.time else "")


def rrule(plan: Plan) -> dict[str, Any]:
    """The plan as an RRULE (icalendar's vRecur mapping)."""
    rule: dict[str, Any] = {"freq": "weekly" if plan.every == "week" else "monthly"}
    if plan.every == "quarter":
        rule["bymonth"] = list(QUARTER_MONTHS)
    if plan.weekday is not None and plan.every == "week":
        rule["byday"] = BYDAY[plan.weekday]
    elif plan.day is not None:
        rule["bymonthday"] = plan.day
    elif plan.weekday is not None and plan.nth is not None:
        rule["byday"] = f"{plan.nth}{BYDAY[plan.weekday]}"
    if plan.until is not None:
        # UNTIL is a DATE for all-day events, else the last moment of that day in UTC (RFC 5545 3.3.10)
        rule["until"] = plan.until if plan.time is None else _utc(plan.until, datetime.time(23, 59, 59))
    return rule


def _utc(day: datetime.date, at: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, at, BEIJING).astimezone(datetime.timezone.utc)


# --- what each calendar holds --------------------------------------------------------------------------------
def is_planned(activity: Record) -> bool:
    return activity.get("planned") is True


@per_site
def planned_by_org(data: SiteData) -> dict[str, list[Record]]:
    """org id → its planned activities, by date (computed once per SiteData)."""
    found: dict[str, list[Record]] = defaultdict(list)
    planned = [activity for activity in data.reg.all("activity") if is_planned(activity) and activity.get("org")]
    for activity in sorted(planned, key=_when):  # a stable sort: the order sorting them all gave, of a few
        found[activity["org"]].append(activity)
    return dict(found)


@per_site
def activities_by_org(data: SiteData) -> dict[str, list[Record]]:
    """org id → every activity of its own, held and planned, by date (computed once per SiteData)."""
    return _by_org(data.reg.all("activity"))


def activities_of(data: SiteData, org_ids: Iterable[str]) -> dict[str, list[Record]]:
    """`activities_by_org` of these orgs alone."""
    wanted = set(org_ids)
    return _by_org(activity for activity in data.reg.all("activity") if activity.get("org") in wanted)


def _by_org(activities: Iterable[Record]) -> dict[str, list[Record]]:
    """The activities with an org by org, each org's by date (a stable sort: in file order on the same day and id)."""
    found: dict[str, list[Record]] = defaultdict(list)
    for activity in activities:
        if activity.get("org"):
            found[activity["org"]].append(activity)
    return {org_id: sorted(held, key=_when) for org_id, held in found.items()}


def _when(activity: Record) -> tuple[datetime.date, str]:
    return activity["date"], activity.id or ""


def _chain(data: SiteData, org_id: str) -> list[Record]:
    """The org and the orgs above it, nearest first (a loop or a chain of 64 ends it)."""
    chain: list[Record] = []
    current, seen = data.reg.orgs.get(org_id), set()
    while current is not None and current.id not in seen and len(chain) < 64:
        seen.add(current.id)
        chain.append(current)
        current = data.reg.orgs.get(current.get("parent") or "")
    return chain


def plans_for(data: SiteData, org_id: str) -> list[Plan]:
    """The org's own recurring plans, then those of the orgs above it (nearest first) declared `below: true`."""
    found: list[Plan] = []
    for depth, org in enumerate(_chain(data, org_id)):
        for written in org.get("recurring") or ():
            if depth == 0 or written.get("below") is True:
                found.append(plan_of(org.id or "", written, data.today.year))
    return found


# --- the files ----------------------------------------------------------------------------------------------
def _host(data: SiteData) -> str:
    base = data.settings.get("base_url")
    return (urlsplit(base).hostname or "dangjian") if base else "dangjian"


def _clean(text: str) -> str:
    """Editors' text with every control or line-separator character but the line break turned into a space
    (icalendar escapes line breaks, `;`, `,` and `\\`; nothing else may end a content line in any reader)."""
    return "".join(
        " " if (unicodedata.category(c) in ("Cc", "Zl", "Zp") and c != "\n") else c for c in text.replace("\r\n", "\n")
    )


def _stamp(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0, 0), datetime.timezone.utc)


def _timezone() -> Timezone:
    """Asia/Shanghai as it has been since 1991: UTC+8 all year (written out, so builds do not depend on tzdata)."""
    from icalendar import Timezone, TimezoneStandard

    zone = Timezone()
    zone.add("tzid", ZONE)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime.datetime(1991, 9, 15, 0, 0))
    standard.add("tzoffsetfrom", datetime.timedelta(hours=8))
    standard.add("tzoffsetto", datetime.timedelta(hours=8))
    standard.add("tzname", "CST")
    zone.add_component(standard)
    return zone


def _calendar(name: str, description: str) -> Calendar:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _clean(name))
    cal.add("x-wr-caldesc", _clean(description))
    cal.add("x-wr-timezone", ZONE)
    cal.add("refresh-interval", datetime.timedelta(days=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "P1D")
    cal.add_component(_timezone())
    return cal


def _start(event: Event, day: datetime.date, at: datetime.time | None) -> None:
    """An all-day event (VALUE=DATE, ending the next day), or a timed one in Asia/Shanghai."""
    if at is None:
        event.add("dtstart", day)
        event.add("dtend", day + datetime.timedelta(days=1))
    else:
        event.add("dtstart", datetime.datetime.combine(day, at), parameters={"TZID": ZONE})


def _reminder(event: Event, title: str, timed: bool) -> None:
    """The day before at 09:00 for an all-day event (its start is midnight), an hour before a timed one."""
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _clean(title))
    alarm.add("trigger", datetime.timedelta(hours=-1) if timed else datetime.timedelta(hours=-15))
    event.add_component(alarm)


def _org_url(data: SiteData, org_id: str) -> str | None:
    base = data.settings.get("base_url")
    return f"{base}orgs/{org_id}/" if base else None


def activity_event(data: SiteData, activity: Record, host: str) -> Event:
    """One activity as an event: its title, kind, org and summary; never who attended or how many."""
    from icalendar import Event

    event = Event()
    event.add("uid", f"{activity.id}@{host}")
    event.add("dtstamp", _stamp(activity["date"]))
    at = _time(activity.get("time"))
    _start(event, activity["date"], at)
    event.add("summary", _clean(activity["title"]))
    org = data.reg.orgs.get(activity["org"])
    org_name = org.get("name", activity["org"]) if org is not None else activity["org"]
    lines = [f"{activity['kind']} · {org_name}" + (" · 计划" if is_planned(activity) else "")]
    if activity.get("summary"):
        lines.append(activity["summary"])
    event.add("description", _clean("\n".join(lines)))
    event.add("categories", [_clean(activity["kind"])])
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    url = _org_url(data, activity["org"])
    if url:
        event.add("url", url)
    if is_planned(activity) and activity["date"] >= data.today:
        _reminder(event, activity["title"], at is not None)
    return event


def plan_event(data: SiteData, plan: Plan, host: str, changed: Mapping[str, datetime.date]) -> Event | None:
    """A recurring plan as one event with its RRULE (None when it never falls between its start and until)."""
    from icalendar import Event

    first = first_day(plan)
    if first is None:
        return None
    event = Event()
    event.add("uid", plan.uid(host))
    event.add("dtstamp", _stamp(changed.get(f"orgs/{plan.org}/", first)))
    _start(event, first, plan.time)
    event.add("rrule", rrule(plan))
    event.add("summary", _clean(plan.title))
    org = data.reg.orgs.get(plan.org)
    org_name = org.get("name", plan.org) if org is not None else plan.org
    event.add("description", _clean(f"{plan.kind} · {org_name} · {describe(plan)}"))
    event.add("categories", [_clean(plan.kind)])
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    url = _org_url(data, plan.org)
    if url:
        event.add("url", url)
    _reminder(event, plan.title, plan.time is not None)
    return event


# --- folding: at 75 octets (RFC 5545 3.1), never inside a word the privacy gate looks for -------------------------
FOLD_AT = 75


def _han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0003134f"


def _word(char: str) -> bool:
    return char.isalnum() or char in "-_.·・"


def _safe_break(left: str, right: str) -> bool:
    """A fold may go between two Han characters (the gate's reading joins them again) or beside a character that
    is no part of a word; never inside an ASCII token such as a member id, which the gate matches whole."""
    return (_han(left) and _han(right)) or not (_word(left) and _word(right))


def fold_line(line: str) -> list[str]:
    """One content line as physical lines of at most 75 octets (continuations start with a space), each cut
    at a character boundary the privacy gate reads through; a cut inside a word only when no other fits."""
    out: list[str] = []
    rest, room = line, FOLD_AT
    while len(rest.encode()) > room:
        fit, size = 0, 0
        while fit < len(rest) and size + len(rest[fit].encode()) <= room:
            size += len(rest[fit].encode())
            fit += 1
        cut = next((at for at in range(fit, 0, -1) if _safe_break(rest[at - 1], rest[at])), fit)
        out.append(rest[:cut])
        rest, room = rest[cut:], FOLD_AT - 1
    out.append(rest)
    return [out[0]] + [" " + part for part in out[1:]]


def _serialise(cal: Calendar) -> bytes:
    """icalendar's content lines (escaped, not yet folded), folded by `fold_line`; CRLF line ends."""
    lines = [physical for line in cal.content_lines() if line for physical in fold_line(str(line))]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def org_calendar(
    data: SiteData,
    org_id: str,
    changed: Mapping[str, datetime.date] | None = None,
    activities: Mapping[str, list[Record]] | None = None,
) -> bytes:
    """`orgs/<id>/calendar.ics`: the org's own activities and the recurring plans it keeps (`activities`: those of
    `activities_by_org` for this org at least)."""
    org = data.reg.orgs[org_id]
    host = _host(data)
    cal = _calendar(f"{org['name']} · 活动日历", f"{org['name']}的活动和活动计划")
    for activity in (activities_by_org(data) if activities is None else activities).get(org_id, []):
        cal.add_component(activity_event(data, activity, host))
    for plan in plans_for(data, org_id):
        event = plan_event(data, plan, host, changed or {})
        if event is not None:
            cal.add_component(event)
    return _serialise(cal)


def upcoming(data: SiteData) -> list[Record]:
    """Planned activities on or after the build's day, soonest first, at most SITE_EVENTS."""
    found = [a for plans in planned_by_org(data).values() for a in plans if a["date"] >= data.today]
    return sorted(found, key=_when)[:SITE_EVENTS]


def site_calendar(data: SiteData) -> bytes:
    """`calendar.ics`: every org's planned activities from the build's day on."""
    title = data.settings.get("title", "基层党建")
    host = _host(data)
    cal = _calendar(f"{title} · 活动计划", f"{title}各组织即将开展的活动")
    for activity in upcoming(data):
        cal.add_component(activity_event(data, activity, host))
    return _serialise(cal)


def org_files(data: SiteData, changed: Mapping[str, datetime.date]) -> dict[str, bytes]:
    """Every org's calendar (SiteKind.files of the org kind); one whose inputs did not change since an earlier
    build is read from the cache folder instead of being serialised again (`calendar_key`)."""
    folder = cache_dir()
    pack = _pack_path(folder, data) if folder is not None else None
    kept = _read_pack(pack) if pack is not None else {}
    keys: dict[str, str | None] = {org_id: None for org_id in sorted(data.reg.orgs)}
    if pack is not None:
        keys = data.kept_value(CALENDAR_KEYS, lambda: _keys(data, changed), given=_changed_digest(data, changed))
    missing = [org_id for org_id, key in keys.items() if key is None or key not in kept]
    made = dict(zip(missing, _made(data, missing, changed)))
    files, now = {}, {}
    for org_id, key in keys.items():
        body = made.get(org_id)
        if body is None:
            assert key is not None  # an org without a key is always made
            body = kept[key]
        if key is not None:
            now[key] = body
        files[f"orgs/{org_id}/{SITE_FEED}"] = body
    if pack is not None and now.keys() != kept.keys():
        _write_pack(pack, now)
    return files


# What a calendar reads of its org and of each org above it (`_chain`, `plans_for`, the events' org names): not an
# org's summary, contacts or labels, whose edit keeps every calendar's key.
CALENDAR_ORG = ("name", "parent", "recurring")
# What the calendars' keys read (`calendar_key`), beside the commit dates of the org pages (`_changed_digest`): a build
# after a story or a roster edited takes them as the last build kept them (5,000 keys took 0.25 s of a city rebuild).
CALENDAR_KEYS = kept.Aggregate(
    "calendarkeys", frozenset({"org", "activity", "site"}), today=True, fields={"org": CALENDAR_ORG}
)
# Each org's own activities as the keys read them (`activities_digest`), kept apart: an org renamed makes every key
# again from these, without sorting a city's activities by date (0.2 s of `serve` after a rename).
CALENDAR_ACTIVITIES = kept.Aggregate("calendaractivities", frozenset({"activity", "site"}))


def _keys(data: SiteData, changed: Mapping[str, datetime.date]) -> dict[str, str | None]:
    canon = Canon()
    activities = data.kept_value(CALENDAR_ACTIVITIES, lambda: _activity_digests(data, canon))
    return {org_id: calendar_key(data, org_id, changed, canon, activities) for org_id in sorted(data.reg.orgs)}


def _activity_digests(data: SiteData, canon: Canon) -> dict[str, str | None]:
    """`activities_digest` of every org with an activity."""
    return {org_id: activities_digest(data, org_id, canon) for org_id in activities_by_org(data)}


def _changed_digest(data: SiteData, changed: Mapping[str, datetime.date]) -> str:
    """The commit dates the calendars show (each org page's), and the calendars' code, as a digest."""
    shown = [(org_id, changed.get(f"orgs/{org_id}/")) for org_id in sorted(data.reg.orgs)]
    return hashlib.blake2b(repr((_code_key(), shown)).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


_PARALLEL_FROM = 200  # calendars; below this a pool costs more than it saves (a city's first build of a day: 5,000)
_CHUNK = 50


def _made(data: SiteData, org_ids: list[str], changed: Mapping[str, datetime.date]) -> list[bytes]:
    """`org_calendar` of each org, in order: on every core when there are many (a cold build, or the first build of
    a day, whose date every calendar's reminders depend on); the workers inherit the build's data by forking."""
    if not org_ids:
        return []
    if len(org_ids) < _PARALLEL_FROM:  # a few (an org renamed): their activities found without sorting every one
        activities = activities_of(data, org_ids)
        return [org_calendar(data, org_id, changed, activities) for org_id in org_ids]
    activities_by_org(data)  # the indexes every calendar reads, made once before any fork
    planned_by_org(data)
    return list(in_order(_calendar_of, org_ids, (data, changed), _PARALLEL_FROM, _CHUNK))


def _calendar_of(given: tuple[SiteData, Mapping[str, datetime.date]], org_id: str) -> bytes:
    data, changed = given
    return org_calendar(data, org_id, changed)


# --- the org calendars' cache: one pack per registry, `calendars/<32 hex>.pack` in dangjian's cache folder -------
#
# The key of a calendar is a digest of everything `org_calendar` reads: the code (this module and what it imports,
# icalendar's and Python's versions), the site's address (UID host, URL), the build's day (reminders of planned
# activities, the year a plan without `start` begins), the org and every org above it (names, parents, recurring
# plans) with the commit dates `changed` gives them (plans' DTSTAMP), and the org's own activities in calendar
# order, each record whole. A change to what `org_calendar` reads must be added here: tests/test_calendars_cache.py
# compares cached calendars with fresh ones over random edits.
#
# One file per registry (named after its root and the code), holding the last build's calendars: creating a file
# per calendar cost as much as serialising them again. Each entry carries the digest of its bytes, checked on
# every read: an entry changed on disk is a miss, never served. The pack is rewritten (atomically) only when the
# set of keys changed.

CACHE_PART = "calendars"
_ENTRY_HEAD = re.compile(rb"([0-9a-f]{32}) ([0-9a-f]{32}) ([0-9]{1,9})\n")


@lru_cache(maxsize=1)
def _code_key() -> str:
    try:
        library = metadata.version("icalendar")
    except metadata.PackageNotFoundError:  # not installed as a distribution: its own word
        import icalendar

        library = getattr(icalendar, "__version__", "-")
    versions = [sys.version, library, code_fingerprint("site/calendars.py").hex()]
    return "\0".join(versions)


def calendar_key(
    data: SiteData,
    org_id: str,
    changed: Mapping[str, datetime.date],
    canon: Canon | None = None,
    activities: Mapping[str, str | None] | None = None,
) -> str | None:
    """The cache key of the org's calendar.ics (None: an input the canonical walk cannot digest; not cached);
    `activities`: each org's `activities_digest`, when known."""
    canon = canon or Canon()
    chain = _chain(data, org_id)
    own = activities_digest(data, org_id, canon) if activities is None else activities.get(org_id, _NO_ACTIVITY)
    if own is None:
        return None
    try:
        return canon.digest(
            (
                _code_key(),
                org_id,
                data.settings.get("base_url"),
                data.today,
                [(org.id, [org.get(name) for name in CALENDAR_ORG], changed.get(f"orgs/{org.id}/")) for org in chain],
                own,
            )
        )
    except Volatile:
        return None


def activities_digest(data: SiteData, org_id: str, canon: Canon | None = None) -> str | None:
    """A digest of the org's own activities in calendar order, each record whole (None: one cannot be digested)."""
    canon = canon or Canon()
    try:
        return canon.digest([canon.record(activity) for activity in activities_by_org(data).get(org_id, [])])
    except Volatile:
        return None


_NO_ACTIVITY = Canon().digest([])  # `activities_digest` of an org with no activity


def _pack_path(folder: Path, data: SiteData, calendars: str = "orgs") -> Path:
    """The pack of the registry's org calendars, or (`calendars="site"`) of its site-wide calendar."""
    name = hashlib.blake2b(_code_key().encode("utf-8", "surrogateescape"), digest_size=16)
    name.update(os.path.abspath(data.reg.root).encode("utf-8", "surrogateescape"))
    if calendars != "orgs":
        name.update(b"\0" + calendars.encode())
    return folder / CACHE_PART / f"{name.hexdigest()}.pack"


def _read_pack(path: Path) -> dict[str, bytes]:
    """The calendars kept in the pack by key: none when it is missing, vanished (a trim) or unreadable; an entry
    whose bytes are not those stored is left out. Its use is recorded (`cache.touch`'s rule, by `_read_entry`)."""
    try:
        stored = read_entry(path)  # a regular file only (no link followed, no pipe waited on)
    except OSError:
        return {}
    kept: dict[str, bytes] = {}
    at = 0
    while at < len(stored):
        head = _ENTRY_HEAD.match(stored, at)
        if head is None:
            break  # damaged from here on
        key, digest, size = head.group(1).decode(), head.group(2), int(head.group(3))
        body = stored[head.end() : head.end() + size]
        at = head.end() + size
        if len(body) == size and hashlib.blake2b(body, digest_size=16).hexdigest().encode() == digest:
            kept[key] = body
    return kept


def _write_pack(path: Path, calendars: Mapping[str, bytes]) -> None:
    """Keep this build's calendars (only), atomically; a cache that cannot be written is simply not used."""
    chunks = []
    for key, body in calendars.items():
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        chunks.append(f"{key} {digest} {len(body)}\n".encode() + body)
    write_atomic(path, b"".join(chunks))


def site_files(data: SiteData, changed: Mapping[str, datetime.date]) -> dict[str, bytes]:
    """The site-wide feed of upcoming planned activities (SiteKind.files of the activity kind); when its inputs did
    not change since the last build it is read from the cache folder (a pack of its own, `site_calendar_key`)."""
    folder = cache_dir()
    pack = _pack_path(folder, data, "site") if folder is not None else None
    key = site_calendar_key(data) if pack is not None else None
    body = _read_pack(pack).get(key) if pack is not None and key is not None else None
    if body is None:
        body = site_calendar(data)
        if pack is not None and key is not None:
            _write_pack(pack, {key: body})
    return {SITE_FEED: body}


def site_calendar_key(data: SiteData, canon: Canon | None = None) -> str | None:
    """The cache key of calendar.ics: everything `site_calendar` reads (the code, the site's title and address, the
    build's day, and each upcoming activity with its org, records whole); None when an input cannot be digested."""
    canon = canon or Canon()
    try:
        return canon.digest(
            (
                _code_key(),
                "site",
                data.settings.get("title", "基层党建"),
                data.settings.get("base_url"),
                data.today,
                [
                    (canon.record(activity), canon.record(org) if org is not None else None)
                    for activity in upcoming(data)
                    for org in (data.reg.orgs.get(activity["org"]),)
                ],
            )
        )
    except Volatile:
        return None


# --- on the org page ----------------------------------------------------------------------------------------
def org_view(data: SiteData, org_id: str) -> dict[str, Any]:
    """An org page's 活动日历: its recurring plans (with the next day each falls on) and its coming plans."""
    horizon = data.today + datetime.timedelta(days=400)
    recurring = []
    for plan in plans_for(data, org_id):
        upcoming_days = occurrences(plan, data.today, horizon)
        recurring.append(
            {
                "title": plan.title,
                "kind": plan.kind,
                "when": describe(plan),
                "next": upcoming_days[0] if upcoming_days else None,
                "ended": plan.until if plan.until is not None and plan.until < data.today else None,
                "org": data.org_view(plan.org) if plan.org != org_id else None,  # an org above: shown by name
            }
        )
    coming = [a for a in planned_by_org(data).get(org_id, []) if a["date"] >= data.today]
    return {
        "feed": f"orgs/{org_id}/{SITE_FEED}",
        "recurring": recurring,
        "planned": coming[:ON_PAGE],
        "more": max(len(coming) - ON_PAGE, 0),
    }
