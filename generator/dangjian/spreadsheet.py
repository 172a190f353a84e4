"""Cells a spreadsheet would run as a formula (CSV injection, OWASP): neutralised on export, refused on import.

Excel, WPS and LibreOffice start a formula at a cell beginning with `=`, `+`, `-` or `@`;
a leading tab, carriage return, space or newline can hide one, and some locales of Excel and
WPS take the full-width forms (`＝`, `＋`, `－`, `＠`) for them too: the first visible character
is tested NFKC-folded, as the roster import reads a cell. Exports prefix such text with `'`, which
spreadsheets show as nothing and read as "this is text"; numbers are written as numbers,
so a negative score stays a number. Imports refuse such cells: a name or a place never
starts that way, and a formula's value is whatever the sheet computed, not what it says.
"""

from __future__ import annotations

import unicodedata
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_HIDING = ("Cc", "Cf", "Zs", "Zl", "Zp")  # spaces, line breaks, controls and format characters before a start


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet would take for a formula (numbers never are): its first character, or the
    first after spaces, breaks and invisible characters, NFKC-folded (`＝` is `=`), starts one."""
    if not isinstance(value, str):
        return False
    if value.startswith(FORMULA_STARTS):
        return True
    for char in value:
        if char.isspace() or unicodedata.category(char) in _HIDING:
            continue
        return unicodedata.normalize("NFKC", char).startswith(FORMULA_STARTS)
    return False


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell may hold it: formula-like text gets a leading `'`, anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value
