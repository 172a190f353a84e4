"""Yearly reports on the site (issue 21): /orgs/<id>/<year>/ for each org's report years, /reports/ and
/reports/<year>/, which compares the root's direct children. site/reports.py computes and decides what may
be shown; this module shapes the pages. Charts are inline SVG (site/charts.py), each with its table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..charts import labelled_bars, month_columns
from ..incremental import Made
from ..reports import NOT_PUBLISHED, ROWS_AT_MOST, Year, kinds_in, meetings_in, report_years, reports
from .. import kept
from .base import Part, SiteKind, SitePage

if TYPE_CHECKING:
    from ...load import Record
    from ..data import OrgView, SiteData

INDEX = "reports/"
# The org page's links to its reports (pages/_reports.html): the org page's context is org.py's, so the years
# reach it through the `report_years` filter, which answers from the last site whose pages were listed here.
# An entry holds its org record and is used only for that very record (never a same-named org of another site).


def url(org_id: str, year: int) -> str:
    return f"orgs/{org_id}/{year}/"


def pages(data: SiteData) -> Iterator[SitePage]:
    book = reports(data)
    for org_id, years in sorted(book.years.items()):
        for year in years:
            yield org_report(data, org_id, year)
    root = _root(data)
    if root is None:
        return
    yield index(data, root)
    for year in book.years.get(root, []):
        yield comparison(data, root, year)


def _root(data: SiteData) -> str | None:
    return data.root if data.root in data.reg.orgs else None


def index(data: SiteData, root: str) -> SitePage:
    """/reports/: the root's report years, and its children."""
    root_years = reports(data).years.get(root, [])
    return SitePage(
        INDEX,
        "年度报告",
        "reports.html",
        {"years": list(reversed(root_years)), "root": data.org_views[root], "children": _children(data, root)},
        "各年度工作报告：活动、三会一课、书记项目、积分和表彰",
    )


def alone(data: SiteData, address: str) -> SitePage | None:
    """An org's report of a year, /reports/ or a year's comparison made alone (an org renamed: its reports, titled
    with its name, and the comparisons naming it; `made_noting` notes those names)."""
    root = _root(data)
    if address == INDEX:
        return index(data, root) if root is not None else None
    found = _REPORT.fullmatch(address)
    if found is None:
        return None
    org_id, year = found.group(1), int(found.group(2))
    if org_id is None:
        return comparison(data, root, year) if root is not None and year in reports(data).years.get(root, []) else None
    return org_report(data, org_id, year) if year in reports(data).years.get(org_id, []) else None


_REPORT = re.compile(r"(?:orgs/([^/]+)|reports)/(\d{4})/")


def _children(data: SiteData, org_id: str) -> list[OrgView]:
    children = data.reg.children.get(org_id, [])
    return sorted((data.org_views[c] for c in children if c in data.reg.orgs), key=lambda view: view.id)


def summary(data: SiteData, org_id: str, year: int) -> dict[str, Any]:
    """The year's headline figures of one org (each a number, or 不公布 where it may not be shown)."""
    book = reports(data)
    figures = book.year(org_id, year)
    tally = [sum(t[i] for t in figures.compliance.values()) for i in range(4)]
    has_report, headcount_shown, scores = _published(data, org_id, year)
    average = scores["average"] if scores is not None else None
    return {
        "org": data.org_views[org_id],
        "activities": sum(figures.activities.values()),
        "headcount": figures.headcount if headcount_shown else NOT_PUBLISHED,
        "due": tally[0],
        "held": tally[1],
        "missing": tally[2],
        "open": tally[3],
        "started": len(figures.started),
        "finished": len(figures.finished),
        "milestones": figures.milestones,
        "on_time": figures.on_time,
        "honours": len(figures.honours),
        "average": average,
        "has_report": has_report,
    }


def org_report(data: SiteData, org_id: str, year: int) -> SitePage:
    org = data.org_views[org_id]
    book = reports(data)
    figures = book.year(org_id, year)
    shown = {
        "org": org,
        "year": year,
        "years": book.years.get(org_id, []),
        "current": year == data.today.year,
        "today": data.today,
        "head": summary(data, org_id, year),
        "scores": book.scores(org_id, year),
        "scores_year": data.shown_stats(org_id).get("year"),
        "honours": _honours(data, org_id, year)[1],
        "more_honours": max(len(figures.honours) - ROWS_AT_MOST, 0),
        "rankings": _rankings(data, org_id, year),
        "below": _below(data, org_id, year),  # the children's own reports of the year
    }
    return SitePage(
        url(org_id, year),
        f"{org['name']} {year} 年度报告",
        "report.html",
        Made(_report_context, shown, figures),  # the charts made only when the page is rendered
        f"{org['name']}{year}年的活动、三会一课、书记项目、积分和表彰",
        (data.reg.orgs[org_id].file,),
    )


