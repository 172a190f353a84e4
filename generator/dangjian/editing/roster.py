"""A roster sheet read as members: find the header, map Chinese column names to member fields, parse each row.

Columns that name or hold national ID or phone numbers are refused outright: the
registry must never hold them, so the whole import stops and the sheet must be fixed.
Every problem names its spreadsheet row; none ever quotes a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..personal import NUMBER_NAMES, find_identifiers
from ..schema import ID_PATTERN
from ..spreadsheet import is_formula_like
from . import cells
from .cells import Cell, CellError
from .sheet import Grid

HEADER_SEARCH_ROWS = 20

# Registry field of each column, by the names roster sheets use for it.
LABELS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "党员编号", "登记簿编号", "id"),
    "name": ("姓名", "党员姓名", "名字"),
    "gender": ("性别",),
    "born": ("出生年份", "出生年月", "出生日期", "出生时间", "出生年", "出生年月日", "生年"),
    "status": ("党员状态", "政治面貌", "党员类别", "人员类别", "党籍状态", "发展阶段", "党员类型", "类别", "身份类别"),
    "joined": ("入党时间", "入党日期", "入党年月", "加入党组织日期", "入党时间预备", "入党年月日"),
    "posts": ("职务", "党内职务", "支部职务", "党内职务名称", "党内任职"),
    "grade": ("书记星级", "书记等级"),
    "flow_direction": ("流动情况", "流动党员", "是否流动党员", "流动类型", "流动方向", "流动状态", "流动党员情况"),
    "flow_place": (
        "流动地点",
        "外出地点",
        "流出地点",
        "流出地",
        "外出流向",
        "流向",
        "流动去向",
        "外出务工地点",
        "流入地点",
        "流入地",
        "来源地",
        "流入来源地",
    ),
    "flow_since": ("流动时间", "外出时间", "流出时间", "流入时间", "流动开始时间", "流动日期", "外出日期"),
    "public": ("是否公开", "公开", "网站公开", "是否在网站公开"),
}
FIELD_OF = {label.lower(): name for name, labels in LABELS.items() for label in labels}
INBOUND_PLACES = {"流入地点", "流入地", "来源地", "流入来源地"}
OUTBOUND_PLACES = {"外出地点", "流出地点", "流出地", "外出流向", "流向", "流动去向", "外出务工地点"}
# Sub-headers under a 流动情况 group header.
FLOW_PARTS = {
    "地点": "flow_place",
    "去向": "flow_place",
    "流向": "flow_place",
    "时间": "flow_since",
    "日期": "flow_since",
    "开始时间": "flow_since",
    "类型": "flow_direction",
    "方向": "flow_direction",
    "流出流入": "flow_direction",
    "情况": "flow_direction",
}
# Column names that announce personal identifiers.
FORBIDDEN = ("身份证", "身份号码", "证件号", "手机", "电话", "联系方式", "联系号码")

PARSERS: dict[str, Callable[[Cell], Any]] = {
    "id": cells.text,
    "name": cells.name,
    "gender": cells.gender,
    "born": cells.year,
    "status": cells.status,
    "joined": cells.date_or_month,
    "posts": cells.posts,
    "grade": cells.grade,
    "flow_direction": cells.flow_direction,
    "flow_place": cells.as_text,
    "flow_since": cells.date_or_month,
    "public": cells.yes_no,
}
TITLES = {
    "id": "编号",
    "name": "姓名",
    "gender": "性别",
    "born": "出生年份",
    "status": "党员状态",
    "joined": "入党时间",
    "posts": "职务",
    "grade": "书记星级",
    "flow_direction": "流动情况",
    "flow_place": "流动地点",
    "flow_since": "流动时间",
    "public": "是否公开",
}
_ID = re.compile(ID_PATTERN)
_PARENTHESES = re.compile(r"[（(][^）)]*[）)]")


@dataclass(frozen=True)
class SheetProblem:
    """Something wrong (or worth saying) about one row of the sheet; `row` is as the spreadsheet numbers it."""

    row: int
    message: str
    hint: str = ""


@dataclass(frozen=True)
class Column:
    """One column of the sheet and the member field it fills (None: not imported)."""

    index: int
    label: str
    field: str | None
    direction: str | None = None  # a place column whose name says out or in

    @property
    def letter(self) -> str:
        """The column's letter, as Excel shows it (A, B, ... AA)."""
        from openpyxl.utils import get_column_letter

        return get_column_letter(self.index + 1)

    @property
    def name(self) -> str:
        return f"第 {self.letter} 列「{self.label}」" if self.label else f"第 {self.letter} 列"


@dataclass
class Header:
    """Where the header is (0-based rows `first..last`) and what each column holds."""

    first: int
    last: int
    columns: list[Column]

    def field_columns(self) -> dict[str, Column]:
        """The imported columns by member field."""
        return {c.field: c for c in self.columns if c.field}


