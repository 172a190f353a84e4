"""What the site may show, computed once from the registry: indexes, figures, public people.

Privacy by construction: page templates receive only what this module hands them.
A private member is never handed over: `person()` returns None for them, and every
list of people here is filtered through it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..load import Record
from ..model import Registry, is_public
from ..rankings import Ranking, RankingBook
from ..scores import ScoreBook, stars_for
from ..stats import OrgStats, StatsBook, latest_year

SMALL = 5  # aggregates over fewer members are shown as 少于5人
SUPPRESSED = "少于5人"


def shown_count(count: int) -> int | str:
    """A count of members, or 少于5人 when fewer than five stand behind it."""
    return count if count >= SMALL else SUPPRESSED


@dataclass(frozen=True)
class Person:
    """A public member as the site may show them."""

    id: str
    name: str
    org: str | None
    posts: tuple[str, ...]
    grade: str | None


class SiteData:
    """The registry's public face: everything pages read, computed lazily and once."""

    def __init__(self, reg: Registry, today: datetime.date) -> None:
        self.reg = reg
        self.today = today
        self.scores = ScoreBook(reg)
        self.rankings = RankingBook(reg, self.scores)
        self.site = reg.site.data if reg.site is not None else {}
        self._stats: StatsBook | None = None

    # --- people -----------------------------------------------------------------
    def person(self, member_id: str | None) -> Person | None:
        """The public view of a member, or None when the member is private or unknown."""
        member = self.reg.members.get(member_id) if member_id else None
        if member is None or not is_public(member):
            return None
        return Person(member.id, member["name"], member.get("org"), tuple(member.get("posts", [])), member.get("grade"))

    def people(self, member_ids: list[str]) -> list[Person]:
        """The public ones among `member_ids`, in order."""
        return [p for p in (self.person(m) for m in member_ids) if p is not None]

    @cached_property
    def public_members(self) -> list[Person]:
        """Every public member, by id."""
        return [p for m in sorted(self.reg.members) if (p := self.person(m)) is not None]

    def member_stars(self, member_id: str) -> tuple[int | None, int | None]:
        """(year, stars) of a member's latest scored year, or (None, None)."""
        member = self.reg.members[member_id]
        if member.get("status") not in ("预备党员", "正式党员"):
            return None, None
        year = latest_year(self.scores, [member_id])
        if year is None:
            return None, None
        return year, stars_for(self.scores.yearly_score(member_id, year), self.reg.stars)

    # --- organizations ---------------------------------------------------------------
    @cached_property
    def root(self) -> str | None:
        return self.site.get("root")

    def org(self, org_id: str | None) -> Record | None:
        return self.reg.orgs.get(org_id) if org_id else None

    def ancestors(self, org_id: str) -> list[Record]:
        """The parent chain from the top down, without the org itself."""
        chain: list[Record] = []
        current = self.org(org_id)
        while current is not None and current.get("parent") and len(chain) < 64:
            current = self.org(current["parent"])
            if current is not None:
                chain.append(current)
        return list(reversed(chain))

    def children(self, org_id: str) -> list[Record]:
        return sorted((self.reg.orgs[c] for c in self.reg.children.get(org_id, [])), key=lambda o: o.id)

    def stats(self, org_id: str) -> OrgStats:
        if self._stats is None:
            self._stats = StatsBook(self.reg, self.scores)
        return self._stats.of(org_id)

    @cached_property
    def helped_by(self) -> dict[str, list[Record]]:
        """Benchmark org id → the weak orgs paired with it."""
        helped: dict[str, list[Record]] = defaultdict(list)
        for org in sorted(self.reg.orgs.values(), key=lambda o: o.id):
            if org.get("benchmark"):
                helped[org["benchmark"]].append(org)
        return helped

    # --- records by org, brand, member -----------------------------------------------
    @cached_property
    def projects(self) -> list[Record]:
        return sorted(self.reg.all("project"), key=lambda p: (-p.get("year", 0), p.id))

    @cached_property
    def stories(self) -> list[Record]:
        """Newest first."""
        return sorted(self.reg.all("story"), key=lambda s: (s["date"], s.id), reverse=True)

    @cached_property
    def activities(self) -> list[Record]:
        """Newest first."""
        return sorted(self.reg.all("activity"), key=lambda a: (a["date"], a.id), reverse=True)

    @cached_property
    def by_org(self) -> dict[str, dict[str, list[Record]]]:
        """org id → {"projects", "stories", "activities"} of that org itself."""
        index: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
        for kind, records in (("projects", self.projects), ("stories", self.stories), ("activities", self.activities)):
            for record in records:
                if record.get("org"):
                    index[record["org"]][kind].append(record)
        return index

    @cached_property
    def by_brand(self) -> dict[str, dict[str, list[Record]]]:
        index: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
        for kind, records in (("projects", self.projects), ("stories", self.stories)):
            for record in records:
                if record.get("brand"):
                    index[record["brand"]][kind].append(record)
        for org in self.reg.orgs.values():
            if org.get("brand"):
                index[org["brand"]]["orgs"].append(org)
        return index

    @cached_property
    def by_member(self) -> dict[str, dict[str, list[Record]]]:
        """Public member id → the stories and projects that name them."""
        index: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
        for story in self.stories:
            for member_id in story.get("members", []):
                index[member_id]["stories"].append(story)
        for project in self.projects:
            for member_id in dict.fromkeys([project.get("lead"), *project.get("team", [])]):
                if member_id:
                    index[member_id]["projects"].append(project)
        return index

    @cached_property
    def brands(self) -> list[Record]:
        return sorted(self.reg.brands.values(), key=lambda b: b.id)

    def sub_brands(self, brand_id: str) -> list[Record]:
        return [b for b in self.brands if b.get("parent") == brand_id]

    # --- rankings ---------------------------------------------------------------------
    @cached_property
    def schemes(self) -> list[Record]:
        return sorted(self.reg.schemes.values(), key=lambda s: s.id)

    @cached_property
    def histories(self) -> dict[str, list[Ranking]]:
        return {s.id: self.rankings.history(s.id) for s in self.schemes}

    @cached_property
    def latest_ranking(self) -> Ranking | None:
        """The ranking whose period ended last (ties: scheme id)."""
        latest = [h[-1] for h in self.histories.values() if h]
        return max(latest, key=lambda r: (r.period.last, r.scheme.id), default=None)

    def rankings_of(self, org_id: str) -> list[tuple[Record, list[tuple[str, int | None]]]]:
        """Every scheme an org is ranked in, with its rank in each period (None when not ranked)."""
        found = []
        for scheme in self.schemes:
            history = self.histories[scheme.id]
            ranks = [(r.period.label, next((row.rank for row in r.rows if row.org == org_id), None)) for r in history]
            if any(rank is not None for _, rank in ranks):
                found.append((scheme, ranks))
        return found

    # --- milestones -------------------------------------------------------------------
    def milestone_state(self, milestone: dict[str, Any]) -> str:
        """done, overdue (due date passed, not done) or due."""
        if "done" in milestone:
            return "done"
        return "overdue" if milestone["due"] < self.today else "due"

    def progress(self, project: Record) -> int:
        """Percent of a project's milestones done."""
        milestones = project.get("milestones", [])
        if not milestones:
            return 100 if project.get("status") in ("已完成", "已验收") else 0
        return round(100 * sum("done" in m for m in milestones) / len(milestones))
