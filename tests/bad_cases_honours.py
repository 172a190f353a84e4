"""Bad cases of honours (表彰与创评, merged into tests/test_bad_cases.py): a recipient, exactly one; a date in
the honour's year; a year the org existed and the member had joined; no honour written twice; the level and
year as declared. A private member is named by id only."""

from __future__ import annotations

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    # The second honour names nobody; the third names an org with an id already refused (one problem, not two).
    "honours-no-recipient": [
        ("registry/honours/town.yaml", 6, 3, "表彰“党员示范户”没有写获得者"),
        ("registry/honours/town.yaml", 14, 8, "`East_Cun` 不符合格式：小写英文字母、数字和 `-`，以字母或数字开头"),
    ],
    "honours-two-recipients": [
        ("registry/honours/town.yaml", 6, 11, "一条表彰只能有一个获得者：org 和 member 只能写一个"),
    ],
    "honours-date-outside-year": [
        ("registry/honours/town.yaml", 6, 9, "授予日期 2025-06-30 不在表彰年度 2026 年之内"),
    ],
    # west founded 2010-03-01 and dissolved 2020-12-31: 2009 and 2021 are out, 2015 is in.
    "honours-org-years": [
        ("registry/honours/west.yaml", 3, 9, "表彰年度 2009 早于 `west` 的成立日期 2010-03-01"),
        ("registry/honours/west.yaml", 13, 9, "表彰年度 2021 晚于 `west` 的撤销日期 2020-12-31"),
    ],
    # m-west-sec joined 1988-05-04: 1985 is before, 1988 (the year itself) is not.
    "honours-before-joined": [
        ("registry/honours/town.yaml", 3, 9, "表彰年度 1985 早于党员 `m-west-sec` 的入党日期 1988-05-04"),
    ],
    # The same 镇级 honour to the same member in two files (the 县级 one of the same name is another honour).
    "honours-duplicate": [
        (
            "registry/honours/town.yaml",
            1,
            9,
            "同一获得者 `m-east-a` 的 2026 年镇级“优秀共产党员”已写过（registry/honours/2026/county.yaml 第 1 行）",
        ),
    ],
    "honours-bad-level": [
        ("registry/honours/town.yaml", 2, 10, "`区级` 不是可用的值"),
        ("registry/honours/town.yaml", 8, 9, "`26` 超出范围（1921..2100）"),
    ],
}
