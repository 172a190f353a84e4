"""`dangjian import roster` and `export roster`: messy real-world sheets, refusals of personal numbers, idempotence."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from conftest import FIXTURES, REPO
from dangjian.cli import main
from dangjian.personal import id_check_digit_ok
from dangjian.validate import validate

ROSTERS = FIXTURES / "rosters"
ORG = "caota-ceshi"
ROSTER = f"registry/members/caota/{ORG}.yaml"
SHEET_LINE = re.compile(r"^(?P<file>.+\.(xlsx|csv)):(?P<row>[0-9]+): (?P<message>.+) — (?P<hint>.+)$")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo registry plus an org with no roster yet."""
    root = tmp_path / "demo"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    (root / f"registry/orgs/caota/{ORG}.yaml").write_text(
        f"id: {ORG}\nname: 测试村党支部\nkind: 党支部\nparent: caota\ndomain: 农村\n", encoding="utf-8"
    )
    return root


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def import_roster(root: Path, sheet: Path, *flags: str) -> Result:
    return run("import", "roster", sheet, "--root", root, "--org", ORG, *flags)


def xlsx(path: Path, rows: list[list[Any]], merges: tuple[str, ...] = ()) -> Path:
    """Write a sheet the way people make them: rows of values, some ranges merged."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def members(root: Path, org: str = ORG) -> dict[str, dict]:
    """The org's members by name, as the validator reads them."""
    result = validate(root)
    return {r["name"]: r.data for r in result.registry.all("member") if r.get("org") == org}


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def fake_id_number() -> str:
    """A made-up 18-character number with a valid GB 11643 check digit."""
    body = "11010119900307123"
    return next(body + c for c in "0123456789X" if id_check_digit_ok(body + c))


MESSY = [
    ["测试村党支部党员名册"] + [None] * 10,
    ["序号", "姓 名", "性别", "出生年月", "政治面貌", "入党时间", "职务", "流动情况", None, None, "是否公开"],
    [None] * 7 + ["流出/流入", "外出地点", "外出时间", None],
    [1, " 张　建国 ", "男", "１９７０.０５", "中共党员", 34881, "村党支部书记、村委会主任", None, None, None, None],
    [
        2,
        "刘芳",
        "女",
        datetime.datetime(1988, 10, 1),
        "中共预备党员",
        "2025.12.1",
        None,
        "流出",
        "苏州",
        "2025年3月1日",
        "否",
    ],
    [3, "陈磊", "男", "２００１年２月", "积极分子", None, "无", None, None, None, None],
    [4, "王丽", "女", 1979, "党员", "2000/7/1", "组织委员", "外出", "杭州", "2024-03", "是"],
    [5, "周强", "男", "1966-01", "正式党员", datetime.datetime(1990, 6, 30, 0, 0), "支委", None, None, None, None],
    [None] * 11,
    ["填表人：某某　　填表日期：2026年3月"] + [None] * 10,
]
MESSY_MERGES = ("A1:K1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3", "G2:G3", "H2:J2", "K2:K3", "A10:K10")


def test_a_messy_sheet_is_read_as_the_department_meant_it(demo: Path, tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / "名册.xlsx", MESSY, MESSY_MERGES)
    result = import_roster(demo, sheet)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == ROSTER
    assert "新增 5 人" in result.stderr
    assert "「村委会主任」不是党内职务，没有导入" in result.stderr
    assert "流动时间只写到月" in result.stderr
    found = members(demo)
    assert found["张建国"] == {
        "id": f"m-{ORG}-4",
        "name": "张建国",
        "org": ORG,
        "status": "正式党员",
        "joined": datetime.date(1995, 7, 1),
        "posts": ["书记"],
        "born": 1970,
        "gender": "男",
    }
    assert found["刘芳"]["status"] == "预备党员"
    assert found["刘芳"]["joined"] == datetime.date(2025, 12, 1)
    assert found["刘芳"]["flow"] == {"direction": "out", "place": "苏州", "since": datetime.date(2025, 3, 1)}
    assert found["刘芳"]["public"] is False
    assert found["陈磊"] == {
        "id": f"m-{ORG}-6",
        "name": "陈磊",
        "org": ORG,
        "status": "入党积极分子",
        "born": 2001,
        "gender": "男",
    }
    assert found["王丽"]["flow"] == {"direction": "out", "place": "杭州", "since": datetime.date(2024, 3, 1)}
    assert found["王丽"]["public"] is True
    assert found["周强"]["joined"] == datetime.date(1990, 6, 30)
    assert found["周强"]["posts"] == ["委员"]
    assert validate(demo).ok


