"""Members on the site: a page for each public member (a private member has none, and is named nowhere)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...recordtypes import SCORED_STATUSES
from ...scores import stars_for
from ...stats import latest_year
from .. import duty, kept
from .. import timelines
from ..persite import per_site
from .base import Part, SiteKind, SitePage
from .story import own_stories as story_own_stories
from .story import slugs_of

if TYPE_CHECKING:
    from ...load import Record
    from ..data import SiteData


def stars(data: SiteData, member_id: str) -> tuple[int | None, int | None]:
    """(year, stars) of a member's latest scored year, or (None, None)."""
    member = data.reg.members[member_id]
    if member.get("status") not in SCORED_STATUSES:
        return None, None
    year = latest_year(data.scores, [member_id])
    if year is None or not data.scores.scored_in(member_id, year):  # format 1.1: not before `joined`
        return None, None
    return year, stars_for(data.scores.yearly_score(member_id, year), data.reg.stars)


# What public members' pages show of the scores, their stars and their duty records (履责证, with the member's own
# notes), reads what the figures do (`data.COUNTED`: the duty record's guard against subtraction weighs every
# published average) and the notes.
VIEWS = kept.Aggregate("members", kept.COUNTING | {"note"}, fields=kept.COUNTING_FIELDS)
# …but the results, which they read only as the averages the rankings show (`SiteData.ranked`), as the figures do:
# when a file of those kinds changed, they are kept under the others and the digest of those (a result edited keeps
# them, a city's 0.6 s).
VIEWS_APART = kept.Aggregate("membersapart", VIEWS.kinds - {"result"}, fields=kept.COUNTING_FIELDS)

Views = dict[str, tuple[tuple[int | None, int | None], list[dict[str, Any]]]]


@per_site
def views(data: SiteData) -> Views:
    """Each public member's (year, stars) and duty record, computed together once per build, or as the last build
    kept them (`VIEWS`, or after a result edited `VIEWS_APART`): a build that keeps them needs neither the score book
    nor the duty book."""
    return kept.value_or_cutoff(
        data.reg,
        VIEWS,
        VIEWS_APART,
        data.today,
        lambda: kept.digest_of(data.ranked),
        lambda: {p.id: (own_stars(data, p.id), duty.view(data, p.id)) for p in data.public_members},
        reuse=data.reuse,
    )


def own_stars(data: SiteData, member_id: str) -> tuple[int | None, int | None]:
    """`stars`, the member's own part (`parts.py`: kept for the members no edit touched)."""
    return data.parts.member(member_id, ("stars",), lambda: stars(data, member_id))


def pages(data: SiteData) -> Iterator[SitePage]:
    for person in data.public_members:
        yield member_page(data, person.id)


def member_page(data: SiteData, member_id: str) -> SitePage:
    person = data.person(member_id)
    if person is None:  # pages() lists public members only; a private one never gets a page
        raise ValueError(f"no public member {member_id!r}")
    (year, count), duties = views(data)[member_id]
    mine = data.by_member.get(member_id, {})
    stories = mine.get("stories", [])
    context = {
        "person": person,
        "org": data.org_view(person.org),
        "year": year,
        "stars": count,
        "stories": stories,
        "projects": mine.get("projects", []),
        "tag_slugs": slugs_of(data, stories),
        "linked": mine,  # every kind's records that name this member, by plural (a new kind: member.html only)
        "timeline": timelines.member_timeline(data, member_id),  # 履历 (public members only)
        "duty": duties,  # the 履责证, year by year (pages/_duty.html)
    }
    record = data.reg.members[member_id]
    return SitePage(url(record), person.name, "member.html", context, sources=(record.file,))


def own_stories(data: SiteData) -> dict[str, Any]:
    """Each member page's own stories (`story.own_stories`); a private member: none."""
    return story_own_stories(data, data.by_member, "members/{}/", lambda member_id: data.person(member_id) is not None)


def own_views(data: SiteData) -> dict[str, Any]:
    """Each member page's (year, stars) and duty record (`views`): all it reads of the kinds in `VIEWS_READ`."""
    return {f"members/{member_id}/": view for member_id, view in views(data).items()}  # public members only


def own_records(data: SiteData) -> dict[str, Any]:
    """Each public member page's own record, whole, with its view (`views`): its 履历 reads the member's history,
    status, flow and admission day, and its view (year and stars, duty record) what is counted of them, which the
    kind's key leaves out (`MEMBER_SHOWN` only): a member's admission day or status edited makes again the pages of
    the members whose record or view changed, where every public member's page was made and keyed again (a city's
    3,900)."""
    viewed = views(data)
    return {f"members/{member_id}/": (data.reg.members[member_id], view) for member_id, view in viewed.items()}


def alone(data: SiteData, address: str) -> SitePage | None:
    """A public member's page made alone (a private member has none)."""
    member_id = address.removeprefix("members/").removesuffix("/")
    if address != f"members/{member_id}/" or data.person(member_id) is None:
        return None
    return member_page(data, member_id)


# What a member's page reads of the scores, stars and duty records beyond the kind's key, page by page (`parts`): the
# kinds only `views` reads. A points entry, a result or a note changes the views of a few members: the others' pages
# are kept, where every public member's page was made and keyed again (a city's 3,900).
VIEWS_READ = kept.Aggregate("memberviews", VIEWS.kinds - {"member", "org", "activity", "project", "site"})
# What other pages show of the members (`kept.MEMBER_SHOWN`: the public ones are the pages there are), their org
# (what is shown of one, `data.OrgView`, and what is counted), their projects and honours, the activities and the
# site's settings the views read too; page by page, their stories, their views (`parts`), and their own record with
# its view (the rest of what is counted of members).
READS = kept.Aggregate(
    "memberpages",
    (VIEWS.kinds - VIEWS_READ.kinds) | {"honour"},
    fields={"org": kept.COUNTED_VIEWED["org"], "member": kept.MEMBER_SHOWN},
    viewed=kept.NAMES_VIEWED,
    by_page=frozenset({"story", "member"}) | VIEWS_READ.kinds,
)


def _stars(count: int) -> str:
    """A star rating out of five, drawn."""
    return "★" * count + "☆" * (5 - count)


def url(member: Record) -> str:
    """A public member's own page (a private member has none)."""
    return f"members/{member.id}/"


KIND: SiteKind = SiteKind(
    name="member",
    urls=(r"members/[^/]+/",),
    pages=pages,
    record="member",
    url_of=url,
    filters={"stars": _stars},
    reads=READS,
    parts={
        "stories": Part(kept.Aggregate("memberstories", frozenset({"story"})), own_stories),
        "views": Part(VIEWS_READ, own_views),
        "self": Part(kept.Aggregate("memberself", frozenset({"member"})), own_records),
    },
    alone=alone,
)
