"""履责手记 (duty notes): written by scored members, never dated before they joined.

That the member exists is checked with every other reference (`references.references_resolve`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry, is_scored, reads
from ..problems import Problem
from ..recordtypes import SCORED_STATUSES


@reads(member=("status",))
def scored_members_only(reg: Registry) -> Iterator[Problem]:
    """A note belongs to a 预备党员 or 正式党员: only they have a duty record (履责证) to hold it."""
    for note in reg.all("note"):
        member = reg.members.get(note.get("member"))
        if member is None or "status" not in member.data or is_scored(member):
            continue
        yield note.problem(
            ("member",),
            f"`{member.id}` 是{member['status']}，没有履责证，不能写履责手记",
            f"履责手记只属于{'和'.join(SCORED_STATUSES)}：检查党员编号，或先更新其 status",
            "note-unscored",
        )


@reads(member=("status", "joined"))
def not_before_joining(reg: Registry) -> Iterator[Problem]:
    """A note is dated on or after the member's `joined` (入党日期)."""
    for note in reg.all("note"):
        member = reg.members.get(note.get("member"))
        if member is None or not is_scored(member) or "date" not in note.data:
            continue
        joined = member.get("joined")
        if joined is not None and note["date"] < joined:
            yield note.problem(
                ("date",),
                f"履责手记的日期 {note['date']} 早于 `{member.id}` 的入党日期 {joined}",
                "检查日期：入党以前的事不记入履责证",
                "note-before-joined",
            )
