"""`dangjian build` validates the ledger through its files' summaries and loads its entries only when something
asks for them (`validate(lazy=...)`, `Registry.deferred`): a build that keeps every aggregate reading the ledger
(`site/kept.py`) loads none of them. tests/test_bad_cases.py runs every bad case this way too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO
from dangjian.history import History
from dangjian.model import Registry
from dangjian.site import build as build_module
from dangjian.site.build import BuildError, build
from dangjian.validate import LAZY_KINDS, RegistryChanged, validate
from test_incremental import member_joined, member_name, story_body
from test_kept import generated  # noqa: F401 - the fixture: a tiny generated registry


def shown(reg: Registry, kind: str) -> list[tuple]:
    return [(r.kind, r.file, r.data, [(x.kind, x.id, x.path) for x in r.refs], r.base) for r in reg.all(kind)]


@pytest.mark.parametrize("which", ["demo", "generated"])
def test_the_lazy_ledger_is_the_ledger(which: str, generated: Path) -> None:
    root = REPO if which == "demo" else generated
    full, lazy = validate(root), validate(root, lazy=LAZY_KINDS)
    assert lazy.problems == full.problems and lazy.records == full.records
    assert lazy.registry.deferred.keys() == {"ledger"} and not lazy.registry.stubs
    assert "ledger" not in lazy.registry.records  # not loaded yet
    assert shown(lazy.registry, "ledger") == shown(full.registry, "ledger") != []
    assert not lazy.registry.deferred  # loaded once
    assert lazy.keys.keys() == full.keys.keys()  # every file's key, for the pages' record digests


def test_a_build_keeping_every_aggregate_loads_no_ledger_entry(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    loads: list[str] = []
    real = Registry._load
    monkeypatch.setattr(Registry, "_load", lambda reg, kind: loads.append(kind) or real(reg, kind))

    def make() -> None:
        build(root, tmp_path / "site", with_search=False, history=History.empty())

    make()
    assert loads == ["ledger"]  # nothing kept yet: the score book reads the ledger
    loads.clear()
    story_body(root, 1)
    make()
    assert loads == [], "a story edited: every aggregate kept, no ledger entry loaded"
    member_name(root, 2)
    make()
    assert loads == [], "a member renamed: the figures counted again from every org's kept parts"
    member_joined(root, 2)
    make()
    assert loads == [], "an admission day moved: their org's parts made again from the ledger files naming them alone"


def test_a_ledger_file_changed_after_validation_stops_the_build(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded later from the bytes validation saw, or not at all: never from other bytes (with the parse cache off,
    a file is read again, and must be the one validated)."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    result = validate(root, lazy=LAZY_KINDS)
    assert result.ok
    assert result.registry.all("ledger")  # the same bytes: loaded as validated
    again = validate(root, lazy=LAZY_KINDS)
    path = sorted((root / "registry" / "points" / "ledger").rglob("*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(RegistryChanged):
        again.registry.all("ledger")

    site = tmp_path / "site"
    build(root, site, with_search=False, history=History.empty())
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    real = build_module.validate

    def then_edited(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        return found

    monkeypatch.setattr(build_module, "validate", then_edited)
    with pytest.raises(BuildError, match="被修改了"):
        build(root, site, with_search=False, history=History.empty(), cold=True)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before  # the previous site as it was
