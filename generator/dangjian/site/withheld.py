"""Figures the site may not publish, and how they show: a stand-in for each (`Small`, `Withheld`) carries no value.

A leaf module (it imports no other site module): `data.py` puts the stand-ins in place of hidden figures,
and the filters, the kind modules and the exports recognise them with `hidden()`.
"""

from __future__ import annotations

from ..suppression import THRESHOLD

SUPPRESSED = f"少于{THRESHOLD}人"  # a figure over fewer than THRESHOLD members, as shown
WITHHELD = "—"  # a figure of five or more hidden because it would give a smaller one away by difference


class Small(int):
    """In place of a figure over fewer than five members: carries no value, shows as 少于5人."""

    def __new__(cls) -> Small:
        return super().__new__(cls, 0)

    def __getnewargs__(self) -> tuple[()]:  # type: ignore[override]  # pickled as made: without a value
        return ()

    def __bool__(self) -> bool:  # "there are some": an average over 1–4 members is shown as 少于5人
        return True

    def __str__(self) -> str:
        return SUPPRESSED

    __repr__ = __str__


class Withheld(int):
    """In place of a figure withheld by secondary suppression: carries no value, shows as —."""

    def __new__(cls) -> Withheld:
        return super().__new__(cls, 0)

    def __getnewargs__(self) -> tuple[()]:  # type: ignore[override]  # pickled as made: without a value
        return ()

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return WITHHELD

    __repr__ = __str__


def hidden(value: object) -> bool:
    """Whether `value` stands in for a figure the site may not publish (its 0 is no figure)."""
    return isinstance(value, (Small, Withheld))


def shown_count(count: int) -> int | str:
    """A count of members as shown: 少于5人 under five, — when withheld against differencing."""
    if isinstance(count, Withheld):
        return WITHHELD
    return count if count >= THRESHOLD and not isinstance(count, Small) else SUPPRESSED
