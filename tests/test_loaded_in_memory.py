"""`serve` keeps the registry's files as its last rebuild loaded them (`cache.loaded_in_memory`, by cache key):
a rebuild after one save must be the same site as a cold build, and nothing after loading may change a loaded
file's records (they are shared from one rebuild to the next)."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from dangjian import cache
from dangjian.load import Loaded
from dangjian.synth import Synth
from test_incremental import EDITS, EPOCH, TINY, Undo, assert_same_tree, make, member_public, org_name, undo


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Loaded]]:
    """A tiny generated registry, a folder for the preview's rebuilds, and the files it keeps in memory."""
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    work = tmp_path_factory.mktemp("in-memory")
    root = work / "root"
    for _ in Synth(TINY, 11).write(root):
        pass
    memory: dict[str, Loaded] = {}
    with cache.loaded_in_memory(memory):
        make(root, work / "preview")
    return root, work / "preview", memory


def frozen(memory: dict[str, Loaded]) -> dict[str, bytes]:
    return {key: pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL) for key, loaded in memory.items()}


def test_a_build_changes_nothing_it_loaded(kept: tuple[Path, Path, dict[str, Loaded]]) -> None:
    root, preview, memory = kept
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    assert memory  # the files were kept
    before = frozen(memory)
    with cache.loaded_in_memory(memory):
        make(root, preview, cold=True)  # every page rendered from the shared records
    after = frozen(memory)
    assert sorted(after) == sorted(before)  # nothing loaded again: every file was answered from memory
    changed = [key for key in before if after[key] != before[key]]
    assert not changed, f"{len(changed)} loaded files were changed by a build"


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edit=st.sampled_from(EDITS), n=st.integers(0, 1000))
@example(edit=org_name, n=2)
@example(edit=member_public, n=4)
def test_a_rebuild_from_files_kept_in_memory_equals_a_cold_build(
    kept: tuple[Path, Path, dict[str, Loaded]], edit: Callable[[Path, int], Undo], n: int
) -> None:
    root, preview, memory = kept
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    changes = edit(root, n)
    try:
        with cache.loaded_in_memory(memory):
            make(root, preview)
        cold = preview.parent / "cold"
        shutil.rmtree(cold, ignore_errors=True)
        make(root, cold, cold=True)  # no memory: every file from disk (or the parse cache)
        assert_same_tree(preview, cold)
    finally:
        undo(changes)
    with cache.loaded_in_memory(memory):
        make(root, preview)  # back to the registry as it was, for the next example


def test_memory_is_bounded_and_used_only_inside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    memory: dict[str, Loaded] = {}
    monkeypatch.setattr(cache, "IN_MEMORY_MOST", 2)
    files = [(f"id: o{i}\nname: 组织{i}\n".encode(), f"registry/orgs/o{i}.yaml") for i in range(3)]
    with cache.loaded_in_memory(memory):
        first = cache.cached_load(*files[0], "org", folder)
        assert cache.cached_load(*files[0], "org", folder) is first  # the same object, not unpickled again
        for content, path in files[1:]:
            cache.cached_load(content, path, "org", folder)
    assert len(memory) == 2 and cache.key(*files[0], "org") not in memory  # the least recently used went
    kept = memory[cache.key(*files[1], "org")]
    assert cache.cached_load(*files[1], "org", folder) is not kept  # outside: memory is not used
    with cache.loaded_in_memory(memory):  # the same bytes at another path are another file
        other = cache.cached_load(files[1][0], "registry/orgs/x.yaml", "org", folder)
    assert other is not kept and other.records[0].file == "registry/orgs/x.yaml"