def _report_context(shown: dict[str, Any], figures: Year) -> dict[str, Any]:
    """A report page's context from what it shows (`org_report`) and the org's year: its charts and lists."""
    name, year = shown["org"]["name"], shown["year"]
    return {
        **shown,
        "activities": _activities(figures, name, year),
        "compliance": _compliance(figures, name, year),
        "projects": {
            "started": figures.started[:ROWS_AT_MOST],
            "finished": figures.finished[:ROWS_AT_MOST],
            "more_started": max(len(figures.started) - ROWS_AT_MOST, 0),
            "more_finished": max(len(figures.finished) - ROWS_AT_MOST, 0),
        },
    }


def _activities(figures: Year, name: str, year: int) -> dict[str, Any] | None:
    kinds = kinds_in(figures)
    if not kinds:
        return None
    rows = [(month, [figures.activities[kind, month] for kind in kinds]) for month in range(1, 13)]
    totals = [(kind, sum(figures.activities[kind, m] for m in range(1, 13))) for kind in kinds]
    most = max(n for _, n in totals)
    return {
        "kinds": kinds,
        "rows": rows,
        "totals": totals,
        "chart": month_columns(rows, kinds, f"{name}{year}年"),
        "by_kind": labelled_bars([(k, n, f"{n}次") for k, n in totals], f"{name}{year}年各类活动次数", most),
    }


def held_of_due(held: int, due: int) -> str:
    """三会一课 held of due, as a report writes it: each number with its 次, so that no two run together
    (a city's 16597/108908 read as a mobile number to the privacy gate)."""
    return f"{held}次/{due}次"


def held_label(due: int) -> str:
    """The label under the figure of 三会一课 held: what was due, in words (the two numbers side by side as one
    figure wrapped badly on a phone, and written 16597/108908 read as a mobile number to the privacy gate)."""
    return f"三会一课已召开（应召开 {due} 次）"


def _compliance(figures: Year, name: str, year: int) -> dict[str, Any] | None:
    meetings = meetings_in(figures)
    if not meetings:
        return None
    rows = []
    for kind, short in meetings:
        due, held, missing, open_ = figures.compliance[kind]
        rows.append((kind, short, due, held, missing, open_))
    bars: list[tuple[str, float | None, str]] = [
        (short, held / due if due else None, held_of_due(held, due)) for _, short, due, held, _, _ in rows
    ]
    return {"rows": rows, "chart": labelled_bars(bars, f"{name}{year}年三会一课已召开/应召开", 1.0)}


def _honour(data: SiteData, honour: Record) -> dict[str, Any]:
    return {
        "record": honour,
        "org": data.org_view(honour.get("org")),
        "person": data.person(honour.get("member")),
    }


def _rankings(data: SiteData, org_id: str, year: int) -> list[tuple[Record, list[tuple[str, int | None]]]]:
    found = []
    for scheme, ranks in data.rankings_of(org_id):
        mine = [(label, rank) for label, rank in ranks if label[:4] == str(year)]
        if any(rank is not None for _, rank in mine):
            found.append((scheme, mine))
    return found


def comparison(data: SiteData, root: str, year: int) -> SitePage:
    """/reports/<year>/: the root's direct children side by side."""
    every = [summary(data, c.id, year) for c in _children(data, root)]
    rows = [r for r in every if r["has_report"]]  # a unit with no dated record that year: named, not compared
    name = data.org_views[root].name  # a lookup (`made_noting`), as the rows' names are
    activity_bars = [(r["org"]["name"], r["activities"], f"{r['activities']}次") for r in rows]
    compliance_bars = [
        (r["org"]["name"], r["held"] / r["due"] if r["due"] else None, f"{r['held']}/{r['due']}次" if r["due"] else "—")
        for r in rows
    ]
    return SitePage(
        f"{INDEX}{year}/",
        f"{year} 年度报告 · 各单位对比",
        "report_compare.html",
        {
            "year": year,
            "root": data.org_views[root],
            "root_summary": summary(data, root, year),
            "rows": rows,
            "quiet": [r["org"] for r in every if not r["has_report"]],
            "years": reports(data).years.get(root, []),
            "activity_chart": labelled_bars(activity_bars, f"{name}下属各单位{year}年活动次数"),
            "compliance_chart": labelled_bars(compliance_bars, f"{name}下属各单位{year}年三会一课已召开/应召开", 1.0)
            if any(r["due"] for r in rows)
            else None,
        },
        f"{name}下属各单位{year}年的活动、三会一课、书记项目和表彰对比",
    )


