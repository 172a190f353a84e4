"""The site's aggregates take shortcuts (issue 23): each shortcut must give what the plain definition gives.

- members without a history are counted by org with a bisection of their admission dates
  (`Rolls.admissions`) instead of one by one: in `stats._joined`, the timelines' year-end counts and the
  duty record's regions;
- a yearly score is added up once per tally of rule counts (`ScoreBook`), shared by every member with
  that tally;
- the duty record makes its events only for the years asked (`DutyBook`);
- the Data Package descriptor is made once per site;
- suppression remembers the outcome of its last tables, by their whole content;
- the home page's figures read every member once (`stats._today`), a member without a history from their record.

Checked on the demo registry (members and orgs with histories, so both paths run) and on a generated one.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

import pytest

from dangjian.duty import DutyBook, DutyEvent
from dangjian.model import Registry
from dangjian.scores import ScoreBook
from dangjian.site import datapackage, timelines
from dangjian.site.data import SiteData
from dangjian import suppression
from dangjian.stats import HOME, StatsBook, _joined, _today
from dangjian.suppression import Dimension, Outcome, Table, suppress
from dangjian.synth import Synth
from dangjian.validate import validate

from test_synth import TINY

REPO = Path(__file__).resolve().parents[1]
TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo() -> Registry:
    return validate(REPO).registry


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    root = tmp_path_factory.mktemp("tiny")
    list(Synth(TINY, seed=5).write(root))
    return validate(root).registry


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A generated registry whose org with the most members moved under another parent on 1 June 2023 (a history
    given in memory): before that day its timeless members count under another chain of orgs."""
    root = tmp_path_factory.mktemp("moved")
    list(Synth(TINY, seed=7).write(root))
    reg = validate(root).registry
    org_id = max((o for o in reg.orgs if reg.orgs[o].get("parent")), key=lambda o: len(reg.members_of.get(o, [])))
    below = {org_id, *reg.descendants(org_id)}
    elsewhere = next(o for o in sorted(reg.orgs) if o not in below and o != reg.orgs[org_id]["parent"])
    reg.orgs[org_id].data["history"] = [
        {"date": datetime.date(2000, 1, 1), "parent": elsewhere},
        {"date": datetime.date(2023, 6, 1), "parent": reg.orgs[org_id]["parent"]},
    ]
    return reg


def _registries(demo: Registry, generated: Registry, moved: Registry | None = None) -> list[Registry]:
    return [demo, generated] + ([moved] if moved is not None else [])


def _days(reg: Registry) -> list[datetime.date]:
    """Year ends and a few days inside years, over the registry's admissions."""
    years = sorted({m["joined"].year for m in reg.members.values() if isinstance(m.get("joined"), datetime.date)})
    years = sorted({*years[-6:], 2020, 2024, 2025})
    return [d for y in years for d in (datetime.date(y, 12, 31), datetime.date(y, 3, 1), datetime.date(y, 7, 1))]


class _OneByOne:
    """A ScoreBook seen without its rolls: `stats._joined` then asks `joined_by` of each member."""

    def __init__(self, scores: ScoreBook) -> None:
        self.scores = scores
        self.events = scores.events

    def joined_by(self, member_id: str, day: datetime.date) -> bool:
        return self.scores.joined_by(member_id, day)

    def yearly_score(self, member_id: str, year: int, until: datetime.date | None = None) -> Fraction:
        return self.scores.yearly_score(member_id, year, until)


def _parent(reg: Registry, book: StatsBook) -> dict[str, str | None]:
    parent: dict[str, str | None] = {HOME: None}  # as figure_table makes it
    for org_id in reg.orgs:
        parent.setdefault(org_id, HOME)
        for child in book._children(org_id):
            if child in reg.orgs:
                parent[child] = org_id
    return parent


def test_the_demo_has_histories_so_both_paths_run(demo):
    rolls = ScoreBook(demo).rolls
    assert rolls.dated_members and rolls.dated_orgs and rolls.admissions()


