"""Brands on the site: the gallery at /brands/ and a page for each brand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .base import SiteKind, SitePage, ident, section
from .. import exports, kept

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData


def listed(reg: Registry) -> list[Record]:
    """By id."""
    return sorted(reg.brands.values(), key=ident)


def sub_brands(data: SiteData, brand_id: str) -> list[Record]:
    return [b for b in data.brands if b.get("parent") == brand_id]


def pages(data: SiteData) -> Iterator[SitePage]:
    yield brand_gallery(data)
    for brand in data.brands:
        yield brand_page(data, brand)


def brand_gallery(data: SiteData) -> SitePage:
    umbrellas = [b for b in data.brands if not b.get("parent") or b["parent"] not in data.reg.brands]
    subs: dict[str, list] = defaultdict(list)
    for brand in data.brands:  # one pass, not one scan per umbrella
        if brand.get("parent"):
            subs[brand["parent"]].append(brand)
    groups = [(b, subs[ident(b)]) for b in umbrellas if subs.get(ident(b))]
    # A brand with no sub-brands is a card among the others, not a heading over nothing.
    singles = [b for b in umbrellas if not subs.get(ident(b))]
    return SitePage(
        "brands/", "党建品牌", "brands.html", {"groups": groups, "singles": singles}, "各级党组织的党建品牌"
    )


def brand_page(data: SiteData, brand: Record) -> SitePage:
    linked = data.by_brand.get(ident(brand), {})
    orgs = [data.org_views[ident(org)] for org in sorted(linked.get("orgs", []), key=ident)]  # shown: `OrgView`
    context = {
        "brand": brand,
        "owner": data.org_view(brand.get("owner")),
        "parent": data.reg.brands.get(brand.get("parent")),
        "subs": sub_brands(data, ident(brand)),
        "projects": linked.get("projects", []),
        "stories": linked.get("stories", []),
        "orgs": orgs,
        "tag_slugs": data.story_tags,
        # every kind's records that carry this brand, by plural (a new kind: brand.html only)
        "linked": {**linked, "orgs": orgs} if "orgs" in linked else linked,
    }
    return SitePage(url(brand), brand["name"], "brand.html", context, brand.get("slogan", ""), (brand.file,))


def export(data: SiteData) -> dict[str, exports.Rows]:
    """api/brands: the brands in the gallery's order; no table at all when there are none (an empty CSV has no
    header row to describe, and the Data Package standard refuses an empty file)."""
    rows = exports.record_rows(data, "brand", data.brands)
    return {"api/brands": rows} if rows else {}


def url(brand: Record) -> str:
    """A brand's own page."""
    return f"brands/{brand.id}/"


EXPORTED = kept.Aggregate(
    "brandtable", frozenset({"brand", "member", "site"}), fields=kept.MEMBERS_NAMED
)  # api/brands: members named


KIND: SiteKind = SiteKind(
    name="brand",
    urls=("brands/", r"brands/[^/]+/"),
    pages=pages,
    record="brand",
    url_of=url,
    plural="brands",
    listed=listed,
    nav=section("品牌", "brands/"),
    export=export,
    exported=EXPORTED,
)
