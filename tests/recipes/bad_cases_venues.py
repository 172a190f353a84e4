"""Bad cases for the venues' rules (see tests/test_bad_cases.py)."""

VENUE = "registry/venues/east-center.yaml"

CASES = {
    "venues-opened-before-founding": [
        (VENUE, 5, 9, "启用日期 2020-05-01 早于所属组织 `east` 的成立日期 2021-01-01"),
    ],
    "venues-keeper-not-full-member": [
        (VENUE, 6, 9, "管理员 `m-east-a` 不是本组织的正式党员"),
    ],
}
