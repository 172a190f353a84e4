"""Plans: planned activities and an org's recurring plans (format extension; site/calendars.py publishes them).

Each rule sees one record at a time (see `RECORD_RULES` in this package).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..load import Record
from ..problems import Problem

_NOT_YET = "计划中的活动还没有举行，不能填写{what}"
_HELD_HINT = "活动举行后删去 `planned: true`，再填写 {field}；计划阶段不写这一行"


def planned_not_attended(activity: Record) -> Iterator[Problem]:
    """A planned activity has no attendees and no headcount: nobody has attended it yet."""
    if activity.get("planned") is not True:
        return
    for field, what in (("attendees", "参加者 attendees"), ("headcount", "参加人数 headcount")):
        if field in activity.data:
            yield activity.problem((field,), _NOT_YET.format(what=what), _HELD_HINT.format(field=field), "planned")


def recurring_plans(org: Record) -> Iterator[Problem]:
    """Each recurring plan says one day of its period (a weekday, the nth weekday, or a day of the month), starts
    before it ends, and its name is not repeated on the org (the calendar tells plans apart by it)."""
    seen: set[str] = set()
    for index, plan in enumerate(org.get("recurring") or ()):
        yield from _one_day(org, index, plan)
        start, until = plan.get("start"), plan.get("until")
        if start is not None and until is not None and until < start:
            yield org.problem(
                ("recurring", index, "until"),
                f"结束日期 {until.isoformat()} 早于开始日期 {start.isoformat()}",
                "检查 start 和 until：until 应不早于 start",
                "recurring-dates",
            )
        title = plan.get("title")
        if title in seen:
            yield org.problem(
                ("recurring", index, "title"),
                f"定期活动“{title}”在本组织重复出现",
                "每项定期活动用不同的名称；同一活动有两个日子时写成两项并分别命名",
                "recurring-duplicate",
            )
        if isinstance(title, str):
            seen.add(title)


def _one_day(org: Record, index: int, plan: dict[str, Any]) -> Iterator[Problem]:
    """The day of the period a plan falls on, written one way only."""
    at = ("recurring", index)
    every = plan.get("every", "month")
    # a key written with a wrong value (reported by its type) still says which way the day was written
    has_weekday, has_nth, has_day = (_written(org, index, plan, key) for key in ("weekday", "nth", "day"))
    if plan.get("nth") == 0:
        yield org.problem(
            at + ("nth",), "`nth: 0` 不是第几个", "写 1 到 4（第一到第四个），或 -1（最后一个）", "recurring-rule"
        )
        return
    if every == "week":
        if not has_weekday:
            yield org.problem(at, "每周的定期活动要写星期几 `weekday`", "例如 `weekday: 星期五`", "recurring-rule")
        for key in ("nth", "day"):
            if key in plan:
                yield org.problem(
                    at + (key,), f"每周的定期活动不用写 `{key}`", "删去这一行；只写 weekday", "recurring-rule"
                )
        return
    if has_day and (has_weekday or has_nth):
        yield org.problem(
            at + ("day",),
            "`day`（每月几日）和 `weekday`/`nth`（第几个星期几）只能写一种",
            "例如每月 10 日写 `day: 10`；每月第一个星期六写 `weekday: 星期六` 和 `nth: 1`",
            "recurring-rule",
        )
    elif has_weekday and not has_nth:
        yield org.problem(
            at + ("weekday",),
            "写了星期几，还要写这个月的第几个 `nth`",
            "例如每月第一个星期六写 `nth: 1`，最后一个写 `nth: -1`；每周都有写 `every: week`",
            "recurring-rule",
        )
    elif has_nth and not has_weekday:
        yield org.problem(
            at + ("nth",), "写了第几个，还要写星期几 `weekday`", "例如 `weekday: 星期六`", "recurring-rule"
        )
    elif not (has_day or has_weekday):
        yield org.problem(
            at,
            "定期活动没有写在哪一天",
            "写 `day: 10`（每月 10 日），或 `weekday: 星期六` 和 `nth: 1`（每月第一个星期六）",
            "recurring-rule",
        )


def _written(org: Record, index: int, plan: dict[str, Any], key: str) -> bool:
    """The plan has `key`, or the file wrote it with a value its type refused."""
    return key in plan or org.base + ("recurring", index, key) in org.doc.keys
