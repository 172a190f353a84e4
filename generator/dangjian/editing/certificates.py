"""`dangjian export certificates`: every scored member's duty record (党员履责证) of a year, printable.

Off the site, for the branch to print and hand out: one self-contained HTML file per member (inline print
CSS for A5 pages, no external resource), an `index.html` listing them and `all.html` holding every one
(print once, cut nothing). Members of the org and of every org below it (a 党委 prints its branches' too),
private members included: a certificate is the member's own, so it carries the ledger's notes (internal:
never on the site) and their 履责手记. The folder is an editor's, so nothing in it is deleted, and a file
is replaced only when dangjian wrote it (its first bytes carry `MARK`): every target is checked before
anything is written.
"""

from __future__ import annotations

import datetime
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..cli import EXIT_USAGE, root_option
from .. import timeline
from ..duty import DutyBook
from ..model import Registry
from ..rolls import Rolls, year_end
from ..themeconfig import TEMPLATES
from ..site.duty import year_view
from ..site.output import made_by_dangjian as site_made_by_dangjian
from ..validate import validate
from .commands import checked_org, export_group, fail
from .pending import file_mode

# Every file this command writes starts with these bytes (the template's first line): `--out` may replace
# a file that carries them, never another.
MARK = "<!DOCTYPE html>\n<!-- dangjian export certificates -->\n"
MARK_BYTES = MARK.encode("utf-8")
INDEX, ALL = "index.html", "all.html"


class CertificateError(Exception):
    """The certificates cannot be written where asked (a message in Chinese, for the editor)."""


@dataclass(frozen=True)
class Certificate:
    """One member's certificate as written: the file name and the page's context."""

    member: str
    file: str
    context: dict[str, Any]


def members_of(reg: Registry, org_id: str, duties: DutyBook, year: int) -> list[str]:
    """The members scored in `year` whom the year placed in `org_id` or an org below it (the tree of 31
    December: rolls.py): the org's own first, then by org id, then id."""
    rolls = duties.scores.rolls
    orgs = rolls.subtree(org_id, year_end(year))
    rank = {org: n for n, org in enumerate([org_id, *sorted(set(orgs) - {org_id})])}
    placed = {m: placed_in(rolls, m, year) for m in reg.members if duties.scores.scored_in(m, year)}
    return sorted((m for m, org in placed.items() if org in rank), key=lambda m: (rank[placed[m] or ""], m))


def placed_in(rolls: Rolls, member_id: str, year: int) -> str | None:
    """The org whose roll the member was on at the end of `year`, or, for one who left or moved out of the
    registry during it, on their last day on a roll that year."""
    days = [year_end(year)]
    for event in reversed(timeline.events(rolls.members[member_id].data)):
        day = event[1]["date"]
        if day.year == year and day > datetime.date(year, 1, 1):
            days.append(day - datetime.timedelta(days=1))
    return next((org for day in days if (org := rolls.on_roll(member_id, day)) is not None), None)


def certificates(reg: Registry, org_id: str, year: int, today: datetime.date) -> list[Certificate]:
    """Every certificate of `year` for the members of `org_id` and below."""
    duties = DutyBook(reg)
    issuer = reg.orgs[org_id].get("name", org_id)
    made = []
    for member_id in members_of(reg, org_id, duties, year):
        member = reg.members[member_id]
        org = reg.orgs.get(placed_in(duties.scores.rolls, member_id, year) or "")
        context = {
            "name": member.get("name", member_id),
            "org": org.get("name", org.id) if org is not None else "",
            "issuer": issuer,
            "joined": member.get("joined"),
            "status": member.get("status"),
            "posts": "、".join(member.get("posts", [])),
            "record": year_view(duties.record(member_id, year), for_the_member=True),
            "today": today,
        }
        made.append(Certificate(member_id, f"{member_id}.html", context))
    return made


def environment() -> Environment:
    """Jinja for the certificate templates (site_templates/pages/certificate*.html), autoescaped."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES / "pages")), autoescape=select_autoescape(default=True))
    env.filters["stars"] = lambda n: "★" * n + "☆" * (5 - n)
    return env


def render(certs: list[Certificate], issuer: str, year: int, today: datetime.date) -> dict[str, str]:
    """Every file to write, by name: each member's certificate, the index, and all of them in one."""
    env = environment()
    page = env.get_template("certificate.html")
    files = {
        c.file: page.render(certs=[c.context], title=f"{c.context['name']} · {year} 年度党员履责证") for c in certs
    }
    files[ALL] = page.render(certs=[c.context for c in certs], title=f"{issuer} · {year} 年度党员履责证（全部）")
    files[INDEX] = env.get_template("certificate_index.html").render(
        certs=certs, issuer=issuer, year=year, today=today, all=ALL
    )
    for name, text in files.items():
        if not text.startswith(MARK):  # the mark is what lets a later run replace the file: never write without it
            raise CertificateError(f"内部错误：{name} 缺少 dangjian 的标记")
    return files


