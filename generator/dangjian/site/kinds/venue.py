"""场所 (党群服务中心, 新时代文明实践站, 教育基地) on the site: /venues/ by the level of the org keeping each, a page
per venue with the activities held there, a line on its org's page and a link from each activity held there.

No map: a map needs tiles from a server, which the static site does not have.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import exports, kept
from .base import SiteKind, SitePage, ident, section

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData

FOLDER = "venues/"
ACTIVITIES_ON_A_VENUE_PAGE = 50  # the newest; a busy centre hosts hundreds a year


# The venues by id, for the activity lists' links (`activity | venue_of(orgs)`), keyed by the registry's org table,
# which every template has as `orgs` (a record allows no weak reference; the entry goes with its SiteData). Set when
# the venues' pages are made: the build makes every page's context before it renders one.
def listed(reg: Registry) -> list[Record]:
    """By the depth of the org keeping them (the town's centre before the villages' stations), then kind, then id."""
    return sorted(reg.all("venue"), key=lambda v: (depth(reg, v.get("org")), v.get("kind", ""), ident(v)))


def depth(reg: Registry, org_id: str | None) -> int:
    """How far below the top of the tree an org is (0 for the top); unknown orgs last."""
    seen: set[str] = set()
    while org_id in reg.orgs and org_id not in seen:
        seen.add(org_id)
        org_id = reg.orgs[org_id].get("parent")
    return len(seen) if seen else 1_000


def held_at(data: SiteData) -> dict[str, list[Record]]:
    """venue id → the activities held there, newest first."""
    venues = {ident(v) for v in data.listed("venue")}
    held: dict[str, list[Record]] = defaultdict(list)
    if not venues:
        return held
    for activity in data.activities:
        if activity.get("venue") in venues:
            held[activity["venue"]].append(activity)
    return held


def pages(data: SiteData) -> Iterator[SitePage]:
    venues = data.listed("venue")
    if not venues:
        return
    held = held_at(data)
    yield venue_index(data, venues)
    for venue in venues:
        yield venue_page(data, venue, held.get(ident(venue), []))


def levels(data: SiteData, venues: list[Record]) -> list[tuple[str, list[Record]]]:
    """The venues grouped by the kind of org keeping them (党委, 党支部…): (heading, venues), the group whose org
    sits highest in the tree first. One heading per kind, wherever in the tree its orgs sit."""
    groups: dict[str, list[Record]] = defaultdict(list)
    top: dict[str, int] = {}
    for venue in venues:  # listed: by depth already
        org = data.org_view(venue.get("org"))
        kind = org["kind"] if org else "其他"
        groups[kind].append(venue)
        top.setdefault(kind, depth(data.reg, venue.get("org")))
    return [(f"{kind}的场所", groups[kind]) for kind in sorted(groups, key=lambda k: top[k])]


def venue_index(data: SiteData, venues: list[Record]) -> SitePage:
    context = {"levels": levels(data, venues)}
    return SitePage(FOLDER, "场所", "venues.html", context, "党群服务中心、新时代文明实践站和教育基地", ())


def venue_page(data: SiteData, venue: Record, activities: list[Record]) -> SitePage:
    context = {
        "venue": venue,
        "org": data.org_view(venue.get("org")),
        "activities": activities[:ACTIVITIES_ON_A_VENUE_PAGE],
        "activity_count": len(activities),
    }
    description = f"{venue['kind']} · {venue.get('address', '')}"
    return SitePage(url(venue), venue["name"], "venue.html", context, description, (venue.file,))


def url(venue: Record) -> str:
    return f"{FOLDER}{ident(venue)}/"


def export(data: SiteData) -> dict[str, exports.Rows]:
    """api/venues: every venue's declared `export=` fields (none: no table)."""
    rows = exports.record_rows(data, "venue", data.listed("venue"))
    return {"api/venues": rows} if rows else {}


def _nav(data: SiteData) -> list[tuple[str, str]]:
    return section("场所", FOLDER)(data) if data.reg.all("venue") else []


# api/venues: in their orgs' order, members named
EXPORTED = kept.Aggregate("venuetable", frozenset({"venue", "org", "member", "site"}), fields=kept.SHOWN_FIELDS)


# What its pages read (`keptpages`)
READS = kept.Aggregate(
    "venuepages",
    frozenset({"venue", "org", "activity", "member", "site"}),
    fields=kept.VIEWED_FIELDS,
    viewed=kept.NAMES_VIEWED,
)


KIND: SiteKind = SiteKind(  # annotated: mypy cannot infer it through the kinds <-> data import cycle
    name="venue",
    urls=(FOLDER, rf"{FOLDER}[^/]+/"),
    pages=pages,
    reads=READS,
    record="venue",
    url_of=url,
    plural="venues",
    listed=listed,
    links={"org": lambda v: [v["org"]] if v.get("org") else []},
    nav=_nav,
    export=export,
    exported=EXPORTED,
)
