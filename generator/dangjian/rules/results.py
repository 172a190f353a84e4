"""Ranking schemes and their result files.

A scheme ranks orgs (the scope's direct children) or, with `subject: members`, the members below the
scope holding one of its `posts` (`rankings.ranked_members` decides who). A result's `scores` keys and
its adjustments name orgs or members accordingly: they are resolved here, not as references of one kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from ..load import Record
from ..model import Registry, reads
from ..periods import EXAMPLES, parse_period, period_kind
from ..problems import Problem
from ..rankings import MEMBERS, ranked_members, subject_of
from .. import rolls
from ..rolls import Rolls
from ..recordtypes import DERIVED_INDICATORS, SUBJECT_DERIVATIONS
from ..schema import did_you_mean
from .references import member_hint, resolves

PERIOD_NAMES = {"year": "年", "quarter": "季度", "month": "月"}


def scheme_indicators(reg: Registry) -> Iterator[Problem]:
    """A scheme's indicator ids are unique, its derived indicators fit what it ranks, and a members scheme
    says which posts are ranked (and only it does)."""
    for scheme in reg.all("scheme"):
        yield from _scheme_subject(scheme)
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


def _scheme_subject(scheme: Record) -> Iterator[Problem]:
    subject = subject_of(scheme)
    if subject == MEMBERS and not scheme.get("posts"):
        yield scheme.problem(
            ("subject",),
            f"方案 `{scheme.id}` 给党员排位，但没有写参加排位的职务（posts）",
            "加上一行 `posts: [书记]`：方案只给担任这些职务的党员排位",
            "people-posts",
        )
    if subject != MEMBERS and "posts" in scheme.data:
        yield scheme.problem(
            ("posts",),
            "`posts` 只用于给党员排位的方案",
            "给党员排位要加上 `subject: members`；给组织排位就删除 posts",
            "people-posts",
        )
    for index, indicator in enumerate(scheme.get("indicators", [])):
        derive = indicator.get("derive")
        if derive is None or derive in SUBJECT_DERIVATIONS[subject]:
            continue
        name = DERIVED_INDICATORS[derive][0] if derive in DERIVED_INDICATORS else derive
        if subject == MEMBERS:
            message = f"`{derive}`（{name}）是组织的指标，给党员排位的方案不能用"
            hint = "给党员排位用 `points_score`（本人年度积分）、`activity_days` 或 `project_progress`"
        else:
            message = f"`{derive}`（{name}）只用于给党员排位的方案"
            hint = "给组织排位用 `points_average`（党员平均积分）；给党员排位要加上 `subject: members`"
        yield scheme.problem(("indicators", index, "derive"), message, hint, "derive-subject")


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


@reads(member=("name", "public", *rolls.READS))  # ranked_members: the rolls on a day; member_hint: name, public
def result_scores(reg: Registry) -> Iterator[Problem]:
    """Scored orgs are the scope's direct children (scored members: those `ranked_members` names), each with
    every hand-scored indicator within 0..max."""
    index: Rolls | None = None  # the rolls on any day, built once when a members scheme needs it
    for result in reg.all("result"):
        scheme = _scheme(reg, result)
        if scheme is None:
            yield from _unresolved_keys(reg, result)
            continue
        indicators = {i["id"]: i for i in scheme.get("indicators", []) if "id" in i}
        manual = [i for i in indicators.values() if "derive" not in i]
        if subject_of(scheme) == MEMBERS:
            period = parse_period(result.get("period", ""))
            # without a period, a known scope or posts another rule speaks (and every key would be refused)
            known = period is not None and scheme.get("scope") in reg.orgs and bool(scheme.get("posts"))
            index = index or Rolls(reg)
            ranked = set(ranked_members(reg, scheme, period, index)) if known and period is not None else None
            for member_id in result.get("scores", {}):
                yield from _member_key(reg, result, scheme, member_id, ranked)
        for org_id, values in result.get("scores", {}).items():
            if subject_of(scheme) != MEMBERS:
                yield from _org_key(reg, result, scheme, org_id)
            yield from _org_scores(reg, result, scheme, org_id, values, indicators, manual)


def _unresolved_keys(reg: Registry, result: Record) -> Iterator[Problem]:
    """Without its scheme, a result's keys are checked as orgs or members, whichever they name."""
    for key in result.get("scores", {}):
        if not (resolves(reg, "org", key) or resolves(reg, "member", key)):
            yield _unknown_org(reg, result, key)


