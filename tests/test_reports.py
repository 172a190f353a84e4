"""Yearly reports on a small registry, read as a reader does: the figures under their headings (an oracle
worked out by hand below), each chart against the table beside it, the links in, and privacy (a hostile
private member alone in a small branch: the report shows no figure that counts fewer than five people, alone
or beside the org page's figures).

The build's day is fixed with SOURCE_DATE_EPOCH (2026-07-15): 2025 is a complete year, 2026 is not.
"""

from __future__ import annotations

import datetime
import re

import pytest
from bs4 import BeautifulSoup

from conftest import apply_overlay, copy_minimal
from reading import tables, text
from site_helpers import build_site, page, text_files

TODAY = datetime.datetime(2026, 7, 15, 12, tzinfo=datetime.timezone.utc)
SECRET = "隐秘甲乙"  # a private member, alone in 小岭村: never on the site, nor counted
TINY = "id: tiny\nname: 小岭村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"
# east gets six more party members (eight in 2025: five or more, published); west and tiny stay small.
EAST_MORE = "".join(
    f"- id: m-east-{n}\n  name: 东村党员{n}\n  org: east\n  status: 正式党员\n  joined: 2001-01-0{n}\n"
    for n in range(1, 7)
)
TINY_MEMBERS = f"- id: m-tiny-x\n  name: {SECRET}\n  org: tiny\n  status: 正式党员\n  joined: 2000-01-01\n"
ACTIVITIES = """\
- id: r-east-1
  org: east
  date: 2025-03-05
  kind: 主题党日
  title: 春季学习
  headcount: 10
- id: r-east-2
  org: east
  date: 2025-03-20
  kind: 支部委员会
  title: 支委会
  headcount: 6
- id: r-east-3
  org: east
  date: 2025-06-10
  kind: 党课
  title: 书记讲党课
  headcount: 9
- id: r-east-4
  org: east
  date: 2025-06-11
  kind: 支部党员大会
  title: 党员大会
  attendees: [m-east-sec, m-east-1, m-east-2]
- id: r-tiny-1
  org: tiny
  date: 2025-04-04
  kind: 主题党日
  title: 小岭村主题党日
  headcount: 1
- id: r-tiny-2
  org: tiny
  date: 2025-04-05
  kind: 志愿服务
  title: 计划中的清扫
  planned: true
- id: r-west-1
  org: west
  date: 2025-05-05
  kind: 其他
  title: 西村走访
  headcount: 4
"""
WELL = """\
id: east-2025-well
title: 修缮水井
org: east
lead: m-east-sec
category: 常规性
year: 2025
status: 已完成
problem: 水井老化。
goal: 修好水井。
milestones:
  - title: 设计
    due: 2025-06-30
    done: 2025-05-01
  - title: 施工
    due: 2025-08-31
    done: 2025-09-01
"""
BRIDGE = """\
id: west-2024-bridge
title: 便民桥
org: west
lead: m-west-sec
category: 常规性
year: 2024
status: 推进中
problem: 过河不便。
goal: 建一座桥。
milestones:
  - title: 选址
    due: 2025-03-01
    done: 2025-02-02
"""
HONOURS = """\
- name: 五好党支部
  level: 镇
  year: 2025
  giver: 中共测试镇委员会
  org: east
- name: 优秀共产党员
  level: 镇
  year: 2025
  giver: 中共测试镇委员会
  member: m-east-b
- name: 优秀共产党员
  level: 镇
  year: 2025
  giver: 中共测试镇委员会
  member: m-tiny-x
"""
LEDGER = "- member: m-tiny-x\n  date: 2024-03-01\n  rule: absent\n"
TINY_RESULT_SCORE = "  tiny: {work: 30}\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = copy_minimal(tmp_path_factory.mktemp("reports") / "root")
    result = (root / "registry/assessments/results/town-villages/2026-Q1.yaml").read_text(encoding="utf-8")
    result = result.replace("  west: {work: 38.5}\n", "  west: {work: 38.5}\n" + TINY_RESULT_SCORE)
    apply_overlay(
        root,
        {
            "registry/orgs/tiny.yaml": TINY,
            "registry/members/east-more.yaml": EAST_MORE,
            "registry/members/tiny.yaml": TINY_MEMBERS,
            "registry/activities/report-2025.yaml": ACTIVITIES,
            "registry/projects/east-2025-well.yaml": WELL,
            "registry/projects/west-2024-bridge.yaml": BRIDGE,
            "registry/honours/report.yaml": HONOURS,
            "registry/points/ledger/tiny-2024.yaml": LEDGER,
            "registry/assessments/results/town-villages/2026-Q1.yaml": result,
        },
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(int(TODAY.timestamp())))
        return build_site(root, tmp_path_factory.mktemp("reports-site") / "site")


def table(soup: BeautifulSoup, label: str):
    found = [t for t in tables(soup) if t.label == label]
    assert len(found) == 1, [t.label for t in tables(soup)]
    return found[0]


def facts(site, url: str, year: int) -> dict[str, str]:
    found = table(page(site, url), f"{year} 年主要数字").facts
    assert found is not None
    return found


