"""One fixture per bad case (tests/fixtures/bad/<case>/, an overlay on the minimal registry).

Each case lists every problem `dangjian validate` must report for it: file, line,
column and the exact message; nothing more, nothing less. Each runs both ways of
validating: every record in full (as `build` does) and bulk files as summaries (as
`dangjian validate` does).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from conftest import BAD
from dangjian.validate import LAZY_KINDS, validate

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    "adjustment-unranked-org": [
        ("registry/assessments/results/town-villages/2026-Q1.yaml", 7, 10, "`town` 在这一期没有得分，不能加减分"),
    ],
    "adjustment-without-reason": [
        ("registry/assessments/results/town-villages/2026-Q1.yaml", 7, 5, "缺少必填的键 `reason`（加减分的原因）"),
    ],
    "alias-bomb": [
        ("registry/members/bomb.yaml", 4, 43, "别名展开后超过 10000 个值"),
    ],
    "asset-absolute": [
        ("registry/brands/red.yaml", 6, 7, "图片路径 `/etc/passwd.png` 必须是 content/assets/ 下的相对路径"),
    ],
    "asset-bad-type": [
        ("registry/brands/red.yaml", 6, 7, "图片 `brands/red.gif` 的格式不支持"),
    ],
    "asset-dotdot": [
        ("registry/brands/red.yaml", 6, 7, "图片路径 `../../registry/site.yaml` 不能用 `..` 跳出 content/assets/"),
    ],
    "asset-missing": [
        ("registry/brands/red.yaml", 6, 7, "找不到图片 content/assets/brands/blue.svg"),
    ],
    "bad-enum": [
        ("registry/orgs/east.yaml", 3, 7, "`支部` 不是可用的值"),
    ],
    "bad-id": [
        ("registry/orgs/west.yaml", 1, 5, "`West_Cun` 不符合格式：小写英文字母、数字和 `-`，以字母或数字开头"),
    ],
    "benchmark-not-weak": [
        ("registry/orgs/west.yaml", 6, 12, "只有薄弱组织才有结对的标杆组织"),
    ],
    "bidi-override": [
        ("registry/orgs/east.yaml", 2, 9, "不允许的双向文字控制字符 U+202E"),
    ],
    "brand-cycle": [
        ("registry/brands/blue.yaml", 4, 9, "品牌的上级关系形成了循环：blue → red → blue"),
        ("registry/brands/red.yaml", 10, 9, "品牌的上级关系形成了循环：red → blue → red"),
    ],
    "color-unquoted": [
        ("registry/brands/red.yaml", 5, 7, "`color` 的值是空的"),
    ],
    "complex-key": [
        ("registry/orgs/east.yaml", 9, 3, "键必须是简单的文本"),
    ],
    "control-character": [
        ("registry/orgs/east.yaml", 2, 9, "不允许的控制字符 U+0007"),
    ],
    "deep-nesting": [
        ("registry/members/deep.yaml", 1, 1, "括号嵌套超过 40 层"),
    ],
    "duplicate-id": [
        ("registry/members/west.yaml", 7, 7, "党员编号 `m-east-a` 重复（已用于 registry/members/east.yaml 第 10 行）"),
    ],
    "duplicate-key": [
        ("registry/orgs/east.yaml", 6, 1, "键 `name` 重复出现（第一次在第 2 行）"),
    ],
    "empty-file": [
        ("registry/orgs/east.yaml", 1, 1, "文件是空的"),
    ],
    "encoding-gbk": [
        ("registry/orgs/east.yaml", 2, 7, "文件不是 UTF-8 编码（看起来是 GBK/GB2312，Windows 中文版的常见编码）"),
    ],
    "file-name-not-id": [
        ("registry/assessments/results/town-villages/2026-Q1.yaml", 5, 9, "找不到组织 `west`"),
        ("registry/assessments/results/town-villages/2026-Q1.yaml", 7, 10, "找不到组织 `west`"),
        ("registry/members/west.yaml", 3, 8, "找不到组织 `west`"),
        ("registry/orgs/west.yaml", 1, 5, "编号 `west-cun` 与文件名 `west` 不一致"),
    ],
    "grade-without-post": [
        ("registry/members/west.yaml", 7, 10, "只有书记才有书记星级 `grade`"),
    ],
    "headcount-too-small": [
        ("registry/activities/town-2026.yaml", 7, 14, "参加人数 1 少于 attendees 中列出的 2 人"),
    ],
    "id-number-in-text": [
        ("registry/members/east.yaml", 12, 20, "这里像是身份证号码"),
    ],
    "id-number-unquoted": [
        ("registry/members/east.yaml", 12, 17, "这里像是身份证号码"),
    ],
    "impossible-date": [
        ("registry/projects/east-2026-road.yaml", 14, 11, "`2026-02-30` 不是真实存在的日期"),
    ],
    "joined-missing": [
        ("registry/members/east.yaml", 10, 3, "预备党员必须填写入党日期 `joined`"),
    ],
    "malformed-date": [
        ("registry/projects/east-2026-road.yaml", 14, 11, "这里应是日期，而不是`2026.3.20`"),
    ],
    "misplaced-file": [
        ("registry/people/north.yaml", 1, 1, "这个位置的 YAML 文件不属于任何记录类型"),
    ],
    "missing-parent": [
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            5,
            3,
            "`west` 不是 `town` 的直属下级，不参加这个排位",
        ),
        ("registry/orgs/west.yaml", 1, 1, "缺少上级组织 `parent`"),
    ],
    "missing-required": [
        ("registry/orgs/east.yaml", 1, 1, "缺少必填的键 `domain`（所属领域）"),
    ],
    "mobile-escaped": [
        ("registry/orgs/east.yaml", 6, 14, "这里像是手机号码"),
    ],
    "mobile-in-comment": [
        ("registry/orgs/east.yaml", 5, 20, "这里像是手机号码"),
    ],
    "mobile-in-story": [
        ("content/stories/east-road.md", 12, 6, "这里像是手机号码"),
    ],
    "mobile-in-text": [
        ("registry/orgs/east.yaml", 8, 21, "这里像是手机号码"),
    ],
    "mobile-unquoted": [
        ("registry/orgs/east.yaml", 6, 14, "这里像是手机号码"),
    ],
    "org-cycle": [
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            4,
            3,
            "`east` 不是 `town` 的直属下级，不参加这个排位",
        ),
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            5,
            3,
            "`west` 不是 `town` 的直属下级，不参加这个排位",
        ),
        ("registry/orgs/east.yaml", 4, 9, "组织的上级关系形成了循环：east → west → east"),
        ("registry/orgs/west.yaml", 4, 9, "组织的上级关系形成了循环：west → east → west"),
    ],
    "result-derived-by-hand": [
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            4,
            20,
            "指标 `activity-days` 由登记簿自动计算，不能手工打分",
        ),
    ],
    "result-missing-indicator": [
        ("registry/assessments/results/town-villages/2026-Q1.yaml", 5, 9, "`west` 缺少指标 `work`（中心工作）的得分"),
    ],
    "result-not-direct-child": [
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            6,
            3,
            "`town` 不是 `town` 的直属下级，不参加这个排位",
        ),
    ],
    "result-over-max": [
        ("registry/assessments/results/town-villages/2026-Q1.yaml", 4, 16, "`work` 的得分 51 超过满分 50"),
    ],
    "result-period-mismatch": [
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            2,
            9,
            "方案 `town-villages` 按季度排位，`2026-03` 不是这样的周期",
        ),
    ],
    "result-unknown-indicator": [
        ("registry/assessments/results/town-villages/2026-Q1.yaml", 4, 20, "方案 `town-villages` 没有指标 `wrok`"),
    ],
    "roster-not-a-list": [
        ("registry/members/west.yaml", 1, 1, "这个文件应是党员的列表"),
    ],
    "scalar-for-list": [
        ("registry/orgs/east.yaml", 8, 9, "这里应是列表，而不是`五好党支部`"),
    ],
    "score-out-of-range": [
        ("registry/projects/east-2026-road.yaml", 21, 12, "`120` 超出范围（0..100）"),
    ],
    "secretary-of-other-org": [
        ("registry/orgs/west.yaml", 8, 12, "书记 `m-east-sec` 不属于本组织（他/她在 `east`）"),
    ],
    "secretary-without-post": [
        ("content/stories/east-road.md", 6, 11, "党员 `m-east-sec` 不公开，典型事迹不能提到他/她"),
        ("registry/orgs/east.yaml", 6, 12, "`m-east-sec` 没有担任书记职务"),
    ],
    "several-documents": [
        ("registry/orgs/east.yaml", 9, 1, "一个文件里只能有一个 YAML 文档"),
    ],
    "stars-not-rising": [
        ("registry/site.yaml", 5, 12, "5 星的分数线（90）应高于 4 星的（95）"),
    ],
    "story-private-member": [
        ("content/stories/east-road.md", 6, 23, "党员 `m-east-a` 不公开，典型事迹不能提到他/她"),
    ],
    "story-without-front-matter": [
        ("content/stories/east-road.md", 1, 1, "典型事迹缺少开头的前置信息（title、date 等）"),
    ],
    "syntax-error": [
        ("registry/orgs/east.yaml", 8, 9, "YAML 格式错误：方括号 [ ] 没有闭合，或列表项之间缺少逗号"),
    ],
    "tab-indent": [
        ("registry/members/east.yaml", 2, 1, "缩进里有制表符（Tab）"),
    ],
    "unknown-key": [
        ("registry/orgs/east.yaml", 6, 1, "不认识的键 `secertary`"),
    ],
    "unknown-reference": [
        (
            "registry/assessments/results/town-villages/2026-Q1.yaml",
            5,
            3,
            "`west` 不是 `town` 的直属下级，不参加这个排位",
        ),
        ("registry/orgs/west.yaml", 4, 9, "找不到组织 `towm`"),
    ],
    "yaml-tag": [
        ("registry/orgs/east.yaml", 2, 7, "不允许使用 YAML 标签 `tag:yaml.org,2002:python/object/apply:os.system`"),
        ("registry/orgs/east.yaml", 2, 7, "这里应是文本，而不是列表"),
    ],
    "yaml11-boolean": [
        ("registry/brands/red.yaml", 3, 9, "`on` 在 YAML 里会被读成是/否（布尔值），而不是文字"),
    ],
    "yaml11-leading-zero": [
        ("registry/orgs/east.yaml", 8, 10, "`007` 在 YAML 里会被读成另一个数字，而不是这段文字"),
    ],
    "yaml11-sexagesimal": [
        ("registry/activities/town-2026.yaml", 5, 10, "`1:30:00` 在 YAML 里会被读成另一个数字，而不是这段文字"),
    ],
    "yml-extension": [
        ("registry/orgs/north.yml", 1, 1, "文件扩展名是 .yml"),
    ],
}

# More cases live in tests/bad_cases_<area>.py (each a CASES dict of the same shape), so
# that areas of work add cases without editing one shared table.
for _module in sorted(Path(__file__).parent.glob("bad_cases_*.py")):
    _extra = importlib.import_module(_module.stem).CASES
    assert not set(_extra) & set(CASES), f"{_module.name} repeats a case"
    CASES.update(_extra)


def test_every_fixture_has_expectations():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(CASES)


@pytest.mark.parametrize("way", ["full", "summaries", "lazy"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_case(case: str, way: str, registry) -> None:
    """Every way of validating (every record in full, bulk files as summaries, or `dangjian build`'s: in full but
    the ledger summarised, loaded later) reports the same."""
    root = registry(BAD / case)
    result = validate(root, full=way != "summaries", lazy=LAZY_KINDS if way == "lazy" else frozenset())
    found = [(p.file, p.line, p.column, p.message) for p in result.problems]
    assert found == CASES[case]
    assert all(p.hint for p in result.problems), "every problem carries a hint"