def test_a_new_roster_file_opens_with_a_header_comment(demo: Path, tmp_path: Path) -> None:
    import_roster(demo, xlsx(tmp_path / "a.xlsx", MESSY, MESSY_MERGES))
    text = (demo / ROSTER).read_text(encoding="utf-8")
    assert text.startswith("# 党员名册：测试村党支部（caota-ceshi）\n")
    assert "\n- id: m-caota-ceshi-4\n  name: 张建国\n  org: caota-ceshi\n  status: 正式党员\n" in text


def test_an_imported_roster_is_in_the_canonical_layout(demo: Path, tmp_path: Path) -> None:
    """Issue 19: what `import roster` writes is what `dangjian fmt` (and the CMS) would write: a pull request
    from a later CMS save shows only the real change."""
    import_roster(demo, xlsx(tmp_path / "a.xlsx", MESSY, MESSY_MERGES))
    check = run("fmt", "--root", demo, "--check", demo / ROSTER)
    assert check.exit_code == 0, check.output
    assert "posts: [" not in (demo / ROSTER).read_text(encoding="utf-8")  # block lists, as the CMS writes them


def test_importing_the_same_sheet_twice_changes_nothing(demo: Path, tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / "a.xlsx", MESSY, MESSY_MERGES)
    import_roster(demo, sheet)
    before = files_of(demo)
    result = import_roster(demo, sheet)
    assert result.exit_code == 0, result.output
    assert "没有变化" in result.stderr
    assert result.stdout == ""
    assert files_of(demo) == before


def test_reimporting_an_edited_sheet_updates_only_what_changed(demo: Path, tmp_path: Path) -> None:
    import_roster(demo, xlsx(tmp_path / "a.xlsx", MESSY, MESSY_MERGES))
    path = demo / ROSTER
    # By hand: a note under extra for 张建国, a comment between members, and a member the sheet never had.
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  gender: 男\n- id: m-caota-ceshi-5",
        "  gender: 男\n  extra: {note: 老书记}\n# 以下是 2025 年发展的\n- id: m-caota-ceshi-5",
    )
    text += "- id: m-ceshi-hand\n  name: 手工添加\n  org: caota-ceshi\n  status: 入党申请人\n  public: false\n"
    path.write_text(text, encoding="utf-8")
    edited = [row[:] for row in MESSY]
    edited[4][4], edited[4][5] = "正式党员", "2024.12.1"  # 刘芳: 预备 → 正式 (a new admission date)
    edited[7][6] = None  # 周强 no longer a 委员
    result = import_roster(demo, xlsx(tmp_path / "b.xlsx", edited, MESSY_MERGES))
    assert result.exit_code == 0, result.output
    assert "更新 2 人" in result.stderr and "未变 3 人" in result.stderr
    assert "名册中有、表格中没有（没有删除，请核实）：手工添加（m-ceshi-hand）" in result.stderr
    found = members(demo)
    assert found["刘芳"]["status"] == "正式党员" and found["刘芳"]["joined"] == datetime.date(2024, 12, 1)
    assert "posts" not in found["周强"]
    assert found["张建国"]["extra"] == {"note": "老书记"}
    assert found["手工添加"]["public"] is False
    after = path.read_text(encoding="utf-8")
    assert (
        "  extra: {note: 老书记}\n# 以下是 2025 年发展的\n" in after
    )  # unchanged members and comments keep their text
    assert after.endswith(text[text.index("- id: m-ceshi-hand") :])
    assert validate(demo).ok


def test_a_sheet_updates_members_of_a_hand_written_roster(demo: Path, tmp_path: Path) -> None:
    path = demo / "registry/members/caota/caota-xinan.yaml"
    before = path.read_text(encoding="utf-8")
    sheet = xlsx(tmp_path / "x.xlsx", [["姓名", "党员状态", "入党日期"], ["周长根", "预备党员", "2026-01-05"]])
    result = run("import", "roster", sheet, "--root", demo, "--org", "caota-xinan")
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8")
    old_item = (
        "- id: m-zhou-changgen\n  name: 周长根\n  org: caota-xinan\n  status: 发展对象\n  born: 1994\n  gender: 男\n"
    )
    new_item = (
        "- id: m-zhou-changgen\n  name: 周长根\n  org: caota-xinan\n  status: 预备党员\n  joined: 2026-01-05\n"
        "  born: 1994\n  gender: 男\n"
    )
    assert old_item in before
    assert after == before.replace(old_item, new_item)


