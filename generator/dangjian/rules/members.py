"""Members and activities: admission dates, grades, headcounts.

Each of these sees one record at a time (see `RECORD_RULES` in this package).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..load import Record
from ..model import is_scored
from ..problems import Problem


def joined_date(member: Record) -> Iterator[Problem]:
    """预备党员 and 正式党员 have `joined`; earlier stages have none."""
    status = member.get("status")
    if status is None:
        return
    if is_scored(member) and "joined" not in member.data:
        yield member.problem(
            (), f"{status}必须填写入党日期 `joined`", "添加 `joined: YYYY-MM-DD`（政治生日）", "joined"
        )
    elif not is_scored(member) and "joined" in member.data:
        yield member.problem(("joined",), f"{status}还没有入党，不应有入党日期", "删除 joined，或更新 status", "joined")


def grade_for_secretaries(member: Record) -> Iterator[Problem]:
    """A grade (1A..5A) belongs to members holding the post 书记."""
    if "grade" in member.data and "书记" not in member.get("posts", []):
        yield member.problem(("grade",), "只有书记才有书记星级 `grade`", "删除 grade，或在 posts 里加上 书记", "grade")


def headcount(activity: Record) -> Iterator[Problem]:
    """An activity's headcount is at least its number of listed attendees."""
    count, attendees = activity.get("headcount"), activity.get("attendees", [])
    if count is not None and count < len(attendees):
        yield activity.problem(
            ("headcount",),
            f"参加人数 {count} 少于 attendees 中列出的 {len(attendees)} 人",
            f"把 headcount 改为至少 {len(attendees)}",
            "headcount",
        )
