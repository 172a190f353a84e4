"""No published figure over members reveals 1–4 of them, alone or by difference (secondary suppression).

The property tests build random org trees with random members, publish what the site would
publish, and attack the result as a reader would, by a method independent of
suppression.py: every parent minus every combination of published figures below it, every
total minus every combination of its published parts, for every kind of figure.
"""

from __future__ import annotations

import datetime
from collections import Counter
from fractions import Fraction
import itertools
from itertools import combinations
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from dangjian.recordtypes import DEFAULT_STARS, MEMBER_STATUSES, SCORED_STATUSES
from dangjian.scores import stars_for
from dangjian.stats import HOME, StatsBook, figure_table
from dangjian.suppression import Dimension, Table, suppress
from site_helpers import article, build_site

UNSCORED = [s for s in MEMBER_STATUSES if s not in SCORED_STATUSES]


# --- a registry made of plain objects: enough for StatsBook and figure_table ---------------


class Scores:
    """ScoreBook's interface over given scores: member -> (year, score), and admission dates."""

    def __init__(self, scores: dict[str, tuple[int, int]], joined: dict[str, datetime.date]) -> None:
        self.given, self.joined = scores, joined
        self.events = {m: [(datetime.date(y, 6, 1), "r")] for m, (y, _) in scores.items()}

    def yearly_score(self, member_id: str, year: int, until=None) -> Fraction:
        y, score = self.given.get(member_id, (None, 0))
        return Fraction(score if y == year else 0)

    def joined_by(self, member_id: str, day: datetime.date) -> bool:
        return member_id in self.joined and self.joined[member_id] <= day


def fake_registry(parents: list[int | None], people: list[tuple]):
    """Orgs o0..oN (parent index or None) and members (org index, status, flow, year, score[, year admitted])."""
    orgs = {f"o{i}": {"id": f"o{i}"} for i in range(len(parents))}
    children: dict[str, list[str]] = {}
    for i, p in enumerate(parents):
        if p is not None:
            children.setdefault(f"o{p}", []).append(f"o{i}")
    members, members_of, scores, joined = {}, {}, {}, {}
    for n, (org, status, flow, year, score, *admitted) in enumerate(people):
        member = {"id": f"m{n}", "status": status}
        if org is not None:
            member["org"] = f"o{org}"
            members_of.setdefault(f"o{org}", []).append(f"m{n}")
        if flow != "none":
            member["flow"] = {"direction": flow}
        members[f"m{n}"] = member
        if status in SCORED_STATUSES:
            scores[f"m{n}"] = (year, score)
            joined[f"m{n}"] = datetime.date(admitted[0] if admitted else 2000, 7, 1)
    reg = SimpleNamespace(orgs=orgs, children=children, members=members, members_of=members_of, stars=DEFAULT_STARS)
    return reg, Scores(scores, joined)


@st.composite
def registries(draw):
    size = draw(st.integers(1, 9))
    parents = [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1), st.just(i - 1))) for i in range(1, size)]
    people = []
    for org in [*range(size), None]:
        for _ in range(draw(st.integers(0, 12 if org is not None else 2))):
            status = draw(st.sampled_from(MEMBER_STATUSES))
            flow = draw(st.sampled_from(["none", "none", "out", "in"]))
            year = draw(st.sampled_from([2020, 2021]))
            score = draw(st.sampled_from([0, 55, 60, 65, 72, 85, 95]))
            people.append((org, status, flow, year, score, draw(st.sampled_from([2019, 2020, 2021]))))
    return parents, people


# --- the reader: what sums and differences of published figures give away ------------------


def truth(reg, scores, unit: str) -> tuple[Counter, list[str]]:
    """Every figure's true count at a unit (from the members themselves), and its scored members."""
    if unit == HOME:
        below = list(reg.members)
    else:
        orgs, stack = [], [unit]
        while stack:
            orgs.append(stack.pop())
            stack.extend(reg.children.get(orgs[-1], []))
        below = [m for o in orgs for m in reg.members_of.get(o, [])]
    figures = Counter()
    scored = [m for m in below if reg.members[m]["status"] in SCORED_STATUSES]
    for m in below:
        member = reg.members[m]
        figures[("members",)] += 1
        figures[("status", member["status"])] += 1
        if member.get("flow"):
            figures[("flow", member["flow"]["direction"])] += 1
    figures[("party",)] = len(scored)
    years = [scores.given[m][0] for m in scored]
    for year in set(years):
        for m in scored:
            if scores.joined_by(m, datetime.date(year, 12, 31)):  # a year's figures: its rolls at the year's end
                figures[("stars", year, stars_for(scores.yearly_score(m, year), DEFAULT_STARS))] += 1
    return figures, scored


