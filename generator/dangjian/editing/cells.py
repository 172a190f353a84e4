"""Spreadsheet cells to registry values: the many ways a roster sheet writes a date, a year or a status.

Each parser takes one cell (text, number, date or datetime, as openpyxl or csv gives it)
and returns the registry value, or raises `CellError` with a Chinese message and hint.
"""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata
from typing import Any

from ..normalise import HAN
from ..recordtypes import GRADES, MEMBER_STATUSES

Cell = Any  # str | int | float | datetime.date | datetime.datetime | None


class CellError(ValueError):
    """A cell whose value cannot be read; `message` says what, `hint` what to write instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


_CONTROLS = ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")  # control, format (zero-width, bidi), private, surrogate, separators
_SPACES = re.compile(r"\s+")
_TIME_SUFFIX = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_FULL_DATE = (
    re.compile(r"^(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\.?$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_ONLY = (
    re.compile(r"^(\d{4})\s*[-./]\s*(\d{1,2})\.?$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)
_YEAR = re.compile(r"^(\d{4})\s*年?$")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 1900-02-29
DATE_HINT = "写成 2026-03-01、2026/3/1、2026.3.1 或 2026年3月1日"


def text(cell: Cell) -> str:
    """The cell as clean text: full-width letters, digits and spaces folded, spaces collapsed, ends trimmed."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "是" if cell else "否"
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, datetime.datetime):
        cell = cell.date()
    value = unicodedata.normalize("NFKC", str(cell))
    value = "".join(c for c in value if c.isspace() or unicodedata.category(c) not in _CONTROLS)
    return _SPACES.sub(" ", value).strip()


def is_blank(cell: Cell) -> bool:
    """True for an empty cell, or one holding only spaces or a dash meaning 'none'."""
    return text(cell) in ("", "-", "—", "/", "无", "－", "——")


def name(cell: Cell) -> str:
    """A person's name: spaces inside a Chinese name (used to align two-character names) removed."""
    value = text(cell)
    if HAN.search(value):
        value = value.replace(" ", "")
    if not value:
        raise CellError("姓名是空的", "填写姓名，或删除这一行")
    if any(c.isdigit() for c in value) or len(value) > 30:
        raise CellError("这一格不像姓名", "姓名列只写姓名")
    return value


def _serial_date(number: float) -> datetime.date:
    if not 1 <= number < 2958466:
        raise CellError("不是有效的日期", DATE_HINT)
    return _EXCEL_EPOCH + datetime.timedelta(days=int(number))


def _ymd(year: str, month: str, day: str) -> datetime.date:
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise CellError(f"{year}年{int(month)}月{int(day)}日不是真实存在的日期", "检查月份和日子") from None


def date_or_month(cell: Cell) -> tuple[datetime.date, bool]:
    """A date, and whether the cell gave only a year and month (the day is then taken as the 1st)."""
    if isinstance(cell, datetime.datetime):
        return cell.date(), False
    if isinstance(cell, datetime.date):
        return cell, False
    if isinstance(cell, float) and not cell.is_integer():
        return _serial_date(cell), False  # an Excel date-time serial number
    value = _TIME_SUFFIX.sub("", text(cell))
    for pattern in _FULL_DATE:
        match = pattern.match(value)
        if match:
            return _ymd(*match.groups()), False
    for pattern in _MONTH_ONLY:
        match = pattern.match(value)
        if match:
            year, month = match.groups()
            return _ymd(year, month, "1"), True
    if _SERIAL.match(value):
        return _serial_date(float(value)), False
    if _YEAR.match(value):
        raise CellError(f"`{value}` 只有年份，不是日期", "至少写到月，例如 2026-03 或 2026-03-01")
    raise CellError(f"`{value}` 不是日期", DATE_HINT)


