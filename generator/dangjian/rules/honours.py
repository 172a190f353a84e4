"""Honours (表彰与创评): one recipient each, a year that fits the recipient, no honour written twice.

`one_recipient` and `date_in_year` read one honour alone (`RECORD_RULES`); the others read the orgs and
members the honours name. Members are named by id only: a problem is for the editors, never published.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from ..load import Record
from ..model import Registry, reads
from ..problems import Problem


def recipient(honour: Record) -> tuple[str, str] | None:
    """("org" | "member", id) of the one recipient an honour names, or None when it names none or both."""
    named = [(kind, honour.get(kind)) for kind in ("org", "member") if honour.get(kind) is not None]
    return named[0] if len(named) == 1 else None


def one_recipient(honour: Record) -> Iterator[Problem]:
    """An honour is given to exactly one org or one member."""
    has_org, has_member = "org" in honour.data, "member" in honour.data
    if has_org and has_member:
        yield honour.problem(
            ("member",),
            "一条表彰只能有一个获得者：org 和 member 只能写一个",
            "组织获得的写 org，党员获得的写 member；同一表彰给了几方时，每个获得者各写一条",
            "honour-recipient",
        )
    elif not has_org and not has_member and not _written_but_invalid(honour):
        what = f"表彰“{honour['name']}”" if "name" in honour.data else "这条表彰"
        yield honour.problem(
            (),
            f"{what}没有写获得者",
            "添加 `org: 组织编号`（组织获得）或 `member: 党员编号`（党员获得）",
            "honour-recipient",
        )


def _written_but_invalid(honour: Record) -> bool:
    """Whether the file writes `org` or `member` for this honour with a value already reported as wrong."""
    keys = honour.doc.keys  # read only here, for an honour without a recipient: positions are read again
    return any((*honour.base, kind) in keys for kind in ("org", "member"))


def date_in_year(honour: Record) -> Iterator[Problem]:
    """An honour's date, when written, falls in its year."""
    date, year = honour.get("date"), honour.get("year")
    if date is not None and year is not None and date.year != year:
        yield honour.problem(
            ("date",),
            f"授予日期 {date} 不在表彰年度 {year} 年之内",
            f"改正 year 或 date（year 写 {date.year}，或把日期改到 {year} 年）",
            "honour-date",
        )


def _too_early(year: int, since: datetime.date | None) -> bool:
    return since is not None and year < since.year


def years_fit_orgs(reg: Registry) -> Iterator[Problem]:
    """An org's honour falls in the years the org existed (from `founded` to `dissolved`)."""
    for honour in reg.all("honour"):
        org, year = reg.orgs.get(honour.get("org")), honour.get("year")
        if org is None or year is None:
            continue  # no org (a member's honour, or an unknown id: reported by the reference rule)
        founded, dissolved = org.get("founded"), org.get("dissolved")
        if _too_early(year, founded):
            yield honour.problem(
                ("year",),
                f"表彰年度 {year} 早于 `{org.id}` 的成立日期 {founded}",
                "检查 year，或该组织的 founded",
                "honour-year",
            )
        elif dissolved is not None and year > dissolved.year:
            yield honour.problem(
                ("year",),
                f"表彰年度 {year} 晚于 `{org.id}` 的撤销日期 {dissolved}",
                "检查 year，或该组织的 dissolved",
                "honour-year",
            )


@reads(member=("joined",))
def years_fit_members(reg: Registry) -> Iterator[Problem]:
    """A member's honour is not from before the member joined the party (`joined`), when that is written."""
    for honour in reg.all("honour"):
        member, year = reg.members.get(honour.get("member")), honour.get("year")
        if member is None or year is None:
            continue
        joined = member.get("joined")
        if _too_early(year, joined):
            yield honour.problem(
                ("year",),
                f"表彰年度 {year} 早于党员 `{member.id}` 的入党日期 {joined}",
                "检查 year，或该党员的 joined",
                "honour-year",
            )


def unique_honours(reg: Registry) -> Iterator[Problem]:
    """The same honour (name and level) is given to the same recipient at most once a year."""
    first: dict[tuple, Record] = {}
    for honour in reg.all("honour"):
        who = recipient(honour)
        if who is None or not {"name", "level", "year"} <= honour.data.keys():
            continue
        key = (*who, honour["year"], honour["level"], honour["name"])
        earlier = first.setdefault(key, honour)
        if earlier is not honour:
            yield honour.problem(
                ("name",),
                f"同一获得者 `{who[1]}` 的 {honour['year']} 年{honour['level']}级“{honour['name']}”已写过"
                f"（{earlier.file} 第 {earlier.pos()[0]} 行）",
                "删除重复的一条；同一年不同级别的同名表彰，请检查 level",
                "honour-duplicate",
            )
