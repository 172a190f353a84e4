"""Yearly member scores and stars: every clause of the format, hand-computed.

The minimal registry's rulebook: base 60, cap 100; `activity` +2 (max 24 a year),
`absent` -5 (no limit). In 2026 m-east-sec attends one activity (62), m-east-a attends
it and is absent once (57), m-west-sec has nothing (60), m-east-b is not scored.
"""

from __future__ import annotations

import datetime
from fractions import Fraction

from compute_helpers import activities, books, ledger
from conftest import MINIMAL
from dangjian.scores import stars_for

RULES_WITH_LIMITS = """base: 60
cap: 100
rules:
  - id: activity
    name: 参加活动
    points: 2
    max_per_year: 24
  - id: absent
    name: 无故缺席
    points: -5
    max_per_year: 10
  - id: deduct
    name: 违纪
    points: -30
  - id: award
    name: 表彰
    points: 25
  - id: half
    name: 半分
    points: 0.5
"""


def test_minimal_year(registry):
    scores, _ = books(registry())
    assert [(s.member, s.score, s.stars) for s in scores.year(2026)] == [
        ("m-east-a", 57, 1),
        ("m-east-sec", 62, 2),
        ("m-west-sec", 60, 2),
    ]


def test_award_rule_capped_per_year(registry):
    root = registry(
        {
            "registry/points/ledger/more.yaml": ledger(
                *[("m-west-sec", f"2026-03-{d:02d}", "activity") for d in range(1, 16)]
            )
        }
    )
    scores, _ = books(root)
    assert scores.yearly_score("m-west-sec", 2026) == 60 + 24  # 15 × 2 = 30, limited to 24


def test_deduction_rule_capped_per_year(registry):
    entries = [("m-west-sec", f"2026-04-0{d}", "absent") for d in (1, 2, 3)]
    root = registry(
        {"registry/points/rules.yaml": RULES_WITH_LIMITS, "registry/points/ledger/more.yaml": ledger(*entries)}
    )
    scores, _ = books(root)
    assert scores.yearly_score("m-west-sec", 2026) == 60 - 10  # -15 limited to -10


def test_cap_applies_to_each_rule_separately(registry):
    entries = [("m-west-sec", "2026-05-01", "absent")] * 3 + [("m-west-sec", "2026-05-02", "activity")] * 2
    root = registry(
        {"registry/points/rules.yaml": RULES_WITH_LIMITS, "registry/points/ledger/more.yaml": ledger(*entries)}
    )
    scores, _ = books(root)
    assert scores.yearly_score("m-west-sec", 2026) == 60 - 10 + 4


def test_clamped_at_zero(registry):
    entries = [("m-west-sec", "2026-06-01", "deduct")] * 3
    root = registry(
        {"registry/points/rules.yaml": RULES_WITH_LIMITS, "registry/points/ledger/more.yaml": ledger(*entries)}
    )
    scores, _ = books(root)
    assert scores.yearly_score("m-west-sec", 2026) == 0  # 60 - 90 → 0


def test_clamped_at_cap(registry):
    entries = [("m-west-sec", "2026-06-01", "award")] * 2
    root = registry(
        {"registry/points/rules.yaml": RULES_WITH_LIMITS, "registry/points/ledger/more.yaml": ledger(*entries)}
    )
    scores, _ = books(root)
    assert scores.yearly_score("m-west-sec", 2026) == 100  # 60 + 50 → 100


def test_decimal_points_are_exact(registry):
    entries = [("m-west-sec", "2026-06-01", "half")] * 3
    root = registry(
        {"registry/points/rules.yaml": RULES_WITH_LIMITS, "registry/points/ledger/more.yaml": ledger(*entries)}
    )
    scores, _ = books(root)
    assert scores.yearly_score("m-west-sec", 2026) == Fraction(123, 2)


