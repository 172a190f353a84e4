"""The yearly reports' charts (site/charts.py: month_columns, labelled_bars) as properties: every value is in
the chart's aria-label exactly as given (what the table beside it says), labels keep their size and stay in
the drawing, nothing hidden is drawn as a length, names are escaped, and the SVG passes svgcheck's rules."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.site.charts import FONT, WIDTH, labelled_bars, month_columns, text_width
from dangjian.svgcheck import svg_problems

NAMES = st.text(alphabet="上下龙珠里溪南村党支部委员会经济技术开发区<>&\"'ab", min_size=1, max_size=40)
KINDS = ["主题党日", "支部党员大会", "支部委员会", "党课", "志愿服务"]


def svg(markup: str):
    found = BeautifulSoup(str(markup), "html.parser").select_one("svg.dj-chart")
    assert found is not None
    return found


def safe(markup: str) -> None:
    """What svgcheck allows in a registry's SVG, the charts keep to as well (no script, nothing loaded)."""
    body = str(svg(markup)).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    assert list(svg_problems("chart.svg", body.encode())) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=len(KINDS), max_size=len(KINDS)), min_size=12, max_size=12))
def test_month_columns_say_each_months_total_and_draw_a_block_per_kind(counts):
    rows = [(m, c) for m, c in zip(range(1, 13), counts)]
    chart = svg(month_columns(rows, KINDS, "东村2025年"))
    spoken = [(int(m), int(n)) for m, n in re.findall(r"(\d+)月 (\d+)次", chart["aria-label"])]
    assert spoken == [(m, sum(c)) for m, c in rows]
    blocks = chart.find_all("rect")
    assert len(blocks) == sum(1 for _, c in rows for n in c if n)
    for block in blocks:
        assert float(block["height"]) > 0 and float(block["y"]) >= 0
    assert float(chart["font-size"]) == FONT
    safe(month_columns(rows, KINDS, "东村2025年"))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(NAMES, st.one_of(st.none(), st.integers(0, 500))), min_size=1, max_size=25))
def test_labelled_bars_write_every_value_and_draw_no_hidden_one(items):
    bars = [(name, value, f"{value}次" if value is not None else "不公布") for name, value in items]
    markup = labelled_bars(bars, "各单位")
    chart = svg(markup)
    assert chart["aria-label"] == "各单位：" + "，".join(f"{n} {t}" for n, _, t in bars)
    rects = chart.find_all("rect")
    assert len(rects) == sum(1 for _, v, _ in bars if v is not None)  # a hidden figure has no bar
    texts = chart.find_all("text")
    labels, values = texts[0::2], texts[1::2]
    for label, value, (_, v, t) in zip(labels, values, bars):
        assert text_width(label.get_text()) <= WIDTH  # cut with … when too long; the table has the full name
        assert value.get_text() == t
        assert float(value["x"]) + text_width(t) <= WIDTH + 0.5  # the value fits right of the longest bar
    safe(markup)


def test_a_long_name_is_cut_to_fit_and_the_full_name_kept_in_the_label():
    name = "中共海安经济技术开发区高新技术产业园区第三联合党支部委员会党员活动中心" * 2
    chart = svg(labelled_bars([(name, 3, "3次")], "各单位"))
    drawn = chart.find("text").get_text()
    assert drawn.endswith("…") and text_width(drawn) <= WIDTH and name in chart["aria-label"]
