"""Venues (场所) on the built site, read as a reader does: /venues/ grouped by the level of the org keeping them,
each venue's page (its facts, the activities held there), the org page's 场所, the month page's link from an
activity to its venue, the open data (no phone column), and a hostile name staying text."""

from __future__ import annotations

import json

from reading import tables, text
from site_helpers import article, build_site
from test_notices import section

TOWN_HALL = (
    "id: town-hall\nname: 测试镇党群服务中心\nkind: 党群服务中心\norg: town\naddress: 测试镇人民路 1 号\n"
    "hours: 周一至周五 8:30—17:00\n"
)
EAST_STATION = (
    "id: east-station\nname: 东村新时代文明实践站\nkind: 新时代文明实践站\norg: east\naddress: 东村村部二楼\n"
    "summary: 村里的**志愿服务**在这里集合。\nsource: 虚构\n"
)
ACTIVITIES = (
    "- id: east-2026-02-01\n  org: east\n  date: 2026-02-01\n  kind: 主题党日\n  title: 镇中心集中学习\n"
    "  headcount: 8\n  venue: town-hall\n"
    "- id: east-2026-02-08\n  org: east\n  date: 2026-02-08\n  kind: 志愿服务\n  title: 实践站集合\n"
    "  headcount: 6\n  venue: east-station\n"
    "- id: west-2026-02-09\n  org: west\n  date: 2026-02-09\n  kind: 党课\n  title: 西村党课\n  headcount: 9\n"
)
OVERLAY = {
    "registry/venues/town-hall.yaml": TOWN_HALL,
    "registry/venues/east/east-station.yaml": EAST_STATION,
    "registry/activities/east-2026-02.yaml": ACTIVITIES,
}


def names(parts) -> list[str]:
    return [text(li.find("a")) for part in parts for li in part.find_all("li")]


def test_venues_are_listed_by_the_level_of_their_org(registry, tmp_path):
    site = build_site(registry(OVERLAY), tmp_path / "site")
    body = article(site, "venues/")
    assert [text(h) for h in body.find_all("h2")] == ["党委的场所", "党支部的场所"]
    assert names(section(body, "党委的场所")) == ["测试镇党群服务中心"]
    assert names(section(body, "党支部的场所")) == ["东村新时代文明实践站"]


def test_a_venue_page_reads_its_facts_and_the_activities_held_there(registry, tmp_path):
    site = build_site(registry(OVERLAY), tmp_path / "site")
    body = article(site, "venues/town-hall/")
    facts = next(t.facts for t in tables(body) if t.label == "基本信息")
    assert facts["类别"] == "党群服务中心"
    assert facts["所属组织"] == "测试镇党委"
    assert facts["地址"] == "测试镇人民路 1 号"
    assert facts["开放时间"] == "周一至周五 8:30—17:00"
    held = section(body, "在这里举办的活动")
    assert "镇中心集中学习" in " ".join(text(p) for p in held)
    assert "实践站集合" not in " ".join(text(p) for p in held)
    station = article(site, "venues/east-station/")
    assert "村里的志愿服务在这里集合。" in "".join(text(p) for p in section(station, "简介")).replace(" ", "")
    assert "开放时间" not in next(t.facts for t in tables(station) if t.label == "基本信息")


def test_org_pages_and_month_pages_link_to_venues(registry, tmp_path):
    site = build_site(registry(OVERLAY), tmp_path / "site")
    assert names(section(article(site, "orgs/east/"), "场所")) == ["东村新时代文明实践站"]
    assert names(section(article(site, "orgs/town/"), "场所")) == ["测试镇党群服务中心"]
    assert section(article(site, "orgs/west/"), "场所") == []
    month = article(site, "activities/2026-02/")
    by_title = {}
    for li in month.select("ul.dj-timeline > li"):
        links = {text(a): a.get("href") for a in li.find_all("a")}
        by_title[next(t for t in ("镇中心集中学习", "实践站集合", "西村党课") if t in text(li))] = links
    assert by_title["镇中心集中学习"]["测试镇党群服务中心"] == "../../venues/town-hall/"
    assert by_title["实践站集合"]["东村新时代文明实践站"] == "../../venues/east-station/"
    assert not any(href.startswith("../../venues/") for href in by_title["西村党课"].values())


def test_open_data_has_the_declared_columns_and_no_phone(registry, tmp_path):
    site = build_site(registry(OVERLAY), tmp_path / "site")
    rows = json.loads((site / "api/venues.json").read_text(encoding="utf-8"))
    rows = rows["rows"] if isinstance(rows, dict) else rows
    assert [r["id"] for r in rows] == ["town-hall", "east-station"]
    assert set(rows[0]) >= {"id", "name", "kind", "org", "address", "hours"}
    assert not any("phone" in key or "tel" in key for r in rows for key in r)


def test_no_venues_no_pages(registry, tmp_path):
    site = build_site(registry(), tmp_path / "site")
    assert not (site / "venues").exists()


def test_a_hostile_venue_name_stays_text(registry, tmp_path):
    hostile = TOWN_HALL.replace("测试镇党群服务中心", "'<script>alert(1)</script>中心'")
    site = build_site(registry({**OVERLAY, "registry/venues/town-hall.yaml": hostile}), tmp_path / "site")
    for url in ("venues/", "venues/town-hall/", "orgs/town/", "activities/2026-02/"):
        body = article(site, url)
        assert body.find("script") is None, url
        assert "<script>alert(1)</script>中心" in text(body), url


def test_one_heading_per_org_kind_wherever_its_orgs_sit(registry, tmp_path):
    """A 党支部 under the town and a 党支部 under a 党总支 share one heading, after the town's 党委."""
    overlay = {
        **OVERLAY,
        "registry/orgs/north.yaml": "id: north\nname: 北片党总支\nkind: 党总支\nparent: town\ndomain: 农村\n",
        "registry/orgs/north-a.yaml": "id: north-a\nname: 北甲村党支部\nkind: 党支部\nparent: north\ndomain: 农村\n",
        "registry/venues/north-a-hall.yaml": (
            "id: north-a-hall\nname: 北甲村文化礼堂\nkind: 其他\norg: north-a\naddress: 北甲村\n"
        ),
    }
    body = article(build_site(registry(overlay), tmp_path / "site"), "venues/")
    assert [text(h) for h in body.find_all("h2")] == ["党委的场所", "党支部的场所"]
    assert names(section(body, "党支部的场所")) == ["东村新时代文明实践站", "北甲村文化礼堂"]
