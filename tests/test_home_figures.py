"""The home page's figures of projects and activities, read under their labels as a reader does, are the registry's;
kept between builds (`home.COUNTS`), they follow an activity added in a new year as a cold build does."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_minimal
from site_helpers import build_site, page
from test_kept_pages import assert_same_tree
from dangjian.site.build import build
from dangjian.history import History
from dangjian.site.calendars import is_planned
from dangjian.validate import validate


def figures(site: Path) -> dict[str, str]:
    """Each figure on the home page: its label → the value shown above it."""
    shown = {}
    for stat in page(site, "").select(".dj-stat"):
        label = stat.select_one(".dj-stat__label")
        value = stat.select_one(".dj-stat__value")
        assert label is not None and value is not None
        shown[label.get_text(strip=True)] = value.get_text(strip=True)
    return shown


def test_the_home_page_counts_the_projects_and_the_latest_year_s_activities(tmp_path: Path) -> None:
    root = copy_minimal(tmp_path / "root")
    site = build_site(root, tmp_path / "site")
    reg = validate(root).registry
    held = [a for a in reg.all("activity") if not is_planned(a)]
    year = max(a["date"].year for a in held)
    shown = figures(site)
    assert shown["书记项目"] == str(len(reg.all("project")))
    assert shown[f"{year} 年活动"] == str(sum(a["date"].year == year for a in held))

    # an activity held in a later year: the figure moves to that year, as a cold build shows it
    later = year + 1
    folder = root / "registry" / "activities"
    (folder / f"added-{later}.yaml").write_text(
        f"- id: added-{later}\n  org: {held[0]['org']}\n  date: {later}-01-05\n"
        "  kind: 主题党日\n  title: 新一年的学习\n  headcount: 3\n",
        encoding="utf-8",
    )
    assert validate(root).ok
    build(root, site, with_search=False, history=History.empty())
    shown = figures(site)
    assert shown[f"{later} 年活动"] == "1" and f"{year} 年活动" not in shown
    build(root, tmp_path / "cold", with_search=False, history=History.empty(), cold=True)
    assert_same_tree(site, tmp_path / "cold")
