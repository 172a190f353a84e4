"""党建阵地 on the site: the list at /venues/ and a page for each venue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .base import SiteKind, SitePage, ident, section

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData


def listed(reg: Registry) -> list[Record]:
    """By id."""
    return sorted(reg.all("venue"), key=ident)


def pages(data: SiteData) -> Iterator[SitePage]:
    venues = data.listed("venue")
    yield SitePage("venues/", "党建阵地", "venues.html", {"venues": venues}, "各级党组织的党群服务中心")
    for venue in venues:
        context = {"venue": venue, "org": data.org(venue.get("org"))}
        yield SitePage(url(venue), venue["name"], "venue.html", context, venue.get("address", ""), (venue.file,))


def url(venue: Record) -> str:
    """A venue's own page."""
    return f"venues/{venue.id}/"


KIND = SiteKind(
    name="venue",
    urls=("venues/", r"venues/[^/]+/"),
    pages=pages,
    record="venue",
    url_of=url,
    plural="venues",
    listed=listed,
    links={"org": lambda venue: [venue["org"]] if venue.get("org") else []},
    nav=section("阵地", "venues/"),
)
