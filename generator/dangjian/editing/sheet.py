"""Read a roster spreadsheet (.xlsx or .csv) into a plain grid of cell values.

Merged cells are filled with their top-left value, so a header spanning two rows or a
title spanning the whole width reads like any other row. CSV files may be UTF-8 (with
or without a BOM), UTF-16 (Excel's "Unicode text") or GBK, Excel's default for CSV on
Chinese Windows: GBK is read as GB18030, its superset, and the command says so.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .cells import Cell

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

MAX_COLUMNS = 200
# A workbook is a zip archive: its parts are refused before parsing when they would expand past these.
# Python's zipfile never inflates a part past the size its directory declares, so the declared sizes bind.
MAX_UNPACKED = 100 * 1024 * 1024  # bytes, all parts together (a 10,000-member roster is a few MB)
MAX_RATIO = 200  # expanded / compressed, for parts over RATIO_FROM (real sheets: about 5–30)
RATIO_FROM = 1024 * 1024
MAX_PARTS = 10_000
MAX_BLANK_ROWS = 200  # stop reading after this many empty rows (formatting often runs to row 1048576)
SPREADSHEETS = (".xlsx", ".xlsm")
TEXT_TABLES = (".csv", ".tsv", ".txt")


class SheetError(Exception):
    """The file cannot be read as a roster table; the message says why and what to do."""


@dataclass
class Grid:
    """A sheet's cells by row (0-based lists; spreadsheet row n is `rows[n - 1]`)."""

    rows: list[list[Cell]]
    merged: dict[tuple[int, int], tuple[int, int]] = field(
        default_factory=dict
    )  # cell of a merged range -> its first cell
    notices: list[str] = field(default_factory=list)
    sheet: str = ""

    def cell(self, row: int, column: int) -> Cell:
        """The value at 0-based (row, column), None outside the grid."""
        cells = self.rows[row] if 0 <= row < len(self.rows) else []
        return cells[column] if 0 <= column < len(cells) else None

    @functools.cached_property
    def width(self) -> int:
        """The number of columns (of the longest row); read once the grid is complete."""
        return max((len(r) for r in self.rows), default=0)


def read_grid(path: Path, sheet: str | None, is_roster: Callable[[Grid], bool]) -> Grid:
    """The table in `path`: the named sheet, else the active sheet or the first that `is_roster`."""
    suffix = path.suffix.lower()
    if suffix in SPREADSHEETS:
        return _read_workbook(path, sheet, is_roster)
    if suffix in TEXT_TABLES:
        return _read_text_table(path)
    if suffix in (".xls", ".et", ".wps", ".ods", ".numbers"):
        raise SheetError(
            f"不能直接读取 {suffix} 文件 — 请在 Excel 或 WPS 里“另存为” .xlsx（Excel 工作簿）或 .csv（UTF-8）"
        )
    raise SheetError(f"不认识的文件类型 `{suffix or path.name}` — 请提供 .xlsx 或 .csv 文件")


def check_archive(path: Path) -> None:
    """Refuse a workbook whose parts would expand past MAX_UNPACKED or MAX_RATIO, reading only the zip directory."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise SheetError(
            "无法读取 Excel 文件（不是有效的 .xlsx 压缩包）— "
            "文件可能已损坏：请在 Excel 或 WPS 里打开后“另存为” .xlsx 再试"
        ) from None
    total = sum(part.file_size for part in parts)
    if len(parts) > MAX_PARTS or total > MAX_UNPACKED:
        raise SheetError(
            f"Excel 文件解压后有 {_megabytes(total)} MB，超过 {_megabytes(MAX_UNPACKED)} MB 的上限，没有读取 — "
            "名册不需要这么大：把名册复制到一个新的工作簿（只含名册这一张表）后另存为 .xlsx，或另存为 CSV UTF-8"
        )
    for part in parts:
        if part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise SheetError(
                f"Excel 文件的「{part.filename}」压缩比超过 {MAX_RATIO} 倍（{_megabytes(part.compress_size)} MB "
                f"解压后 {_megabytes(part.file_size)} MB），不像正常的表格，没有读取 — "
                "把名册复制到一个新的工作簿后另存为 .xlsx，或另存为 CSV UTF-8"
            )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def _read_workbook(path: Path, wanted: str | None, is_roster: Callable[[Grid], bool]) -> Grid:
    import openpyxl

    check_archive(path)
    try:
        # read_only: rows are streamed, never the whole sheet as objects; data_only=False: a formula is
        # read as its text ("=…"), which the import refuses, never as a value the sheet once computed.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except OSError:
        raise  # unreadable, not damaged: the command says why
    except Exception as err:  # noqa: BLE001 - any damaged or foreign file must become a message, not a traceback
        raise _damaged(err) from None
    try:
        return _pick_sheet(book, wanted, is_roster)
    except (OSError, SheetError):
        raise
    except Exception as err:  # noqa: BLE001 - read-only sheets are parsed as they are read
        raise _damaged(err) from None
    finally:
        book.close()


def _damaged(err: Exception) -> SheetError:
    return SheetError(
        f"无法读取 Excel 文件（{type(err).__name__}）— 文件可能已损坏，或不是 .xlsx 格式："
        "请在 Excel 或 WPS 里打开后“另存为” .xlsx 再试"
    )


def _pick_sheet(book: Workbook, wanted: str | None, is_roster: Callable[[Grid], bool]) -> Grid:
    """The sheet named `wanted`, else the active sheet or the first that `is_roster`, read one at a time."""
    if wanted is not None:
        if wanted not in book.sheetnames:
            raise SheetError(f"没有名为「{wanted}」的工作表；现有：{'、'.join(book.sheetnames)}")
        return _grid_of(book[wanted])
    ordered = [book.active] + [ws for ws in book.worksheets if ws is not book.active]
    first = None
    for ws in ordered:
        if ws is None or not hasattr(ws, "iter_rows"):  # a chart sheet
            continue
        grid = _grid_of(ws)
        if is_roster(grid):
            return grid
        first = first or grid
    return first or Grid([])


def _grid_of(ws: Worksheet) -> Grid:
    """A worksheet's values, merged ranges filled with their top-left value."""
    rows: list[list[Cell]] = []
    blank_run = 0
    ws.reset_dimensions()  # the declared size may be wrong or huge: read the rows that are there
    for values in ws.iter_rows(max_col=MAX_COLUMNS, values_only=True):
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
        blank_run = blank_run + 1 if all(v is None or str(v).strip() == "" for v in values) else 0
        if blank_run >= MAX_BLANK_ROWS:
            break
    grid = Grid(rows, sheet=ws.title)
    for min_row, min_col, max_row, max_col in _merged_ranges(ws):
        _fill(grid, min_row - 1, min_col - 1, max_row - 1, max_col - 1)
    return grid


