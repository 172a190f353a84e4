"""How a computed figure is written, the one rounding every output shares.

Scores, rankings and aggregates are computed exactly (`Fraction`s of the decimals written
in the files); only display rounds, half up, to two decimals. The command line
(`report.py`), the site's pages and its exports all write figures through these.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def two_decimals(value: Fraction | int) -> Decimal:
    """A total as shown: exactly rounded half up to two decimals."""
    return (
        (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if value.denominator != 1
        else Decimal(value.numerator).quantize(Decimal("0.01"))
    )


def number(value: Fraction | int) -> int | float:
    """A JSON number: an int when whole, else the value rounded half up to two decimals."""
    if value.denominator == 1:
        return int(value)
    return float(two_decimals(value))


def shown(value: Fraction | int) -> str:
    """A value for people: whole numbers bare, others to two decimals."""
    return str(value.numerator) if value.denominator == 1 else str(two_decimals(value))
