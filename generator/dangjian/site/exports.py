"""Open data under /api/: JSON and CSV of what the pages show, nothing more.

Each site kind says what it exports (`SiteKind.export`, in `site/kinds/`); this module gives them the
rows and writes the files. A record table's columns are its kind's fields declared `export=` in
`recordtypes.py`, in declaration order, each value following from the field's type (`cell`), then the
columns the kind computes (a project's `progress`).

No file is larger than `PART_BYTES`: a table whose JSON or CSV would be is published in numbered parts
(`api/projects-part1.json`, `…-part2.json`, with the CSV split at the same rows), each a whole JSON array or a
CSV file with its own header, in the table's row order; a table that fits keeps its one address. The Data
Package lists a split table's parts as its resource's `path` (datapackage.py).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..load import Record
from ..rankings import MEMBERS, Ranking
from ..recordtypes import RECORD_TYPES
from ..schema import Bool, Date, FieldType, List, Number, Object, Ref, Text
from ..figures import number as _number
from ..spreadsheet import csv_cell
from .withheld import hidden

if TYPE_CHECKING:  # data.py imports the kinds, which import this module
    from .data import SiteData

Rows = list[dict[str, Any]]


def number(value: Fraction | int) -> int | float | None:
    """A JSON number, or null for a figure the site may not publish (never its stand-in 0)."""
    return None if hidden(value) else _number(value)


# --- record tables: columns from the field declarations (recordtypes.py, `export=`) -------------------------


def exportable(kind: FieldType) -> bool:
    """Whether `cell` has a value for a field of this type (a new type must choose one there)."""
    if isinstance(kind, List):
        item = kind.item
        return isinstance(item, (Text, Number, Date)) or (isinstance(item, Object) and "name" in item.by_name)
    return isinstance(kind, (Text, Number, Date, Bool))


def cell(data: SiteData, kind: FieldType, value: Any) -> Any:
    """A field's exported value, from its type: a member as their public name (a private member is
    left out: None, or absent from a list), dates ISO, a list of named items as their names, a
    missing list empty and a missing yes/no false."""
    if isinstance(kind, Ref) and kind.kind == "member":
        person = data.person(value)
        return person.name if person else None
    if isinstance(kind, List):
        item = kind.item
        if isinstance(item, Ref) and item.kind == "member":
            return [p.name for p in data.people(value or [])]
        if isinstance(item, Object):
            return [entry["name"] for entry in value or []]
        return [cell(data, item, entry) for entry in value or []]
    if isinstance(kind, Bool):
        return bool(value)
    if value is None:
        return None
    if isinstance(kind, Date):
        return value.isoformat()
    if isinstance(kind, Number) and not kind.integer:
        return _number(value)
    if isinstance(kind, (Text, Number)):
        return value
    raise TypeError(f"no export value for {type(kind).__name__}")


Derived = Mapping[str, Callable[[Record], Any]]  # column → its value for a record, computed (not a field)


def columns(kind: str, derived: Derived | None = None) -> list[str]:
    """A record table's columns: the fields declared `export=`, in declaration order, then the computed ones."""
    return [spec.column for spec in RECORD_TYPES[kind].schema.fields if spec.column] + list(derived or {})


def record_row(data: SiteData, kind: str, record: Record, derived: Derived | None = None) -> dict[str, Any]:
    """One row of a kind's table: its exported fields in declaration order, then its computed columns."""
    row = {
        spec.column: cell(data, spec.type, record.get(spec.name))
        for spec in RECORD_TYPES[kind].schema.fields
        if spec.column
    }
    for column, compute in (derived or {}).items():
        row[column] = compute(record)
    return row


def record_rows(data: SiteData, kind: str, records: Iterable[Record], derived: Derived | None = None) -> Rows:
    """A record table: a row per record, in the order given."""
    return [record_row(data, kind, record, derived) for record in records]


def ranking_rows(ranking: Ranking) -> Rows:
    """A ranking's table: each org's rank, total, indicators, bonus and penalty (a withheld figure is null).

    A members ranking has a `member` column in place of `org`; a private member's id and name are null."""
    subject = "member" if ranking.subject == MEMBERS else "org"
    rows = []
    for row in ranking.rows:
        rows.append(
            {
                "rank": row.rank,
                subject: row.org if row.named else None,
                "name": row.name if row.named else None,
                "total": number(row.total),
                "change": row.change,
                **{k: number(v) for k, v in row.indicators.items()},
                "bonus": number(row.bonus),
                "penalty": number(row.penalty),
                "top": row.top,
                "bottom": row.bottom,
            }
        )
    return rows


def _csv(rows: list[dict[str, Any]]) -> bytes:
    if not rows:
        return BOM
    header, lines = _csv_lines(rows)
    return b"".join([BOM, header, *lines])


BOM = "\ufeff".encode()  # Excel opens Chinese CSV correctly with it


