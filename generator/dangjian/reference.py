"""Generated documentation of the schema: JSON Schemas for editors, the field reference, and the editor's
map from each kind's files to its schema (`.vscode/settings.json`'s `yaml.schemas`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path

from .recordtypes import RECORD_TYPES, RecordType
from .schema import List, Object

SCHEMA_URL = "https://dangjian.example/schema/{kind}.schema.json"
REFERENCE = "docs/reference"  # where the checkout keeps the generated files, relative to its root
EDITOR_SETTINGS = ".vscode/settings.json"  # VS Code's workspace settings, relative to the checkout's root


def json_schema(record_type: RecordType) -> dict:
    """The JSON Schema of one record type's file (a list of records for list files)."""
    record = record_type.schema.json_schema()
    body = {"type": "array", "items": record} if record_type.layout == "list" else record
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL.format(kind=record_type.kind),
        "title": f"{record_type.title}（{record_type.location}）",
        **body,
    }


def _rows(schema: Object, prefix: str = "") -> list[str]:
    rows = []
    for spec in schema.fields:
        name = f"{prefix}{spec.name}"
        required = "必填" if spec.required else ""
        rows.append(f"| `{name}` | {spec.label} | {spec.type.describe()} | {required} | {spec.doc} |")
        inner = spec.type.item if isinstance(spec.type, List) else spec.type
        if isinstance(inner, Object):
            rows.extend(_rows(inner, f"{name}{'[].' if isinstance(spec.type, List) else '.'}"))
    return rows


def field_reference() -> str:
    """The editors' field reference, in Markdown, generated from the record types."""
    parts = [
        "# 字段参考",
        "",
        "<!-- 由 `dangjian schema --out docs/reference` 生成，请勿手工修改。 -->",
        "",
        "登记簿每种记录的全部字段。未列出的键会被当作错误；`extra:` 下可以写任意内容，但不会发布。",
    ]
    for record_type in RECORD_TYPES.values():
        layout = {"one": "每个文件一条记录", "list": "每个文件是一个列表", "markdown": "Markdown 文件开头的前置信息"}[
            record_type.layout
        ]
        parts += [
            "",
            f"## {record_type.title}",
            "",
            f"位置：`{record_type.location}`（{layout}）。JSON Schema：`{record_type.kind}.schema.json`。",
            "",
            "| 字段 | 名称 | 类型 | | 说明 |",
            "| --- | --- | --- | --- | --- |",
            *_rows(record_type.schema),
        ]
    return "\n".join(parts) + "\n"


def editor_schemas() -> dict[str, list[str]]:
    """VS Code's `yaml.schemas`: each YAML kind's JSON Schema (in docs/reference) for the files its declared
    location names (`<id>` and `*` alike read as `*`), in the declarations' order."""
    return {
        f"./{REFERENCE}/{kind}.schema.json": [re.sub(r"<[^>/]*>", "*", record_type.location)]
        for kind, record_type in RECORD_TYPES.items()
        if record_type.suffix == ".yaml"
    }


def with_editor_schemas(settings_text: str) -> str | None:
    """The workspace settings with `yaml.schemas` as `editor_schemas` derives it, every other key kept;
    None when the text is not a JSON object (VS Code also reads comments: such a file is left alone)."""
    try:
        settings = json.loads(settings_text)
    except ValueError:
        return None
    if not isinstance(settings, dict):
        return None
    settings["yaml.schemas"] = editor_schemas()
    return json.dumps(settings, ensure_ascii=False, indent=2) + "\n"


def write_reference(out: Path) -> list[Path]:
    """Write every JSON Schema and `fields.md` into `out`; return the files written.

    When `out` is a checkout's docs/reference and the checkout has .vscode/settings.json, its
    `yaml.schemas` is brought up to date too, so a new kind's files get their schema in the editor.

    `out` must not be a symbolic link (the caller checks). Each file is written beside its name and
    renamed over it: a committed link of that name (docs/reference/fields.md -> ~/.bashrc) is
    replaced, never written through."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, record_type in RECORD_TYPES.items():
        path = out / f"{kind}.schema.json"
        _replace(path, json.dumps(json_schema(record_type), ensure_ascii=False, indent=2) + "\n")
        written.append(path)
    path = out / "fields.md"
    _replace(path, field_reference())
    written.append(path)
    settings = _editor_settings(out)
    if settings is not None:
        written.append(settings)
    return written


def _editor_settings(out: Path) -> Path | None:
    """Update the checkout's .vscode/settings.json when `out` is its docs/reference; the file written, or None.

    Only a regular file is read (a link is neither followed nor replaced), and only when its map is stale."""
    if out.absolute().parts[-2:] != tuple(REFERENCE.split("/")):
        return None
    path = out.absolute().parent.parent / EDITOR_SETTINGS
    if path.is_symlink() or path.parent.is_symlink() or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    updated = with_editor_schemas(text)
    if updated is None or updated == text:
        return None
    _replace(path, updated)
    return path


def _replace(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
