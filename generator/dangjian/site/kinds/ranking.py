"""工作排位 on the site: the schemes at /rankings/, each scheme's history, each period's ranking.

The rankings shown are `SiteData.histories`: as suppression allows them (see data.py).

A members scheme (`subject: members`) names public members only, each linked to their page. A private
member's row comes from rankings.py already without name, id or adjustment reasons (`Row.named` False,
its key a `~private-N` stand-in); here it gets no link and no org either: each village has one 书记, so
the org would name them. Every row named on a page is checked once more through `SiteData.person`.
Nor are a private member's points published (the format: no private member's points, anywhere): their
`points_score` and the total it is part of are `Withheld` (`published`); the rank stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from ...rankings import BOTTOM_TIER, MEMBERS, PRIVATE_MEMBER, TOP_TIER, Ranking, Row
from ...recordtypes import DERIVED_INDICATORS
from ..charts import rank_chart
from ..withheld import Withheld
from .base import SiteKind, SitePage, ident, section
from .. import exports, kept

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
        for ranking in history_of(data, scheme):
            yield ranking_page(data, ranking)


def history_of(data: SiteData, scheme: Record) -> list[Ranking]:
    """A scheme's rankings as published (`SiteData.histories`, then `published`)."""
    return [published(ranking) for ranking in data.histories[ident(scheme)]]


def published(ranking: Ranking) -> Ranking:
    """`ranking` with each private member's own points (`points_score`) and the total it is part of withheld
    (the total less the other figures would give the points back)."""
    own = {i["id"] for i in ranking.scheme.get("indicators", []) if i.get("derive") == "points_score"}
    if ranking.subject != MEMBERS or all(row.named for row in ranking.rows):
        return ranking
    rows = [
        row
        if row.named
        else replace(
            row,
            total=Withheld() if own else row.total,
            indicators={k: Withheld() if k in own else v for k, v in row.indicators.items()},
        )
        for row in ranking.rows
    ]
    return replace(ranking, rows=rows)


def rankings_index(data: SiteData) -> SitePage:
    return SitePage(
        "rankings/", "工作排位", "rankings.html", {"schemes": [(s, data.histories[ident(s)]) for s in data.schemes]}
    )


def ranking_history(data: SiteData, scheme: Record) -> SitePage:
    history = history_of(data, scheme)
    return SitePage(
        f"rankings/{scheme.id}/",
        scheme["name"],
        "ranking_history.html",
        {
            "scheme": scheme,
            "history": history,
            "scope": data.org_view(scheme.get("scope")),
            "chart": rank_chart(history),
            "members": scheme.get("subject") == MEMBERS,
            # how each derived indicator is computed, for this scheme's subject (recordtypes.DERIVED_INDICATORS)
            "ways": {
                name: texts[2 if scheme.get("subject") == MEMBERS else 1] for name, texts in DERIVED_INDICATORS.items()
            },
            "ranked": _ranked(data, history),
            "private": PRIVATE_MEMBER,
        },
        sources=(scheme.file,),
    )


def ranking_page(data: SiteData, ranking: Ranking) -> SitePage:
    scheme = ranking.scheme
    return SitePage(
        f"rankings/{scheme.id}/{ranking.period.label}/",
        f"{scheme['name']} · {ranking.period.label}",
        "ranking.html",
        {
            "scheme": scheme,
            "ranking": ranking,
            "tiers": TIERS,
            "members": ranking.subject == MEMBERS,
            "links": {row.org: _link(data, ranking, row) for row in ranking.rows},
            "unnamed": sum(1 for row in ranking.rows if not row.named),
            "private": PRIVATE_MEMBER,
        },
        sources=(scheme.file, ranking.result.file),
    )


def _link(data: SiteData, ranking: Ranking, row: Row) -> str | None:
    """The page a row's name links to: the org's, a public member's own; none for a private member."""
    if ranking.subject != MEMBERS:
        return f"orgs/{row.org}/"
    if not row.named or data.person(row.org) is None:  # named rows are public: asked again, never assumed
        return None
    return f"members/{row.org}/"


def _ranked(data: SiteData, history: list[Ranking]) -> list[tuple[str, str, str | None]]:
    """Every org (or member) ranked in a scheme's history: (key, name, link), in the latest ranking's order,
    then by key (private members' stand-ins last)."""
    latest = {row.org: row.rank for row in history[-1].rows} if history else {}
    rows = {row.org: (ranking, row) for ranking in history for row in ranking.rows}
    ordered = sorted(rows, key=lambda key: (latest.get(key, 10**6), key))
    return [(key, rows[key][1].name, _link(data, *rows[key])) for key in ordered]


def _rank_of(ranking: Ranking, org_id: str) -> str:
    """An org's rank in one ranking, or — when it is not ranked there."""
    row = next((row for row in ranking.rows if row.org == org_id), None)
    return str(row.rank) if row else "—"


def export(data: SiteData) -> dict[str, exports.Rows]:
    """api/rankings/<scheme>/<period>: each published ranking's table (withheld figures as null)."""
    return {
        f"api/rankings/{ident(scheme)}/{ranking.period.label}": exports.ranking_rows(ranking)
        for scheme in data.schemes
        for ranking in history_of(data, scheme)
    }


# api/rankings/…: the rankings as published, which the counting makes (`data.COUNTED`)
EXPORTED = kept.Aggregate(
    "rankingtable", kept.COUNTING, fields={**kept.COUNTING_FIELDS, "org": (*kept.COUNTING_ORG, "name")}
)  # rows named


# What its pages read (`keptpages`)
READS = kept.Aggregate("rankingpages", kept.COUNTING, fields=kept.COUNTED_SHOWN)


KIND: SiteKind = SiteKind(
    name="ranking",
    urls=("rankings/", r"rankings/[^/]+/", r"rankings/[^/]+/[^/]+/"),
    pages=pages,
    reads=READS,
    record="scheme",
    plural="schemes",
    listed=listed,
    nav=section("工作排位", "rankings/"),
    filters={"rank_of": _rank_of},
    export=export,
    exported=EXPORTED,
)
