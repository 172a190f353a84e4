"""Assessment periods: `YYYY`, `YYYY-Qn`, `YYYY-MM`."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

_PATTERNS = {
    "year": re.compile(r"^([0-9]{4})$"),
    "quarter": re.compile(r"^([0-9]{4})-Q([1-4])$"),
    "month": re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$"),
}
EXAMPLES = {"year": "2015", "quarter": "2015-Q2", "month": "2015-06"}


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period: its first and last day and the months it spans."""

    first: datetime.date
    last: datetime.date
    kind: str
    label: str

    @property
    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month in the period."""
        return [(self.first.year, m) for m in range(self.first.month, self.last.month + 1)]


def period_kind(label: str) -> str | None:
    """'year', 'quarter' or 'month' for a well-formed label, else None."""
    return next((kind for kind, pattern in _PATTERNS.items() if pattern.match(label)), None)


def parse_period(label: str) -> Period | None:
    """The period a label names, or None if malformed."""
    kind = period_kind(label)
    if kind is None:
        return None
    match = _PATTERNS[kind].match(label)
    if match is None:  # period_kind matched it: never
        return None
    groups = match.groups()
    year = int(groups[0])
    if kind == "year":
        first_month, last_month = 1, 12
    elif kind == "quarter":
        first_month = 3 * int(groups[1]) - 2
        last_month = first_month + 2
    else:
        first_month = last_month = int(groups[1])
    last_day = calendar.monthrange(year, last_month)[1]
    return Period(datetime.date(year, first_month, 1), datetime.date(year, last_month, last_day), kind, label)
