"""The home page, and 最近更新 (/changes/): the site's own pages, over every kind."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from .base import SiteKind, SitePage, section
from .. import kept, three_one
from ..calendars import is_planned

if TYPE_CHECKING:
    from ...model import Registry
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
    projects, year, activities = data.kept_value(COUNTS, lambda: counts(reg))
    figures = {
        "orgs": len(reg.orgs),
        "members": members["members"],
        "projects": projects,
        "project_count": sum(n for _, n in projects),
        "party_members": members["party_members"],
        "activity_year": year,
        "activities": activities,
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


# What the home page counts of the projects and activities, kept between builds (a city's 100,000 activities sorted and
# counted twice took 0.2 s of every build): a story or a roster edited reads neither kind.
COUNTS = kept.Aggregate("homecounts", frozenset({"project", "activity"}))


def counts(reg: Registry) -> tuple[list[tuple[str | None, int]], int | None, int]:
    """The projects by status, the latest year with a held activity and how many were held that year."""
    projects = Counter(p.get("status") for p in reg.all("project"))
    years = Counter(a["date"].year for a in reg.all("activity") if not is_planned(a))
    year = max(years, default=None)
    return sorted(projects.items()), year, years[year] if year is not None else 0


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