def test_entries_outside_the_year_do_not_count(registry):
    entries = [
        ("m-west-sec", "2025-12-31", "absent"),
        ("m-west-sec", "2027-01-01", "absent"),
        ("m-west-sec", "2026-12-31", "absent"),
    ]
    scores, _ = books(registry({"registry/points/ledger/more.yaml": ledger(*entries)}))
    assert scores.yearly_score("m-west-sec", 2026) == 55
    assert scores.yearly_score("m-west-sec", 2025) == 55
    assert scores.yearly_score("m-west-sec", 2027) == 55


def test_until_excludes_later_entries(registry):
    scores, _ = books(registry())
    assert scores.yearly_score("m-east-a", 2026, until=datetime.date(2026, 1, 31)) == 62  # absence on 02-01 not yet
    assert scores.yearly_score("m-east-a", 2026, until=datetime.date(2026, 2, 1)) == 57  # the last day is inclusive


def test_activity_attendance_counts_with_ledger_entries_under_the_rule_cap(registry):
    acts = activities(
        *[(f"west-2026-{m:02d}", "west", f"2026-{m:02d}-05", "主题党日", ["m-west-sec"]) for m in range(1, 13)]
    )
    more = ledger(*[("m-west-sec", "2026-07-01", "activity")] * 3)
    scores, _ = books(registry({"registry/activities/west-2026.yaml": acts, "registry/points/ledger/more.yaml": more}))
    assert scores.yearly_score("m-west-sec", 2026) == 60 + 24  # 12 activities + 3 entries = 30, limited to 24


def test_activity_without_rule_earns_nothing(registry):
    acts = "- id: west-x\n  org: west\n  date: 2026-03-01\n  kind: 党课\n  title: 党课\n  attendees: [m-west-sec]\n"
    scores, _ = books(registry({"registry/activities/west-2026.yaml": acts}))
    assert scores.yearly_score("m-west-sec", 2026) == 60


def test_statuses_that_are_not_scored_are_left_out(registry):
    more = ledger(("m-east-b", "2026-03-01", "activity"))
    scores, _ = books(registry({"registry/points/ledger/more.yaml": more}))
    assert "m-east-b" not in [s.member for s in scores.year(2026)]


def test_stars_at_thresholds():
    thresholds = {5: 90, 4: 80, 3: 70, 2: 60, 1: 0}
    assert stars_for(Fraction(90), thresholds) == 5
    assert stars_for(Fraction(8999, 100), thresholds) == 4
    assert stars_for(Fraction(60), thresholds) == 2
    assert stars_for(Fraction(0), thresholds) == 1
    assert stars_for(Fraction(50), {5: 90, 3: 70}) == 0


def test_stars_follow_site_thresholds(registry):
    site = "title: 测试\nroot: town\nstars: {5: 62, 1: 0}\n"
    scores, _ = books(registry({"registry/site.yaml": site}))
    assert scores.member_score("m-east-sec", 2026).stars == 5
    assert scores.member_score("m-west-sec", 2026).stars == 1


# --- format 1.1: no member is scored for a year before admission --------------------------------

JOINERS = """- id: m-west-dec
  name: 冬至
  org: west
  status: 预备党员
  joined: 2024-12-31
- id: m-west-jan
  name: 元旦
  org: west
  status: 预备党员
  joined: 2025-01-01
"""


def test_member_is_not_scored_for_a_year_before_joining(registry):
    scores, _ = books(registry())
    # m-east-a joined 2025-06-01: scored from 2025 (the year of admission) on, never for 2024
    assert [s.member for s in scores.year(2024)] == ["m-east-sec", "m-west-sec"]
    assert [s.member for s in scores.year(2025)] == ["m-east-a", "m-east-sec", "m-west-sec"]
    assert not scores.scored_in("m-east-a", 2024)
    assert scores.scored_in("m-east-a", 2025)