def test_admissions_by_org_are_every_timeless_members_in_the_party(demo, generated):
    for reg in _registries(demo, generated):
        rolls = ScoreBook(reg).rolls
        expected: dict = defaultdict(list)
        for member_id, member in reg.members.items():
            if member_id not in rolls.dated_members and isinstance(member.get("joined"), datetime.date):
                if member.get("status") in ("预备党员", "正式党员"):
                    expected[member.get("org")].append(member["joined"])
        assert rolls.admissions() == {org: sorted(days) for org, days in expected.items()}
        for day in _days(reg):
            for org, admitted in rolls.admissions().items():
                members = [m for m in reg.members if m not in rolls.dated_members and reg.members[m].get("org") == org]
                assert sum(admitted <= day for admitted in admitted) == sum(rolls.in_party(m, day) for m in members)


def test_joined_counted_by_org_equals_member_by_member(demo, generated, moved):
    assert ScoreBook(moved).rolls.dated_orgs
    for reg in _registries(demo, generated, moved):
        scores = ScoreBook(reg)
        fast = StatsBook(reg, scores)
        plain = StatsBook(reg, _OneByOne(scores))  # type: ignore[arg-type]
        assert getattr(fast.scores, "rolls", None) is fast.rolls  # the shortcut is taken
        assert getattr(plain.scores, "rolls", None) is None  # and here it is not
        parent = _parent(reg, fast)
        counted = 0
        for day in _days(reg):
            expected = +_joined(plain, parent, day)  # unary plus: without the zero counts
            assert +_joined(fast, parent, day) == expected, day
            counted += expected[HOME]
        assert counted > 0


def test_the_home_page_s_members_read_once_are_what_each_member_s_roll_and_state_give(demo, generated, moved):
    """`stats._today` against the plain definition: every member on a roll today (or without a history), by
    status and flow, and the scored ones on the roll of no org of the registry. The last registry loses an org
    with members in memory, so that some are outside every org (validation allows none)."""
    orphaned = validate(REPO).registry
    gone = max(orphaned.members_of, key=lambda o: len(orphaned.members_of[o]))
    del orphaned.orgs[gone]
    outside_seen = 0
    for reg in [*_registries(demo, generated, moved), orphaned]:
        book = StatsBook(reg, ScoreBook(reg))
        plain = StatsBook(reg, ScoreBook(reg))
        rolls = plain.rolls
        on = [m for m in reg.members if m not in rolls.dated_members or rolls.on_roll(m) is not None]
        states = [plain.now(m) for m in on]
        everyone, outside = _today(book)
        assert everyone.members == len(on) > 0
        assert everyone.by_status == Counter(status for status, _ in states)
        assert (everyone.flow_out, everyone.flow_in) == (
            sum(flow == "out" for _, flow in states),
            sum(flow == "in" for _, flow in states),
        )
        assert outside == [
            m
            for m, (status, _) in zip(on, states)
            if rolls.on_roll(m) not in reg.orgs and status in ("预备党员", "正式党员")
        ]
        assert {m: book.now(m) for m in on} == dict(zip(on, states))  # kept as `now` keeps it
        outside_seen += len(outside)
    assert outside_seen > 0
    assert any(flow for reg in (demo, generated) for m in reg.members for flow in [StatsBook(reg, None).now(m)[1]])


def test_year_end_counts_of_the_timelines_equal_member_by_member(demo, generated):
    for reg in _registries(demo, generated):
        data = SiteData(reg, TODAY)
        found = timelines.histories(data)
        rolls = found.rolls
        assert found.years
        for year in found.years:
            day = datetime.date(year, 12, 31)
            own = {o: sum(1 for m in ids if rolls.in_party(m, day)) for o, ids in rolls.members_of(day).items()}
            assert found.raw[year] == timelines._roll_up(found.trees[year], own), year
        assert any(found.raw[y] and max(found.raw[y].values()) > 0 for y in found.years)


def test_every_score_equals_its_duty_record_taken_apart(demo, generated):
    """A score shared by a tally must be the member's own: the duty record adds up each member's events alone."""
    for reg in _registries(demo, generated):
        scores = ScoreBook(reg)
        duties = DutyBook(reg, scores)
        checked: Counter = Counter()
        for member_id in sorted(reg.members):
            for year in duties.years(member_id):
                total = duties.record(member_id, year).total
                assert scores.yearly_score(member_id, year) == total, (member_id, year)
                checked[total] += 1
        assert len(checked) > 3  # several different scores, each shared by many members
        assert len(scores._tallies) < sum(checked.values())


