"""The site's kinds: one module each, and `KINDS`, the registry every part of the build iterates.

A kind module holds all the site knows of one kind of record: the order its records are listed
in, what links them to orgs, brands and members (`SiteData.linked`), its pages and list pages, its
nav entry, the Jinja filters its templates use, other files it writes (a feed) and, later, its open
data export. Each module ends with `KIND = SiteKind(...)` (see base.py). `home` and `api` are the
site's own sections: they show no record kind of their own.

Nothing outside `site/` imports these modules: the registry side knows nothing of the site.

Adding a record kind, on the site's side (after its declaration in recordtypes.py and its rules):

1. Write `kinds/<name>.py`: `listed(reg)` (its records in page order), its page builders (addresses,
   titles, templates, contexts, `sources`), and `KIND = SiteKind(name=..., urls=..., pages=...,
   record=..., plural=..., listed=..., links=..., nav=...)`. People only through `data.person()` /
   `data.people()`; a kind module imports `SiteData` for type checking only.
2. Put `<name>.KIND` in `KINDS` below, where its pages go in the site's order
   (`tests/test_site_kinds.py` fails until it is there, and while a page's address matches none of `urls`).
3. Write its templates in `site_templates/pages/`. Its records reach the pages of the orgs, brands and
   members it links to as `linked.<plural>`: a list there is a template change only.
4. If it has open data under api/, give the kind an `export(data)` returning `{"api/<name>": rows}`, made with
   `exports.record_rows(data, "<kind>", records, derived)`: the columns are the fields declared `export=`
   in recordtypes.py, then the `derived` ones (`kinds/project.py`).
"""

from __future__ import annotations

from . import activity, api, brand, home, member, org, page, project, ranking, story
from . import honour
from . import report
from . import notice, venue
from . import tag
from .base import SiteKind, SitePage

# In the site's order: pages, the sitemap, search results and the nav follow it.
KINDS: tuple[SiteKind, ...] = (
    home.KIND,
    org.KIND,
    member.KIND,
    brand.KIND,
    project.KIND,
    ranking.KIND,
    honour.KIND,
    report.KIND,  # yearly reports: orgs/<id>/<year>/, reports/
    story.KIND,
    activity.KIND,
    notice.KIND,
    venue.KIND,
    tag.KIND,
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
