"""Open data under /api/: JSON and CSV of what the pages show, nothing more.

Each site kind says what it exports (`SiteKind.export`, in `site/kinds/`); this module gives them the
rows and writes the files. A record table's columns are its kind's fields declared `export=` in
`recordtypes.py`, in declaration order, each value following from the field's type (`cell`), then the
columns the kind computes (a project's `progress`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..load import Record
from ..rankings import MEMBERS, Ranking
from ..recordtypes import RECORD_TYPES
from ..schema import Bool, Date, FieldType, List, Number, Object, Ref, Text
from ..figures import number as _number
from ..spreadsheet import csv_cell
from . import kinds
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
        return "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens Chinese CSV correctly


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


def tables(data: SiteData) -> dict[str, Rows]:
    """Export name (path without extension, under api/) → rows: every kind's, in the kinds' order."""
    out: dict[str, Rows] = {}
    for kind in kinds.KINDS:  # read at each call, never a copy (see kinds/__init__.py)
        if kind.export is not None:
            out.update(kind.export(data))
    return out


def export_files(data: SiteData) -> dict[str, bytes]:
    """Every export file: path → bytes (JSON and CSV of each table)."""
    files: dict[str, bytes] = {}
    for name, rows in tables(data).items():
        files[f"{name}.json"] = _json(rows)
        files[f"{name}.csv"] = _csv(rows)
    return files
