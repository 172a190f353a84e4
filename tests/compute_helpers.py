"""Small builders for computation tests: YAML snippets added to the minimal registry."""

from __future__ import annotations

from pathlib import Path

from dangjian.rankings import RankingBook
from dangjian.scores import ScoreBook
from dangjian.validate import validate


def ledger(*entries: tuple[str, str, str]) -> str:
    """A ledger file from (member, date, rule) triples."""
    return "".join(f"- member: {m}\n  date: {d}\n  rule: {r}\n" for m, d, r in entries)


def activities(*items: tuple[str, str, str, str, list[str]]) -> str:
    """An activities file from (id, org, date, kind, attendees) tuples, all with rule `activity`."""
    out = []
    for ident, org, date, kind, attendees in items:
        out.append(f"- id: {ident}\n  org: {org}\n  date: {date}\n  kind: {kind}\n  title: 活动\n")
        if attendees:
            out.append(f"  attendees: [{', '.join(attendees)}]\n  rule: activity\n")
    return "".join(out)


def books(root: Path) -> tuple[ScoreBook, RankingBook]:
    """Validate (the registry must be clean) and return its score and ranking books."""
    result = validate(root)
    assert result.problems == [], [f"{p.file}:{p.line}: {p.message}" for p in result.problems]
    scores = ScoreBook(result.registry)
    return scores, RankingBook(result.registry, scores)
