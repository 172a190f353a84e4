"""The org calendars' cache (site/calendars.py, `calendars/` in dangjian's cache folder): a calendar is served from
the cache only when every input it is made of is the same, so a cached calendar always equals a fresh one.

The property: the demo's calendars are cached, then a random edit (an activity's time, title, date, kind, summary,
planned flag or org; an org's name or parent; a recurring plan's rule; the build day; the site's address; an org
file's commit date) is applied to a copy of the registry, and every calendar `org_files` gives (from the cache where
its key is unchanged) must equal `org_calendar`'s fresh serialisation. A key that missed an input would serve the
calendar from before the edit."""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import REPO
from dangjian import cache, parallel
from dangjian.model import Registry
from dangjian.site import calendars
from dangjian.site.data import SiteData
from dangjian.validate import validate

TODAY = datetime.date(2026, 12, 1)


@functools.cache
def _demo() -> Registry:
    result = validate(REPO)
    assert result.ok, result.problems[:5]
    return result.registry


@pytest.fixture
def demo() -> Registry:
    return _demo()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def fresh(data: SiteData, changed: dict[str, datetime.date]) -> dict[str, bytes]:
    """Every org's calendar serialised anew (no cache)."""
    return {f"orgs/{o}/calendar.ics": calendars.org_calendar(data, o, changed) for o in sorted(data.reg.orgs)}


def packs(folder: Path) -> list[Path]:
    return sorted((folder / calendars.CACHE_PART).glob("*.pack"))


def test_a_second_build_serves_every_calendar_from_the_cache_and_the_same_bytes(demo, folder, monkeypatch):
    data = SiteData(demo, TODAY)
    first = calendars.org_files(data, {})
    assert first == fresh(data, {})
    assert len(packs(folder)) == 1 and len(calendars._read_pack(packs(folder)[0])) == len(demo.orgs)

    def serialised(*args: Any) -> bytes:
        raise AssertionError("serialised again though nothing changed")

    monkeypatch.setattr(calendars, "org_calendar", serialised)
    assert calendars.org_files(SiteData(demo, TODAY), {}) == first


def test_a_second_build_serves_the_site_calendar_from_its_own_pack(demo, folder, monkeypatch):
    data = SiteData(demo, TODAY)
    first = calendars.site_files(data, {})
    assert first == {"calendar.ics": calendars.site_calendar(data)} and b"BEGIN:VEVENT" in first["calendar.ics"]
    calendars.org_files(data, {})  # the org calendars' pack beside it: neither replaces the other
    assert len(packs(folder)) == 2

    def serialised(*args: Any) -> bytes:
        raise AssertionError("serialised again though nothing changed")

    monkeypatch.setattr(calendars, "site_calendar", serialised)
    assert calendars.site_files(SiteData(demo, TODAY), {}) == first
    assert calendars.org_files(SiteData(demo, TODAY), {})  # its pack still whole
    monkeypatch.undo()
    later = SiteData(demo, TODAY + datetime.timedelta(days=1))  # another day: reminders and what is upcoming
    assert calendars.site_files(later, {}) == {"calendar.ics": calendars.site_calendar(later)}