def check_place(root: Path, out: Path) -> None:
    """Refuse a folder whose files would be published: the registry's own (committed, and `content/` built
    into the site) or a built site's (uploaded as it is). Certificates name private members."""
    where = out.resolve()
    for part in ("registry", "content"):
        if where.is_relative_to((root / part).resolve()):
            raise CertificateError(
                f"{out} 在登记簿的 {part}/ 里：那里的文件会提交到仓库、公开在网站上，而履责证含不公开党员的信息 — "
                "请换一个登记簿以外的文件夹"
            )
    for folder in (where, *where.parents):
        if site_made_by_dangjian(folder):
            raise CertificateError(
                f"{out} 在 dangjian 生成的网站文件夹 {folder} 里：网站会整个上传公开，而履责证含不公开党员的信息 — "
                "请换一个文件夹"
            )


def check_out(out: Path, names: list[str]) -> None:
    """Refuse, before anything is written, a folder that is a link or a file, and any target not ours."""
    if os.path.islink(out):
        raise CertificateError(f"{out} 是符号链接：为免写到别处，请给出一个普通文件夹")
    if os.path.lexists(out) and not out.is_dir():
        raise CertificateError(f"{out} 已经存在，而且不是文件夹")
    for name in names:
        target = out / name
        if not os.path.lexists(target):
            continue
        if not stat.S_ISREG(os.lstat(target).st_mode) or not made_by_dangjian(target):
            raise CertificateError(
                f"{target} 已经存在，而且不是 dangjian 导出的履责证：为免覆盖别的文件，请换一个文件夹，或先把它移走"
            )


def made_by_dangjian(path: Path) -> bool:
    """Whether the file at `path` starts with the mark every certificate file carries."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MARK_BYTES)) == MARK_BYTES
    except OSError:
        return False


def write(out: Path, files: dict[str, str]) -> list[Path]:
    """Write every file atomically (a temporary file beside it, then rename) after checking every target."""
    check_out(out, sorted(files))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(files):
        target = out / name
        handle, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(files[name])
            os.chmod(temp, file_mode(target))
            os.replace(temp, target)
        finally:
            Path(temp).unlink(missing_ok=True)
        written.append(target)
    return written


# --- dangjian export certificates (registered on `export` when cli.py imports this module) ----------------


@export_group.command("certificates")
@root_option
@click.option("--org", help="打印哪个组织（组织编号）的党员履责证；包括其下级组织的党员")
@click.option("--year", type=click.IntRange(1900, 2100), help="哪一年的履责证，例如 2015")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="写入的文件夹")
def export_certificates_command(root: Path, org: str | None, year: int | None, out: Path | None) -> None:
    """把一个组织（含下级组织）每位计分党员某一年的履责证导出为可打印的网页文件（A5 纸）。

    每人一个文件，另有 index.html（目录）和 all.html（全部，一次打印）。

    含不公开党员的姓名和积分说明：只在组织内部使用，不要公开传播。
    """
    if year is None:
        raise click.UsageError("缺少 --year：哪一年的履责证，例如 --year 2015")
    if out is None:
        raise click.UsageError("缺少 --out：写入哪个文件夹，例如 --out 履责证-2015")
    result = validate(root)
    org_id = checked_org(result.registry, org)
    if result.problems:
        fail(f"登记簿有 {len(result.problems)} 个问题，履责证可能算错 — 先运行 dangjian validate 并修正")
    reg = result.registry
    today = datetime.date.today()
    certs = certificates(reg, org_id, year, today)
    issuer = reg.orgs[org_id].get("name", org_id)
    if not certs:
        fail(f"「{issuer}」及其下级组织在 {year} 年没有计分的党员（预备党员、正式党员）：没有写入文件")
    try:
        check_place(root, out)
        written = write(out, render(certs, issuer, year, today))
    except CertificateError as err:
        fail(str(err), EXIT_USAGE)
    except OSError as err:
        fail(f"无法写入 {out}：{err.strerror}")
    click.echo(str(out / INDEX))
    click.echo(
        f"✓ 已导出「{issuer}」{year} 年度 {len(certs)} 人的履责证到 {out}（共 {len(written)} 个文件；"
        f"一次打印全部请打开 {ALL}）。含不公开党员的信息，请勿公开传播",
        err=True,
    )
