"""Every page of the site, in a stable order, and the global nav: each kind module's, in `kinds.KINDS` order.

A page's address, title, template, context and sources are made in its kind's module under `kinds/`.
"""

from __future__ import annotations

from collections.abc import Iterator

from .data import SiteData
from . import kinds
from .kinds.base import SitePage


def all_pages(data: SiteData) -> Iterator[SitePage]:
    """Every HTML page of the site but 最近更新 (`kinds.home.changes_page`, made from these), in a stable order."""
    for kind in kinds.KINDS:
        yield from kind.pages(data)


def nav_entries(data: SiteData) -> list[tuple[str, str]]:
    """The global nav: a few sections, then free pages by their `order`."""
    return [entry for kind in kinds.KINDS for entry in kind.nav(data)]
