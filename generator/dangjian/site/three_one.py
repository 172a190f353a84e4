"""三会一课 on the site (compliance.py judged on the build's day): an org page's year grid, the overdue orgs
under an org, the org tree's flags and the home page's list. Org figures (meetings), never people: nothing is
suppressed. Kept apart from kinds/org.py so the home page can read it too without importing a kind module.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ..compliance import HELD, MISSING, OPEN, SHORT, Cell, Compliance, Tally
from . import kept
from .persite import per_site

if TYPE_CHECKING:
    from .data import SiteData

THREE_ONE_BELOW = 20  # an org page lists at most this many overdue orgs under it, then says how many more
CELL_TEXT = {HELD: "已召开", MISSING: "缺", OPEN: "未到期"}  # not due: —
QUARTERS = "一二三四"


# What the pages show of 三会一课 (the home page's overdue orgs, each org page's grid and the overdue orgs under it)
# reads activities, the orgs' tree, kinds and dates, `site.yaml`'s rules, and the day: no member (a roster edited
# keeps it).
THREE_ONE = kept.Aggregate(
    "threeone", frozenset({"org", "activity", "site"}), today=True, fields={"org": kept.COUNTING_ORG}
)

Shown = tuple[list[dict[str, Any]], dict[str, dict[str, Any] | None]]


@per_site
def shown(data: SiteData) -> Shown:
    """The overdue rows and every org's view (`three_one_view`), made together once per build, or as the last build
    kept them (`THREE_ONE`)."""
    return data.kept_value(
        THREE_ONE, lambda: (overdue_rows(data), {org: three_one_view(data, org) for org in data.reg.orgs})
    )


@per_site
def compliance(data: SiteData) -> Compliance:
    """The site's 三会一课 compliance, computed once per SiteData, judged on the build's day."""
    return Compliance(data.reg, data.today, data.rolls)


def missing_text(tally: Tally) -> str:
    """支委会 3 次、党课 1 次: what is missing, meeting by meeting, in the grid's order."""
    return "、".join(f"{SHORT.get(kind, kind)} {n} 次" for kind, n in tally.missing_by_kind.items())


@per_site
def overdue_rows(data: SiteData) -> list[dict[str, Any]]:
    """Every org with a meeting missing in its report year, most missing first (computed once)."""
    rows = [
        {"org": data.reg.orgs[org_id], "year": year, "missing": t.missing, "text": missing_text(t)}
        for org_id, year, t in compliance(data).overdue()
    ]
    return sorted(rows, key=lambda r: (-r["missing"], r["org"].id))


@per_site
def overdue_below(data: SiteData) -> dict[str, list[dict[str, Any]]]:
    """Org id → the overdue rows of the orgs under it (today's tree), in `overdue_rows` order: each row is
    filed under its ancestors once, so an org page reads its list without walking its subtree."""
    index: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in overdue_rows(data):
        for ancestor in _ancestors(data, row["org"].id):
            index[ancestor].append(row)
    return dict(index)


def three_one_view(data: SiteData, org_id: str) -> dict[str, Any] | None:
    """An org page's 三会一课: its year grid (an org that owes meetings) and the overdue orgs under it."""
    book = compliance(data)
    year = book.report_year(org_id)
    grid = book.year_grid(org_id, year)
    if grid is not None and not grid.tally.due and not any(c and c.held_on for _, cells in grid.rows for c in cells):
        grid = None  # not existing that year (founded later, dissolved before): a grid of — says nothing
    below = overdue_below(data).get(org_id, [])
    if grid is None and not below:
        return None
    view: dict[str, Any] = {"year": year, "grid": None, "below": below[:THREE_ONE_BELOW], "more": 0}
    view["more"] = max(len(below) - THREE_ONE_BELOW, 0)
    if grid is not None:
        view["grid"] = {
            "kinds": [(kind, SHORT.get(kind, kind)) for kind in grid.kinds],
            "rows": [(month, [_cell_view(c) if c is not None else None for c in cells]) for month, cells in grid.rows],
            "tally": grid.tally,
        }
    return view


def _cell_view(cell: Cell) -> dict[str, Any]:
    days = "、".join(f"{d.month}月{d.day}日" for d in cell.held_on)
    quarter = f"{QUARTERS[(cell.period.first.month - 1) // 3]}季度"
    period = quarter if cell.span == 3 else "全年" if cell.span == 12 else ""  # a longer cell says which
    return {
        "state": cell.state,
        "text": CELL_TEXT.get(cell.state, "—"),
        "span": cell.span,
        "days": days,
        "period": period,
    }


def _ancestors(data: SiteData, org_id: str) -> list[str]:
    """Ids of the orgs above `org_id` in today's tree, nearest first (a cycle is cut)."""
    chain, seen = [], {org_id}
    parent = data.reg.orgs[org_id].get("parent")
    while isinstance(parent, str) and parent in data.reg.orgs and parent not in seen:
        chain.append(parent)
        seen.add(parent)
        parent = data.reg.orgs[parent].get("parent")
    return chain
