"""Rankings of individuals on the site, in the exports and in `dangjian diff`: read as a reader reads them,
and a private member (a unique name, ranked first) found nowhere.

The registry is test_people_rankings.py's (minimal plus secretaries); its hand-computed tables are the
expected values here, read under their headings.
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

import pytest

from dangjian.diff import people_rank_changes, sections_of
from dangjian.figures import shown, two_decimals
from dangjian.rankings import PRIVATE_MEMBER
from dangjian.validate import validate
from reading import tables, text
from site_helpers import article, build_site, every_text, index_scanned
from test_people_rankings import PRIVATE_ID, PRIVATE_NAME, Q1, Q2, RESULTS, overlay
from test_site_privacy import forms

SECRET_REASON = "独家不公开的加分事由"  # a private member's adjustment reason: never published
# Ranked first in both quarters: the row most likely to be looked at.
FIRST_Q1 = Q1.replace("m-ai-yinming: {duty: 39}", "m-ai-yinming: {duty: 50}").replace(
    "reason: 艾隐名在西村带头修路", f"reason: {SECRET_REASON}"
)
FIRST_Q2 = Q2.replace("m-ai-yinming: {duty: 45}", "m-ai-yinming: {duty: 50}")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import apply_overlay, copy_minimal

    base = tmp_path_factory.mktemp("people")
    root = apply_overlay(
        copy_minimal(base / "root"),
        overlay(**{f"{RESULTS}/2026-Q1.yaml": FIRST_Q1, f"{RESULTS}/2026-Q2.yaml": FIRST_Q2}),
    )
    return root, build_site(root, base / "site", search=True)


def ranking_table(site, period: str):
    body = article(site, f"rankings/town-secretaries/{period}/")
    return body, tables(body)[0]


def test_the_ranking_table_reads_value_by_value_under_its_headings(built):
    _, site = built
    _, table = ranking_table(site, "2026-Q2")
    assert table.label == "各党员得分（5 人）"
    assert table.headers == [
        "排名",
        "变化",
        "姓名",
        "总分",
        "履职 满分 50",
        "本人积分 满分 10",
        "党员活动日 满分 20",
        "奖扣分",
    ]
    # 2026-Q2 by hand (test_people_rankings.py), the private duty raised to 50 in both quarters: first twice
    expected = [
        ("1 前列", "—", PRIVATE_MEMBER, None, 50, None, 0, ""),  # own points and total withheld
        ("2", "新", "南书记", Fraction(51), 42, 6, 0, "+3"),
        ("3", "—", "北书记", Fraction(50), 44, 6, 0, ""),
        ("4", "—", "北一书记", Fraction(91, 2), 40, Fraction(11, 2), 0, ""),
        ("5 后位", "▼3", "王东方", Fraction(643, 15), 30, Fraction(31, 5), Fraction(20, 3), ""),
    ]
    assert len(table.rows) == len(expected)
    for cells, (rank, change, name, total, duty, points, days, adjust) in zip(table.rows, expected):
        assert cells["排名"] == rank
        assert cells["变化"] == change
        assert cells["姓名"] == name
        assert cells["总分"] == (str(two_decimals(total)) if total is not None else "—")
        assert cells["履职 满分 50"] == shown(Fraction(duty))
        assert cells["本人积分 满分 10"] == (shown(Fraction(points)) if points is not None else "—")
        assert cells["党员活动日 满分 20"] == shown(Fraction(days))
        assert cells["奖扣分"] == adjust


def test_public_names_link_to_their_pages_and_a_private_row_links_nowhere(built):
    _, site = built
    body, table = ranking_table(site, "2026-Q1")
    rows = table.element.select("tbody tr")
    private = [r for r in rows if PRIVATE_MEMBER in text(r)]
    assert len(private) == 1 and private[0].select("a") == []  # no page, no org
    links = {a.get_text(): a["href"] for r in rows for a in r.select("a")}
    assert links == {
        "王东方": "../../../members/m-east-sec/",
        "北书记": "../../../members/m-north-sec/",
        "北一书记": "../../../members/m-north1-sec/",
    }
    note = " ".join(text(p) for p in body.select("p.dj-lead"))
    assert "只显示公开党员的姓名" in note and "不显示姓名、编号和所在组织" in note and "本期有 1 人" in note
    adjustments = [text(li) for li in body.select("ul.dj-list li")]
    assert f"{PRIVATE_MEMBER} +1 原因不公开" in adjustments
    assert "王东方 +2 表扬 " not in adjustments and any(a.startswith("王东方 +2 表扬") for a in adjustments)


def test_the_history_page_lists_each_rank_under_its_period(built):
    _, site = built
    body = article(site, "rankings/town-secretaries/")
    ranks = tables(body)[0]
    assert ranks.headers == ["姓名", "2026-Q1", "2026-Q2"]
    assert ranks.rows == [
        {"姓名": PRIVATE_MEMBER, "2026-Q1": "1", "2026-Q2": "1"},
        {"姓名": "南书记", "2026-Q1": "—", "2026-Q2": "2"},
        {"姓名": "北书记", "2026-Q1": "3", "2026-Q2": "3"},
        {"姓名": "北一书记", "2026-Q1": "4", "2026-Q2": "4"},
        {"姓名": "王东方", "2026-Q1": "2", "2026-Q2": "5"},
    ]
    assert "担任书记的党员" in " ".join(text(p) for p in body.select("p.dj-lead"))


def test_exports_name_public_members_only(built):
    _, site = built
    rows = json.loads((site / "api/rankings/town-secretaries/2026-Q2.json").read_text(encoding="utf-8"))
    assert [(r["rank"], r["member"], r["name"]) for r in rows] == [
        (1, None, None),
        (2, "m-south-sec", "南书记"),
        (3, "m-north-sec", "北书记"),
        (4, "m-north1-sec", "北一书记"),
        (5, "m-east-sec", "王东方"),
    ]
    assert "org" not in rows[0]
    sheet = list(
        csv.DictReader(io.StringIO((site / "api/rankings/town-secretaries/2026-Q2.csv").read_text("utf-8-sig")))
    )
    assert (sheet[0]["member"], sheet[0]["name"], sheet[0]["total"], sheet[0]["points"]) == ("", "", "", "")
    assert (rows[0]["total"], rows[0]["points"], rows[0]["duty"]) == (None, None, 50)
    assert (rows[1]["total"], rows[1]["points"]) == (51, 6)


def test_a_private_member_ranked_first_appears_nowhere(built):
    _, site = built
    texts = dict(every_text(site))
    assert index_scanned(texts), "the search index was scanned"
    assert any("北一书记" in t for t in texts.values()), "public secretaries are shown (the test can fail)"
    for secret in (PRIVATE_NAME, PRIVATE_ID, "ai-yinming", "aiyinming", SECRET_REASON):
        for form in forms(secret):
            hits = [p for p, t in texts.items() if form in t]
            assert hits == [], f"{secret!r} as {form!r} leaked into {hits}"
    assert not (site / "members" / PRIVATE_ID).exists()


def test_the_home_page_shows_the_latest_org_ranking_not_a_members_one(built):
    _, site = built
    body = article(site, "")
    ranked = [t for t in tables(body) if "排名" in t.headers]
    assert (
        ranked and ranked[0].label == "最新排位： 测试镇村级党组织季度排位 · 2026-Q1"
    )  # town-villages, not 村书记排位
    assert PRIVATE_MEMBER not in text(body)
    assert not any(a["href"].startswith("orgs/m-") for a in body.select("table a"))


def test_diff_names_public_members_and_counts_private_ones(built, registry):
    root, _ = built
    old = validate(registry()).registry  # the minimal registry: no secretaries ranking yet
    new = validate(root).registry
    lines = list(people_rank_changes(old, new))
    assert lines == [
        "王东方 在「村书记排位」2026-Q1 排第 2，这是第一期排位",
        "北书记 在「村书记排位」2026-Q1 排第 3，这是第一期排位",
        "北一书记 在「村书记排位」2026-Q1 排第 4，这是第一期排位",
        "另有 1 名未公开的党员参加「村书记排位」2026-Q1排位（不列姓名）",
        "南书记 在「村书记排位」2026-Q2 排第 2，上期没有参加排位",
        "北书记 在「村书记排位」2026-Q2 排第 3，与上期相同",
        "北一书记 在「村书记排位」2026-Q2 排第 4，与上期相同",
        "王东方 在「村书记排位」2026-Q2 排第 5，比上期下降 3 位",
        "另有 1 名未公开的党员参加「村书记排位」2026-Q2排位（不列姓名）",
    ]
    everything = json.dumps([s.lines for s in sections_of(old, new)], ensure_ascii=False)
    assert PRIVATE_NAME not in everything and PRIVATE_ID not in everything and SECRET_REASON not in everything


# --- the demo: 草塔's 书记 ranking ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from conftest import REPO

    return REPO, build_site(REPO, tmp_path_factory.mktemp("people-demo") / "site")


def change_text(change) -> str:
    return "新" if change == "new" else f"▲{change}" if change > 0 else f"▼{-change}" if change < 0 else "—"


def test_the_demo_secretaries_ranking_reads_as_computed_under_each_heading(demo):
    from dangjian.rankings import RankingBook

    root, site = demo
    reg = validate(root).registry
    history = RankingBook(reg).history("caota-secretaries")
    assert [r.period.label for r in history] == ["2015-Q1", "2015-Q2"]
    indicators = reg.schemes["caota-secretaries"]["indicators"]
    for ranking in history:
        _, table = ranking_table_of(site, "caota-secretaries", ranking.period.label)
        assert table.cells("姓名") == [row.name for row in ranking.rows]
        assert all(row.named for row in ranking.rows)  # the demo's secretaries are public (书记 by default)
        for row, cells in zip(ranking.rows, table.rows):
            assert cells["排名"].split()[0] == str(row.rank)
            assert cells["变化"] == change_text(row.change)
            assert cells["总分"] == str(two_decimals(row.total))
            for indicator in indicators:
                header = f"{indicator['name']} 满分 {shown(Fraction(indicator['max']))}"
                assert cells[header] == shown(row.indicators[indicator["id"]]), (ranking.period.label, row.name)
    # one row by hand: 杨伟根 in 2015-Q2. His score by 30 June: 60 + 3 活动日 × 2 + 2 党费 × 2 + 2 学习 × 2
    # + 1 志愿服务 × 2 = 76, so 本人积分 = 15 × 76 / 100; total 35 + 27 + 11.4 + 15 (a 主题党日 every month)
    # + 2 (his bonus, under the cap of 3)
    _, table = ranking_table_of(site, "caota-secretaries", "2015-Q2")
    yang = table.row("姓名", "杨伟根")
    assert yang["本人积分 满分 15"] == shown(Fraction(15 * 76, 100)) == "11.40"
    assert yang["总分"] == str(two_decimals(35 + 27 + Fraction(114, 10) + 15 + 2)) == "90.40"
    assert (yang["排名"], yang["变化"], yang["奖扣分"]) == ("1 前列", "▲4", "+2")


def ranking_table_of(site, scheme: str, period: str):
    body = article(site, f"rankings/{scheme}/{period}/")
    return body, tables(body)[0]
