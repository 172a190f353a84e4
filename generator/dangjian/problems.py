"""Problems found in a registry: plain data, shared by every rule and every output format."""

from __future__ import annotations

import json
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place of one file; `line` and `column` are 1-based."""

    file: str
    line: int
    column: int
    message: str
    hint: str = ""
    code: str = ""  # stable rule name, for tests and the editors' guide; not printed


def internal_problem(file: str, what: str, err: Exception) -> Problem:
    """A bug of dangjian's, met while doing `what`, as a problem: the other checks' results stand."""
    where = traceback.extract_tb(err.__traceback__)[-1]
    return Problem(
        file,
        1,
        1,
        f"{what}时出错：{type(err).__name__}: {err}",
        f"这是 dangjian 的缺陷（{Path(where.filename).name}:{where.lineno}），请报告；其他检查的结果仍然有效",
        "internal",
    )


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Sort by file, then line and column; drop exact repeats."""
    return sorted(set(problems))


def format_text(problems: list[Problem]) -> str:
    """`FILE:LINE:COLUMN: message — hint`, one problem a line."""
    lines = []
    for p in problems:
        hint = f" — {p.hint}" if p.hint else ""
        lines.append(_one_line(f"{p.file}:{p.line}:{p.column}: {p.message}{hint}"))
    return "\n".join(lines)


def _one_line(text: str) -> str:
    """A quoted multi-line value would break `FILE:LINE:COLUMN:` parsing: show its breaks as ↵."""
    return text.replace("\r\n", "↵").replace("\n", "↵").replace("\r", "↵")


def format_json(problems: list[Problem]) -> str:
    """A JSON list of `{file, line, column, message, hint}`."""
    rows = [{k: v for k, v in asdict(p).items() if k != "code"} for p in problems]
    return json.dumps(rows, ensure_ascii=False, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(problems: list[Problem]) -> str:
    """GitHub Actions workflow commands: one `::error` annotation per problem."""
    lines = []
    for p in problems:
        message = f"{p.message}（{p.hint}）" if p.hint else p.message
        props = f"file={_escape_property(p.file)},line={p.line},col={p.column}"
        lines.append(f"::error {props}::{_escape_data(message)}")
    return "\n".join(lines)


FORMATTERS = {"text": format_text, "json": format_json, "github": format_github}
