"""Notices (工作提示/通知): a notice reaches only orgs under its sender, is valid from its date, has a body, and
names no private member (read as stories are: rules/stories.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..load import Record
from ..model import Registry, reads
from ..problems import Problem
from . import stories


def audience(notice: Record) -> str | None:
    """The org a notice is addressed to (with every org under it): its `audience`, else its sender."""
    return notice.get("audience") or notice.get("from")


def audience_under_sender(reg: Registry) -> Iterator[Problem]:
    """A notice's audience is its sender or an org below it: a town cannot notify another town's villages."""
    for notice in reg.all("notice"):
        sender, to = notice.get("from"), notice.get("audience")
        if not sender or not to or sender not in reg.orgs or to not in reg.orgs or to == sender:
            continue  # an unknown org is the references rule's to report
        if to not in set(reg.descendants(sender)):
            yield notice.problem(
                ("audience",),
                f"通知的发送范围 `{to}` 不在发文组织 `{sender}` 的下级组织之中",
                f"只能发给 `{sender}` 本身或它的下级组织；发给别的组织，请由它们共同的上级组织发出",
                "notice-audience",
            )


def until_not_before_date(notice: Record) -> Iterator[Problem]:
    """A notice is valid from its date to `until`: `until` is never earlier."""
    date, until = notice.get("date"), notice.get("until")
    if date is not None and until is not None and until < date:
        yield notice.problem(
            ("until",),
            f"有效期至 {until.isoformat()} 早于发出日期 {date.isoformat()}",
            "改正有效期（含当天），它不能早于 date",
            "notice-until",
        )


def body_required(notice: Record) -> Iterator[Problem]:
    """A notice says something: its Markdown body below the front matter is not empty."""
    if not notice.body.strip():
        yield Problem(
            notice.file,
            notice.body_line,
            1,
            "通知没有正文",
            "在前置信息结束的 `---` 下面写通知的内容（Markdown）",
            "notice-body",
        )


@reads(member=("name", "public", "posts"))  # is_public reads public and posts
def public_members_only(reg: Registry) -> Iterator[Problem]:
    """A notice's front matter, body and file name name no private member, in any spelling (as a story's)."""
    if reg.all("notice"):
        names = stories.lazy_names(reg)
        yield from stories.by_file(reg, ("notice",), "notices", stories.named_in_content, names)
        yield from stories.by_slug(reg, ("notice",), names)
