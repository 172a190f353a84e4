"""The duty record (履责证, duty.py): a year taken apart must add up to ScoreBook.yearly_score, for a hand-computed
registry (oracle) and for random rulebooks, ledgers and activities (property)."""

from __future__ import annotations

import datetime
import shutil
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MINIMAL
from dangjian.duty import DutyBook, limited
from dangjian.load import Record
from dangjian.model import Registry
from dangjian.scores import ScoreBook
from dangjian.validate import validate

RULEBOOK = """base: 60
cap: 100
rules:
  - id: study
    name: 学习培训
    points: 2.5
    max_per_year: 5
  - id: activity
    name: 参加活动
    points: 2
    max_per_year: 24
  - id: absent
    name: 无故缺席
    points: -5
    max_per_year: 10
  - id: honour
    name: 受到表彰
    points: 30
  - id: discipline
    name: 违反纪律
    points: -20
"""

LEDGER = """- member: m-east-sec
  date: 2026-03-01
  rule: study
  note: 读书班第一讲
- member: m-east-sec
  date: 2026-04-01
  rule: study
- member: m-east-sec
  date: 2026-05-01
  rule: study
- member: m-east-sec
  date: 2026-02-02
  rule: absent
- member: m-east-sec
  date: 2026-06-02
  rule: absent
- member: m-east-sec
  date: 2026-07-02
  rule: absent
- member: m-east-sec
  date: 2026-08-01
  rule: honour
- member: m-east-sec
  date: 2026-09-01
  rule: honour
- member: m-east-sec
  date: 2025-09-01
  rule: honour
- member: m-west-sec
  date: 2026-01-05
  rule: discipline
- member: m-west-sec
  date: 2026-01-06
  rule: discipline
- member: m-west-sec
  date: 2026-01-07
  rule: discipline
- member: m-west-sec
  date: 2026-01-08
  rule: discipline
"""


def _oracle_registry(tmp_path: Path) -> Registry:
    root = tmp_path / "reg"
    shutil.copytree(MINIMAL, root)
    (root / "registry/points/rules.yaml").write_text(RULEBOOK, encoding="utf-8")
    (root / "registry/points/ledger/oracle.yaml").write_text(LEDGER, encoding="utf-8")
    notes = root / "registry/points/notes"
    notes.mkdir(parents=True)
    (notes / "east.yaml").write_text(
        "- member: m-east-sec\n  date: 2026-10-01\n  title: 走访\n  text: 走访了三户困难家庭。\n"
        "- member: m-east-sec\n  date: 2026-02-01\n  text: 年初制定了学习计划。\n",
        encoding="utf-8",
    )
    result = validate(root)
    assert result.problems == [], [f"{p.file}:{p.line}: {p.message}" for p in result.problems]
    return result.registry


def test_a_hand_computed_year_is_taken_apart_exactly(tmp_path: Path) -> None:
    duties = DutyBook(_oracle_registry(tmp_path))
    record = duties.record("m-east-sec", 2026)
    lines = {line.rule: (line.times, line.raw, line.cap, line.counted, line.capped) for line in record.lines}
    # By hand: study 3 × 2.5 = 7.5, capped at 5; the fixture's activity on 2026-01-10: 2; absent 3 × -5 = -15,
    # capped at -10; honour 2 × 30 = 60, no cap (the 2025 one is another year); nothing else.
    assert lines == {
        "study": (3, Fraction(15, 2), 5, 5, True),
        "activity": (1, 2, 24, 2, False),
        "absent": (3, -15, 10, -10, True),
        "honour": (2, 60, None, 60, False),
    }
    assert [line.rule for line in record.lines] == ["study", "activity", "absent", "honour"]  # rulebook order
    assert record.base == 60 and record.before_clamp == 117 and record.total == 100 and record.clamped
    assert record.stars == 5
    assert [(e.date.isoformat(), e.rule, e.source) for e in record.events][:3] == [
        ("2026-01-10", "activity", "activity"),
        ("2026-02-02", "absent", "ledger"),
        ("2026-03-01", "study", "ledger"),
    ]
    assert record.events[0].title == "集中学习" and record.events[2].note == "读书班第一讲"
    assert [(n.date.isoformat(), n.title) for n in record.notes] == [("2026-02-01", None), ("2026-10-01", "走访")]


def test_a_year_below_zero_is_clamped_to_zero(tmp_path: Path) -> None:
    duties = DutyBook(_oracle_registry(tmp_path))
    record = duties.record("m-west-sec", 2026)  # 4 × -20, no cap: 60 - 80
    assert record.before_clamp == -20 and record.total == 0 and record.clamped and record.stars == 1


def test_years_are_the_scored_ones_with_events_or_notes_latest_first(tmp_path: Path) -> None:
    duties = DutyBook(_oracle_registry(tmp_path))
    assert duties.years("m-east-sec") == [2026, 2025]
    assert duties.years("m-east-b") == []  # 入党积极分子: never scored
    assert duties.members_with_year(2025) == ["m-east-sec"]


def test_limited_keeps_the_sign_and_the_absolute_cap() -> None:
    assert limited(Fraction(-15), Fraction(10)) == -10
    assert limited(Fraction(15), Fraction(10)) == 10
    assert limited(Fraction(-5), Fraction(10)) == -5
    assert limited(Fraction(-500), None) == -500


# --- property: the breakdown adds up to yearly_score, whatever the rulebook and the events ------------------

