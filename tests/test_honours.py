"""Honours (表彰与创评) on the registry side: who an honour names, and `dangjian diff` telling honours added,
removed and changed in editors' words, private members only as counts (never a name or an id)."""

from __future__ import annotations

import json

import pytest

from git_helpers import RegistryRepo
from dangjian.diff import diff
from dangjian.rules.honours import recipient
from dangjian.validate import validate

HONOURS = "registry/honours/2026.yaml"
PRIVATE = "".join(
    f"- id: m-quiet-{n}\n  name: 静{'一二三四五六'[n]}默\n  org: west\n  status: 正式党员\n  joined: 2001-07-01\n"
    for n in range(6)
)


def honour(
    name: str, who: str, level: str = "镇", year: int = 2026, giver: str = "中共测试镇委员会", **more: str
) -> str:
    kind = "member" if who.startswith("m-") else "org"
    text = f"- name: {name}\n  level: {level}\n  year: {year}\n  giver: {giver}\n  {kind}: {who}\n"
    return text + "".join(f"  {key}: {value}\n" for key, value in more.items())


@pytest.fixture
def repo(tmp_path) -> RegistryRepo:
    repo = RegistryRepo(tmp_path / "repo")
    repo.commit("不公开的党员", {"registry/members/quiet.yaml": PRIVATE})
    return repo


def test_the_recipient_is_the_one_org_or_member_named(registry):
    root = registry(
        {
            HONOURS: honour("五好党支部", "east")
            + honour("优秀共产党员", "m-east-sec")
            + honour("党员先锋岗", "east").replace("  org: east\n", "  org: east\n  member: m-east-sec\n")
        }
    )
    first, second, both = validate(root).registry.all("honour")
    assert recipient(first) == ("org", "east")
    assert recipient(second) == ("member", "m-east-sec")
    assert recipient(both) is None  # named twice: a problem, and no recipient for the site or the diff


def test_diff_names_org_and_public_members_honours_and_counts_private_ones(repo):
    listed = honour("五好党支部", "east", level="县", giver="中共测试县委") + honour("优秀共产党员", "m-east-sec")
    listed += "".join(honour("优秀共产党员", f"m-quiet-{n}") for n in range(6))
    listed += honour("党员示范户", "m-east-a")  # 李小花, private: one alone is still only a count
    repo.commit("表彰", {HONOURS: listed})
    text = diff(repo.root, "HEAD~1")
    assert "**表彰**（4 项）" in text
    assert "- 新增 2026 年县级“五好党支部”：东村党支部（`east`）（中共测试县委）" in text
    assert "- 新增 2026 年镇级“优秀共产党员”：王东方（中共测试镇委员会）" in text
    assert "- 新增 2026 年镇级“优秀共产党员”：不公开的党员 6 名" in text
    assert "- 新增 2026 年镇级“党员示范户”：不公开的党员 1 名" in text
    for n in range(6):
        assert f"m-quiet-{n}" not in text and f"静{'一二三四五六'[n]}默" not in text
    assert "李小花" not in text and "m-east-a" not in text


def test_diff_tells_a_changed_giver_and_a_removed_honour(repo):
    repo.commit("表彰", {HONOURS: honour("五好党支部", "east") + honour("先锋岗", "m-east-sec")})
    changed = honour("五好党支部", "east", giver="中共测试县委", source="县委通报")
    repo.commit("改正授予单位", {HONOURS: changed + honour("先锋岗", "m-quiet-0", date="2026-07-01")})
    lines = json.loads(diff(repo.root, "HEAD~1", "HEAD", fmt="json"))["sections"]
    section = next(s for s in lines if s["key"] == "honours")
    assert section["title"] == "表彰"
    assert section["changes"] == [  # named lines first, then the counts
        "删除 2026 年镇级“先锋岗”：王东方（中共测试镇委员会）",
        "修改 2026 年镇级“五好党支部”（东村党支部（`east`））：授予单位 中共测试镇委员会 → 中共测试县委，"
        "来源 （无） → 县委通报",
        "新增 2026 年镇级“先锋岗”：不公开的党员 1 名",
    ]


def test_a_member_who_withdrew_consent_is_counted_not_named(repo):
    members = "registry/members/east.yaml"
    repo.commit("表彰", {HONOURS: honour("先锋岗", "m-east-b")})  # 赵大年, public: true
    text = (repo.root / members).read_text(encoding="utf-8").replace("  public: true\n", "  public: false\n")
    repo.commit("撤回公开并删去表彰", {members: text, HONOURS: honour("五好党支部", "east")})
    lines = diff(repo.root, "HEAD~1", "HEAD")
    assert "- 删除 2026 年镇级“先锋岗”：不公开的党员 1 名" in lines
    assert "赵大年" not in lines


def test_an_unchanged_registry_has_no_honours_section(repo):
    repo.commit("表彰", {HONOURS: honour("五好党支部", "east")})
    repo.commit(
        "别的修改",
        {"registry/orgs/west.yaml": "id: west\nname: 西村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"},
    )
    assert "**表彰**" not in diff(repo.root, "HEAD~1", "HEAD")
