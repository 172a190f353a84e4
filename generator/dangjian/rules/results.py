"""Ranking schemes and their result files."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from ..load import Record
from ..model import Registry
from ..periods import EXAMPLES, period_kind
from ..problems import Problem
from ..schema import did_you_mean

PERIOD_NAMES = {"year": "年", "quarter": "季度", "month": "月"}


def scheme_indicators(reg: Registry) -> Iterator[Problem]:
    """A scheme's indicator ids are unique."""
    for scheme in reg.all("scheme"):
        seen: set[str] = set()
        for index, indicator in enumerate(scheme.get("indicators", [])):
            if indicator.get("id") in seen:
                yield scheme.problem(
                    ("indicators", index, "id"),
                    f"指标编号 `{indicator['id']}` 重复",
                    "每个指标用不同的编号",
                    "duplicate-id",
                )
            seen.add(indicator.get("id"))


def unique_periods(reg: Registry) -> Iterator[Problem]:
    """One result file per scheme and period."""
    seen: dict[tuple[str, str], Record] = {}
    for result in reg.all("result"):
        key = (result.get("scheme"), result.get("period"))
        if None in key:
            continue
        if key in seen:
            yield result.problem(
                ("period",),
                f"方案 `{key[0]}` 的 {key[1]} 已有结果文件 {seen[key].file}",
                "一期只写一个结果文件：合并或删除一个",
                "duplicate-period",
            )
        else:
            seen[key] = result


def _scheme(reg: Registry, result: Record) -> Record | None:
    return reg.schemes.get(result.get("scheme"))


def result_periods(reg: Registry) -> Iterator[Problem]:
    """A result's period has the scheme's granularity."""
    for result in reg.all("result"):
        scheme, label = _scheme(reg, result), result.get("period")
        if scheme is None or label is None or "period" not in scheme.data:
            continue
        wanted = scheme["period"]
        if period_kind(label) != wanted:
            yield result.problem(
                ("period",),
                f"方案 `{scheme.id}` 按{PERIOD_NAMES[wanted]}排位，`{label}` 不是这样的周期",
                f"写成 {EXAMPLES[wanted]} 这样的形式",
                "period",
            )


def result_scores(reg: Registry) -> Iterator[Problem]:
    """Scored orgs are the scope's direct children, each with every hand-scored indicator within 0..max."""
    for result in reg.all("result"):
        scheme = _scheme(reg, result)
        if scheme is None:
            continue
        indicators = {i["id"]: i for i in scheme.get("indicators", []) if "id" in i}
        manual = [i for i in indicators.values() if "derive" not in i]
        for org_id, values in result.get("scores", {}).items():
            yield from _org_scores(reg, result, scheme, org_id, values, indicators, manual)


def _org_scores(
    reg: Registry, result: Record, scheme: Record, org_id: str, values: dict, indicators: dict, manual: list
) -> Iterator[Problem]:
    org = reg.orgs.get(org_id)
    if org is not None and org.get("parent") != scheme.get("scope"):
        yield result.problem(
            ("scores", org_id),
            f"`{org_id}` 不是 `{scheme.get('scope')}` 的直属下级，不参加这个排位",
            f"方案 `{scheme.id}` 只给 `{scheme.get('scope')}` 的直属下级组织打分",
            "scope",
            key=True,
        )
    for name, value in values.items():
        indicator = indicators.get(name)
        if indicator is None:
            yield result.problem(
                ("scores", org_id, name),
                f"方案 `{scheme.id}` 没有指标 `{name}`",
                did_you_mean(name, list(indicators)),
                "indicator",
                key=True,
            )
        elif "derive" in indicator:
            yield result.problem(
                ("scores", org_id, name),
                f"指标 `{name}` 由登记簿自动计算，不能手工打分",
                "删除这一项",
                "derived",
                key=True,
            )
        elif "max" in indicator and value > indicator["max"]:
            yield result.problem(
                ("scores", org_id, name),
                f"`{name}` 的得分 {_show(value)} 超过满分 {_show(indicator['max'])}",
                f"填写 0..{_show(indicator['max'])} 之间的分数",
                "range",
            )
    for indicator in manual:
        if indicator["id"] not in values:
            yield result.problem(
                ("scores", org_id),
                f"`{org_id}` 缺少指标 `{indicator['id']}`（{indicator.get('name', '')}）的得分",
                f"加上 `{indicator['id']}: 分数`",
                "missing-score",
            )


def result_adjustments(reg: Registry) -> Iterator[Problem]:
    """Adjustments name an org ranked in that period (the schema requires their reason)."""
    for result in reg.all("result"):
        scored = result.get("scores", {})
        for index, adjustment in enumerate(result.get("adjustments", [])):
            org_id = adjustment.get("org")
            if org_id is not None and org_id in reg.orgs and org_id not in scored:
                yield result.problem(
                    ("adjustments", index, "org"),
                    f"`{org_id}` 在这一期没有得分，不能加减分",
                    "先在 scores 里给它打分，或删除这一条",
                    "adjustment-org",
                )


def _show(value: Fraction) -> str:
    """A Fraction from a decimal, written as the editor wrote it."""
    return str(int(value)) if value.denominator == 1 else str(float(value))
