"""Open data that describes itself: /api/datapackage.json (Frictionless) and /api/popolo.json (Popolo).

Both are checked with the standards' own tools: the Data Package with the `frictionless` library (types,
constraints, primary and foreign keys over every CSV), the Popolo export against Popolo's JSON Schemas
(tests/data/popolo/, draft 3). Each check is first shown able to fail.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import frictionless
import jsonschema
import pytest
import referencing
import yaml

from conftest import REPO
from reading import tables
from site_helpers import article, build_site, text_files

from dangjian.recordtypes import RECORD_TYPES
from dangjian.validate import validate

POPOLO_SCHEMAS = Path(__file__).parent / "data" / "popolo"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    return build_site(REPO, tmp_path_factory.mktemp("open-data") / "site")


def _package(site: Path) -> dict:
    return json.loads((site / "api/datapackage.json").read_text(encoding="utf-8"))


def _frictionless_errors(site: Path) -> list[str]:
    report = frictionless.validate(str(site / "api/datapackage.json"))
    return [f"{task.name}: {error.message}" for task in report.tasks for error in task.errors] + [
        error.message for error in report.errors
    ]


# --- the Data Package --------------------------------------------------------------------------


def test_the_demos_data_package_is_valid(demo_site):
    assert _frictionless_errors(demo_site) == []


def test_every_export_table_is_a_resource(demo_site):
    csvs = sorted(p.relative_to(demo_site / "api").as_posix() for p in (demo_site / "api").rglob("*.csv"))
    assert sorted(r["path"] for r in _package(demo_site)["resources"]) == csvs


def test_every_column_is_described_in_chinese(demo_site):
    for resource in _package(demo_site)["resources"]:
        header = next(csv.reader((demo_site / "api" / resource["path"]).read_text(encoding="utf-8-sig").splitlines()))
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == header, resource["name"]
        for field in fields:
            assert field["title"] and any("\u4e00" <= ch <= "\u9fff" for ch in field["description"]), field


def test_declared_fields_give_types_enums_and_keys(demo_site):
    orgs = next(r for r in _package(demo_site)["resources"] if r["name"] == "orgs")
    by_name = {f["name"]: f for f in orgs["schema"]["fields"]}
    assert by_name["founded"]["type"] == "date"
    assert by_name["weak"]["type"] == "boolean"
    assert by_name["kind"]["constraints"]["enum"] == list(RECORD_TYPES["org"].schema.types["kind"].values)
    assert by_name["parent"]["title"] == "上级组织"
    assert by_name["labels"] == {**by_name["labels"], "type": "list", "delimiter": "；"}
    assert orgs["schema"]["primaryKey"] == ["id"]
    assert {"fields": ["parent"], "reference": {"resource": "orgs", "fields": ["id"]}} in orgs["schema"]["foreignKeys"]


def _broken_copy(site: Path, tmp_path: Path, edit) -> Path:
    copy = shutil.copytree(site / "api", tmp_path / "api")
    edit(copy)
    return copy.parent


def _replace_cell(path: Path, column: str, value: str) -> None:
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    rows[1][rows[0].index(column)] = value
    path.write_text("\ufeff" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "column, value, words",
    [
        ("founded", "2015年", "type"),  # not a date
        ("parent", "no-such-org", "foreign"),  # a reference to no row
        ("kind", "兴趣小组", "constraint"),  # not one of the enum's values
    ],
)
def test_the_check_fails_on_a_bad_cell(demo_site, tmp_path, column, value, words):
    broken = _broken_copy(demo_site, tmp_path, lambda api: _replace_cell(api / "orgs.csv", column, value))
    errors = _frictionless_errors(broken)
    assert errors and any(words in e.lower() for e in errors), errors


def test_csv_booleans_and_lists(demo_site):
    rows = list(csv.DictReader((demo_site / "api/orgs.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert {row["weak"] for row in rows} <= {"true", "false"}
    assert "true" in {row["weak"] for row in rows}


def test_the_licence_defaults_to_cc_by_and_is_shown_on_api(demo_site):
    assert _package(demo_site)["licenses"] == [
        {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "知识共享 署名 4.0 国际"}
    ]
    link = article(demo_site, "api/").select_one('a[rel="license"]')
    assert link is not None and link["href"] == "https://creativecommons.org/licenses/by/4.0/"


def test_a_licence_is_set_in_site_yaml(registry, tmp_path):
    root = registry()
    site_yaml = root / "registry/site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8") + "data_license: CC0-1.0\n", encoding="utf-8")
    site = build_site(root, tmp_path / "site")
    assert _package(site)["licenses"][0]["name"] == "CC0-1.0"
    assert _frictionless_errors(site) == []


def test_an_unknown_licence_is_a_chinese_problem(registry):
    root = registry()
    site_yaml = root / "registry/site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8") + "data_license: MIT\n", encoding="utf-8")
    problems = [p for p in validate(root).problems if p.file.endswith("site.yaml")]
    assert len(problems) == 1 and "不是可用的值" in problems[0].message and "CC-BY-4.0" in problems[0].hint


def test_the_api_page_describes_each_column_under_its_heading(demo_site):
    body = article(demo_site, "api/")
    described = next(t for t in tables(body) if t.label == "组织的各列")
    row = described.row("列名", "parent")
    assert (row["名称"], row["类型"]) == ("上级组织", "文本")
    assert described.row("列名", "weak")["类型"] == "是否（true/false）"
    assert described.row("列名", "founded")["说明"] == RECORD_TYPES["org"].schema.by_name["founded"].doc
    files = next(t for t in tables(body) if t.label == "可下载的文件").cells("文件")
    assert "api/datapackage.json" in files and "api/popolo.json" in files


# --- Popolo ------------------------------------------------------------------------------------


def _popolo_validator(kind: str) -> jsonschema.Draft3Validator:
    resources = []
    for path in POPOLO_SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["id"], referencing.Resource.from_contents(schema, referencing.jsonschema.DRAFT3)))
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((POPOLO_SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))
    return jsonschema.Draft3Validator(schema, registry=registry)


def _popolo_errors(document: dict) -> list[str]:
    errors = []
    for key, kind in (("organizations", "organization"), ("persons", "person"), ("memberships", "membership")):
        validator = _popolo_validator(kind)
        for item in document[key]:
            errors += [f"{kind} {item.get('id')}: {e.message}" for e in validator.iter_errors(item)]
    return errors


def _popolo(site: Path) -> dict:
    return json.loads((site / "api/popolo.json").read_text(encoding="utf-8"))


def test_the_demos_popolo_export_is_valid(demo_site):
    document = _popolo(demo_site)
    assert document["organizations"] and document["persons"] and document["memberships"]
    assert _popolo_errors(document) == []


def test_the_popolo_check_can_fail(demo_site):
    document = _popolo(demo_site)
    document["memberships"][0]["start_date"] = "2015年3月"
    document["organizations"][0]["other_names"] = [{"name": "旧名", "end_date": "2015年"}]  # through a $ref
    assert len(_popolo_errors(document)) == 2


def test_popolo_names_only_public_members(demo_site):
    from dangjian.model import is_public

    reg = validate(REPO).registry
    public = {m for m, member in reg.members.items() if is_public(member)}
    document = _popolo(demo_site)
    assert {p["id"] for p in document["persons"]} == public
    assert {m["person_id"] for m in document["memberships"]} <= public
    assert set(document["persons"][0]) == {"id", "name"}  # no birth year, gender or anything else


HOSTILE = """
- id: m-east-hidden-unique
  name: 隐秘独特名
  org: east
  status: 正式党员
  joined: 2001-07-01
  public: false
  history:
    - date: 2001-07-01
      status: 预备党员
      org: west
    - date: 2002-07-01
      status: 正式党员
    - date: 2010-03-01
      org: east
