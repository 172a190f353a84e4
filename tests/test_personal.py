"""Personal identifiers: national ID numbers and mobile numbers are found, never echoed."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, strategies as st

from dangjian import normalise, personal
from dangjian.personal import find_identifiers, id_check_digit_ok, scan_text
from dangjian.validate import validate

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def with_check_digit(first17: str) -> str:
    """A national ID number with its correct GB 11643 check character."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return first17 + CHECK_CHARS[total % 11]


def wrong_check_digit(first17: str) -> str:
    right = with_check_digit(first17)[-1]
    return first17 + ("1" if right != "1" else "2")


ENDS_IN_X = with_check_digit("11010519491231002")  # 1949-12-31, check character X
VALID_IDS = [
    with_check_digit("44030419900101001"),
    with_check_digit("33068119800101001"),
    with_check_digit("32028119850315123"),
    with_check_digit("11010519491231003"),
    ENDS_IN_X,
]


def kinds(text: str) -> list[str]:
    return [kind for _, kind in find_identifiers(text)]


def test_the_x_example_really_ends_in_x():
    assert ENDS_IN_X.endswith("X")


# --- id_check_digit_ok --------------------------------------------------------------------------


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_check_digit_is_accepted(number: str):
    assert id_check_digit_ok(number)


def test_lower_case_x_check_character_is_accepted():
    assert id_check_digit_ok(ENDS_IN_X.lower())


@pytest.mark.parametrize("number", [wrong_check_digit(n[:17]) for n in VALID_IDS])
def test_wrong_check_digit_is_rejected(number: str):
    assert not id_check_digit_ok(number)


def test_x_where_a_digit_is_due_is_rejected():
    number = VALID_IDS[0]
    assert not number.endswith("X")
    assert not id_check_digit_ok(number[:17] + "X")


# --- national ID numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("number", VALID_IDS)
def test_id_number_is_found(number: str):
    assert list(find_identifiers(number)) == [(0, "id")]


def test_id_number_ending_in_lower_case_x_is_found():
    assert kinds(ENDS_IN_X[:17] + "x") == ["id"]


def test_id_number_inside_chinese_text_is_found_at_its_offset():
    text = f"身份证号{VALID_IDS[0]}，请核对"
    assert list(find_identifiers(text)) == [(4, "id")]


def test_id_number_in_full_width_digits_is_found():
    full = VALID_IDS[0].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert kinds(full) == ["id"]


def test_id_number_is_not_also_reported_as_a_mobile():
    assert kinds(VALID_IDS[3]) == ["id"]


def test_id_number_with_a_wrong_check_digit_is_not_flagged():
    assert kinds(wrong_check_digit(VALID_IDS[0][:17])) == []


def test_seventeen_digit_number_is_not_flagged():
    assert kinds(VALID_IDS[0][:17]) == []
    assert kinds("12345678901234567") == []


def test_nineteen_digit_number_is_not_flagged():
    assert kinds(VALID_IDS[0] + "1") == []


# --- mobile numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("number", [f"1{d}812345678" for d in "3456789"])
def test_mobile_of_every_prefix_13_to_19_is_found(number: str):
    assert list(find_identifiers(number)) == [(0, "mobile")]


@pytest.mark.parametrize(
    "text",
    [
        "+8613812345678",
        "+86 13812345678",
        "+86-138-1234-5678",
        "8613812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
    ],
)
def test_mobile_written_with_country_code_spaces_or_dashes_is_found(text: str):
    assert kinds(text) == ["mobile"]


def test_mobile_in_full_width_digits_is_found():
    assert kinds("１３８１２３４５６７８") == ["mobile"]


def test_mobile_with_full_width_plus_is_found():
    assert kinds("＋８６１３８１２３４５６７８") == ["mobile"]


def test_mobile_inside_chinese_text_is_found_at_its_offset():
    assert list(find_identifiers("联系电话13812345678，欢迎来电")) == [(4, "mobile")]


def test_mobile_inside_an_id_is_found():
    assert list(find_identifiers("m-13812345678")) == [(2, "mobile")]


def test_two_mobiles_are_both_found():
    assert list(find_identifiers("13812345678、15987654321")) == [(0, "mobile"), (12, "mobile")]


