"""Rankings: derived indicators, totals, competition ranks, changes and tiers, hand-computed.

Minimal registry: scheme `town-villages` ranks the children of `town` each quarter on
`work` (max 50, by hand) and `activity-days` (max 20, derived); bonus cap 10; top 1 and
bottom 1 flagged. 2026-Q1: east work 41 and a 主题党日 in January; west work 38.5, -2.
"""

from __future__ import annotations

from fractions import Fraction

from compute_helpers import activities, books, ledger
from dangjian.figures import two_decimals

RESULTS = "registry/assessments/results/town-villages"
SCHEME = "registry/assessments/schemes/town-villages.yaml"


def scheme(indicators: str, extra: str = "bonus_cap: 10\ntiers: {top: 1, bottom: 1}\n") -> str:
    return f"id: town-villages\nname: 排位\nscope: town\nperiod: quarter\nindicators:\n{indicators}{extra}"


def result(period: str, scores: str, adjustments: str = "") -> str:
    return f"scheme: town-villages\nperiod: {period}\nscores:\n{scores}" + (
        f"adjustments:\n{adjustments}" if adjustments else ""
    )


WORK = "  - id: work\n    name: 中心工作\n    max: 50\n"


def test_minimal_ranking(registry):
    _, ranks = books(registry())
    ranking = ranks.ranking("town-villages")
    rows = [(r.rank, r.org, r.total, r.change, r.top, r.bottom) for r in ranking.rows]
    assert rows == [
        (1, "east", 41 + Fraction(20, 3), "new", True, False),
        (2, "west", Fraction(365, 10), "new", False, True),
    ]
    assert str(two_decimals(ranking.rows[0].total)) == "47.67"


def test_activity_days_counts_months_with_theme_days_in_descendants(registry):
    group = "id: east-g1\nname: 东村第一党小组\nkind: 党小组\nparent: east\ndomain: 农村\n"
    acts = activities(
        ("g1-03-31", "east-g1", "2026-03-31", "主题党日", []),  # last day of the period: counts, via a descendant
        ("east-04-01", "east", "2026-04-01", "主题党日", []),  # the day after: does not
        ("east-02-10", "east", "2026-02-10", "党课", []),  # another kind: does not
        ("east-2025-12", "east", "2025-12-31", "主题党日", []),  # the day before: does not
        ("east-01-20", "east", "2026-01-20", "主题党日", []),  # a second one in January: the month counts once
    )
    _, ranks = books(registry({"registry/orgs/east-g1.yaml": group, "registry/activities/more.yaml": acts}))
    east = ranks.ranking("town-villages").rows[0]
    assert east.indicators["activity-days"] == Fraction(20 * 2, 3)  # January and March


def test_a_planned_theme_day_is_not_held(registry):
    """Issue 21: a planned 主题党日 (`planned: true`) is not a month with a 主题党日 held."""
    planned = "- id: west-02-plan\n  org: west\n  date: 2026-02-14\n  kind: 主题党日\n  title: 计划\n  planned: true\n"
    _, ranks = books(registry({"registry/activities/plans.yaml": planned}))
    west = next(r for r in ranks.ranking("town-villages").rows if r.org == "west")
    assert west.indicators["activity-days"] == 0


def test_activity_days_of_other_orgs_do_not_count(registry):
    _, ranks = books(registry())
    west = next(r for r in ranks.ranking("town-villages").rows if r.org == "west")
    assert west.indicators["activity-days"] == 0


POINTS = WORK + "  - id: points\n    name: 党员积分\n    max: 10\n    derive: points_average\n"


def test_points_average_counts_scored_members_until_the_period_end(registry):
    later = ledger(("m-east-sec", "2026-04-01", "absent"))  # after Q1: not counted in Q1
    files = {SCHEME: scheme(POINTS), "registry/points/ledger/later.yaml": later}
    _, ranks = books(registry(files))
    east = next(r for r in ranks.ranking("town-villages").rows if r.org == "east")
    # scored members of east: m-east-sec 62, m-east-a 57 (m-east-b is not scored) → mean 59.5
    assert east.indicators["points"] == Fraction(10) * Fraction(595, 10) / 100