def _unknown_org(reg: Registry, result: Record, key: str) -> Problem:
    hint = did_you_mean(key, sorted(reg.orgs))
    return _unknown(result, key, "组织", hint if hint.startswith("是不是") else "检查拼写，或先添加这个组织")


def _unknown(result: Record, key: str, title: str, hint: str) -> Problem:
    """At the key's value, as the reference rule reported an unknown org key when keys were org references."""
    return result.problem(("scores", key), f"找不到{title} `{key}`", hint, "unknown-ref")


def _org_key(reg: Registry, result: Record, scheme: Record, key: str) -> Iterator[Problem]:
    """An org scheme's key names an org (not a member)."""
    if key in reg.members:
        yield result.problem(
            ("scores", key),
            f"`{key}` 是党员编号，而方案 `{scheme.id}` 给组织排位",
            "这里写组织编号；给党员排位的方案要写 `subject: members` 和 `posts`",
            "subject",
            key=True,
        )
    elif not resolves(reg, "org", key):
        yield _unknown_org(reg, result, key)


def _member_key(reg: Registry, result: Record, scheme: Record, key: str, ranked: set[str] | None) -> Iterator[Problem]:
    """A members scheme's key names a member it ranks (not an org)."""
    if key in reg.orgs:
        yield result.problem(
            ("scores", key),
            f"`{key}` 是组织编号，而方案 `{scheme.id}` 给党员排位",
            "这里写参加排位的党员编号（例如村书记的编号）；给组织排位的方案不写 `subject: members`",
            "subject",
            key=True,
        )
    elif not resolves(reg, "member", key):
        yield _unknown(result, key, "党员", member_hint(reg, key))
    elif ranked is not None and key in reg.members and key not in ranked:
        posts = "、".join(scheme.get("posts", []))
        yield result.problem(
            ("scores", key),
            f"`{key}` 不是 `{scheme.get('scope')}` 以下组织中担任{posts}的党员，不参加这个排位",
            f"方案 `{scheme.id}` 只给担任{posts}的党员排位：检查这名党员的 posts 和所在组织，或删除这一行",
            "scope",
            key=True,
        )


def _org_scores(
    reg: Registry, result: Record, scheme: Record, org_id: str, values: dict, indicators: dict, manual: list
) -> Iterator[Problem]:
    org = reg.orgs.get(org_id)
    if org is not None and subject_of(scheme) != MEMBERS and org.get("parent") != scheme.get("scope"):
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
    """Adjustments name an org (in a members scheme: a member) ranked in that period (the schema requires
    their reason)."""
    for result in reg.all("result"):
        scored = result.get("scores", {})
        scheme = _scheme(reg, result)
        members = scheme is not None and subject_of(scheme) == MEMBERS
        named, other = ("member", "org") if members else ("org", "member")
        known = reg.members if members else reg.orgs
        for index, adjustment in enumerate(result.get("adjustments", [])):
            if other in adjustment and scheme is not None:
                yield result.problem(
                    ("adjustments", index, other),
                    f"方案 `{scheme.id}` 给{'党员' if members else '组织'}排位，奖扣分要写 `{named}:`",
                    f"把 `{other}:` 改成 `{named}:` 和{'党员' if members else '组织'}编号",
                    "subject",
                    key=True,
                )
            elif named not in adjustment and other not in adjustment:
                yield result.problem(
                    ("adjustments", index),
                    "这条奖扣分没有写给谁",
                    f"加上 `{named}: 编号`（{'党员' if members else '组织'}编号）",
                    "adjustment-org",
                )
            key = adjustment.get(named)
            if key is not None and key in known and key not in scored:
                yield result.problem(
                    ("adjustments", index, named),
                    f"`{key}` 在这一期没有得分，不能加减分",
                    "先在 scores 里给它打分，或删除这一条",
                    "adjustment-org",
                )


def _show(value: Fraction) -> str:
    """A Fraction from a decimal, written as the editor wrote it."""
    return str(int(value)) if value.denominator == 1 else str(float(value))
