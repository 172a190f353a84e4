"""三会一课 on the built site, read as a reader does: the org page's year grid (each state under its meeting's
heading, in its month's row), the overdue flag on the org tree and the list on the home page.

The build's day is fixed with SOURCE_DATE_EPOCH (2026-07-15): June has ended, July has not.
"""

from __future__ import annotations

import datetime

import pytest

from conftest import MINIMAL, apply_overlay, copy_minimal
from dangjian.validate import validate
from reading import tables, text
from site_helpers import build_site, page

TODAY = datetime.datetime(2026, 7, 15, 12, tzinfo=datetime.timezone.utc)
# east, 2026 (with the fixture's 主题党日 of 10 January): 主题党日 February..June but not April; 支委会 every
# month to June but March; 支部党员大会 on 31 March; 党课 in Q2. west (founded 1 May 2026): nothing.
EAST = [
    ("2026-02-03", "主题党日"),
    ("2026-03-03", "主题党日"),
    ("2026-05-03", "主题党日"),
    ("2026-06-03", "主题党日"),
    ("2026-07-20", "主题党日"),  # after the build's day: not held yet
    *((f"2026-{m:02d}-11", "支部委员会") for m in (1, 2, 4, 5, 6)),
    ("2026-03-31", "支部党员大会"),
    ("2026-04-30", "党课"),
]


def _activities() -> str:
    return "".join(
        f"- id: east-3-1-{n}\n  org: east\n  date: {day}\n  kind: {kind}\n  title: <i>会</i>\n"
        for n, (day, kind) in enumerate(EAST)
    )


WEST = "id: west\nname: 西村党支部<b>\nkind: 党支部\nparent: town\ndomain: 农村\nfounded: 2026-05-01\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = copy_minimal(tmp_path_factory.mktemp("three-one") / "root")
    apply_overlay(root, {"registry/activities/three-one.yaml": _activities(), "registry/orgs/west.yaml": WEST})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", str(int(TODAY.timestamp())))
        return build_site(root, tmp_path_factory.mktemp("three-one-site") / "site")


def _grid(site, org: str):
    found = [t for t in tables(page(site, f"orgs/{org}/")) if t.label == "2026 年三会一课召开情况"]
    assert len(found) == 1, [t.label for t in tables(page(site, f"orgs/{org}/"))]
    return {row["月份"]: row for row in found[0].rows}


def test_each_months_state_is_under_its_meetings_heading(site):
    grid = _grid(site, "east")
    assert list(grid) == [f"{m} 月" for m in range(1, 13)]
    assert grid["4 月"]["主题党日"] == "缺"  # ended before the build's day, not held
    assert grid["3 月"]["支委会"] == "缺"
    assert grid["6 月"]["主题党日"] == "已召开"
    assert grid["7 月"]["主题党日"] == "未到期"  # held on the 20th: after today, and July is not over
    assert grid["12 月"]["支委会"] == "未到期"
    # a quarter's cell spans its three months, and says which quarter
    assert grid["1 月"]["党员大会"] == grid["3 月"]["党员大会"] == "已召开 一季度"
    assert grid["5 月"]["党课"] == "已召开 二季度" and grid["2 月"]["党课"] == "缺 一季度"


def test_the_years_figures_are_above_the_grid(site):
    body = page(site, "orgs/east/").find(id="three-one").find_next("p").get_text()
    # due 32; held: 主题党日 5 (January..June but April), 支委会 5, 党员大会 Q1, 党课 Q2 → 12; missing: 主题党日
    # April, 支委会 March, 党员大会 Q2, 党课 Q1 → 4; open: July..December and Q3, Q4 → 6 + 6 + 2 + 2
    assert body == "2026 年应召开 32 次，已召开 12 次，缺 4 次，未到期 16 次。"


def test_an_org_founded_in_may_owes_nothing_before(site):
    grid = _grid(site, "west")
    assert grid["4 月"]["主题党日"] == "—" and grid["5 月"]["主题党日"] == "缺"
    assert grid["1 月"]["党员大会"] == "— 一季度" and grid["4 月"]["党员大会"] == "— 二季度"  # Q2 began before May


def test_the_org_tree_flags_overdue_branches(site):
    tree = page(site, "orgs/")
    flags = {
        text(node.find("a")): text(node.find(class_="dj-badges", recursive=False))
        for node in tree.select(".dj-leaf, .dj-branch")
        if node.find(class_="dj-badges", recursive=False)  # its own flag, not its children's
    }
    assert flags == {"东村党支部": "三会一课缺 4 次", "西村党支部<b>": "三会一课缺 4 次"}


def test_the_home_page_lists_overdue_orgs_most_missing_first(site):  # ties: by id
    home = page(site, "")
    (table,) = [t for t in tables(home) if t.label == "三会一课有缺项的组织"]
    assert table.rows == [
        {"组织": "东村党支部", "年度": "2026", "缺项": "党员大会 1 次、支委会 1 次、党课 1 次、主题党日 1 次"},
        {"组织": "西村党支部<b>", "年度": "2026", "缺项": "支委会 2 次、主题党日 2 次"},
    ]


def test_the_town_page_lists_the_branches_it_does_not_hold_meetings_for(site):
    town = page(site, "orgs/town/")
    assert not [t for t in tables(town) if t.label.endswith("三会一课召开情况")]  # a 党委 has no grid
    (table,) = [t for t in tables(town) if t.label == "下级组织三会一课缺项"]
    assert [row["组织"] for row in table.rows] == ["东村党支部", "西村党支部<b>"]


def test_no_member_is_named_in_any_three_one_part(site):
    """Meetings are org figures: the grid, the lists and the flags name orgs and dates, never a member (the
    fixture's activities have attendees, private ones among them)."""
    members = validate(MINIMAL).registry.members
    names = {m["name"] for m in members.values()}
    heading = page(site, "orgs/east/").find(id="three-one")
    section = [heading, *(s for s in _until_next_h2(heading))]
    parts = [*section, page(site, "orgs/").select_one(".dj-tree")]
    parts += [t.element for t in tables(page(site, "")) if t.label == "三会一课有缺项的组织"]
    html = "".join(str(part) for part in parts)
    assert names and "2026 年三会一课召开情况" in html and "三会一课缺 4 次" in html
    assert [name for name in names if name in html] == []
    assert members["m-east-sec"]["name"] in str(page(site, "orgs/east/"))  # the page names its secretary elsewhere


def _until_next_h2(heading):
    for sibling in heading.find_next_siblings():
        if sibling.name == "h2":
            return
        yield sibling


def test_an_org_not_existing_in_its_year_shows_no_grid(tmp_path, monkeypatch):
    root = copy_minimal(tmp_path / "root")
    west = "id: west\nname: 西村党支部\nkind: 党支部\nparent: town\ndomain: 农村\ndissolved: 2025-03-01\n"
    apply_overlay(root, {"registry/orgs/west.yaml": west})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(TODAY.timestamp())))
    site = build_site(root, tmp_path / "site")
    assert page(site, "orgs/west/").find(id="three-one") is None  # dissolved in 2025, checked in 2026
    assert _grid(site, "east")["1 月"]["主题党日"] == "已召开"
