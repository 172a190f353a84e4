"""Rankings of individuals (`subject: members`), hand-computed.

Minimal registry plus: `north` (党总支) with `north-1` below it, and `south`, all under `town`; secretaries
(书记) m-north-sec, m-north1-sec, m-south-sec and a private one, m-ai-yinming (艾隐名, in west); the town's
own secretary m-town-sec (the scope itself: never ranked). Scheme `town-secretaries` ranks 书记 below
`town` each quarter on `duty` (by hand, max 50), `points` (points_score, max 10) and `days` (their org's
activity days, max 20); bonus cap 3; top 1 and bottom 1 flagged. Rulebook: base 60, cap 100.

Points (1 January to the quarter's end, ×10/100): m-east-sec 60 + 2 (the 10 January activity) = 62 → 31/5;
m-north1-sec 60 − 5 (absent 1 February) = 55 → 11/2; every other secretary 60 → 6.
Activity days in 2026-Q1 (a 主题党日 in one month of three → 20/3): east (January), north-1 (February, so
north too: its subtree), west (March); none in south. In 2026-Q2: east only (April).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compute_helpers import activities, books, ledger
from dangjian.figures import two_decimals
from dangjian.periods import parse_period
from dangjian.rankings import PRIVATE_MEMBER, RankingBook, Row, rank_rows, ranked_members
from dangjian.validate import validate

SCHEME = "registry/assessments/schemes/town-secretaries.yaml"
RESULTS = "registry/assessments/results/town-secretaries"
PRIVATE_NAME, PRIVATE_ID = "艾隐名", "m-ai-yinming"


def org(ident: str, parent: str, kind: str = "党支部") -> str:
    return f"id: {ident}\nname: {ident}村党组织\nkind: {kind}\nparent: {parent}\ndomain: 农村\n"


def member(ident: str, name: str, org_id: str, extra: str = "") -> str:
    return (
        f"- id: {ident}\n  name: {name}\n  org: {org_id}\n  status: 正式党员\n  joined: 2000-07-01\n"
        f"  posts: [书记]\n{extra}"
    )


MEMBERS = "".join(
    (
        member("m-town-sec", "镇书记", "town"),
        member("m-north-sec", "北书记", "north"),
        member("m-north1-sec", "北一书记", "north-1"),
        member("m-south-sec", "南书记", "south"),
        member(PRIVATE_ID, PRIVATE_NAME, "west", "  public: false\n"),
    )
)

SCHEME_TEXT = """id: town-secretaries
name: 村书记排位
scope: town
subject: members
posts: [书记]
period: quarter
indicators:
  - id: duty
    name: 履职
    max: 50
  - id: points
    name: 本人积分
    max: 10
    derive: points_score
  - id: days
    name: 党员活动日
    max: 20
    derive: activity_days
bonus_cap: 3
tiers: {top: 1, bottom: 1}
"""

Q1 = """scheme: town-secretaries
period: 2026-Q1
scores:
  m-east-sec: {duty: 40}
  m-north-sec: {duty: 41}
  m-north1-sec: {duty: 35}
  m-ai-yinming: {duty: 39}
adjustments:
  - {member: m-east-sec, points: 2, reason: 表扬}
  - {member: m-east-sec, points: 2, reason: 再次表扬}
  - {member: m-north-sec, points: -1, reason: 台账不全}
  - {member: m-ai-yinming, points: 1, reason: 艾隐名在西村带头修路, date: 2026-03-02}
"""

Q2 = """scheme: town-secretaries
period: 2026-Q2
scores:
  m-east-sec: {duty: 30}
  m-north-sec: {duty: 44}
  m-north1-sec: {duty: 40}
  m-ai-yinming: {duty: 45}
  m-south-sec: {duty: 42}
adjustments:
  - {member: m-south-sec, points: 5, reason: 表扬}
