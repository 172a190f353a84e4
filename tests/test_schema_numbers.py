"""Whole numbers written in ASCII digits read without Decimal (`schema.Number`): the value and the problems the exact
path (`Fraction(Decimal(text))`) gives."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, strategies as st

from dangjian.schema import INVALID, Checker, Integer
from dangjian.yamlfile import YamlDoc

DIGITS = st.one_of(
    st.from_regex(r"[0-9]{1,7}", fullmatch=True),
    st.integers(1890, 2110).map(str),
    st.sampled_from(["1899", "1900", "2100", "2101", "0", "00", "0100"]),
)


def converted(low: int | None, high: int | None, text: str) -> tuple[object, list[str]]:
    check = Checker(YamlDoc("registry/members/m.yaml"))
    return Integer(low, high).convert(text, ("born",), check), [problem.code for problem in check.problems]


@given(
    digits=DIGITS,
    pad=st.sampled_from(["", " "]),
    low=st.sampled_from([None, 0, 1900]),
    high=st.sampled_from([None, 2100]),
)
def test_a_whole_number_in_digits_is_the_one_the_exact_path_reads(
    digits: str, pad: str, low: int | None, high: int | None
) -> None:
    value, problems = converted(low, high, pad + digits + pad)
    if len(digits) > 1 and digits[0] == "0":
        assert (value, problems) == (INVALID, ["type"])  # not a number as the format writes one
        return
    exact = Fraction(Decimal(digits))
    if (low is not None and exact < low) or (high is not None and exact > high):
        assert (value, problems) == (INVALID, ["range"])
    else:
        assert (value, problems) == (int(exact), []) and type(value) is int
