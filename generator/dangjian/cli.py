"""The `dangjian` command line. Exit status: 0 success, 1 problems found (in the registry or its site),
2 bad usage, 3 could not run (not a registry, no git, an error of the machine, a defect of dangjian)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from . import clitext
from .problems import FORMATTERS, format_text
from .recordtypes import SCORED_STATUSES
from .validate import NotARegistry, Validation, validate

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from collections.abc import Iterator

    from .model import Registry

    Advance = Callable[[str, int, int], None]

clitext.install()  # click's own words (Usage:, Error:, ...) in Chinese, before any command is declared

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


def valid_registry(root: Path) -> Validation:
    """Validate first: computing over a registry with problems would print wrong figures."""
    result = validate(root)
    if not result.ok:
        click.echo(format_text(result.problems), err=True)
        click.echo(f"✗ 登记簿有 {len(result.problems)} 个问题，请先修正（dangjian validate）", err=True)
        sys.exit(EXIT_PROBLEMS)
    return result


def root_option(command: Callable) -> Callable:
    """`--root DIR` (default: the current folder), on every subcommand."""

    @click.option(
        "--root",
        "root",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="登记簿的根目录（包含 registry/ 的文件夹）",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, root: Path, **kwargs: Any) -> Any:
        try:
            return command(*args, root=root, **kwargs)
        except NotARegistry as err:
            click.echo(f"dangjian: {err}", err=True)
            sys.exit(EXIT_CANNOT_RUN)

    return wrapper


def trims_cache(command: Callable) -> Callable:
    """A command that writes to the cache trims it when it ends, however it ends (`cache.trim`: least recently
    used entries over `$DANGJIAN_CACHE_LIMIT` go). Put it right above the `def`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        finally:
            from .cache import trim

            trim()

    return wrapper


class _Main(clitext.ChineseGroup):
    """The top group: the editors' commands (`new`, `import`, `export`) are declared in their own modules, imported
    only when a command is not found among those loaded or the commands are listed (help, completion). Importing
    them cost every `dangjian build` and `validate` 0.15 s."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and _load_editing():
            command = super().get_command(ctx, name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        _load_editing()
        return super().list_commands(ctx)


def _load_editing() -> bool:
    """Declare the editors' commands on `main` (once); True if this call declared them."""
    if "new" in main.commands:
        return False
    from .editing import certificates, commands  # noqa: F401 - their decorators declare the commands on `main`

    return True


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dangjian")
def main() -> None:
    """dangjian：基层党建登记簿的校验与发布工具。"""


def run() -> None:
    """The console entry point: a defect in dangjian is reported in one line, never as a traceback; the process
    ends as soon as the command has (`_leave`)."""
    try:
        _run()
    except SystemExit as end:
        _leave(end)


def _leave(end: SystemExit) -> None:
    """End the process with `end`'s status at once, its output flushed. A command is done when it returns: its files
    are closed and its workers joined (every one is in a `with` block), and what the interpreter would still do is
    free every object one by one, which no file needs: 0.05 s of a county rebuild's 1 s. A status that is a message
    (`sys.exit("…")`) ends as Python ends it, printing it."""
    if end.code is not None and not isinstance(end.code, int):
        raise end
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (a closed pipe): nothing left to tell it
            pass
    os._exit(end.code or 0)


def _run() -> None:
    try:
        main(standalone_mode=True)
    except Exception as err:  # noqa: BLE001 - the last safety net; click handles usage errors itself
        import traceback

        from .oserrors import describe

        if os.environ.get("DANGJIAN_DEBUG"):
            traceback.print_exc()
        said = describe(err)  # the machine's (disk full, no permission): the user's to fix, not a defect
        if said:
            click.echo(f"✗ {said}", err=True)
            sys.exit(EXIT_CANNOT_RUN)
        where = traceback.extract_tb(err.__traceback__)[-1]
        click.echo(
            f"dangjian 内部错误：{type(err).__name__}: {err}（{Path(where.filename).name}:{where.lineno}）"
            "— 这是 dangjian 的缺陷，请报告；设置环境变量 DANGJIAN_DEBUG=1 可看到详细信息",
            err=True,
        )
        sys.exit(EXIT_CANNOT_RUN)


