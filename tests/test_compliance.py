"""三会一课 compliance (compliance.py): hand-made calendars, each figure counted by hand.

Minimal registry: `town` (党委) over the branches `east` and `west` (党支部). `east` already holds a 主题党日
on 2026-01-10 (tests/fixtures/minimal).
"""

from __future__ import annotations

import datetime
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compute_helpers import activities, books
from dangjian.load import Record
from dangjian.model import Registry
from dangjian.compliance import HELD, MISSING, NOT_DUE, OPEN, Compliance, rules_of
from dangjian.periods import parse_period
from dangjian.validate import validate

D = datetime.date
ACTS = "registry/activities/compliance.yaml"


def _acts(*items: tuple[str, str, str]) -> str:
    """An activities file from (org, date, kind) triples."""
    return activities(*((f"{org}-{n}-{day}", org, day, kind, []) for n, (org, day, kind) in enumerate(items)))


def _book(root, today: datetime.date | None) -> Compliance:
    result = validate(root)
    assert result.problems == [], [f"{p.file}:{p.line}: {p.message}" for p in result.problems]
    return Compliance(result.registry, today)


# east in 2026: 主题党日 every month but May; 支委会 every month but February and November; 支部党员大会
# on the last day of Q1, in June (Q2's last month), none in Q3, on the first day of Q4; 党课 in every
# quarter but Q2.
EAST_2026 = [
    *(("east", f"2026-{m:02d}-15", "主题党日") for m in range(2, 13) if m != 5),  # January: the fixture's
    *(("east", f"2026-{m:02d}-20", "支部委员会") for m in range(1, 13) if m not in (2, 11)),
    ("east", "2026-03-31", "支部党员大会"),
    ("east", "2026-06-02", "支部党员大会"),
    ("east", "2026-10-01", "支部党员大会"),
    ("east", "2026-02-05", "党课"),
    ("east", "2026-09-30", "党课"),
    ("east", "2026-12-31", "党课"),
]


def test_a_year_with_a_month_missed_and_a_quarter_held_in_its_last_month(registry):
    book = _book(registry({ACTS: _acts(*EAST_2026)}), D(2027, 1, 1))
    grid = book.year_grid("east", 2026)
    assert grid.kinds == ["支部党员大会", "支部委员会", "党课", "主题党日"]
    t = grid.tally
    assert (t.due, t.held, t.missing, t.open) == (12 + 12 + 4 + 4, 27, 5, 0)
    assert t.missing_by_kind == {"主题党日": 1, "支部委员会": 2, "支部党员大会": 1, "党课": 1}
    by_month = dict(grid.rows)
    theme, committee, congress = 3, 1, 0
    assert by_month[5][theme].state == MISSING and by_month[4][theme].state == HELD
    assert by_month[2][committee].state == MISSING and by_month[11][committee].state == MISSING
    q1 = by_month[1][congress]
    assert (q1.state, q1.span, q1.held_on) == (HELD, 3, (D(2026, 3, 31),))  # held on the quarter's last day
    assert by_month[2][congress] is None and by_month[3][congress] is None  # spanned by January's cell
    assert by_month[7][congress].state == MISSING
    assert by_month[4][2].state == MISSING  # 党课 in Q2


def test_the_day_after_a_period_belongs_to_the_next(registry):
    acts = _acts(("west", "2026-03-31", "党课"), ("west", "2026-04-01", "支部党员大会"))
    book = _book(registry({ACTS: acts}), D(2027, 1, 1))
    rows = dict(book.year_grid("west", 2026).rows)
    assert rows[1][0].state == MISSING and rows[4][0].state == HELD  # 党员大会: Q1 missing, Q2 held
    assert rows[1][2].state == HELD and rows[4][2].state == MISSING  # 党课: Q1 held, Q2 missing


def test_an_org_founded_mid_year_owes_nothing_before(registry):
    west = "id: west\nname: 西村党支部\nkind: 党支部\nparent: town\ndomain: 农村\nfounded: 2026-05-10\n"
    acts = _acts(("west", "2026-05-20", "主题党日"), ("west", "2026-06-03", "主题党日"))
    book = _book(registry({"registry/orgs/west.yaml": west, ACTS: acts}), D(2027, 1, 1))
    grid = book.year_grid("west", 2026)
    rows = dict(grid.rows)
    assert rows[4][3].state == NOT_DUE  # April: not founded yet
    may = rows[5][3]
    assert (may.state, may.due) == (HELD, False)  # held in its first month: shown, but May was not due
    assert rows[4][0].state == NOT_DUE  # Q2 began before founding: its 党员大会 was not due
    # due: 主题党日 and 支委会 June..December (7 each), 党员大会 and 党课 Q3 and Q4 (2 each)
    assert (grid.tally.due, grid.tally.held) == (18, 1)