def test_joined_on_the_last_day_of_the_year_counts_the_next_day_does_not(registry):
    scores, _ = books(registry({"registry/members/west-more.yaml": JOINERS}))
    members_2024 = [s.member for s in scores.year(2024)]
    assert "m-west-dec" in members_2024
    assert "m-west-jan" not in members_2024
    assert "m-west-jan" in [s.member for s in scores.year(2025)]


def test_every_year_scores_exactly_the_members_admitted_by_its_end(registry):
    """A property over many years: scored in Y ⇔ status scored and joined ≤ 31 December Y."""
    scores, _ = books(registry({"registry/members/west-more.yaml": JOINERS}))
    members = scores.reg.members
    for year in range(1980, 2031):
        expected = sorted(
            m
            for m, r in members.items()
            if r.get("status") in ("预备党员", "正式党员") and r["joined"] <= datetime.date(year, 12, 31)
        )
        assert [s.member for s in scores.year(year)] == expected, year


def _points_scheme() -> str:
    return (
        "id: town-villages\nname: 排位\nscope: town\nperiod: quarter\nindicators:\n"
        "  - id: work\n    name: 中心工作\n    max: 50\n"
        "  - id: points\n    name: 党员积分\n    max: 10\n    derive: points_average\n"
    )


def test_points_average_leaves_out_members_who_joined_after_the_period(registry):
    # m-east-a (57 in 2026-Q1) joins only on 2026-04-01, the day after Q1: east's Q1 mean is m-east-sec's 62
    roster = (
        (MINIMAL / "registry/members/east.yaml")
        .read_text(encoding="utf-8")
        .replace("joined: 2025-06-01", "joined: 2026-04-01")
    )
    files = {"registry/assessments/schemes/town-villages.yaml": _points_scheme(), "registry/members/east.yaml": roster}
    _, ranks = books(registry(files))
    east = next(r for r in ranks.ranking("town-villages").rows if r.org == "east")
    assert east.indicators["points"] == Fraction(10) * 62 / 100


def test_points_average_counts_a_member_who_joined_on_the_period_last_day(registry):
    roster = (
        (MINIMAL / "registry/members/east.yaml")
        .read_text(encoding="utf-8")
        .replace("joined: 2025-06-01", "joined: 2026-03-31")
    )
    files = {"registry/assessments/schemes/town-villages.yaml": _points_scheme(), "registry/members/east.yaml": roster}
    _, ranks = books(registry(files))
    east = next(r for r in ranks.ranking("town-villages").rows if r.org == "east")
    assert east.indicators["points"] == Fraction(10) * Fraction(62 + 57, 2) / 100


def test_no_stars_for_a_year_before_the_member_joined(registry):
    """Format 1.1: the site shows no star rating for a year before `joined` (the latest scored year of
    the registry's points may precede a member's admission)."""
    import datetime

    from dangjian.site.data import SiteData
    from dangjian.validate import validate

    root = registry()
    members = root / "registry/members/east.yaml"
    members.write_text(
        members.read_text(encoding="utf-8").replace("joined: 1990-07-01", "joined: 2026-11-01"), encoding="utf-8"
    )
    ledger = root / "registry/points/ledger/east-2026.yaml"
    ledger.write_text(
        ledger.read_text(encoding="utf-8")
        + "- member: m-east-sec\n  date: 2025-03-01\n  rule: absent\n  note: 缺席一次\n",
        encoding="utf-8",
    )
    activities = root / "registry/activities/town-2026.yaml"  # the member's last event: 2025, before joining
    activities.write_text(
        activities.read_text(encoding="utf-8").replace("attendees: [m-east-sec, m-east-a]", "attendees: [m-east-a]"),
        encoding="utf-8",
    )
    result = validate(root)
    assert result.problems == []
    data = SiteData(result.registry, datetime.date(2026, 12, 1))
    assert data.scores.events["m-east-sec"] and not data.scores.scored_in("m-east-sec", 2025)
    assert data.member_stars("m-east-sec") == (None, None)
