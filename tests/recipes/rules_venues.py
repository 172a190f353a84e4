"""Venues (党群服务中心): dates in order with their org's, a keeper from their org."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry, reads
from ..problems import Problem


def opened_after_founding(reg: Registry) -> Iterator[Problem]:
    """A venue opens no earlier than its org was founded."""
    for venue in reg.all("venue"):
        org = reg.orgs.get(venue.get("org"))
        founded, opened = (org.get("founded") if org is not None else None), venue.get("opened")
        if founded and opened and opened < founded:
            yield venue.problem(
                ("opened",),
                f"启用日期 {opened} 早于所属组织 `{venue['org']}` 的成立日期 {founded}",
                "检查两个日期",
                "dates",
            )


@reads(member=("org", "status"))
def keeper_is_a_full_member(reg: Registry) -> Iterator[Problem]:
    """A venue's keeper is a full member (正式党员) of the venue's org."""
    for venue in reg.all("venue"):
        keeper = reg.members.get(venue.get("keeper"))
        if keeper is None:
            continue  # unknown ids are reported by the reference rule
        if keeper.get("org") != venue.get("org") or keeper.get("status") != "正式党员":
            yield venue.problem(
                ("keeper",), f"管理员 `{keeper.id}` 不是本组织的正式党员", "换一位本组织的正式党员", "keeper"
            )