def sum_to(cell) -> tuple | None:
    """The kind of an average: scores summed to a day (an org page's year, or a ranking's period end)."""
    if cell[0] == "average":  # members admitted by the year's end (a year's rolls)
        return ("sum-to", datetime.date(cell[1], 12, 31), "joined")
    if cell[0] == "points":  # members admitted by the day
        return ("sum-to", datetime.date.fromisoformat(cell[2]), "joined")
    return None


def derived(shown: dict) -> dict:
    """Every count a reader gets at one unit: a published total minus any set of its published parts."""
    found = {(cell, frozenset()): n for cell, n in shown.items() if sum_to(cell) is None}
    totals = {("members",): shown.get(("members",))}
    if ("party",) in shown:
        totals[("party",)] = shown[("party",)]
    elif ("status", "预备党员") in shown and ("status", "正式党员") in shown:
        totals[("party",)] = shown[("status", "预备党员")] + shown[("status", "正式党员")]
    stars = [c for c in shown if c[0] == "stars"]
    families = {
        ("members",): [
            [("status", s) for s in MEMBER_STATUSES],
            [("flow", "out"), ("flow", "in")],
            [*stars, *(("status", s) for s in UNSCORED), ("party",)],
        ],
        ("party",): [[("status", s) for s in SCORED_STATUSES], stars],
    }
    for total, value in totals.items():
        if value is None:
            continue
        for family in families[total]:
            parts = [c for c in family if c in shown and c != total]
            for k in range(len(parts) + 1):
                for chosen in combinations(parts, k):
                    found[(total, frozenset(chosen))] = value - sum(shown[c] for c in chosen)
    return found


def leaks(tree: dict[str, str | None], shown: dict[str, dict], present: dict | None = None) -> list[str]:
    """Every figure a reader derives that counts 1–4 members: at a unit, or a unit less any figures below it.

    `shown`: unit -> published cell -> the members it counts (for an average, its scored members:
    a reader who knows them turns averages into sums, and sums to the same day subtract).
    `present`: every cell of every unit (shown or not) with its count, for the bounds attack."""
    children: dict[str, list[str]] = {}
    for unit, parent in tree.items():
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    per_unit = {u: derived(cells) for u, cells in shown.items()}
    for u, cells in shown.items():
        sums = {sum_to(c): n for c, n in cells.items() if sum_to(c) is not None}
        per_unit[u].update(sums)
        per_unit[u].update(
            {
                (kind, day, "later"): n - sums[(kind, day, "joined")]  # both: the later members' sum
                for (kind, day, group), n in sums.items()
                if group == "all" and (kind, day, "joined") in sums
            }
        )
    found = []
    for key in {k for figures in per_unit.values() for k in figures}:

        def sums(unit: str) -> set[int]:
            """What a reader can subtract for `unit`'s subtree: nothing, its figure, or sums from below."""
            below = {0}
            for child in children.get(unit, []):
                below = {a + b for a in below for b in sums(child)}
            return below | ({per_unit[unit][key]} if key in per_unit.get(unit, {}) else set())

        for unit, figures in per_unit.items():
            if key not in figures:
                continue
            below = {0}
            for child in children.get(unit, []):
                below = {a + b for a in below for b in sums(child)}
            bad = sorted(figures[key] - s for s in below if 0 < figures[key] - s < 5)
            if bad:
                found.append(f"{unit} {key}: {bad}")
    return found + (pinned(children, shown, present) if present is not None else [])


def kinds(cells: dict) -> dict:
    """A unit's cells by what they count: a count cell is its own kind, an average counts its sum's day."""
    found = {}
    for cell, n in cells.items():
        found[sum_to(cell) or cell] = n
    return found


