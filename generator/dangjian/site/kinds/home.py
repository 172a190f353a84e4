"""The home page, and 最近更新 (/changes/): the site's own pages, over every kind."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from .base import SiteKind, SitePage, section
from .. import three_one

if TYPE_CHECKING:
    from ...history import Revision
    from ..data import SiteData

HOME_RANKS = 5  # the home page lists the ranks up to this one (ties included), then says how many it left out
HOME_OVERDUE = 10  # the home page lists this many orgs with a 三会一课 meeting missing (most missing first)
CHANGES = "changes/"  # made by the build after every other page (`changes_page`)


def pages(data: SiteData) -> Iterator[SitePage]:
    yield home(data)


def home(data: SiteData) -> SitePage:
    reg = data.reg
    members = data.home_figures()  # as suppression allows them, like every org's
    projects = Counter(p.get("status") for p in reg.all("project"))
    year = max((a["date"].year for a in data.activities), default=None)
    figures = {
        "orgs": len(reg.orgs),
        "members": members["members"],
        "projects": sorted(projects.items()),
        "project_count": sum(projects.values()),
        "party_members": members["party_members"],
        "activity_year": year,
        "activities": sum(1 for a in data.activities if a["date"].year == year),
    }
    featured = [b for b in data.brands if not b.get("parent")]
    ranking = data.latest_ranking
    leading = leading_rows(ranking.rows, HOME_RANKS) if ranking else []
    overdue = three_one.shown(data)[0]
    return SitePage(
        "",
        data.settings.get("title", "首页"),
        "home.html",
        {
            "figures": figures,
            "ranking": ranking,
            "leading": leading,
            "left_out": len(ranking.rows) - len(leading) if ranking else 0,
            "brands": featured,
            "stories": data.stories[:6],
            "site": data.settings,
            "tag_slugs": data.story_tags,
            "overdue": overdue[:HOME_OVERDUE],
            "overdue_more": max(len(overdue) - HOME_OVERDUE, 0),
        },
        data.settings.get("description", ""),
    )


def leading_rows(rows: list, limit: int) -> list:
    """The rows ranked `limit` or better, in order: ties at the limit come along, no rank is skipped."""
    return [row for row in rows if row.rank <= limit]


def changes_page(pages: list[SitePage], revisions: list[Revision]) -> SitePage:
    """最近更新: the latest commits to the registry, each with the pages it changed."""
    by_file: dict[str, list[SitePage]] = defaultdict(list)
    for page in pages:
        for source in page.sources:
            by_file[source].append(page)
    entries = []
    for revision in revisions:
        touched = {p.url: p.title for f in revision.files for p in by_file.get(f, [])}
        entries.append(
            {
                "revision": replace(revision, files=()),  # what the page shows of it (its key digests this)
                "pages": [{"url": url, "title": touched[url]} for url in sorted(touched)[:8]],  # a link each
                "more": max(len(touched) - 8, 0),
            }
        )
    return SitePage(CHANGES, "最近更新", "changes.html", {"entries": entries}, "登记簿最近的修改记录")


KIND: SiteKind = SiteKind(name="home", urls=("", CHANGES), pages=pages, nav=section("首页", ""))
