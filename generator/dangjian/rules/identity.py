"""Files that must exist, ids that must be unique."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Registry
from ..problems import Problem
from ..recordtypes import RECORD_TYPES


# What to say of a missing fixed file, and what to write in a new one.
_MISSING = {
    "site": ("缺少网站设置文件", "至少写上 title: 和 root:"),
    "rulebook": ("缺少积分规则簿", "写上 base:、cap: 和 rules:"),
}


def required_files(reg: Registry) -> Iterator[Problem]:
    """The kinds kept in one fixed file (registry/site.yaml, registry/points/rules.yaml) have it."""
    for kind, record_type in RECORD_TYPES.items():
        path = record_type.fixed_path
        if path is None or reg.all(kind) or (reg.root / path).exists():
            continue
        message, content = _MISSING.get(kind, (f"缺少{record_type.title}文件", "按字段说明写上必填的键"))
        yield Problem(path, 1, 1, message, f"新建 {path}，{content}", "missing-file")


def unique_ids(reg: Registry) -> Iterator[Problem]:
    """Ids (and story and page slugs) are unique within their record type."""
    for kind, record_type in RECORD_TYPES.items():
        if record_type.id_field is None and record_type.layout != "markdown":
            continue
        known = reg.ids(kind)
        for record in reg.all(kind):
            record_id = record.data.get("id", record.slug)
            first = None if record_id is None else known.get(record_id)
            if first is None or first is record:
                continue
            where = f"{first.file} 第 {first.pos('id')[0]} 行" if record_type.id_field else first.file
            at = ("id",) if record_type.id_field else ()
            yield record.problem(
                at,
                f"{record_type.title}编号 `{record_id}` 重复（已用于 {where}）",
                "每个编号只能用一次：换一个编号",
                "duplicate-id",
            )


def unique_points_rules(reg: Registry) -> Iterator[Problem]:
    """Points rule ids are unique within the rulebook."""
    book = reg.rulebook
    if book is None:
        return
    seen: set[str] = set()
    for index, rule in enumerate(book.get("rules", [])):
        if rule.get("id") in seen:
            yield book.problem(
                ("rules", index, "id"), f"积分规则编号 `{rule['id']}` 重复", "每条规则用不同的编号", "duplicate-id"
            )
        seen.add(rule.get("id"))


def star_thresholds(reg: Registry) -> Iterator[Problem]:
    """More stars need a higher score: thresholds rise with the star count."""
    site = reg.settings
    if site is None or "stars" not in site.data:
        return
    ordered = sorted(site["stars"].items())
    for (low_stars, low), (high_stars, high) in zip(ordered, ordered[1:]):
        if high <= low:
            yield site.problem(
                ("stars", str(high_stars)),
                f"{high_stars} 星的分数线（{high}）应高于 {low_stars} 星的（{low}）",
                "星级越高，分数线越高",
                "stars",
            )
