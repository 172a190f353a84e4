"""Editor and commit-hook settings: VS Code maps every registry file to its JSON Schema; pre-commit runs validate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from dangjian.load import classify

SETTINGS = json.loads((REPO / ".vscode/settings.json").read_text(encoding="utf-8"))
SCHEMAS: dict[str, list[str]] = SETTINGS["yaml.schemas"]


def glob_regex(pattern: str) -> re.Pattern:
    """A VS Code glob as a regex: `**/` is any number of folders (none included), `*` stays within one."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def demo_yaml_files() -> list[str]:
    return sorted(p.relative_to(REPO).as_posix() for p in (REPO / "registry").rglob("*.yaml"))


def schema_kind(schema: str) -> str:
    return Path(schema).name.removesuffix(".schema.json")


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_every_schema_path_exists(schema: str) -> None:
    assert (REPO / schema).is_file(), schema


@pytest.mark.parametrize("schema, glob", [(s, g) for s, globs in sorted(SCHEMAS.items()) for g in globs])
def test_every_glob_matches_a_demo_file_of_its_schema_kind(schema: str, glob: str) -> None:
    matched = [path for path in demo_yaml_files() if glob_regex(glob).match(path)]
    assert matched, f"{glob} matches no file of the demo registry"
    assert {classify(path) for path in matched} == {schema_kind(schema)}


def test_every_demo_registry_file_gets_exactly_one_schema() -> None:
    for path in demo_yaml_files():
        kinds = [schema_kind(s) for s, globs in SCHEMAS.items() for g in globs if glob_regex(g).match(path)]
        assert kinds == [classify(path)], path


def test_the_glob_helper_reads_double_stars_as_vs_code_does() -> None:
    assert glob_regex("registry/orgs/**/*.yaml").match("registry/orgs/demo.yaml")
    assert glob_regex("registry/orgs/**/*.yaml").match("registry/orgs/a/b/c.yaml")
    assert not glob_regex("registry/assessments/schemes/*.yaml").match("registry/assessments/schemes/a/b.yaml")


def test_editor_settings_for_yaml() -> None:
    assert SETTINGS["files.encoding"] == "utf8"
    assert SETTINGS["[yaml]"]["editor.insertSpaces"] is True
    extensions = json.loads((REPO / ".vscode/extensions.json").read_text(encoding="utf-8"))
    assert "redhat.vscode-yaml" in extensions["recommendations"]


def _hook(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    hooks = data if isinstance(data, list) else [h for repo in data["repos"] for h in repo["hooks"]]
    return next(h for h in hooks if h["id"] == "dangjian-validate")


@pytest.mark.parametrize(
    "name, language", [(".pre-commit-config.yaml", "system"), (".pre-commit-hooks.yaml", "python")]
)
def test_pre_commit_runs_validate_on_registry_changes(name: str, language: str) -> None:
    hook = _hook(REPO / name)
    assert hook["entry"] == "dangjian validate"
    assert hook["language"] == language
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("registry/orgs/caota/caota-xinan.yaml") and files.search("content/stories/a.md")
    assert not files.search("docs/editors-guide.md")