@dataclass
class SheetRow:
    """One member row: parsed values by field (None: the cell is blank), plus notes."""

    number: int
    values: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # fields whose cell could not be read (reported already)


@dataclass
class RosterSheet:
    """What a roster sheet says: its columns, its member rows, and every problem found."""

    header: Header
    rows: list[SheetRow]
    problems: list[SheetProblem]
    notes: list[SheetProblem]


def label_key(cell: Cell) -> str:
    """A header cell reduced to compare with known names: no spaces, marks or parenthesised notes."""
    text = _PARENTHESES.sub("", cells.text(cell))
    return re.sub(r"[\s*＊:：]", "", text).lower()


def find_header(grid: Grid) -> Header | None:
    """The header: the first row with a 姓名 column, plus the row below when it holds sub-headers."""
    for first in range(min(len(grid.rows), HEADER_SEARCH_ROWS)):
        top = [label_key(grid.cell(first, c)) for c in range(grid.width)]
        name_columns = [c for c, key in enumerate(top) if FIELD_OF.get(key) == "name"]
        if name_columns:
            sub = [label_key(grid.cell(first + 1, c)) for c in range(grid.width)]
            two_rows = _is_sub_header(sub, name_columns[0])
            columns = [_column(c, top[c], sub[c] if two_rows else "", grid, first) for c in range(grid.width)]
            return Header(first, first + 1 if two_rows else first, columns)
    return None


def _is_sub_header(sub: list[str], name_column: int) -> bool:
    """A row under the header is a second header row when its 姓名 cell is merged or blank and it names columns."""
    if sub[name_column] and FIELD_OF.get(sub[name_column]) != "name":
        return False
    return any(key in FIELD_OF or key in FLOW_PARTS or _forbidden(key) for key in sub if key)


def _column(index: int, top: str, sub: str, grid: Grid, first: int) -> Column:
    shown = [cells.text(grid.cell(first, index))]
    if sub and sub != top:
        shown.append(cells.text(grid.cell(first + 1, index)))
    label = "/".join(s for s in shown if s)
    for key in ([sub] if sub and sub != top else []) + [top]:
        if _forbidden(key):
            return Column(index, label, None)
    if sub and sub != top:
        if sub in FIELD_OF:
            return Column(index, label, FIELD_OF[sub], _direction_of(sub))
        if FIELD_OF.get(top) == "flow_direction" and sub in FLOW_PARTS:
            return Column(index, label, FLOW_PARTS[sub])
        if top not in FIELD_OF:
            return Column(index, label, None)
    return Column(index, label, FIELD_OF.get(top), _direction_of(top))


def _direction_of(key: str) -> str | None:
    if key in INBOUND_PLACES:
        return "in"
    return "out" if key in OUTBOUND_PLACES else None


def _forbidden(key: str) -> bool:
    return any(word in key for word in FORBIDDEN)


def read_roster(grid: Grid) -> RosterSheet | None:
    """The sheet's member rows and problems; None when no row looks like a header (no 姓名 column)."""
    header = find_header(grid)
    if header is None:
        return None
    problems = personal_columns(grid, header) + _duplicate_columns(header)
    notes = _ignored_columns(header)
    rows = []
    for index in range(header.last + 1, len(grid.rows)):
        if _skipped(grid, header, index):
            continue
        row, row_problems = _parse_row(grid, header, index)
        problems += row_problems
        if row is not None:
            rows.append(row)
    return RosterSheet(header, rows, problems, notes)


def personal_columns(grid: Grid, header: Header) -> list[SheetProblem]:
    """Columns named for, or holding, national ID or phone numbers: each refused once, numbers never shown."""
    problems = []
    for column in header.columns:
        key = label_key(column.label)
        if _forbidden(key):
            problems.append(
                SheetProblem(
                    header.first + 1,
                    f"{column.name}是身份证号码或电话号码一类的个人信息，不能导入",
                    "登记簿不保存身份证号码和电话号码：从表格中删除这一列后再导入",
                )
            )
            continue
        hits = _identifier_rows(grid, column.index)
        if hits:
            kinds = "、".join(sorted({kind for _, kind in hits}))
            rows = "、".join(str(r) for r, _ in hits[:5]) + ("……" if len(hits) > 5 else "")
            problems.append(
                SheetProblem(
                    hits[0][0],
                    f"{column.name}有 {len(hits)} 格像是{kinds}（第 {rows} 行）",
                    "登记簿不保存身份证号码和手机号码：删除这些号码（或整列）后再导入",
                )
            )
    return problems


