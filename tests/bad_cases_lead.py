"""Bad cases added while integrating the round's work (see tests/test_bad_cases.py)."""

CASES = {
    "lead-slug-too-long": [
        (
            "content/stories/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.md",
            1,
            1,
            "文件名太长（70 个字符）：最多 64 个字符",
        ),
    ],
    "lead-page-named-like-a-section": [
        (
            "content/pages/projects.md",
            1,
            1,
            "文件名 `projects` 是网站自己要用的地址「/projects/」（栏目、资源或搜索索引），页面不能用它",
        ),
    ],
}