def pinned(children: dict, shown: dict, present: dict) -> list[str]:
    """The bounds attack: a 少于5人 child holds at most 4, so a figure that is exactly 4 × its hidden children
    (all 少于5人, the unit having no members of its own in it) pins each of them at 4."""
    found = []
    for unit, cells in shown.items():
        for kind, total in kinds(cells).items():
            kids = children.get(unit, [])
            values = [kinds(present[c]).get(kind) for c in kids]
            if None in values or sum(values) != total:
                continue  # a child without the figure (unbounded to a reader), or members of the unit's own
            published = [kinds(shown[c]).get(kind) for c in kids]
            hidden = [v for v, p in zip(values, published) if p is None]
            rest = total - sum(p for p in published if p is not None)
            if hidden and all(v < 5 for v in hidden) and rest == 4 * len(hidden):
                found.append(f"{unit} {kind}: {len(hidden)} children pinned at 4")
    return found


def published_view(reg, scores, outcome, table: Table) -> dict:
    """unit -> published cell -> the members it counts, from the members themselves."""
    shown = {}
    for unit in table.cells:
        values, scored = truth(reg, scores, unit)
        expected = {
            c: values[c] if sum_to(c) is None else sum(scores.joined_by(m, sum_to(c)[1]) for m in scored)
            for c in table.cells[unit]
        }
        assert table.cells[unit] == expected, unit
        shown[unit] = {c: n for c, n in expected.items() if (unit, c) in outcome.published}
    return shown


def test_the_reader_finds_the_leak_of_primary_suppression_alone():
    """The checker is not vacuous: 6 members over children of 5 and 1, with only small figures hidden."""
    reg, scores = fake_registry(
        [None, 0, 0], [(1, "正式党员", "none", 2020, 60)] * 5 + [(2, "正式党员", "none", 2020, 95)]
    )
    table = figure_table(StatsBook(reg, scores))
    primary = {(u, c) for u, cells in table.cells.items() for c, n in cells.items() if n >= 5}
    found = leaks(table.parent, published_view(reg, scores, SimpleNamespace(published=primary), table))
    assert any(line.startswith("o0 (('members',)") for line in found), found
    assert any("sum-to" in line for line in found), found


def test_a_parent_of_six_over_children_of_five_and_one():
    reg, scores = fake_registry(
        [None, 0, 0], [(1, "正式党员", "none", 2020, 60)] * 5 + [(2, "正式党员", "none", 2020, 95)]
    )
    table = figure_table(StatsBook(reg, scores))
    outcome = suppress(table)
    assert ("o1", ("members",)) in outcome.withheld  # the smallest other child
    assert ("o0", ("members",)) in outcome.published
    assert leaks(table.parent, published_view(reg, scores, outcome, table), table.cells) == []


def test_two_children_of_four_under_a_parent_of_eight_are_not_pinned():
    """少于5人 means at most 4: 8 members over two such children and none of its own would pin both at 4."""
    people = [(1, "正式党员", "none", 2020, 60)] * 4 + [(2, "正式党员", "none", 2020, 70)] * 4
    reg, scores = fake_registry([None, 0, 0], people)
    table = figure_table(StatsBook(reg, scores))
    shown = published_view(
        reg,
        scores,
        SimpleNamespace(published={(u, c) for u, cells in table.cells.items() for c, n in cells.items() if n >= 5}),
        table,
    )
    assert any("pinned" in line for line in leaks(table.parent, shown, table.cells))
    outcome = suppress(table)
    assert ("o0", ("members",)) in outcome.withheld
    assert leaks(table.parent, published_view(reg, scores, outcome, table), table.cells) == []
    reg, scores = fake_registry([None, 0, 0], people + [(0, "正式党员", "none", 2020, 80)])  # one of its own: slack
    assert ("o0", ("members",)) in suppress(figure_table(StatsBook(reg, scores))).published


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries())
def test_no_difference_of_published_figures_counts_one_to_four_members(drawn):
    reg, scores = fake_registry(*drawn)
    table = figure_table(StatsBook(reg, scores))
    outcome = suppress(table)
    assert outcome.unresolved == []
    assert all(table.cells[u][c] >= 5 for u, c in outcome.published)
    assert leaks(table.parent, published_view(reg, scores, outcome, table), table.cells) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries())
