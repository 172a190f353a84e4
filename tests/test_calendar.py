"""Calendars (site/calendars.py): every ICS parsed back with icalendar and held to RFC 5545's essentials; a
recurring plan's days against an independent RRULE expansion (dateutil); what each feed holds, judged on a fixed
build day (SiteData.today); hostile titles; and no attendee, count or private name in any of them."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, vRecur

from conftest import REPO, apply_overlay, copy_minimal
from dangjian.model import Registry, is_public
from dangjian.recordtypes import WEEKDAYS
from dangjian.scores import ScoreBook
from dangjian.site import calendars
from dangjian.site.data import SiteData
from dangjian.site.kinds import activity as activity_kind
from dangjian.site.privacy import Gate
from dangjian.validate import validate

TODAY = datetime.date(2026, 12, 1)  # the build day every test fixes (never the clock)


# --- RFC 5545 essentials ---------------------------------------------------------------------------------------
def rfc5545_essentials(ics: bytes) -> Calendar:
    """The file parsed back, after checking what every reader relies on: CRLF line ends, lines of at most 75
    octets, VERSION and PRODID, and UID, DTSTAMP, DTSTART in every event (UIDs unique)."""
    assert ics.endswith(b"\r\n")
    assert b"\n" not in ics.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in ics.replace(b"\r\n", b""), "a bare CR"
    # no control character in a value (RFC 5545 3.3.11 TEXT allows none but HTAB), nor a line or paragraph separator
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u2028\u2029]", ics.decode().replace("\r\n", ""))
    for line in ics.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # folding never cuts a character in two
    cal = Calendar.from_ical(ics)
    assert cal.name == "VCALENDAR"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == calendars.PRODID
    uids = []
    for event in cal.walk("VEVENT"):
        for key in ("UID", "DTSTAMP", "DTSTART"):
            assert key in event, (key, event.get("SUMMARY"))
        uids.append(str(event["UID"]))
        start = event["DTSTART"]
        if isinstance(start.dt, datetime.datetime):  # timed: Beijing time, with its VTIMEZONE in the file
            assert start.params.get("TZID") == calendars.ZONE
        else:  # all-day: a DATE value
            assert start.params.get("VALUE") == "DATE"
        assert "ATTENDEE" not in event and "ORGANIZER" not in event
    assert len(uids) == len(set(uids)), "UIDs repeat"
    if any(isinstance(e["DTSTART"].dt, datetime.datetime) for e in cal.walk("VEVENT")):
        assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == [calendars.ZONE]
    return cal


def events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]).split("@")[0]: e for e in cal.walk("VEVENT")}


# --- the demo ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> SiteData:
    result = validate(REPO)
    assert result.ok, result.problems[:5]
    return SiteData(result.registry, TODAY)


def test_every_demo_calendar_parses_back_with_its_essentials(demo: SiteData) -> None:
    files = calendars.org_files(demo, {})
    assert set(files) == {f"orgs/{org_id}/calendar.ics" for org_id in demo.reg.orgs}
    for path, ics in files.items():
        cal = rfc5545_essentials(ics)
        org_id = path.split("/")[1]
        own = [a.id for a in demo.reg.all("activity") if a.get("org") == org_id]
        found = events(cal)
        assert set(own) <= set(found), path  # every activity of its own, held and planned
        others = [a.id for a in demo.reg.all("activity") if a.get("org") != org_id]
        assert not set(others) & set(found), path  # and nobody else's
    rfc5545_essentials(calendars.site_calendar(demo))


def test_red_saturday_is_every_first_saturday_in_the_branches_of_nanxun(demo: SiteData) -> None:
    """湖州南浔's 红色星期六, declared once on the district with `below: true`, reaches 长超村's calendar."""
    cal = Calendar.from_ical(calendars.org_calendar(demo, "huzhou-nanxun-changchao"))
    red = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "红色星期六"]
    assert len(red) == 1
    rule = red[0]["RRULE"]
    assert rule["FREQ"] == ["MONTHLY"] and rule["BYDAY"] == ["1SA"]
    start = red[0]["DTSTART"].dt
    assert start == datetime.date(2016, 1, 2)  # the first Saturday on or after its start, 2016-01-01
    days = rrulestr(red[0]["RRULE"].to_ical().decode(), dtstart=datetime.datetime.combine(start, datetime.time()))
    in_2027 = [d.date() for d in days.between(datetime.datetime(2027, 1, 1), datetime.datetime(2028, 1, 1))]
    assert len(in_2027) == 12
    assert all(d.weekday() == 5 and d.day <= 7 for d in in_2027)
    # a branch of another district does not get it
    other = Calendar.from_ical(calendars.org_calendar(demo, "huzhou-deqing-baifudou"))
    assert not [e for e in other.walk("VEVENT") if str(e["SUMMARY"]) == "红色星期六"]


def test_the_site_feed_holds_the_planned_activities_from_the_build_day_on(demo: SiteData) -> None:
    planned = [a for a in demo.reg.all("activity") if a.get("planned") is True]
    assert len({a["org"] for a in planned}) >= 2, "the demo plans a year for two branches"
    for today in (TODAY, datetime.date(2027, 7, 1), datetime.date(2028, 1, 1)):
        data = SiteData(demo.reg, today)
        found = events(rfc5545_essentials(calendars.site_calendar(data)))
        assert set(found) == {a.id for a in planned if a["date"] >= today}, today
    assert len(events(Calendar.from_ical(calendars.site_calendar(SiteData(demo.reg, datetime.date(2027, 7, 1)))))) > 0


def test_calendars_are_the_same_bytes_build_after_build(demo: SiteData) -> None:
    again = SiteData(demo.reg, TODAY)
    assert calendars.org_files(demo, {}) == calendars.org_files(again, {})
    assert calendars.site_calendar(demo) == calendars.site_calendar(again)


def test_a_planned_activity_is_not_held(demo: SiteData) -> None:
    """Listed apart: not in the held list, the home page's count or an org's 最近的活动."""
    held = activity_kind.listed(demo.reg)
    assert held and not [a for a in held if a.get("planned") is True]
    assert {a.id for a in held} | {a.id for p in calendars.planned_by_org(demo).values() for a in p} == {
        a.id for a in demo.reg.all("activity")
    }


# --- small registries -------------------------------------------------------------------------------------------
PLANS = """\
- id: east-plan-1
  org: east
  date: 2027-03-06
  kind: 主题党日
  title: {title}
  planned: true
  rule: activity
  summary: 学习后打扫村道。

