"""Org aggregates computed bottom-up equal the plain definition: every descendant's members."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path

from dangjian.model import is_scored
from dangjian.scores import ScoreBook, stars_for
from dangjian.stats import OrgStats, StatsBook, latest_year
from dangjian.synth import Synth
from dangjian.timeline import member_state
from dangjian.validate import validate

from test_synth import TINY

REPO = Path(__file__).resolve().parents[1]


def plain_stats(reg, scores, org_id) -> OrgStats:
    """The definition, member by member (members × depth): the oracle for StatsBook."""
    member_ids = [
        m
        for o in (org_id, *reg.descendants(org_id))
        for m in reg.members_of.get(o, [])
        if member_state(reg.members[m].data).left is None  # who left is on no roll today
    ]
    stats = OrgStats(members=len(member_ids))
    for member_id in member_ids:
        member = reg.members[member_id]
        stats.by_status[member.get("status")] += 1
        flow = member.get("flow")
        if flow:
            stats.flow_out += flow.get("direction") == "out"
            stats.flow_in += flow.get("direction") == "in"
    scored = [m for m in member_ids if is_scored(reg.members[m])]
    stats.year = latest_year(scores, scored)
    if stats.year is not None and scored:
        values = [scores.yearly_score(m, stats.year) for m in scored]
        stats.scored = len(values)
        stats.average = sum(values, Fraction(0)) / len(values)
        stats.stars = Counter(stars_for(v, reg.stars) for v in values)
    return stats


def _check(root: Path) -> int:
    reg = validate(root).registry
    scores = ScoreBook(reg)
    book = StatsBook(reg, scores)
    orgs = sorted(reg.orgs)
    for org_id in orgs[::-1]:  # leaves and roots in a mixed order: the memo must not depend on it
        assert book.of(org_id) == plain_stats(reg, scores, org_id), org_id
    return sum(book.of(o).scored > 0 for o in orgs)


def test_demo_registry():
    assert _check(REPO) > 5


def test_synthetic_registry(tmp_path):
    list(Synth(TINY, seed=3).write(tmp_path))
    assert _check(tmp_path) > 5