def test_with_the_home_page_locked_every_leak_left_is_reported(drawn):
    """While the home page shows its figures unaudited, what cannot be fixed around them is reported."""
    reg, scores = fake_registry(*drawn)
    table = figure_table(StatsBook(reg, scores), home_locked=True)
    outcome = suppress(table)
    found = leaks(table.parent, published_view(reg, scores, outcome, table), table.cells)
    assert bool(found) <= bool(outcome.unresolved)
    assert all(line.startswith(" ") for line in found), found  # what is left is the home page's own (unit "")
    assert {unit for unit, _, _ in outcome.unresolved} <= {HOME}
    assert {(u, c) for u, c in table.locked if table.cells[u][c] >= 5} <= outcome.published


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries(), st.data())
def test_a_rankings_averages_are_shown_and_every_other_figure_is_withheld_around_them(drawn, data):
    """A ranking shows each ranked org's average score whatever its size: what that gives away is reported,
    and nothing else is left to give anything away."""
    reg, scores = fake_registry(*drawn)
    ranked = data.draw(st.lists(st.sampled_from(sorted(reg.orgs)), unique=True))
    last = data.draw(
        st.sampled_from([datetime.date(2020, 12, 31), datetime.date(2021, 12, 31), datetime.date(2021, 6, 30)])
    )
    rankings = [(org, ("points", "scheme", last.isoformat()), last) for org in ranked]
    table = figure_table(StatsBook(reg, scores), rankings=rankings)
    outcome = suppress(table)
    assert {(org, cell) for org, cell, _ in rankings} <= outcome.published
    found = leaks(table.parent, published_view(reg, scores, outcome, table), table.cells)
    assert bool(found) == bool(outcome.unresolved), (found, outcome.unresolved)
    assert all(name.startswith(("points:", "average:")) for _, name, _ in outcome.unresolved)


def test_a_leak_only_locked_figures_could_fix_does_not_stop_the_repair_of_others():
    """The home page (locked) gives 3 预备党员 away by 党员 − 正式党员; the org's own 3, by 在册 − the rest, is
    still fixed.
    """
    people = [
        (0, status, "none", 2020, 60)
        for status, n in (("入党申请人", 5), ("入党积极分子", 5), ("发展对象", 5), ("正式党员", 5), ("预备党员", 3))
        for _ in range(n)
    ]
    reg, scores = fake_registry([None], people)
    table = figure_table(StatsBook(reg, scores), home_locked=True)
    outcome = suppress(table)
    assert outcome.unresolved  # the home page's own subtraction
    found = leaks(table.parent, published_view(reg, scores, outcome, table), table.cells)
    assert found and all(line.startswith(" ") for line in found), found  # only at the home page (unit "")


# --- the complete attack on statuses and flows: any sum of any published figures ---------------


def in_span(vector, generators) -> bool:
    """Exact (Fractions): is `vector` a linear combination of `generators`?"""
    return _rank(generators) == _rank([*generators, vector])


def _rank(rows) -> int:
    basis = []
    for row in [list(map(Fraction, r)) for r in rows]:
        for pivot, base in basis:
            if row[pivot]:
                factor = row[pivot] / base[pivot]
                row = [x - factor * y for x, y in zip(row, base)]
        pivot = next((i for i, x in enumerate(row) if x), None)
        if pivot is not None:
            basis.append((pivot, row))
    return len(basis)


KINDS = {
    "status": (
        MEMBER_STATUSES,
        lambda m: m["status"],
        {
            ("members",): MEMBER_STATUSES,
            ("party",): tuple(SCORED_STATUSES),
            **{("status", s): (s,) for s in MEMBER_STATUSES},
        },
    ),
    "flow": (
        ("out", "in", "none"),
        lambda m: (m.get("flow") or {}).get("direction", "none"),
        {("members",): ("out", "in", "none"), ("flow", "out"): ("out",), ("flow", "in"): ("in",)},
    ),
}