@main.command("validate")
@root_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATTERS)),
    default="text",
    show_default=True,
    help="输出格式：text（FILE:LINE:COLUMN: 信息）、json 或 github（工作流注释）",
)
@trims_cache
def validate_command(root: Path, fmt: str) -> None:
    """检查登记簿的全部文件，一次列出所有问题。"""
    result = validate(root, full=False)
    output = FORMATTERS[fmt](result.problems)
    if output or fmt == "json":
        click.echo(output)
    if fmt == "text":
        if result.ok:
            click.echo(f"✓ 登记簿没有问题：{result.files} 个文件，{result.records} 条记录", err=True)
        else:
            files = len({p.file for p in result.problems})
            click.echo(f"✗ 发现 {len(result.problems)} 个问题，涉及 {files} 个文件", err=True)
    sys.exit(0 if result.ok else EXIT_PROBLEMS)


@main.command("schema")
@root_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="写入 JSON Schema 和字段参考 fields.md 的文件夹（写到 docs/reference 时也更新 .vscode/settings.json）",
)
def schema_command(root: Path, out: Path) -> None:
    """生成编辑器用的 JSON Schema 和字段参考文档。"""
    from .reference import write_reference

    if os.path.islink(out):  # a committed docs/reference -> elsewhere: the files would land there
        raise click.BadParameter(f"{out} 是符号链接：请直接给出一个普通文件夹", param_hint="--out")
    written = write_reference(out)
    click.echo(f"已写入 {len(written)} 个文件到 {out}", err=True)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="输出格式：text（表格）或 json",
)


@main.command(
    "score", help=f"列出每位计分党员（YEAR 年底前入党的{'、'.join(SCORED_STATUSES)}）在 YEAR 年的积分和星级。"
)
@root_option
@click.argument("year", type=click.IntRange(1900, 2100))
@FORMAT_OPTION
@trims_cache
def score_command(root: Path, year: int, fmt: str) -> None:
    """Each scored member's points and stars in YEAR (the help names the scored statuses from recordtypes.py)."""
    from . import report
    from .scores import ScoreBook

    reg = valid_registry(root).registry
    scores = ScoreBook(reg).year(year)
    click.echo(report.scores_json(scores) if fmt == "json" else report.scores_table(reg, scores, year))


@main.command("rank")
@root_option
@click.argument(
    "scheme", required=False, metavar="SCHEME"
)  # missing: the error lists the schemes, which click cannot know
@click.argument("period", required=False)
@FORMAT_OPTION
@trims_cache
def rank_command(root: Path, scheme: str | None, period: str | None, fmt: str) -> None:
    """显示排位方案 SCHEME 在 PERIOD 的排名（默认最近一期）。"""
    from . import report
    from .rankings import RankingBook

    reg = valid_registry(root).registry
    book = RankingBook(reg)
    if scheme not in reg.schemes:
        raise click.UsageError(_unknown_scheme(reg, scheme))
    ranking = book.ranking(scheme, period)
    if ranking is None:
        periods = "、".join(p.label for p in book.periods(scheme)) or "无"
        raise click.BadParameter(
            f"方案 `{scheme}` 没有 {period or '任何'} 一期的结果；已有：{periods}", param_hint="PERIOD"
        )
    click.echo(report.ranking_json(ranking) if fmt == "json" else report.ranking_table(ranking))


def _unknown_scheme(reg: Registry, scheme: str | None) -> str:
    """Why SCHEME is missing or unknown, with every scheme's id, name and period (in Chinese)."""
    if not reg.schemes:
        return "登记簿里还没有排位方案：先在 registry/assessments/schemes/ 下添加一个"
    periods = {"year": "每年", "quarter": "每季度", "month": "每月"}
    listed = "\n".join(
        f"  {scheme_id}  {record.get('name', '')}（{periods.get(record.get('period'), '')}）"
        for scheme_id, record in sorted(reg.schemes.items())
    )
    first = "请指定排位方案 SCHEME" if scheme is None else f"没有排位方案 `{scheme}`"
    return f"{first}，例如 dangjian rank {min(reg.schemes)}。现有的排位方案：\n{listed}"


