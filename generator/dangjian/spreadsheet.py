"""Cells a spreadsheet would run as a formula (CSV injection, OWASP): neutralised on export, refused on import.

Excel, WPS and LibreOffice start a formula at a cell beginning with `=`, `+`, `-` or `@`;
a leading tab or carriage return can hide one. Exports prefix such text with `'`, which
spreadsheets show as nothing and read as "this is text"; numbers are written as numbers,
so a negative score stays a number. Imports refuse such cells: a name or a place never
starts that way, and a formula's value is whatever the sheet computed, not what it says.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet would take for a formula (numbers never are)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell may hold it: formula-like text gets a leading `'`, anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value
