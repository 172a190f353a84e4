"""Free pages (content/pages/*.md): a page each at /<slug>/, in the nav by their `order`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .base import SiteKind, SitePage

if TYPE_CHECKING:
    from ...load import Record
    from ..data import SiteData


def page_title(page: Record) -> str:
    """A free page's title: front matter, else its first heading, else its slug."""
    if page.get("title"):
        return page["title"]
    for line in page.body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.slug or ""


def pages(data: SiteData) -> Iterator[SitePage]:
    for page in sorted(data.reg.all("page"), key=lambda p: p.slug or ""):
        yield SitePage(f"{page.slug}/", page_title(page), "page.html", {"page": page}, sources=(page.file,))


def nav(data: SiteData) -> list[tuple[str, str]]:
    """After the sections, by `order`, then slug."""
    listed = sorted(data.reg.all("page"), key=lambda p: (p.get("order", 0), p.slug or ""))
    return [(page_title(p), f"{p.slug}/") for p in listed]


KIND: SiteKind = SiteKind(name="page", urls=(r"[^/]+/",), pages=pages, record="page", nav=nav)