def org_context(data: SiteData, org_id: str) -> dict[str, Any]:
    """An org page's `report_links`: its report years, newest first, and whether it is the root, whose page also
    links to /reports/."""
    years = list(reversed(report_years(data).get(org_id, [])))
    return {"report_links": {"years": years, "index": bool(years) and org_id == data.root}}


def counted(data: SiteData) -> dict[str, Any]:
    """What each page reads of the members, the ledger, the results, the schemes and the rule book (`COUNTED_READ`),
    page by page: the years they date (the pages there are, each org's and its children's report years), whether a
    year's 人次 is shown (the counts over time, which weigh the counting), the average score and stars as published and
    the year they are of (the other years' reports name it), the ranks, and the honours of the year (a member's counts
    where the member was on a roll on 31 December, and names them if public). The rest of a page (its year's
    activities, 三会一课 and projects) reads none of them. A points entry, a result or a member's admission day edited
    makes again the reports whose figures changed, where every report was made and keyed again (a city's 10,000). The
    years follow from the page list too (a year gained or lost makes the kind whole: a page's part the last build had
    none for, or none now)."""
    book = reports(data)
    found: dict[str, Any] = {}
    for org_id, years in sorted(book.years.items()):
        for year in years:
            found[url(org_id, year)] = (
                years,
                _published(data, org_id, year),
                data.shown_stats(org_id).get("year"),
                _rankings(data, org_id, year),
                [c.id for c in _below(data, org_id, year)],
                _honours(data, org_id, year),
            )
    root = _root(data)
    if root is None:
        return found
    root_years = found[INDEX] = book.years.get(root, [])
    for year in root_years:
        found[f"{INDEX}{year}/"] = (
            root_years,
            [
                (org_id, _published(data, org_id, year), len(book.year(org_id, year).honours))
                for org_id in [root, *(c.id for c in _children(data, root))]
            ],
        )
    return found


def _honours(data: SiteData, org_id: str, year: int) -> tuple[int, list[dict[str, Any]]]:
    """What a report shows of its year's honours: how many, and those it lists (a member's with the member shown)."""
    honours = reports(data).year(org_id, year).honours
    return len(honours), [_honour(data, h) for h in honours[:ROWS_AT_MOST]]


def _below(data: SiteData, org_id: str, year: int) -> list[OrgView]:
    """The org's children with a report of `year` (a report lists them)."""
    years = reports(data).years
    return [c for c in _children(data, org_id) if year in years.get(c.id, [])]


def _published(data: SiteData, org_id: str, year: int) -> tuple[bool, bool, dict[str, Any] | None]:
    """What a summary of an org's year reads of the counting and of the years dated (`summary` reads them here):
    whether the org has a report that year, whether its 人次 is shown, its average score and stars as published."""
    book = reports(data)
    return year in book.years.get(org_id, []), book.headcount_shown(org_id, year), book.scores(org_id, year)


# What its pages read (`keptpages`) of the members and of the kinds that are counted but dated and published only
# (`counted`), page by page; and of orgs, what is counted and what is shown of one (`data.OrgView`: its name a lookup,
# noted too where a title or a chart is made of it), the activities, projects and honours their years' figures count.
COUNTED_READ = kept.Aggregate(
    "reportcounted", kept.COUNTING - {"org", "activity", "project", "site"}, fields=kept.MEMBERS_READ
)
READS = kept.Aggregate(
    "reportpages",
    (kept.COUNTING - COUNTED_READ.kinds) | {"honour"},
    today=True,
    fields={"org": kept.COUNTED_VIEWED["org"], **COUNTED_READ.fields},  # of the kinds its part reads, as it declares
    viewed=kept.NAMES_VIEWED,
    by_page=COUNTED_READ.kinds,
)


KIND = SiteKind(
    name="report",
    urls=(r"orgs/[^/]+/\d{4}/", INDEX, r"reports/\d{4}/"),
    pages=pages,
    reads=READS,
    parts={"counted": Part(COUNTED_READ, counted)},
    org_context=org_context,
    filters={"held_label": held_label},
    alone=alone,
)
