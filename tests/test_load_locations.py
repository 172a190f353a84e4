"""Where files live is declared once, in recordtypes.py: finding files, their kinds and the hints read it."""

from __future__ import annotations

import re

import pytest

from dangjian.load import _PLACES_HINT, classify
from dangjian.recordtypes import RECORD_TYPES


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
    """Derived, not pinned: a new kind with a folder under registry/ is named without editing this test."""
    assert _PLACES_HINT.startswith("记录文件应放在 registry/") and _PLACES_HINT.endswith(" 下")
    named = re.split(r"、| 或 ", _PLACES_HINT.removeprefix("记录文件应放在 registry/").removesuffix(" 下"))
    folders = [
        t.folder.removeprefix("registry/").rstrip("/")
        for t in RECORD_TYPES.values()
        if t.folder and t.folder.startswith("registry/")
    ]
    assert named == folders  # each declared folder once, in the declarations' order, and nothing else
