"""Bad cases for the cross-file rules no other case made speak (issue 18, finding K5: tests/test_summary_reads.py
now asks every rule in ALL_RULES to report in some case, so each runs over a record it reads)."""

CASES = {
    "findings-points-rule-duplicate-id": [
        ("registry/points/rules.yaml", 11, 9, "积分规则编号 `activity` 重复"),
    ],
    "findings-root-org-with-parent": [  # the root's parent is below it: a cycle too
        ("registry/orgs/east.yaml", 4, 9, "组织的上级关系形成了循环：east → town → east"),
        ("registry/orgs/town.yaml", 6, 9, "`town` 是网站的最上级组织（site.yaml 的 root），不能有上级"),
        ("registry/orgs/town.yaml", 6, 9, "组织的上级关系形成了循环：town → east → town"),
    ],
    "findings-org-dissolved-before-founded": [
        ("registry/orgs/west.yaml", 9, 12, "撤销日期 2019-12-31 早于成立日期 2020-03-01"),
    ],
    "findings-scheme-duplicate-indicator": [
        ("registry/assessments/schemes/town-villages.yaml", 9, 9, "指标编号 `work` 重复"),
    ],
    "findings-result-duplicate-period": [
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            2,
            9,
            "方案 `town-villages` 的 2026-Q1 已有结果文件 "
            "registry/assessments/results/town-villages/2026-Q1-again.yaml",
        ),
    ],
}
