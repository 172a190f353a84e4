"""Organizations on the site: the tree at /orgs/, one page per org and its list of activities."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .base import Part, SiteKind, SitePage, ident, section
from .activity import photo_galleries
from .story import own_stories as story_own_stories
from .story import slugs_of
from .. import calendars, exports, kept, timelines
from .. import three_one
from ..charts import membership_chart
from ..persite import per_site
from ..withheld import shown_count

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import OrgView, SiteData

NEW_MEMBERS = "changes/new-members/"  # 本年新发展党员 by org, a "changes" page (linked from /changes/)
ORGS_IN_TREE = 1000  # more orgs than this, and /orgs/ shows the upper levels only (a city's tree was over 1 MB)


def listed(reg: Registry) -> list[Record]:
    """By id."""
    return sorted(reg.orgs.values(), key=ident)


def ancestors(data: SiteData, org_id: str) -> list[OrgView]:
    """The parent chain from the top down, without the org itself."""
    chain: list[OrgView] = []
    current = data.org_view(org_id)
    while current is not None and current.get("parent") and len(chain) < 64:
        current = data.org_view(current["parent"])
        if current is not None:
            chain.append(current)
    return list(reversed(chain))


def children(data: SiteData, org_id: str) -> list[OrgView]:
    return sorted((data.org_views[c] for c in data.reg.children.get(org_id, [])), key=lambda view: view.id)


@per_site
def helped_by(data: SiteData) -> dict[str, list[OrgView]]:
    """Benchmark org id → the weak orgs paired with it."""
    helped: dict[str, list[OrgView]] = defaultdict(list)
    for org in data.listed("org"):
        if org.get("benchmark"):
            helped[org["benchmark"]].append(data.org_views[ident(org)])
    return helped


def pages(data: SiteData) -> Iterator[SitePage]:
    yield org_tree(data)
    for org_id in sorted(data.reg.orgs):
        yield org_page(data, org_id)
        yield org_activities(data, org_id)
    yield new_members_page(data)


def _tree(data: SiteData, org_id: str, depth: int, limit: int) -> dict[str, Any]:
    org = data.org_views[org_id]
    kids = children(data, org_id)
    if depth >= limit:  # cut here: the org's page lists its children
        return {"org": org, "children": [], "hidden": _count_below(data, org_id)}
    return {"org": org, "children": [_tree(data, c.id, depth + 1, limit) for c in kids], "hidden": 0}


def _count_below(data: SiteData, org_id: str) -> int:
    count, todo = 0, list(data.reg.children.get(org_id, []))
    while todo:
        count += 1
        todo.extend(data.reg.children.get(todo.pop(), []))
    return count


def _tree_depth(data: SiteData, roots: list[str]) -> int:
    """How many levels below the roots fit in ORGS_IN_TREE orgs (at least one; at most 64)."""
    shown, level, depth = len(roots), list(roots), 0
    while level and depth < 64:
        below = [c for org_id in level for c in data.reg.children.get(org_id, [])]
        if not below or (shown + len(below) > ORGS_IN_TREE and depth > 0):
            break
        shown, level, depth = shown + len(below), below, depth + 1
    return depth


def org_tree(data: SiteData) -> SitePage:
    roots = [data.root] if data.root is not None and data.root in data.reg.orgs else []
    depth = _tree_depth(data, roots)
    trees = [_tree(data, r, 0, depth) for r in roots]
    cut = any(_has_hidden(tree) for tree in trees)
    # 三会一课 missed: a flag beside the org (its name and kind are the tree's)
    overdue = {row["org"].id: row for row in _overdue(data)}
    return SitePage(
        "orgs/",
        "组织体系",
        "org_tree.html",
        {"trees": trees, "cut": cut, "total": len(data.reg.orgs), "overdue": overdue},
        "全部组织的层级结构",
    )


def _has_hidden(tree: dict[str, Any]) -> bool:
    return bool(tree["hidden"]) or any(_has_hidden(c) for c in tree["children"])


def org_page(data: SiteData, org_id: str) -> SitePage:
    org = data.reg.orgs[org_id]
    own = data.by_org.get(org_id, {})
    stories = own.get("stories", [])
    context = {
        "org": org,  # its own record, whole: the page's part `self`; other orgs as `data.OrgView`
        "ancestors": ancestors(data, org_id),
        "children": children(data, org_id),
        "brand": data.reg.brands.get(org.get("brand")),
        "benchmark": data.org_view(org.get("benchmark")),
        "helps": helped_by(data).get(org_id, []),
        "projects": own.get("projects", []),
        "activities": own.get("activities", [])[:10],
        "activity_count": len(own.get("activities", [])),
        "stories": stories,
        "tag_slugs": slugs_of(data, stories),
        "linked": own,  # every kind's records of this org, by plural: a new kind's list needs only org.html
        "calendar": calendars.org_view(data, org_id),  # 定期活动, 活动日历 and its calendar.ics
        **_counted(data, org_id),
    }
    return SitePage(url(org), org["name"], "org.html", context, f"{org['name']}（{org['kind']}）", (org.file,))


def _counted(data: SiteData, org_id: str) -> dict[str, Any]:
    """What an org page shows of its members and what is counted from them (`FIGURES`, page by page): its
    secretary, its figures and ranks, its history, its 三会一课, and what the kinds add (its report years…)."""
    org = data.reg.orgs[org_id]
    context = {
        "secretary": data.person(org.get("secretary")),
        "stats": data.shown_stats(org_id),  # as suppression allows them (each a number, 少于5人 or —)
        "rankings": data.rankings_of(org_id),
        **_history(data, org_id),
        "three_one": _viewed(data, three_one.shown(data)[1].get(org_id)),
    }
    from . import KINDS  # this module is one of them: read at call time

    for kind in KINDS:
        if kind.org_context is not None:
            context.update(kind.org_context(data, org_id))
    return context


def _overdue(data: SiteData) -> list[dict[str, Any]]:
    """The overdue orgs (`three_one.overdue_rows`), each as a `data.OrgView`: what the tree flags."""
    return [{**row, "org": data.org_views[row["org"].id]} for row in three_one.shown(data)[0]]


def _viewed(data: SiteData, view: dict[str, Any] | None) -> dict[str, Any] | None:
    """An org page's 三会一课 with the overdue orgs under it shown as `data.OrgView` (their names lookups), as the
    tree shows its overdue orgs: kept as counted (`three_one.THREE_ONE`), the rows hold the orgs' records."""
    if view is None or not view["below"]:
        return view
    return {**view, "below": [{**row, "org": data.org_views[row["org"].id]} for row in view["below"]]}