# --- which reports exist, and the links to them -------------------------------------------------------------
def test_each_org_has_a_report_for_each_year_of_its_subtree_and_its_page_links_them(site):
    made = sorted(str(p.parent.relative_to(site)) for p in site.glob("orgs/*/[0-9][0-9][0-9][0-9]/index.html"))
    # town: 2024 (west's project, tiny's ledger), 2025, 2026 (the fixture's activity, project, result)
    assert made == [
        "orgs/east/2025",
        "orgs/east/2026",
        "orgs/tiny/2024",
        "orgs/tiny/2025",
        "orgs/tiny/2026",  # ranked in 2026-Q1
        "orgs/town/2024",
        "orgs/town/2025",
        "orgs/town/2026",
        "orgs/west/2024",
        "orgs/west/2025",
        "orgs/west/2026",
    ]
    links = page(site, "orgs/town/").find(id="reports").find_next("p").find_all("a")
    assert [(text(a), a["href"]) for a in links] == [
        ("2026 年", "../../orgs/town/2026/"),
        ("2025 年", "../../orgs/town/2025/"),
        ("2024 年", "../../orgs/town/2024/"),
        ("各单位对比", "../../reports/"),
    ]
    east = page(site, "orgs/east/").find(id="reports").find_next("p")
    assert [text(a) for a in east.find_all("a")] == ["2026 年", "2025 年"]  # not the root: no 各单位对比
    index = table(page(site, "reports/"), "各年度报告")
    assert [row["年度"] for row in index.rows] == ["2026", "2025", "2024"]


# --- the oracle ---------------------------------------------------------------------------------------------
def test_a_branchs_year_in_figures(site):
    east = facts(site, "orgs/east/2025/", 2025)
    assert east == {
        "活动次数": "4",
        "参加人次": "不公布",  # east's party members of 2025 are withheld on its page (town less east is small)
        "三会一课应召开": "32",  # 4 + 12 + 4 + 12
        "三会一课已召开": "4",  # 党员大会 Q2, 支委会 March, 党课 Q2, 主题党日 March
        "三会一课缺": "28",
        "书记项目立项": "1",
        "书记项目完成": "1",  # 已完成, its last milestone done on 1 September 2025
        "完成进度节点": "2",
        "按期完成的节点": "1",
        "获得表彰": "2",  # its own, and a public member's
    }


def test_a_town_adds_up_its_branches_and_counts_no_private_members_honour(site):
    town = facts(site, "orgs/town/2025/", 2025)
    assert town["活动次数"] == "6"  # the planned one is not held
    assert town["参加人次"] == "33"  # 10 + 6 + 9 + three attendees + 1 + 4: town's 2025 membership is published
    assert town["三会一课应召开"] == "96" and town["三会一课已召开"] == "5" and town["三会一课缺"] == "91"
    assert town["完成进度节点"] == "3" and town["按期完成的节点"] == "2"
    assert town["书记项目立项"] == "1" and town["书记项目完成"] == "1"
    assert town["获得表彰"] == "2"  # the private member's 优秀共产党员 is neither listed nor counted
    honours = table(page(site, "orgs/town/2025/"), "2025 年获得的表彰与创评")
    assert sorted(row["获得者"] for row in honours.rows) == ["东村党支部", "赵大年"]


def test_activities_by_month_and_kind_chart_and_table_agree(site):
    soup = page(site, "orgs/town/2025/")
    months = table(soup, "2025 年各月活动次数")
    assert months.headers == ["月份", "主题党日", "支部党员大会", "支部委员会", "党课", "其他", "合计"]
    by_month = {row["月份"]: row for row in months.rows}
    assert by_month["3 月"]["主题党日"] == "1" and by_month["3 月"]["支部委员会"] == "1"
    assert by_month["4 月"]["主题党日"] == "1" and by_month["4 月"]["合计"] == "1"
    assert by_month["6 月"]["合计"] == "2" and by_month["1 月"]["合计"] == "0"
    chart = soup.select_one("svg.dj-chart--months")
    spoken = dict(re.findall(r"(\d+)月 (\d+)次", chart["aria-label"]))
    assert {f"{m} 月": n for m, n in spoken.items()} == {m: row["合计"] for m, row in by_month.items()}
    drawn = [t.get_text() for t in chart.find_all("title")]
    assert "3月 主题党日：1次" in drawn and "6月 党课：1次" in drawn and len(drawn) == 6  # one block per activity
    kinds = table(soup, "2025 年各类活动次数")
    bars = soup.select("svg.dj-chart--bars")[0]
    assert bars["aria-label"].endswith("：" + "，".join(f"{r['类别']} {r['次数']}次" for r in kinds.rows))


def test_three_one_chart_and_table_agree(site):
    soup = page(site, "orgs/east/2025/")
    rows = table(soup, "2025 年三会一课").rows
    assert [(r["会议"], r["应召开"], r["已召开"], r["缺"]) for r in rows] == [
        ("党员大会", "4", "1", "3"),
        ("支委会", "12", "1", "11"),
        ("党课", "4", "1", "3"),
        ("主题党日", "12", "1", "11"),
    ]
    chart = soup.find(id="three-one").find_next("svg")
    assert chart["aria-label"].endswith("：" + "，".join(f"{r['会议']} {r['已召开']}次/{r['应召开']}次" for r in rows))


