"""Members and activities: admission dates, grades, headcounts."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry, is_scored
from ..problems import Problem


def joined_date(reg: Registry) -> Iterator[Problem]:
    """预备党员 and 正式党员 have `joined`; earlier stages have none."""
    for member in reg.all("member"):
        status = member.get("status")
        if status is None:
            continue
        if is_scored(member) and "joined" not in member.data:
            yield member.problem((), f"{status}必须填写入党日期 `joined`", "添加 `joined: YYYY-MM-DD`（政治生日）", "joined")
        elif not is_scored(member) and "joined" in member.data:
            yield member.problem(("joined",), f"{status}还没有入党，不应有入党日期", "删除 joined，或更新 status", "joined")


def grade_for_secretaries(reg: Registry) -> Iterator[Problem]:
    """A grade (1A..5A) belongs to members holding the post 书记."""
    for member in reg.all("member"):
        if "grade" in member.data and "书记" not in member.get("posts", []):
            yield member.problem(("grade",), "只有书记才有书记星级 `grade`", "删除 grade，或在 posts 里加上 书记", "grade")


def headcount(reg: Registry) -> Iterator[Problem]:
    """An activity's headcount is at least its number of listed attendees."""
    for activity in reg.all("activity"):
        count, attendees = activity.get("headcount"), activity.get("attendees", [])
        if count is not None and count < len(attendees):
            yield activity.problem(("headcount",), f"参加人数 {count} 少于 attendees 中列出的 {len(attendees)} 人",
                                   f"把 headcount 改为至少 {len(attendees)}", "headcount")