def counted(data: SiteData) -> dict[str, Any]:
    """What each page of orgs shows of members and what is counted from them: an org page's (`_counted`), the
    tree's overdue orgs, the year's new members by org. A roster or result edited makes again only the pages whose
    figures changed."""
    found: dict[str, Any] = {f"orgs/{org_id}/": _counted(data, org_id) for org_id in sorted(data.reg.orgs)}
    found["orgs/"] = _overdue(data)
    found[NEW_MEMBERS] = new_members_page(data).context
    return found


def _history(data: SiteData, org_id: str) -> dict[str, Any]:
    """The org page's 沿革, party members by year-end and 本年新发展党员 (site/timelines.py)."""
    counts = timelines.histories(data)
    new = counts.new.shown.get(org_id)
    return {
        "org_timeline": timelines.org_timeline(data, org_id),
        "membership": counts.membership(org_id),
        "new_members": {"year": counts.new.year, "value": shown_count(new)} if new is not None else None,
    }


def new_members_page(data: SiteData) -> SitePage:
    """本年新发展党员 by org (only the published counts), beside 最近更新."""
    counts = timelines.histories(data)
    return SitePage(
        NEW_MEMBERS,
        f"{counts.new.year} 年新发展党员",
        "new_members.html",
        {"rows": counts.new_rows(), "year": counts.new.year, "current": counts.new.current},
        "各组织本年新发展党员人数",
    )


def org_activities(data: SiteData, org_id: str) -> SitePage:
    org = data.org_views[org_id]
    acts = data.by_org.get(org_id, {}).get("activities", [])
    return SitePage(
        f"orgs/{org_id}/activities/",
        f"{org['name']} · 活动",
        "org_activities.html",
        {"org": org, "activities": acts, "galleries": photo_galleries(data, acts)},
    )


