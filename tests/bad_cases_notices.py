"""Bad cases of notices (工作提示/通知) and venues (场所), merged into tests/test_bad_cases.py: a notice reaches only
orgs under its sender, is not valid before it is issued, has a body, names no private member (split across a
line break too); an activity's venue exists; a venue's id spells no private name,
and a venue has no phone field."""

from __future__ import annotations

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    # east and west are sisters under town: a village cannot notify the other village.
    "notice-audience-outside": [
        ("content/notices/east-to-west.md", 5, 11, "通知的发送范围 `west` 不在发文组织 `east` 的下级组织之中"),
    ],
    "notice-until-before-date": [
        ("content/notices/backwards.md", 5, 8, "有效期至 2026-02-28 早于发出日期 2026-03-01"),
    ],
    "notice-no-body": [
        ("content/notices/empty.md", 7, 1, "通知没有正文"),
    ],
    # 李小花 (m-east-a, private), written with spaces: still her name.
    "notice-private-member": [
        ("content/notices/praise.md", 8, 1, "这里提到了不公开的党员 `m-east-a`"),
    ],
    "notice-unknown-fields": [
        (
            "content/notices/missing.md",
            2,
            1,
            "缺少必填的键 `until`（有效期至（含这一天）；过期后移入归档；不早于发出日期）",
        ),
        ("content/notices/missing.md", 5, 11, "找不到组织 `nowhere`"),
    ],
    # An activity's venue that does not exist (west's hall does: the first activity is fine).
    "venue-unknown": [
        ("registry/activities/east-2026-02.yaml", 14, 10, "找不到场所 `nowhere-hall`"),
    ],
    "venue-id-private-name": [
        ("registry/venues/li-xiao-hua-zhan.yaml", 1, 5, "编号像是不公开党员 `m-east-a` 姓名的拼音"),
        ("registry/venues/li-xiao-hua-zhan.yaml", 6, 1, "不认识的键 `phone`"),
    ],
}
