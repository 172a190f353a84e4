"""Each field's declaration says where it goes (issue 18): the export, `dangjian new`, `dangjian diff`,
the JSON Schemas, the field reference and the CMS forms read it, and a field nobody reads fails here."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import apply_overlay, copy_minimal
from site_helpers import build_site
from dangjian import cms, diff, reference
from dangjian.editing import scaffold
from dangjian.recordtypes import RECORD_TYPES
from dangjian.schema import Field, List, Number, Object, Ref, Text
from dangjian.site import exports
from dangjian.site import kinds as site_kinds
from dangjian.validate import validate

PROJECT_FILE = "registry/projects/east-2026-road.yaml"


def top_fields() -> list[tuple[str, Field]]:
    return [(kind, spec) for kind, t in RECORD_TYPES.items() for spec in t.schema.fields]


def field_id(item: tuple[str, Field]) -> str:
    return f"{item[0]}.{item[1].name}"


# --- every field has a decision ------------------------------------------------------------------


@pytest.mark.parametrize("item", top_fields(), ids=field_id)
def test_every_field_is_consumed_or_marked_internal(item: tuple[str, Field]) -> None:
    """A field goes somewhere (page, export, diff, `dangjian new`, or a computation it feeds), or is
    declared internal (kept in the file, never published, asked or diffed); never neither, never both."""
    kind, spec = item
    uses = {"page": spec.page, "export": spec.column, "diff": spec.diff, "new": spec.new, "feeds": spec.feeds}
    if spec.internal:
        assert not any(uses.values()), f"{kind}.{spec.name} is internal but declares {uses}"
    else:
        assert any(uses.values()), f"{kind}.{spec.name}: say where it goes, or mark it internal=True"


def test_a_field_without_a_decision_fails() -> None:
    """The check above can fail: a bare declaration has no consumer."""
    bare = Field("motto", Text(), "组织的口号")
    assert not any((bare.page, bare.column, bare.diff, bare.new, bare.feeds, bare.internal))


def test_exported_fields_belong_to_a_table_and_have_a_value() -> None:
    for kind, spec in top_fields():
        if spec.column:
            assert _exporter(kind) is not None, (
                f"{kind}.{spec.name} is declared export= but no /api/ table holds {kind} records: in its site module "
                f"(site/kinds/, the SiteKind with record={kind!r}) add a function `export(data)` returning "
                f"{{'api/<plural>': exports.record_rows(data, {kind!r}, <its records in order>)}} and pass it as "
                "`KIND = SiteKind(..., export=export)` (as site/kinds/brand.py does); or drop export="
            )
            assert exports.exportable(spec.type), f"{kind}.{spec.name}: no export value for its type"


def test_member_fields_are_never_exported_or_diffed() -> None:
    """Members appear in counts and (public ones) by name through references, never field by field."""
    for spec in RECORD_TYPES["member"].schema.fields:
        assert not spec.column and not spec.diff, spec.name


def test_diffed_fields_belong_to_a_section() -> None:
    """A kind kept by id and not bulk gets diff.py's generic section by itself; a kind a hand-written section
    tells of must name its records in FIELD_CHANGES (and call `field_changes` from that section)."""
    for kind, spec in top_fields():
        if not spec.diff or kind in diff.FIELD_CHANGES or kind in diff.generic_kinds():
            continue
        told = [changes.__name__ for _, _, changes, kinds in diff.HAND_SECTIONS if kind in kinds]
        assert not told, (
            f"{kind}.{spec.name} is declared diff=True but `dangjian diff` tells of {kind} in its own section "
            f"({told[0]}): in diff.py add {kind!r}: FieldChanges(<how a line names the record>) to FIELD_CHANGES and "
            f"yield from field_changes({kind!r}, old, new, before, after) in {told[0]}; or drop diff=True"
        )
        raise AssertionError(
            f"{kind}.{spec.name} is declared diff=True but {kind} records have no id or are bulk (counted, never "
            f"listed), so diff.py's generic section cannot list them: write a section for {kind} in diff.py "
            "(HAND_SECTIONS) with a FieldChanges entry in FIELD_CHANGES; or drop diff=True"
        )


def _exporter(kind: str):
    """The site kind's export of a registry kind's records, or None."""
    try:
        return site_kinds.of_record(kind).export
    except KeyError:
        return None


def test_column_names_are_unique_per_table() -> None:
    for kind in RECORD_TYPES:
        if _exporter(kind) is not None:
            columns = exports.columns(kind, site_kinds.of_record(kind).derived)
            assert len(columns) == len(set(columns)), kind


# Every question answered, so each field `dangjian new` writes or offers shows in the draft.
ANSWERS = {
    "org": {"id": "north", "name": "北村党支部", "parent": "town", "kind": "党支部", "domain": "农村"},
    "member": {
        "id": "m-east-9",
        "name": "周新人",
        "org": "east",
        "status": "正式党员",
        "joined": "2020-07-01",
        "born": 1990,
        "gender": "女",
    },
    "project": {
        "id": "east-2026-well",
        "title": "打井",
        "org": "east",
        "lead": "m-east-sec",
        "category": "常规性",
        "year": 2026,
        "status": "立项",
        "problem": "缺水",
        "goal": "打井",
    },
    "story": {"id": "east-well", "title": "打井记", "date": "2026-03-01", "org": "east", "brand": "red"},
    "activity": {"id": "east-x", "org": "east", "date": "2026-03-05", "kind": "党课", "title": "党课"},
    "brand": {"id": "blue", "name": "蓝色", "owner": "east", "parent": "red", "slogan": "口号"},
}


def _draft(root: Path, kind: str) -> str:
    import datetime

    from dangjian.model import Registry

    answers = dict(ANSWERS[kind])
    if "date" in answers:
        answers["date"] = datetime.date.fromisoformat(answers["date"])
    if "joined" in answers:
        answers["joined"] = datetime.date.fromisoformat(answers["joined"])
    reg: Registry = validate(root).registry
    return scaffold.SCAFFOLDS[kind].draft(reg, answers).added


_KEY = re.compile(r"^\s*(?:- )?(?:# )?([a-z_]+):(?:\s|$)")


def _keys(text: str) -> set[str]:
    """Keys written (`key:`, `- key:`) or offered commented out (`# key:`) at a record's top level
    (an example's own lines are `#  - title:`: not matched)."""
    return {m.group(1) for line in text.splitlines() if (m := _KEY.match(line))}


@pytest.mark.parametrize("kind", sorted(ANSWERS))
def test_dangjian_new_writes_or_offers_exactly_the_declared_fields(kind: str, tmp_path: Path) -> None:
    root = copy_minimal(tmp_path / "reg")
    declared = {s.name for s in RECORD_TYPES[kind].schema.fields if s.new}
    assert _keys(_draft(root, kind)) == declared


def test_kinds_with_new_fields_have_a_scaffold() -> None:
    for kind, spec in top_fields():
        if spec.new:
            assert kind in scaffold.SCAFFOLDS, (
                f"{kind}.{spec.name} is declared new=True but `dangjian new {kind}` does not exist: in "
                f"editing/scaffold.py write a Scaffold({kind!r}, <help>, <questions>, <draft>) (as BRAND there) and "
                f"list it in SCAFFOLDS, then give its answers in ANSWERS (tests/test_fields_declared.py); "
                "or drop new=True"
            )


def test_every_scaffold_is_checked_against_the_declarations() -> None:
    for kind in scaffold.SCAFFOLDS:
        assert kind in ANSWERS, (
            f"`dangjian new {kind}` is not checked: add its answers to ANSWERS in tests/test_fields_declared.py"
        )


@pytest.mark.parametrize(
    ("kind", "name", "option", "guard", "says"),
    [
        (
            "result",
            "period",
            {"export": True},
            test_exported_fields_belong_to_a_table_and_have_a_value,
            "export=export",
        ),
        ("scheme", "name", {"diff": True}, test_diffed_fields_belong_to_a_section, "to FIELD_CHANGES"),
        ("page", "title", {"diff": True}, test_diffed_fields_belong_to_a_section, "(HAND_SECTIONS)"),
        ("scheme", "name", {"new": True}, test_kinds_with_new_fields_have_a_scaffold, "list it in SCAFFOLDS"),
    ],
)
def test_a_field_declared_for_a_consumer_its_kind_lacks_is_told_what_to_add(
    monkeypatch: pytest.MonkeyPatch, kind: str, name: str, option: dict, guard: Any, says: str
) -> None:
    schema = RECORD_TYPES[kind].schema
    fields = tuple(dataclasses.replace(f, **option) if f.name == name else f for f in schema.fields)
    monkeypatch.setattr(schema, "fields", fields)
    with pytest.raises(AssertionError, match=re.escape(says)) as failed:
        guard()
    assert f"{kind}.{name} is declared" in str(failed.value)


# --- the experiment: one declaration, and everything follows ---------------------------------


BUDGET = Field(
    "budget", Number(0), "项目预算（万元）", label="预算", export="budget", diff=True, new=True, example="10"
)


@pytest.fixture
def with_budget(monkeypatch: pytest.MonkeyPatch) -> Field:
    """`budget` declared on projects, as a developer would add it (restored afterwards)."""
    schema = RECORD_TYPES["project"].schema
    monkeypatch.setattr(schema, "fields", (*schema.fields, BUDGET))
    monkeypatch.setattr(schema, "by_name", {**schema.by_name, "budget": BUDGET})
    monkeypatch.setattr(schema, "types", {**schema.types, "budget": BUDGET.type})
    return BUDGET


def _with_budget_value(root: Path, value: str) -> Path:
    text = (root / PROJECT_FILE).read_text(encoding="utf-8")
    return apply_overlay(root, {PROJECT_FILE: text + f"budget: {value}\n"})


def test_a_new_field_is_exported_under_its_column(with_budget: Field, tmp_path: Path) -> None:
    root = _with_budget_value(copy_minimal(tmp_path / "reg"), "12.5")
    assert not validate(root).problems
    site = build_site(root, tmp_path / "site")
    rows = json.loads((site / "api/projects.json").read_text(encoding="utf-8"))
    assert [r["budget"] for r in rows] == [12.5]
    table = list(csv.DictReader(io.StringIO((site / "api/projects.csv").read_text(encoding="utf-8-sig"))))
    assert [r["budget"] for r in table] == ["12.5"]


def test_a_new_field_is_offered_by_dangjian_new(with_budget: Field, tmp_path: Path) -> None:
    text = _draft(copy_minimal(tmp_path / "reg"), "project")
    offered = [line for line in text.splitlines() if line.startswith("# budget: 10 ")]
    assert len(offered) == 1 and offered[0].endswith("# 项目预算（万元）"), text


def test_a_new_field_is_diffed_with_its_label(with_budget: Field, tmp_path: Path) -> None:
    old = validate(_with_budget_value(copy_minimal(tmp_path / "a"), "10")).registry
    new = validate(_with_budget_value(copy_minimal(tmp_path / "b"), "12.5")).registry
    lines = [line for s in diff.sections_of(old, new) for line in s.lines]
    assert lines == ["村道亮化：预算 10 → 12.50"]


def test_a_new_field_is_in_the_schema_reference_and_forms(with_budget: Field) -> None:
    schema = reference.json_schema(RECORD_TYPES["project"])
    assert schema["properties"]["budget"]["title"] == "预算"
    assert schema["properties"]["budget"]["description"] == "项目预算（万元）"
    assert "| `budget` | 预算 | 数字（可有小数），范围 不小于 0 |  | 项目预算（万元） |" in reference.field_reference()
    settings = cms.CmsSettings(backend="github", repo="x/y")
    project = next(c for c in cms.config(settings)["collections"] if c["name"] == "project")
    budget = next(f for f in project["fields"] if f["name"] == "budget")
    assert (budget["label"], budget["hint"], budget["widget"]) == ("预算", "项目预算（万元）", "number")


# --- diff: the generic path never names a private member -----------------------------------------------


PRIVATE_LEAD = "- id: m-east-hid\n  name: 钱不公开\n  org: east\n  status: 正式党员\n  joined: 2000-07-01\n"


def test_a_diffed_member_reference_names_only_public_members(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    schema = RECORD_TYPES["project"].schema
    lead = dataclasses.replace(schema.by_name["lead"], diff=True)
    team = dataclasses.replace(schema.by_name["team"], diff=True)
    fields = tuple({"lead": lead, "team": team}.get(s.name, s) for s in schema.fields)
    monkeypatch.setattr(schema, "fields", fields)
    monkeypatch.setattr(schema, "by_name", {s.name: s for s in fields})
    members = "registry/members/east.yaml"

    def registry(name: str, lead: str, team: str, public: bool = False):
        root = copy_minimal(tmp_path / name)
        roster = (root / members).read_text(encoding="utf-8") + PRIVATE_LEAD + ("  public: true\n" if public else "")
        project = (root / PROJECT_FILE).read_text(encoding="utf-8")
        project = project.replace("lead: m-east-sec", f"lead: {lead}").replace("team: [m-east-sec]", f"team: {team}")
        return validate(apply_overlay(root, {members: roster, PROJECT_FILE: project})).registry

    public = registry("a", "m-east-sec", "[m-east-sec]")
    private = registry("b", "m-east-hid", "[m-east-sec, m-east-hid]")
    lines = [line for s in diff.sections_of(public, private) for line in s.lines]
    assert lines and all("钱不公开" not in line and "m-east-hid" not in line for line in lines), lines
    assert "村道亮化：领办书记 王东方 → （不公开的党员）" in lines
    back = [line for s in diff.sections_of(private, public) for line in s.lines]
    assert back and all("钱不公开" not in line and "m-east-hid" not in line for line in back), back
    # public when they led the project, private now (consent withdrawn): not named from the old revision
    consented = registry("c", "m-east-hid", "[m-east-sec]", public=True)
    withdrawn = [line for s in diff.sections_of(consented, public) for line in s.lines]
    assert "村道亮化：领办书记 （不公开的党员） → 王东方" in withdrawn, withdrawn
    assert all("钱不公开" not in line and "m-east-hid" not in line for line in withdrawn), withdrawn


# --- the CMS widget can be chosen in the declaration ---------------------------------------------------


def test_a_declared_widget_overrides_the_derived_one() -> None:
    assert cms.field(Field("note", Text(), "说明", widget="text"))["widget"] == "text"
    assert cms.field(Field("note", Text(), "说明"))["widget"] == "string"
    assert cms.field(Field("org", Ref("org"), "组织"))["widget"] == "relation"


def test_labels_come_from_the_declaration() -> None:
    assert Field("x", Text(), "组织全称，例如 溪南村党支部").label == "组织全称"
    assert Field("x", Text(), "组织全称", label="名称").label == "名称"
    assert Object(Field("x", Text(), "out = 流出", label="流动方向")).fields[0].label == "流动方向"


# --- exports: a member reference is a public name, never a private member's name or id ------------------


@pytest.fixture(scope="module")
def minimal_data(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import datetime

    from dangjian.site.data import SiteData

    root = copy_minimal(tmp_path_factory.mktemp("minimal") / "reg")
    return SiteData(validate(root).registry, datetime.date(2026, 12, 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_exported_member_references_name_only_public_members(minimal_data: Any, data: st.DataObject) -> None:
    from dangjian.model import is_public

    reg = minimal_data.reg
    ids = sorted(reg.members) + ["m-nobody"]
    chosen = data.draw(st.lists(st.sampled_from(ids), unique=True))
    public = [reg.members[m]["name"] for m in chosen if m in reg.members and is_public(reg.members[m])]
    private = [reg.members[m]["name"] for m in chosen if m in reg.members and not is_public(reg.members[m])]
    names = exports.cell(minimal_data, List(Ref("member")), chosen)
    assert names == public
    assert not set(names) & (set(private) | set(chosen))
    for member_id in chosen:
        one = exports.cell(minimal_data, Ref("member"), member_id)
        assert one is None or one in public
        assert (one is not None) == (member_id in reg.members and is_public(reg.members[member_id]))


def test_the_minimal_registry_has_private_and_public_members(minimal_data: Any) -> None:
    from dangjian.model import is_public

    flags = {is_public(m) for m in minimal_data.reg.members.values()}
    assert flags == {True, False}  # else the property above checks one side only