def _identifier_rows(grid: Grid, column: int) -> list[tuple[int, str]]:
    """(row number, what) for every cell of a column that holds a national ID or mobile number."""
    hits = []
    for index in range(len(grid.rows)):
        cell = grid.cell(index, column)
        if cell is None or grid.merged.get((index, column), (index, column)) != (index, column):
            continue  # empty, or a copy of a merged range's first cell (checked there)
        kind = _identifier_kind(cell)
        if kind:
            hits.append((index + 1, kind))
    return hits


def _identifier_kind(cell: Cell) -> str | None:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and abs(cell) >= 1e14:
        return NUMBER_NAMES["id"]  # an ID number Excel stored as a number (its last digits already lost)
    kinds = {kind for _, kind in find_identifiers(cells.text(cell) if not isinstance(cell, str) else cell)}
    return next((NUMBER_NAMES[kind] for kind in ("id", "mobile") if kind in kinds), None)


def _duplicate_columns(header: Header) -> list[SheetProblem]:
    seen: dict[str, Column] = {}
    problems = []
    for column in header.columns:
        if column.field in seen:
            first = seen[column.field]
            problems.append(
                SheetProblem(
                    header.first + 1,
                    f"{first.name}和{column.name}都是{TITLES[column.field]}",
                    "只保留一列，删除或改名另一列",
                )
            )
        elif column.field:
            seen[column.field] = column
    return problems


def _ignored_columns(header: Header) -> list[SheetProblem]:
    ignored = [c.name for c in header.columns if c.field is None and c.label and not _forbidden(label_key(c.label))]
    if not ignored:
        return []
    return [SheetProblem(header.first + 1, f"这些列登记簿没有对应字段，没有导入：{'、'.join(ignored)}")]


def _skipped(grid: Grid, header: Header, index: int) -> bool:
    """Blank rows, note rows (a 填表人 line: one merged cell across the table) and rows with only a 序号."""
    filled = [c for c in range(grid.width) if not cells.is_blank(grid.cell(index, c))]
    name = header.field_columns()["name"].index
    if len(filled) <= 1 and name not in filled:
        return True
    origins = {grid.merged.get((index, c)) for c in filled}
    return len(filled) > 1 and len(origins) == 1 and None not in origins


def _parse_row(grid: Grid, header: Header, index: int) -> tuple[SheetRow | None, list[SheetProblem]]:
    number = index + 1
    columns = header.field_columns()
    if "name" in columns and cells.is_blank(grid.cell(index, columns["name"].index)):
        return None, [SheetProblem(number, "这一行没有姓名", "填写姓名；如果这一行不是党员，删除它")]
    row = SheetRow(number, {})
    problems = []
    for name, column in columns.items():
        cell = grid.cell(index, column.index)
        if cells.is_blank(cell) and name != "name":
            row.values[name] = None
            continue
        formula = formula_problem(grid, column, cell, number)
        if formula is not None:
            problems.append(formula)
            row.failed.add(name)
            continue
        try:
            row.values[name] = _parse(name, cell, row)
        except CellError as err:
            problems.append(SheetProblem(number, f"{column.name}：{err.message}", err.hint))
            row.failed.add(name)
    return (None if "name" in row.failed else row), problems


_STARTS = {"\t": "制表符", "\r": "回车符"}


def formula_problem(grid: Grid, column: Column, cell: Cell, number: int) -> SheetProblem | None:
    """A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or CR first): refused, never imported."""
    raw = cell if isinstance(cell, str) else None
    if raw is None or not (is_formula_like(raw) or is_formula_like(cells.text(raw))):
        return None
    first = raw[0] if raw[0] in _STARTS else cells.text(raw)[0]
    where = f"工作表「{grid.sheet}」" if grid.sheet else ""
    return SheetProblem(
        number,
        f"{where}{column.name}：这一格以「{_STARTS.get(first, first)}」开头，是公式或会被表格软件当作公式，不能导入",
        "这一列只写文字、日期或数字：删掉开头的符号；如果是公式，先复制这一列，再“选择性粘贴”为“数值”",
    )


def _parse(name: str, cell: Cell, row: SheetRow) -> Any:
    """One cell's value for field `name`; notes what was assumed or left out."""
    value = PARSERS[name](cell)
    if name in ("joined", "flow_since"):
        value, month_only = value
        if month_only:
            row.notes.append(f"{TITLES[name]}只写到月，按当月 1 日记录（{value.isoformat()}）")
    elif name == "posts":
        value, others = value
        if others:
            row.notes.append(f"「{'、'.join(others)}」不是党内职务，没有导入")
        value = value or None
    elif name == "id" and not _ID.match(value):
        raise CellError(
            f"编号 `{value}` 不符合格式",
            "编号只能用小写英文字母、数字和 `-`，例如 m-wang-xiaoming；也可以留空，由 dangjian 生成",
        )
    return value
