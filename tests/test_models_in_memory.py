"""`serve` keeps the registry's model kind by kind between saves (`validate.models_in_memory`): a kind whose files'
payloads are the very objects the last validation made its part of is taken from there. After any edits, the model
so made must be the model made whole: the same kinds in the same order, the same records, ids, tree and problems."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dangjian import cache, validate as validate_module
from dangjian.load import Loaded
from dangjian.model import Registry
from dangjian.synth import Synth
from dangjian.validate import LAZY_KINDS, validate
from test_incremental import EDITS, TINY, Undo, org_name, undo


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models") / "root"
    for _ in Synth(TINY, 5).write(folder):
        pass
    return folder


def shape(reg: Registry) -> dict[str, Any]:
    return {
        "kinds": list(reg.records),
        "records": {
            kind: [(r.file, r.kind, r.slug, repr(r.data)) for r in records] for kind, records in reg.records.items()
        },
        "by_id": {kind: {i: (r.file, repr(r.data)) for i, r in ids.items()} for kind, ids in reg.by_id.items()},
        "children": reg.children,
        "members_of": reg.members_of,
        "nested": repr(reg.nested),
        "shadows": sorted(reg.shadows, key=repr),
        "stubs": reg.stubs,
    }


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 1000)), min_size=1, max_size=3))
def test_a_model_kept_kind_by_kind_is_the_model_made_whole(
    root: Path, edits: list[tuple[Callable[[Path, int], Undo], int]]
) -> None:
    loaded: dict[str, Loaded] = {}
    models: validate_module.Models = {}
    with cache.loaded_in_memory(loaded), validate_module.models_in_memory(models):
        validate(root, lazy=LAZY_KINDS)
    changes: list[Undo] = []
    try:
        for edit, n in edits:
            changes.append(edit(root, n))
            with cache.loaded_in_memory(loaded), validate_module.models_in_memory(models):
                kept = validate(root, lazy=LAZY_KINDS)
            whole = validate(root, lazy=LAZY_KINDS)
            assert shape(kept.registry) == shape(whole.registry)
            assert [str(p) for p in kept.problems] == [str(p) for p in whole.problems]
    finally:
        for change in reversed(changes):
            undo(change)


def test_an_org_renamed_takes_every_other_kind_as_it_was(root: Path) -> None:
    loaded: dict[str, Loaded] = {}
    models: validate_module.Models = {}
    with cache.loaded_in_memory(loaded), validate_module.models_in_memory(models):
        first = validate(root, lazy=LAZY_KINDS).registry
        before = {kind: part for kind, (_, part) in models.items()}
        changes = org_name(root, 1)
        try:
            again = validate(root, lazy=LAZY_KINDS).registry
        finally:
            undo(changes)
    assert {"org", "member", "activity"} <= before.keys()
    assert models["org"][1] is not before["org"]
    assert all(models[kind][1] is before[kind] for kind in before if kind != "org")
    assert again.records["member"] == first.records["member"] and again.records["member"] is not first.records["member"]
