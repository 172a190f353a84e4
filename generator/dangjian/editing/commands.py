"""Command-line commands for editors, registered on the `dangjian` group (see cli.py).

`new <type>` writes a commented skeleton; `import roster` and `export roster` move an
org's member roster between the registry and a spreadsheet. Every command checks the
registry as it would be after the change and writes nothing when that adds a problem.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from ..cli import EXIT_PROBLEMS, EXIT_USAGE, main, root_option
from ..model import Registry
from ..personal import redact
from ..problems import Problem, format_text
from ..recordtypes import RECORD_TYPES
from ..validate import Validation, validate
from . import checks
from .asking import AnswerError, MissingAnswers, gather
from .export import write_roster
from .merge import Edits, Plan, is_clean, plan_edits, plan_import
from .pending import Refusal, TextFile, new_problems, validate_with, write_all
from .roster import HEADER_SEARCH_ROWS, RosterSheet, SheetProblem, SheetRow, find_header, read_roster
from .scaffold import SCAFFOLDS, Draft, Scaffold
from .sheet import SheetError, read_grid


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    """Print `✗ message` (any ID or phone number in it masked) and stop with `code`."""
    click.echo(f"✗ {redact(message)}", err=True)
    sys.exit(code)


def checked_org(reg: Registry, org: str | None) -> str:
    """The org id given with --org: missing is a usage error (2), unknown a refusal (1)."""
    if not org:
        raise click.UsageError("缺少 --org：写上组织的编号，例如 --org caota-xinan")
    try:
        return checks.reference("org")(org, {}, reg)
    except AnswerError as err:
        fail(str(err))


def caused_problems(root: Path, before: Validation, files: dict[str, TextFile]) -> list[Problem]:
    """The problems the registry would have with `files` written that it does not have now."""
    return new_problems(before.problems, validate_with(root, files))


# --- dangjian new ------------------------------------------------------------------------------


@main.group("new")
def new_group() -> None:
    """新建记录：组织、党员、书记项目、典型事迹、活动、党建品牌。

    在终端里运行会逐项提问；脚本里用选项给出全部要点（缺少时退出码为 2）。
    写入前先校验，有问题就不写。
    """


def _new_command(scaffold: Scaffold) -> None:
    """Register `dangjian new <kind>` with one option per question."""

    def command(root: Path, yes: bool, **flags: str | tuple[str, ...] | None) -> None:
        given = {name: "、".join(value) if isinstance(value, tuple) else value for name, value in flags.items()}
        run_new(scaffold, root, yes, {k: v for k, v in given.items() if v})

    for question in reversed(scaffold.questions):
        command = click.option(
            question.flag, question.name, default=None, multiple=question.name == "post", help=question.help
        )(command)
    command = click.option("--yes", "-y", is_flag=True, help="不再询问有默认值的项，写入前不再确认")(command)
    new_group.command(scaffold.kind, help=scaffold.help)(root_option(command))


def run_new(scaffold: Scaffold, root: Path, yes: bool, given: dict[str, str]) -> None:
    """Gather the answers, draft the file, check the registry as it would be, then write."""
    before = validate(root)
    try:
        answers, asked = gather(list(scaffold.questions), given, before.registry, yes)
        draft = scaffold.draft(before.registry, answers)
    except MissingAnswers as err:
        flags = "、".join(q.flag for q in err.questions)
        click.echo(
            f"dangjian new {scaffold.kind}：缺少 {flags} — 在终端里运行会逐项提问；在脚本里请用这些选项给出", err=True
        )
        sys.exit(EXIT_USAGE)
    except Refusal as err:
        fail(str(err))
    if asked and not yes:
        _confirm(draft)
    problems = caused_problems(root, before, {draft.path: draft.file})
    if problems:
        click.echo(format_text(problems))
        fail(f"写入后登记簿会有 {len(problems)} 个问题，没有写入 {draft.path}")
    try:
        write_all(root, {draft.path: draft.file})
    except Refusal as err:  # a link put in the way since the file was read
        fail(str(err))
    click.echo(draft.path)
    how = "添加到" if draft.appended else "新建"
    click.echo(f"✓ 已{how} {draft.path}：{RECORD_TYPES[draft.kind].title} `{draft.record_id}`，校验通过", err=True)


def _confirm(draft: Draft) -> None:
    """Show what will be written and ask before writing."""
    click.echo(f"\n将{'添加到' if draft.appended else '新建'} {draft.path}：\n", err=True)
    click.echo(draft.added, err=True)
    if not click.confirm("写入吗？", default=True, err=True):
        fail("已取消，没有写入任何文件")


for _scaffold in SCAFFOLDS.values():
    _new_command(_scaffold)


# --- dangjian import roster / export roster ----------------------------------------------------


@main.group("import")
def import_group() -> None:
    """从表格导入数据（目前是党员名册）。"""


@import_group.command("roster")
@root_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", help="导入到哪个组织（组织编号），例如 caota-xinan")
@click.option("--sheet", help="工作表名称（默认：第一个有“姓名”列的工作表）")
@click.option("--dry-run", is_flag=True, help="只检查并报告将做的修改，不写入")
def import_roster_command(root: Path, file: Path, org: str | None, sheet: str | None, dry_run: bool) -> None:
    """从 Excel（.xlsx）或 CSV 表格导入一个组织的党员名册。

    表格第一行（或标题下面的一两行）是列名：姓名、性别、出生年份、党员状态、入党时间、职务、
    流动情况、流动地点、流动时间、是否公开、编号。含身份证号码或电话号码的列会被拒绝。
    重复导入同一张表格不会改变任何文件。
    """
    before = validate(root)
    org = checked_org(before.registry, org)
    source = str(file)
    roster = read_roster_file(file, sheet)
    plan = plan_import(before.registry, org, roster)
    _print_notes(source, roster.notes + [n for change in plan.changes for n in _row_notes(change.row)])
    _stop_on_sheet_problems(source, roster.problems + plan.problems)
    try:
        edits = plan_edits(root, before.registry, plan)
    except Refusal as err:
        fail(str(err))
    _stop_on_registry_problems(source, edits, caused_problems(root, before, edits.files))
    try:
        written = [] if dry_run or not plan.changes else write_all(root, edits.files)
    except Refusal as err:  # a link put in the way since the files were read
        fail(str(err))
    for path in written:
        click.echo(path)
    _import_summary(before.registry, plan, len(roster.rows), dry_run)


def read_roster_file(file: Path, sheet: str | None) -> RosterSheet:
    """The roster in a spreadsheet file; an unreadable file or one without a roster stops with exit 1."""
    try:
        grid = read_grid(file, sheet, lambda g: find_header(g) is not None)
    except SheetError as err:
        fail(f"{file}：{err}")
    except OSError as err:
        fail(f"{file}：无法读取文件（{err.strerror}）")
    for notice in grid.notices:
        click.echo(f"{file}: 提示：{notice}", err=True)
    roster = read_roster(grid)
    if roster is None:
        fail(f"{file}：找不到表头 — 表格前 {HEADER_SEARCH_ROWS} 行里要有一行列名，其中一列叫「姓名」")
    if not roster.rows and not roster.problems:
        fail(f"{file}：表头下面没有党员 — 每位党员一行，写在列名下面")
    return roster


def _row_notes(row: SheetRow) -> list[SheetProblem]:
    return [SheetProblem(row.number, note) for note in row.notes]


def sheet_line(source: str, problem: SheetProblem, note: bool = False) -> str:
    """`FILE:ROW: message — hint`, with any ID or phone number masked."""
    hint = f" — {problem.hint}" if problem.hint else ""
    return redact(f"{source}:{problem.row}: {'提示：' if note else ''}{problem.message}{hint}")


def _print_notes(source: str, notes: list[SheetProblem]) -> None:
    for note in sorted(notes, key=lambda n: n.row):
        click.echo(sheet_line(source, note, note=True), err=True)


def _stop_on_sheet_problems(source: str, problems: list[SheetProblem]) -> None:
    if not problems:
        return
    for problem in sorted(problems, key=lambda p: p.row):
        click.echo(sheet_line(source, problem))
    rows = len({p.row for p in problems})
    fail(f"表格有 {len(problems)} 个问题（涉及 {rows} 行），没有写入任何文件 — 改正表格后重新导入")


def _stop_on_registry_problems(source: str, edits: Edits, problems: list[Problem]) -> None:
    """Problems the import would cause: on a member's lines, they are shown at the sheet row it comes from."""
    if not problems:
        return
    for problem in problems:
        row = edits.row_at(problem.file, problem.line)
        if row is None:
            click.echo(format_text([problem]))
        else:
            click.echo(sheet_line(source, SheetProblem(row, f"写入名册后：{problem.message}", problem.hint)))
    fail(f"导入后登记簿会有 {len(problems)} 个问题，没有写入任何文件")