def export(data: SiteData) -> dict[str, exports.Rows]:
    """api/orgs: every org by id (dissolved ones too: their pages stay)."""
    return {"api/orgs": exports.record_rows(data, "org", sorted(data.reg.orgs.values(), key=ident))}


def url(org: Record) -> str:
    """An org's own page."""
    return f"orgs/{org.id}/"


def own_records(data: SiteData) -> dict[str, Any]:
    """Each org page's own record, whole (its summary, address, contacts…), which no other page reads, and the name
    that titles the page of its activities: an org edited makes its own page again, and renamed that one too, not
    the others (they show it as a `data.OrgView`: its kind and parent in the kind's key, its name a lookup)."""
    found: dict[str, Any] = {}
    for org_id, record in data.reg.orgs.items():
        found[f"orgs/{org_id}/"] = record
        found[f"orgs/{org_id}/activities/"] = record.data.get("name")
    return found


def own_stories(data: SiteData) -> dict[str, Any]:
    """Each org page's own stories (`story.own_stories`); an org without stories: none."""
    return story_own_stories(data, data.by_org, "orgs/{}/", data.reg.orgs.__contains__)


def alone(data: SiteData, address: str) -> SitePage | None:
    """An org's own page or the page of its activities, the tree or the year's new members made alone."""
    if address == "orgs/":
        return org_tree(data)
    if address == NEW_MEMBERS:
        return new_members_page(data)
    org_id = address.removeprefix("orgs/").removesuffix("/").removesuffix("/activities")
    if org_id not in data.reg.orgs:
        return None
    if address == f"orgs/{org_id}/activities/":
        return org_activities(data, org_id)
    return org_page(data, org_id) if address == f"orgs/{org_id}/" else None


EXPORTED = kept.Aggregate("orgtable", frozenset({"org", "member", "site"}), fields=kept.MEMBERS_NAMED)  # members named
# The kinds org pages read only through what is counted from them (and the secretary), page by page (`counted`)
FIGURED = frozenset({"member", "ledger", "result", "scheme", "rulebook"})
FIGURES = kept.Aggregate("orgfigurespages", FIGURED, today=True, fields=kept.MEMBERS_READ)
# What the pages of orgs read of every org: what other pages show of one (`kept.ORG_SHOWN`), the pairing (the weak
# orgs a benchmark helps), what the counting reads (the tree on a day) and the recurring plans (an org page lists those
# of the orgs above it); an org page reads the rest of its own record page by page (`own_records`).
ORG_KEYED = tuple(dict.fromkeys((*kept.ORG_VIEWED, *kept.COUNTING_ORG, "recurring")))
# Every kind but the stories and those members are counted from (read page by page: `parts`): the tree, each org's
# projects, activities (their calendars and galleries), honours, notices and venues, brands, the site's settings.
READS = kept.Aggregate(
    "orgpages",
    frozenset({"org", "activity", "project", "site", "brand", "honour", "notice", "venue"}),
    today=True,
    assets=True,
    by_page=frozenset({"story", "org"}) | FIGURED,  # `parts`: an org's own record, whole, and the rest
    fields={"org": ORG_KEYED, **FIGURES.fields},  # of the kinds its parts read, as they declare
    viewed=kept.NAMES_VIEWED,  # other orgs' names, shown as `data.OrgView`; its own, its title, page by page
)


KIND: SiteKind = SiteKind(
    name="org",
    urls=("orgs/", r"orgs/[^/]+/", r"orgs/[^/]+/activities/", NEW_MEMBERS),
    pages=pages,
    record="org",
    url_of=url,
    plural="orgs",
    listed=listed,
    links={"brand": lambda org: [org["brand"]] if org.get("brand") else []},
    nav=section("组织", "orgs/"),
    filters={"membership_chart": membership_chart},
    files=calendars.org_files,  # orgs/<id>/calendar.ics
    export=export,
    exported=EXPORTED,
    reads=READS,
    parts={
        "stories": Part(kept.Aggregate("orgstories", frozenset({"story"})), own_stories),
        "figures": Part(FIGURES, counted),
        "self": Part(kept.Aggregate("orgself", frozenset({"org"})), own_records),
    },
    alone=alone,
)
