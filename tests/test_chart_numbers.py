"""Charts never draw a personal number by accident: with markup stripped, a chart's neighbouring labels
(a column's value, the next year, a dash for a withheld year) must not run together into what the privacy
gate reads as a mobile or ID number. A city build failed the gate this way (`160` `2018` `—` `—` `2020`
read as 160-2018-2020); the gate was right to refuse what the page's text said."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.normalise import readings
from dangjian.personal import all_matches
from dangjian.site import charts
from dangjian.site.withheld import Small, Withheld

counts = st.one_of(st.integers(0, 999), st.builds(Small), st.builds(Withheld))


def numbers_read(svg: str) -> list[str]:
    return [reading[s:e] for reading in readings(svg) for _, s, e in all_matches(reading)]


def test_the_city_case_reads_as_no_number() -> None:
    points = [("2016", 151), ("2017", Withheld()), ("2018", 160), ("2019", Withheld()), ("2020", 166)]
    assert numbers_read(str(charts.membership_chart(points, "某村党总支"))) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(counts, min_size=1, max_size=16), st.integers(1990, 2030))
def test_the_membership_chart_reads_as_no_number(values: list[int], first: int) -> None:
    points = [(str(first + i), v) for i, v in enumerate(values)] + [("现在", values[-1])]
    assert numbers_read(str(charts.membership_chart(points, "某村党总支"))) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 99), min_size=2, max_size=2), min_size=12, max_size=12))
def test_the_month_columns_read_as_no_number(counts_by_month: list[list[int]]) -> None:
    rows = [(month, counts) for month, counts in enumerate(counts_by_month, 1)]
    assert numbers_read(str(charts.month_columns(rows, ["主题党日", "党课"], "某支部"))) == []


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_held_of_due_reads_as_no_number(held: int, due: int) -> None:
    """三会一课 held of due, on a report (its figure and its bars): a city's 16597 of 108908 written 16597/108908
    read as a mobile number to the gate and the city's build was refused."""
    from jinja2 import Environment, FileSystemLoader

    from dangjian.site.kinds.report import held_label, held_of_due
    from dangjian.site.theme import TEMPLATES

    env = Environment(loader=FileSystemLoader(str(TEMPLATES / "pages")), autoescape=True)
    env.globals.update(SUPPRESSED="少于5人")
    env.filters.update(cn_date=str, mdi=str)  # used by other macros of the file; the stat macro uses none
    stat = env.from_string('{% from "_macros.html" import stat %}{{ stat(value, label) }}')
    assert numbers_read(stat.render(value=held, label=held_label(due))) == []
    assert numbers_read(str(charts.labelled_bars([("支部党员大会", held / due, held_of_due(held, due))], "某村"))) == []