# --- refusals: personal numbers ----------------------------------------------------------------


@pytest.mark.parametrize("header", ["身份证号", "公民身份号码", "手机号码", "联系电话", "联系方式"])
def test_a_column_named_for_personal_numbers_is_refused(demo: Path, tmp_path: Path, header: str) -> None:
    before = files_of(demo)
    sheet = xlsx(tmp_path / "a.xlsx", [["姓名", "党员状态", header], ["陈磊", "入党积极分子", "（已删除）"]])
    result = import_roster(demo, sheet)
    assert result.exit_code == 1
    assert f"第 C 列「{header}」是身份证号码或电话号码一类的个人信息，不能导入" in result.stdout
    assert files_of(demo) == before


def test_personal_numbers_in_any_column_are_refused_and_never_shown(demo: Path, tmp_path: Path) -> None:
    number = fake_id_number()
    rows = [
        ["姓名", "党员状态", "备注", "说明"],
        ["陈磊", "入党积极分子", "139 1234 5678", None],
        ["刘芳", "入党申请人", None, f"证件 {number}"],
        ["王丽", "入党申请人", None, 330102199003071234.0],
    ]
    result = import_roster(demo, xlsx(tmp_path / "a.xlsx", rows))
    assert result.exit_code == 1
    assert "第 C 列「备注」有 1 格像是手机号码（第 2 行）" in result.stdout
    assert "第 D 列「说明」有 2 格像是身份证号码（第 3、4 行）" in result.stdout
    for secret in ("139 1234 5678", "13912345678", number, "330102"):
        assert secret not in result.output
    assert not (demo / ROSTER).exists()


def test_personal_numbers_in_a_title_row_are_refused(demo: Path, tmp_path: Path) -> None:
    rows = [["名册（联系人 13912345678）", None], ["姓名", "党员状态"], ["陈磊", "入党积极分子"]]
    result = import_roster(demo, xlsx(tmp_path / "a.xlsx", rows, ("A1:B1",)))
    assert result.exit_code == 1
    assert ":1: 第 A 列「姓名」有 1 格像是手机号码（第 1 行）" in result.stdout
    assert "13912345678" not in result.output


# --- refusals: bad rows ----------------------------------------------------------------------------


def test_every_bad_row_is_reported_at_once_and_nothing_is_written(demo: Path, tmp_path: Path) -> None:
    rows = [
        ["姓名", "性别", "出生年份", "党员状态", "入党时间", "流动情况", "流动地点"],
        ["张建国", "男", 1970, "中共党员", "1995-07-01", None, None],
        ["刘芳", "女", "一九八八", "预备党员", "2025-12-01", None, None],
        ["陈磊", "男", 2001, "群众", None, None, None],
        ["王丽", "女", 1979, "正式党员", None, None, None],
        ["周强", "男", 1966, "正式党员", "1990-02-30", "流出", None],
        ["赵敏", "x", 1990, "入党积极分子", "2020-01-01", None, None],
        [None, "男", 1980, "正式党员", "2000-01-01", None, None],
    ]
    sheet = xlsx(tmp_path / "bad.xlsx", rows)
    result = import_roster(demo, sheet)
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert all(SHEET_LINE.match(line) for line in lines), lines
    by_row = [int(SHEET_LINE.match(line)["row"]) for line in lines]
    assert by_row == sorted(by_row) and set(by_row) == {3, 4, 5, 6, 7, 8}
    text = result.stdout
    assert f"{sheet}:3: 第 C 列「出生年份」：`一九八八` 不是年份" in text
    assert f"{sheet}:4: 第 D 列「党员状态」：`群众` 不是党员或入党培养对象" in text
    assert f"{sheet}:5: 正式党员必须有入党时间 — 填写入党时间（政治生日）" in text
    assert f"{sheet}:6: 第 E 列「入党时间」：1990年2月30日不是真实存在的日期" in text
    assert f"{sheet}:7: 第 B 列「性别」：`x` 不是性别" in text
    assert f"{sheet}:7: 入党积极分子还没有入党，不应有入党时间" in text
    assert f"{sheet}:8: 这一行没有姓名" in text
    assert "没有写入任何文件" in result.stderr
    assert not (demo / ROSTER).exists()