def test_no_cache_folder_means_no_cache(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    data = SiteData(demo, TODAY)
    assert calendars.org_files(data, {}) == fresh(data, {})
    assert not any(tmp_path.rglob("*.pack"))


def test_an_entry_changed_on_disk_is_not_served(demo, folder):
    data = SiteData(demo, TODAY)
    first = calendars.org_files(data, {})
    (pack,) = packs(folder)
    raw = pack.read_bytes()
    # the same length, one event's title changed: what a tampering hand or a bad disk would do
    changed = raw.replace("七一".encode(), "八一".encode()).replace(b"VERSION:2.0", b"VERSION:9.9")
    assert changed != raw
    pack.write_bytes(changed)
    assert calendars.org_files(SiteData(demo, TODAY), {}) == first
    pack.write_bytes(raw[: len(raw) // 2])  # cut short
    assert calendars.org_files(SiteData(demo, TODAY), {}) == first
    key, _, rest = raw.partition(b" ")
    forged = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    pack.write_bytes(key + b" " + b"0" * 32 + f" {len(forged)}\n".encode() + forged)  # a forged digest
    assert calendars.org_files(SiteData(demo, TODAY), {}) == first
    pack.write_bytes(b"")
    assert calendars.org_files(SiteData(demo, TODAY), {}) == first


def test_a_pack_that_vanishes_is_made_again(demo, folder):
    data = SiteData(demo, TODAY)
    first = calendars.org_files(data, {})
    packs(folder)[0].unlink()
    assert calendars.org_files(SiteData(demo, TODAY), {}) == first
    assert len(calendars._read_pack(packs(folder)[0])) == len(demo.orgs)


def test_the_cache_part_is_one_trim_and_clean_know(demo, folder):
    calendars.org_files(SiteData(demo, TODAY), {})
    found = [entry for entry in cache.scan(folder).entries if entry.part == calendars.CACHE_PART]
    assert len(found) == 1 and not found[0].temp
    assert cache.scan(folder).foreign == 0
    cache.clean(folder)
    assert packs(folder) == []


def test_a_link_or_a_pipe_in_place_of_the_pack_is_neither_followed_nor_waited_on(demo, folder, tmp_path):
    data = SiteData(demo, TODAY)
    first = calendars.org_files(data, {})
    (pack,) = packs(folder)
    forged = b"BEGIN:VCALENDAR\r\nX-FORGED:1\r\nEND:VCALENDAR\r\n"
    digest = hashlib.blake2b(forged, digest_size=16).hexdigest()
    outside = tmp_path / "outside.pack"
    outside.write_bytes(
        b"".join(f"{key} {digest} {len(forged)}\n".encode() + forged for key in calendars._read_pack(pack))
    )
    assert len(calendars._read_pack(outside)) == len(demo.orgs)  # a pack that would be served, were it read
    pack.unlink()
    pack.symlink_to(outside)
    assert calendars.org_files(SiteData(demo, TODAY), {}) == first
    pack.unlink(missing_ok=True)
    os.mkfifo(pack)
    assert calendars.org_files(SiteData(demo, TODAY), {}) == first


# --- the property: a cached calendar equals a fresh one after any edit ------------------------------------------------
def _activity(reg: Registry, pick: int) -> Any:
    acts = sorted(reg.all("activity"), key=lambda a: a.id)
    return acts[pick % len(acts)]


def _org(reg: Registry, pick: int) -> Any:
    return reg.orgs[sorted(reg.orgs)[pick % len(reg.orgs)]]


def _plan_org(reg: Registry, pick: int) -> Any:
    planning = sorted(o for o, org in reg.orgs.items() if org.get("recurring"))
    return reg.orgs[planning[pick % len(planning)]]


TEXT = st.text(alphabet="党课会议学习，；\\,;\n甲乙 abc", min_size=1, max_size=12)
NAME = st.text(alphabet="党委支部甲乙 ,;", min_size=1, max_size=8)  # a name is one line (validation says so)
WEEKDAY = st.sampled_from(["星期一", "星期三", "星期六"])
EDITS = st.one_of(
    st.tuples(st.just("time"), st.integers(0, 300), st.sampled_from([None, "08:30", "19:00", "23:59"])),
    st.tuples(st.just("title"), st.integers(0, 300), TEXT),
    st.tuples(st.just("summary"), st.integers(0, 300), st.one_of(st.none(), TEXT)),
    st.tuples(st.just("kind"), st.integers(0, 300), st.sampled_from(["党课", "主题党日", "支委会"])),
    st.tuples(st.just("planned"), st.integers(0, 300), st.booleans()),
    st.tuples(st.just("date"), st.integers(0, 300), st.integers(-400, 400)),
    st.tuples(st.just("org"), st.integers(0, 300), st.integers(0, 100)),
    st.tuples(st.just("org name"), st.integers(0, 100), NAME),
    st.tuples(st.just("parent"), st.integers(0, 100), st.integers(0, 100)),
    st.tuples(st.just("plan title"), st.integers(0, 10), TEXT),
    st.tuples(st.just("plan day"), st.integers(0, 10), st.integers(1, 28)),
    st.tuples(st.just("plan weekday"), st.integers(0, 10), st.tuples(WEEKDAY, st.sampled_from([1, 2, -1]))),
    st.tuples(st.just("plan every"), st.integers(0, 10), st.sampled_from(["week", "month", "quarter"])),
    st.tuples(st.just("plan time"), st.integers(0, 10), st.sampled_from([None, "07:45", "19:00"])),
    st.tuples(st.just("plan below"), st.integers(0, 10), st.booleans()),
    st.tuples(st.just("plan until"), st.integers(0, 10), st.integers(-3000, 400)),
    st.tuples(st.just("plan start"), st.integers(0, 10), st.one_of(st.none(), st.integers(-3000, 0))),
    st.tuples(st.just("today"), st.integers(0, 0), st.integers(-800, 800)),
    st.tuples(st.just("base_url"), st.integers(0, 0), st.sampled_from([None, "https://a.example/", "https://b.cn/x/"])),
    st.tuples(st.just("changed"), st.integers(0, 100), st.integers(-3000, 0)),
)


def apply(reg: Registry, edit: tuple[str, int, Any]) -> tuple[datetime.date | None, dict[str, datetime.date]]:
    """Apply one edit to `reg` (a copy); the build day (None: unchanged) and the commit dates it gives."""
    what, pick, value = edit
    today: datetime.date | None = None
    changed: dict[str, datetime.date] = {}
    if what in ("time", "title", "summary", "kind"):
        record = _activity(reg, pick)
        if value is None:
            record.data.pop(what, None)
        else:
            record.data[what] = value
    elif what == "planned":
        _activity(reg, pick).data["planned"] = value
    elif what == "date":
        record = _activity(reg, pick)
        record.data["date"] = record["date"] + datetime.timedelta(days=value)
    elif what == "org":
        _activity(reg, pick).data["org"] = _org(reg, value).id
    elif what == "org name":
        _org(reg, pick).data["name"] = value
    elif what == "parent":
        _org(reg, pick).data["parent"] = _org(reg, value).id
    elif what.startswith("plan "):
        plan = _plan_org(reg, pick)["recurring"][0]
        field = what.removeprefix("plan ")
        if field == "day":
            plan.pop("weekday", None), plan.pop("nth", None)
            plan["day"] = value
        elif field == "weekday":
            plan.pop("day", None)
            plan["weekday"], plan["nth"] = value
        elif field in ("until", "start"):
            if value is None:
                plan.pop(field, None)
            else:
                plan[field] = TODAY + datetime.timedelta(days=value)
        elif value is None:
            plan.pop(field, None)
        else:
            plan[field] = value
    elif what == "today":
        today = TODAY + datetime.timedelta(days=value)
    elif what == "base_url":
        if reg.settings is not None:
            if value is None:
                reg.settings.data.pop("base_url", None)
            else:
                reg.settings.data["base_url"] = value
    elif what == "changed":
        org = _plan_org(reg, pick) if pick % 2 else _org(reg, pick)  # a planning org's date shows (DTSTAMP)
        changed = {f"orgs/{org.id}/": TODAY + datetime.timedelta(days=value)}
    return today, changed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDITS, min_size=1, max_size=3))
@example(edits=[("today", 0, 800)])
@example(edits=[("base_url", 0, "https://a.example/")])
@example(edits=[("changed", 1, -100)])
@example(edits=[("parent", 3, 7)])
@example(edits=[("plan below", 1, True)])
@example(edits=[("planned", 7, True), ("time", 7, "08:30")])
def test_a_cached_calendar_equals_a_fresh_one_after_any_edit(folder, edits):
    demo = _demo()
    calendars.org_files(SiteData(demo, TODAY), {})  # the calendars before the edit, cached
    calendars.site_files(SiteData(demo, TODAY), {})
    reg = copy.deepcopy(demo)
    today, changed = TODAY, {}
    for edit in edits:
        day, more = apply(reg, edit)
        today = day or today
        changed.update(more)
    data = SiteData(reg, today)
    assert calendars.org_files(data, changed) == fresh(SiteData(reg, today), changed)
    assert calendars.site_files(data, changed) == {"calendar.ics": calendars.site_calendar(SiteData(reg, today))}


def test_calendars_made_on_every_core_are_the_ones_made_in_turn(demo, folder, monkeypatch):
    """Many calendars to make (a cold build, a new day) are made by forked workers: the same bytes, in the same
    places, as one after the other; the pack they leave serves the next build as a pack made in turn does."""
    monkeypatch.setattr(calendars, "_PARALLEL_FROM", 2)
    monkeypatch.setattr(calendars, "_CHUNK", 3)  # several spans, so their order counts
    monkeypatch.setattr(parallel, "fork_workers", lambda items, minimum: 2)  # even on a one-core runner
    data = SiteData(demo, TODAY)
    changed = {"registry/orgs/huangbai.yaml": datetime.date(2026, 3, 2)}
    made = calendars.org_files(data, changed)
    assert made == fresh(data, changed) and len(made) > 6
    monkeypatch.setattr(calendars, "org_calendar", lambda *args: pytest.fail("not served from the pack"))
    assert calendars.org_files(SiteData(demo, TODAY), changed) == made


def test_kept_keys_are_taken_only_for_the_same_commit_dates(folder, monkeypatch):
    """The calendars' keys kept between builds (`CALENDAR_KEYS`): a build reusing kept values and showing another
    commit date of an org page makes that org's calendar again (its DTSTAMP); the same dates, none."""
    demo = _demo()
    planning = _plan_org(demo, 1)
    before = {f"orgs/{planning.id}/": TODAY - datetime.timedelta(days=30)}
    assert calendars.org_files(SiteData(demo, TODAY, reuse=True), before) == fresh(SiteData(demo, TODAY), before)
    later = {f"orgs/{planning.id}/": TODAY - datetime.timedelta(days=3)}
    again = calendars.org_files(SiteData(demo, TODAY, reuse=True), later)
    assert again == fresh(SiteData(demo, TODAY), later) and again != fresh(SiteData(demo, TODAY), before)
    computed: list[str] = []
    keys = calendars._keys
    monkeypatch.setattr(calendars, "_keys", lambda *args: computed.append("keys") or keys(*args))
    assert calendars.org_files(SiteData(demo, TODAY, reuse=True), later) == again and computed == []


def test_a_calendar_reads_of_the_orgs_only_what_its_key_digests(demo):
    """The keys digest of each org on the way up only `CALENDAR_ORG` (an org's summary edited keeps every key): a
    calendar made from orgs refusing any other field (`test_kept.Refusing`) is the calendar made from the whole."""
    from test_kept import only_declared_fields, rebuilt

    narrowed = rebuilt(demo, only_declared_fields(demo, calendars.CALENDAR_KEYS))
    changed = {f"orgs/{org_id}/": TODAY - datetime.timedelta(days=5) for org_id in demo.orgs}
    assert any(org.get("recurring") for org in demo.orgs.values())
    assert fresh(SiteData(narrowed, TODAY), changed) == fresh(SiteData(demo, TODAY), changed)


def test_a_few_orgs_activities_are_theirs_in_the_index_of_every_org(demo):
    """A few calendars made again (an org renamed) find their orgs' activities without the index of every org's
    (`activities_of`): the same records in the same order, for every org, and none for an org without any."""
    data = SiteData(demo, TODAY)
    every = calendars.activities_by_org(data)
    assert sum(len(found) > 2 for found in every.values()) >= 2
    for org_id in sorted(demo.orgs):
        assert calendars.activities_of(data, [org_id]).get(org_id, []) == every.get(org_id, [])
    assert calendars.activities_of(data, sorted(demo.orgs)) == every
