"""Every page of the site: its address, title, template and the data the template may see."""

from __future__ import annotations

import re
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..rankings import BOTTOM_TIER, TOP_TIER
from .data import SiteData

NAV = (
    ("首页", ""),
    ("组织", "orgs/"),
    ("品牌", "brands/"),
    ("书记项目", "projects/"),
    ("工作排位", "rankings/"),
    ("典型事迹", "stories/"),
    ("活动", "activities/"),
    ("开放数据", "api/"),
)

TIERS = {"top": TOP_TIER, "bottom": BOTTOM_TIER}  # one word per tier, shared with `dangjian rank`
HOME_RANKS = 5  # the home page lists the ranks up to this one (ties included), then says how many it left out


@dataclass
class SitePage:
    """One HTML page to write."""

    url: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    sources: tuple[str, ...] = ()  # registry files this page shows (for page history)


def nav_entries(data: SiteData) -> list[tuple[str, str]]:
    """The global nav: a few sections, then free pages by their `order`."""
    pages = sorted(data.reg.all("page"), key=lambda p: (p.get("order", 0), p.slug))
    return [*NAV, *((page_title(p), f"{p.slug}/") for p in pages)]


def page_title(page) -> str:
    """A free page's title: front matter, else its first heading, else its slug."""
    if page.get("title"):
        return page["title"]
    for line in page.body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.slug


def all_pages(data: SiteData) -> Iterator[SitePage]:
    """Every HTML page of the site, in a stable order."""
    yield home(data)
    yield org_tree(data)
    for org_id in sorted(data.reg.orgs):
        yield org_page(data, org_id)
        yield org_activities(data, org_id)
    for person in data.public_members:
        yield member_page(data, person.id)
    yield brand_gallery(data)
    for brand in data.brands:
        yield brand_page(data, brand)
    yield from project_indexes(data)
    for project in data.projects:
        yield project_page(data, project)
    yield rankings_index(data)
    for scheme in data.schemes:
        yield ranking_history(data, scheme)
        for ranking in data.histories[scheme.id]:
            yield ranking_page(data, ranking)
    yield story_index(data)
    for story in data.stories:
        yield story_page(data, story)
    yield from tag_pages(data)
    yield activity_index(data)
    months = activity_months(data)
    order = list(months)
    for at, (month, items) in enumerate(months.items()):
        yield from activity_month(data, month, items, neighbours(order, at))
    yield api_index(data)
    for page in sorted(data.reg.all("page"), key=lambda p: p.slug):
        yield SitePage(f"{page.slug}/", page_title(page), "page.html", {"page": page}, sources=(page.file,))


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
    return SitePage(
        "",
        data.site.get("title", "首页"),
        "home.html",
        {
            "figures": figures,
            "ranking": ranking,
            "leading": leading,
            "left_out": len(ranking.rows) - len(leading) if ranking else 0,
            "brands": featured,
            "stories": data.stories[:6],
            "site": data.site,
            "tag_slugs": story_tags(data),
        },
        data.site.get("description", ""),
    )


def leading_rows(rows: list, limit: int) -> list:
    """The rows ranked `limit` or better, in order: ties at the limit come along, no rank is skipped."""
    return [row for row in rows if row.rank <= limit]


ORGS_IN_TREE = 1000  # more orgs than this, and /orgs/ shows the upper levels only (a city's tree was over 1 MB)


def _tree(data: SiteData, org_id: str, depth: int, limit: int) -> dict[str, Any]:
    org = data.reg.orgs[org_id]
    kids = data.children(org_id)
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
    roots = [data.root] if data.root in data.reg.orgs else []
    depth = _tree_depth(data, roots)
    trees = [_tree(data, r, 0, depth) for r in roots]
    cut = any(_has_hidden(tree) for tree in trees)
    return SitePage(
        "orgs/",
        "组织体系",
        "org_tree.html",
        {"trees": trees, "cut": cut, "total": len(data.reg.orgs)},
        "全部组织的层级结构",
    )