def small_countable_sets(reg, table: Table, published) -> list[str]:
    """Every count of 1–4 members a reader gets from any sum of published figures of statuses or of flows.

    A set X of members (what X takes of each org's own members: a set of statuses) is countable exactly
    when, from each org to each child, what X takes changes by a vector the child's published figures
    span (and at the top, from nothing). Searched bottom up, counts capped at 5."""
    children: dict[str, list[str]] = {}
    for unit, parent in table.parent.items():
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    found = []
    for kind, (atoms, atom_of, cells) in KINDS.items():
        subsets = list(itertools.product((0, 1), repeat=len(atoms)))
        spans = {
            u: [tuple(int(a in cells[c]) for a in atoms) for c in table.cells[u] if c in cells and (u, c) in published]
            for u in table.parent
        }
        own = {
            u: Counter(
                atom_of(m)
                for m in reg.members.values()
                if (m.get("org") or HOME) == u or (u == HOME and m.get("org") not in reg.orgs)
            )
            for u in table.parent
        }
        memo: dict = {}

        def counts(unit, chosen):
            if (unit, chosen) not in memo:
                total = {min(5, sum(own[unit][a] for a, x in zip(atoms, chosen) if x))}
                for child in children.get(unit, []):
                    options = set()
                    for below in subsets:
                        step = [b - a for a, b in zip(chosen, below)]
                        if below == chosen or (spans[child] and in_span(step, spans[child])):
                            options |= counts(child, below)
                    total = {min(5, a + b) for a in total for b in options}
                memo[(unit, chosen)] = total
            return memo[(unit, chosen)]

        for chosen in subsets:  # at the top, from nothing: nothing, or a set the home page's figures span
            if not any(chosen) or (spans[HOME] and in_span(chosen, spans[HOME])):
                bad = sorted(k for k in counts(HOME, chosen) if 0 < k < 5)
                if bad:
                    found.append(f"{kind} {dict(zip(atoms, chosen))}: {bad}")
    return found


def test_the_home_page_s_党员_less_one_org_s_正式党员_is_no_count_of_one():
    """Found by the complete search: 党员 (home page) − 正式党员 (an org) counted the one 预备党员 below it."""
    people = (
        [(2, "入党申请人")] * 8
        + [(3, "入党申请人")] * 3
        + [(4, "入党申请人")] * 10
        + [(4, "入党积极分子")] * 2
        + [(5, "入党积极分子")] * 2
        + [(5, "预备党员")]
        + [(5, "正式党员")] * 5
    )
    reg, scores = fake_registry([None, None, None, None, None, 4], [(o, s, "none", 2020, 0, 2019) for o, s in people])
    table = figure_table(StatsBook(reg, scores))
    primary = {(u, c) for u, cells in table.cells.items() for c, n in cells.items() if n >= 5}
    assert small_countable_sets(reg, table, primary)
    assert small_countable_sets(reg, table, suppress(table).published) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries())
def test_no_sum_of_any_published_figures_of_statuses_or_flows_counts_one_to_four_members(drawn):
    reg, scores = fake_registry(*drawn)
    table = figure_table(StatsBook(reg, scores))
    assert small_countable_sets(reg, table, suppress(table).published) == []


def test_span_finds_complements_and_nothing_else():
    dim = Dimension("d", ("a", "b", "c"), {})
    from dangjian.suppression import indicators

    everything, a, b = 0b111, 0b001, 0b010
    assert indicators(frozenset({everything, a}), 3) == {everything, a, 0b110}
    assert indicators(frozenset({0b011, 0b110}), 3) == {0b011, 0b110}  # a − c is not a set of members
    assert indicators(frozenset({everything, 0b011, 0b110}), 3) == set(range(1, 8))
    assert dim.mask(["c", "a"]) == 0b101 and b == 0b010


# --- the demo ------------------------------------------------------------------------------


def stat_figures(body) -> dict[str, str]:
    """Label → value of every figure under 党员队伍 on an org page, as a reader sees them."""
    figures = {}
    for stat in body.select(".dj-stat"):
        figures[stat.select_one(".dj-stat__label").get_text(strip=True)] = stat.select_one(".dj-stat__value").get_text(
            strip=True
        )
    for table in body.select("table"):
        heads = [th.get_text(strip=True) or th.select_one("[title]")["title"] for th in table.select("thead th")]
        cells = [td.get_text(strip=True) for td in table.select("tbody tr:first-child td")]
        if heads and all(h in MEMBER_STATUSES or h.endswith("星") for h in heads):
            figures.update(zip(heads, cells))
    return figures


