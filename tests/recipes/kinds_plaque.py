"""党建阵地 on the site: the list at /plaques/ and a page for each plaque."""

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
    return sorted(reg.all("plaque"), key=ident)


def pages(data: SiteData) -> Iterator[SitePage]:
    plaques = data.listed("plaque")
    yield SitePage("plaques/", "党建阵地", "plaques.html", {"plaques": plaques}, "各级党组织的党群服务中心")
    for plaque in plaques:
        context = {"plaque": plaque, "org": data.org(plaque.get("org"))}
        yield SitePage(url(plaque), plaque["name"], "plaque.html", context, plaque.get("address", ""), (plaque.file,))


def url(plaque: Record) -> str:
    """A plaque's own page."""
    return f"plaques/{plaque.id}/"


KIND = SiteKind(
    name="plaque",
    urls=("plaques/", r"plaques/[^/]+/"),
    pages=pages,
    record="plaque",
    url_of=url,
    plural="plaques",
    listed=listed,
    links={"org": lambda plaque: [plaque["org"]] if plaque.get("org") else []},
    nav=section("阵地", "plaques/"),
)
