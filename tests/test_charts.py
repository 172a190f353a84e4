"""Charts read on a phone: labels big enough once drawn at a phone's width, inside the drawing, not on top
of one another, and every line named in a legend with the page's own text."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.site import charts

PHONE_COLUMN = 358  # px of content at a 390 px viewport (Material's 16 px side padding)
NAMES = st.text(alphabet="上下龙珠里溪南村党支部委员会经济技术开发区<>&\"'ab", min_size=1, max_size=16)


def fake_history(labels: list[str], ranked: list[list[tuple[str, str, int]]]):
    rows = lambda period: [SimpleNamespace(org=o, name=n, rank=r) for o, n, r in period]  # noqa: E731
    return [
        SimpleNamespace(period=SimpleNamespace(label=label), rows=rows(period)) for label, period in zip(labels, ranked)
    ]


@st.composite
def histories(draw):
    kind = draw(st.sampled_from(["quarter", "month", "year"]))
    count = draw(st.integers(1, 30))
    labels = [
        {
            "quarter": f"{2010 + i // 4}-Q{i % 4 + 1}",
            "month": f"{2010 + i // 12}-{i % 12 + 1:02d}",
            "year": str(2000 + i),
        }[kind]
        for i in range(count)
    ]
    orgs = draw(st.lists(NAMES, min_size=1, max_size=25))
    periods = []
    for _ in labels:
        present = [n for n in range(len(orgs)) if draw(st.booleans()) or n == 0]
        ranks = sorted(draw(st.lists(st.integers(1, len(present)), min_size=len(present), max_size=len(present))))
        periods.append([(f"org{n}", orgs[n], rank) for n, rank in zip(present, ranks)])
    return fake_history(labels, periods)


def svg_of(markup) -> BeautifulSoup:
    svg = BeautifulSoup(str(markup), "html.parser").select_one("svg.dj-chart")
    assert svg is not None
    return svg


def geometry(svg) -> tuple[float, float]:
    _, _, width, _ = (float(v) for v in svg["viewbox"].split())
    return width, float(svg.get("font-size", 11))  # 11: what dangjian.css gave charts before


@settings(max_examples=60, deadline=None)
@given(histories())
def test_rank_chart_labels_are_at_least_11px_at_phone_width(history):
    svg = svg_of(charts.rank_chart(history))
    width, font = geometry(svg)
    assert svg.select("text")
    for text in svg.select("text"):
        size = float(text.get("font-size", font))
        assert size * PHONE_COLUMN / width >= 11, (text, size, width)


@settings(max_examples=60, deadline=None)
@given(histories())
def test_rank_chart_labels_stay_inside_and_apart(history):
    svg = svg_of(charts.rank_chart(history))
    width, font = geometry(svg)
    below = [t for t in svg.select("text") if t.get("text-anchor") == "middle"]
    spans = []
    for text in below:
        half = charts.text_width(text.get_text(), font) / 2
        spans.append((float(text["x"]) - half, float(text["x"]) + half))
    assert all(0 <= a and b <= width for a, b in spans), spans
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:])), spans
    assert below[-1].get_text() == history[-1].period.label  # the newest period is always named
    side = [float(t["y"]) for t in svg.select("text") if t.get("text-anchor") == "end"]
    assert all(b - a >= font for a, b in zip(side, side[1:])), side
    assert all(
        float(t["x"]) - charts.text_width(t.get_text(), font) >= 0 for t in svg.select('text[text-anchor="end"]')
    )


@settings(max_examples=40, deadline=None)
@given(histories())
def test_rank_chart_names_every_line_in_a_legend_in_latest_rank_order(history):
    soup = BeautifulSoup(str(charts.rank_chart(history)), "html.parser")
    names = {row.org: row.name for r in history for row in r.rows}
    items = soup.select("figcaption ol.dj-chart__legend > li")
    assert len(items) == len(names)
    legend = [li.find(string=True, recursive=False) for li in items]
    assert sorted(legend) == sorted(names.values())
    latest = {row.name: row.rank for row in history[-1].rows if names[row.org] == row.name}
    ranked = [latest[n] for n in legend if n in latest and list(names.values()).count(n) == 1]
    assert ranked == sorted(ranked)
    points = sum(len(r.rows) for r in history)
    assert len(soup.select("svg.dj-chart circle")) == points


def test_names_are_text_not_markup():
    history = fake_history(["2015-Q1"], [[("a", "<script>alert(1)</script>", 1)]])
    markup = str(charts.rank_chart(history))
    assert "<script>" not in markup and "&lt;script&gt;" in markup


def test_no_history_draws_nothing():
    assert str(charts.rank_chart([])) == ""


# --- the org page's small charts (site_templates/pages/_charts.html) -----------------------------------

SUPPRESSED = "少于5人"


def macros():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from dangjian.site.theme import TEMPLATES

    env = Environment(loader=FileSystemLoader(str(TEMPLATES / "pages")), autoescape=select_autoescape(default=True))
    return env.get_template("_charts.html").module


def readable_and_inside(svg) -> None:
    width, font = geometry(svg)
    for text in svg.select("text"):
        assert font * PHONE_COLUMN / width >= 11
        x, w = float(text["x"]), charts.text_width(text.get_text(), font)
        anchor = text.get("text-anchor", "start")
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        assert left >= 0 and left + w <= width + 0.5, (text, left, w, width)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 5000), st.just(SUPPRESSED)), min_size=1, max_size=5))
def test_star_bars_draw_each_count_and_never_a_suppressed_one(counts):
    stars = [(len(counts) - i, count) for i, count in enumerate(counts)]
    svg = svg_of(macros().star_bars(stars, 2015))
    readable_and_inside(svg)
    numbers = [c for c in counts if c != SUPPRESSED]
    bars = svg.select("rect")
    assert len(bars) == len(numbers)  # a suppressed count has no length that could be measured
    widths = [float(bar["width"]) for bar in bars]
    if numbers and max(numbers):
        longest = widths[numbers.index(max(numbers))]
        assert longest > 100
        assert all(w == pytest.approx(longest * c / max(numbers), abs=0.2) for w, c in zip(widths, numbers))
    shown = [t.get_text() for t in svg.select("text") if "★" not in t.get_text()]
    assert shown == [f"{c}人" if c != SUPPRESSED else c for c in counts]
    for n, count in stars:
        assert f"{n}星 {count}{'人' if count != SUPPRESSED else ''}" in svg["aria-label"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(1, 40)), min_size=1, max_size=24).filter(lambda r: any(r)),
    st.sampled_from(["quarter", "month", "year"]),
)
def test_rank_line_marks_every_ranked_period_readably(ranks, kind):
    labels = [
        {
            "quarter": f"{2010 + i // 4}-Q{i % 4 + 1}",
            "month": f"{2010 + i // 12}-{i % 12 + 1:02d}",
            "year": str(2000 + i),
        }[kind]
        for i in range(len(ranks))
    ]
    markup = str(macros().rank_line(list(zip(labels, ranks)), "上余村<党支部>"))
    assert "<党支部>" not in markup
    svg = svg_of(markup)
    readable_and_inside(svg)
    assert len(svg.select("circle")) == sum(1 for r in ranks if r)
    titles = [c.title.get_text() for c in svg.select("circle")]
    assert titles == [f"{label}：第{rank}名" for label, rank in zip(labels, ranks) if rank]
    bottom = [t for t in svg.select("text") if t.get_text() in labels]
    assert bottom[-1].get_text() == labels[-1]
    spans = sorted(
        (float(t["x"]) - charts.text_width(t.get_text()) / 2, float(t["x"]) + charts.text_width(t.get_text()) / 2)
        for t in bottom
    )
    assert all(b <= a for (_, b), (a, _) in zip(spans, spans[1:]))
    assert svg["aria-label"].startswith("上余村<党支部>历次名次：")  # text, escaped in the markup


def test_org_page_charts_say_what_its_tables_say(tmp_path):
    """On the demo's 上余村 page the star chart writes the counts of the star table under each star heading,
    and the rank chart marks the rank each period's cell links to."""
    from reading import tables
    from site_helpers import article, build_site

    from conftest import REPO

    site = build_site(REPO, tmp_path / "site")
    body = article(site, "orgs/caota-shangyu/")
    star_svg = body.select_one("figure svg.dj-chart")
    by_table = next(t for t in tables(body) if "星级分布" in t.label)
    drawn = [t.get_text() for t in star_svg.select("text") if "★" not in t.get_text()]
    [row] = by_table.rows
    assert drawn == [v if v == SUPPRESSED else f"{v}人" for v in row.values()]
    rank_svg = next(s for s in body.select("svg.dj-chart") if "历次名次" in s["aria-label"])
    ranks = next(t for t in tables(body) if "各期名次" in t.label)
    [row] = ranks.rows
    expected = [f"{period}：{cell.replace(' ', '')}" for period, cell in row.items() if cell != "—"]
    assert [c.title.get_text() for c in rank_svg.select("circle")] == expected