@pytest.mark.parametrize(
    "text",
    [
        "138123456789",  # 12 digits starting 13
        "159123456780",  # 12 digits starting 15
        "12812345678",  # starts 12
        "10812345678",  # starts 10
        "1381234567",  # 10 digits
        "2015-07-29",
        "caota-xinan-2015-06-07",
        "诸暨日报 2015-07-29",
        "haian-2016-banden-ketang",
        "score: 92",
        "2026-Q1",
    ],
)
def test_harmless_numbers_are_not_flagged(text: str):
    assert kinds(text) == []


def test_text_without_digits_is_not_flagged():
    assert kinds("东村党支部带领党员为村道装上路灯。") == []


# --- scan_text: positions, and the number is never echoed ---------------------------------------


def test_scan_text_gives_line_and_column():
    text = "id: east\nname: 东村党支部\nsummary: 书记电话 139 1234 5678\n"
    [problem] = scan_text(text, "registry/orgs/east.yaml")
    assert problem.code == "personal-mobile"
    assert (problem.file, problem.line, problem.column) == ("registry/orgs/east.yaml", 3, 15)


def test_scan_text_reports_an_id_number_in_a_comment():
    text = f"id: east\n# {VALID_IDS[1]}\n"
    [problem] = scan_text(text, "registry/orgs/east.yaml")
    assert problem.code == "personal-id"
    assert (problem.line, problem.column) == (2, 3)


@pytest.mark.parametrize("number", VALID_IDS + ["13812345678", "+86 138 1234 5678", "１３８１２３４５６７８"])
def test_messages_never_contain_the_number(number: str):
    digits = "".join(c for c in number.translate(str.maketrans("０１２３４５６７８９", "0123456789")) if c.isdigit())
    problems = list(scan_text(f"note: 号码 {number}\n", "registry/points/ledger/a.yaml"))
    assert problems
    for problem in problems:
        assert problem.message and problem.hint
        for shown in (problem.message, problem.hint):
            assert number not in shown
            assert digits[-8:] not in "".join(c for c in shown if c.isdigit())


# --- a whole validation never echoes the number either --------------------------------------------


def _east_org(kind: str, extra: str = "") -> str:
    return (
        f"id: east\nname: 东村党支部\nkind: {kind}\nparent: town\ndomain: 农村\n"
        f"secretary: m-east-sec\nbrand: red\n{extra}"
    )


@pytest.mark.parametrize(
    "overlay",
    [
        {"registry/orgs/east.yaml": _east_org("13812345678")},  # an enum field
        {"registry/orgs/east.yaml": _east_org("党支部", "13912345678: 备注\n")},  # a key
        {"registry/orgs/east.yaml": _east_org("党支部", f"founded: {VALID_IDS[0]}\n")},  # a date field
        {
            "registry/points/ledger/east-2026.yaml": "- member: m-13712345678\n  date: 2026-02-01\n  rule: absent\n"
        },  # a reference
    ],
    ids=["enum", "key", "date", "reference"],
)
def test_no_problem_of_a_validation_echoes_the_number(registry, overlay):
    root = registry(overlay)
    problems = validate(root).problems
    assert any(p.code.startswith("personal-") for p in problems)
    for problem in problems:
        for shown in (problem.message, problem.hint):
            for number in ("13812345678", "13912345678", "13712345678", VALID_IDS[0]):
                assert number not in shown, f"{problem.file}:{problem.line}: {shown}"


# --- the scans' quick checks are the patterns they stand for -------------------------------------------------------


def test_suspect_is_the_one_pattern_it_replaced_for_every_character() -> None:
    """Every code point, and each among others: `normalise.suspect` says what the pattern it replaced,
    `[signs]|(?![0-9０-９])\\d`, found."""
    one = re.compile(normalise._SUSPECT_SIGNS.pattern + "|(?![0-9\uff10-\uff19])\\d")  # noqa: SLF001
    assert [c for c in range(0x110000) if normalise.suspect(chr(c)) != (one.search(chr(c)) is not None)] == []
    for c in (0x31, 0x661, 0xFF11, 0x1D7CF, 0x3C, 0x200B, 0x4E00):
        for text in (f"党员{chr(c)}名单", f"abc {chr(c)}", f"{chr(c)}x"):
            assert normalise.suspect(text) == (one.search(text) is not None), hex(c)


@given(st.text(alphabet="0123456789١٢３²① \t\n\r党a-", max_size=40))
@example("1 \t\n2")
@example("1\t \t\n2")
@example("²\n2")
@example("1\n  ①")
def test_the_soft_break_check_is_the_pattern_it_stands_for(text: str) -> None:
    assert personal._soft_break_in(text) == (personal._SOFT_BREAK.search(text) is not None)  # noqa: SLF001
