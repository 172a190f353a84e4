"""figures.py: the one way a computed figure is written, for JSON, for people and for totals."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from dangjian.figures import number, shown, two_decimals

fractions = st.fractions(min_value=-10_000, max_value=10_000, max_denominator=1000)


@given(fractions)
def test_two_decimals_is_the_nearest_hundredth_ties_away_from_zero(value: Fraction) -> None:
    rounded = two_decimals(value)
    assert rounded.as_tuple().exponent == -2
    error = abs(Fraction(rounded) - value)
    assert error <= Fraction(1, 200)
    if error == Fraction(1, 200):  # a tie: half up, away from zero
        assert abs(Fraction(rounded)) > abs(value)


@given(fractions)
def test_a_whole_figure_is_written_bare_and_any_other_to_two_decimals(value: Fraction) -> None:
    if value.denominator == 1:
        assert number(value) == int(value) and isinstance(number(value), int)
        assert shown(value) == str(int(value))
    else:
        assert number(value) == float(two_decimals(value)) and isinstance(number(value), float)
        assert shown(value) == str(two_decimals(value))


def test_examples() -> None:
    assert shown(Fraction(3689, 40)) == "92.23"  # 92.225 exactly: half up
    assert shown(Fraction(-3689, 40)) == "-92.23"
    assert shown(Fraction(80)) == "80" and str(two_decimals(Fraction(80))) == "80.00"
    assert number(Fraction(1, 3)) == 0.33 and number(Fraction(7)) == 7
    assert two_decimals(Fraction(1, 200)) == Decimal("0.01")