def _import_summary(reg: Registry, plan: Plan, rows: int, dry_run: bool) -> None:
    name = reg.orgs[plan.org].get("name", plan.org)
    counts = f"新增 {len(plan.added)} 人，更新 {len(plan.updated)} 人，未变 {plan.unchanged} 人"
    if plan.missing:
        shown = "、".join(f"{r.get('name', '')}（{r.id}）" for r in plan.missing[:20])
        more = f" 等 {len(plan.missing)} 人" if len(plan.missing) > 20 else ""
        click.echo(f"名册中有、表格中没有（没有删除，请核实）：{shown}{more}", err=True)
    if not plan.changes:
        click.echo(f"✓ 「{name}」的名册没有变化（表格中 {rows} 人都与登记簿一致），没有写入文件", err=True)
    elif dry_run:
        click.echo(f"✓ 试运行：导入「{name}」的名册将{counts}；没有写入文件", err=True)
    else:
        click.echo(f"✓ 已导入「{name}」的名册：{counts}，校验通过", err=True)


@main.group("export")
def export_group() -> None:
    """把登记簿中的数据导出：党员名册（表格）和党员履责证（可打印的网页文件）。"""


@export_group.command("roster")
@root_option
@click.option("--org", help="导出哪个组织的名册（组织编号）")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="写入的 .xlsx 文件")
def export_roster_command(root: Path, org: str | None, out: Path | None) -> None:
    """把一个组织的党员名册导出为 Excel 表格（.xlsx），供离线核对、修改后再导入。

    表格含不公开党员的姓名：只在组织部门内部使用，不要公开传播。
    """
    if out is None:
        raise click.UsageError("缺少 --out：写入哪个文件，例如 --out 名册.xlsx")
    if out.suffix.lower() != ".xlsx":
        raise click.UsageError(f"--out 应是 .xlsx 文件，而不是 `{out.name}`")
    before = validate(root)
    org = checked_org(before.registry, org)
    members = [r for r in before.registry.all("member") if r.get("org") == org]
    broken = [r for r in members if not is_clean(r)]
    if broken:
        where = "、".join(f"{r.file} 第 {r.pos()[0]} 行" for r in broken[:5])
        fail(
            f"名册里有 {len(broken)} 位党员的记录有错误（{where}），"
            "导出会丢掉这些内容 — 先运行 dangjian validate 并修正"
        )
    try:
        write_roster([r.data for r in members], out)
    except OSError as err:
        fail(f"无法写入 {out}：{err.strerror}")
    click.echo(str(out))
    click.echo(
        f"✓ 已导出「{before.registry.orgs[org].get('name', org)}」的 {len(members)} 人到 {out}"
        "（含不公开党员的姓名，请勿公开传播）",
        err=True,
    )
