"""Calendars on the built demo site, read as a reader reads them: the org page's 定期活动 and 活动日历 with its
subscription link, planned activities kept out of 最近的活动 and listed apart under 计划 on month pages, and the
.ics files beside the pages (the build's day fixed with SOURCE_DATE_EPOCH)."""

from __future__ import annotations

import datetime
import posixpath
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import Tag
from icalendar import Calendar

from conftest import REPO, apply_overlay, copy_minimal
from reading import text
from site_helpers import article, build_site, page
from test_calendar import rfc5545_essentials
from dangjian.model import is_public
from dangjian.site.build import BuildError
from dangjian.validate import validate

TODAY = datetime.date(2026, 12, 1)
BRANCH = "huzhou-nanxun-changchao"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("demo")
    for part in ("registry", "content"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    epoch = int(datetime.datetime.combine(TODAY, datetime.time(12), datetime.timezone.utc).timestamp())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(epoch))
        yield build_site(root, root / "site")


def resolve(here: str, href: str) -> str:
    """A relative link as a path from the site's root."""
    return posixpath.normpath(posixpath.join(here, href))


def section(body: Tag, heading: str) -> list[Tag]:
    """The elements between the `<h2>` named `heading` and the next `<h2>`."""
    h2 = next(h for h in body.find_all("h2") if text(h) == heading)
    found = []
    for sibling in h2.find_next_siblings():
        if sibling.name == "h2":
            break
        found.append(sibling)
    return found


def items(elements: list[Tag]) -> list[str]:
    return [text(li) for element in elements for li in element.find_all("li")]


def planned(org: str | None = None, month: str | None = None) -> list[dict]:
    reg = validate(REPO).registry
    return sorted(
        (
            a.data
            for a in reg.all("activity")
            if a.get("planned") is True
            and (org is None or a["org"] == org)
            and (month is None or a["date"].strftime("%Y-%m") == month)
        ),
        key=lambda a: (a["date"], a["id"]),
    )


def test_the_org_page_shows_its_plans_and_links_its_calendar(site: Path) -> None:
    body = article(site, f"orgs/{BRANCH}/")
    recurring = items(section(body, "定期活动"))
    assert len(recurring) == 1
    assert "每月第一个星期六" in recurring[0] and "红色星期六" in recurring[0]
    assert "下一次：2026年12月5日" in recurring[0]  # the first Saturday after the build's day
    assert "（中共湖州市南浔区委员会统一安排）" in recurring[0].replace(
        " ", ""
    )  # declared once on the district, `below: true`
    calendar = section(body, "活动日历")
    link = next(a for e in calendar for a in e.find_all("a") if text(a) == "订阅日历")
    assert resolve(f"orgs/{BRANCH}/", link["href"]) == f"orgs/{BRANCH}/calendar.ics"
    assert (site / f"orgs/{BRANCH}/calendar.ics").is_file()
    assert any("手机日历" in text(e) for e in calendar)
    coming = items(calendar)
    expected = [a for a in planned(BRANCH) if a["date"] >= TODAY][:12]
    assert len(coming) == len(expected)
    for line, activity in zip(coming, expected):
        day = activity["date"]
        assert line.startswith(f"{day.year}年{day.month}月{day.day}日") and activity["title"] in line
        assert "计划" in line
    alternate = page(site, f"orgs/{BRANCH}/").find("link", rel="alternate", type="text/calendar")
    assert alternate is not None and resolve(f"orgs/{BRANCH}/", alternate["href"]) == f"orgs/{BRANCH}/calendar.ics"


def test_planned_activities_are_not_among_the_recent_ones(site: Path) -> None:
    body = article(site, f"orgs/{BRANCH}/")
    recent = " ".join(items(section(body, "最近的活动")))
    assert recent
    for activity in planned(BRANCH):
        assert activity["title"] not in recent
    timeline = text(article(site, f"orgs/{BRANCH}/activities/"))  # the org's full list of held activities
    assert "红色星期六：学党章党规" in timeline
    assert not [a for a in planned(BRANCH) if a["title"] in timeline]


def test_a_month_lists_its_plans_apart(site: Path) -> None:
    body = article(site, "activities/2027-03/")
    plans = items(section(body, "计划"))
    expected = planned(month="2027-03")
    assert len(plans) == len(expected) > 0
    names = {"huzhou-nanxun-changchao": "长超村党支部", "changzhou-jiayidu": "嘉壹度创新工场党支部"}
    for line, activity in zip(plans, expected):
        assert activity["title"] in line and names[activity["org"]] in line
    assert "这个月没有登记活动" not in text(body)  # plans only: no empty notice above them
    index = text(article(site, "activities/"))
    assert f"3 月 · 计划 {len(expected)}" in index  # no held activity: no 0


def test_the_site_feed_and_every_org_feed_are_beside_the_pages(site: Path) -> None:
    cal = rfc5545_essentials((site / "calendar.ics").read_bytes())
    ids = {str(e["UID"]).split("@")[0] for e in cal.walk("VEVENT")}
    assert ids == {a["id"] for a in planned() if a["date"] >= TODAY}
    for org in validate(REPO).registry.orgs:
        Calendar.from_ical((site / f"orgs/{org}/calendar.ics").read_bytes())
    link = next(a for a in article(site, "activities/").find_all("a") if text(a) == "订阅日历")
    assert resolve("activities/", link["href"]) == "calendar.ics"


def test_a_private_id_that_only_a_calendar_would_publish_stops_the_build(tmp_path: Path) -> None:
    """An activity's id goes into its UID and nowhere else on the site: named like a private member (ids are
    unique per kind only), the privacy gate finds it in the .ics files and nothing is published."""
    root = copy_minimal(tmp_path / "reg")
    reg = validate(root).registry
    private = next(m.id for m in reg.members.values() if not is_public(m))
    plan = (
        f"- id: {private}\n  org: east\n  date: 2099-03-06\n  kind: 主题党日\n  title: 三月主题党日\n  planned: true\n"
    )
    apply_overlay(root, {"registry/activities/plans.yaml": plan})
    assert validate(root).ok
    with pytest.raises(BuildError) as caught:
        build_site(root, tmp_path / "site")
    assert "orgs/east/calendar.ics" in str(caught.value) and "calendar.ics：" in str(caught.value)
    assert not (tmp_path / "site").exists()