- id: east-plan-2
  org: east
  date: 2027-04-10
  kind: 党课
  title: 四月党课
  planned: true
  time: "19:30"
"""


def site_of(tmp_path: Path, files: dict[str, str | None], today: datetime.date = TODAY) -> SiteData:
    root = apply_overlay(copy_minimal(tmp_path / "reg"), files)
    result = validate(root)
    assert result.ok, result.problems
    return SiteData(result.registry, today)


HOSTILE = [
    "一\nBEGIN:VEVENT\nUID:evil\nEND:VEVENT",
    "二\r\nATTENDEE:mailto:x@example.org",
    "三\rEND:VCALENDAR",
    "四;X-EVIL=1,五:六\\n七",
    "八\u2028BEGIN:VEVENT\u2029九\x0bSUMMARY:十",
    "长" * 40 + "BEGIN:VEVENT" + "长" * 40,
]


@pytest.mark.parametrize("title", HOSTILE)
def test_a_hostile_title_cannot_add_a_property_or_an_event(tmp_path: Path, title: str) -> None:
    """Line breaks of every kind, `;`, `,`, `:` and a `BEGIN:VEVENT` in a title stay inside its SUMMARY."""
    data = site_of(tmp_path, {})
    record = data.reg.all("activity")[0]
    record.data.update(title=title, planned=True, date=datetime.date(2027, 1, 9))
    record.data.pop("attendees", None)
    record.data.pop("headcount", None)
    for ics in (calendars.org_calendar(data, "east"), calendars.site_calendar(data)):
        cal = rfc5545_essentials(ics)
        (event,) = cal.walk("VEVENT")
        assert set(event) <= {
            *("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "CATEGORIES", "STATUS"),
            *("TRANSP", "URL"),
        }
        assert str(event["UID"]) == f"{record.id}@example.org"
        lines = ics.decode().split("\r\n")
        assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VCALENDAR") == 1
        assert not [line for line in lines if line.startswith(("ATTENDEE", "UID:evil", "X-EVIL"))]
        # the title reads back as written, with line and paragraph separators as spaces or line breaks
        back = str(event["SUMMARY"])
        assert re.sub(r"\s", "", back) == re.sub(r"[\s\x0b\u2028\u2029]", "", title)


def test_a_hostile_title_written_in_the_registry_stays_in_its_summary(tmp_path: Path) -> None:
    """The same through the loader: a YAML title with escapes for line breaks and a semicolon."""
    title = '"一\\nBEGIN:VEVENT\\nUID:evil;X=1,二"'
    data = site_of(tmp_path, {"registry/activities/plans.yaml": PLANS.format(title=title)})
    cal = rfc5545_essentials(calendars.org_calendar(data, "east"))
    assert str(events(cal)["east-plan-1"]["SUMMARY"]) == "一\nBEGIN:VEVENT\nUID:evil;X=1,二"
    assert len(cal.walk("VEVENT")) == 3  # the held activity and the two plans


def test_planned_events_say_when_and_remind(tmp_path: Path) -> None:
    data = site_of(tmp_path, {"registry/activities/plans.yaml": PLANS.format(title="三月主题党日")})
    found = events(rfc5545_essentials(calendars.site_calendar(data)))
    assert set(found) == {"east-plan-1", "east-plan-2"}
    all_day, timed = found["east-plan-1"], found["east-plan-2"]
    assert all_day["DTSTART"].dt == datetime.date(2027, 3, 6) and all_day["DTEND"].dt == datetime.date(2027, 3, 7)
    assert timed["DTSTART"].dt.replace(tzinfo=None) == datetime.datetime(2027, 4, 10, 19, 30)
    assert timed["DTSTART"].dt.utcoffset() == datetime.timedelta(hours=8)
    assert all_day["DTSTAMP"].dt == datetime.datetime(2027, 3, 6, tzinfo=datetime.timezone.utc)  # from the data
    (alarm,) = all_day.walk("VALARM")
    assert alarm["TRIGGER"].dt == -datetime.timedelta(hours=15)  # 09:00 the day before
    (alarm,) = timed.walk("VALARM")
    assert alarm["TRIGGER"].dt == -datetime.timedelta(hours=1)
    assert str(all_day["URL"]) == "https://example.org/orgs/east/"
    # the day after the second plan, nothing is upcoming
    later = SiteData(data.reg, datetime.date(2027, 4, 11))
    assert events(rfc5545_essentials(calendars.site_calendar(later))) == {}


def test_no_attendee_count_or_private_name_in_a_calendar(tmp_path: Path) -> None:
    data = site_of(tmp_path, {"registry/activities/plans.yaml": PLANS.format(title="三月主题党日")})
    ics = calendars.org_calendar(data, "east").decode()
    held = [a for a in data.reg.all("activity") if a.get("attendees")]
    assert held
    for activity in held:
        for member_id in activity["attendees"]:
            assert member_id not in ics
            assert data.reg.members[member_id]["name"] not in ics
        assert str(activity["headcount"]) not in re.sub(r"\d{8}", "", ics)  # dates aside, no count


def _private(reg: Registry) -> tuple[str, str]:
    member = next(m for m in reg.members.values() if not is_public(m))
    return member.id or "", member["name"]


def test_the_privacy_gate_reads_a_private_name_or_id_across_a_folded_line(tmp_path: Path) -> None:
    """A private name or id in a planned title is caught in the .ics wherever the 75-octet fold falls: the fold
    never cuts an ASCII token (the gate matches ids whole; seen failing with icalendar's own folding)."""
    data = site_of(tmp_path, {})
    member_id, name = _private(data.reg)
    record = data.reg.all("activity")[0]
    record.data["planned"] = True
    gate = Gate(data.reg)
    for title in [
        *("学" * pad + name + "谈心" for pad in range(30)),
        *("x" * pad + f" {member_id} talk" for pad in range(90)),
    ]:
        record.data["title"] = title
        ics = calendars.org_calendar(data, "east")
        rfc5545_essentials(ics)
        assert gate.scan_bytes(ics, "orgs/east/calendar.ics"), title


def test_a_planned_activity_scores_nothing(tmp_path: Path) -> None:
    """scores.py leaves a planned activity out (rules refuse its attendees; the score must not count it either)."""
    data = site_of(tmp_path, {})
    member = data.reg.all("activity")[0]["attendees"][0]
    before = ScoreBook(data.reg).yearly_score(member, 2026)
    data.reg.all("activity")[0].data["planned"] = True
    assert ScoreBook(data.reg).yearly_score(member, 2026) < before


# --- recurring plans --------------------------------------------------------------------------------------------
def test_a_recurring_plan_in_the_calendar_and_on_the_page_view(tmp_path: Path) -> None:
    town = (REPO / "tests/fixtures/minimal/registry/orgs/town.yaml").read_text(encoding="utf-8")
    town += "recurring:\n  - title: 红色星期六\n    kind: 主题党日\n    nth: 1\n    weekday: 星期六\n    below: true\n"
    town += '  - title: 镇机关学习日\n    kind: 其他\n    every: week\n    weekday: 星期五\n    time: "16:00"\n'
    town += "    start: 2026-01-01\n    until: 2027-06-30\n"
    data = site_of(tmp_path, {"registry/orgs/town.yaml": town})
    mine = events(rfc5545_essentials(calendars.org_calendar(data, "town")))
    below = events(rfc5545_essentials(calendars.org_calendar(data, "east")))
    red = [e for e in below.values() if str(e["SUMMARY"]) == "红色星期六"]
    assert len(red) == 1 and not [e for e in below.values() if str(e["SUMMARY"]) == "镇机关学习日"]
    assert red[0]["DTSTART"].dt == datetime.date(2026, 1, 3)  # no start: from January 1 of the build's year
    weekly = next(e for e in mine.values() if str(e["SUMMARY"]) == "镇机关学习日")
    assert weekly["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20270630T155959Z;BYDAY=FR"
    assert weekly["DTSTART"].dt.replace(tzinfo=None) == datetime.datetime(2026, 1, 2, 16, 0)
    view = calendars.org_view(data, "east")
    assert [(p["title"], p["when"], p["next"]) for p in view["recurring"]] == [
        ("红色星期六", "每月第一个星期六", datetime.date(2026, 12, 5))
    ]
    assert view["recurring"][0]["org"].id == "town"
    weekly_view = calendars.org_view(SiteData(data.reg, datetime.date(2027, 7, 1)), "town")["recurring"][1]
    assert (weekly_view["next"], weekly_view["ended"]) == (None, datetime.date(2027, 6, 30))


def _plan(every: str, weekday: int | None, nth: int | None, day: int | None, start: datetime.date, span: int | None):
    written: dict[str, object] = {"title": "例会", "kind": "其他", "every": every, "start": start}
    if weekday is not None:
        written["weekday"] = WEEKDAYS[weekday]
    if nth is not None:
        written["nth"] = nth
    if day is not None:
        written["day"] = day
    if span is not None:
        written["until"] = start + datetime.timedelta(days=span)
    return calendars.plan_of("town", written, 2026)


plans = st.one_of(
    st.tuples(st.just("week"), st.integers(0, 6), st.none(), st.none()),
    st.tuples(st.sampled_from(["month", "quarter"]), st.integers(0, 6), st.sampled_from([1, 2, 3, 4, -1]), st.none()),
    st.tuples(st.sampled_from(["month", "quarter"]), st.none(), st.none(), st.integers(1, 28)),
)


@settings(max_examples=150, deadline=None)
@given(
    plans,
    st.dates(datetime.date(2015, 1, 1), datetime.date(2030, 12, 31)),
    st.one_of(st.none(), st.integers(0, 900)),
    st.integers(0, 1200),
)
def test_a_plans_days_are_its_rrules_days(shape: tuple, start: datetime.date, span: int | None, window: int) -> None:
    """The days the site computes (the page's 下一次, DTSTART) are the days a calendar expands the written RRULE
    into (dateutil, independent of dangjian), and DTSTART is the first of them."""
    plan = _plan(*shape, start=start, span=span)
    first = calendars.first_day(plan)
    last = start + datetime.timedelta(days=window)
    mine = calendars.occurrences(plan, start, last)
    if first is None:
        assert mine == []
        return
    text = vRecur(calendars.rrule(plan)).to_ical().decode()  # as the file writes it
    theirs = rrulestr(text, dtstart=datetime.datetime.combine(first, datetime.time()))
    expected = [
        d.date()
        for d in theirs.between(
            datetime.datetime.combine(start, datetime.time()),
            datetime.datetime.combine(last, datetime.time()),
            inc=True,
        )
    ]
    assert mine == expected
    assert mine == [] or mine[0] == first or mine[0] > first
    assert calendars.occurrences(plan, start, first) == [first]


def test_a_planned_meeting_is_not_held_for_three_one(tmp_path: Path) -> None:
    """三会一课 (compliance.py) counts a meeting once it is held, not while it is planned."""
    from dangjian.compliance import Compliance
    from dangjian.periods import parse_period

    data = site_of(tmp_path, {"registry/activities/plans.yaml": PLANS.format(title="三月主题党日")})
    march = parse_period("2027-03")
    assert march is not None
    assert Compliance(data.reg, datetime.date(2027, 12, 31)).held_on("east", "主题党日", march) == ()
    next(a for a in data.reg.all("activity") if a.id == "east-plan-1").data.pop("planned")  # the same, held
    assert Compliance(data.reg, datetime.date(2027, 12, 31)).held_on("east", "主题党日", march) == (
        datetime.date(2027, 3, 6),
    )


@pytest.mark.parametrize(
    ("written", "said", "rule"),
    [
        ({"weekday": "星期六", "nth": 1}, "每月第一个星期六", b"FREQ=MONTHLY;BYDAY=1SA"),
        ({"day": 15, "time": "19:00"}, "每月 15 日 19:00", b"FREQ=MONTHLY;BYMONTHDAY=15"),
        ({"every": "quarter", "weekday": "星期五", "nth": -1}, "每季度（1、4、7、10 月）最后一个星期五", None),
        ({"every": "week", "weekday": "星期三", "until": datetime.date(2027, 6, 30)}, "每周星期三", None),
    ],
)
def test_a_plan_is_said_in_chinese_and_written_as_an_rrule(written: dict, said: str, rule: bytes | None) -> None:
    plan = calendars.plan_of("town", {"title": "例会", "kind": "其他", **written}, 2026)
    assert calendars.describe(plan) == said
    text = vRecur(calendars.rrule(plan)).to_ical()
    if rule is not None:
        assert text == rule
    if written.get("every") == "quarter":
        assert set(text.split(b";")) == {b"FREQ=MONTHLY", b"BYDAY=-1FR", b"BYMONTH=1,4,7,10"}
    if written.get("every") == "week":
        assert set(text.split(b";")) == {b"FREQ=WEEKLY", b"UNTIL=20270630", b"BYDAY=WE"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SiteData:
    return site_of(tmp_path_factory.mktemp("small"), {})


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=120))
def test_any_title_stays_one_summary_of_one_event(small: SiteData, title: str) -> None:
    """Whatever an editor writes as a title, the file parses back to the same events, the title in its SUMMARY
    (with control and separator characters as spaces; icalendar reads a written `\\N` as a line break)."""
    record = small.reg.all("activity")[0]
    record.data["title"] = title
    cal = rfc5545_essentials(calendars.org_calendar(small, "east"))
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == calendars._clean(title).replace("\\N", "\n")
    assert str(event["UID"]) == f"{record.id}@example.org"
