"""VS Code's map from each kind's files to its JSON Schema (`.vscode/settings.json`, `yaml.schemas`) is derived
from the declared locations (recordtypes.py) and written by `dangjian schema --out docs/reference`, so a new kind's
files get their schema in the editor without a hand-kept list (issue 18, finding K7)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from conftest import REPO
from dangjian import reference
from dangjian.recordtypes import RECORD_TYPES

STALE = {"yaml.schemas": {"./docs/reference/org.schema.json": ["registry/orgs/**/*.yaml"]}, "files.eol": "\n"}


def checkout(tmp_path: Path, settings: str) -> Path:
    """A checkout with .vscode/settings.json holding `settings`; returns its docs/reference."""
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode/settings.json").write_text(settings, encoding="utf-8")
    return tmp_path / "docs/reference"


def test_the_committed_editor_settings_are_current() -> None:
    settings = json.loads((REPO / ".vscode/settings.json").read_text(encoding="utf-8"))
    assert settings["yaml.schemas"] == reference.editor_schemas(), (
        ".vscode/settings.json is stale: run `dangjian schema --out docs/reference`"
    )


def test_every_yaml_kind_has_its_schema_for_its_files() -> None:
    schemas = reference.editor_schemas()
    for kind, record_type in RECORD_TYPES.items():
        if record_type.suffix == ".yaml":
            assert schemas[f"./docs/reference/{kind}.schema.json"], kind
    assert schemas["./docs/reference/scheme.schema.json"] == ["registry/assessments/schemes/*.yaml"]
    assert schemas["./docs/reference/org.schema.json"] == ["registry/orgs/**/*.yaml"]


def test_a_new_kind_is_mapped_without_editing_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    venue = dataclasses.replace(RECORD_TYPES["brand"], kind="venue", location="registry/venues/<id>.yaml")
    monkeypatch.setattr(reference, "RECORD_TYPES", {**RECORD_TYPES, "venue": venue})
    assert reference.editor_schemas()["./docs/reference/venue.schema.json"] == ["registry/venues/*.yaml"]


def test_writing_the_reference_brings_the_settings_up_to_date_keeping_the_rest(tmp_path: Path) -> None:
    out = checkout(tmp_path, json.dumps(STALE))
    written = reference.write_reference(out)
    settings = json.loads((tmp_path / ".vscode/settings.json").read_text(encoding="utf-8"))
    assert settings == {"yaml.schemas": reference.editor_schemas(), "files.eol": "\n"}
    assert tmp_path / ".vscode/settings.json" in written
    assert tmp_path / ".vscode/settings.json" not in reference.write_reference(out)  # current: not rewritten


def test_a_settings_link_is_neither_followed_nor_replaced(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps(STALE), encoding="utf-8")
    (tmp_path / "ws/.vscode").mkdir(parents=True)
    (tmp_path / "ws/.vscode/settings.json").symlink_to(target)
    reference.write_reference(tmp_path / "ws/docs/reference")
    assert json.loads(target.read_text(encoding="utf-8")) == STALE
    assert (tmp_path / "ws/.vscode/settings.json").is_symlink()


def test_a_settings_folder_link_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/settings.json").write_text(json.dumps(STALE), encoding="utf-8")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws/.vscode").symlink_to(tmp_path / "elsewhere")
    reference.write_reference(tmp_path / "ws/docs/reference")
    assert json.loads((tmp_path / "elsewhere/settings.json").read_text(encoding="utf-8")) == STALE


def test_settings_with_comments_are_left_alone(tmp_path: Path) -> None:
    text = '{\n  // 注释\n  "files.eol": "\\n"\n}\n'
    reference.write_reference(checkout(tmp_path, text))
    assert (tmp_path / ".vscode/settings.json").read_text(encoding="utf-8") == text


def test_another_folder_leaves_the_settings_alone(tmp_path: Path) -> None:
    checkout(tmp_path, json.dumps(STALE))
    reference.write_reference(tmp_path / "docs/schemas")
    assert json.loads((tmp_path / ".vscode/settings.json").read_text(encoding="utf-8")) == STALE
