"""Checks of single answers for `dangjian new`: ids, references, dates, choices, text.

Each check takes the raw text and returns the value, or raises AnswerError with a
Chinese message that says why (and, for references, which id was probably meant).
"""

from __future__ import annotations

import datetime
import difflib
import re
from pathlib import Path
from typing import Callable, TypeVar

from ..model import Registry
from ..normalise import HAN, HAN_RANGES
from ..personal import find_identifiers
from ..recordtypes import RECORD_TYPES, title_of
from ..schema import ID_PATTERN, MAX_ID_LENGTH
from . import cells
from .asking import Answers, AnswerError

T = TypeVar("T")

_ID = re.compile(ID_PATTERN)
MAX_TEXT = 200


def id_problem(raw: str) -> str | None:
    """Why `raw` cannot be an id (None when it can)."""
    if _ID.fullmatch(raw):
        return None
    reasons = []
    if len(raw) > MAX_ID_LENGTH:
        reasons.append(f"太长（{len(raw)} 个字符，最多 {MAX_ID_LENGTH} 个）")
    if HAN.search(raw):
        reasons.append("有汉字（编号通常用拼音）")
    if re.search(r"[A-Z]", raw):
        reasons.append("有大写字母")
    if re.search(r"\s", raw):
        reasons.append("有空格")
    if raw.startswith("-"):
        reasons.append("以 `-` 开头")
    if re.search(rf"[^A-Za-z0-9\s{HAN_RANGES}-]", raw):
        reasons.append("有 `-` 以外的符号")
    suggestion = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")
    example = f"，例如 `{suggestion}`" if suggestion and _ID.fullmatch(suggestion) else "，例如 `caota-dongcun`"
    why = "、".join(reasons) or "格式不对"
    return f"`{raw}` 不能用作编号：{why}。编号只能用小写英文字母、数字和 `-`，以字母或数字开头{example}"


def new_id(kind: str) -> Callable[[str, Answers, Registry], str]:
    """A check: a well-formed id no record of `kind` uses yet (nor any file named after it)."""

    def check(raw: str, answers: Answers, reg: Registry) -> str:
        problem = id_problem(raw)
        if problem:
            raise AnswerError(problem)
        existing = reg.ids(kind).get(raw)
        if existing is not None:
            raise AnswerError(
                f"{title_of(kind)}编号 `{raw}` 已经存在（{existing.file}）— 换一个编号，或直接修改那条记录"
            )
        clash = _file_named(reg.root, kind, raw)
        if clash:
            raise AnswerError(f"已经有文件 {clash} — 换一个编号，或先修正那个文件")
        return raw

    return check


def _file_named(root: Path, kind: str, stem: str) -> str | None:
    """A file of a one-record-per-file type (or a story) already named `stem`, if any."""
    record_type = RECORD_TYPES[kind]
    if not record_type.file_is_id and record_type.layout != "markdown":
        return None
    folder, suffix = record_type.location.split("/**/")[0], ".md" if record_type.layout == "markdown" else ".yaml"
    for path in sorted((root / folder).rglob(f"{stem}{suffix}")):
        return path.relative_to(root).as_posix()
    return None


def reference(kind: str) -> Callable[[str, Answers, Registry], str]:
    """A check: the id of an existing record of `kind` (a Chinese name is answered with its id)."""

    def check(raw: str, answers: Answers, reg: Registry) -> str:
        records = reg.ids(kind)
        if raw in records:
            return raw
        raise AnswerError(f"找不到{title_of(kind)} `{raw}` — {_suggestion(raw, reg, kind)}")

    return check


def _suggestion(raw: str, reg: Registry, kind: str) -> str:
    records = reg.ids(kind)
    named = {rid: r.get("name") or r.get("title") or "" for rid, r in records.items()}
    by_name = [rid for rid, name in named.items() if raw and name == raw] or [
        rid for rid, name in named.items() if raw and raw in name
    ]
    if by_name:
        shown = "、".join(f"`{rid}`（{named[rid]}）" for rid in by_name[:3])
        return f"这里要写编号，不是名称：是不是想写 {shown}？"
    if (
        kind == "member"
    ):  # a close id may be another person: suggest by name too (the editor's own terminal: names shown)
        from ..rules.references import member_hint

        return member_hint(reg, raw, names="all")
    close = difflib.get_close_matches(raw, list(records), n=1, cutoff=0.6)
    if close:
        name = records[close[0]].get("name", "")
        return f"是不是想写 `{close[0]}`{f'（{name}）' if name else ''}？"
    if kind == "org":
        return "用组织的编号（registry/orgs/ 下的文件名），不是名称"
    return f"先添加这条{title_of(kind)}，或检查编号"


def choice(*values: str) -> Callable[[str, Answers, Registry], str]:
    """A check: one of `values`."""

    def check(raw: str, answers: Answers, reg: Registry) -> str:
        if raw in values:
            return raw
        close = difflib.get_close_matches(raw, values, n=1, cutoff=0.5)
        hint = f"是不是想写 `{close[0]}`？" if close else "可选：" + "、".join(values)
        raise AnswerError(f"`{raw}` 不是可用的值 — {hint}")

    return check


def _cell(parse: Callable[[str], T], raw: str) -> T:
    """`parse(raw)` with a spreadsheet cell's problem turned into an answer's."""
    try:
        return parse(raw)
    except cells.CellError as err:
        raise AnswerError(f"{err.message} — {err.hint}") from None


def date(raw: str, answers: Answers, reg: Registry) -> datetime.date:
    """A real date (2026-03-01, 2026/3/1, 2026年3月1日 ...)."""
    value, month_only = _cell(cells.date_or_month, raw)
    if month_only:
        raise AnswerError(f"`{raw}` 只写到月 — 写到日，例如 {value.isoformat()}")
    return value


def year(raw: str, answers: Answers, reg: Registry) -> int:
    """A year, 1900..2100."""
    return _cell(cells.year, raw)


def text(raw: str, answers: Answers, reg: Registry) -> str:
    """One line of text: not empty, no national ID or phone numbers."""
    value = raw.strip()
    if not value:
        raise AnswerError("不能是空的")
    if "\n" in value or len(value) > MAX_TEXT:
        raise AnswerError(f"请写成一行、不超过 {MAX_TEXT} 个字；长的内容写好文件后再补充")
    if any(True for _ in find_identifiers(value)):
        raise AnswerError("这里像是身份证号码或手机号码 — 登记簿不能保存它们")
    return value


def person_name(raw: str, answers: Answers, reg: Registry) -> str:
    """A person's name."""
    return _cell(cells.name, text(raw, answers, reg))


def posts(raw: str, answers: Answers, reg: Registry) -> list[str]:
    """Party posts, separated by spaces, commas or 、."""
    found, others = cells.posts(raw)
    if others:
        raise AnswerError(
            f"「{'、'.join(others)}」不是党内职务 — 可写：书记、副书记、组织委员、宣传委员、纪检委员、党小组长、委员"
        )
    return found


def gender(raw: str, answers: Answers, reg: Registry) -> str:
    """男 or 女."""
    return _cell(cells.gender, raw)