"""


def overlay(**more: str | None) -> dict[str, str | None]:
    files: dict[str, str | None] = {
        "registry/orgs/north.yaml": org("north", "town", "党总支"),
        "registry/orgs/north-1.yaml": org("north-1", "north"),
        "registry/orgs/south.yaml": org("south", "town"),
        "registry/members/people.yaml": MEMBERS,
        "registry/points/ledger/north.yaml": ledger(("m-north1-sec", "2026-02-01", "absent")),
        "registry/activities/more.yaml": activities(
            ("north1-02", "north-1", "2026-02-14", "主题党日", []),
            ("west-03", "west", "2026-03-08", "主题党日", []),
            ("east-04", "east", "2026-04-11", "主题党日", []),
        ),
        SCHEME: SCHEME_TEXT,
        f"{RESULTS}/2026-Q1.yaml": Q1,
        f"{RESULTS}/2026-Q2.yaml": Q2,
    }
    files.update(more)
    return files


def table(ranking) -> list[tuple]:
    return [
        (r.rank, r.org, r.name, r.indicators["duty"], r.indicators["points"], r.indicators["days"], r.total, r.change)
        for r in ranking.rows
    ]


THIRD = Fraction(20, 3)
PRIVATE = "~private-1"


def test_first_quarter_by_hand(registry):
    _, ranks = books(registry(overlay()))
    ranking = ranks.ranking("town-secretaries", "2026-Q1")
    assert ranking.subject == "members"
    assert table(ranking) == [
        # 40 + 31/5 + 20/3 + (2 + 2 capped at 3)
        (1, "m-east-sec", "王东方", 40, Fraction(31, 5), THIRD, Fraction(838, 15), "new"),
        # 41 + 6 + 20/3 − 1: north's own subtree held a 主题党日 (in north-1)
        (2, "m-north-sec", "北书记", 41, 6, THIRD, Fraction(158, 3), "new"),
        # 39 + 6 + 20/3 + 1: tied with 北书记; listed after the named row although its id sorts first
        (2, PRIVATE, PRIVATE_MEMBER, 39, 6, THIRD, Fraction(158, 3), "new"),
        # 35 + 11/2 + 20/3
        (4, "m-north1-sec", "北一书记", 35, Fraction(11, 2), THIRD, Fraction(283, 6), "new"),
    ]
    assert str(two_decimals(ranking.rows[0].total)) == "55.87"
    east = ranking.rows[0]
    assert (east.bonus, east.penalty) == (3, 0)  # 2 + 2 over the bonus cap of 3
    assert [(r.top, r.bottom) for r in ranking.rows] == [(True, False), (False, False), (False, False), (False, True)]


def test_second_quarter_changes_and_a_member_ranked_only_later(registry):
    _, ranks = books(registry(overlay()))
    ranking = ranks.ranking("town-secretaries")
    assert ranking.period.label == "2026-Q2" and ranking.previous.label == "2026-Q1"
    assert table(ranking) == [
        # 42 + 6 + 0 (no 主题党日 in south) + 5 capped at 3; ranked only now: no change mark
        (1, "m-south-sec", "南书记", 42, 6, 0, 51, "new"),
        (1, PRIVATE, PRIVATE_MEMBER, 45, 6, 0, 51, 2 - 1),
        (3, "m-north-sec", "北书记", 44, 6, 0, 50, 2 - 3),
        (4, "m-north1-sec", "北一书记", 40, Fraction(11, 2), 0, Fraction(91, 2), 4 - 4),
        # 30 + 31/5 + 20/3 (April)
        (5, "m-east-sec", "王东方", 30, Fraction(31, 5), THIRD, Fraction(643, 15), 1 - 5),
    ]
    assert [r.org for r in ranking.rows if r.top] == ["m-south-sec", PRIVATE]  # ties share the tier
    assert [r.org for r in ranking.rows if r.bottom] == ["m-east-sec"]


def test_a_private_member_row_carries_no_name_id_or_reason(registry):
    _, ranks = books(registry(overlay()))
    for ranking in ranks.history("town-secretaries"):
        row = next(r for r in ranking.rows if not r.named)
        assert (row.org, row.name) == (PRIVATE, PRIVATE_MEMBER)
        text = repr(row)
        assert PRIVATE_NAME not in text and PRIVATE_ID not in text and "西村" not in text
    q1 = ranks.ranking("town-secretaries", "2026-Q1")
    assert next(r for r in q1.rows if not r.named).adjustments == [{"points": 1}]  # no reason, no date
    assert PRIVATE_NAME not in repr(q1.rows) and PRIVATE_ID not in repr(q1.rows)


def test_who_is_ranked_is_below_the_scope_and_holds_a_post(registry):
    result = validate(registry(overlay()))
    scheme = result.registry.schemes["town-secretaries"]
    period = parse_period("2026-Q1")
    assert ranked_members(result.registry, scheme, period) == [
        PRIVATE_ID,
        "m-east-sec",
        "m-north-sec",
        "m-north1-sec",  # two levels below the scope
        "m-south-sec",
    ]  # not m-town-sec (the scope's own), not m-west-sec (副书记)
    with_deputies = result.registry.schemes["town-secretaries"]
    with_deputies.data["posts"] = ["书记", "副书记"]
    assert "m-west-sec" in ranked_members(result.registry, with_deputies, period)


def test_the_scopes_own_secretary_may_not_be_scored(registry):
    q1 = Q1.replace("  m-east-sec: {duty: 40}\n", "  m-east-sec: {duty: 40}\n  m-town-sec: {duty: 50}\n")
    problems = validate(registry(overlay(**{f"{RESULTS}/2026-Q1.yaml": q1}))).problems
    assert [p.message for p in problems] == ["`m-town-sec` 不是 `town` 以下组织中担任书记的党员，不参加这个排位"]


def test_project_progress_of_a_person_counts_the_projects_they_lead(registry):
    scheme = SCHEME_TEXT.replace(
        "bonus_cap", "  - id: projects\n    name: 书记项目\n    max: 10\n    derive: project_progress\nbonus_cap"
    )
    project = (
        "id: north-road\ntitle: 修路\norg: north\nlead: m-north-sec\ncategory: 常规性\nyear: 2026\n"
        "status: 推进中\nproblem: 路不好走。\ngoal: 修好。\nmilestones:\n"
        "  - {title: 设计, due: 2026-02-01, done: 2026-01-20}\n  - {title: 施工, due: 2026-03-01}\n"
    )
    _, ranks = books(registry(overlay(**{SCHEME: scheme, "registry/projects/north-road.yaml": project})))
    q1 = {r.org: r for r in ranks.ranking("town-secretaries", "2026-Q1").rows}
    assert q1["m-north-sec"].indicators["projects"] == 5  # 1 of the 2 milestones due by 31 March done
    assert q1["m-east-sec"].indicators["projects"] == 10  # east-2026-road: its one milestone done in time
    assert q1["m-north1-sec"].indicators["projects"] == 10  # leads nothing (north-road is north's): max


def test_points_score_is_zero_until_joining(registry):
    roster = MEMBERS.replace(
        "  name: 南书记\n  org: south\n  status: 正式党员\n  joined: 2000-07-01\n",
        "  name: 南书记\n  org: south\n  status: 预备党员\n  joined: 2026-05-01\n",
    )
    q1 = Q1.replace("  m-ai-yinming: {duty: 39}\n", "  m-ai-yinming: {duty: 39}\n  m-south-sec: {duty: 1}\n")
    files = overlay(**{"registry/members/people.yaml": roster, f"{RESULTS}/2026-Q1.yaml": q1})
    _, ranks = books(registry(files))
    south = [
        next(r for r in ranks.ranking("town-secretaries", p).rows if r.org == "m-south-sec")
        for p in ("2026-Q1", "2026-Q2")
    ]
    assert [s.indicators["points"] for s in south] == [0, 6]  # admitted 1 May: scored from Q2 (60 → 6)


def test_an_org_scheme_ranks_as_before(registry):
    _, ranks = books(registry(overlay()))
    ranking = ranks.ranking("town-villages")
    assert ranking.subject == "orgs"
    assert [(r.rank, r.org, r.named) for r in ranking.rows] == [(1, "east", True), (2, "west", True)]


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=8))
def test_ranks_are_competition_ranks_with_named_rows_first_in_a_tie(items):
    rows = [
        Row(f"m-{i:02d}", "某", {}, Fraction(0), Fraction(0), Fraction(total), named=named)
        for i, (total, named) in enumerate(items)
    ]
    rank_rows(rows)
    for row in rows:
        assert row.rank == 1 + sum(1 for other in rows if other.total > row.total)
    for before, after in zip(rows, rows[1:]):
        assert before.total >= after.total
        if before.total == after.total:  # a tie: named rows first, then by id
            assert (not before.named, before.org) < (not after.named, after.org)


RANKED = (PRIVATE_ID, "m-east-sec", "m-north-sec", "m-north1-sec", "m-south-sec")


@pytest.fixture(scope="module")
def secretaries(tmp_path_factory):
    from conftest import apply_overlay, copy_minimal

    root = apply_overlay(copy_minimal(tmp_path_factory.mktemp("secretaries") / "root"), overlay())
    result = validate(root)
    assert result.problems == []
    return Registry(result.registry)


class Registry:
    """The validated registry, shown briefly in Hypothesis' reports."""

    def __init__(self, reg) -> None:
        self.reg = reg

    def __repr__(self) -> str:
        return "<the secretaries registry>"


