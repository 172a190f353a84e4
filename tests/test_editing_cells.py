"""Cell parsers (the many ways sheets write dates, years and statuses) and the YAML text helpers."""

from __future__ import annotations

import datetime

import pytest

from dangjian.editing import cells
from dangjian.editing.pending import TextFile
from dangjian.editing.yamltext import field_line, list_doc, record_lines, replace_items
from dangjian.load import load_source

D = datetime.date


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("2026-03-01", (D(2026, 3, 1), False)),
        ("2026.3.1", (D(2026, 3, 1), False)),
        ("2026/3/1", (D(2026, 3, 1), False)),
        ("2026年3月1日", (D(2026, 3, 1), False)),
        ("２０２６年３月１日", (D(2026, 3, 1), False)),
        (" 2026 - 3 - 1 ", (D(2026, 3, 1), False)),
        ("20260301", (D(2026, 3, 1), False)),
        ("2026-03-01 00:00:00", (D(2026, 3, 1), False)),
        (datetime.datetime(2026, 3, 1, 8, 30), (D(2026, 3, 1), False)),
        (D(2026, 3, 1), (D(2026, 3, 1), False)),
        (46082, (D(2026, 3, 1), False)),
        (46082.5, (D(2026, 3, 1), False)),
        ("46082", (D(2026, 3, 1), False)),
        ("2026-03", (D(2026, 3, 1), True)),
        ("2026.3", (D(2026, 3, 1), True)),
        ("2026年3月", (D(2026, 3, 1), True)),
    ],
)
def test_dates(cell, expected) -> None:
    assert cells.date_or_month(cell) == expected


@pytest.mark.parametrize(
    "cell, message",
    [("2026", "只有年份"), ("2026-02-30", "不是真实存在的日期"), ("去年", "不是日期"), (1990, "只有年份")],
)
def test_bad_dates(cell, message: str) -> None:
    with pytest.raises(cells.CellError, match=message):
        cells.date_or_month(cell)


@pytest.mark.parametrize(
    "cell",
    [
        1990,
        1990.0,
        "1990",
        "１９９０",
        "1990年",
        "1990.07",
        "1990年7月",
        "1990-07-01",
        datetime.datetime(1990, 7, 1),
        32874,
    ],
)
def test_birth_years(cell) -> None:
    assert cells.year(cell) == 1990


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("中共党员", "正式党员"),
        ("党员", "正式党员"),
        ("正式党员", "正式党员"),
        ("中共预备党员", "预备党员"),
        (" 预备党员 ", "预备党员"),
        ("积极分子", "入党积极分子"),
        ("入党积极分子", "入党积极分子"),
        ("发展对象", "发展对象"),
        ("申请人", "入党申请人"),
    ],
)
def test_statuses(cell: str, expected: str) -> None:
    assert cells.status(cell) == expected


def test_people_who_are_not_members_are_refused() -> None:
    with pytest.raises(cells.CellError, match="不是党员或入党培养对象"):
        cells.status("群众")


@pytest.mark.parametrize(
    "cell, posts, others",
    [
        ("村党支部书记、村委会主任", ["书记"], ["村委会主任"]),
        ("副书记兼组织委员", ["副书记", "组织委员"], []),
        ("支委", ["委员"], []),
        ("党小组长", ["党小组长"], []),
        ("村委会委员", [], ["村委会委员"]),
        ("纪律检查委员", ["纪检委员"], []),
    ],
)
def test_posts(cell: str, posts: list[str], others: list[str]) -> None:
    assert cells.posts(cell) == (posts, others)


def test_names_lose_the_spaces_used_to_align_them() -> None:
    assert cells.name(" 王\u3000 明 ") == "王明"
    assert cells.name("Anna Li") == "Anna Li"


@pytest.mark.parametrize(
    "value", ["no", "010", "#c8102e", "1:30", "2016", "true", "a: b", "[x]", "- y", "*z", "@w", "!t"]
)
def test_written_text_reads_back_as_the_same_text(value: str) -> None:
    text = "\n".join(record_lines({"id": "m-a", "name": value, "org": "o", "status": "入党申请人"})) + "\n"
    loaded = load_source(
        f"- {text.replace(chr(10), chr(10) + '  ').rstrip()}\n".encode(), "registry/members/a.yaml", "member"
    )
    assert not loaded.problems, loaded.problems
    assert loaded.records[0]["name"] == value


def test_flow_values_stay_on_one_line() -> None:
    assert field_line("posts", ["书记", "组织委员"]) == "posts: [书记, 组织委员]"
    assert (
        field_line("flow", {"direction": "out", "place": "上海, 浦东"}) == "flow: {direction: out, place: '上海, 浦东'}"
    )


def test_replacing_an_item_keeps_every_other_line() -> None:
    text = "# 名册\n- id: a\n  name: 甲\n\n# 乙是新来的\n- id: b  # 注释\n  name: 乙\n- id: c\n  name: 丙\n"
    file = TextFile("registry/members/x.yaml", text)
    new = replace_items(file, list_doc(file), {1: "- id: b\n  name: 乙乙\n"})
    assert new == "# 名册\n- id: a\n  name: 甲\n\n# 乙是新来的\n- id: b\n  name: 乙乙\n- id: c\n  name: 丙\n"