def _has_hidden(tree: dict[str, Any]) -> bool:
    return bool(tree["hidden"]) or any(_has_hidden(c) for c in tree["children"])


def _stats_view(data: SiteData, org_id: str) -> dict[str, Any]:
    """An org's 党员队伍 figures as suppression allows them (each a number, 少于5人 or —)."""
    return data.shown_stats(org_id)


def org_page(data: SiteData, org_id: str) -> SitePage:
    org = data.reg.orgs[org_id]
    own = data.by_org.get(org_id, {})
    context = {
        "org": org,
        "ancestors": data.ancestors(org_id),
        "children": data.children(org_id),
        "secretary": data.person(org.get("secretary")),
        "brand": data.reg.brands.get(org.get("brand")),
        "benchmark": data.org(org.get("benchmark")),
        "helps": data.helped_by.get(org_id, []),
        "stats": _stats_view(data, org_id),
        "projects": own.get("projects", []),
        "activities": own.get("activities", [])[:10],
        "activity_count": len(own.get("activities", [])),
        "stories": own.get("stories", []),
        "rankings": data.rankings_of(org_id),
        "tag_slugs": story_tags(data),
    }
    return SitePage(f"orgs/{org_id}/", org["name"], "org.html", context, f"{org['name']}（{org['kind']}）", (org.file,))


def org_activities(data: SiteData, org_id: str) -> SitePage:
    org = data.reg.orgs[org_id]
    return SitePage(
        f"orgs/{org_id}/activities/",
        f"{org['name']} · 活动",
        "org_activities.html",
        {"org": org, "activities": data.by_org.get(org_id, {}).get("activities", [])},
    )


def member_page(data: SiteData, member_id: str) -> SitePage:
    person = data.person(member_id)
    year, stars = data.member_stars(member_id)
    mine = data.by_member.get(member_id, {})
    context = {
        "person": person,
        "org": data.org(person.org),
        "year": year,
        "stars": stars,
        "stories": mine.get("stories", []),
        "projects": mine.get("projects", []),
        "tag_slugs": story_tags(data),
    }
    return SitePage(
        f"members/{member_id}/", person.name, "member.html", context, sources=(data.reg.members[member_id].file,)
    )


def brand_gallery(data: SiteData) -> SitePage:
    umbrellas = [b for b in data.brands if not b.get("parent") or b["parent"] not in data.reg.brands]
    subs: dict[str, list] = defaultdict(list)
    for brand in data.brands:  # one pass, not one scan per umbrella
        if brand.get("parent"):
            subs[brand["parent"]].append(brand)
    groups = [(b, subs[b.id]) for b in umbrellas if subs.get(b.id)]
    # A brand with no sub-brands is a card among the others, not a heading over nothing.
    singles = [b for b in umbrellas if not subs.get(b.id)]
    return SitePage(
        "brands/", "党建品牌", "brands.html", {"groups": groups, "singles": singles}, "各级党组织的党建品牌"
    )


def brand_page(data: SiteData, brand) -> SitePage:
    linked = data.by_brand.get(brand.id, {})
    context = {
        "brand": brand,
        "owner": data.org(brand.get("owner")),
        "parent": data.reg.brands.get(brand.get("parent")),
        "subs": data.sub_brands(brand.id),
        "projects": linked.get("projects", []),
        "stories": linked.get("stories", []),
        "orgs": sorted(linked.get("orgs", []), key=lambda o: o.id),
        "tag_slugs": story_tags(data),
    }
    return SitePage(f"brands/{brand.id}/", brand["name"], "brand.html", context, brand.get("slogan", ""), (brand.file,))


PROJECTS_ON_ONE_PAGE = 400  # rows; a city's whole list would be megabytes on a phone
ACTIVITIES_ON_ONE_PAGE = 400  # a city's month holds thousands of activities