@settings(max_examples=40, deadline=None)
@given(public=st.lists(st.booleans(), min_size=len(RANKED), max_size=len(RANKED)))
def test_a_row_names_exactly_the_public_members_whoever_they_are(secretaries, public):
    reg = secretaries.reg
    for member_id, shown_ in zip(RANKED, public):
        reg.members[member_id].data["public"] = shown_
    book = RankingBook(reg)
    for ranking in book.history("town-secretaries"):
        rows = {row.org: row for row in ranking.rows}
        scored = [(m, shown_) for m, shown_ in zip(RANKED, public) if m in ranking.result["scores"]]
        for member_id, shown_ in scored:
            if shown_:
                assert rows[member_id].named and rows[member_id].name == reg.members[member_id]["name"]
            else:
                assert member_id not in rows
        hidden = [r for r in ranking.rows if not r.named]
        assert len(hidden) == sum(1 for _, shown_ in scored if not shown_)
        text = repr(ranking.rows)
        for member_id, shown_ in zip(RANKED, public):
            if not shown_:
                assert member_id not in text and reg.members[member_id]["name"] not in text
    keys = [{r.org for r in ranking.rows if not r.named} for ranking in book.history("town-secretaries")]
    assert all(key.startswith("~private-") for key in set().union(*keys))