points = st.decimals(min_value=-30, max_value=30, places=2, allow_nan=False, allow_infinity=False).map(Fraction)
caps = st.one_of(
    st.none(), st.decimals(min_value=0, max_value=40, places=1, allow_nan=False, allow_infinity=False).map(Fraction)
)
MEMBERS = ("m-a", "m-b", "m-c")
days = st.dates(min_value=datetime.date(2014, 12, 1), max_value=datetime.date(2016, 1, 31))


def _record(kind: str, data: dict) -> Record:
    return Record(kind, data, f"{kind}.yaml", (), None)  # type: ignore[arg-type]  # no document: never reported


@st.composite
def registries(draw: st.DrawFn) -> Registry:
    count = draw(st.integers(1, 5))
    rules = []
    for n in range(count):
        rule = {"id": f"r{n}", "name": f"规则{n}", "points": draw(points)}
        cap = draw(caps)
        if cap is not None:
            rule["max_per_year"] = cap
        rules.append(rule)
    # Numbers reach the registry as Fractions of the decimals written (schema.Number)
    base = Fraction(draw(st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)))
    cap = Fraction(draw(st.decimals(min_value=0, max_value=150, places=1, allow_nan=False, allow_infinity=False)))
    rule_ids = st.sampled_from([r["id"] for r in rules] + ["gone"])  # a rule the rulebook lacks counts for nothing
    records = [_record("rulebook", {"base": base, "cap": cap, "rules": rules})]
    joined = draw(st.sampled_from([datetime.date(2000, 1, 1), datetime.date(2015, 6, 1), datetime.date(2015, 11, 1)]))
    records += [
        _record("member", {"id": m, "org": "o", "status": "正式党员", "joined": joined, "name": m}) for m in MEMBERS[:2]
    ]
    # m-c has a history (rolls.py): admitted on `joined`, left on a day of 2015; events after it do not count
    left = draw(st.dates(min_value=max(joined, datetime.date(2015, 1, 1)), max_value=datetime.date(2015, 12, 31)))
    history = [{"date": joined, "org": "o", "status": "正式党员"}, {"date": left, "left": "转出"}]
    records.append(
        _record("member", {"id": "m-c", "org": "o", "status": "正式党员", "joined": joined, "history": history})
    )
    for member, day, rule in draw(st.lists(st.tuples(st.sampled_from(MEMBERS), days, rule_ids), max_size=40)):
        records.append(_record("ledger", {"member": member, "date": day, "rule": rule, "note": "说明"}))
    for n, (day, rule, attendees) in enumerate(
        draw(st.lists(st.tuples(days, rule_ids, st.sets(st.sampled_from(MEMBERS))), max_size=8))
    ):
        records.append(
            _record(
                "activity",
                {"id": f"a{n}", "org": "o", "date": day, "rule": rule, "title": "活动", "attendees": sorted(attendees)},
            )
        )
    return Registry.build(Path("."), records)


@settings(max_examples=300, deadline=None)
@given(registries())
def test_the_breakdown_equals_yearly_score(reg: Registry) -> None:
    scores = ScoreBook(reg)
    duties = DutyBook(reg, scores)
    for member in MEMBERS:
        for year in (2014, 2015, 2016):
            record = duties.record(member, year)
            assert record.total == scores.yearly_score(member, year)
            assert record.before_clamp == record.base + sum((line.counted for line in record.lines), Fraction(0))
            assert sum(line.times for line in record.lines) == len(record.events)
            for line in record.lines:
                assert line.raw == line.points * line.times
                assert abs(line.counted) <= abs(line.raw) and line.counted * line.raw >= 0  # never changes sign
                assert line.cap is None or abs(line.counted) <= line.cap
            assert all(e.date.year == year for e in record.events)
            assert all(a.date <= b.date for a, b in zip(record.events, record.events[1:]))


# --- property: the duty book gathers a member's events from the score book exactly as it indexed them itself ------


def _indexed_as_before(reg: Registry) -> dict[str, list[tuple]]:
    """`DutyBook._raw` as the book built it over every ledger entry and activity (commit 0e227ba)."""
    rules = reg.points_rules
    raw: dict[str, list[tuple]] = {}
    for entry in reg.all("ledger"):
        data = entry.data
        if "member" in data and "date" in data and "rule" in data and data["rule"] in rules:
            raw.setdefault(data["member"], []).append((data["date"], data["rule"], entry, None))
    for activity in reg.all("activity"):
        if "rule" in activity.data and "date" in activity.data and activity["rule"] in rules:
            for member_id in activity.get("attendees", []):
                raw.setdefault(member_id, []).append((activity["date"], activity["rule"], None, activity))
    return raw


@settings(max_examples=200, deadline=None)
@given(registries(), st.sets(st.integers(0, 7)))
def test_a_members_events_are_the_ones_the_book_indexed_itself(reg: Registry, planned: set[int]) -> None:
    # planned activities with attendees are invalid (rules/plans.py) and score nothing; the book saw them all the same
    for n, activity in enumerate(reg.all("activity")):
        if n in planned:
            activity.data["planned"] = True
    before = _indexed_as_before(reg)
    duties = DutyBook(reg, ScoreBook(reg))
    for member in MEMBERS + ("nobody",):
        assert duties._raw(member) == before.get(member, [])
        for year in (2014, 2015, 2016):
            assert duties.has_year(member, year) == (member in duties.members_with_year(year))
    assert duties.events.keys() == before.keys()
