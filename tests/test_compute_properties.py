"""Properties of rankings and scores that must hold for any input."""

from __future__ import annotations

import random
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from dangjian import report
from dangjian.rankings import RankingBook, Row, rank_rows, split_adjustments
from dangjian.scores import ScoreBook
from dangjian.validate import validate

decimals = st.decimals(min_value=-50, max_value=150, places=2, allow_nan=False, allow_infinity=False).map(Fraction)
org_ids = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=1, max_size=12, unique=True)


def _rows(totals: dict[str, Fraction]) -> list[Row]:
    return [Row(org, org, {}, Fraction(0), Fraction(0), total) for org, total in totals.items()]


@given(org_ids.flatmap(lambda ids: st.fixed_dictionaries({i: decimals for i in ids})))
def test_ranks_are_a_competition_ranking_of_the_totals(totals):
    rows = _rows(totals)
    rank_rows(rows)
    assert [r.org for r in rows] == sorted(totals, key=lambda o: (-totals[o], o))
    for row in rows:
        assert row.rank == 1 + sum(1 for t in totals.values() if t > row.total)


@given(
    org_ids.flatmap(
        lambda ids: st.fixed_dictionaries({i: st.tuples(decimals, st.lists(decimals, max_size=4)) for i in ids})
    ),
    st.data(),
    st.decimals(min_value=0, max_value=20, places=1).map(Fraction),
)
def test_a_positive_adjustment_never_lowers_a_rank(orgs, data, cap):
    def ranks(adjust: dict[str, list[Fraction]]) -> dict[str, int]:
        totals = {}
        for org, (base, _) in orgs.items():
            bonus, penalty = split_adjustments(adjust[org], cap)
            totals[org] = max(base + bonus + penalty, Fraction(0))
        rows = _rows(totals)
        rank_rows(rows)
        return {r.org: r.rank for r in rows}

    adjustments = {org: list(extra) for org, (_, extra) in orgs.items()}
    target = data.draw(st.sampled_from(sorted(orgs)))
    before = ranks(adjustments)[target]
    bonus = cap * Fraction(data.draw(st.integers(1, 100)), 100) if cap > 0 else Fraction(1, 100)
    adjustments[target].append(bonus)
    assert ranks(adjustments)[target] <= before


def _outputs(root: Path) -> str:
    result = validate(root)
    assert result.problems == []
    scores = ScoreBook(result.registry)
    book = RankingBook(result.registry, scores)
    parts = [report.scores_json(scores.year(year)) for year in (2009, 2015, 2016, 2017, 2018, 2026)]
    for scheme in sorted(result.registry.schemes):
        parts += [report.ranking_json(ranking) for ranking in book.history(scheme)]
    return "\n".join(parts)


_DEMO_OUTPUTS = None


@settings(max_examples=8, deadline=None)
@given(st.randoms(use_true_random=False))
def test_order_of_files_and_records_never_changes_results(rnd: random.Random):
    """Shuffle every list file's records, every mapping's keys, and move records between files."""
    global _DEMO_OUTPUTS
    if _DEMO_OUTPUTS is None:
        _DEMO_OUTPUTS = _outputs(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        shutil.copytree(REPO / "registry", root / "registry")
        shutil.copytree(REPO / "content", root / "content")
        for folder in ("members", "activities", "points/ledger"):
            files = sorted((root / "registry" / folder).rglob("*.yaml"))
            records = [item for f in files for item in yaml.safe_load(f.read_text(encoding="utf-8"))]
            rnd.shuffle(records)
            for f in files:
                f.unlink()
            cut = rnd.randint(1, len(records) - 1)
            for name, chunk in (("a", records[:cut]), ("b", records[cut:])):
                (root / "registry" / folder / f"{name}.yaml").write_text(
                    yaml.safe_dump(chunk, allow_unicode=True, sort_keys=False), encoding="utf-8"
                )
        for f in (root / "registry/assessments/results").rglob("*.yaml"):
            data = yaml.safe_load(f.read_text(encoding="utf-8"))
            items = list(data["scores"].items())
            rnd.shuffle(items)
            data["scores"] = dict(items)
            rnd.shuffle(data.get("adjustments", []))
            f.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        assert _outputs(root) == _DEMO_OUTPUTS
