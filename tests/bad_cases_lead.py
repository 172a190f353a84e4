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
}
