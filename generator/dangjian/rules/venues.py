"""Venues (场所): a venue's id is its page's address, so it spells no private member's name; an activity held
at a venue is held by an org that can use it (the venue's org, or an org above or below it)."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry, reads
from ..problems import Problem
from . import stories


@reads(activity=("org", "venue"))
def activity_venue_in_tree(reg: Registry) -> Iterator[Problem]:
    """An activity's venue belongs to its org's line (the org itself, an org above it or one below it): a village's
    主题党日 at another town's 党群服务中心 is a typo more often than a visit."""
    venues = {v.id: v for v in reg.all("venue")}
    if not venues:
        return
    for activity in reg.all("activity"):
        venue = venues.get(activity.get("venue"))
        org = activity.get("org")
        if venue is None or org not in reg.orgs or venue.get("org") not in reg.orgs:
            continue
        keeper = venue["org"]
        if keeper == org or org in set(reg.descendants(keeper)) or keeper in set(reg.descendants(org)):
            continue
        yield activity.problem(
            ("venue",),
            f"场所 `{venue.id}` 属于 `{keeper}`，不在组织 `{org}` 的上下级之中",
            "检查场所编号；确实借用别处的场所时，在 summary 里写明地点，不写 venue",
            "venue-org",
        )


@reads(member=("name", "public", "posts"))
def venue_ids_spell_no_private_name(reg: Registry) -> Iterator[Problem]:
    """A venue's id is its page's address (/venues/<id>/): no private member's name, id or its pinyin."""
    venues = reg.all("venue")
    if not venues:
        return
    names = stories.private_names(reg)
    if not names.secrets:
        return
    for venue in venues:
        if not isinstance(venue.id, str):
            continue
        found = names.first_in(venue.id) or names.pinyin_in(venue.id)
        if found is not None:
            about = names.secrets[found]
            yield venue.problem(
                ("id",),
                f"编号像是不公开党员 `{about.member}` 的姓名、编号或其拼音",
                "换一个编号：编号会成为网址，不能用不公开党员的姓名、编号或其拼音",
                "private-member",
            )