@main.command("build")
@root_option
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="输出文件夹（默认 ROOT/site）"
)
@click.option("--no-search", is_flag=True, help="不建立搜索索引（更快，用于预览）")
@click.option(
    "--search-engine",
    type=click.Choice(["pagefind", "own"]),
    default=None,
    help="搜索索引用 dangjian 自己的索引（own，默认，只更新变了的部分）或 Pagefind；也可设 DANGJIAN_SEARCH_ENGINE",
)
@click.option("--at", "rev", default=None, metavar="REV", help="生成登记簿在某个 git 版本时的网站（分支、标签或提交）")
@click.option("--cold", is_flag=True, help="完整生成每个页面，不沿用上次生成的未变页面")
@trims_cache
def build_command(
    root: Path, out: Path | None, no_search: bool, search_engine: str | None, rev: str | None, cold: bool
) -> None:
    """校验登记簿并生成网站；有问题时什么也不写，失败时保留原来的网站。"""
    from .history import History, HistoryError
    from .site.build import BuildError, InvalidRegistry, OutputError, build
    from .site.output import refuse_output
    from .site.theme import ThemeError

    reason = refuse_output(out or root / "site", root)  # before `--at` checks out anything
    if reason:
        click.echo(f"✗ {reason}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        with _registry_at(root, rev) as source, _progress() as advance:
            history = History.of(root, rev) if rev else None
            report = build(
                source,
                out or root / "site",
                with_search=not no_search,
                history=history,
                progress=advance,
                cold=cold,
                search_engine=search_engine,
            )
    except HistoryError as err:
        _history_failed(root, err)
    except InvalidRegistry as err:
        click.echo(format_text(err.problems), err=True)
        click.echo(f"✗ 登记簿有 {len(err.problems)} 个问题，没有生成网站", err=True)
        sys.exit(EXIT_PROBLEMS)
    except OutputError as err:
        click.echo(f"✗ {err}", err=True)
        sys.exit(EXIT_USAGE)
    except (BuildError, ThemeError) as err:
        click.echo(f"✗ {err}", err=True)
        sys.exit(EXIT_CANNOT_RUN if isinstance(err.__cause__, OSError) else EXIT_PROBLEMS)  # disk full… or a leak
    for warning in report.warnings:
        click.echo(f"! {warning}", err=True)
    search = f"，{report.search}" if report.search else ""
    reused = f"，其中 {report.reused} 个页面未变，沿用上次生成的" if report.reused else ""
    click.echo(
        f"✓ 已生成 {report.pages} 个页面（共 {report.files} 个文件{reused}），"
        f"用时 {report.seconds:.1f} 秒{search}：{report.out}",
        err=True,
    )


def _registry_at(root: Path, rev: str | None) -> AbstractContextManager[Path]:
    """A context giving the registry root as it was at `rev` (a temporary checkout), or `root` itself."""
    import contextlib
    import tempfile

    from .history import checkout, remove

    @contextlib.contextmanager
    def at() -> Iterator[Path]:
        if rev is None:
            yield root
            return
        scratch = Path(tempfile.mkdtemp(prefix="dangjian-at-"))
        try:
            yield checkout(root, rev, scratch / "root")
        finally:
            remove(scratch)

    return at()


@main.command("diff")
@root_option
@click.argument("rev_a")
@click.argument("rev_b", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="输出格式：markdown（用于合并请求）或 json（供脚本读取）",
)
@trims_cache
def diff_command(root: Path, rev_a: str, rev_b: str | None, fmt: str) -> None:
    """总结登记簿在两个 git 版本之间的变化（REV_B 默认为工作区），用于合并请求。"""
    from .diff import diff
    from .history import HistoryError

    try:
        click.echo(diff(root, rev_a, rev_b, fmt), nl=False)
    except HistoryError as err:
        _history_failed(root, err)


def _history_failed(root: Path, err: Exception) -> None:
    """Exit after a revision could not be read: 3 when git cannot run here at all (no git program, the
    root outside a repository), 2 when the revision named does not exist (the user's to correct)."""
    import shutil
    import subprocess

    reason = None
    if shutil.which("git") is None:
        reason = "没有找到 git 程序：读取历史版本需要先安装 git"
    elif subprocess.run(["git", "-C", str(root), "rev-parse", "--git-dir"], capture_output=True).returncode != 0:
        reason = f"{root} 不在 git 仓库里，无法读取历史版本"
    click.echo(f"dangjian: {reason or err}", err=True)
    sys.exit(EXIT_CANNOT_RUN if reason else EXIT_USAGE)


def _progress() -> AbstractContextManager[Advance | None]:
    """A progress bar on a terminal, nothing in CI logs; yields an `advance(label, done, total)`."""
    import contextlib

    @contextlib.contextmanager
    def bar() -> Iterator[Advance | None]:
        if not sys.stderr.isatty():
            yield None
            return
        from rich.progress import Progress  # on a terminal only: 0.06 s to import

        with Progress(transient=True) as progress:
            task = progress.add_task("生成页面", total=None)

            def advance(label: str, done: int, total: int) -> None:
                progress.update(task, description=f"生成{label}", completed=done, total=total)

            yield advance

    return bar()


@main.command("serve")
@root_option
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="输出文件夹（默认 ROOT/site）"
)
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="端口")
@click.option("--no-search", is_flag=True, help="不建立搜索索引（重新生成更快）")
@click.option(
    "--search-engine",
    type=click.Choice(["pagefind", "own"]),
    default=None,
    help="搜索索引用 dangjian 自己的索引（own，默认）或 Pagefind；也可设 DANGJIAN_SEARCH_ENGINE",
)
@trims_cache
def serve_command(
    root: Path, out: Path | None, host: str, port: int, no_search: bool, search_engine: str | None
) -> None:
    """在本机预览网站；登记簿有修改时自动重新生成，浏览器自动刷新。"""
    if search_engine:  # every build the preview runs reads it (site/ownsearch.engine)
        os.environ["DANGJIAN_SEARCH_ENGINE"] = search_engine
    from .site.serve import ServeError, serve

    if not (root / "registry").is_dir():
        raise NotARegistry(f"{root} 下没有 registry/ 文件夹：用 --root 指向登记簿的根目录")
    from .site.output import refuse_output

    # The same rule as `build`, checked before the path is resolved (a symlink on the way is refused):
    # otherwise `serve --out ~` would put a home folder on HTTP.
    refusal = refuse_output(out or root / "site", root)
    if refusal is not None:
        click.echo(f"✗ {refusal}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        serve(
            root.resolve(),
            (out or root / "site").resolve(),
            host,
            port,
            not no_search,
            lambda text: click.echo(text, err=True),
        )
    except ServeError as err:
        click.echo(f"dangjian: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("已停止预览", err=True)


def _http_url(value: str | None) -> str | None:
    """An http(s) address as site.yaml's base_url must be (a missing final `/` is added later)."""
    import re

    from .recordtypes import URL_PATTERN

    if value is not None and not re.fullmatch(URL_PATTERN, value if value.endswith("/") else value + "/"):
        raise click.BadParameter(
            f"`{value}` 不是可用的网址：要以 http:// 或 https:// 开头，不含空格、引号和尖括号，"
            "例如 https://example.org/"
        )
    return value


@main.command("merge")
@root_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="合并后网站的输出文件夹（分站 NAME 在其中的 NAME/ 下）",
)
@click.option("--title", default="基层党建", show_default=True, help="合并后首页的标题")
@click.option("--description", default="", help="合并后首页的简介")
@click.option(
    "--base-url",
    default=None,
    callback=lambda ctx, param, value: _http_url(value),
    help="合并后网站的网址（如 https://example.org/），用于站点地图和规范链接",
)
@click.argument("shards", nargs=-1, required=True, metavar="NAME=DIR...")
def merge_command(
    root: Path, out: Path, title: str, description: str, base_url: str | None, shards: tuple[str, ...]
) -> None:
    """把各市分别生成的网站（dangjian build 的输出）合并为一个网站，一个搜索框搜索全部分站。

    每个分站写成 NAME=DIR（或只写 DIR，用文件夹名作 NAME），放在网址 /NAME/ 下。
    首页的外观取自 ROOT/mkdocs.yml（没有时用默认设置）。失败时保留原来的网站。
    """
    from .site.shards import MergeError, merge, parse_shard

    try:
        parsed = [parse_shard(argument) for argument in shards]
        config = root / "mkdocs.yml"
        report = merge(
            parsed,
            out,
            title=title,
            description=description,
            base_url=base_url,
            config_file=config if config.is_file() else None,
        )
    except MergeError as err:
        click.echo(f"✗ {err}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as err:
        from .oserrors import describe

        click.echo(f"✗ 合并失败，原来的网站没有改动：{describe(err, writing=True) or err}", err=True)
        sys.exit(EXIT_CANNOT_RUN)
    for warning in report.warnings:
        click.echo(f"! {warning}", err=True)
    pages = sum(shard.pages for shard in report.shards)
    click.echo(
        f"✓ 已合并 {len(report.shards)} 个分站（{pages} 个页面，共 {report.files} 个文件），"
        f"用时 {report.seconds:.1f} 秒：{report.out}",
        err=True,
    )


@main.command("synth")
@root_option
@click.option(
    "--scale",
    type=click.Choice(["town", "county", "city", "province"]),
    required=True,
    help="规模：town（镇）、county（县）、city（市）、province（省）",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="写入合成登记簿的文件夹（必须不存在或为空）",
)
@click.option("--seed", type=int, default=1, show_default=True, help="随机种子：相同参数生成完全相同的文件")
def synth_command(root: Path, scale: str, out: Path, seed: int) -> None:
    """生成确定性的合成登记簿，用于性能测试（人物均为虚构）。"""
    from .synth import synth

    if out.exists() and any(out.iterdir()):
        raise click.BadParameter(f"{out} 不是空文件夹", param_hint="--out")
    files = synth(scale, out, seed)
    click.echo(f"✓ 已写入 {files} 个文件到 {out}", err=True)


@main.command("cms")
@root_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="写入编辑页面（index.html、config.yml 和 CMS 脚本）的文件夹，例如 admin",
)
@click.option(
    "--package",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="解压后的 npm 包 @sveltia/cms 的文件夹（例如 node_modules/@sveltia/cms）：从中取 CMS 的脚本、中文界面和字体；"
    "默认用 dangjian 自带的（如果有）",
)
def cms_command(root: Path, out: Path, package: Path | None) -> None:
    """根据登记簿格式和 site.yaml 的 cms 设置，生成网页编辑页面（/admin/）。"""
    from . import cms

    site, problems = cms.read_site(root)
    if problems or site is None:
        click.echo(format_text(problems), err=True)
        click.echo("✗ registry/site.yaml 有问题，没有生成编辑页面", err=True)
        sys.exit(EXIT_PROBLEMS)
    if "cms" not in site:
        click.echo(
            "✗ registry/site.yaml 里没有 cms 设置 — 写明代码托管平台和仓库，例如 "
            "`cms: {backend: github, repo: xianwei/dangjian}`（见字段参考：网站设置）",
            err=True,
        )
        sys.exit(EXIT_PROBLEMS)
    reason = cms.refuse_output(out, root)
    if reason:
        click.echo(f"✗ {reason}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        settings = cms.CmsSettings.from_site(site["cms"])
    except cms.CmsError as err:
        click.echo(f"✗ {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
    try:
        written = cms.write_admin(out, settings, site["title"], package or cms.shipped_package())
    except cms.CmsError as err:
        click.echo(f"✗ {err}", err=True)
        sys.exit(EXIT_USAGE)
    if cms.SCRIPT_NAME not in written:
        click.echo(
            f"! 没有 CMS 脚本 {cms.SCRIPT_NAME}：dangjian 还没有自带它；用 --package 指定解压后的 npm 包 "
            "@sveltia/cms，否则页面打不开（见 docs/cms.md）",
            err=True,
        )
    click.echo(f"✓ 已写入 {len(written)} 个文件到 {out}", err=True)


@main.command("codeowners")
@root_option
@click.option(
    "--out", default=None, metavar="PATH|-", help="写到哪个文件；写 - 则输出到屏幕。默认：登记簿根目录下的 CODEOWNERS"
)
@click.option(
    "--forge",
    type=click.Choice(["github", "gitlab", "gitea"]),
    default=None,
    help="按哪个代码托管平台的写法生成（Gitea 的规则是正则表达式）；默认取 site.yaml 的 cms.backend，没有时为 github",
)
def codeowners_command(root: Path, out: str | None, forge: str | None) -> None:
    """根据各组织的 maintainers 生成 CODEOWNERS：村里的文件由本村的审核人批准，其余由上级的审核人批准。"""
    from .editing import codeowners as co

    reg = valid_registry(root).registry
    forge = forge or co.default_forge(reg)
    try:
        result = co.codeowners(reg, forge)
    except co.CodeownersError as err:
        click.echo(f"✗ {err}", err=True)
        sys.exit(EXIT_PROBLEMS)
    for path in result.skipped:
        click.echo(
            f"! {co.shown(path)}：文件名里有换行、控制字符或特殊空格，CODEOWNERS 写不出它，"
            "它由最上级组织的审核人审核 — 给它改一个普通的名字",
            err=True,
        )
    if not result.reviewed:
        click.echo("! 没有一个组织写了 maintainers：这个 CODEOWNERS 不要求任何人审核", err=True)
    if out == "-":
        click.echo(result.text, nl=False)
        return
    target = Path(out) if out else root / co.DEFAULT_OUT
    try:
        co.write(target, result.text)
    except co.CodeownersError as err:
        click.echo(f"✗ {err}", err=True)
        sys.exit(EXIT_USAGE)
    first = None if out else co.read_first(root, forge)
    if first:
        click.echo(f"! {forge} 会先读 {first}，而不是这个文件：删掉它，或用 --out {first}", err=True)
    click.echo(f"✓ 已写入 {target}（{forge} 的写法）", err=True)


@main.command("fmt")
@root_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="只检查、不写入：列出需要整理的文件，有则退出码为 1")
def fmt_command(root: Path, paths: tuple[Path, ...], check: bool) -> None:
    """把登记簿文件整理成统一的格式（网页编辑保存时写出的格式）：只改排版，内容不变，注释保留。

    不给路径时整理 registry/ 和 content/ 下的全部记录文件；可以给出文件或文件夹。
    """
    from .editing import fmt

    if not fmt.run(root, list(paths), check):
        sys.exit(EXIT_PROBLEMS)


@main.group("cache")
def cache_group() -> None:
    """查看或清理 dangjian 的缓存（放在登记簿之外，用来加快校验和生成）。"""


@cache_group.command("info")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("site"),
    show_default=True,
    help="也检查这个输出文件夹旁有没有缓存已不记得的旧网站",
)
def cache_info_command(out: Path) -> None:
    """显示缓存在哪里、各部分的条目数和大小、大小上限，以及生成时保留的旧网站。"""
    from .cache import cache_dir, describe, size_text
    from .site.output import kept_warning, recorded_kept

    lines = describe()
    if cache_dir() is not None:
        kept = recorded_kept()
        lines.append(
            f"保留的旧网站：{len(kept)} 个，{size_text(sum(site.size for site in kept))}"
            "（在输出文件夹旁的 .dangjian-staging/ 里，下一次生成时重用；dangjian cache clean 会一并删除）"
        )
        lines += [f"  {site.path}" for site in kept]
    warning = kept_warning(out)
    if warning:
        lines.append(f"! {warning}")
    click.echo("\n".join(lines))


@cache_group.command("clean")
def cache_clean_command() -> None:
    """删除 dangjian 写入的全部缓存条目（缓存文件夹里别的文件不动）和缓存记录的、生成时保留的旧网站；
    下一次校验和生成会慢一些。"""
    from .cache import cache_dir, clean, size_text
    from .site.output import remove_kept

    sites = remove_kept()  # first: without the cache's records nothing proves a kept folder is dangjian's
    done = clean()
    if done is None:
        click.echo("缓存已关闭（DANGJIAN_CACHE=off），没有要清理的", err=True)
        return
    kept = f"；另有 {done.foreign} 个不是 dangjian 写入的文件或文件夹，没有删除" if done.foreign else ""
    old = f"；并删除了 {len(sites)} 个保留的旧网站，释放 {size_text(sum(site.size for site in sites))}" if sites else ""
    click.echo(f"✓ 已清理 {done.removed} 项，释放 {size_text(done.freed)}：{cache_dir()}{old}{kept}", err=True)
