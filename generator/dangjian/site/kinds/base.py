"""The shapes every kind module fills in: `SitePage` (one HTML page) and `SiteKind` (a kind's site-side code).

A leaf module: it imports nothing of the site, so kind modules, `data.py` and `pages.py` can all
import it. Kind modules name `SiteData` for type checking only (`data.py` imports the kinds to index
their records, so a kind module that imported it at run time would make an import cycle).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData
    from ..kept import Aggregate

Rows = list[dict[str, Any]]  # one export table: a dict per row, column → value
LastChanged = Mapping[str, datetime.date]  # page address → the date of its last commit


@dataclass
class SitePage:
    """One HTML page to write."""

    url: str
    title: str
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)  # or `incremental.Made`: made when read
    description: str = ""
    sources: tuple[str, ...] = ()  # registry files this page shows (for page history)
    # the lookups read while the page was made (`incremental.made_noting`: its title a report's, of an org's name):
    # (global, key) pairs, kept with those its rendering reads; None: one that cannot be kept (rendered every time)
    made_reads: tuple[tuple[str, str], ...] | None = ()


@dataclass(frozen=True)
class Part:
    """A group of what some pages of a kind read beyond the kind's `reads`: its own declaration (`reads`: the kinds
    it reads, none of them in the kind's), and each page's value (address → value)."""

    reads: Aggregate
    values: Callable[[SiteData], Mapping[str, Any]]


def _no_pages(data: SiteData) -> Iterable[SitePage]:
    return ()


def _no_nav(data: SiteData) -> list[tuple[str, str]]:
    return []


def _no_files(data: SiteData, changed: LastChanged) -> dict[str, bytes]:
    return {}


@dataclass(frozen=True)
class SiteKind:
    """What the site does with one kind of record (or, for `home` and `api`, one section without records).

    The build iterates `kinds.KINDS` for everything here; no other site module names a kind.
    """

    name: str  # the module's name, e.g. "project"
    urls: tuple[str, ...]  # regular expressions, matched whole, of every page address `pages` yields
    pages: Callable[[SiteData], Iterable[SitePage]] = _no_pages  # in the site's order (sitemap, search)
    record: str | None = None  # the registry kind shown, as in `Registry.all(record)`
    plural: str = ""  # its name in the indexes of records by org, brand and member ("projects")
    listed: Callable[[Registry], list[Record]] | None = None  # its records in the order pages list them
    # The address of a record's own page, for a kind with a page per record (of those `pages` yields:
    # members' only for public ones); tests/test_fields_on_pages.py reads its `page=True` fields there.
    url_of: Callable[[Record], str] | None = None
    # link name ("org", "brand", "member") → the ids a record links to under it (listed once each per id):
    # `SiteData.linked(link)` indexes every kind's records by them (an org page lists its projects).
    links: Mapping[str, Callable[[Record], Iterable[str]]] = field(default_factory=dict)
    nav: Callable[[SiteData], list[tuple[str, str]]] = _no_nav  # (title, address) entries of the global nav
    filters: Mapping[str, Callable[..., Any]] = field(default_factory=dict)  # Jinja filters its templates use
    files: Callable[[SiteData, LastChanged], dict[str, bytes]] = _no_files  # other files (a feed): path → bytes
    # Open data under api/: "api/<name>" → rows (`exports.record_rows` makes a record table from the fields
    # declared `export=`); `datapackage.tables` publishes every kind's in the kinds' order.
    export: Callable[[SiteData], dict[str, Rows]] | None = None
    # What `export` reads (`kept.Aggregate`): its tables are then kept between builds and made again only when one
    # of those inputs changed (tests/test_kept.py checks the declaration). None: made at every build.
    exported: Aggregate | None = None
    # The columns its record table computes rather than reads from a field, after the declared ones.
    derived: Mapping[str, Callable[[Record], Any]] = field(default_factory=dict)
    # What its pages read (`kept.Aggregate`): when none of it changed since the last build of the output, its pages'
    # addresses, titles and keys are that build's and their contexts are not made (`keptpages`; tests/test_kept.py
    # checks the declaration). None: its pages are made at every build.
    reads: Aggregate | None = None
    # What some of its pages read beyond `reads`, page by page, in named groups (`Part`: the kinds a group reads, its
    # key, and address → the value each page reads of them; a page not listed reads none of it: an org page without
    # stories). A kept kind's page whose value changed in some group, or that gained or lost one, is made alone
    # (`alone`) and the rest kept (an org's story edited: its page, not the 6,000 others); a group whose kinds did
    # not change is not computed at all. tests/test_kept.py checks that a page whose values are the same is the same
    # page.
    parts: Mapping[str, Part] = field(default_factory=dict)
    # Its page at an address made alone, as `pages` makes it (None: not a page it can make alone, and its kind's pages
    # are made whole); checked by tests/test_kept.py.
    alone: Callable[[SiteData, str], SitePage | None] | None = None
    # What it adds to an org's page (its notices, its report years…): entries merged into that page's context,
    # computed from SiteData (the build's day, the tree), never from state kept between calls.
    org_context: Callable[[SiteData, str], dict[str, Any]] | None = None


def ident(record: Record) -> str:
    """The id of a record of a kind kept by id (orgs, brands, schemes…), each of which has one."""
    return record.id or ""


def section(title: str, url: str) -> Callable[[SiteData], list[tuple[str, str]]]:
    """A kind's one entry in the global nav."""

    def entry(data: SiteData) -> list[tuple[str, str]]:
        return [(title, url)]

    return entry


def chunked(items: list, size: int, url: str) -> list[tuple[int, str, list]]:
    """`items` in pages of at most `size`: (number, address, items); page 1 at `url`,
    page n at `url` + "n/"."""
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    return [(n, url + (f"{n}/" if n > 1 else ""), chunk) for n, chunk in enumerate(chunks, 1)]


def by_year_pages(items: list, year_of: Callable[[Any], int], size: int, folder: str) -> list[tuple[str, list, dict]]:
    """A long list (in its own order) in pages by year of at most `size` items: `folder`<year>/, then
    `folder`<year>/2/ and on, years in the order they first appear. Each page: (address, its items, what its
    pager shows: year, years (year, count), total, here, chunks (number, address), chunk, per_page)."""
    groups: dict[int, list] = {}
    for item in items:
        groups.setdefault(year_of(item), []).append(item)
    years = [(year, len(group)) for year, group in groups.items()]
    pages = []
    for year, group in groups.items():
        chunks = chunked(group, size, f"{folder}{year}/")
        pager = [(n, url) for n, url, _ in chunks]
        for n, url, chunk in chunks:
            paged = {"year": year, "years": years, "total": len(items), "here": url, "chunks": pager, "chunk": n}
            pages.append((url, chunk, {**paged, "per_page": size}))
    return pages
