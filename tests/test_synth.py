"""Synthetic registries: valid, deterministic, of the requested size."""

from __future__ import annotations

import datetime
import hashlib
import random
from pathlib import Path

import pytest
import yaml

from dangjian.synth import SCALES, SURNAMES, Scale, Synth, emit
from dangjian.validate import validate
from dangjian.yamlfile import parse_yaml

TINY = Scale(
    counties=2,
    towns_per_county=2,
    villages_per_town=3,
    branches=20,
    members=400,
    projects=30,
    stories=10,
    activities=100,
    ledger=1000,
    schemes=2,
    periods=3,
)


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
    assert (city.members, city.projects, city.stories, city.activities, city.ledger) == (
        200_000,
        10_000,
        3_000,
        60_000,
        1_000_000,
    )
    assert city.schemes * city.periods == 160


def read_back(path: Path):
    """A written file as (YAML data, Markdown body or None), read by yaml.safe_load."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        empty, front, body = text.split("---\n", 2)
        assert empty == "" and body.endswith("\n")
        return yaml.safe_load(front), body[:-1]
    return yaml.safe_load(text), None


def test_every_file_reads_back_as_the_data_it_was_written_from(tmp_path):
    root = tmp_path / "r"
    jobs = list(Synth(TINY, seed=5).files(root))
    written = list(Synth(TINY, seed=5).write(root))
    assert written == [path for path, _, _ in jobs]
    for path, data, body in jobs:
        assert read_back(path) == (data, body), path
    # ids and dates are written plain, free text double-quoted
    path, roster, _ = next(job for job in jobs if "members" in job[0].parts)
    member = next(m for m in roster if "joined" in m)
    assert isinstance(member["joined"], datetime.date)
    text = path.read_text(encoding="utf-8")
    assert f'- id: {member["id"]}\n  name: "{member["name"]}"\n' in text and f"  joined: {member['joined']}\n" in text


TRICKY = [
    "",
    " ",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "Y",
    "N",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "-",
    "--",
    "---",
    "...",
    "010",
    "0x1F",
    "0b101",
    "0o17",
    "1_000",
    "1:20",
    "+1",
    "-1",
    "1e3",
    "3.14",
    ".5",
    ".inf",
    "-.Inf",
    ".nan",
    "2024-01-01",
    "2024-1-1 10:00:00",
    "2024-02-30",
    "1A",
    "2024-Q1",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#x",
    "- x",
    "? x",
    "[x]",
    "{x}",
    "x, y",
    "&a",
    "*a",
    "!x",
    "!!str",
    "|",
    ">",
    "%x",
    "@x",
    "`x",
    "'x'",
    '"x"',
    "x'y",
    'x"y',
    "<<",
    "=",
    "x\ny",
    "x\n",
    "\nx",
    "tab\there",
    "cr\rlf",
    "back\\slash",
    "nul\0",
    "bell\x07",
    "del\x7f",
    "nel\x85",
    "nbsp\xa0",
    "ls\u2028",
    "ps\u2029",
    "bom\ufeff",
    "bmp\uffff",
    "emoji😀",
    " lead",
    "trail ",
    "中文：冒号",
    "党支部",
    "第1党支部0",
]


def test_the_emitter_quotes_whatever_yaml_could_read_as_something_else():
    data = {
        "strings": TRICKY,
        "keys": {text: n for n, text in enumerate(TRICKY)},
        "numbers": [0, 7, -5, 2024, 47.56, 19.0, -2.5, True, False],
        "date": datetime.date(2024, 3, 28),
        "empty": {"list": [], "map": {}},
        "nested": [[1, "a"], [{"x": [1, 2]}, [], {}], {"deep": [{"a": 1, "b": {"c": "d"}}]}],
    }
    text = emit(data)
    assert yaml.safe_load(text) == data
    assert yaml.safe_load(emit(TRICKY)) == TRICKY
    assert yaml.safe_load(emit([data, data])) == [data, data]
    # the registry's own loader keeps every scalar as text: these strings come back unchanged,
    # none of them plain where YAML 1.1 would read something other than text
    doc = parse_yaml(emit({"strings": TRICKY}), "x.yaml")
    assert doc.problems == [] and doc.implicit == {} and doc.value == {"strings": TRICKY}
    with pytest.raises(TypeError):
        emit({"x": 1e-20})
    with pytest.raises(TypeError):
        emit({"x": None})


def test_any_number_of_processes_writes_the_same_bytes(tmp_path):
    list(Synth(TINY, seed=3).write(tmp_path / "a", processes=1))
    list(Synth(TINY, seed=3).write(tmp_path / "b", processes=3))
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_the_fast_draws_are_the_standard_librarys():
    synth, rnd = Synth(TINY, seed=9), random.Random(9)
    for n in (1, 2, 3, 12, 16, 28, 54, 65, 100, 1000):
        assert [synth.below(n) for _ in range(50)] == [rnd.randrange(n) for _ in range(50)]
        assert synth.pick(SURNAMES) == rnd.choice(SURNAMES)


def test_the_town_scale_validates(tmp_path):
    files = list(Synth(SCALES["town"], seed=1).write(tmp_path / "t"))
    result = validate(tmp_path / "t")
    assert result.problems == []
    assert len(result.registry.members) == 1_000 and len(result.registry.all("ledger")) == 5_000
    assert len(files) == len([p for p in (tmp_path / "t").rglob("*") if p.is_file()])
