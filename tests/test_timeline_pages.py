"""Histories on the site (issue 20): a public member's 履历, an org's 沿革, party members by year-end (a chart and
its table) and 本年新发展党员, read as a reader does; and a private member's history reaching nothing.

The registry is the minimal one with an org that has a 沿革 (renamed, moved, listed as weak, paired, 转化), a
public member with a 履历 (the 发展党员 stages, a transfer, a post, 晋档, a flow out and its end), a public
member who left (去世, with a note), a private member whose history names a unique place and note, and enough
members without a history in 东村党支部 for its chart to show counts.
"""

from __future__ import annotations

import datetime
import itertools
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import apply_overlay, copy_minimal
from reading import tables, text
from site_helpers import article, build_site, every_text, index_scanned
from dangjian.suppression import THRESHOLD
from dangjian.svgcheck import svg_problems
from dangjian.validate import validate

EPOCH = "1796083200"  # 2026-12-01: the build's "today"
SUPPRESSED = f"少于{THRESHOLD}人"

HILL = """id: hill
name: 山岭党总支
kind: 党总支
domain: 农村
parent: town
founded: 2001-01-01
"""

NORTH = """id: north
name: 北岭甲乙村党支部
kind: 党支部
domain: 农村
parent: hill
founded: 2008-05-01
secretary: m-pub
history:
  - date: 2008-05-01
    name: 北岭村党支部
    parent: town
  - date: 2016-04-01
    name: 北岭甲乙村党支部
    parent: hill
    note: 沿革备注不公开甲
  - date: 2019-02-01
    weak: true
    benchmark: east
  - date: 2022-06-30
    weak: false
"""

PUBLIC = """- id: m-pub
  name: 钱履历
  org: north
  status: 正式党员
  joined: 2013-07-01
  posts: [书记]
  grade: 4A
  public: true
  history:
    - date: 2010-03-01
      status: 入党申请人
      org: west
    - date: 2011-03-01
      status: 入党积极分子
    - date: 2012-03-01
      status: 发展对象
    - date: 2013-07-01
      status: 预备党员
    - date: 2014-07-01
      status: 正式党员
    - date: 2016-05-01
      org: north
      note: 公开者备注不公开乙
    - date: 2016-06-01
      posts: [书记]
    - date: 2017-12-31
      grade: 3A
    - date: 2019-12-31
      grade: 4A
    - date: 2020-01-01
      flow: out
      place: 深圳南山
    - date: 2021-01-01
      flow: end
- id: m-pub-gone
  name: 周离开
  org: east
  status: 正式党员
  joined: 2000-07-01
  public: true
  history:
    - date: 2000-07-01
      status: 预备党员
      org: east
    - date: 2001-07-01
      status: 正式党员
    - date: 2019-09-09
      left: 去世
      note: 离开备注不公开戊
"""

SECRET_NAME, SECRET_ID, SECRET_PLACE, SECRET_NOTE = "孙隐私", "m-secret", "绝密流向地丙", "绝密备注内容丁"
SECRET_HISTORY = f"""  history:
    - date: 2005-07-01
      status: 预备党员
      org: west
    - date: 2006-07-01
      status: 正式党员
    - date: 2015-05-01
      org: north
    - date: 2018-03-01
      flow: out
      place: {SECRET_PLACE}
    - date: 2019-03-01
      flow: end
      note: {SECRET_NOTE}
"""
SECRET = f"""- id: {SECRET_ID}
  name: {SECRET_NAME}
  org: north
  status: 正式党员
  joined: 2005-07-01
  public: false
"""
NOTES = ("沿革备注不公开甲", "公开者备注不公开乙", "离开备注不公开戊")

SURNAMES, GIVEN = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨", "一二三四五六七八九十"


def bulk(org: str, joined: list[datetime.date], prefix: str = "b") -> str:
    """Private members without a history, one per `joined` date."""
    names = ("".join(pair) for pair in itertools.product(SURNAMES, GIVEN))
    return "".join(
        f"- id: m-{prefix}-{org}-{n}\n  name: {next(names)}\n  org: {org}\n  status: 正式党员\n  joined: {day}\n"
        for n, day in enumerate(joined)
    )