def _csv_lines(rows: list[dict[str, Any]]) -> tuple[bytes, list[bytes]]:
    """A table's CSV header line and each row's line(s), encoded: a part is its header and a run of rows."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    header = buffer.getvalue().encode()
    lines = []
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow({k: _cell(v) for k, v in row.items()})
        lines.append(buffer.getvalue().encode())
    return header, lines


def _cell(value: Any) -> Any:
    """One CSV cell: lists joined by ；, yes/no as `true`/`false` (as in the JSON), text that Excel would run as
    a formula made inert (numbers stay numbers). datapackage.py describes these conventions."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "；".join(map(str, value))
    return "" if value is None else csv_cell(value)


def _json(rows: Any) -> bytes:
    return (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode()


def _json_items(rows: Rows) -> list[bytes]:
    """Each row as `_json` writes it inside the array (indented one level), encoded: an array of a run of rows
    is b"[\\n" + b",\\n".join(items) + b"\\n]\\n", byte for byte what `_json` writes for those rows."""
    return [_json_item(row) for row in rows]


# A row of plain values (and empty lists) in one call of the C encoder, the indentation its separators: the same bytes
# as `json.dumps(indent=1)`, whose indentation only the Python encoder writes (a city's 16,600 rows 0.21 -> 0.08 s).
# A string never holds a separator (a newline in it is written "\\n").
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",\n  ", ": "))
_PLAIN = (str, int, float, bool, type(None))


def _json_item(row: Any) -> bytes:
    if type(row) is dict and row and all(type(v) in _PLAIN or (type(v) is list and not v) for v in row.values()):
        return (" {\n  " + _ROW_ENCODER.encode(row)[1:-1] + "\n }").encode()
    return json.dumps([row], ensure_ascii=False, indent=1)[2:-2].encode()


def _json_array(items: list[bytes]) -> bytes:
    return b"[\n" + b",\n".join(items) + b"\n]\n" if items else b"[]\n"


# --- a table in parts: no file larger than PART_BYTES --------------------------------------------------------

PART_BYTES = 1_000_000  # the largest open-data file (1 MB; a phone's download, a static host's comfort)


def part_names(name: str, count: int) -> list[str]:
    """A table's files (without extension): itself, or `<name>-part1` … `<name>-part<count>` when split."""
    return [name] if count == 1 else [f"{name}-part{n}" for n in range(1, count + 1)]


def table_files(name: str, rows: Rows, limit: int | None = None) -> dict[str, bytes]:
    """A table's JSON and CSV: `<name>.json` and `<name>.csv` when both fit in `limit` bytes (PART_BYTES),
    else numbered parts, each part's JSON and CSV holding the same run of rows (at least one row each: a
    single row larger than the limit is a part of its own)."""
    limit = PART_BYTES if limit is None else limit
    if not rows:
        return {f"{name}.json": _json(rows), f"{name}.csv": _csv(rows)}
    items = _json_items(rows)
    header, lines = _csv_lines(rows)
    runs = _runs(items, lines, len(header), limit)
    files: dict[str, bytes] = {}
    for part, (start, end) in zip(part_names(name, len(runs)), runs):
        files[f"{part}.json"] = _json_array(items[start:end])
        files[f"{part}.csv"] = b"".join([BOM, header, *lines[start:end]])
    return files


def _runs(items: list[bytes], lines: list[bytes], header: int, limit: int) -> list[tuple[int, int]]:
    """Row ranges [start, end) filling each part as far as the limit allows, in order (the first fit)."""
    runs: list[tuple[int, int]] = []
    start, json_size, csv_size = 0, 0, 0
    for n, (item, line) in enumerate(zip(items, lines)):
        grown_json = json_size + len(item) + (2 if n > start else 0)  # ",\n" between items
        grown_csv = csv_size + len(line)
        if n > start and (4 + grown_json + 1 > limit or len(BOM) + header + grown_csv > limit):  # "[\n", "\n]\n"
            runs.append((start, n))
            start, grown_json, grown_csv = n, len(item), len(line)
        json_size, csv_size = grown_json, grown_csv
    runs.append((start, len(items)))
    return runs


def read_table(site: Path, name: str) -> Rows | None:
    """A built site's table (`name` as "api/orgs") read back whole from its one JSON file or its parts, in
    order; None when the site has neither, or a file is not a JSON array (an older or foreign folder)."""
    rows: Rows = []
    count = 1 if (site / f"{name}.json").is_file() else _count_parts(site, name)
    if not count:
        return None
    for part in [name] if (site / f"{name}.json").is_file() else part_names(name, count):
        try:
            found = json.loads((site / f"{part}.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        if not isinstance(found, list):
            return None
        rows += found
    return rows


def _count_parts(site: Path, name: str) -> int:
    count = 0
    while (site / f"{name}-part{count + 1}.json").is_file():
        count += 1
    return count


def parts_of(files: Mapping[str, bytes], name: str) -> list[str]:
    """The files (without extension) a table was written as, in order: itself, or its numbered parts."""
    if f"{name}.csv" in files:
        return [name]
    count = 0
    while f"{name}-part{count + 1}.csv" in files:
        count += 1
    return part_names(name, count) if count else []
