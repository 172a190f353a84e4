"""The site's kinds: one module each, and `KINDS`, the registry every part of the build iterates.

A kind module holds all the site knows of one kind of record: the order its records are listed
in, what links them to orgs, brands and members (`SiteData.linked`), its pages and list pages, its
nav entry, the Jinja filters its templates use, other files it writes (a feed) and, later, its open
data export. Each module ends with `KIND = SiteKind(...)` (see base.py). `home` and `api` are the
site's own sections: they show no record kind of their own.

Nothing outside `site/` imports these modules: the registry side knows nothing of the site.
"""

from __future__ import annotations

from . import activity, api, brand, home, member, org, page, project, ranking, story
from .base import SiteKind, SitePage

# In the site's order: pages, the sitemap, search results and the nav follow it.
KINDS: tuple[SiteKind, ...] = (
    home.KIND,
    org.KIND,
    member.KIND,
    brand.KIND,
    project.KIND,
    ranking.KIND,
    story.KIND,
    activity.KIND,
    api.KIND,
    page.KIND,  # free pages last: a page's address is any one folder name the sections do not take
)

BY_NAME: dict[str, SiteKind] = {kind.name: kind for kind in KINDS}


def of_record(record_kind: str) -> SiteKind:
    """The kind that shows the registry's `record_kind` records (KeyError when none does)."""
    for kind in KINDS:  # read at each call: the other site modules read `kinds.KINDS`, never a copy of it
        if kind.record == record_kind:
            return kind
    raise KeyError(record_kind)


__all__ = ["BY_NAME", "KINDS", "SiteKind", "SitePage", "of_record"]