def test_the_current_year_counts_up_to_the_builds_day(site):
    soup = page(site, "orgs/east/2026/")
    assert "数字截至 2026年7月15日" in text(soup.select_one(".dj-report"))
    rows = {r["会议"]: r for r in table(soup, "2026 年三会一课").rows}
    assert rows["主题党日"]["已召开"] == "1" and rows["主题党日"]["未到期"] == "6"  # July..December


def test_rankings_of_the_year_as_the_ranking_page_has_them(site):
    rows = table(page(site, "orgs/east/2026/"), "2026 年工作排位名次").rows
    assert [(r["期次"], r["名次"]) for r in rows] == [("2026-Q1", "第 1 名")]


# --- people: only what the org page publishes ----------------------------------------------------------------
def test_headcount_is_shown_only_where_the_years_party_membership_is_published(site):
    for org in ("east", "west", "tiny", "town"):
        found = [t for t in tables(page(site, f"orgs/{org}/")) if t.label == "历年党员人数"]
        published = bool(found) and found[0].row("年份", "2025 年末")["党员人数"].isdigit()
        shown = facts(site, f"orgs/{org}/2025/", 2025)["参加人次"]
        assert (shown != "不公布") == published, (org, shown)
    assert facts(site, "orgs/tiny/2025/", 2025)["参加人次"] == "不公布"  # one person: their attendance
    assert facts(site, "orgs/town/2025/", 2025)["参加人次"] == "33"


def test_average_and_stars_are_the_org_pages_own_and_only_for_its_year(site):
    for org in ("town", "east"):
        stats = page(site, f"orgs/{org}/").select(".dj-stat")
        shown = {text(s.select_one(".dj-stat__label")): text(s.select_one(".dj-stat__value")) for s in stats}
        stat = page(site, f"orgs/{org}/2026/").find(id="scores").find_next(class_="dj-stat")
        assert text(stat.select_one(".dj-stat__value")) == shown["2026 年平均积分"]
    assert shown["2026 年平均积分"] == "—"  # east: withheld on its page, so in its report
    old = page(site, "orgs/town/2025/").find(id="scores").find_next("p")
    assert "这一年不公布" in text(old) and not re.search(r"\d+\.\d\d", text(old))
    stars = table(page(site, "orgs/town/2026/"), "2026 年党员积分星级分布")
    on_page = table(page(site, "orgs/town/"), "2026 年党员积分星级分布")
    assert [r["人数"] for r in stars.rows] == list(on_page.rows[0].values())


def test_a_private_member_alone_in_a_branch_is_nowhere_and_counts_nowhere(site):
    for path in text_files(site):
        assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    tiny = page(site, "orgs/tiny/2025/")
    figures = facts(site, "orgs/tiny/2025/", 2025)
    assert figures["参加人次"] == "不公布" and figures["获得表彰"] == "0"
    assert tiny.find(id="scores").find_next(class_="dj-stat") is None or "少于" in text(tiny.find(id="scores").parent)
    # No star band or average of fewer than five on any report, and no honour count a private member is in.
    for soup in (page(site, u) for u in ("orgs/town/2025/", "orgs/town/2026/", "orgs/east/2026/", "reports/2025/")):
        for t in tables(soup):
            if "星级分布" in t.label:
                for row in t.rows:
                    assert row["人数"] in ("少于5人", "—") or int(row["人数"]) >= 5
    compare = {r["单位"]: r for r in table(page(site, "reports/2025/"), "2025 年各单位对比").rows}
    assert compare["小岭村党支部"]["参加人次"] == "不公布" and compare["小岭村党支部"]["表彰"] == "0"
    assert compare["东村党支部"]["表彰"] == "2"


# --- the demo -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from conftest import REPO

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(int(TODAY.timestamp())))
        return build_site(REPO, tmp_path_factory.mktemp("reports-demo") / "site")


def test_the_demo_compares_haian_and_huzhou_in_2016(demo):
    rows = {r["单位"]: r for r in table(page(demo, "reports/2016/"), "2016 年各单位对比").rows}
    assert set(rows) == {"中共海安市委员会", "中共湖州市委员会"}  # the others recorded nothing in 2016
    # 海安's 党课名师 in three villages (registry/activities/haian/haian-dangke-2016.yaml): ten 党课, 247 人次
    assert rows["中共海安市委员会"]["活动次数"] == "10" and rows["中共海安市委员会"]["参加人次"] == "247"
    kinds = table(page(demo, "orgs/haian/2016/"), "2016 年各类活动次数").rows
    assert kinds == [{"类别": "党课", "次数": "10"}]
    links = page(demo, "orgs/haian/").find(id="reports").find_next("p")
    assert "2016 年" in [text(a) for a in links.find_all("a")]
