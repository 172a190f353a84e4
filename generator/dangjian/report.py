"""The command line's presentations of scores and rankings: terminal tables and JSON.

The site has its own (templates under `site_templates/pages/`); both write figures through
`figures.py`, so a value reads the same everywhere.
"""

from __future__ import annotations

import json
import shutil
import sys
from fractions import Fraction
from io import StringIO

from rich.console import Console
from rich.table import Table

from .figures import number, shown, two_decimals
from .model import Registry
from .rankings import BOTTOM_TIER, MEMBERS, TOP_TIER, Ranking
from .scores import MemberScore


def change_text(change: int | str) -> str:
    """▲n, ▼n, — or 新."""
    if isinstance(change, str):  # "new": no rank in the previous period
        return "新"
    if change == 0:
        return "—"
    return f"▲{change}" if change > 0 else f"▼{-change}"


def _render(table: Table) -> str:
    buffer = StringIO()
    width = shutil.get_terminal_size((200, 24)).columns if sys.stdout.isatty() else 200
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(table)
    return buffer.getvalue().rstrip("\n")


def scores_json(scores: list[MemberScore]) -> str:
    """`[{member, score, stars}]` ordered by member id."""
    return json.dumps(
        [{"member": s.member, "score": number(s.score), "stars": s.stars} for s in scores], ensure_ascii=False, indent=2
    )


def scores_table(reg: Registry, scores: list[MemberScore], year: int) -> str:
    """A table of yearly scores with names, orgs, stars and secretaries' grades."""
    table = Table(title=f"{year} 年党员积分（{len(scores)} 人）")
    for header in ("党员编号", "姓名", "组织", "积分", "星级", "书记星级"):
        table.add_column(header, justify="right" if header == "积分" else "left")
    for score in scores:
        member = reg.members[score.member]
        org = reg.orgs.get(member.get("org"))
        table.add_row(
            score.member,
            member.get("name", ""),
            org.get("name", "") if org else "",
            shown(score.score),
            "★" * score.stars or "—",
            member.get("grade", ""),
        )
    return _render(table)


def ranking_json(ranking: Ranking) -> str:
    """`[{rank, org, name, total, change}]` in display order."""
    key = "member" if ranking.subject == MEMBERS else "org"  # a private member: no id (null), as in /api/
    rows = [
        {"rank": r.rank, key: r.org if r.named else None, "name": r.name, "total": number(r.total), "change": r.change}
        for r in ranking.rows
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2)


def ranking_table(ranking: Ranking) -> str:
    """The period's ranking with every indicator, adjustments, total and tier marks."""
    indicators = ranking.scheme.get("indicators", [])
    previous = f"，与 {ranking.previous.label} 比较" if ranking.previous else ""
    table = Table(title=f"{ranking.scheme.get('name', ranking.scheme.id)} · {ranking.period.label}{previous}")
    table.add_column("排名", justify="right")
    table.add_column("变化")
    table.add_column("姓名" if ranking.subject == MEMBERS else "组织")
    for indicator in indicators:
        table.add_column(f"{indicator['name']}（{shown(Fraction(indicator['max']))}）", justify="right")
    table.add_column("奖扣分", justify="right")
    table.add_column("总分", justify="right")
    table.add_column("")
    for row in ranking.rows:
        adjust = row.bonus + row.penalty
        mark = TOP_TIER if row.top else (BOTTOM_TIER if row.bottom else "")
        table.add_row(
            str(row.rank),
            change_text(row.change),
            row.name,
            *(shown(row.indicators[i["id"]]) for i in indicators),
            ("+" if adjust > 0 else "") + shown(adjust) if adjust else "",
            str(two_decimals(row.total)),
            mark,
        )
    lines = [_render(table)]
    for row in ranking.rows:
        for adjustment in row.adjustments:
            sign = "+" if adjustment["points"] > 0 else ""
            lines.append(f"  {row.name}：{sign}{shown(adjustment['points'])} {adjustment.get('reason', '')}")
    return "\n".join(lines)