def number(text: str) -> Fraction | None:
    try:
        return Fraction(text)
    except ValueError:
        return None


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return build_site(REPO, tmp_path_factory.mktemp("suppression") / "site")


def test_huzhou_minus_nanxun_no_longer_gives_deqing(demo):
    """湖州 = 德清 + 南浔 (+ empty districts): 德清's 4 members' average and counts must not follow by subtraction."""
    huzhou = stat_figures(article(demo, "orgs/huzhou/"))
    nanxun = stat_figures(article(demo, "orgs/huzhou-nanxun/"))
    deqing = stat_figures(article(demo, "orgs/huzhou-deqing/"))
    assert deqing["在册人数"] == "少于5人" and deqing["2016 年平均积分"] == "少于5人"
    both = [
        label for label in huzhou if number(huzhou[label]) is not None and number(nanxun.get(label, "")) is not None
    ]
    for label in both:
        assert not 0 < number(huzhou[label]) - number(nanxun[label]) < 5, label
    assert "2016 年平均积分" not in both  # 11 × 湖州 − 7 × 南浔 = 4 × 64 was 德清's hidden average
    assert nanxun["在册人数"] == "—"


def test_demo_org_pages_leak_nothing_by_difference():
    """Every figure the demo's org pages show, attacked as in the property test."""
    from dangjian.site.data import SiteData
    from dangjian.validate import validate

    data = SiteData(validate(REPO).registry, datetime.date(2026, 1, 1))
    table = data.figures
    assert {c for _, c in table.forced} == {("points", "caota-villages", p) for p in ("2015-Q1", "2015-Q2", "2015-Q3")}
    ends = {
        "2015-Q1": "2015-03-31",
        "2015-Q2": "2015-06-30",
        "2015-Q3": "2015-09-30",
    }  # periods are labelled, not dated
    present = {
        u: {(c[0], c[1], ends[c[2]]) if c[0] == "points" else c: n for c, n in cells.items()}
        for u, cells in table.cells.items()
    }
    shown = {
        u: {c: n for c, n in cells.items() if (u, c) in data.disclosure.published} for u, cells in table.cells.items()
    }
    shown = {
        u: {(c[0], c[1], ends[c[2]]) if c[0] == "points" else c: n for c, n in cells.items()}
        for u, cells in shown.items()
    }
    assert data.disclosure.unresolved == []
    assert leaks(table.parent, shown, present) == []


def test_what_pages_receive_carries_no_hidden_value():
    """SiteData.stats hands templates a figure only when it is published; shown_stats is a drop-in for the view."""
    from dangjian.site.data import Small, SiteData, Withheld
    from dangjian.site.kinds.org import org_page
    from dangjian.validate import validate

    data = SiteData(validate(REPO).registry, datetime.date(2026, 1, 1))
    published = data.disclosure.published
    for org_id in data.reg.orgs:
        raw, shown = data.book.of(org_id), data.stats(org_id)
        figures = [
            (("members",), raw.members, shown.members),
            (("flow", "out"), raw.flow_out, shown.flow_out),
            (("flow", "in"), raw.flow_in, shown.flow_in),
        ]
        figures += [(("status", s), raw.by_status[s], shown.by_status[s]) for s in MEMBER_STATUSES]
        if shown.average is not None:
            assert (org_id, ("average", raw.year)) in published
            figures += [(("stars", raw.year, k), raw.stars[k], shown.stars[k]) for k in data.reg.stars]
        for cell, value, shown_value in figures:
            if (org_id, cell) in published:
                assert shown_value == value and type(shown_value) is int, (org_id, cell)
            else:
                assert isinstance(shown_value, Withheld if value >= 5 else Small), (org_id, cell)
        assert org_page(data, org_id).context["stats"] == data.shown_stats(org_id), (
            org_id
        )  # the org page shows what suppression allows
    assert any(isinstance(data.stats(o).members, Withheld) for o in data.reg.orgs)


