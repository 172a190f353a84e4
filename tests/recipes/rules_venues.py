"""Venues (党群服务中心): dates in order with their org's."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry
from ..problems import Problem


def opened_after_founding(reg: Registry) -> Iterator[Problem]:
    """A venue opens no earlier than its org was founded."""
    for venue in reg.all("venue"):
        org = reg.orgs.get(venue.get("org"))
        founded, opened = (org.get("founded") if org is not None else None), venue.get("opened")
        if founded and opened and opened < founded:
            yield venue.problem(
                ("opened",), f"启用日期 {opened} 早于所属组织 `{org.id}` 的成立日期 {founded}", "检查两个日期", "dates"
            )
