"""书记项目 on the site: the list (by year when long), a page for each project, its progress."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .base import SiteKind, SitePage, by_year_pages, ident, section
from .. import exports, images, kept
from ..persite import per_site

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData

PROJECTS_ON_ONE_PAGE = 400  # rows; a city's whole list would be megabytes on a phone


def listed(reg: Registry) -> list[Record]:
    """Newest year first, then by id."""
    return sorted(reg.all("project"), key=lambda p: (-p.get("year", 0), p.id))


def _members(project: Record) -> list[str]:
    """The lead and the team, each once (a member page lists the project once)."""
    return [m for m in dict.fromkeys([project.get("lead"), *project.get("team", [])]) if m]


def milestone_state(milestone: dict[str, Any], today: datetime.date) -> str:
    """done, overdue (due date passed, not done) or due."""
    if "done" in milestone:
        return "done"
    return "overdue" if milestone["due"] < today else "due"


def progress(project: Record) -> int:
    """Percent of a project's milestones done."""
    milestones = project.get("milestones", [])
    if not milestones:
        return 100 if project.get("status") in ("已完成", "已验收") else 0
    return round(100 * sum("done" in m for m in milestones) / len(milestones))


def pages(data: SiteData) -> Iterator[SitePage]:
    yield from project_indexes(data)
    for project in data.projects:
        yield project_page(data, project)


def project_indexes(data: SiteData) -> list[SitePage]:
    """The list of projects: one page; or, for a long list, pages by year of at most
    PROJECTS_ON_ONE_PAGE rows (/projects/by-year/<year>/, then …/<year>/2/ and on), with
    /projects/ showing the first page of the newest year."""
    projects = data.projects
    description = "书记项目一览，可按类别、状态、年份和组织筛选"
    if len(projects) <= PROJECTS_ON_ONE_PAGE:
        return [SitePage("projects/", "书记项目", "projects.html", {"projects": projects}, description)]
    pages = []
    for url, chunk, paged in by_year_pages(projects, lambda p: p["year"], PROJECTS_ON_ONE_PAGE, "projects/by-year/"):
        year, n = paged["year"], paged["chunk"]
        title = f"{year}年书记项目" + (f"（第{n}页）" if n > 1 else "")
        context = {"projects": chunk, **paged}
        pages.append(SitePage(url, title, "projects.html", context, f"{year}年的书记项目，可按类别、状态和组织筛选"))
    first = pages[0]
    pages.insert(
        0, SitePage("projects/", "书记项目", "projects.html", dict(first.context, here="projects/"), description)
    )
    return pages


def project_page(data: SiteData, project: Record) -> SitePage:
    team = data.people(project.get("team", []))
    hidden = len([m for m in project.get("team", []) if data.person(m) is None])
    milestones = [dict(m, state=milestone_state(m, data.today)) for m in project.get("milestones", [])]
    context = {
        "project": project,
        "org": data.org_view(project.get("org")),
        "lead": data.person(project.get("lead")),
        "team": team,
        "others": hidden,
        "brand": data.reg.brands.get(project.get("brand")),
        "milestones": sorted(milestones, key=lambda m: m["due"]),
        "progress": progress(project),
        "updates": sorted(project.get("updates", []), key=lambda u: u["date"], reverse=True),
        "reviews": sorted(project.get("reviews", []), key=lambda r: r["date"]),
        "gallery": images.gallery(images.photos_of(data), project),
    }
    return SitePage(
        url(project),
        project["title"],
        "project.html",
        context,
        f"{project['category']}书记项目 · {project['status']}",
        (project.file,),
    )


def url(project: Record) -> str:
    """A project's own page."""
    return f"projects/{project.id}/"


def alone(data: SiteData, address: str) -> SitePage | None:
    """A project's own page or a page of the list made alone (the list's pages are made, the one asked for given)."""
    if address == "projects/" or _BY_YEAR.fullmatch(address):
        return next((page for page in project_indexes(data) if page.url == address), None)
    project = _by_url(data).get(address)
    return project_page(data, project) if project is not None else None


_BY_YEAR = re.compile(r"projects/by-year/\d+/(\d+/)?")


@per_site
def _by_url(data: SiteData) -> dict[str, Record]:
    return {url(project): project for project in data.projects}


# Columns of api/projects computed rather than written in a field, after the declared ones.
DERIVED: dict[str, Callable[[Record], Any]] = {
    "milestones": lambda p: len(p.get("milestones", [])),
    "milestones_done": lambda p: sum("done" in m for m in p.get("milestones", [])),
    "progress": progress,
}


def export(data: SiteData) -> dict[str, exports.Rows]:
    """api/projects: every project by id, its declared columns, then DERIVED; no table when there are none (as
    for brands)."""
    rows = exports.record_rows(data, "project", sorted(data.projects, key=ident), DERIVED)
    return {"api/projects": rows} if rows else {}


EXPORTED = kept.Aggregate(
    "projecttable", frozenset({"project", "member", "site"}), fields=kept.MEMBERS_NAMED
)  # members named


# What its pages read (`keptpages`)
READS = kept.Aggregate(
    "projectpages",
    frozenset({"project", "org", "brand", "member", "site"}),
    today=True,
    assets=True,
    fields=kept.VIEWED_FIELDS,
    viewed=kept.NAMES_VIEWED,
)


KIND: SiteKind = SiteKind(
    name="project",
    urls=("projects/", r"projects/by-year/\d+/(\d+/)?", r"projects/[^/]+/"),
    pages=pages,
    reads=READS,
    record="project",
    url_of=url,
    plural="projects",
    listed=listed,
    links={
        "org": lambda p: [p["org"]] if p.get("org") else [],
        "brand": lambda p: [p["brand"]] if p.get("brand") else [],
        "member": _members,
    },
    nav=section("书记项目", "projects/"),
    export=export,
    exported=EXPORTED,
    derived=DERIVED,
    alone=alone,
)
