"""The bundled demo registry is valid and covers what the product shows."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import REPO
from dangjian.model import is_public
from dangjian.recordtypes import MEMBER_STATUSES, PROJECT_CATEGORIES
from dangjian.validate import validate


@pytest.fixture(scope="module")
def demo():
    return validate(REPO)


def test_demo_validates_cleanly(demo) -> None:
    assert demo.problems == []


def test_demo_has_every_member_status_and_flowing_members(demo) -> None:
    members = demo.registry.members.values()
    assert set(Counter(m["status"] for m in members)) == set(MEMBER_STATUSES)
    assert {m["flow"]["direction"] for m in members if "flow" in m.data} == {"in", "out"}
    assert any(is_public(m) for m in members) and any(not is_public(m) for m in members)


def test_demo_brands_have_their_sub_brands(demo) -> None:
    brands = demo.registry.brands.values()
    children = Counter(b.get("parent") for b in brands)
    assert children["qicai"] == 7
    assert children["longcheng-xianfeng"] == 6


def test_demo_projects_cover_all_categories_with_reviews(demo) -> None:
    projects = demo.registry.all("project")
    assert {p["category"] for p in projects} == set(PROJECT_CATEGORIES)
    assert any(p.get("milestones") and p.get("reviews") for p in projects)


def test_demo_has_rankings_pairings_and_sourced_stories(demo) -> None:
    reg = demo.registry
    periods = [r["period"] for r in reg.all("result") if r["scheme"] == "caota-villages"]
    assert len(periods) >= 2
    assert any(o.get("weak") and o.get("benchmark") for o in reg.orgs.values())
    assert all(s.get("source") for s in reg.all("story"))
    assert any(a["title"].find("红色星期六") >= 0 or "红色星期六" in a.get("summary", "") for a in reg.all("activity"))


def test_demo_has_what_the_reader_tests_read(demo) -> None:
    """Ties, tiers, lone brands, shared tags and gaps between months: the cases pages get wrong."""
    from dangjian.rankings import RankingBook

    reg = demo.registry
    book = RankingBook(reg)
    rankings = [r for s in reg.schemes for r in book.history(s)]
    assert any(len({row.rank for row in r.rows}) < len(r.rows) for r in rankings)  # a tie
    assert any(row.bottom for r in rankings for row in r.rows) and any(row.top for r in rankings for row in r.rows)
    parents = {b.get("parent") for b in reg.brands.values()}
    assert any(not b.get("parent") and b.id not in parents for b in reg.brands.values())  # a brand with no sub-brands
    tags = Counter(t for s in reg.all("story") for t in s.get("tags", []))
    assert max(tags.values()) >= 2
    months = sorted({(a["date"].year, a["date"].month) for a in reg.all("activity")})
    assert len(months) >= 3
