"""The schema is declared once; its docs and JSON Schemas are generated and kept current."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import MINIMAL, REPO
from dangjian.load import classify
from dangjian.recordtypes import RECORD_TYPES
from dangjian.reference import field_reference, json_schema, write_reference
from dangjian.schema import List, Object


def _all_fields(schema: Object, prefix: str = ""):
    for spec in schema.fields:
        yield f"{prefix}{spec.name}", spec
        inner = spec.type.item if isinstance(spec.type, List) else spec.type
        if isinstance(inner, Object):
            yield from _all_fields(inner, f"{prefix}{spec.name}{'[].' if isinstance(spec.type, List) else '.'}")


@pytest.mark.parametrize("kind", sorted(RECORD_TYPES))
def test_every_field_is_documented(kind: str) -> None:
    for name, spec in _all_fields(RECORD_TYPES[kind].schema):
        assert spec.doc.strip(), f"{kind}.{name} has no doc"
        assert f"| `{name}` |" in field_reference(), f"{kind}.{name} missing from the field reference"


def test_committed_reference_is_current(tmp_path: Path) -> None:
    write_reference(tmp_path)
    committed = REPO / "docs" / "reference"
    for path in tmp_path.iterdir():
        assert (committed / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"docs/reference/{path.name} is stale: run `dangjian schema --out docs/reference`"
        )


class _TextDates(yaml.SafeLoader):
    """YAML as VS Code's YAML extension sees it: dates stay strings."""


_TextDates.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _front_matter(text: str) -> str:
    return text.split("---\n", 2)[1] if text.startswith("---\n") else ""


@pytest.mark.parametrize("root", [REPO, MINIMAL], ids=["demo", "minimal"])
def test_json_schemas_accept_valid_registries(root: Path) -> None:
    """The editors' JSON Schemas agree with the validator on valid files."""
    checked = 0
    for path in sorted([*root.glob("registry/**/*.yaml"), *root.glob("content/**/*.md")]):
        kind = classify(path.relative_to(root).as_posix())
        if kind is None:
            continue
        text = path.read_text(encoding="utf-8")
        data = yaml.load(_front_matter(text) if path.suffix == ".md" else text, Loader=_TextDates) or {}
        data = json.loads(json.dumps(data, default=str))  # int keys (stars) become strings, as in JSON
        jsonschema.validate(data, json_schema(RECORD_TYPES[kind]))
        checked += 1
    assert checked > 10


def test_json_schema_rejects_unknown_key() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"id": "a", "name": "甲", "kind": "党支部", "domain": "农村", "secertary": "m"},
            json_schema(RECORD_TYPES["org"]),
        )
