"""The demo site read as a reader reads it: each number under its heading, every table whole.

Tables are parsed by header (tests/reading.py); expected values come from the books the
command line uses (RankingBook, StatsBook), never from the page itself.
"""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from dangjian.recordtypes import MEMBER_STATUSES
from dangjian.figures import shown, two_decimals
from dangjian.report import ranking_table
from dangjian.rankings import RankingBook
from dangjian.stats import StatsBook
from dangjian.validate import validate
from dangjian.timeline import member_state
from reading import read_table, table_problems, tables, text
from site_helpers import article, build_site


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return build_site(REPO, tmp_path_factory.mktemp("reading") / "site")


@pytest.fixture(scope="module")
def reg():
    return validate(REPO).registry


@pytest.fixture(scope="module")
def book(reg) -> RankingBook:
    return RankingBook(reg)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


# --- the reader itself -----------------------------------------------------------------


def test_reader_spreads_colspans_and_rowspans_over_the_cells_they_cover() -> None:
    table = read_table(
        soup("""<table><thead>
        <tr><th rowspan="2">组织</th><th colspan="2">得分</th></tr>
        <tr><th>一季度</th><th>二季度</th></tr></thead>
      <tbody><tr><td rowspan="2">东村</td><td>1</td><td>2</td></tr><tr><td colspan="2">缺考</td></tr></tbody>
    </table>""").table
    )
    assert table.headers == ["组织", "得分 一季度", "得分 二季度"]
    assert table.rows == [
        {"组织": "东村", "得分 一季度": "1", "得分 二季度": "2"},
        {"组织": "东村", "得分 一季度": "缺考", "得分 二季度": "缺考"},
    ]
    assert table.cells("得分 二季度") == ["2", "缺考"]


def test_reader_takes_a_first_row_of_th_as_header_and_reads_tables_of_facts() -> None:
    plain = read_table(
        soup("<h2>人数</h2><table><tr><th>甲</th><th>乙</th></tr><tr><td>1</td><td>2</td></tr></table>").table
    )
    assert plain.rows == [{"甲": "1", "乙": "2"}] and plain.label == "人数"
    facts = read_table(
        soup(
            '<table aria-label="基本信息"><tr><th scope="row">书记</th><td>王</td></tr>'
            '<tr><th scope="row">成立</th><td>2001年</td></tr></table>'
        ).table
    )
    assert facts.facts == {"书记": "王", "成立": "2001年"} and table_problems(facts) == []


def test_reader_reports_what_a_reader_would_stumble_on() -> None:
    ragged = read_table(
        soup(
            "<table><thead><tr><th>排名</th><th>组织</th><th></th></tr></thead>"
            "<tbody><tr><td>1</td><td>东村</td><td>+2</td></tr><tr><td>2</td></tr></tbody></table>"
        ).table
    )
    problems = table_problems(ragged)
    assert "no caption, aria-label or heading right before it" in problems
    assert "body row 2 has 1 cells under 3 headers" in problems
    assert "column 3 has no header but holds '+2'" in problems
    headless = read_table(soup('<h2>x</h2><table class="dj-table"><tr><td>1</td></tr></table>').table)
    assert table_problems(headless) == [
        "class=['dj-table']: Material styles only table:not([class])",
        "no header row (<thead> or a first row of <th>)",
    ]


@settings(deadline=None)  # parsing is slow on a busy machine; speed is not what this checks
@given(st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=5), min_size=1, max_size=6))
def test_reader_gives_every_row_the_sum_of_its_colspans(spans: list[list[int]]) -> None:
    body = "".join("<tr>" + "".join(f'<td colspan="{s}">{s}</td>' for s in row) + "</tr>" for row in spans)
    table = read_table(soup(f"<table><thead><tr><th>a</th></tr></thead><tbody>{body}</tbody></table>").table)
    assert [len(row) for row in table.grid] == [sum(row) for row in spans]
    assert [[text(c) for c in row] for row in table.grid] == [[str(s) for s in row for _ in range(s)] for row in spans]


# --- every table of every page ------------------------------------------------------------


def site_pages(site: Path) -> list[str]:
    """Every page's address, but /admin/ (the CMS's application: no article, tested in test_cms*.py)."""
    pages = (str(p.parent.relative_to(site)) + "/" if p.parent != site else "" for p in site.rglob("index.html"))
    return sorted(url for url in pages if not url.startswith("admin/"))


