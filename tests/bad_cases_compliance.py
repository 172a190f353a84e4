"""Bad cases of 三会一课 compliance (issue 21): `three_one:` in site.yaml and the ranking derivation's name.

Each is an overlay under tests/fixtures/bad/<case>/; tests/test_bad_cases.py merges CASES.
"""

from __future__ import annotations

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    # an org kind misspelt, a frequency and a meeting outside the lists, an empty kind, a list for a mapping
    "compliance-site-settings": [
        ("registry/site.yaml", 4, 3, "`党支委` 不是可用的值"),
        ("registry/site.yaml", 5, 15, "`weekly` 不是可用的值"),
        ("registry/site.yaml", 5, 23, "`三会` 不是可用的值"),
        ("registry/site.yaml", 6, 7, "`党小组` 的值是空的"),
        ("registry/site.yaml", 7, 8, "这里应是映射（键: 值），而不是列表"),
    ],
    # `derive: three_one` (the name shortened): did-you-mean, and the indicator is then a manual one to score
    "compliance-derive-misspelt": [
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            4,
            9,
            "`east` 缺少指标 `activity-days`（党员活动日）的得分",
        ),
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            5,
            9,
            "`west` 缺少指标 `activity-days`（党员活动日）的得分",
        ),
        ("registry/assessments/schemes/town-villages.yaml", 12, 13, "`three_one` 不是可用的值"),
    ],
}
