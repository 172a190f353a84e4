"""工作排位 on the site: the schemes at /rankings/, each scheme's history, each period's ranking.

The rankings shown are `SiteData.histories`: as suppression allows them (see data.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...rankings import BOTTOM_TIER, TOP_TIER, Ranking
from ..charts import rank_chart
from .base import SiteKind, SitePage, ident, section
from .. import exports

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData

TIERS = {"top": TOP_TIER, "bottom": BOTTOM_TIER}  # one word per tier, shared with `dangjian rank`


def listed(reg: Registry) -> list[Record]:
    """Schemes by id."""
    return sorted(reg.schemes.values(), key=ident)


def pages(data: SiteData) -> Iterator[SitePage]:
    yield rankings_index(data)
    for scheme in data.schemes:
        yield ranking_history(data, scheme)
        for ranking in data.histories[ident(scheme)]:
            yield ranking_page(data, ranking)


def rankings_index(data: SiteData) -> SitePage:
    return SitePage(
        "rankings/", "工作排位", "rankings.html", {"schemes": [(s, data.histories[ident(s)]) for s in data.schemes]}
    )


def ranking_history(data: SiteData, scheme: Record) -> SitePage:
    history = data.histories[ident(scheme)]
    return SitePage(
        f"rankings/{scheme.id}/",
        scheme["name"],
        "ranking_history.html",
        {"scheme": scheme, "history": history, "scope": data.org(scheme.get("scope")), "chart": rank_chart(history)},
        sources=(scheme.file,),
    )


def ranking_page(data: SiteData, ranking: Ranking) -> SitePage:
    scheme = ranking.scheme
    return SitePage(
        f"rankings/{scheme.id}/{ranking.period.label}/",
        f"{scheme['name']} · {ranking.period.label}",
        "ranking.html",
        {"scheme": scheme, "ranking": ranking, "tiers": TIERS},
        sources=(scheme.file, ranking.result.file),
    )


def _rank_orgs(history: list[Ranking]) -> list[tuple[str, str]]:
    """Every org ranked in a scheme's history: (id, name), in the latest ranking's order, then by id."""
    latest = {row.org: (row.rank, row.name) for row in history[-1].rows} if history else {}
    names = {row.org: row.name for r in history for row in r.rows}
    return sorted(names.items(), key=lambda item: (latest.get(item[0], (10**6, ""))[0], item[0]))


def _rank_of(ranking: Ranking, org_id: str) -> str:
    """An org's rank in one ranking, or — when it is not ranked there."""
    row = next((row for row in ranking.rows if row.org == org_id), None)
    return str(row.rank) if row else "—"


def export(data: SiteData) -> dict[str, exports.Rows]:
    """api/rankings/<scheme>/<period>: each published ranking's table (withheld figures as null)."""
    return {
        f"api/rankings/{ident(scheme)}/{ranking.period.label}": exports.ranking_rows(ranking)
        for scheme in data.schemes
        for ranking in data.histories[ident(scheme)]
    }


KIND = SiteKind(
    name="ranking",
    urls=("rankings/", r"rankings/[^/]+/", r"rankings/[^/]+/[^/]+/"),
    pages=pages,
    record="scheme",
    plural="schemes",
    listed=listed,
    nav=section("工作排位", "rankings/"),
    filters={"rank_orgs": _rank_orgs, "rank_of": _rank_of},
    export=export,
)
