"""Honours (表彰与创评) on the site, read as a reader does: /honours/ by year and level, each recipient's page,
the open data; and privacy: a private member's honour is never shown as itself, only in a count of five or
more, and nothing on the site (page, export, search index) gives a smaller count away."""

from __future__ import annotations

import datetime
import json
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, copy_minimal, apply_overlay
from reading import Table, tables, text
from site_helpers import article, build_site, every_text, index_scanned
from test_site_privacy import forms
from dangjian.model import Registry, is_public
from dangjian.recordtypes import HONOUR_LEVELS
from dangjian.site.build import content_environment
from dangjian.site.data import SiteData
from dangjian.site.kinds import honour as honour_kind
from dangjian.suppression import THRESHOLD
from dangjian.validate import validate


def _cn_date(value: datetime.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def year_tables(body: BeautifulSoup) -> dict[int, Table]:
    """/honours/'s tables by the year their caption names."""
    found = {}
    for table in tables(body):
        match = re.fullmatch(r"(\d{4})年的表彰与创评", table.label)
        if match:
            found[int(match.group(1))] = table
    return found


# --- the demo ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Registry, Path]:
    root = tmp_path_factory.mktemp("demo") / "registry"
    for part in ("registry", "content"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    checked = validate(root)
    assert not checked.problems, checked.problems
    return checked.registry, build_site(root, root.parent / "site")


def _recipient(reg: Registry, honour) -> str | None:
    """The recipient as /honours/ names it: the org's name, a public member's name; None for a private one."""
    if honour.get("org"):
        return reg.orgs[honour["org"]]["name"]
    member = reg.members[honour["member"]]
    return member["name"] if is_public(member) else None


def test_every_shown_honour_is_on_honours_under_its_year_with_each_field_under_its_heading(demo):
    reg, site = demo
    by_year = year_tables(article(site, "honours/"))
    shown = [h for h in reg.all("honour") if _recipient(reg, h) is not None]
    assert shown and {h["year"] for h in shown} <= set(by_year)
    for honour in shown:
        rows = [r for r in by_year[honour["year"]].rows if r["获得者"] == _recipient(reg, honour)]
        rows = [r for r in rows if r["名称"] == honour["name"] and r["级别"] == f"{honour['level']}级"]
        assert len(rows) == 1, (honour.file, honour.data)
        row = rows[0]
        assert row["授予单位"] == honour["giver"]
        assert row["授予日期"] == (_cn_date(honour["date"]) if honour.get("date") else "")
        assert row["来源"] == honour.get("source", "")
    # every declared page field is met at least once among them, so none is checked by nothing
    for name in ("org", "member", "date", "source"):
        assert any(h.get(name) for h in shown), name


def test_honours_go_newest_year_first_then_level_from_the_top(demo):
    reg, site = demo
    by_year = year_tables(article(site, "honours/"))
    assert list(by_year) == sorted(by_year, reverse=True)
    for table in by_year.values():
        levels = [HONOUR_LEVELS.index(level.removesuffix("级")) for level in table.cells("级别")]
        assert levels == sorted(levels)
    assert by_year[2016].cells("级别")[0] == "市级"  # 湖州's 市级 before 海安's and 南浔's 县级


def test_the_demo_counts_its_private_members_honour_without_naming_them(demo):
    """草塔's 2015 镇级 优秀共产党员: one public secretary named, six private members as a count; its 党员示范户
    went to two private members and a public one: the public one is named, the two are not counted."""
    reg, site = demo
    rows = year_tables(article(site, "honours/"))[2015].rows
    excellent = [r["获得者"] for r in rows if r["名称"] == "优秀共产党员"]
    assert excellent == ["赵国良", "6 名党员（不公开姓名）"]
    households = [r["获得者"] for r in rows if r["名称"] == "党员示范户"]
    assert households == ["宣志明"]
    page = text(article(site, "honours/"))
    for honour in reg.all("honour"):
        member = reg.members.get(honour.get("member"))
        if member is not None and not is_public(member):
            assert member["name"] not in page and member.id not in page


def _honours_section(site: Path, address: str) -> Table | None:
    found = [t for t in tables(article(site, address)) if t.label == "获得的表彰与创评"]
    return found[0] if found else None


def test_an_org_page_lists_its_own_honours(demo):
    reg, site = demo
    for org_id, org in reg.orgs.items():
        own = [h for h in reg.all("honour") if h.get("org") == org_id]
        table = _honours_section(site, f"orgs/{org_id}/")
        if not own:
            assert table is None, org_id  # nor a member's honour: those are on the member's own page
            continue
        assert table is not None, org_id
        assert [(r["年度"], r["级别"], r["名称"], r["授予单位"]) for r in table.rows] == [
            (str(h["year"]), f"{h['level']}级", h["name"], h["giver"]) for h in honour_kind.listed(reg) if h in own
        ]
    assert _honours_section(site, "orgs/haian-fengchan/").rows == [
        {"年度": "2016", "级别": "县级", "名称": "农村基层党建示范标杆", "授予单位": "中共海安县委"}
    ]


def test_a_public_member_page_lists_their_honours(demo):
    reg, site = demo
    checked = 0
    for honour in reg.all("honour"):
        member = reg.members.get(honour.get("member"))
        if member is None or not is_public(member):
            continue
        table = _honours_section(site, f"members/{member.id}/")
        assert table is not None, member.id
        assert {"年度": str(honour["year"]), "级别": f"{honour['level']}级", "名称": honour["name"]}.items() <= next(
            r for r in table.rows if r["名称"] == honour["name"]
        ).items()
        checked += 1
    assert checked >= 5


def test_org_labels_moved_to_honours_and_still_valid(demo, registry):
    """The demo's free-text labels are honours with years now; a registry that still writes labels is valid
    and shows them as before (format 1.1)."""
    reg, _ = demo
    assert not any(org.get("labels") for org in reg.orgs.values())
    root = registry()
    assert validate(root).problems == []
    assert validate(root).registry.orgs["east"]["labels"] == ["五好党支部"]


def test_the_open_data_holds_org_and_public_members_honours_only(demo):
    reg, site = demo
    rows = json.loads((site / "api/honours.json").read_text(encoding="utf-8"))
    expected = [h for h in honour_kind.listed(reg) if _recipient(reg, h) is not None]
    assert len(rows) == len(expected) < len(reg.all("honour"))
    for row, honour in zip(rows, expected):
        assert (row["name"], row["level"], row["year"], row["giver"]) == (
            honour["name"],
            honour["level"],
            honour["year"],
            honour["giver"],
        )
        assert row["org"] == honour.get("org")
        assert row["member"] == (reg.members[honour["member"]]["name"] if honour.get("member") else None)
    csv = (site / "api/honours.csv").read_text(encoding="utf-8-sig")
    assert csv.splitlines()[0] == "name,level,year,giver,org,member,date,source"
    assert len(csv.splitlines()) == len(rows) + 1


# --- privacy: a planted registry -----------------------------------------------------------------------------

SECRET = [("m-sec-jia", "甄甲秘"), ("m-sec-yi", "甄乙秘"), ("m-sec-bing", "甄丙秘"), ("m-sec-ding", "甄丁秘")]
CROWD = [(f"m-crowd-{n}", f"众人{'一二三四五六'[n]}秘") for n in range(6)]


def _roster(people: list[tuple[str, str]]) -> str:
    return "".join(
        f"- id: {member_id}\n  name: {name}\n  org: west\n  status: 正式党员\n  joined: 2001-07-01\n"
        for member_id, name in people
    )


def _honour(name: str, member: str, year: int = 2026, giver: str = "中共测试镇委员会", source: str = "") -> str:
    line = f"- name: {name}\n  level: 镇\n  year: {year}\n  giver: {giver}\n  member: {member}\n"
    return line + (f"  source: {source}\n" if source else "")


def planted(root: Path) -> Path:
    """The minimal registry with four private members honoured in ways that must stay unseen, six private
    members sharing one honour (a count of six may show), and a public member and an org honoured."""
    hidden = "".join(
        [
            _honour("甲乙特别奖", "m-sec-jia", giver="秘密授予单位", source="秘密来源甲"),  # one private: unseen
            _honour("红旗标兵", "m-sec-yi"),
            _honour("红旗标兵", "m-sec-bing"),
            _honour("红旗标兵", "m-sec-ding"),  # three private 红旗标兵 of 2026 beside a public one
            _honour("红旗标兵", "m-east-sec"),
            _honour("红旗标兵", "m-sec-jia", year=2025),
        ]
    )
    crowd = "".join(_honour("优秀共产党员", member_id, source="秘密来源乙") for member_id, _ in CROWD)
    org = "- name: 五好党支部\n  level: 县\n  year: 2026\n  giver: 中共测试县委\n  org: east\n"
    return apply_overlay(
        root,
        {
            "registry/members/secret.yaml": _roster(SECRET + CROWD),
            "registry/honours/2026.yaml": hidden + crowd + org,
        },
    )


@pytest.fixture(scope="module")
def secret_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = planted(copy_minimal(tmp_path_factory.mktemp("secret") / "root"))
    checked = validate(root)
    assert not checked.problems, checked.problems
    return build_site(root, root.parent / "site", search=True)


def test_private_members_honours_reach_no_page_export_or_search_index(secret_site):
    texts = dict(every_text(secret_site))
    assert index_scanned(texts), "the search index was scanned"
    assert any("五好党支部" in t for t in texts.values()), "org honours are shown (the test can fail)"
    secrets = [name for _, name in SECRET + CROWD] + [member_id for member_id, _ in SECRET + CROWD]
    # a private honour's own words: its name when no count shows it, its giver and its source
    secrets += ["甲乙特别奖", "秘密授予单位", "秘密来源甲", "秘密来源乙"]
    for secret in secrets:
        for form in forms(secret):
            hits = [p for p, t in texts.items() if form in t]
            assert hits == [], f"{secret!r} as {form!r} leaked into {hits}"


def test_only_a_count_of_five_or_more_shows(secret_site):
    rows = year_tables(article(secret_site, "honours/"))[2026].rows
    assert [(r["名称"], r["获得者"]) for r in rows] == [
        ("五好党支部", "东村党支部"),
        ("优秀共产党员", "6 名党员（不公开姓名）"),
        ("红旗标兵", "王东方"),  # three private 红旗标兵 beside him: not counted, not hinted at
    ]
    counted = next(r for r in rows if r["名称"] == "优秀共产党员")
    assert counted["来源"] == "" and counted["授予单位"] == "中共测试镇委员会"
    assert 2025 not in year_tables(article(secret_site, "honours/"))  # its one honour went to a private member


def test_the_export_has_no_private_members_honour(secret_site):
    rows = json.loads((secret_site / "api/honours.json").read_text(encoding="utf-8"))
    assert [(r["name"], r["org"], r["member"]) for r in rows] == [
        ("五好党支部", "east", None),
        ("红旗标兵", None, "王东方"),
    ]


# --- a property: whoever is private, the page names none of them and counts none under five ----------------

NAMES = [f"试{c}{d}" for c in "甲乙丙丁戊" for d in "子丑寅卯辰"]  # 25 people, each name unique on the page
HONOURS = ["先锋岗", "示范岗", "示范户"]


@st.composite
def honoured(draw: st.DrawFn) -> tuple[list[bool], list[tuple[int, int, str, str]]]:
    """Who is public (by index), and honours as (member index, year, level, name), each at most once."""
    public = draw(st.lists(st.booleans(), min_size=len(NAMES), max_size=len(NAMES)))
    keys = st.tuples(
        st.integers(0, len(NAMES) - 1),
        st.sampled_from([2024, 2025]),
        st.sampled_from(["县", "镇"]),
        st.sampled_from(HONOURS),
    )
    return public, draw(st.lists(keys, max_size=60, unique=True))


def _registry_of(root: Path, public: list[bool], honours: list[tuple[int, int, str, str]]) -> Registry:
    roster = "".join(
        f"- id: m-p{n}\n  name: {name}\n  org: west\n  status: 正式党员\n  joined: 2001-07-01\n"
        f"  public: {'true' if public[n] else 'false'}\n"
        for n, name in enumerate(NAMES)
    )
    listed = "".join(
        f"- name: {name}\n  level: {level}\n  year: {year}\n  giver: 授予单位\n  member: m-p{n}\n"
        for n, year, level, name in honours
    )
    overlay = {"registry/members/people.yaml": roster}
    if listed:  # an empty file is a problem of its own
        overlay["registry/honours/all.yaml"] = listed
    apply_overlay(root, overlay)
    checked = validate(root)
    assert not checked.problems, checked.problems
    return checked.registry


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=honoured())
def test_the_page_never_names_a_private_member_nor_counts_under_five(tmp_path_factory, case) -> None:
    public, honours = case
    root = copy_minimal(tmp_path_factory.mktemp("prop") / "root")
    data = SiteData(_registry_of(root, public, honours), datetime.date(2026, 6, 1))
    [page] = honour_kind.pages(data)
    html = content_environment(data).get_template(page.template).render(page.context, rel=lambda url: url)
    body = BeautifulSoup(html, "html.parser")
    words = text(body)
    for n, name in enumerate(NAMES):
        assert (name in words) == (public[n] and any(h[0] == n for h in honours)), name
        assert f"m-p{n}/" not in html or public[n]
    private = {}
    for n, year, level, name in honours:
        if not public[n]:
            private[(year, f"{level}级", name)] = private.get((year, f"{level}级", name), 0) + 1
    counts = {}
    for year, table in year_tables(body).items():
        for row in table.rows:
            match = re.fullmatch(r"(\d+) 名党员（不公开姓名）", row["获得者"])
            if match:
                counts[(year, row["级别"], row["名称"])] = int(match.group(1))
    assert counts == {key: n for key, n in private.items() if n >= THRESHOLD}
    # no other figure: every number on the page is a year, the threshold, or one of those counts
    numbers = {int(n) for n in re.findall(r"\d+", words)}
    assert numbers <= {2024, 2025, THRESHOLD, *counts.values()}


def _rendered(data: SiteData, page) -> BeautifulSoup:
    html = content_environment(data).get_template(page.template).render(page.context, rel=lambda url: url)
    return BeautifulSoup(html, "html.parser")


def test_many_honours_are_listed_a_year_a_page(demo, monkeypatch):
    """Past HONOURS_ON_ONE_PAGE rows (400; 2 here), /honours/<year>/ in pages of at most that many, /honours/
    showing the newest year's first; together the year pages hold exactly the rows of the one long page."""
    reg, _ = demo
    data = SiteData(reg, datetime.date(2026, 6, 1))
    [whole] = honour_kind.pages(data)
    every = [(y, r) for y, t in year_tables(_rendered(data, whole)).items() for r in t.rows]
    monkeypatch.setattr(honour_kind, "HONOURS_ON_ONE_PAGE", 2)
    split = list(honour_kind.pages(data))
    assert [p.url for p in split] == [
        "honours/",
        "honours/2018/",
        "honours/2016/",
        "honours/2016/2/",
        "honours/2016/3/",
        "honours/2016/4/",
        "honours/2015/",
        "honours/2015/2/",
        "honours/2015/3/",
        "honours/2014/",
        "honours/2011/",
        "honours/2010/",
    ]
    read = {p.url: year_tables(_rendered(data, p)) for p in split}
    assert all(len(t.rows) <= 2 for tables_of in read.values() for t in tables_of.values())
    assert [(y, r) for url, t in read.items() if url != "honours/" for y in t for r in t[y].rows] == every
    assert read["honours/"] and list(read["honours/"]) == [2018]
    years = _rendered(data, split[3]).find("nav", attrs={"aria-label": "按年度查看"})
    assert re.findall(r"\d{4}", text(years)) == ["2018", "2016", "2015", "2014", "2011", "2010"]
    assert text(years.find("strong")) == "2016"  # the page read is 2016's second


def test_a_registry_without_honours_has_an_empty_list_and_no_table(registry, tmp_path):
    site = build_site(registry(), tmp_path / "site")
    assert text(article(site, "honours/").find(class_="dj-empty")) == "还没有表彰记录。"
    assert not (site / "api/honours.json").exists() and not (site / "api/honours.csv").exists()
    assert (site / "api/orgs.json").exists()