def _merged_ranges(ws: Worksheet) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of each merged range: read-only sheets do not keep them, so the
    sheet's XML (already bounded by `check_archive`) is streamed once more for its <mergeCell> elements."""
    from defusedxml.ElementTree import iterparse
    from openpyxl.utils.cell import range_boundaries

    path = getattr(ws, "_worksheet_path", None)
    if path is None:
        return []
    found = []
    with ws.parent._archive.open(path) as source:
        for _, element in iterparse(source):
            if element.tag.endswith("}mergeCell") and element.get("ref"):
                try:
                    min_col, min_row, max_col, max_row = range_boundaries(element.get("ref"))
                except (ValueError, TypeError):
                    continue
                found.append((min_row, min_col, max_row, max_col))
            element.clear()
    return found


def _fill(grid: Grid, top: int, left: int, bottom: int, right: int) -> None:
    if top >= len(grid.rows) or left >= MAX_COLUMNS:
        return
    value = grid.cell(top, left)
    for row in range(top, min(bottom, len(grid.rows) - 1) + 1):
        cells = grid.rows[row]
        for column in range(left, min(right, MAX_COLUMNS - 1) + 1):
            cells.extend([None] * (column + 1 - len(cells)))
            cells[column] = value
            grid.merged[(row, column)] = (top, left)


def decode_table(data: bytes) -> tuple[str, str | None]:
    """The text of a CSV file, and a notice when it was not UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict"), None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "文件是 UTF-16 编码（Excel 的“Unicode 文本”），已按 UTF-16 读取"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(
            "gb18030"
        ), "文件不是 UTF-8 编码，已按 GBK（GB18030）读取；请核对导入结果中的姓名，以后最好另存为“CSV UTF-8”"
    except UnicodeDecodeError:
        raise SheetError(
            "无法识别文件的编码（既不是 UTF-8 也不是 GBK）— 请在 Excel 里“另存为” CSV UTF-8（逗号分隔）"
        ) from None


def _read_text_table(path: Path) -> Grid:
    size = path.stat().st_size
    if size > MAX_UNPACKED:
        raise SheetError(
            f"CSV 文件有 {_megabytes(size)} MB，超过 {_megabytes(MAX_UNPACKED)} MB 的上限，没有读取 — "
            "名册不需要这么大：检查是否选错了文件，或只保留名册所在的几列"
        )
    try:
        text, notice = decode_table(path.read_bytes())
    except UnicodeDecodeError:
        raise SheetError("文件不是有效的 UTF-8 文本 — 请在 Excel 里“另存为” CSV UTF-8（逗号分隔）") from None
    if "\x00" in text:
        raise SheetError("这不是文本格式的 CSV 文件 — 如果是 Excel 工作簿，请把扩展名改回 .xlsx")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [
            [cell if cell.strip() else None for cell in row[:MAX_COLUMNS]]
            for row in csv.reader(io.StringIO(text), dialect)
        ]
    except csv.Error as err:
        raise SheetError(f"CSV 格式错误：{err} — 检查引号是否成对") from None
    return Grid(rows, notices=[notice] if notice else [])