SOUTH_FROM_APRIL = "".join(
    (
        member("m-town-sec", "镇书记", "town"),
        member("m-north-sec", "北书记", "north"),
        member("m-north1-sec", "北一书记", "north-1"),
        member("m-south-sec", "南书记", "south", "  history:\n    - date: 2026-04-01\n      posts: [书记]\n"),
        member(PRIVATE_ID, PRIVATE_NAME, "west", "  public: false\n"),
    )
)


def test_who_is_ranked_holds_the_post_at_the_periods_end(registry):
    """Issue 20: a secretary appointed on 1 April (history) is ranked from 2026-Q2 on, not in 2026-Q1."""
    root = registry(overlay(**{"registry/members/people.yaml": SOUTH_FROM_APRIL}))
    result = validate(root)
    assert result.problems == [], [p.message for p in result.problems]
    scheme = result.registry.schemes["town-secretaries"]
    assert "m-south-sec" not in ranked_members(result.registry, scheme, parse_period("2026-Q1"))
    assert "m-south-sec" in ranked_members(result.registry, scheme, parse_period("2026-Q2"))
    _, ranks = books(root)
    assert "m-south-sec" in {r.org for r in ranks.ranking("town-secretaries", "2026-Q2").rows}


def test_a_result_may_not_score_a_secretary_before_the_appointment(registry):
    early = Q1.replace("  m-north1-sec: {duty: 35}\n", "  m-north1-sec: {duty: 35}\n  m-south-sec: {duty: 30}\n")
    root = registry(overlay(**{"registry/members/people.yaml": SOUTH_FROM_APRIL, f"{RESULTS}/2026-Q1.yaml": early}))
    problems = [p for p in validate(root).problems if p.file.endswith("2026-Q1.yaml")]
    assert len(problems) == 1 and "m-south-sec" in problems[0].message, [p.message for p in problems]
