"""Shared helpers: build registries from the minimal fixture plus a per-case overlay."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "minimal"
BAD = FIXTURES / "bad"
REPO = Path(__file__).parent.parent


def copy_minimal(target: Path) -> Path:
    """A fresh copy of the minimal valid registry at `target`."""
    shutil.copytree(MINIMAL, target)
    return target


def apply_overlay(root: Path, overlay: Path | dict[str, str | bytes | None]) -> Path:
    """Add or replace files under `root` (a folder of files, or {path: content}; None deletes)."""
    if isinstance(overlay, Path):
        overlay = {p.relative_to(overlay).as_posix(): p.read_bytes() for p in overlay.rglob("*") if p.is_file()}
    for rel, content in overlay.items():
        path = root / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


@pytest.fixture(autouse=True, scope="session")
def _private_parse_cache(tmp_path_factory):
    """Tests (and the commands they run) use a parse cache of their own, never the user's."""
    import os

    os.environ["DANGJIAN_CACHE"] = str(tmp_path_factory.mktemp("parse-cache"))
    # dangjian's own files digested once, in this folder (`sourcedigest`): a test's own cache folder then holds only
    # what the test made, unless a source file changed during the run
    from dangjian import cache
    from dangjian.site import incremental

    cache.code_fingerprint()
    incremental.code_version()


@pytest.fixture
def registry(tmp_path: Path):
    """A factory: `registry({path: content})` gives a minimal registry with those files changed."""

    def make(overlay: Path | dict[str, str | bytes | None] | None = None) -> Path:
        root = copy_minimal(tmp_path / "root")
        return apply_overlay(root, overlay or {})

    return make


def validate_uncached(root: Path, **options):
    """`validate(root)` with no parse cache, state or memo: what every cached run must agree with."""
    from dangjian.validate import validate

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DANGJIAN_CACHE", "off")
        return validate(root, **options)


@pytest.fixture
def cached(tmp_path, monkeypatch) -> Path:
    """A parse cache (and validation state) of the test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    return folder


@pytest.fixture
def settled(monkeypatch) -> None:
    """Files a second old count as settled: a file's identity unchanged since the last run is trusted at once
    (`cache.RACY_NS`; the tests' files are fresh, and would be read again on every run)."""
    from dangjian import cache

    monkeypatch.setattr(cache, "RACY_NS", 0)


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The registry files validation reads (to know their bytes or to load them)."""
    from dangjian import validate as validate_module

    seen: list[str] = []
    real = validate_module._read
    monkeypatch.setattr(validate_module, "_read", lambda root, rel: seen.append(rel) or real(root, rel))
    return seen


@pytest.fixture
def no_prekeep(monkeypatch) -> None:
    """A build into no site leaves no kept folder beside it (`output.prekeep` off), as where it could not make one: its
    next build then carries pages from the previous output itself (links planted there, pages tampered with)."""
    from dangjian.site import output

    monkeypatch.setattr(output, "prekeep", lambda staging, folders: None)