def test_a_dissolved_org_owes_nothing_from_its_last_whole_period(registry):
    west = "id: west\nname: 西村党支部\nkind: 党支部\nparent: town\ndomain: 农村\ndissolved: 2026-08-15\n"
    book = _book(registry({"registry/orgs/west.yaml": west}), D(2027, 1, 1))
    tally = book.year_grid("west", 2026).tally
    assert tally.due == 7 + 7 + 2 + 2  # months January..July, Q1 and Q2


def test_today_splits_missing_from_open_and_later_activities_do_not_count(registry):
    acts = _acts(("west", "2026-07-20", "主题党日"), ("west", "2026-07-01", "支部委员会"))
    book = _book(registry({ACTS: acts}), D(2026, 7, 15))
    grid = book.year_grid("west", 2026)
    rows = dict(grid.rows)
    assert rows[6][3].state == MISSING  # June ended before today
    assert rows[7][3].state == OPEN  # held on the 20th, after today: not yet held; July not over
    assert rows[7][1].state == HELD  # 支委会 on 1 July, before today
    assert rows[12][3].state == OPEN and rows[7][0].state == OPEN  # later months, Q3: open
    assert (grid.tally.missing, grid.tally.held) == (6 + 6 + 2 + 2, 1)


def test_a_groups_meeting_counts_for_its_branch_and_a_group_owes_its_own(registry):
    group = "id: east-g1\nname: 东村第一党小组\nkind: 党小组\nparent: east\ndomain: 农村\n"
    acts = _acts(("east-g1", "2026-02-11", "主题党日"), ("east-g1", "2026-02-12", "党小组会"))
    book = _book(registry({"registry/orgs/east-g1.yaml": group, ACTS: acts}), D(2027, 1, 1))
    assert dict(book.year_grid("east", 2026).rows)[2][3].state == HELD
    g1 = book.year_grid("east-g1", 2026)
    assert g1.kinds == ["党小组会"] and (g1.tally.due, g1.tally.held) == (12, 1)
    assert book.year_grid("town", 2026) is None  # a 党委 owes none of them


def test_site_settings_replace_an_org_kinds_rules_whole(registry):
    site = "title: t\nroot: town\nthree_one:\n  党支部: {主题党日: quarter}\n  党委: {党课: year}\n  党小组: {}\n"
    book = _book(registry({"registry/site.yaml": site}), D(2027, 1, 1))
    assert book.owed("east") == {"主题党日": "quarter"}
    assert book.owed("town") == {"党课": "year"}
    east = book.year_grid("east", 2026)
    assert (east.tally.due, east.tally.held) == (4, 1)  # the January 主题党日 holds Q1
    assert dict(book.year_grid("town", 2026).rows)[1][0].span == 12
    assert rules_of({})["临时党支部"] == {
        "支部党员大会": "quarter",
        "支部委员会": "month",
        "党课": "quarter",
        "主题党日": "month",
    }


def test_report_year_is_the_parents_latest_recorded_year(registry):
    acts = _acts(
        ("east", "2015-03-01", "支部委员会"), ("east", "2016-03-01", "党课"), ("east", "2016-03-02", "志愿服务")
    )
    root = registry({ACTS: acts, "registry/activities/town-2026.yaml": None})
    book = _book(root, D(2020, 1, 1))
    assert book.report_year("west") == 2016  # nothing of its own: its peers' year, so it shows as missing
    assert book.report_year("east") == 2016
    assert book.report_year("town") == 2016  # the root: its own family
    assert [(org, year, t.missing) for org, year, t in book.overdue()] == [("east", 2016, 31), ("west", 2016, 32)]


def test_with_nothing_recorded_anywhere_the_report_year_is_todays(registry):
    assert _book(registry({"registry/activities/town-2026.yaml": None}), D(2020, 5, 1)).report_year("west") == 2020


def test_planned_activities_are_not_held(registry):
    book = _book(registry(), D(2027, 1, 1))
    plain = {"org": "east", "date": D(2026, 1, 1), "kind": "主题党日"}
    assert book._counts(plain) and not book._counts({**plain, "planned": True})
    assert not Compliance(book.reg, D(2025, 12, 31))._counts(plain)  # after today


RANKED = (
    "id: town-villages\nname: 排位\nscope: town\nperiod: quarter\nindicators:\n"
    "  - id: three-one\n    name: 三会一课\n    max: 20\n    derive: three_one_compliance\n"
)


def test_the_ranking_indicator_is_the_share_of_due_meetings_held(registry):
    group = "id: east-g1\nname: 东村第一党小组\nkind: 党小组\nparent: east\ndomain: 农村\n"
    acts = _acts(
        ("east", "2026-02-15", "主题党日"),  # with the fixture's January one: 2 of 3 months
        ("east", "2026-03-31", "支部党员大会"),  # the quarter's, on its last day
        ("east", "2026-01-05", "支部委员会"),
        ("east-g1", "2026-03-05", "党小组会"),
        ("east-g1", "2026-04-01", "党课"),  # Q2: not in the period
    )
    overlay = {
        "registry/orgs/east-g1.yaml": group,
        ACTS: acts,
        "registry/assessments/schemes/town-villages.yaml": RANKED,
        "registry/assessments/results/town-villages/2026-Q1.yaml": (
            "scheme: town-villages\nperiod: 2026-Q1\nscores:\n  east: {}\n  west: {}\n"
        ),
    }
    _, ranks = books(registry(overlay))
    rows = {row.org: row for row in ranks.ranking("town-villages").rows}
    # east: 党员大会 1/1, 支委会 1/3, 党课 0/1, 主题党日 2/3; its group: 党小组会 1/3 → 5 of 11
    assert rows["east"].indicators["three-one"] == 20 * Fraction(5, 11)
    assert rows["west"].indicators["three-one"] == 0