def test_duty_events_made_on_demand_are_every_ledger_entry_and_attendance(generated):
    reg = generated
    duties = DutyBook(reg)
    rules = reg.points_rules
    expected: dict[str, list[DutyEvent]] = defaultdict(list)
    for entry in reg.all("ledger"):
        if {"member", "date", "rule"} <= entry.data.keys() and entry["rule"] in rules:
            rule = rules[entry["rule"]]
            event = DutyEvent(
                entry["date"], entry["rule"], rule.get("name", entry["rule"]), Fraction(rule["points"]), "ledger",
                note=entry.get("note"),
            )  # fmt: skip
            expected[entry["member"]].append(event)
    for activity in reg.all("activity"):
        if "rule" in activity.data and "date" in activity.data and activity["rule"] in rules:
            rule = rules[activity["rule"]]
            event = DutyEvent(
                activity["date"], activity["rule"], rule.get("name", activity["rule"]), Fraction(rule["points"]),
                "activity", activity=activity.id, title=activity.get("title"),
            )  # fmt: skip
            for member_id in activity.get("attendees", []):
                expected[member_id].append(event)
    assert duties.events == dict(expected)
    assert sum(len(e) for e in expected.values()) > 100
    for year in (2024, 2025):
        with_year = sorted(m for m, events in expected.items() if any(e.date.year == year for e in events))
        assert duties.members_with_year(year) == [m for m in with_year if duties.scores.scored_in(m, year)]


def test_the_data_package_is_made_once_per_site(demo, generated):
    first = SiteData(demo, TODAY)
    package = datapackage.descriptor(first)
    assert datapackage.descriptor(first) is package  # the /api/ page and datapackage.json share it
    assert datapackage._descriptor(first) == package  # and it is what a fresh computation gives
    other = datapackage.descriptor(SiteData(generated, TODAY))
    assert other is not package and other != package  # another site's is its own


# --- suppression remembers its last tables (a long-running serve rebuilds with most tables unchanged) -------


def _table(counts: dict[str, int], *, parent: str = "r", forced: frozenset = frozenset()) -> Table:
    """r over a and b: each unit's 正式党员 (`counts`) and one 预备党员, its 在册人数 and its 正式党员 as cells."""
    dim = Dimension(
        "status", ("正式党员", "预备党员"), {("members",): ("正式党员", "预备党员"), ("formal",): ("正式党员",)}
    )
    tree = {"r": None, "a": parent, "b": "r"}
    return Table(
        tree,
        [dim],
        {u: {"status": (n, 1)} for u, n in counts.items()},
        {u: {("members",): n + 1, ("formal",): n} for u, n in counts.items()},
        forced=set(forced),
    )


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Table]:
    """Every table suppression computes (rather than remembers), with an empty memo and an empty cache folder."""
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    seen: list[Table] = []
    compute = suppression._suppress

    def spy(table: Table) -> Outcome:
        seen.append(table)
        return compute(table)

    monkeypatch.setattr(suppression, "_MEMO", type(suppression._MEMO)())
    monkeypatch.setattr(suppression, "_suppress", spy)
    return seen


def test_the_same_table_again_is_remembered_and_handed_out_as_a_copy(counted):
    first = suppress(_table({"r": 40, "a": 12, "b": 15}))
    first.published.clear()  # a caller changing its outcome changes nobody else's
    again = suppress(_table({"r": 40, "a": 12, "b": 15}))
    assert len(counted) == 1
    assert again == suppression._suppress(_table({"r": 40, "a": 12, "b": 15})) and again.published


@pytest.mark.parametrize(
    "changed",
    [
        _table({"r": 40, "a": 12, "b": 2}),  # a count
        _table({"r": 40, "a": 12, "b": 15}, parent="b"),  # the tree
        _table({"r": 40, "a": 12, "b": 15}, forced=frozenset({("b", ("formal",))})),  # a figure shown anyway
    ],
    ids=["count", "tree", "forced"],
)
def test_a_table_changed_in_anything_is_computed_again(counted, changed):
    before = suppress(_table({"r": 40, "a": 12, "b": 15}))
    after = suppress(changed)
    assert len(counted) == 2  # computed, not remembered
    assert after == suppression._suppress(changed) and after != before


def test_a_cell_added_to_a_dimension_is_a_new_table(counted):
    table = _table({"r": 40, "a": 12, "b": 15})
    suppress(table)
    table.dimensions[0].add_cells({("probationary",): ("预备党员",)})
    for unit in table.cells:
        table.cells[unit][("probationary",)] = 1
    suppress(table)
    assert len(counted) == 2


