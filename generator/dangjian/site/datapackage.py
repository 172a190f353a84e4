"""/api/datapackage.json: the open data described as a Frictionless Data Package (v2).

One resource per export table (its CSV, or its CSV parts when the table is split: exports.py; the JSON beside
each holds the same rows), each with a Table
Schema: a record table's declared columns take their type, title (the field's label), description (its
one-line doc), allowed values and foreign keys from `recordtypes.py`; computed columns (a project's
progress, a ranking's total) are described in `COMPUTED` below, and `tests/test_datapackage.py` fails
for a column described nowhere. The data's licence is `site.yaml`'s `data_license` (default CC BY 4.0).

CSV conventions the schemas spell out (docs/extensions.md): UTF-8 with a BOM, `true`/`false`, lists
joined by `；`, an empty cell for a missing value, text that a spreadsheet would run as a formula
prefixed with `'` (so such a cell reads differently from its JSON value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..recordtypes import DATA_LICENSES, DEFAULT_DATA_LICENSE, RECORD_TYPES
from ..schema import Bool, Date, Enum, FieldType, List, Number, Object, Ref
from . import exports, kinds
from .kinds.base import SiteKind
from .persite import per_site

if TYPE_CHECKING:
    from .data import SiteData

LIST_DELIMITER = "；"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

# Columns a kind computes, or a table that is not a record table (rankings): name → (title, type, description).
COMPUTED: dict[str, tuple[str, str, str]] = {
    "milestones": ("进度节点数", "integer", "项目的进度节点个数"),
    "milestones_done": ("已完成节点数", "integer", "已写明实际完成日期的进度节点个数"),
    "progress": ("进度（%）", "integer", "已完成节点占全部节点的百分比，四舍五入到整数"),
    "rank": ("名次", "integer", "本期名次；得分相同名次相同"),
    "org": ("组织编号", "string", "参加排位的组织的编号"),
    "member": ("党员编号", "string", "参加排位的公开党员的编号；不公开的党员为空"),
    "name": ("名称", "string", "组织名称，或公开党员的姓名；不公开的党员为空"),
    "total": ("总分", "number", "各项指标得分与奖分、扣分之和"),
    "change": ("名次变化", "string", "与上期相比上升（正数）或下降（负数）的名次，0 为不变；上期未参加排位时为 new"),
    "bonus": ("奖分", "number", "本期计入的奖分（不超过方案的奖分上限）"),
    "penalty": ("扣分", "number", "本期的扣分（负数）"),
    "top": ("前列", "boolean", "是否在方案标出的前几名之内"),
    "bottom": ("后列", "boolean", "是否在方案标出的后几名之内"),
}

TYPE_NAMES = {  # for the /api/ page
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是否（true/false）",
    "date": "日期（YYYY-MM-DD）",
    "list": f"列表（用“{LIST_DELIMITER}”分隔）",
}


def license_of(settings: dict[str, Any]) -> dict[str, str]:
    """The data's licence as the Data Package spec writes it: SPDX name, address, Chinese title."""
    name = settings.get("data_license", DEFAULT_DATA_LICENSE)
    title, path = DATA_LICENSES[name]
    return {"name": name, "path": path, "title": title}


@dataclass(frozen=True)
class Table:
    """One export table as published: its name (`api/projects`), the record kind whose fields are its columns (if
    any), its resource in the Data Package but for its title (which reads a scheme's name), and its files (JSON and
    CSV, or their parts)."""

    name: str
    record: str | None
    resource: dict[str, Any]
    files: dict[str, bytes]


def kind_tables(data: SiteData, kind: SiteKind) -> list[Table]:
    """A kind's export tables as published, made once a build: computed, or as the last build of this registry kept
    them when the kind declares what its export reads (`SiteKind.exported`) and none of it changed."""
    return _kind_tables(data, kind.name)


