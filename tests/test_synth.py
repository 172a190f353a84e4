"""Synthetic registries: valid, deterministic, of the requested size."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dangjian.synth import SCALES, Scale, Synth
from dangjian.validate import validate

TINY = Scale(counties=2, towns_per_county=2, villages_per_town=3, branches=20, members=400, projects=30,
             stories=10, activities=100, ledger=1000, schemes=2, periods=3)


def digest(root: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            sha.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return sha.hexdigest()


def test_a_synthetic_registry_validates(tmp_path):
    files = list(Synth(TINY, seed=7).write(tmp_path / "r"))
    result = validate(tmp_path / "r")
    assert result.problems == []
    reg = result.registry
    assert len(reg.members) == 400 and len(reg.all("ledger")) == 1000 and len(reg.all("result")) == 6
    assert len(reg.orgs) == 1 + 2 + 4 + 12 + 20
    assert len(files) == len([p for p in (tmp_path / "r").rglob("*") if p.is_file()])


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    list(Synth(TINY, seed=3).write(tmp_path / "a"))
    list(Synth(TINY, seed=3).write(tmp_path / "b"))
    list(Synth(TINY, seed=4).write(tmp_path / "c"))
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")


def test_city_scale_has_the_specified_size():
    city = SCALES["city"]
    orgs = 1 + city.counties + city.counties * city.towns_per_county * (1 + city.villages_per_town) + city.branches
    assert orgs == 5_000
    assert (city.members, city.projects, city.stories, city.activities, city.ledger) == (200_000, 10_000, 3_000, 60_000, 1_000_000)
    assert city.schemes * city.periods == 160