def test_units_no_root_reaches_publish_nothing():
    """A cycle of parents (a registry validation would refuse) is never audited, so nothing of it is shown."""
    dim = Dimension("status", ("a",), {("members",): ("a",)})
    table = Table(
        {"r": None, "x": "y", "y": "x"},
        [dim],
        {u: {"status": (10,)} for u in "rxy"},
        {u: {("members",): 10} for u in "rxy"},
    )
    assert suppress(table).published == {("r", ("members",))}


def test_the_home_page_shows_its_figures_as_suppression_allows_them():
    """The home page's member figures are suppression's (home_figures()), and on the demo equal the counts."""
    from dangjian.site.data import HOME_LOCKED, SiteData
    from dangjian.site.kinds.home import home
    from dangjian.validate import validate

    data = SiteData(validate(REPO).registry, datetime.date(2026, 1, 1))
    figures = home(data).context["figures"]
    mine = data.home_figures()
    assert not HOME_LOCKED and (mine["members"], mine["party_members"]) == (
        figures["members"],
        figures["party_members"],
    )


def test_ranking_rows_whose_average_gives_members_away_are_named(registry):
    """A ranking's 党员积分 over 1–4 scored members is the members' mean: SiteData names those rows."""
    from dangjian.site.data import SiteData
    from dangjian.validate import validate

    root = registry()
    scheme = root / "registry/assessments/schemes/town-villages.yaml"
    scheme.write_text(
        scheme.read_text(encoding="utf-8").replace(
            "bonus_cap:", "  - id: points\n    name: 党员积分\n    max: 10\n    derive: points_average\nbonus_cap:"
        ),
        encoding="utf-8",
    )
    result = validate(root)
    assert result.problems == []
    data = SiteData(result.registry, datetime.date(2026, 6, 1))
    scored = {
        o: data.book.totals(o).by_status["正式党员"] + data.book.totals(o).by_status["预备党员"]
        for o in ("east", "west")
    }
    assert all(0 < n < 5 for n in scored.values()), scored
    assert data.unsafe_rankings == {("east", "town-villages", "2026-Q1"), ("west", "town-villages", "2026-Q1")}


def test_a_ranking_row_whose_average_gives_members_away_shows_neither_it_nor_its_total(registry, tmp_path):
    """Read as a reader reads: on the period page, the home page and in /api/, the 党员积分 cell and
    the 总分 cell of such a row say —, the other indicators and the rank stay (a total less the
    other indicators would give the average back)."""
    import json

    from reading import tables
    from site_helpers import page

    root = registry()
    scheme = root / "registry/assessments/schemes/town-villages.yaml"
    scheme.write_text(
        scheme.read_text(encoding="utf-8").replace(
            "bonus_cap:", "  - id: points\n    name: 党员积分\n    max: 10\n    derive: points_average\nbonus_cap:"
        ),
        encoding="utf-8",
    )
    from dangjian.site.build import build

    report = build(root, tmp_path / "site", with_search=False)
    site = report.out
    assert sum("党员积分和总分不公开" in w for w in report.warnings) == 2, report.warnings
    [ranking] = [
        t for t in tables(page(site, "rankings/town-villages/2026-Q1/")) if any("总分" in h for h in t.headers)
    ]
    assert ranking.rows, "the ranking table has rows"
    for row in ranking.rows:
        points = next(v for h, v in row.items() if h.startswith("党员积分"))
        assert (points, row["总分"]) == ("—", "—"), row
        assert row["排名"].strip()[:1].isdigit()
    rows = json.loads((site / "api/rankings/town-villages/2026-Q1.json").read_text(encoding="utf-8"))
    assert {r["org"] for r in rows} == {"east", "west"}
    assert all(r["total"] is None and r["points"] is None for r in rows), rows
    header, *lines = (site / "api/rankings/town-villages/2026-Q1.csv").read_text(encoding="utf-8-sig").splitlines()
    columns = header.split(",")
    assert lines and all(
        line.split(",")[columns.index("total")] == "" == line.split(",")[columns.index("points")] for line in lines
    )