def chunked(items: list, size: int, url: str) -> list[tuple[int, str, list]]:
    """`items` in pages of at most `size`: (number, address, items); page 1 at `url`,
    page n at `url` + "n/"."""
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    return [(n, url + (f"{n}/" if n > 1 else ""), chunk) for n, chunk in enumerate(chunks, 1)]


def project_indexes(data: SiteData) -> list[SitePage]:
    """The list of projects: one page; or, for a long list, pages by year of at most
    PROJECTS_ON_ONE_PAGE rows (/projects/by-year/<year>/, then …/<year>/2/ and on), with
    /projects/ showing the first page of the newest year."""
    projects = data.projects
    description = "书记项目一览，可按类别、状态、年份和组织筛选"
    if len(projects) <= PROJECTS_ON_ONE_PAGE:
        return [SitePage("projects/", "书记项目", "projects.html", {"projects": projects}, description)]
    by_year: dict[int, list] = {}
    for project in projects:  # newest year first
        by_year.setdefault(project["year"], []).append(project)
    years = [(year, len(items)) for year, items in by_year.items()]
    pages = []
    for year, items in by_year.items():
        chunks = chunked(items, PROJECTS_ON_ONE_PAGE, f"projects/by-year/{year}/")
        pager = [(n, url) for n, url, _ in chunks]
        for n, url, chunk in chunks:
            title = f"{year}年书记项目" + (f"（第{n}页）" if n > 1 else "")
            context = {
                "projects": chunk,
                "year": year,
                "years": years,
                "total": len(projects),
                "here": url,
                "chunks": pager,
                "chunk": n,
                "per_page": PROJECTS_ON_ONE_PAGE,
            }
            pages.append(
                SitePage(url, title, "projects.html", context, f"{year}年的书记项目，可按类别、状态和组织筛选")
            )
    first = pages[0]
    pages.insert(
        0, SitePage("projects/", "书记项目", "projects.html", dict(first.context, here="projects/"), description)
    )
    return pages


def project_page(data: SiteData, project) -> SitePage:
    team = data.people(project.get("team", []))
    hidden = len([m for m in project.get("team", []) if data.person(m) is None])
    milestones = [dict(m, state=data.milestone_state(m)) for m in project.get("milestones", [])]
    context = {
        "project": project,
        "org": data.org(project.get("org")),
        "lead": data.person(project.get("lead")),
        "team": team,
        "others": hidden,
        "brand": data.reg.brands.get(project.get("brand")),
        "milestones": sorted(milestones, key=lambda m: m["due"]),
        "progress": data.progress(project),
        "updates": sorted(project.get("updates", []), key=lambda u: u["date"], reverse=True),
        "reviews": sorted(project.get("reviews", []), key=lambda r: r["date"]),
    }
    return SitePage(
        f"projects/{project.id}/",
        project["title"],
        "project.html",
        context,
        f"{project['category']}书记项目 · {project['status']}",
        (project.file,),
    )


def rankings_index(data: SiteData) -> SitePage:
    return SitePage(
        "rankings/", "工作排位", "rankings.html", {"schemes": [(s, data.histories[s.id]) for s in data.schemes]}
    )


def ranking_history(data: SiteData, scheme) -> SitePage:
    from .charts import rank_chart

    history = data.histories[scheme.id]
    return SitePage(
        f"rankings/{scheme.id}/",
        scheme["name"],
        "ranking_history.html",
        {"scheme": scheme, "history": history, "scope": data.org(scheme.get("scope")), "chart": rank_chart(history)},
        sources=(scheme.file,),
    )


def ranking_page(data: SiteData, ranking) -> SitePage:
    scheme = ranking.scheme
    return SitePage(
        f"rankings/{scheme.id}/{ranking.period.label}/",
        f"{scheme['name']} · {ranking.period.label}",
        "ranking.html",
        {"scheme": scheme, "ranking": ranking, "tiers": TIERS},
        sources=(scheme.file, ranking.result.file),
    )


