"""Bad cases of rankings of individuals (`subject: members`): their overlays are tests/fixtures/bad/people-rank-*.

Merged into tests/test_bad_cases.py (every tests/bad_cases_*.py), which runs each both ways (in full and as
summaries) and compares the exact problems.
"""

SECRETARIES = "registry/assessments/results/town-secretaries/2026-Q1.yaml"
VILLAGES = "registry/assessments/results/town-villages/2026-Q1.yaml"

CASES = {
    # a members scheme without the posts it ranks (its result's member is not refused for want of a post too)
    "people-rank-no-posts": [
        (
            "registry/assessments/schemes/town-secretaries.yaml",
            4,
            10,
            "方案 `town-secretaries` 给党员排位，但没有写参加排位的职务（posts）",
        ),
    ],
    # an org scheme with a members scheme's posts and derivation
    "people-rank-org-scheme": [
        ("registry/assessments/schemes/town-villages.yaml", 4, 8, "`posts` 只用于给党员排位的方案"),
        (
            "registry/assessments/schemes/town-villages.yaml",
            17,
            13,
            "`points_score`（本人年度积分）只用于给党员排位的方案",
        ),
    ],
    # an org's derivation in a members scheme
    "people-rank-derive-average": [
        (
            "registry/assessments/schemes/town-secretaries.yaml",
            14,
            13,
            "`points_average`（党员平均积分）是组织的指标，给党员排位的方案不能用",
        ),
    ],
    # scores keys: an org in a members scheme, a misspelt member, a member without the post (副书记), a
    # member in an org scheme
    "people-rank-keys": [
        (SECRETARIES, 5, 3, "`east` 是组织编号，而方案 `town-secretaries` 给党员排位"),
        (SECRETARIES, 6, 15, "找不到党员 `m-east-sek`"),
        (SECRETARIES, 7, 3, "`m-west-sec` 不是 `town` 以下组织中担任书记的党员，不参加这个排位"),
        (VILLAGES, 5, 3, "`m-west-sec` 是党员编号，而方案 `town-villages` 给组织排位"),
    ],
    # adjustments: `org:` in a members scheme, naming nobody, a member not scored; `member:` in an org scheme
    "people-rank-adjustments": [
        (SECRETARIES, 6, 5, "方案 `town-secretaries` 给党员排位，奖扣分要写 `member:`"),
        (SECRETARIES, 9, 5, "这条奖扣分没有写给谁"),
        (SECRETARIES, 11, 13, "`m-west-sec` 在这一期没有得分，不能加减分"),
        (VILLAGES, 7, 5, "方案 `town-villages` 给组织排位，奖扣分要写 `org:`"),
    ],
}
