"""党员活动 on the site: the months at /activities/, and each month's activities (in pages when busy)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import images, kept
from .base import SiteKind, SitePage, chunked, section
from ..persite import per_site
from ..calendars import is_planned, planned_by_org, site_files

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData

ACTIVITIES_ON_ONE_PAGE = 400  # a city's month holds thousands of activities


def listed(reg: Registry) -> list[Record]:
    """Held activities, newest first (a `planned: true` one is not held: site/calendars.py and the month pages
    list it apart, as 计划)."""
    held = (a for a in reg.all("activity") if not is_planned(a))
    return sorted(held, key=lambda a: (a["date"], a.id), reverse=True)


def pages(data: SiteData) -> Iterator[SitePage]:
    yield activity_index(data)
    for at in range(len(_order(data))):
        yield from _month_pages(data, at)


@per_site
def _order(data: SiteData) -> list[str]:
    """Every month with held or planned activities, newest first."""
    return sorted(set(activity_months(data)) | set(planned_months(data)), reverse=True)


def _month_pages(data: SiteData, at: int) -> list[SitePage]:
    """The pages of the month at `at` of `_order` (`activity_month`), linked to the months around it."""
    order = _order(data)
    month = order[at]
    months, plans = activity_months(data), planned_months(data)
    return activity_month(data, month, months.get(month, []), neighbours(order, at), plans.get(month, []))


def alone(data: SiteData, address: str) -> SitePage | None:
    """The months' list or one page of a month made alone (a month's pages share its sorted activities: the month's
    are made, and the page asked for is given)."""
    if address == "activities/":
        return activity_index(data)
    month = address.removeprefix("activities/")[:7]
    if not _MONTH_PAGE.fullmatch(address) or month not in _order(data):
        return None
    return next((page for page in _month_pages(data, _order(data).index(month)) if page.url == address), None)


_MONTH_PAGE = re.compile(r"activities/\d{4}-\d{2}/(\d+/)?")


@per_site
def activity_months(data: SiteData) -> dict[str, list]:
    """YYYY-MM → that month's held activities, newest month first."""
    months: dict[tuple[int, int], list] = defaultdict(list)
    for activity in data.activities:  # by (year, month): a city's 60,000 `strftime` took 0.1 s
        day = activity["date"]
        months[(day.year, day.month)].append(activity)
    return {f"{year}-{month:02d}": found for (year, month), found in sorted(months.items(), reverse=True)}


@per_site
def planned_months(data: SiteData) -> dict[str, list]:
    """YYYY-MM → that month's planned activities (not held: listed apart), by date."""
    months: dict[str, list] = defaultdict(list)
    for plans in planned_by_org(data).values():
        for activity in plans:
            months[activity["date"].strftime("%Y-%m")].append(activity)
    return {month: sorted(items, key=lambda a: (a["date"], a.id)) for month, items in sorted(months.items())}


def activity_index(data: SiteData) -> SitePage:
    months = activity_months(data)
    plans = planned_months(data)
    by_year: dict[str, list] = defaultdict(list)
    for month in _order(data):
        by_year[month[:4]].append((month, len(months.get(month, [])), len(plans.get(month, []))))
    return SitePage("activities/", "党员活动", "activities.html", {"years": sorted(by_year.items(), reverse=True)})


def neighbours(months: list[str], at: int) -> dict[str, tuple[str, str] | None]:
    """The months with activities just before and after `months[at]` (`months` newest first), as
    (YYYY-MM, 2015年6月).
    """
    older = months[at + 1] if at + 1 < len(months) else None
    newer = months[at - 1] if at > 0 else None
    return {
        "older": (older, month_name(older)) if older else None,
        "newer": (newer, month_name(newer)) if newer else None,
    }


def month_name(month: str) -> str:
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def activity_month(
    data: SiteData,
    month: str,
    items: list,
    around: dict[str, tuple[str, str] | None] | None = None,
    planned: list | None = None,
) -> list[SitePage]:
    """A month's activities: one page, or pages of at most ACTIVITIES_ON_ONE_PAGE, linked to the months around it."""
    chunks = chunked(sorted(items, key=lambda a: (a["date"], a.id)), ACTIVITIES_ON_ONE_PAGE, f"activities/{month}/")
    pager = [(n, url) for n, url, _ in chunks]
    return [
        SitePage(
            url,
            f"{month_name(month)}的活动" + (f"（第{n}页）" if n > 1 else ""),
            "activity_month.html",
            {
                "month": month,
                "activities": chunk,
                "chunks": pager,
                "chunk": n,
                "here": url,
                "total": len(items),
                "around": around or {},
                "planned": (planned or []) if n == 1 else [],  # 计划: on the month's first page, apart
                "galleries": photo_galleries(data, chunk),
            },
        )
        for n, url, chunk in chunks
    ]


def photo_galleries(data: SiteData, activities: list) -> list[tuple[Record, dict]]:
    """The activities of a page that carry photos or a video, each with its gallery (site/images.py)."""
    photos = images.photos_of(data)
    found = ((activity, images.gallery(photos, activity)) for activity in activities)
    return [(activity, gallery) for activity, gallery in found if gallery]


# What its pages read (`keptpages`)
READS = kept.Aggregate(
    "activitypages",
    frozenset({"activity", "org", "member", "venue", "site"}),
    today=True,
    assets=True,
    fields=kept.VIEWED_FIELDS,
    viewed=kept.NAMES_VIEWED,
)


KIND: SiteKind = SiteKind(
    name="activity",
    urls=("activities/", r"activities/\d{4}-\d{2}/(\d+/)?"),
    pages=pages,
    reads=READS,
    record="activity",
    plural="activities",
    listed=listed,
    links={"org": lambda a: [a["org"]] if a.get("org") else []},
    nav=section("活动", "activities/"),
    files=site_files,  # calendar.ics: upcoming planned activities (site/calendars.py)
    alone=alone,
)