def story_index(data: SiteData) -> SitePage:
    tags = Counter(t for s in data.stories for t in s.get("tags", []))
    slugs = story_tags(data)  # pinyin: the order a reader looks for a Chinese word in
    return SitePage(
        "stories/",
        "典型事迹",
        "stories.html",
        {
            "stories": data.stories,
            "tags": sorted(tags.items(), key=lambda item: (slugs[item[0]], item[0])),
            "tag_slugs": slugs,
        },
    )


def story_page(data: SiteData, story) -> SitePage:
    context = {
        "story": story,
        "org": data.org(story.get("org")),
        "brand": data.reg.brands.get(story.get("brand")),
        "people": data.people(story.get("members", [])),
        "tag_slugs": story_tags(data),
    }
    return SitePage(
        f"stories/{story.slug}/", story["title"], "story.html", context, story.get("source", ""), (story.file,)
    )


_TAGS: weakref.WeakKeyDictionary[SiteData, dict[str, str]] = weakref.WeakKeyDictionary()  # not kept past the build


def story_tags(data: SiteData) -> dict[str, str]:
    """Every story tag → the folder of its page under stories/tags/ (computed once per site)."""
    if data not in _TAGS:
        _TAGS[data] = tag_slugs(t for s in data.stories for t in s.get("tags", []))
    return _TAGS[data]


def tag_slugs(tags: Iterable[str]) -> dict[str, str]:
    """tag → a folder name made of [a-z0-9-] only (the tag's pinyin), unique among the tags.

    A tag is registry text: it may hold "/", "..", or anything else, so it never becomes a path itself.
    """
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for tag in sorted(set(tags)):
        base = _pinyin_slug(tag) or "tag"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        slugs[tag] = slug
    return slugs


def _pinyin_slug(text: str) -> str:
    from pypinyin import lazy_pinyin

    words = (re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-") for word in lazy_pinyin(text))
    return "-".join(w for w in words if w)[:60].strip("-")


def tag_pages(data: SiteData) -> list[SitePage]:
    """/stories/tags/<slug>/: the stories with one tag, newest first."""
    by_tag: dict[str, list] = defaultdict(list)
    for story in data.stories:
        for tag in dict.fromkeys(story.get("tags", [])):
            by_tag[tag].append(story)
    pages = []
    for tag, slug in story_tags(data).items():
        stories = by_tag[tag]
        pages.append(
            SitePage(
                f"stories/tags/{slug}/",
                f"标签：{tag}",
                "story_tag.html",
                {"tag": tag, "stories": stories, "tag_slugs": story_tags(data)},
                f"标注了“{tag}”的典型事迹",
                tuple(s.file for s in stories),
            )
        )
    return pages


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
    """The months with activities just before and after `months[at]` (`months` newest first), as (YYYY-MM, 2015年6月)."""
    older = months[at + 1] if at + 1 < len(months) else None
    newer = months[at - 1] if at > 0 else None
    return {"older": older and (older, month_name(older)), "newer": newer and (newer, month_name(newer))}


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


def api_index(data: SiteData) -> SitePage:
    from .exports import export_files

    return SitePage(
        "api/", "开放数据", "api.html", {"files": sorted(export_files(data))}, "可供下载的 JSON 和 CSV 数据"
    )


def changes_page(pages: list[SitePage], revisions: list) -> SitePage:
    """最近更新: the latest commits to the registry, each with the pages it changed."""
    by_file: dict[str, list[SitePage]] = defaultdict(list)
    for page in pages:
        for source in page.sources:
            by_file[source].append(page)
    entries = []
    for revision in revisions:
        touched = {p.url: p for f in revision.files for p in by_file.get(f, [])}
        entries.append(
            {
                "revision": revision,
                "pages": sorted(touched.values(), key=lambda p: p.url)[:8],
                "more": max(len(touched) - 8, 0),
            }
        )
    return SitePage("changes/", "最近更新", "changes.html", {"entries": entries}, "登记簿最近的修改记录")
