"""Bad cases of topics (merged into tests/test_bad_cases.py): site.yaml's `tags:` declares the tags in use.

A tag not declared is named with the nearest declared one (a variant spelling) or the list; a declared tag
with no text, or with another's pinyin (their pages' addresses would depend on which came first), is refused.
"""

from __future__ import annotations

_LATER = " 新的标签要先加到 registry/site.yaml 的 tags 里"

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    "tags-undeclared": [
        ("registry/activities/town-2026.yaml", 6, 16, "标签“红色星期六”不在 registry/site.yaml 的 tags 里"),
        ("registry/projects/east-2026-road.yaml", 8, 14, "标签“乡村振新”不在 registry/site.yaml 的 tags 里"),
    ],
    "tags-declared-hostile": [
        ("registry/site.yaml", 8, 5, "标签“!!!”里没有文字"),
        ("registry/site.yaml", 11, 5, "标签“党鉴”和“党建”的拼音相同（dang-jian），专题页的网址会冲突"),
    ],
}