def test_only_the_last_tables_are_kept(counted, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", "off")  # the memo in memory alone
    monkeypatch.setattr(suppression, "MEMO_TABLES", 2)
    for n in (10, 11, 12, 10):
        suppress(_table({"r": 40, "a": n, "b": 15}))
    assert len(counted) == 4 and len(suppression._MEMO) == 2  # 10 was dropped for 12, then computed again


# --- and keeps each outcome in the cache folder, for the next run (a build is a new process) ----------------


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new run: nothing in memory (what the cache folder keeps stays)."""
    monkeypatch.setattr(suppression, "_MEMO", type(suppression._MEMO)())


def test_a_later_run_reads_the_outcome_the_first_one_kept(counted, monkeypatch):
    first = suppress(_table({"r": 40, "a": 12, "b": 15}))
    _forget(monkeypatch)
    again = suppress(_table({"r": 40, "a": 12, "b": 15}))  # equal, made of other objects
    assert len(counted) == 1  # solved once, in the first run
    _forget(monkeypatch)
    changed = suppress(_table({"r": 40, "a": 12, "b": 2}))
    assert len(counted) == 2
    assert again == first == suppression._suppress(_table({"r": 40, "a": 12, "b": 15}))
    assert changed == suppression._suppress(_table({"r": 40, "a": 12, "b": 2})) != first


_IN_ANOTHER_PROCESS = """
import sys
sys.path.insert(0, {tests!r})
from test_aggregates_fast import _table
from dangjian.suppression import _content, entry_name
forced = frozenset({{("b", ("formal",)), ("a", ("members",)), ("r", ("formal",))}})
print(entry_name(_content(_table({{"r": 40, "a": 12, "b": 15}}, forced=forced))))
"""


def test_an_entry_s_name_is_the_same_in_every_process():
    """Sets of strings iterate in another order in each process (hash randomisation): the name must not follow."""
    import os
    import subprocess
    import sys

    code = _IN_ANOTHER_PROCESS.format(tests=str(Path(__file__).parent))
    names = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(names) == 1 and next(iter(names)).endswith(".outcome"), names


def test_another_suppression_code_reads_another_entry(counted, monkeypatch):
    from dangjian import cache

    suppress(_table({"r": 40, "a": 12, "b": 15}))
    _forget(monkeypatch)
    monkeypatch.setattr(cache, "code_fingerprint", lambda *starts: b"another suppression.py")
    suppress(_table({"r": 40, "a": 12, "b": 15}))
    assert len(counted) == 2


def _entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / suppression.PART).iterdir())


_OVERSHARING = Outcome({("b", ("members",)), ("b", ("formal",)), ("a", ("formal",))}, set(), [])


@pytest.mark.parametrize("tampering", ["digest", "not an outcome", "another entry's", "a link"])
def test_an_entry_that_is_not_exactly_what_dangjian_wrote_is_solved_again(counted, monkeypatch, tmp_path, tampering):
    """An outcome that would publish the small figures is never used unless dangjian wrote it for this table."""
    import pickle

    from dangjian.files import sealed_head

    small = _table({"r": 40, "a": 12, "b": 2})
    expected = suppress(small)
    (entry,) = _entries(tmp_path)
    name = entry.name
    if tampering == "digest":
        body = pickle.dumps((name, _OVERSHARING))
        entry.write_bytes(sealed_head(suppression.FORMAT, body + b"x") + body)
    elif tampering == "not an outcome":
        body = pickle.dumps((name, {"published": _OVERSHARING.published}))
        entry.write_bytes(sealed_head(suppression.FORMAT, body) + body)
    elif tampering == "another entry's":
        body = pickle.dumps(("0" * 32 + ".outcome", _OVERSHARING))
        entry.write_bytes(sealed_head(suppression.FORMAT, body) + body)
    else:
        body = pickle.dumps((name, _OVERSHARING))
        planted = tmp_path / "planted"
        planted.write_bytes(sealed_head(suppression.FORMAT, body) + body)
        entry.unlink()
        entry.symlink_to(planted)
    _forget(monkeypatch)
    again = suppress(_table({"r": 40, "a": 12, "b": 2}))
    assert len(counted) == 2  # solved again
    assert again == expected and ("b", ("members",)) not in again.published