def test_a_place_without_a_direction_and_a_flow_without_a_place(demo: Path, tmp_path: Path) -> None:
    rows = [
        ["姓名", "党员状态", "流动情况", "流动地点", "流动时间"],
        ["甲", "入党申请人", None, "上海", None],
        ["乙", "入党申请人", "流入", None, "2025-01-01"],
    ]
    result = import_roster(demo, xlsx(tmp_path / "a.xlsx", rows))
    assert result.exit_code == 1
    assert ":2: 填写了流动地点或时间，但流动情况是空的" in result.stdout
    assert ":3: 流动党员要写流动地点" in result.stdout


def test_ids_come_from_the_number_column(demo: Path, tmp_path: Path) -> None:
    rows = [["编号", "姓名", "党员状态"], ["m-chen-lei", "陈磊", "入党积极分子"], [None, "刘芳", "入党申请人"]]
    result = import_roster(demo, xlsx(tmp_path / "a.xlsx", rows))
    assert result.exit_code == 0, result.output
    assert members(demo)["陈磊"]["id"] == "m-chen-lei"
    assert members(demo)["刘芳"]["id"] == f"m-{ORG}-3"


@pytest.mark.parametrize(
    "rows, message",
    [
        (
            [["编号", "姓名", "党员状态"], ["m-yang-jianxin", "杨建新", "正式党员"]],
            "编号 `m-yang-jianxin` 已是「溪南村党支部」（caota-xinan）的党员",
        ),
        ([["编号", "姓名", "党员状态"], ["M 01", "陈磊", "入党申请人"]], "编号 `M 01` 不符合格式"),
        (
            [["姓名", "党员状态"], ["陈磊", "入党申请人"], ["陈磊", "入党申请人"]],
            "表格里有两位「陈磊」（第 2 行和这一行）",
        ),
        (
            [["编号", "姓名", "党员状态"], ["m-a", "陈磊", "入党申请人"], ["m-a", "陈雷", "入党申请人"]],
            "与第 2 行是同一位党员（编号 m-a）",
        ),
        (
            [["姓名", "出生年份", "出生日期", "党员状态"], ["陈磊", 1990, 1990, "入党申请人"]],
            "第 B 列「出生年份」和第 C 列「出生日期」都是出生年份",
        ),
        ([["姓名", "性别"], ["陈磊", "男"]], "缺少党员状态 — 表格加一列「党员状态」（或「政治面貌」）"),
        ([["姓名", "党员状态", "职务", "书记星级"], ["陈磊", "正式党员", "委员", "3A"]], "只有书记才有书记星级"),
    ],
    ids=["other-org", "bad-id", "same-name", "same-id", "two-birth-columns", "no-status", "grade"],
)
def test_row_problems(demo: Path, tmp_path: Path, rows: list[list[Any]], message: str) -> None:
    result = import_roster(demo, xlsx(tmp_path / "a.xlsx", rows))
    assert result.exit_code == 1
    assert message in result.stdout


def test_two_members_of_the_same_name_need_the_number_column(demo: Path, tmp_path: Path) -> None:
    path = demo / "registry/members/caota/caota-xinan.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "- id: m-yang-jianxin-2\n  name: 杨建新\n  org: caota-xinan\n"
        "  status: 入党申请人\n",
        encoding="utf-8",
    )
    sheet = xlsx(tmp_path / "a.xlsx", [["姓名", "党员状态"], ["杨建新", "入党申请人"]])
    result = run("import", "roster", sheet, "--root", demo, "--org", "caota-xinan")
    assert result.exit_code == 1
    assert "名册里有 2 位「杨建新」，不知道是哪一位" in result.stdout


def test_a_change_that_breaks_another_file_is_refused(demo: Path, tmp_path: Path) -> None:
    """Taking the post 书记 from the org's secretary would break registry/orgs/caota/caota-xinan.yaml."""
    sheet = xlsx(
        tmp_path / "a.xlsx",
        [
            ["编号", "姓名", "党员状态", "入党日期", "职务", "书记星级"],
            ["m-yang-jianxin", "杨建新", "正式党员", "1988-07-01", "委员", None],
        ],
    )
    before = files_of(demo)
    result = run("import", "roster", sheet, "--root", demo, "--org", "caota-xinan")
    assert result.exit_code == 1
    assert "registry/orgs/caota/caota-xinan.yaml:" in result.stdout
    assert files_of(demo) == before