# East: 6 members joined long ago, then one a year from 2012 to 2025; West and North: 6 each, long ago (so that
# the town less East is never 1–4, and East's own figures can be shown).
EAST_BULK = bulk("east", [datetime.date(1995, 7, 1)] * 6 + [datetime.date(y, 7, 1) for y in range(2012, 2026)])
OTHERS_BULK = bulk("west", [datetime.date(1995, 7, 1)] * 6, "w") + bulk("north", [datetime.date(1995, 7, 1)] * 6, "n")


def overlay(secret_history: bool = True) -> dict[str, str]:
    return {
        "registry/orgs/hill.yaml": HILL,
        "registry/orgs/north.yaml": NORTH,
        "registry/members/hist.yaml": PUBLIC + SECRET + (SECRET_HISTORY if secret_history else ""),
        "registry/members/bulk.yaml": EAST_BULK + OTHERS_BULK,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = apply_overlay(copy_minimal(tmp_path_factory.mktemp("tl") / "root"), overlay())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return build_site(root, root.parent / "site", search=True)


# --- reading ---------------------------------------------------------------------------------------------
def timeline(body: Tag, label: str) -> list[tuple[str, str]]:
    """(ISO date, what) of each entry of the timeline under its heading."""
    heading = next((h for h in body.find_all("h2") if text(h) == label), None)
    if heading is None:
        return []
    listing = heading.find_next_sibling("ul")
    assert listing is not None and listing.get("aria-label") == label
    return [(li.time["datetime"], text(li.select_one(".dj-history__what"))) for li in listing.find_all("li")]


def stat(body: Tag, label: str) -> str | None:
    """The value shown above `label` among a page's figures."""
    for box in body.select(".dj-stat"):
        if text(box.select_one(".dj-stat__label")) == label:
            return text(box.select_one(".dj-stat__value"))
    return None


def membership(body: Tag) -> dict[str, str]:
    """The table 历年党员人数: year (年末) -> count as shown."""
    found = [t for t in tables(body) if t.label == "历年党员人数"]
    assert len(found) <= 1
    return {row["年份"]: row["党员人数"] for row in found[0].rows} if found else {}


def new_members(body: Tag) -> str | None:
    """The value of the figure 「<year> 年新发展党员」, whatever the year."""
    for box in body.select(".dj-stat"):
        if text(box.select_one(".dj-stat__label")).endswith(" 年新发展党员"):
            return text(box.select_one(".dj-stat__value"))
    return None


def chart(body: Tag) -> Tag | None:
    return body.select_one("svg.dj-chart--members")


# --- timelines ---------------------------------------------------------------------------------------------
def test_a_public_members_history_reads_in_plain_chinese(built: Path) -> None:
    body = article(built, "members/m-pub/")
    assert timeline(body, "履历") == [
        ("2010-03-01", "成为入党申请人；所在组织： 西村党支部"),
        ("2011-03-01", "成为入党积极分子"),
        ("2012-03-01", "列为发展对象"),
        ("2013-07-01", "接收为预备党员"),
        ("2014-07-01", "转为正式党员"),
        ("2016-05-01", "组织关系转入 北岭甲乙村党支部"),
        ("2016-06-01", "任书记"),
        ("2017-12-31", "书记星级评为 3A"),
        ("2019-12-31", "书记星级 3A → 4A（晋档）"),
        ("2020-01-01", "流出至 深圳南山"),
        ("2021-01-01", "流动结束"),
    ]
    transfer = body.find("time", datetime="2016-05-01").parent
    assert transfer.a["href"] == "../../orgs/north/"  # the org it moved to, linked


def test_leaving_shows_neither_its_kind_nor_any_note(built: Path) -> None:
    body = article(built, "members/m-pub-gone/")
    assert timeline(body, "履历")[-1] == ("2019-09-09", "离开")
    for page, content in every_text(built):
        for secret in ("去世", *NOTES):
            assert secret not in content, (secret, page)


def test_an_orgs_history_reads_with_its_links(built: Path) -> None:
    body = article(built, "orgs/north/")
    assert timeline(body, "沿革") == [
        ("2008-05-01", "成立；名称：北岭村党支部；上级组织： 测试镇党委"),
        ("2016-04-01", "更名：北岭村党支部 → 北岭甲乙村党支部；上级组织调整为 山岭党总支"),
        ("2019-02-01", "列为薄弱组织；与 东村党支部 结对帮扶"),
        ("2022-06-30", "完成转化，不再是薄弱组织（结对标杆： 东村党支部 ）"),
    ]
    links = {a["href"] for a in body.find("ul", attrs={"aria-label": "沿革"}).find_all("a")}
    assert links == {"../../orgs/town/", "../../orgs/hill/", "../../orgs/east/"}


def test_no_timeline_without_a_history(built: Path) -> None:
    assert timeline(article(built, "members/m-east-sec/"), "履历") == []
    assert timeline(article(built, "orgs/east/"), "沿革") == []


# --- a private member's history ---------------------------------------------------------------------------
def test_a_private_members_history_reaches_no_file(built: Path) -> None:
    texts = dict(every_text(built))
    assert index_scanned(texts), "the search index was scanned"
    assert any("深圳南山" in t for t in texts.values()), "a public member's flow is shown: the test can fail"
    for secret in (SECRET_NAME, SECRET_ID, SECRET_PLACE, SECRET_NOTE):
        assert [p for p, t in texts.items() if secret in t] == [], secret
    assert not (built / "members" / SECRET_ID).exists()


def _without_counts(html: str) -> str:
    """A page with the counts over time taken out (what a private member's history may change) and the search
    copy (it repeats the page's text)."""
    soup = BeautifulSoup(html, "html.parser")
    for part in soup.select(".dj-members-figure, .dj-members-table, .dj-members-note, .dj-new-members, [hidden]"):
        part.decompose()
    return str(soup)


def test_a_private_members_history_leaves_no_trace_but_in_counts(tmp_path: Path, monkeypatch) -> None:
    """Two builds differ only in the private member's history: every file is the same but the counts over time."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    sites = {}
    for written in (True, False):
        root = apply_overlay(copy_minimal(tmp_path / f"root-{written}"), overlay(secret_history=written))
        sites[written] = build_site(root, tmp_path / f"site-{written}")
    files = {w: sorted(p.relative_to(s).as_posix() for p in s.rglob("*") if p.is_file()) for w, s in sites.items()}
    assert files[True] == files[False]
    differing = []
    for rel in files[True]:
        a, b = ((sites[w] / rel).read_bytes() for w in (True, False))
        if a == b:
            continue
        differing.append(rel)
        assert rel.endswith(".html"), rel
        assert _without_counts(a.decode()) == _without_counts(b.decode()), rel
    # the history moves the private member between orgs over the years: some count may change, nothing else
    assert all(re.fullmatch(r"orgs/[^/]+/index\.html", rel) for rel in differing), differing


# --- counts over time -------------------------------------------------------------------------------------
def test_the_membership_table_and_chart_read_alike(built: Path) -> None:
    body = article(built, "orgs/east/")
    rows = membership(body)
    assert rows, "東村's chart is shown"
    svg = chart(body)
    assert svg is not None
    assert list(svg_problems("chart.svg", str(svg).encode())) == []
    label = svg["aria-label"]
    for year, shown in rows.items():
        point = year.removesuffix(" 年末")
        assert f"{point} {shown if not shown.isdigit() else shown + '人'}" in label
    columns = {t.text.split("：")[0]: t.text.split("：")[1] for t in svg.select("rect title")}
    assert columns == {y.removesuffix(" 年末"): f"{v}人" for y, v in rows.items() if v.isdigit()}
    gaps = [t.get_text() for t in svg.select("text.dj-chart__gap")]
    assert gaps == [v for v in rows.values() if not v.isdigit()]
    assert rows["2025 年末"] == "22"  # 6 + 14 members without a history and 2 of the minimal's; 周离开 left in 2019


def test_no_count_under_five_and_no_two_years_one_to_four_apart(built: Path) -> None:
    checked = 0
    for page in sorted((built / "orgs").glob("*/index.html")):
        body = article(built, page.parent.relative_to(built).as_posix() + "/")
        numbers = [int(v) for v in membership(body).values() if v.isdigit()]
        assert all(n >= THRESHOLD for n in numbers), page
        assert not any(0 < abs(a - b) < THRESHOLD for a, b in itertools.combinations(numbers, 2)), page
        checked += len(numbers)
    assert checked, "some count is shown: the test can fail"


def test_the_rule_across_years_withholds_a_rise_of_one_to_four(built: Path) -> None:
    """East gains one member a year: shown years are five or more apart, the others withheld (—), never 少于5人."""
    rows = membership(article(built, "orgs/east/"))
    assert "—" in rows.values()
    numbers = [int(v) for v in rows.values() if v.isdigit()]
    assert len(numbers) >= 2


def test_a_year_a_reader_cannot_count_is_a_gap_with_its_mark(tmp_path: Path, monkeypatch) -> None:
    """East: its secretary and four more until 2019, when one leaves: 2019 on is 少于5人, a gap, never a column."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    roster = bulk("east", [datetime.date(2010, 1, 1)] * 4)
    leaving = "  history:\n    - date: 2010-01-01\n      status: 预备党员\n      org: east\n"
    leaving += "    - date: 2011-01-01\n      status: 正式党员\n    - date: 2019-06-01\n      left: 转出\n"
    roster = roster.replace("  joined: 2010-01-01\n", "  joined: 2010-01-01\n" + leaving, 1)
    roster += bulk("west", [datetime.date(1995, 7, 1)] * 6, "w")  # the town less East: never 1–4
    root = apply_overlay(copy_minimal(tmp_path / "r"), {"registry/members/bulk.yaml": roster})
    assert [str(p) for p in validate(root).problems] == []
    site = build_site(root, tmp_path / "site")
    body = article(site, "orgs/east/")
    rows = membership(body)
    assert rows["2018 年末"] == "5" and rows["2019 年末"] == SUPPRESSED and rows["2024 年末"] == SUPPRESSED
    svg = chart(body)
    gaps = [t.get_text() for t in svg.select("text.dj-chart__gap")]
    assert gaps == [v for v in rows.values() if not v.isdigit()]
    assert len(svg.select("rect")) == len([v for v in rows.values() if v.isdigit()])


# --- 本年新发展党员 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("admitted", "earlier", "shown"),
    [
        (6, 5, "6"),  # 6 admitted this year, 6 预备党员 from last year (5 here and the minimal's 李小花)
        (3, 5, SUPPRESSED),
        # 预备党员 less the new members would count last year's one 预备党员 (李小花): withheld
        (6, 0, "—"),
    ],
)
def test_new_members_this_year(tmp_path: Path, monkeypatch, admitted: int, earlier: int, shown: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    roster = EAST_BULK
    for prefix, day, count in (("n", datetime.date(2026, 3, 1), admitted), ("p", datetime.date(2025, 9, 1), earlier)):
        roster += bulk("east", [day] * count, prefix=prefix).replace("status: 正式党员", "status: 预备党员")
    root = apply_overlay(copy_minimal(tmp_path / "r"), {"registry/members/bulk.yaml": roster})
    site = build_site(root, tmp_path / "site")
    assert stat(article(site, "orgs/east/"), "2026 年新发展党员") == shown
    assert stat(article(site, "orgs/west/"), "2026 年新发展党员") == SUPPRESSED  # none: 0 reads as 少于5人 too
    listing = article(site, "changes/new-members/")
    found = [t for t in tables(listing) if t.label == "2026 年新发展党员"]
    rows = {row["组织"]: row["新发展党员"] for row in found[0].rows} if found else {}
    assert rows.get("东村党支部", "not listed") == (shown if shown.isdigit() else "not listed")
    assert all(int(v) >= THRESHOLD for v in rows.values())
    link = article(site, "changes/").find("a", href=re.compile("new-members/$"))
    assert link is not None


# --- a property: random members with random histories ---------------------------------------------------
ORGS = ("east", "west", "north")
DAYS = st.dates(datetime.date(2005, 1, 1), datetime.date(2025, 12, 31))


@st.composite
def members(draw: st.DrawFn) -> str:
    """Members, public or private, some with a history of transfers between the orgs and a leaving."""
    out = []
    for n in range(draw(st.integers(0, 14))):
        joined = draw(DAYS)
        org = draw(st.sampled_from(ORGS))
        public = "true" if draw(st.booleans()) else "false"
        record = f"- id: m-r-{n}\n  name: {SURNAMES[n % 16]}{GIVEN[n % 10]}随\n  org: {org}\n  status: 正式党员\n"
        record += f"  joined: {joined}\n  public: {public}\n"
        if draw(st.booleans()):
            moves = sorted(set(draw(st.lists(DAYS.filter(lambda d: d > joined), max_size=3))))
            where = [draw(st.sampled_from(ORGS)) for _ in moves]
            events = [f"    - date: {joined}\n      status: 正式党员\n      org: {org if not where else where[0]}\n"]
            current = org if not where else where[0]
            for day, target in zip(moves[1:], where[1:]):
                if target != current:
                    events.append(f"    - date: {day}\n      org: {target}\n")
                    current = target
            record = record.replace(f"  org: {org}\n", f"  org: {current}\n", 1)
            if moves and draw(st.booleans()):
                events.append(f"    - date: {moves[-1] + datetime.timedelta(days=1)}\n      left: 其他\n")
            record += "  history:\n" + "".join(events)
        out.append(record)
    return "".join(out)


def tree_on(year: int) -> dict[str, list[str]]:
    """The test registry's tree at the end of `year` (north moves from the town to hill on 2016-04-01)."""
    tree = {"town": ["east", "west", "hill"], "hill": []}
    (tree["town"] if year < 2016 else tree["hill"]).append("north")
    return tree


def regions_one_to_four(site: Path) -> list[tuple[str, str, int]]:
    """A reader's attack on the year-end counts: each shown org less its nearest shown orgs below, each year."""
    shown: dict[str, dict[str, int]] = {}
    for org in ("town", "east", "west", "hill", "north"):
        for year, value in membership(article(site, f"orgs/{org}/")).items():
            if value.isdigit() and year.endswith(" 年末"):
                shown.setdefault(year, {})[org] = int(value)
    found = []
    for year, counts in shown.items():
        tree = tree_on(int(year[:4]))
        for org, value in counts.items():
            below, stack = [], list(tree.get(org, []))
            while stack:
                child = stack.pop()
                if child in counts:
                    below.append(child)
                else:
                    stack.extend(tree.get(child, []))
            region = value - sum(counts[b] for b in below)
            if 0 < region < THRESHOLD:
                found.append((year, org, region))
    return found


def test_no_org_less_its_shown_orgs_below_counts_one_to_four(built: Path) -> None:
    assert regions_one_to_four(built) == []


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(roster=members())
def test_random_histories_never_show_a_count_under_five(tmp_path_factory, roster: str) -> None:
    base = tmp_path_factory.mktemp("prop")
    root = apply_overlay(
        copy_minimal(base / "r"),
        {"registry/orgs/hill.yaml": HILL, "registry/orgs/north.yaml": NORTH.replace("secretary: m-pub\n", "")}
        | {"registry/members/random.yaml": roster or "[]\n"},
    )
    if validate(root).problems:  # a drawn history the rules refuse (e.g. a leaving before a move): not a site
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        site = build_site(root, base / "site")
    for page in sorted((site / "orgs").glob("*/index.html")):
        body = article(site, page.parent.relative_to(site).as_posix() + "/")
        shown = list(membership(body).values()) + [new_members(body) or SUPPRESSED]
        for value in shown:
            assert value in (SUPPRESSED, "—") or int(value) >= THRESHOLD, (page, value)
        numbers = [int(v) for v in membership(body).values() if v.isdigit()]
        assert not any(0 < abs(a - b) < THRESHOLD for a, b in itertools.combinations(numbers, 2))
        svg = chart(body)
        if svg is not None:
            for title in svg.select("rect title"):
                assert int(title.text.split("：")[1].removesuffix("人")) >= THRESHOLD
    assert regions_one_to_four(site) == []


def test_markup_in_a_history_is_text(tmp_path: Path, monkeypatch) -> None:
    """A place or a former name written as HTML shows as its characters, never as an element."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    hostile = '"<img src=x onerror=alert(1)>"'
    public = PUBLIC.replace("place: 深圳南山", f"place: {hostile}")
    north = NORTH.replace("name: 北岭村党支部", "name: '北岭<b>村</b>党支部'")
    files = overlay() | {"registry/members/hist.yaml": public + SECRET, "registry/orgs/north.yaml": north}
    root = apply_overlay(copy_minimal(tmp_path / "r"), files)
    assert [str(p) for p in validate(root).problems] == []
    site = build_site(root, tmp_path / "site")
    member = article(site, "members/m-pub/")
    assert ("2020-01-01", "流出至 <img src=x onerror=alert(1)>") in timeline(member, "履历")
    assert member.find("ul", attrs={"aria-label": "履历"}).find("img") is None
    org = article(site, "orgs/north/")
    assert timeline(org, "沿革")[1][1].startswith("更名：北岭<b>村</b>党支部 → 北岭甲乙村党支部")
    assert org.find("ul", attrs={"aria-label": "沿革"}).find("b") is None