def test_points_average_includes_descendants_and_is_zero_without_members(registry):
    group = "id: west-g1\nname: 西村党小组\nkind: 党小组\nparent: west\ndomain: 农村\n"
    roster = "- id: m-west-g\n  name: 孙小组\n  org: west-g1\n  status: 正式党员\n  joined: 2000-01-01\n"
    files = {SCHEME: scheme(POINTS), "registry/orgs/west-g1.yaml": group, "registry/members/west-g1.yaml": roster}
    _, ranks = books(registry(files))
    west = next(r for r in ranks.ranking("town-villages").rows if r.org == "west")
    assert west.indicators["points"] == Fraction(10) * 60 / 100  # m-west-sec 60 and m-west-g 60

    empty = {
        SCHEME: scheme(POINTS),
        "registry/members/west.yaml": (
            "- id: m-west-sec\n  name: 陈西河\n  org: west\n  status: 发展对象\n  posts: [副书记]\n"
        ),
    }
    _, ranks = books(_fresh(empty))
    west = next(r for r in ranks.ranking("town-villages").rows if r.org == "west")
    assert west.indicators["points"] == 0


def _fresh(overlay):
    """The `registry` fixture builds one root per test; make a second one beside it."""
    import shutil
    import tempfile
    from pathlib import Path

    from conftest import MINIMAL, apply_overlay

    root = Path(tempfile.mkdtemp()) / "root"
    shutil.copytree(MINIMAL, root)
    return apply_overlay(root, overlay)


PROGRESS = WORK + "  - id: projects\n    name: 书记项目\n    max: 10\n    derive: project_progress\n"
PROJECT = """id: east-2026-road
title: 村道亮化
org: east
lead: m-east-sec
category: 常规性
year: 2026
status: 推进中
problem: 村道夜间没有照明。
goal: 年底前装好路灯。
milestones:
  - title: 完成设计
    due: 2026-03-31
    done: 2026-03-31
  - title: 采购
    due: 2026-03-15
    done: 2026-04-01
  - title: 安装
    due: 2026-04-15
"""


def test_project_progress_counts_milestones_due_and_done_by_the_period_end(registry):
    _, ranks = books(registry({SCHEME: scheme(PROGRESS), "registry/projects/east-2026-road.yaml": PROJECT}))
    rows = {r.org: r for r in ranks.ranking("town-villages").rows}
    assert rows["east"].indicators["projects"] == Fraction(10, 2)  # 2 due by 03-31, 1 done by then
    assert rows["west"].indicators["projects"] == 10  # nothing due: max


FOUR = "".join(f"  - id: {i}\n    name: 指标{i}\n    max: 50\n" for i in "abcd")


def test_the_formats_example_ties(registry):
    scores = "  west: {a: 40, b: 17.95, c: 6.75, d: 5}\n  east: {a: 41, b: 17, c: 6.7, d: 5}\n"
    _, ranks = books(registry({SCHEME: scheme(FOUR, ""), f"{RESULTS}/2026-Q1.yaml": result("2026-Q1", scores)}))
    rows = ranks.ranking("town-villages").rows
    assert [(r.rank, r.org, r.total) for r in rows] == [(1, "east", Fraction(697, 10)), (1, "west", Fraction(697, 10))]


def test_exact_arithmetic_ties_where_floats_would_not(registry):
    assert 40 + 0.1 + 0.2 + 0 != 40 + 0.3 + 0 + 0  # summed in indicator order, floats would put east ahead
    scores = "  west: {a: 40, b: 0.3, c: 0, d: 0}\n  east: {a: 40, b: 0.1, c: 0.2, d: 0}\n"
    _, ranks = books(registry({SCHEME: scheme(FOUR, ""), f"{RESULTS}/2026-Q1.yaml": result("2026-Q1", scores)}))
    assert [(r.rank, r.org) for r in ranks.ranking("town-villages").rows] == [(1, "east"), (1, "west")]


