"""Bad cases of calendars: planned activities and an org's recurring plans (merged into tests/test_bad_cases.py).

Each fixture is an overlay on tests/fixtures/minimal/ under tests/fixtures/bad/<case>/ (rules/plans.py and the
declarations of ACTIVITY `planned`/`time` and ORG `recurring` in recordtypes.py).
"""

from __future__ import annotations

_NO_DAY = "定期活动没有写在哪一天"
_WEEKLY = "每周的定期活动要写星期几 `weekday`"
_ONE_WAY = "`day`（每月几日）和 `weekday`/`nth`（第几个星期几）只能写一种"

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    # attendees and headcount on an activity not held yet; a planned one with a time is fine
    "calendar-planned-attended": [
        ("registry/activities/plans.yaml", 7, 14, "计划中的活动还没有举行，不能填写参加者 attendees"),
        ("registry/activities/plans.yaml", 8, 14, "计划中的活动还没有举行，不能填写参加人数 headcount"),
    ],
    # each way a plan's day can be missing, doubled or contradictory; a repeated name; an end before its start
    "calendar-recurring-rule": [
        ("registry/orgs/town.yaml", 9, 14, "写了星期几，还要写这个月的第几个 `nth`"),
        ("registry/orgs/town.yaml", 12, 10, "写了第几个，还要写星期几 `weekday`"),
        ("registry/orgs/town.yaml", 13, 5, _WEEKLY),
        ("registry/orgs/town.yaml", 16, 10, "每周的定期活动不用写 `nth`"),
        ("registry/orgs/town.yaml", 20, 10, _ONE_WAY),
        ("registry/orgs/town.yaml", 23, 5, _NO_DAY),
        ("registry/orgs/town.yaml", 25, 12, "定期活动“党员活动日”在本组织重复出现"),
        ("registry/orgs/town.yaml", 27, 10, "`nth: 0` 不是第几个"),
        ("registry/orgs/town.yaml", 30, 12, "结束日期 2026-01-31 早于开始日期 2026-05-01"),
        ("registry/orgs/town.yaml", 31, 5, _WEEKLY),
    ],
    # wrong values of every field of a plan: each said once at its value, with no stacked "no day" after them
    "calendar-recurring-fields": [
        ("registry/orgs/west.yaml", 10, 11, "`主题日` 不是可用的值"),
        ("registry/orgs/west.yaml", 11, 12, "`day` 不是可用的值"),
        ("registry/orgs/west.yaml", 12, 14, "`周六` 不是可用的值"),
        ("registry/orgs/west.yaml", 13, 10, "`5` 超出范围（-1..4）"),
        ("registry/orgs/west.yaml", 14, 10, "`31` 超出范围（1..28）"),
        ("registry/orgs/west.yaml", 14, 10, _ONE_WAY),
        ("registry/orgs/west.yaml", 15, 11, "`7:30` 不符合格式：24 小时制的 时:分，例如 09:00"),
        ("registry/orgs/west.yaml", 16, 12, "这里应是 `true` 或 `false`，而不是`yes`"),
    ],
}
