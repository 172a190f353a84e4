"""Venues (场所): a venue's id is its page's address, so it spells no private member's name.

An activity's `venue` is a reference: the references rule finds one that does not exist. Which org may use which
venue is not checked: activities are bulk records held as stubs (`summary.STUB_FIELDS`), and reading their `org`
and `venue` here would carry both in every stub of a city's million activities for a rule of little weight."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry, reads
from ..problems import Problem
from . import stories


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