def test_every_table_of_every_page_has_headers_over_whole_rows_and_a_name(demo) -> None:
    found, checked = [], 0
    for url in site_pages(demo):
        for n, table in enumerate(tables(article(demo, url)), 1):
            checked += 1
            found += [f"/{url} table {n} ({table.label or table.headers}): {p}" for p in table_problems(table)]
    assert checked > 100
    assert found == []


# --- rankings -----------------------------------------------------------------------------


def signed(value: Fraction) -> str:
    return ("+" if value > 0 else "") + shown(value) if value else ""


def org_schemes(reg) -> list[str]:
    """Schemes ranking orgs; members schemes (subject: members) are read by test_people_rankings_site.py."""
    return [s for s in sorted(reg.schemes) if reg.schemes[s].get("subject") != "members"]


def ranking_tables(demo, book, reg):
    for scheme in org_schemes(reg):
        for ranking in book.history(scheme):
            body = article(demo, f"rankings/{scheme}/{ranking.period.label}/")
            yield ranking, tables(body)[0]


def test_ranking_pages_show_every_value_under_its_heading(demo, book, reg) -> None:
    periods = sum(len(book.history(scheme)) for scheme in org_schemes(reg))
    assert periods >= 5 and check_rankings(demo, book, reg) == periods


def check_rankings(site: Path, book, reg) -> int:
    """Every period's table against RankingBook, value by value; returns the number of periods."""
    periods = 0
    for ranking, table in ranking_tables(site, book, reg):
        periods += 1
        assert table.cells("组织") == [row.name for row in ranking.rows]
        for row in ranking.rows:
            cells = table.row("组织", row.name)
            assert cells[table.column("总分")] == str(two_decimals(row.total)), (ranking.period.label, row.name)
            assert re.match(rf"{row.rank}\b", cells["排名"])
            assert cells["奖扣分"] == signed(row.bonus + row.penalty)
            for indicator in ranking.scheme["indicators"]:
                header = table.column(indicator["name"])
                assert header == f"{indicator['name']} 满分 {shown(Fraction(indicator['max']))}"
                value = cells[header]
                assert value == shown(row.indicators[indicator["id"]]), (ranking.period.label, row.name, header)
                assert Fraction(value) <= Fraction(indicator["max"]), (ranking.period.label, row.name, header)
    return periods


def test_a_synthetic_registry_reads_as_cleanly_as_the_demo(tmp_path) -> None:
    """Another shape of registry (more orgs per ranking, no hand-made cases): the same checks hold."""
    from dangjian.synth import Scale, Synth

    scale = Scale(
        counties=1,
        towns_per_county=2,
        villages_per_town=8,
        branches=6,
        members=300,
        projects=20,
        stories=8,
        activities=80,
        ledger=600,
        schemes=2,
        periods=3,
    )
    list(Synth(scale, seed=5).write(tmp_path / "r"))
    site = build_site(tmp_path / "r", tmp_path / "site")
    reg = validate(tmp_path / "r").registry
    book = RankingBook(reg)
    found = [f"/{url}: {p}" for url in site_pages(site) for t in tables(article(site, url)) for p in table_problems(t)]
    assert found == []
    assert check_rankings(site, book, reg) == 6
    from dangjian.site.kinds.home import HOME_RANKS

    ranking = latest(book, reg)
    assert len(ranking.rows) > HOME_RANKS  # so the home page must say what it leaves out
    assert_leading_ranks(site, ranking, HOME_RANKS)


def test_ranking_tier_words_are_the_same_on_the_site_and_in_the_terminal(demo, book, reg) -> None:
    marked = 0
    for ranking, table in ranking_tables(demo, book, reg):
        terminal = ranking_table(ranking).splitlines()
        for row in ranking.rows:
            if not (row.top or row.bottom):
                continue
            marked += 1
            line = next(line for line in terminal if f" {row.name} " in line)
            word = line.replace("│", " ").split()[-1]
            assert table.row("组织", row.name)["排名"] == f"{row.rank} {word}", (ranking.period.label, row.name)
    assert marked > 5


