"""Write an org's roster as an .xlsx sheet that `import roster` reads back to the same roster."""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..recordtypes import GRADES, MEMBER_STATUSES
from ..spreadsheet import is_formula_like
from .pending import file_mode

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.workbook.workbook import Workbook

# (header, field) in sheet order; every header is one `roster.LABELS` knows.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("编号", "id"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("出生年份", "born"),
    ("党员状态", "status"),
    ("入党日期", "joined"),
    ("职务", "posts"),
    ("书记星级", "grade"),
    ("流动情况", "flow_direction"),
    ("流动地点", "flow_place"),
    ("流动时间", "flow_since"),
    ("是否公开", "public"),
)
ALWAYS = {"id", "name", "status"}
CHOICES = {
    "gender": ("男", "女"),
    "status": MEMBER_STATUSES,
    "grade": GRADES,
    "flow_direction": ("流出", "流入"),
    "public": ("是", "否"),
}
WIDTHS = {"id": 28, "name": 10, "status": 12, "joined": 12, "posts": 16, "flow_place": 16, "flow_since": 12}
DATE_FORMAT = "yyyy-mm-dd"
VALIDATED_ROWS = 2000
_DIRECTIONS: dict[object, str] = {"out": "流出", "in": "流入"}  # flow.direction as the sheet writes it
_YES_NO: dict[object, str] = {True: "是", False: "否"}
# A custom document property every exported workbook carries (Excel and WPS keep it when the sheet is
# edited and saved): `--out` may overwrite a workbook with it, never one dangjian did not make.
MARK_NAME, MARK_VALUE = "dangjian", "roster"
MARK_PART = "docProps/custom.xml"
MARK_PART_LIMIT = 1 << 20  # a real custom.xml is a few hundred bytes; a bigger one is not read


def sheet_values(member: dict[str, Any]) -> dict[str, Any]:
    """A member's cells by field, as the sheet shows them (职务 joined by 、, 是/否, 流出/流入)."""
    flow = member.get("flow") or {}
    values = {
        "id": member.get("id"),
        "name": member.get("name"),
        "gender": member.get("gender"),
        "born": member.get("born"),
        "status": member.get("status"),
        "joined": member.get("joined"),
        "posts": "、".join(member.get("posts", [])) or None,
        "grade": member.get("grade"),
        "flow_direction": _DIRECTIONS.get(flow.get("direction")),
        "flow_place": flow.get("place"),
        "flow_since": flow.get("since"),
        "public": _YES_NO.get(member.get("public")),
    }
    return values


def columns_for(members: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The columns worth a place: those some member has a value for (all of them for an empty roster)."""
    if not members:
        return list(COLUMNS)
    rows = [sheet_values(m) for m in members]
    return [(title, name) for title, name in COLUMNS if name in ALWAYS or any(r[name] is not None for r in rows)]


def write_roster(members: list[dict[str, Any]], out: Path) -> None:
    """Write the members to `out` (.xlsx) atomically: a header row in Chinese, one member a row.

    Raises click.BadParameter (exit 2) when `out` is a link or a file dangjian did not export."""
    import openpyxl
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    refuse_out(out)
    book = openpyxl.Workbook()
    book.properties.creator = "dangjian"
    book.custom_doc_props.append(StringProperty(name=MARK_NAME, value=MARK_VALUE))
    sheet = book.active
    sheet.title = "党员名册"
    columns = columns_for(members)
    sheet.append([title for title, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for member in members:
        values = sheet_values(member)
        sheet.append([values[name] for _, name in columns])
        for cell in sheet[sheet.max_row]:
            if is_formula_like(cell.value):
                _as_text(cell)
    for index, (_, name) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = WIDTHS.get(name, 10)
        if name in ("joined", "flow_since"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = DATE_FORMAT
        if name in CHOICES:
            rule = DataValidation(type="list", formula1='"' + ",".join(CHOICES[name]) + '"', allow_blank=True)
            rule.add(f"{letter}2:{letter}{VALIDATED_ROWS}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "C2"
    _save(book, out)


def refuse_out(out: Path) -> None:
    """Refuse an `--out` that is a link, not a plain file, or a workbook dangjian did not export:
    `export roster --out 预算.xlsx` would have replaced someone's own workbook without a word."""
    if os.path.islink(out):
        raise click.BadParameter(f"{out} 是符号链接：为免写到别处，请给出一个普通文件", param_hint="--out")
    if not os.path.lexists(out):
        return
    if not stat.S_ISREG(os.lstat(out).st_mode) or not exported_by_dangjian(out):
        raise click.BadParameter(
            f"{out} 已经存在，而且不是 dangjian 导出的名册：为免覆盖别的文件，请换一个文件名，或先把它移走",
            param_hint="--out",
        )


def exported_by_dangjian(path: Path) -> bool:
    """Whether the workbook at `path` carries the mark `write_roster` puts in every export."""
    from defusedxml import ElementTree

    try:
        with zipfile.ZipFile(path) as archive:
            if archive.getinfo(MARK_PART).file_size > MARK_PART_LIMIT:
                return False
            tree = ElementTree.fromstring(archive.read(MARK_PART))
    except Exception:  # noqa: BLE001 - not a zip, no such part, bad XML, entities: whatever cannot be read is not ours
        return False
    for prop in tree:
        if prop.get("name") == MARK_NAME and any((value.text or "").strip() == MARK_VALUE for value in prop):
            return True
    return False


def _as_text(cell: Cell) -> None:
    """Keep text that looks like a formula a string: openpyxl stores `=…` as a live formula, and Excel
    would start one when the cell is edited unless the cell is marked quote-prefixed (shown as text)."""
    cell.data_type = "s"
    cell.quotePrefix = True


def _save(book: Workbook, out: Path) -> None:
    """Save through a temporary file, so a failed export never leaves half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(handle)
    try:
        book.save(temp)
        os.chmod(temp, file_mode(out))
        os.replace(temp, out)
    finally:
        Path(temp).unlink(missing_ok=True)
