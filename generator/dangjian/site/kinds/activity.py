"""党员活动 on the site: the months at /activities/, and each month's activities (in pages when busy)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .base import SiteKind, SitePage, chunked, section

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData

ACTIVITIES_ON_ONE_PAGE = 400  # a city's month holds thousands of activities


def listed(reg: Registry) -> list[Record]:
    """Newest first."""
    return sorted(reg.all("activity"), key=lambda a: (a["date"], a.id), reverse=True)


def pages(data: SiteData) -> Iterator[SitePage]:
    yield activity_index(data)
    months = activity_months(data)
    order = list(months)
    for at, (month, items) in enumerate(months.items()):
        yield from activity_month(data, month, items, neighbours(order, at))


def activity_months(data: SiteData) -> dict[str, list]:
    """YYYY-MM → that month's activities, newest month first."""
    months: dict[str, list] = defaultdict(list)
    for activity in data.activities:
        months[activity["date"].strftime("%Y-%m")].append(activity)
    return dict(sorted(months.items(), reverse=True))


def activity_index(data: SiteData) -> SitePage:
    months = activity_months(data)
    by_year: dict[str, list] = defaultdict(list)
    for month, items in months.items():
        by_year[month[:4]].append((month, len(items)))
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
    data: SiteData, month: str, items: list, around: dict[str, tuple[str, str] | None] | None = None
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
            },
        )
        for n, url, chunk in chunks
    ]


KIND = SiteKind(
    name="activity",
    urls=("activities/", r"activities/\d{4}-\d{2}/(\d+/)?"),
    pages=pages,
    record="activity",
    plural="activities",
    listed=listed,
    links={"org": lambda a: [a["org"]] if a.get("org") else []},
    nav=section("活动", "activities/"),
)