def test_ranking_history_shows_each_period_rank_under_its_period(demo, book, reg) -> None:
    for scheme_id in org_schemes(reg):
        history = book.history(scheme_id)
        ranks, indicators = tables(article(demo, f"rankings/{scheme_id}/"))[-2:]
        orgs = {row.name for r in history for row in r.rows}
        assert set(ranks.cells("组织")) == orgs
        for ranking in history:
            by_name = {row.name: str(row.rank) for row in ranking.rows}
            for cells in ranks.rows:
                assert cells[ranking.period.label] == by_name.get(cells["组织"], "—")
        maxima = {i["name"]: shown(Fraction(i["max"])) for i in reg.schemes[scheme_id]["indicators"]}
        assert dict(zip(indicators.cells("指标"), indicators.cells("满分"))) == maxima


def test_org_pages_show_each_rank_under_its_period(demo, book, reg) -> None:
    for org_id in sorted(reg.orgs):
        expected = []
        for scheme_id in sorted(reg.schemes):
            history = book.history(scheme_id)
            ranks = {r.period.label: next((row.rank for row in r.rows if row.org == org_id), None) for r in history}
            if any(ranks.values()):
                expected.append({label: f"第 {rank} 名" if rank else "—" for label, rank in ranks.items()})
        shown_ranks = [
            t.rows[0]
            for t in tables(article(demo, f"orgs/{org_id}/"))
            if t.label.startswith(tuple(s["name"] for s in reg.schemes.values()))
        ]
        assert shown_ranks == expected, org_id


# --- member figures -------------------------------------------------------------------------


def assert_figure(cell: str, count: int, where) -> bool:
    """A number on the page is the true count; a count under five never shows as a number.

    (Suppression may also withhold a larger count, shown as text: that is not checked here.)
    """
    if cell.isdigit():
        assert int(cell) == count and count >= 5, (where, cell, count)
    else:
        assert cell, where
    return cell.isdigit()


def test_org_pages_show_member_figures_under_their_headings(demo, reg) -> None:
    stats = StatsBook(reg, RankingBook(reg).scores)
    starred = numbers = 0
    for org_id in sorted(reg.orgs):
        figures = stats.of(org_id)
        found = {t.label: t for t in tables(article(demo, f"orgs/{org_id}/"))}
        status = found["按状态统计的党员人数"]
        assert status.headers == list(MEMBER_STATUSES)
        for s in MEMBER_STATUSES:
            numbers += assert_figure(status.rows[0][s], figures.by_status[s], (org_id, s))
        star_tables = [t for label, t in found.items() if "星级分布" in label]
        if star_tables:
            starred += 1
            assert figures.scored >= 5 and str(figures.year) in star_tables[0].label
            row = star_tables[0].rows[0]
            for n in sorted(reg.stars, reverse=True):
                header = next(h for h in star_tables[0].headers if h.count("★") == n)
                assert_figure(row[header], figures.stars[n], (org_id, n))
    assert starred > 0 and numbers > 5


def test_home_page_counts_every_status_under_its_heading(demo, reg) -> None:
    counts = Counter(s.status for m in reg.members.values() if (s := member_state(m.data)).left is None)
    status = next(t for t in tables(article(demo, "")) if t.label == "按状态统计的党员人数")
    assert status.headers == list(MEMBER_STATUSES)
    for s in MEMBER_STATUSES:
        assert_figure(status.rows[0][s], counts[s], ("home", s))


# --- projects ---------------------------------------------------------------------------------


def test_project_pages_show_each_review_under_its_heading(demo, reg) -> None:
    reviewed = 0
    for project in reg.all("project"):
        if not project.get("reviews"):
            continue
        reviewed += 1
        table = next(t for t in tables(article(demo, f"projects/{project.id}/")) if t.label == "评议")
        reviews = sorted(project["reviews"], key=lambda r: r["date"])
        assert table.cells("得分") == [shown(Fraction(r["score"])) for r in reviews]
        assert table.cells("方式") == [r["kind"] for r in reviews]
        assert table.cells("日期") == [f"{r['date'].year}年{r['date'].month}月{r['date'].day}日" for r in reviews]
    assert reviewed > 0


