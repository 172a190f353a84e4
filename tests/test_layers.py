"""The layers: the registry side never imports the site, the editors' tools or the command line.

`lint-imports` (import-linter, run by .ci/run) enforces the contract in pyproject.toml. These
tests keep the contract honest: every module of the package is on one side of it, and the
contract does fail when a registry module reaches for the site.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "generator" / "dangjian"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# The user's side: the site, the editors' tools, the command line and its text.
UI = ("dangjian.site", "dangjian.editing", "dangjian.cli", "dangjian.clitext", "dangjian.report", "dangjian.__main__")


def _contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "registry-below-ui"]
    return contract


def _modules() -> list[str]:
    """Every module of the package by dotted name (packages by their own name)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "cms_vendor" in parts:
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _within(module: str, packages: list[str] | tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_every_module_is_on_one_side() -> None:
    """A new module must be placed: on the registry side (listed in the contract) or the user's side."""
    registry = _contract()["source_modules"]
    unplaced = [m for m in _modules() if m != "dangjian" and not _within(m, registry) and not _within(m, UI)]
    assert unplaced == [], "add these to source_modules in [tool.importlinter] or to UI here"
    both = [m for m in _modules() if _within(m, registry) and _within(m, UI)]
    assert both == []


def test_the_user_side_is_forbidden_to_the_registry_side() -> None:
    forbidden = _contract()["forbidden_modules"]
    assert set(UI) <= set(forbidden)
    assert {"jinja2", "markupsafe", "markdown", "nh3"} <= set(forbidden)


def _lint(tmp_path: Path, edit: tuple[str, str] | None) -> subprocess.CompletedProcess[str]:
    """lint-imports over a copy of the package, with one line optionally added to one module."""
    copy = tmp_path / "dangjian"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("cms_vendor", "__pycache__"))
    if edit:
        module, line = edit
        target = copy / module
        target.write_text(target.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return subprocess.run(
        [str(LINT_IMPORTS), "pyproject.toml", "--no-cache"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
@pytest.mark.parametrize(
    "edit",
    [
        ("model.py", "from .site import build  # noqa"),
        ("rules/orgs.py", "from ..editing import pending  # noqa"),
        ("stats.py", "def _f():\n    from . import cli  # noqa"),
        ("scores.py", "import jinja2  # noqa"),
        ("periods.py", "from .report import shown  # noqa"),
    ],
)
def test_the_contract_fails_when_the_registry_reaches_up(tmp_path: Path, edit: tuple[str, str]) -> None:
    result = _lint(tmp_path, edit)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    module = "dangjian." + edit[0].removesuffix(".py").replace("/", ".")
    assert f"{module} -> " in result.stdout  # the broken chain starts at (or passes through) the edited module


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_contract_holds_on_the_package(tmp_path: Path) -> None:
    result = _lint(tmp_path, None)
    assert result.returncode == 0, result.stdout + result.stderr