@per_site
def _kind_tables(data: SiteData, name: str) -> list[Table]:
    kind = kinds.BY_NAME[name]
    if kind.exported is None:
        return tables_of(data, kind)
    return data.kept_value(kind.exported, lambda: tables_of(data, kind), given=f"parts {exports.PART_BYTES}")


def tables_of(data: SiteData, kind: SiteKind) -> list[Table]:
    """A kind's export tables, computed (`kind.export`, then `exports.table_files` and `resource`)."""
    assert kind.export is not None, kind.name
    made = []
    for name, rows in kind.export(data).items():
        files = exports.table_files(name, rows)
        made.append(Table(name, kind.record, resource(name, rows, kind.record, exports.parts_of(files, name)), files))
    return made


def tables(data: SiteData) -> list[Table]:
    """Every export table of the site, in the kinds' order."""
    return [table for kind in kinds.KINDS if kind.export is not None for table in kind_tables(data, kind)]


def export_files(data: SiteData) -> dict[str, bytes]:
    """Every export file under api/ (each table's JSON and CSV, or their parts): path → bytes."""
    return _export_files(data)


@per_site
def _export_files(data: SiteData) -> dict[str, bytes]:
    return {path: content for table in tables(data) for path, content in table.files.items()}


def descriptor(data: SiteData) -> dict[str, Any]:
    """The data package: every export table of the site as a resource with its Table Schema (computed once per
    site: the /api/ page and the descriptor's file both read it; neither changes it)."""
    return data.memo("api.descriptor", lambda: _descriptor(data))


def _descriptor(data: SiteData) -> dict[str, Any]:
    resources = [
        {**table.resource, "schema": dict(table.resource["schema"]), "title": " ".join(_titles(data, table))}
        for table in tables(data)
    ]
    names = {r["name"] for r in resources}
    for res in resources:  # a reference to a table the site does not publish would not resolve
        keys = [fk for fk in res["schema"].get("foreignKeys", []) if fk["reference"]["resource"] in names]
        res["schema"].pop("foreignKeys", None)
        if keys:
            res["schema"]["foreignKeys"] = keys
    settings = data.settings
    package: dict[str, Any] = {
        "$schema": PROFILE,
        "name": f"dangjian-{data.root or 'site'}",
        "title": settings.get("title", "基层党建"),
        "licenses": [license_of(settings)],
        "resources": resources,
    }
    if settings.get("description"):
        package["description"] = settings["description"]
    if settings.get("base_url"):
        package["homepage"] = settings["base_url"]
    return package


def _titles(data: SiteData, table: Table) -> tuple[str, ...]:
    """A table's Chinese title: its family's (a record kind's name, or a ranking scheme's), then its period."""
    record = table.record
    parts = table.name.removeprefix("api/").split("/")
    if parts[0] == "rankings" and len(parts) == 3:
        scheme = data.reg.schemes.get(parts[1])
        return (f"排位：{scheme['name'] if scheme else parts[1]}", parts[2])
    return (RECORD_TYPES[record].title if record in RECORD_TYPES else parts[0],)


def resource_name(name: str) -> str:
    """A resource's name from its export name: `api/rankings/haian-towns/2016` → `rankings-haian-towns-2016`."""
    return re.sub(r"[^a-z0-9._-]+", "-", name.removeprefix("api/").lower()).strip("-")