def test_project_list_shows_each_project_under_its_headings(demo, reg) -> None:
    table = tables(article(demo, "projects/"))[0]
    expected = sorted(reg.all("project"), key=lambda p: (-p["year"], p.id))
    assert table.cells("项目") == [p["title"] for p in expected]
    assert table.cells("类别") == [p["category"] for p in expected]
    assert table.cells("状态") == [p["status"] for p in expected]
    assert table.cells("年份") == [str(p["year"]) for p in expected]
    assert table.cells("组织") == [reg.orgs[p["org"]]["name"] for p in expected]


def test_project_filters_are_labelled_and_can_say_nothing_matched(demo) -> None:
    body = article(demo, "projects/")
    for select in body.select("form.dj-filters select"):
        label = select.find_parent("label")
        assert label is not None and text(label).startswith(select["aria-label"]), select["name"]
    empty = body.select_one("[data-dj-empty]")
    assert empty is not None and empty.has_attr("hidden") and text(empty) == "没有符合条件的项目。"


# --- home page --------------------------------------------------------------------------------


def latest(book, reg):
    rankings = [h[-1] for s in reg.schemes if (h := book.history(s))]
    return max(rankings, key=lambda r: (r.period.last, r.scheme.id))


def home_ranking(site: Path):
    body = article(site, "")
    table = next(t for t in tables(body) if t.label.startswith("最新排位"))
    return body, table


def assert_leading_ranks(site: Path, ranking, limit: int) -> None:
    body, table = home_ranking(site)
    expected = [row for row in ranking.rows if row.rank <= limit]
    assert table.cells("组织") == [row.name for row in expected]
    assert [int(c) for c in table.cells("排名")] == [row.rank for row in expected]
    assert table.cells("总分") == [str(two_decimals(row.total)) for row in expected]
    more = body.select_one(".dj-more")
    if len(expected) < len(ranking.rows):
        assert more is not None and f"另有 {len(ranking.rows) - len(expected)} 个组织" in text(more)
        link = more.find("a")
        assert "查看全部" in text(link) and link["href"].endswith(
            f"rankings/{ranking.scheme.id}/{ranking.period.label}/"
        )
    else:
        assert more is None


@settings(deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=12), st.integers(1, 8))
def test_leading_rows_are_a_prefix_that_skips_no_rank(totals: list[int], limit: int) -> None:
    from dangjian.rankings import Row, rank_rows
    from dangjian.site.kinds.home import leading_rows

    rows = [Row(f"o{n}", f"o{n}", {}, Fraction(0), Fraction(0), Fraction(t)) for n, t in enumerate(totals)]
    rank_rows(rows)
    leading = leading_rows(rows, limit)
    assert leading == rows[: len(leading)]
    assert len(leading) >= min(limit, len(rows))  # ties at the limit come along, nothing above it is dropped
    assert all(row.rank > limit for row in rows[len(leading) :])


def test_home_page_lists_the_leading_ranks_without_gaps(demo, book, reg) -> None:
    from dangjian.site.kinds.home import HOME_RANKS

    ranking = latest(book, reg)
    assert_leading_ranks(demo, ranking, HOME_RANKS)
    shown_ranks = [int(c) for c in home_ranking(demo)[1].cells("排名")]
    assert all(b in (a, a + shown_ranks.count(a)) for a, b in zip(shown_ranks, shown_ranks[1:]))


def test_home_page_says_how_many_ranks_it_leaves_out(tmp_path, monkeypatch, book, reg) -> None:
    from dangjian.site.kinds import home

    monkeypatch.setattr(home, "HOME_RANKS", 2)
    site = build_site(REPO, tmp_path / "site")
    assert_leading_ranks(site, latest(book, reg), 2)


# --- brands, months, tags --------------------------------------------------------------------


def test_brand_gallery_has_no_heading_over_nothing(demo, reg) -> None:
    body = article(demo, "brands/")
    headings = body.find_all(["h2", "h3"])
    for heading in headings:
        following = []
        for sibling in heading.find_next_siblings(True):
            if sibling.name in ("h2", "h3"):
                break
            following.append(sibling)
        assert any(s.select(".dj-card") or "dj-cards" in (s.get("class") or []) for s in following), text(heading)
    linked = {a["href"].rstrip("/").rsplit("/", 1)[-1] for a in body.select("a[href*='brands/']")}
    assert linked == set(reg.brands)


