"""Plaques (党群服务中心): dates in order with their org's, a keeper from their org."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry, reads
from ..problems import Problem


def opened_after_founding(reg: Registry) -> Iterator[Problem]:
    """A plaque opens no earlier than its org was founded."""
    for plaque in reg.all("plaque"):
        org = reg.orgs.get(plaque.get("org"))
        founded, opened = (org.get("founded") if org is not None else None), plaque.get("opened")
        if founded and opened and opened < founded:
            yield plaque.problem(
                ("opened",),
                f"启用日期 {opened} 早于所属组织 `{plaque['org']}` 的成立日期 {founded}",
                "检查两个日期",
                "dates",
            )


@reads(member=("org", "status"))
def keeper_is_a_full_member(reg: Registry) -> Iterator[Problem]:
    """A plaque's keeper is a full member (正式党员) of the plaque's org."""
    for plaque in reg.all("plaque"):
        keeper = reg.members.get(plaque.get("keeper"))
        if keeper is None:
            continue  # unknown ids are reported by the reference rule
        if keeper.get("org") != plaque.get("org") or keeper.get("status") != "正式党员":
            yield plaque.problem(
                ("keeper",), f"管理员 `{keeper.id}` 不是本组织的正式党员", "换一位本组织的正式党员", "keeper"
            )