def _three(registry, extra_orgs: dict[str, str] | None = None, **results: str):
    orgs = {
        f"registry/orgs/{o}.yaml": f"id: {o}\nname: {o}村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"
        for o in ("north", "south")
    }
    files = {
        SCHEME: scheme(WORK, "bonus_cap: 10\ntiers: {top: 1, bottom: 1}\n"),
        **orgs,
        f"{RESULTS}/2026-Q1.yaml": None,
    }
    files.update({f"{RESULTS}/{p.replace('_', '-')}.yaml": r for p, r in results.items()})
    return books(registry(files))[1]


def test_competition_ranking_with_ties_listed_by_id(registry):
    scores = "  west: {work: 30}\n  south: {work: 40}\n  north: {work: 40}\n  east: {work: 20}\n"
    ranks = _three(registry, **{"2026_Q1": result("2026-Q1", scores)})
    rows = ranks.ranking("town-villages").rows
    assert [(r.rank, r.org) for r in rows] == [(1, "north"), (1, "south"), (3, "west"), (4, "east")]
    assert [(r.top, r.bottom) for r in rows] == [(True, False), (True, False), (False, False), (False, True)]


def test_bottom_tier_is_shared_by_ties(registry):
    scores = "  west: {work: 10}\n  south: {work: 40}\n  north: {work: 30}\n  east: {work: 10}\n"
    ranks = _three(registry, **{"2026_Q1": result("2026-Q1", scores)})
    assert {r.org for r in ranks.ranking("town-villages").rows if r.bottom} == {"east", "west"}


def test_change_skips_a_missing_period_and_marks_new_orgs(registry):
    q1 = "  west: {work: 30}\n  east: {work: 20}\n"
    q3 = "  west: {work: 10}\n  east: {work: 20}\n  north: {work: 50}\n"
    ranks = _three(registry, **{"2026_Q1": result("2026-Q1", q1), "2026_Q3": result("2026-Q3", q3)})
    ranking = ranks.ranking("town-villages")
    assert ranking.period.label == "2026-Q3" and ranking.previous.label == "2026-Q1"
    assert {r.org: r.change for r in ranking.rows} == {"north": "new", "east": 2 - 2, "west": 1 - 3}


def test_bonus_cap_limits_positive_adjustments_only(registry):
    scores = "  west: {work: 30}\n  east: {work: 30}\n  north: {work: 5}\n"
    adjustments = (
        "  - {org: east, points: 8, reason: 表扬}\n  - {org: east, points: 5, reason: 表扬}\n"
        "  - {org: east, points: -3, reason: 扣分}\n"
        "  - {org: west, points: -12.5, reason: 扣分}\n  - {org: west, points: -10, reason: 扣分}\n"
        "  - {org: north, points: -20, reason: 扣分}\n"
    )
    ranks = _three(registry, **{"2026_Q1": result("2026-Q1", scores, adjustments)})
    rows = {r.org: r for r in ranks.ranking("town-villages").rows}
    assert (rows["east"].bonus, rows["east"].penalty, rows["east"].total) == (10, -3, 37)  # 13 capped at 10
    assert rows["west"].total == Fraction(75, 10)  # negatives uncapped: 30 - 22.5
    assert rows["north"].total == 0  # never below 0


def test_latest_period_is_the_default_and_any_period_can_be_asked(registry):
    q1 = "  west: {work: 30}\n  east: {work: 20}\n"
    q2 = "  west: {work: 10}\n  east: {work: 20}\n"
    ranks = _three(registry, **{"2026_Q2": result("2026-Q2", q2), "2026_Q1": result("2026-Q1", q1)})
    assert ranks.ranking("town-villages").period.label == "2026-Q2"
    assert ranks.ranking("town-villages", "2026-Q1").rows[0].org == "west"
    assert ranks.ranking("town-villages", "2026-Q4") is None
    assert [p.label for p in ranks.periods("town-villages")] == ["2026-Q1", "2026-Q2"]


def test_two_decimals_rounds_half_up_exactly():
    assert str(two_decimals(Fraction(3689, 40))) == "92.23"  # 92.225 exactly
    assert str(two_decimals(Fraction(20, 3))) == "6.67"
    assert str(two_decimals(Fraction(80))) == "80.00"
