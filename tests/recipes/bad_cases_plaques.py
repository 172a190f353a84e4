"""Bad cases for the plaques' rules (see tests/test_bad_cases.py)."""

PLAQUE = "registry/plaques/east-center.yaml"

CASES = {
    "plaques-opened-before-founding": [
        (PLAQUE, 5, 9, "启用日期 2020-05-01 早于所属组织 `east` 的成立日期 2021-01-01"),
    ],
    "plaques-keeper-not-full-member": [
        (PLAQUE, 6, 9, "管理员 `m-east-a` 不是本组织的正式党员"),
    ],
}