"""


def test_a_private_member_with_a_history_leaves_no_trace_in_popolo(registry, tmp_path):
    root = registry()
    members = root / "registry/members/east.yaml"
    members.write_text(members.read_text(encoding="utf-8") + HOSTILE, encoding="utf-8")
    assert validate(root).problems == []
    site = build_site(root, tmp_path / "site")
    popolo = (site / "api/popolo.json").read_text(encoding="utf-8")
    assert "隐秘独特名" not in popolo and "m-east-hidden-unique" not in popolo
    for path in text_files(site):
        assert "隐秘独特名" not in path.read_text(encoding="utf-8", errors="replace"), path


SECRETARY_HISTORY = """
  history:
    - date: 1990-07-01
      status: 预备党员
      org: west
    - date: 1991-07-01
      status: 正式党员
    - date: 2005-01-01
      org: east
      posts: [副书记]
    - date: 2012-01-01
      posts: [书记]
      grade: 3A
"""


def test_memberships_follow_the_history(registry, tmp_path):
    root = registry()
    members = root / "registry/members/east.yaml"
    data = yaml.safe_load(members.read_text(encoding="utf-8"))
    text = members.read_text(encoding="utf-8")
    first = text.index("- id: m-east-a")  # the secretary's record ends where the next begins
    members.write_text(text[:first].rstrip("\n") + "\n" + SECRETARY_HISTORY.lstrip("\n") + text[first:], "utf-8")
    assert data[0]["id"] == "m-east-sec"
    assert validate(root).problems == []
    site = build_site(root, tmp_path / "site")
    spells = [
        (m["organization_id"], m["role"], m.get("start_date"), m.get("end_date"))
        for m in _popolo(site)["memberships"]
        if m["person_id"] == "m-east-sec"
    ]
    assert sorted(spells, key=lambda s: (s[2] or "", s[1])) == [
        ("west", "党员", "1990-07-01", "2004-12-31"),
        ("east", "党员", "2005-01-01", None),
        ("east", "副书记", "2005-01-01", "2011-12-31"),
        ("east", "书记", "2012-01-01", None),
    ]
    assert _popolo_errors(_popolo(site)) == []


def test_a_renamed_org_keeps_its_former_name(registry, tmp_path):
    root = registry()
    org = root / "registry/orgs/east.yaml"
    name = yaml.safe_load(org.read_text(encoding="utf-8"))["name"]
    org.write_text(
        org.read_text(encoding="utf-8") + f"history:\n  - date: 2000-01-01\n    name: 旧东村党支部\n"
        f"  - date: 2019-05-01\n    name: {name}\n",
        encoding="utf-8",
    )
    assert validate(root).problems == []
    site = build_site(root, tmp_path / "site")
    east = next(o for o in _popolo(site)["organizations"] if o["id"] == "east")
    assert east["name"] == name
    assert east["other_names"] == [{"name": "旧东村党支部", "end_date": "2019-04-30"}]
