"""Where files live is declared once, in records.py: finding files, their kinds and the hints read it."""

from __future__ import annotations

import pytest

from dangjian.load import _PLACES_HINT, classify
from dangjian.records import RECORD_TYPES


def example(kind: str, deeper: bool = False) -> str:
    """A file name a kind's declared location allows."""
    record_type = RECORD_TYPES[kind]
    if record_type.fixed_path is not None:
        return record_type.fixed_path
    return f"{record_type.folder}{'town/' if deeper else ''}x-1{record_type.suffix}"


@pytest.mark.parametrize("kind", sorted(RECORD_TYPES))
def test_every_kind_is_found_where_it_is_declared(kind):
    assert classify(example(kind)) == kind
    assert classify(example(kind, deeper=True)) == kind


@pytest.mark.parametrize(
    "path",
    [
        "registry/site.yml",
        "registry/points/rules.yml",
        "registry/points/other.yaml",
        "registry/orgs/east.md",
        "content/stories/east.yaml",
        "registry/x/registry/orgs/east.yaml",
        "content/assets/brands/red.svg",
        "registry/site.yaml/east.yaml",
    ],
)
def test_other_paths_hold_no_kind(path):
    assert classify(path) is None


def test_the_hint_for_a_misplaced_file_names_every_registry_folder():
    assert _PLACES_HINT == (
        "记录文件应放在 registry/orgs、members、brands、projects、activities、points/ledger、"
        "assessments/schemes 或 assessments/results 下"
    )
    for record_type in RECORD_TYPES.values():
        if record_type.folder and record_type.folder.startswith("registry/"):
            assert record_type.folder.removeprefix("registry/").rstrip("/") in _PLACES_HINT
