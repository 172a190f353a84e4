"""工作提示/通知 on the site: /notices/ (current first, then the expired by year), a page per notice, the Atom feed
/notices/feed.xml, and the current notices on the page of every org they reach.

A notice reaches its audience (its sender when none is written) and every org below it. Whether it is current
is decided on the build's day (`SiteData.today`), never the clock.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import feeds, kept
from ..markdown import render
from .base import LastChanged, SiteKind, SitePage, section

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData

FOLDER = "notices/"


def audience(notice: Record) -> str | None:
    """The org a notice is addressed to: its `audience`, else its sender."""
    return notice.get("audience") or notice.get("from")


def reach(reg: Registry, notice: Record) -> tuple[str, ...]:
    """The orgs a notice reaches: its audience and every org below it (none when the audience is unknown)."""
    to = audience(notice)
    if to not in reg.orgs:
        return ()
    return (to, *sorted(reg.descendants(to)))


def listed(reg: Registry) -> list[Record]:
    """Newest first (by date, then file name)."""
    return sorted(reg.all("notice"), key=lambda n: (n["date"], n.slug or ""), reverse=True)


def is_current(notice: Record, today: datetime.date) -> bool:
    """Valid on `today`: `until` is that day or later (a notice issued later than today is current too)."""
    return bool(notice["until"] >= today)


def reaching(data: SiteData, notices: list[Record]) -> dict[str, list[Record]]:
    """org id → the current notices reaching it, newest first."""
    found: dict[str, list[Record]] = defaultdict(list)
    for notice in notices:
        if is_current(notice, data.today):
            for org_id in reach(data.reg, notice):
                found[org_id].append(notice)
    return found


def org_context(data: SiteData, org_id: str) -> dict[str, Any]:
    """An org page's `notices`: the current notices reaching it (computed once per site)."""
    current = data.memo("notice.reaching", lambda: reaching(data, data.listed("notice")))
    return {"notices": current.get(org_id, [])}


def pages(data: SiteData) -> Iterator[SitePage]:
    notices = data.listed("notice")
    if not notices:
        return
    yield notice_index(data, notices)
    for notice in notices:
        yield notice_page(data, notice)


def split(notices: list[Record], today: datetime.date) -> tuple[list[Record], list[tuple[int, list[Record]]]]:
    """(current ones, newest first; expired ones by the year they were issued, newest year first)."""
    current = [n for n in notices if is_current(n, today)]
    archive: dict[int, list[Record]] = defaultdict(list)
    for notice in notices:
        if not is_current(notice, today):
            archive[notice["date"].year].append(notice)
    return current, sorted(archive.items(), reverse=True)


def notice_index(data: SiteData, notices: list[Record]) -> SitePage:
    current, archive = split(notices, data.today)
    context = {"current": current, "archive": archive, "orgs_of": _org_names(data, notices)}
    return SitePage(FOLDER, "通知", "notices.html", context, "各级党组织发给下级组织的工作提示和通知")


def _org_names(data: SiteData, notices: list[Record]) -> dict[str, Any]:
    return {o: data.org_views[o] for n in notices for o in (n.get("from"), audience(n)) if o and o in data.reg.orgs}


def notice_page(data: SiteData, notice: Record) -> SitePage:
    to = audience(notice)
    context = {
        "notice": notice,
        "sender": data.org_view(notice.get("from")),
        "audience": data.org_view(to),
        "current": is_current(notice, data.today),
    }
    return SitePage(url(notice), notice["title"], "notice.html", context, _description(notice), (notice.file,))


def _description(notice: Record) -> str:
    return f"{notice['date'].isoformat()} 发出，有效期至 {notice['until'].isoformat()}"


def feed_entry(notice: Record) -> feeds.FeedEntry:
    return feeds.FeedEntry(
        notice["title"], url(notice), notice["date"], render(notice.body), tuple(notice.get("tags", []))
    )


def files(data: SiteData, changed: LastChanged) -> dict[str, bytes]:
    """notices/feed.xml: the newest notices (expired ones too: a reader's feed keeps what it received)."""
    if not data.listed("notice"):
        return {}
    entries = [feed_entry(n) for n in data.listed("notice")[: feeds.FEED_ENTRIES]]
    title, base_url = data.settings.get("title", ""), data.settings.get("base_url")
    return {f"{FOLDER}feed.xml": feeds.atom(title, base_url, FOLDER, "通知", entries, data.today, changed)}


def url(notice: Record) -> str:
    """A notice's own page, at its file's name."""
    return f"{FOLDER}{notice.slug}/"


def _nav(data: SiteData) -> list[tuple[str, str]]:
    return section("通知", FOLDER)(data) if data.reg.all("notice") else []


# What its pages read (`keptpages`)
READS = kept.Aggregate(
    "noticepages",
    frozenset({"notice", "org", "site"}),
    today=True,
    fields={"org": kept.ORG_VIEWED},
    viewed=kept.NAMES_VIEWED,
)


KIND: SiteKind = SiteKind(  # annotated: mypy cannot infer it through the kinds <-> data import cycle
    name="notice",
    urls=(FOLDER, rf"{FOLDER}[^/]+/"),
    pages=pages,
    reads=READS,
    record="notice",
    url_of=url,
    plural="notices",
    listed=listed,
    # A notice is listed on every org page it reaches while current (`org_context`), not through `links`: what it
    # reaches is the tree below its audience, and whether it is current is the build's day's to say.
    nav=_nav,
    org_context=org_context,
    files=files,
)
