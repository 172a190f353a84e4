"""Bad cases of privacy (merged into tests/test_bad_cases.py): private names however disguised, their
pinyin in file names, and personal numbers with any separators. The numbers are never echoed; the
private member is named by id only (CI logs may be public)."""

from __future__ import annotations

_NAMED = "这里提到了不公开的党员 `{}`"

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    # 李小花 (m-east-a, private) split by **, <i>, a zero-width space, an entity and GBK percent-encoding:
    # one problem per line, at the first character of the name as written.
    "privacy-split-name": [
        ("content/stories/east-road.md", 12, 3, _NAMED.format("m-east-a")),
        ("content/stories/east-road.md", 14, 5, _NAMED.format("m-east-a")),
    ],
    # 楊長根 is the private 杨长根 in traditional characters.
    "privacy-traditional-title": [
        ("content/stories/east-road.md", 2, 8, _NAMED.format("m-yang-cg")),
    ],
    "privacy-pinyin-slug": [
        ("content/stories/yang-chang-gen.md", 1, 1, "文件名像是不公开党员 `m-yang-cg` 姓名的拼音"),
    ],
    # 139.1234.5678, 139—1234—5678 and 110101 19900307 1233.
    "privacy-separated-numbers": [
        ("registry/orgs/east.yaml", 9, 15, "这里像是手机号码"),
        ("registry/orgs/east.yaml", 9, 32, "这里像是手机号码"),
        ("registry/orgs/east.yaml", 9, 49, "这里像是身份证号码"),
    ],
}
