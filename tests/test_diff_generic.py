"""`dangjian diff` for a kind with no section of its own (issue 18): a kind declared in recordtypes.py, kept by
id and not bulk, gets a generic section (its Chinese title; records added, removed and changed by id, and
its fields declared `diff=True`), so a new kind's records reach the merge request's summary by themselves.

Today every such kind has a hand-written section: here the brands' section is taken away so that brands
stand for a new kind, and the projects' so that a member reference goes through the generic path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import apply_overlay, copy_minimal
from dangjian import diff
from dangjian.recordtypes import RECORD_TYPES
from dangjian.summary import BULK_KINDS
from dangjian.validate import validate

BRAND_FILE = "registry/brands/red.yaml"
BLUE = "id: blue\nname: 蓝色港湾\nowner: east\nslogan: 服务到家\n"
PROJECT_FILE = "registry/projects/east-2026-road.yaml"
PRIVATE = "- id: m-east-hid\n  name: 钱不公开\n  org: east\n  status: 正式党员\n  joined: 2000-07-01\n"


def _without(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    monkeypatch.setattr(diff, "HAND_SECTIONS", tuple(s for s in diff.HAND_SECTIONS if s[1] not in keys))


def _sections(old: Path, new: Path) -> dict[str, tuple[str, list[str]]]:
    found = diff.sections_of(validate(old).registry, validate(new).registry)
    return {s.key: (s.title, s.lines) for s in found if s.lines}


def test_today_every_kind_kept_by_id_has_a_hand_written_section() -> None:
    """So the output for today's kinds is the hand-written one, unchanged."""
    assert diff.generic_kinds() == []


def test_a_kind_without_a_section_gets_the_generic_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _without(monkeypatch, "brands")
    assert diff.generic_kinds() == ["brand"]
    old = copy_minimal(tmp_path / "old")
    red = (old / BRAND_FILE).read_text(encoding="utf-8")
    new = apply_overlay(
        copy_minimal(tmp_path / "new"),
        {"registry/brands/blue.yaml": BLUE, BRAND_FILE: red.replace("红色先锋", "红色尖兵")},
    )
    assert _sections(old, new) == {
        "brands": (
            "党建品牌",
            ["新增 蓝色港湾（`blue`）", "修改 红色尖兵（`red`）"],
        )  # brands declare no diff=True field
    }
    assert _sections(new, old) == {"brands": ("党建品牌", ["删除 蓝色港湾（`blue`）", "修改 红色先锋（`red`）"])}


def test_the_generic_section_lists_each_declared_diff_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _without(monkeypatch, "brands")
    schema = RECORD_TYPES["brand"].schema
    fields = tuple(dataclasses.replace(f, diff=True) if f.name in ("name", "owner") else f for f in schema.fields)
    monkeypatch.setattr(schema, "fields", fields)
    monkeypatch.setattr(schema, "by_name", {f.name: f for f in fields})
    old = copy_minimal(tmp_path / "old")
    red = (
        (old / BRAND_FILE)
        .read_text(encoding="utf-8")
        .replace("红色先锋", "红色尖兵")
        .replace("owner: town", "owner: east")
    )
    new = apply_overlay(copy_minimal(tmp_path / "new"), {BRAND_FILE: red})
    assert _sections(old, new)["brands"][1] == [
        "修改 红色尖兵（`red`）",
        "红色尖兵（`red`）：品牌名称 红色先锋 → 红色尖兵",  # each line under the field's declared label
        "红色尖兵（`red`）：创建组织 测试镇党委（`town`） → 东村党支部（`east`）",
    ]


def test_the_generic_section_never_names_a_private_member(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _without(monkeypatch, "projects")
    schema = RECORD_TYPES["project"].schema
    fields = tuple(dataclasses.replace(f, diff=True) if f.name in ("lead", "team") else f for f in schema.fields)
    monkeypatch.setattr(schema, "fields", fields)
    monkeypatch.setattr(schema, "by_name", {f.name: f for f in fields})

    def registry(name: str, lead: str, team: str) -> Path:
        root = copy_minimal(tmp_path / name)
        roster = (root / "registry/members/east.yaml").read_text(encoding="utf-8") + PRIVATE
        project = (root / PROJECT_FILE).read_text(encoding="utf-8")
        project = project.replace("lead: m-east-sec", f"lead: {lead}").replace("team: [m-east-sec]", f"team: {team}")
        return apply_overlay(root, {"registry/members/east.yaml": roster, PROJECT_FILE: project})

    public = registry("a", "m-east-sec", "[m-east-sec]")
    private = registry("b", "m-east-hid", "[m-east-sec, m-east-hid]")
    for old, new in ((public, private), (private, public)):
        lines = [line for _, (_, found) in _sections(old, new).items() for line in found]
        assert any("领办书记" in line for line in lines), lines
        assert all("钱不公开" not in line and "m-east-hid" not in line for line in lines), lines


def test_bulk_kinds_never_get_a_generic_section(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members are counted, never listed: even with no hand-written section, no bulk kind is reported by id."""
    monkeypatch.setattr(diff, "HAND_SECTIONS", ())
    kinds = diff.generic_kinds()
    assert not set(kinds) & BULK_KINDS
    assert set(kinds) == {k for k, t in RECORD_TYPES.items() if t.id_field} - BULK_KINDS
