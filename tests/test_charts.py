"""Charts read on a phone: labels big enough once drawn at a phone's width, inside the drawing, not on top
of one another, and every line named in a legend with the page's own text."""

from __future__ import annotations

from types import SimpleNamespace

from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.site import charts

PHONE_COLUMN = 358  # px of content at a 390 px viewport (Material's 16 px side padding)
NAMES = st.text(alphabet="上下龙珠里溪南村党支部委员会经济技术开发区<>&\"'ab", min_size=1, max_size=16)


def fake_history(labels: list[str], ranked: list[list[tuple[str, str, int]]]):
    rows = lambda period: [SimpleNamespace(org=o, name=n, rank=r) for o, n, r in period]  # noqa: E731
    return [SimpleNamespace(period=SimpleNamespace(label=label), rows=rows(period)) for label, period in zip(labels, ranked)]


@st.composite
def histories(draw):
    kind = draw(st.sampled_from(["quarter", "month", "year"]))
    count = draw(st.integers(1, 30))
    labels = [{"quarter": f"{2010 + i // 4}-Q{i % 4 + 1}", "month": f"{2010 + i // 12}-{i % 12 + 1:02d}",
               "year": str(2000 + i)}[kind] for i in range(count)]
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
    assert all(float(t["x"]) - charts.text_width(t.get_text(), font) >= 0 for t in svg.select('text[text-anchor="end"]'))


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
