"""Open data under /api/: JSON and CSV of what the pages show, nothing more.

A record table's columns are its kind's fields declared `export=` in `records.py`, in declaration
order, each value following from the field's type (`cell`), then the computed columns (`DERIVED`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from ..load import Record
from ..rankings import Ranking
from ..records import RECORD_TYPES
from ..schema import Bool, Date, FieldType, List, Number, Object, Ref, Text
from ..figures import number as _number
from ..spreadsheet import csv_cell
from .data import SiteData, hidden


def number(value: Fraction) -> int | float | None:
    """A JSON number, or null for a figure the site may not publish (never its stand-in 0)."""
    return None if hidden(value) else _number(value)


# --- record tables: columns from the field declarations (records.py, `export=`) -------------------------


def _by_id(record: Record) -> str:
    return record.id or ""


# The kinds with a table under api/, and which of their records it lists, in order.
TABLES: dict[str, tuple[str, Callable[[SiteData], Iterable[Record]]]] = {
    "org": ("api/orgs", lambda data: sorted(data.reg.orgs.values(), key=_by_id)),
    "brand": ("api/brands", lambda data: data.brands),
    "project": ("api/projects", lambda data: sorted(data.projects, key=_by_id)),
}

# Columns computed rather than written in a field, after the declared ones: column → value of a record.
DERIVED: dict[str, dict[str, Callable[[SiteData, Record], Any]]] = {
    "project": {
        "milestones": lambda data, p: len(p.get("milestones", [])),
        "milestones_done": lambda data, p: sum("done" in m for m in p.get("milestones", [])),
        "progress": lambda data, p: data.progress(p),
    },
}


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


def record_row(data: SiteData, kind: str, record: Record) -> dict[str, Any]:
    """One row of a kind's table: its exported fields in declaration order, then its derived columns."""
    row = {
        spec.column: cell(data, spec.type, record.get(spec.name))
        for spec in RECORD_TYPES[kind].schema.fields
        if spec.column
    }
    for column, compute in DERIVED.get(kind, {}).items():
        row[column] = compute(data, record)
    return row


def _ranking_rows(ranking: Ranking) -> list[dict[str, Any]]:
    rows = []
    for row in ranking.rows:
        rows.append(
            {
                "rank": row.rank,
                "org": row.org,
                "name": row.name,
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
    """One CSV cell: lists joined by ；, text that Excel would run as a formula made inert (numbers stay numbers)."""
    if isinstance(value, list):
        value = "；".join(map(str, value))
    return "" if value is None else csv_cell(value)


def _json(rows: Any) -> bytes:
    return (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode()


def tables(data: SiteData) -> dict[str, list[dict[str, Any]]]:
    """Export name (path without extension, under api/) → rows."""
    out = {name: [record_row(data, kind, r) for r in records(data)] for kind, (name, records) in TABLES.items()}
    for scheme in data.schemes:
        for ranking in data.histories[str(scheme.id)]:
            out[f"api/rankings/{scheme.id}/{ranking.period.label}"] = _ranking_rows(ranking)
    return out


def export_files(data: SiteData) -> dict[str, bytes]:
    """Every export file: path → bytes (JSON and CSV of each table)."""
    files: dict[str, bytes] = {}
    for name, rows in tables(data).items():
        files[f"{name}.json"] = _json(rows)
        files[f"{name}.csv"] = _csv(rows)
    return files