def month_links(demo: Path, month: str) -> dict[str, str]:
    nav = article(demo, f"activities/{month}/").select_one("nav.dj-months")
    assert nav is not None, month
    return {a.get("rel", [""])[0]: a["href"] for a in nav.find_all("a") if a.get("rel")}


def test_month_pages_link_to_the_previous_and_next_month(demo, reg) -> None:
    months = sorted({a["date"].strftime("%Y-%m") for a in reg.all("activity")})
    assert len(months) > 2
    for n, month in enumerate(months):
        links = month_links(demo, month)
        older = months[n - 1] if n > 0 else None
        newer = months[n + 1] if n + 1 < len(months) else None
        target = {rel: (demo / "activities" / month / href).resolve() for rel, href in links.items()}
        assert target.get("prev") == ((demo / "activities" / older).resolve() if older else None), month
        assert target.get("next") == ((demo / "activities" / newer).resolve() if newer else None), month
        assert all((path / "index.html").is_file() for path in target.values())


def tag_links(body) -> dict[str, str]:
    return {text(a): a["href"] for a in body.select("a.dj-tag")}


def test_story_tags_are_links_to_a_page_of_the_stories_with_that_tag(demo, reg) -> None:
    stories = reg.all("story")
    tags = {t for s in stories for t in s.get("tags", [])}
    for story in stories:
        here = f"stories/{story.slug}/"
        links = tag_links(article(demo, here))
        assert set(links) == set(story.get("tags", [])), story.slug
        for tag, href in links.items():
            target = (demo / here / href).resolve()
            assert target.parent == (demo / "stories" / "tags").resolve(), href
            listed = article(demo, str(target.relative_to(demo.resolve())) + "/")
            titles = [text(a) for a in listed.select(".dj-list > li > a")]
            assert sorted(titles) == sorted(s["title"] for s in stories if tag in s.get("tags", [])), tag
            assert text(listed.find("h1")).endswith(tag)
    index = tag_links(article(demo, "stories/"))
    assert {re.sub(r" · \d+$", "", t) for t in index} == tags


def test_tags_from_the_registry_cannot_leave_the_tag_folder(registry, tmp_path) -> None:
    hostile = ["../../../../evil", "a/b", "..", "<b>粗</b>", "东村", "东 村", "C:\\x", "%2e%2e"]
    story = (REPO / "tests/fixtures/minimal/content/stories/east-road.md").read_text(encoding="utf-8")
    story = story.replace(
        "tags: [书记项目]", "tags: [" + ", ".join(f'"{t}"' for t in hostile).replace("\\", "\\\\") + "]"
    )
    root = registry({"content/stories/east-road.md": story})
    out = tmp_path / "site"
    build_site(root, out)
    assert (
        not (tmp_path.parent / "evil").exists() and not (out / "stories/tags/a").exists()
    )  # where "..", "/" would lead
    folders = sorted(p.name for p in (out / "stories/tags").iterdir())
    assert len(folders) == len(hostile) and all(re.fullmatch(r"[a-z0-9-]+", f) for f in folders), folders
    links = tag_links(article(out, "stories/east-road/"))
    assert set(links) == set(hostile)
    for tag, href in links.items():
        body = article(out, str((out / "stories/east-road" / href).resolve().relative_to(out.resolve())) + "/")
        assert text(body.find("h1")).endswith(tag) and body.find("b") is None


def test_member_pages_show_each_members_stars_beside_their_year(demo, reg) -> None:
    from dangjian.model import is_public
    from dangjian.scores import ScoreBook, stars_for
    from dangjian.stats import latest_year

    scores, starred = ScoreBook(reg), 0
    for member in reg.members.values():
        if not is_public(member):
            continue
        facts = tables(article(demo, f"members/{member.id}/"))[0].facts
        shown_years = [label for label in facts if label.endswith("年积分星级")]
        year = latest_year(scores, [member.id]) if member["status"] in ("预备党员", "正式党员") else None
        if year is None:
            assert shown_years == [], member.id
            continue
        starred += 1
        assert shown_years == [f"{year} 年积分星级"], member.id
        stars = stars_for(scores.yearly_score(member.id, year), reg.stars)
        assert facts[shown_years[0]] == "★" * stars + "☆" * (5 - stars), member.id
    assert starred > 0