def test_a_month_ranking_counts_a_quarters_meeting_in_its_last_month(registry):
    book = _book(registry({ACTS: _acts(("east", "2026-01-20", "支部党员大会"))}), None)
    march, february = parse_period("2026-03"), parse_period("2026-02")
    # March: 党员大会 (Q1 ends) held, 党课 (Q1) missing, 支委会 missing, 主题党日 missing → 1 of 4
    assert book.share("east", march, Fraction(10)) == Fraction(10, 4)
    assert book.share("east", february, Fraction(10)) == 0  # 支委会 and 主题党日 only, neither held
    assert book.share("town", parse_period("2026"), Fraction(1)) == Fraction(
        2, 64
    )  # east's January 主题党日 and Q1 党员大会


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(1, 12)), st.integers(1, 12))
def test_property_monthly_held_missing_and_open_partition_the_due_months(held_months, today_month):
    """A monthly meeting held in some months, judged on the first of some month: every due month is held,
    missing (ended before today) or open, and the share a ranking takes is held / due."""
    reg = _synthetic(held_months)
    today = D(2026, today_month, 1)
    grid = Compliance(reg, today).year_grid("b", 2026)
    assert grid.tally.held == len({m for m in held_months if m < today_month})
    assert grid.tally.missing == len(set(range(1, today_month)) - held_months)
    assert grid.tally.due == grid.tally.held + grid.tally.missing + grid.tally.open == 12
    assert Compliance(reg).share("b", parse_period("2026"), Fraction(1)) == Fraction(len(held_months), 12)


def _synthetic(held_months: set[int]) -> Registry:
    """A registry of one branch owing a monthly 主题党日, held on the 9th of `held_months`."""
    site = {"title": "t", "root": "b", "three_one": {"党支部": {"主题党日": "month"}}}
    org = {"id": "b", "name": "b", "kind": "党支部", "domain": "农村"}
    acts = [{"id": f"a{m}", "org": "b", "date": D(2026, m, 9), "kind": "主题党日"} for m in sorted(held_months)]
    records = [_record("site", site), _record("org", org), *(_record("activity", a) for a in acts)]
    return Registry.build(Path("."), records)


def _record(kind: str, data: dict) -> Record:
    return Record(kind, data, f"{kind}.yaml", Path("."), None)  # type: ignore[arg-type]


def test_the_demos_two_branches_and_their_ranking():
    """The demo's 2015 三会一课 (registry/activities/caota/compliance-2015.yaml): 溪南村 misses August's 支委会
    and the second quarter's 党课; 龙珠里村 July's 支委会, the third quarter's 党员大会 and December's 主题党日,
    its 党小组 October's 党小组会."""
    from conftest import REPO

    reg = validate(REPO).registry
    book = Compliance(reg, D(2026, 12, 1))
    xinan = book.year_grid("caota-xinan", 2015).tally
    assert (xinan.due, xinan.held, xinan.missing_by_kind) == (32, 30, {"支部委员会": 1, "党课": 1})
    longzhuli = book.year_grid("caota-longzhuli", 2015).tally
    assert longzhuli.missing_by_kind == {"支部党员大会": 1, "支部委员会": 1, "主题党日": 1}
    assert book.year_grid("caota-longzhuli-g1", 2015).tally.missing_by_kind == {"党小组会": 1}
    assert book.report_year("caota-xinan") == book.report_year("caota-shangyu") == 2015
    _, ranks = books(REPO)
    rows = {row.org: row.indicators["three-one"] for row in ranks.ranking("caota-three-one", "2015").rows}
    assert rows["caota-xinan"] == Fraction(100 * 30, 32)
    assert rows["caota-longzhuli"] == Fraction(100 * 40, 44)  # with its 党小组: 44 due, 4 missing


def test_a_planned_activity_in_the_registry_is_not_held(registry):
    acts = (
        "- id: east-plan\n  org: east\n  date: 2026-02-10\n  kind: 主题党日\n  title: 计划\n  planned: true\n"
        "- id: east-held\n  org: east\n  date: 2026-03-10\n  kind: 主题党日\n  title: 已开\n"
    )
    rows = dict(_book(registry({ACTS: acts}), D(2027, 1, 1)).year_grid("east", 2026).rows)
    assert (rows[2][3].state, rows[3][3].state) == (MISSING, HELD)