def test_dry_run_writes_nothing(demo: Path, tmp_path: Path) -> None:
    before = files_of(demo)
    result = import_roster(demo, xlsx(tmp_path / "a.xlsx", MESSY, MESSY_MERGES), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "试运行" in result.stderr and "新增 5 人" in result.stderr
    assert files_of(demo) == before


# --- CSV files ----------------------------------------------------------------------------------


CSV_MEMBERS = {
    "张建国": {
        "status": "正式党员",
        "joined": datetime.date(1995, 7, 1),
        "posts": ["书记"],
        "born": 1970,
        "gender": "男",
    },
    "刘芳": {
        "status": "预备党员",
        "joined": datetime.date(2025, 12, 1),
        "born": 1988,
        "gender": "女",
        "flow": {"direction": "out", "place": "苏州", "since": datetime.date(2025, 3, 1)},
    },
    "陈磊": {"status": "入党积极分子", "born": 2001, "gender": "男"},
}


@pytest.mark.parametrize("name", ["roster-utf8.csv", "roster-utf8-bom.csv", "roster-gbk.csv", "roster-messy.csv"])
def test_csv_files_in_utf8_with_or_without_bom_and_in_gbk(demo: Path, name: str) -> None:
    result = import_roster(demo, ROSTERS / name)
    assert result.exit_code == 0, result.output
    found = members(demo)
    for person, expected in CSV_MEMBERS.items():
        assert {k: v for k, v in found[person].items() if k in expected} == expected, person
    assert ("按 GBK（GB18030）读取" in result.stderr) == (name == "roster-gbk.csv")
    assert validate(demo).ok


def test_a_csv_in_neither_utf8_nor_gbk_asks_to_resave(demo: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "a.csv"
    sheet.write_bytes("姓名,党员状态\n".encode("utf-8") + b"\xff\xfe\xfd\x80,x\n")
    result = import_roster(demo, sheet)
    assert result.exit_code == 1
    assert "另存为” CSV UTF-8" in result.stderr


# --- files that are not rosters ------------------------------------------------------------------


def test_unreadable_inputs_never_crash(demo: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "坏.xlsx"
    garbage.write_bytes(b"PK\x03\x04 not really a zip")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    empty = xlsx(tmp_path / "empty.xlsx", [])
    header_only = xlsx(tmp_path / "header.xlsx", [["姓名", "党员状态"]])
    no_name = xlsx(tmp_path / "noname.xlsx", [["名字列", "状态"], ["陈磊", "党员"]])
    cases = [
        (garbage, "无法读取 Excel 文件"),
        (old, "另存为” .xlsx"),
        (empty, "找不到表头"),
        (header_only, "表头下面没有党员"),
        (no_name, "找不到表头"),
    ]
    for sheet, message in cases:
        result = import_roster(demo, sheet)
        assert result.exit_code == 1, (sheet, result.output)
        assert message in result.stderr, (sheet, result.stderr)


def test_usage_errors_exit_2(demo: Path, tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / "a.xlsx", [["姓名", "党员状态"], ["陈磊", "入党申请人"]])
    missing_org = run("import", "roster", sheet, "--root", demo)
    assert missing_org.exit_code == 2 and "缺少 --org" in missing_org.stderr
    assert run("import", "roster", tmp_path / "nope.xlsx", "--root", demo, "--org", ORG).exit_code == 2
    unknown = run("import", "roster", sheet, "--root", demo, "--org", "caota-cesh")
    assert unknown.exit_code == 1 and f"是不是想写 `{ORG}`" in unknown.stderr
    assert run("export", "roster", "--root", demo, "--org", ORG).exit_code == 2
    assert run("export", "roster", "--root", demo, "--org", ORG, "--out", tmp_path / "a.csv").exit_code == 2


def test_the_sheet_named_with_sheet_is_read(demo: Path, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["说明"])
    roster = book.create_sheet("二支部")
    for row in (["姓名", "党员状态"], ["陈磊", "入党申请人"]):
        roster.append(row)
    book.save(tmp_path / "a.xlsx")
    assert import_roster(demo, tmp_path / "a.xlsx", "--sheet", "三支部").exit_code == 1
    result = import_roster(demo, tmp_path / "a.xlsx")  # found without --sheet too: the first sheet with a 姓名 column
    assert result.exit_code == 0, result.output
    assert "陈磊" in members(demo)


# --- export and the round trip -------------------------------------------------------------------


def test_export_writes_a_chinese_header_and_only_the_fields_in_use(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "名册.xlsx"
    result = run("export", "roster", "--root", demo, "--org", "haian-liudong", "--out", out)
    assert result.exit_code == 0, result.output
    assert "请勿公开传播" in result.stderr
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["编号", "姓名", "性别"]
    roster = members(demo, "haian-liudong")
    assert ("流动情况" in header) == any("flow" in m for m in roster.values())
    assert ("书记星级" in header) == any("grade" in m for m in roster.values())
    assert ("是否公开" in header) == any("public" in m for m in roster.values())
    assert "流动情况" in header
    assert sheet.max_row == 1 + len(roster)


@pytest.mark.parametrize("org", ["caota-xinan", "haian-liudong", "jiangyin-xiagang-puhuiyuan"])
def test_export_then_import_gives_back_the_same_roster(demo: Path, tmp_path: Path, org: str) -> None:
    out = tmp_path / "roster.xlsx"
    assert run("export", "roster", "--root", demo, "--org", org, "--out", out).exit_code == 0
    before = files_of(demo)
    again = run("import", "roster", out, "--root", demo, "--org", org)
    assert again.exit_code == 0, again.output
    assert "没有变化" in again.stderr
    assert files_of(demo) == before
    original = members(demo, org)
    roster_files = {r.file for r in validate(demo).registry.all("member") if r.get("org") == org}
    for rel in roster_files:
        (demo / rel).unlink()
    rebuilt = run("import", "roster", out, "--root", demo, "--org", org)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert members(demo, org) == original
    assert validate(demo).ok


def test_export_of_an_org_without_members_is_a_template(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert run("export", "roster", "--root", demo, "--org", ORG, "--out", out).exit_code == 0
    header = [c.value for c in openpyxl.load_workbook(out).active[1]]
    assert header[0] == "编号" and "是否公开" in header and "流动地点" in header


# --- export never overwrites what it did not make --------------------------------------------------


def test_export_may_overwrite_its_own_roster_even_after_it_was_edited(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "名册.xlsx"
    assert run("export", "roster", "--root", demo, "--org", "haian-liudong", "--out", out).exit_code == 0
    book = openpyxl.load_workbook(out)  # edited and saved again, as a secretary does before re-importing
    book.active["B2"] = "手改"
    book.save(out)
    result = run("export", "roster", "--root", demo, "--org", "haian-liudong", "--out", out)
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).active["B2"].value != "手改"


def _not_ours(tmp_path: Path) -> dict[str, Path]:
    """Files at an `--out` path that dangjian did not export (the same header rows as an export, too)."""
    plain = xlsx(tmp_path / "plain.xlsx", [["编号", "姓名", "党员状态"], ["m-1", "陈磊", "正式党员"]])
    signed = openpyxl.Workbook()
    signed.properties.creator = "dangjian"  # the author field alone is anyone's to type
    signed.save(tmp_path / "signed.xlsx")
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04 not really a workbook")
    return {"plain": plain, "creator-only": tmp_path / "signed.xlsx", "garbage": garbage}


@pytest.mark.parametrize("case", ["plain", "creator-only", "garbage"])
def test_export_refuses_to_overwrite_a_file_it_did_not_make(demo: Path, tmp_path: Path, case: str) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    out = _not_ours(folder)[case]
    before = out.read_bytes()
    result = run("export", "roster", "--root", demo, "--org", "haian-liudong", "--out", out)
    assert result.exit_code == 2, result.output
    assert str(out) in result.stderr and "不是 dangjian 导出的名册" in result.stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["garbage.xlsx", "plain.xlsx", "signed.xlsx"]  # no temp left


def test_export_never_writes_through_or_replaces_a_link(demo: Path, tmp_path: Path) -> None:
    ours = tmp_path / "ours.xlsx"
    assert run("export", "roster", "--root", demo, "--org", ORG, "--out", ours).exit_code == 0
    before = ours.read_bytes()
    link = tmp_path / "link.xlsx"
    link.symlink_to(ours)  # even a link to a roster dangjian made: the link is not ours
    result = run("export", "roster", "--root", demo, "--org", "haian-liudong", "--out", link)
    assert result.exit_code == 2, result.output
    assert "符号链接" in result.stderr
    assert link.is_symlink() and ours.read_bytes() == before