def year(cell: Cell) -> int:
    """A year of birth: from a year (1990, １９９０, 1990年) or any date."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and 1900 <= cell <= 2100:
        return int(cell)
    match = _YEAR.match(text(cell))
    if match:
        value = int(match.group(1))
    else:
        try:
            value = date_or_month(cell)[0].year
        except CellError:
            raise CellError(f"`{text(cell)}` 不是年份", "写成 1990、1990年 或 1990-07") from None
    if not 1900 <= value <= 2100:
        raise CellError(f"`{value}` 不在 1900..2100 之间", "检查出生年份")
    return value


_GENDERS = {"男": "男", "男性": "男", "m": "男", "male": "男", "女": "女", "女性": "女", "f": "女", "female": "女"}


def gender(cell: Cell) -> str:
    """男 or 女."""
    value = _GENDERS.get(text(cell).lower())
    if value is None:
        raise CellError(f"`{text(cell)}` 不是性别", "写 男 或 女")
    return value


_STATUSES = {
    **{s: s for s in MEMBER_STATUSES},
    "中共党员": "正式党员",
    "党员": "正式党员",
    "正式": "正式党员",
    "共产党员": "正式党员",
    "中国共产党党员": "正式党员",
    "中共正式党员": "正式党员",
    "中共预备党员": "预备党员",
    "预备": "预备党员",
    "积极分子": "入党积极分子",
    "申请人": "入党申请人",
    "申请入党": "入党申请人",
    "已递交入党申请书": "入党申请人",
}
_NOT_MEMBERS = ("群众", "共青团员", "团员", "民主党派")


def status(cell: Cell) -> str:
    """One of the registry's member statuses, from the usual wordings (中共党员 → 正式党员)."""
    value = text(cell).replace(" ", "")
    if value in _STATUSES:
        return _STATUSES[value]
    if value in _NOT_MEMBERS:
        raise CellError(
            f"`{value}` 不是党员或入党培养对象",
            f"党员名册只收{'、'.join(MEMBER_STATUSES[:-1])}和{MEMBER_STATUSES[-1]}：删除这一行",
        )
    close = difflib.get_close_matches(value, list(_STATUSES), n=1, cutoff=0.5)
    hint = f"是不是想写 `{_STATUSES[close[0]]}`？" if close else "可写：" + "、".join(MEMBER_STATUSES)
    raise CellError(f"`{value}` 不是党员状态", hint)


_POST_SPLIT = re.compile(r"[、,，;；/／\s]+|兼|和")
_COMMITTEE = {
    "委员",
    "支委",
    "支委委员",
    "支部委员",
    "支委会委员",
    "党委委员",
    "总支委员",
    "党总支委员",
    "支部委员会委员",
}
_GROUP_LEADER = {"党小组长", "党小组组长"}


def post(word: str) -> str | None:
    """The party post a word names (村党支部书记 → 书记), or None when it is not a party post."""
    word = word.replace(" ", "")
    if word.endswith("副书记"):
        return "副书记"
    if word.endswith("书记") and "委会书记" not in word:
        return "书记"
    for known in ("组织委员", "宣传委员", "纪检委员"):
        if word.endswith(known):
            return known
    if word.endswith("纪律检查委员"):
        return "纪检委员"
    if word in _GROUP_LEADER:
        return "党小组长"
    return "委员" if word in _COMMITTEE else None


def posts(cell: Cell) -> tuple[list[str], list[str]]:
    """The party posts in a cell, in the cell's order, and the words that are not party posts (not imported)."""
    found, others = [], []
    for word in filter(None, _POST_SPLIT.split(text(cell))):
        known = post(word)
        if known is None:
            others.append(word)
        elif known not in found:
            found.append(known)
    return found, others


_OUT = {"流出", "外出", "流出党员", "外出党员", "外出务工", "外出经商", "外出流动", "是", "out"}
_IN = {"流入", "流入党员", "外来", "in"}
_NONE = {"否", "无", "不是", "非流动党员", "正常", "在家", "本地", "no"}


def flow_direction(cell: Cell) -> str | None:
    """`out`, `in`, or None (not a 流动党员)."""
    value = text(cell).replace(" ", "").lower()
    if not value or value in _NONE or is_blank(cell):
        return None
    if value in _OUT:
        return "out"
    if value in _IN:
        return "in"
    raise CellError(f"`{text(cell)}` 不是流动情况", "写 流出 或 流入；不是流动党员就留空或写 否")


_YES = {"是", "公开", "y", "yes", "true", "√", "✓", "1"}
_NO = {"否", "不公开", "n", "no", "false", "×", "✗", "0"}


def yes_no(cell: Cell) -> bool:
    """是 / 否."""
    value = text(cell).lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise CellError(f"`{text(cell)}` 不是 是 或 否", "写 是 或 否；不确定就留空（书记、副书记默认公开，其他人不公开）")


def grade(cell: Cell) -> str:
    """A secretary's grade, 1A..5A."""
    value = text(cell).upper().replace(" ", "")
    if value in GRADES:
        return value
    raise CellError(f"`{text(cell)}` 不是书记星级", "可写：" + "、".join(GRADES))


def as_text(cell: Cell) -> str:
    """A free-text value (a place name)."""
    value = text(cell)
    if not value:
        raise CellError("这一格是空的", "填写内容")
    return value
