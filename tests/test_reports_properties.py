"""Yearly reports' figures as properties over generated registries: each org's year equals a plain count over
the activities of its subtree (held, dated on or before the build's day), and 人次 is shown only where the
year's party membership is published on the org's page. Computed with SiteData directly (no site built)."""

from __future__ import annotations

import datetime
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import apply_overlay, copy_minimal
from dangjian.recordtypes import ACTIVITY_KINDS
from dangjian.site import timelines
from dangjian.site.data import SiteData
from dangjian.site.reports import NOT_PUBLISHED, reports
from dangjian.site.kinds.report import summary
from dangjian.validate import validate

TODAY = datetime.date(2026, 7, 15)
TREE = {"town": ["east", "west", "tiny"], "east": [], "west": [], "tiny": []}
TINY = "id: tiny\nname: 小岭村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"

activity = st.tuples(
    st.sampled_from(["east", "west", "tiny", "town"]),
    st.dates(datetime.date(2024, 1, 1), datetime.date(2026, 12, 31)),
    st.sampled_from(ACTIVITY_KINDS),
    st.integers(0, 60),
    st.booleans(),  # planned
)
members = st.tuples(st.integers(0, 9), st.integers(0, 9))  # more party members in east and west


def registry(items, more) -> SiteData:
    lines = []
    for n, (org, day, kind, count, planned) in enumerate(items):
        planned = planned and day > TODAY  # a plan in the past is fine too, but keep plans ahead
        lines.append(f"- id: p-{n}\n  org: {org}\n  date: {day.isoformat()}\n  kind: {kind}\n  title: 活动{n}\n")
        lines.append("  planned: true\n" if planned else f"  headcount: {count}\n")
    people = [
        f"- id: m-{org}-{i}\n  name: 党员{org}{i}\n  org: {org}\n  status: 正式党员\n  joined: 2001-01-01\n"
        for org, k in zip(("east", "west"), more)
        for i in range(k)
    ]
    with tempfile.TemporaryDirectory() as folder:
        root = copy_minimal(Path(folder) / "root")
        overlay: dict[str, str | bytes | None] = {
            "registry/orgs/tiny.yaml": TINY,
            "registry/members/tiny.yaml": "- id: m-tiny\n  name: 小岭甲\n  org: tiny\n  status: 正式党员\n"
            "  joined: 2000-01-01\n",
            "registry/assessments/results/town-villages/2026-Q1.yaml": None,  # scores every child: not here
            "registry/activities/town-2026.yaml": None,  # only the generated activities
        }
        if people:
            overlay["registry/members/more.yaml"] = "".join(people)
        if lines:
            overlay["registry/activities/generated.yaml"] = "".join(lines)
        apply_overlay(root, overlay)
        result = validate(root)
        assert result.ok, result.problems[:3]
        return SiteData(result.registry, TODAY)


def subtree(org: str) -> list[str]:
    return [org, *(c for child in TREE[org] for c in subtree(child))]


@settings(max_examples=12, deadline=None)
@given(st.lists(activity, max_size=25), members)
def test_each_years_figures_are_a_plain_count_of_the_subtrees_held_activities(items, more):
    data = registry(items, more)
    book = reports(data)
    for org in TREE:
        for year in (2024, 2025, 2026):
            held = [
                (kind, day, count)
                for o, day, kind, count, planned in items
                if o in subtree(org) and day.year == year and day <= TODAY and not (planned and day > TODAY)
            ]
            figures = book.year(org, year)
            assert figures.activities == Counter((kind, day.month) for kind, day, _ in held)
            assert figures.headcount == sum(count for _, _, count in held)
            if year in book.years.get(org, []):
                shown = summary(data, org, year)["headcount"]
                membership = timelines.histories(data).membership(org)
                counts = timelines.histories(data)
                if year <= counts.years[-1]:
                    published = dict(membership.years).get(year)
                    may = published is not None and isinstance(published, int) and str(published).isdigit()
                    may = may and published >= 5
                else:
                    may = membership.now is not None and membership.now >= 5
                assert (shown != NOT_PUBLISHED) == may, (org, year, shown)
                if org == "tiny":
                    assert shown == NOT_PUBLISHED  # one party member: never
