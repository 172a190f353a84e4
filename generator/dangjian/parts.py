"""Each org's own part of a figure: what its own members (on its own roll, not below) add to it, computed once per
org and key; and each member's own part of what their page shows (`Parts.member`).

The figures add up the tree (`stats.StatsBook`: every org's figures over itself and the orgs below it; a ranking's
党员积分 average over an org's family, `rankings.RankingBook.points_average`). What one org adds reads only the
members on its own roll (on a day), their records and their points events. A build that knows which orgs an edit
touched (`site/keptparts.py`: the files changed since the last build, the members they name, the orgs those members
were ever on the roll of) takes every other org's parts as the last build made them and adds up the tree again.

A key names the figure and everything else the value depends on besides the org's own members (a year, a day):
`("own",)` today's figures, `("year", year)` the year's scores on the rolls of its 31 December, `("model", year)` the
same over those `placed` alike today, `("unplaced", day)`, `("points", year, day)` the 党员积分 of a ranking's period.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class Parts:
    """Every org's own parts computed so far, by key, and every member's (a plain memo: nothing kept between builds)."""

    def __init__(self) -> None:
        self.orgs: dict[str, dict[Hashable, Any]] = {}
        self.members: dict[str, dict[Hashable, Any]] = {}

    def org(self, org_id: str, key: Hashable, compute: Callable[[], T]) -> T:
        """The org's own part under `key`: made by `compute()` once (per build, or kept: see the module doc)."""
        return self._part(self.orgs, org_id, key, compute)

    def of_every_org(
        self, orgs: Iterable[str], key: Hashable, one: Callable[[str], T], every: Callable[[], Mapping[str, T]]
    ) -> dict[str, T]:
        """Each org's own part under `key`: one by one (`one(org)`) where few are missing, or, where most are (a first
        build, nothing kept), all at once from `every()` (org -> part: one pass over every member, where one by one
        would read each member once per org), each kept as its own part."""
        orgs = list(orgs)
        missing = sum(1 for org_id in orgs if key not in self.orgs.get(org_id, {}))
        made = every() if 2 * missing > len(orgs) else None
        found: dict[str, T] = {}
        for org_id in orgs:
            found[org_id] = self.org(
                org_id, key, partial(one, org_id) if made is None else partial(made.__getitem__, org_id)
            )
        return found

    def member(self, member_id: str, key: Hashable, compute: Callable[[], T]) -> T:
        """What one member's page shows of their own scores under `key` (their stars, their duty record: reading their
        record, their events and notes alone), made by `compute()` once, or kept as an org's part is."""
        return self._part(self.members, member_id, key, compute)

    def _part(self, table: dict[str, dict[Hashable, Any]], owner: str, key: Hashable, compute: Callable[[], T]) -> T:
        found = table.get(owner)
        if found is None:
            found = table[owner] = {}
        if key not in found:
            found[key] = compute()
            self.made(owner)
        value: T = found[key]
        return value

    def made(self, owner: str) -> None:
        """Told of each part computed (a kept book marks itself changed)."""
