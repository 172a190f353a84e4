"""Bad cases of invisible characters in the registry root's mkdocs.yml (merged into tests/test_bad_cases.py).

The footer (`copyright`, `extra.icp`) is on every page: a bidi override there, raw or written as a
YAML escape (`"\\u202e"`), reorders what every reader sees. Each case is an overlay under
tests/fixtures/bad/<case>/ on the minimal registry.
"""

from __future__ import annotations

_BIDI = "不允许的双向文字控制字符"

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    "rtconfig-escaped-bidi": [
        ("mkdocs.yml", 4, 14, "不允许的控制字符 U+000B（写成了转义）"),  # once, though it is also a markup character
        ("mkdocs.yml", 5, 12, f"{_BIDI} U+202E（写成了转义）"),
        ("mkdocs.yml", 7, 8, f"{_BIDI} U+2066（写成了转义）"),
    ],
    "rtconfig-raw-bidi": [  # the raw one is reported at its place; the escape beside it is the same problem
        ("mkdocs.yml", 3, 17, f"{_BIDI} U+202E"),
        ("mkdocs.yml", 5, 22, f"{_BIDI} U+2066"),
    ],
}
