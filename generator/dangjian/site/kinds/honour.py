"""Honours (表彰与创评) on the site: /honours/ by year and level, and each recipient's page lists its own.

An org's honour and a public member's are shown as written, the recipient named and linked. A private
member's honour is never shown as itself: the honours of private members are counted per (year, level,
name), and a count is shown only when THRESHOLD or more members stand behind it. No total of honours is
shown anywhere (a year's total less the rows shown would give a smaller count away), and the open data
holds org and public members' honours only.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...recordtypes import HONOUR_LEVELS
from ...suppression import THRESHOLD
from .. import exports, kept
from .base import SiteKind, SitePage, chunked, section

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import OrgView, Person, SiteData


HONOURS_ON_ONE_PAGE = 400  # rows; a city's honours of ten years on one page would be megabytes on a phone
TITLE = "表彰与创评"
DESCRIPTION = "各级组织和党员获得的表彰与创评，按年度和级别排列"


def _level(honour: Record) -> int:
    level = honour.get("level")
    return HONOUR_LEVELS.index(level) if level in HONOUR_LEVELS else len(HONOUR_LEVELS)


def listed(reg: Registry) -> list[Record]:
    """Newest year first, then by level (国家 first), name, and recipient (orgs before members)."""
    return sorted(
        reg.all("honour"),
        key=lambda h: (
            -h.get("year", 0),
            _level(h),
            h.get("name", ""),
            "org" not in h.data,
            h.get("org") or "",
            h.get("member") or "",
        ),
    )


@dataclass(frozen=True)
class Row:
    """One row of /honours/: an honour as written (its org or public member named), or a count of private
    members' honours of one (year, level, name), which exists only when it is THRESHOLD or more."""

    year: int
    level: str
    name: str
    org: OrgView | None = None
    person: Person | None = None
    count: int | None = None  # private members behind a counted row; None on a named row
    giver: str | None = None  # on a counted row, only when every honour behind it names the same giver
    date: datetime.date | None = None
    source: str | None = None


def shown(data: SiteData, honours: Iterable[Record]) -> list[Record]:
    """The honours that may be shown as themselves: an org's, or a public member's."""
    return [h for h in honours if h.get("org") is not None or data.person(h.get("member")) is not None]


def private_counts(data: SiteData, honours: Iterable[Record]) -> dict[tuple[int, str, str], list[Record]]:
    """(year, level, name) → the private members' honours of that group (each member once), of every size."""
    groups: dict[tuple[int, str, str], dict[str, Record]] = {}
    for honour in honours:
        member = honour.get("member")
        if member is None or honour.get("org") is not None or data.person(member) is not None:
            continue
        key = (honour["year"], honour["level"], honour["name"])
        groups.setdefault(key, {}).setdefault(member, honour)
    return {key: list(found.values()) for key, found in groups.items()}


def rows(data: SiteData) -> list[Row]:
    """Every row /honours/ shows, in its order: named rows, and counts of THRESHOLD or more only."""
    honours = data.listed("honour")
    out = [
        Row(
            h["year"],
            h["level"],
            h["name"],
            data.org_view(h.get("org")),
            data.person(h.get("member")),
            None,
            h.get("giver"),
            h.get("date"),
            h.get("source"),
        )
        for h in shown(data, honours)
    ]
    for (year, level, name), group in private_counts(data, honours).items():
        if len(group) < THRESHOLD:
            continue  # never "n members" under THRESHOLD, nor a mark that some exist
        givers = {h.get("giver") for h in group}
        out.append(Row(year, level, name, count=len(group), giver=givers.pop() if len(givers) == 1 else None))
    order = {level: n for n, level in enumerate(HONOUR_LEVELS)}
    return sorted(out, key=lambda r: (-r.year, order.get(r.level, len(order)), r.name, r.count is not None))


def by_year(found: list[Row]) -> list[tuple[int, list[Row]]]:
    """The rows grouped by year, newest first (the rows come in that order)."""
    years: dict[int, list[Row]] = {}
    for row in found:
        years.setdefault(row.year, []).append(row)
    return list(years.items())


def pages(data: SiteData) -> Iterator[SitePage]:
    """/honours/ with every row; past HONOURS_ON_ONE_PAGE rows, a page per year (/honours/<year>/, in pages of
    at most HONOURS_ON_ONE_PAGE: …/<year>/2/ and on), /honours/ showing the newest year's first."""
    found = rows(data)
    files = tuple(dict.fromkeys(h.file for h in data.listed("honour")))
    if len(found) <= HONOURS_ON_ONE_PAGE:
        yield SitePage("honours/", TITLE, "honours.html", {"years": by_year(found)}, DESCRIPTION, files)
        return
    years = by_year(found)
    index = [year for year, _ in years]
    by_page = []
    for year, items in years:
        chunks = chunked(items, HONOURS_ON_ONE_PAGE, f"honours/{year}/")
        pager = [(n, url) for n, url, _ in chunks]
        for n, url, chunk in chunks:
            context = {"years": [(year, chunk)], "year": year, "index": index, "chunks": pager, "here": url}
            title = f"{year}年的表彰与创评" + (f"（第{n}页）" if n > 1 else "")
            by_page.append(SitePage(url, title, "honours.html", context, f"{year}年的表彰与创评，按级别排列", files))
    yield SitePage("honours/", TITLE, "honours.html", dict(by_page[0].context, here="honours/"), DESCRIPTION, files)
    yield from by_page


def export(data: SiteData) -> dict[str, exports.Rows]:
    """api/honours: the honours of orgs and of public members, in the page's order (a private member's: none);
    no table at all when there are none (an empty CSV would have no header row to describe)."""
    rows = exports.record_rows(data, "honour", shown(data, data.listed("honour")))
    return {"api/honours": rows} if rows else {}


def _recipients(kind: str) -> Callable[[Record], list[str]]:
    """The ids an honour links to under `kind` ("org" or "member"): its recipient of that kind, if any."""

    def named(honour: Record) -> list[str]:
        return [honour[kind]] if honour.get(kind) else []

    return named


EXPORTED = kept.Aggregate(
    "honourtable", frozenset({"honour", "member", "site"}), fields=kept.MEMBERS_NAMED
)  # public members' only


# What its pages read (`keptpages`)
READS = kept.Aggregate(
    "honourpages", frozenset({"honour", "org", "member", "site"}), fields=kept.VIEWED_FIELDS, viewed=kept.NAMES_VIEWED
)


KIND: SiteKind = SiteKind(
    name="honour",
    urls=("honours/", r"honours/\d{4}/(\d+/)?"),
    pages=pages,
    reads=READS,
    record="honour",
    plural="honours",
    listed=listed,
    # An org page lists its own honours, a public member's page theirs (a private member has no page).
    links={"org": _recipients("org"), "member": _recipients("member")},
    nav=section("表彰", "honours/"),
    export=export,
    exported=EXPORTED,
)