def resource(
    name: str, rows: list[dict[str, Any]], record: str | None, parts: list[str] | None = None
) -> dict[str, Any]:
    """One table: its CSV and its schema (columns in the order of the rows' keys). A table written in parts
    (`parts`: its files without extension, exports.parts_of) has their CSVs as its `path`, in order: the Data
    Package spec reads them as one table, the header of every part after the first skipped."""
    paths = [f"{part.removeprefix('api/')}.csv" for part in parts or [name]]
    columns = list(rows[0]) if rows else exports.columns(record) if record else []
    declared = _declared(record)
    fields = [declared[c] if c in declared else _computed(c, rows) for c in columns]
    schema: dict[str, Any] = {"fields": [f for f, _ in fields]}
    if "id" in columns:
        schema["primaryKey"] = ["id"]
    keys = [
        {"fields": [f["name"]], "reference": {"resource": target, "fields": ["id"]}} for f, target in fields if target
    ]
    if keys:
        schema["foreignKeys"] = keys
    return {
        "name": resource_name(name),
        "path": paths[0] if len(paths) == 1 else paths,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"header": True, "delimiter": ",", "lineTerminator": "\n"},
        "schema": schema,
    }


def _declared(record: str | None) -> dict[str, tuple[dict[str, Any], str | None]]:
    """Column → (Table Schema field, the resource it references) for a record kind's declared columns."""
    if record is None or record not in RECORD_TYPES:
        return {}
    out = {}
    for spec in RECORD_TYPES[record].schema.fields:
        if spec.column:
            field = {"name": spec.column, "title": spec.label, "description": spec.doc, **field_type(spec.type)}
            out[spec.column] = (field, _reference(spec.type))
    return out


def field_type(kind: FieldType) -> dict[str, Any]:
    """A declared type as Table Schema's type and constraints (as `exports.cell` writes the values)."""
    if isinstance(kind, Bool):
        return {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]}
    if isinstance(kind, Date):
        return {"type": "date"}
    if isinstance(kind, Number):
        out: dict[str, Any] = {"type": "integer" if kind.integer else "number"}
        bounds = {k: v for k, v in (("minimum", kind.minimum), ("maximum", kind.maximum)) if v is not None}
        return {**out, "constraints": bounds} if bounds else out
    if isinstance(kind, List):
        item = kind.item
        item_type = "string" if isinstance(item, Object) else field_type(item)["type"]
        return {"type": "list", "delimiter": LIST_DELIMITER, "itemType": item_type}
    if isinstance(kind, Enum):
        return {"type": "string", "constraints": {"enum": list(kind.values)}}
    return {"type": "string"}


def _reference(kind: FieldType) -> str | None:
    """The resource a column's values are ids of: orgs and brands are exported by id (members by name)."""
    if isinstance(kind, Ref) and kind.kind in ("org", "brand"):
        return f"{kind.kind}s"
    return None


def _computed(column: str, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], None]:
    if column in COMPUTED:
        title, kind, doc = COMPUTED[column]
    else:  # a ranking's indicator: its id is the column
        title, kind, doc = column, _inferred(column, rows), "指标得分（指标名称见排位方案的页面）"
    field: dict[str, Any] = {"name": column, "title": title, "description": doc, "type": kind}
    if kind == "boolean":
        field.update(trueValues=["true"], falseValues=["false"])
    return field, None


def _inferred(column: str, rows: list[dict[str, Any]]) -> str:
    values = [row.get(column) for row in rows if row.get(column) is not None]
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    return "string"


def described_columns(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The /api/ page's tables: one entry per table family (a ranking's periods share their columns)."""
    families: dict[str, dict[str, Any]] = {}
    for res in package["resources"]:
        paths = [res["path"]] if isinstance(res["path"], str) else res["path"]
        files = [p.removesuffix(".csv") for p in paths]
        path = files[0] if len(files) == 1 else files[0].removesuffix("-part1")  # the table's own name
        family = path.rsplit("/", 1)[0] if "/" in path else path
        title = res["title"].rsplit(" ", 1)[0] if "/" in path else res["title"]
        entry = families.setdefault(
            family, {"name": family, "title": title, "files": [], "fields": res["schema"]["fields"], "split": False}
        )
        entry["files"] += files
        entry["split"] = entry["split"] or len(files) > 1
    return [
        {**entry, "fields": [{**f, "type_name": TYPE_NAMES[f["type"]]} for f in entry["fields"]]}
        for entry in families.values()
    ]
