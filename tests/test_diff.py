"""`dangjian diff` in temporary repositories: each kind of change, in editors' terms, never a private name."""

from __future__ import annotations

import pytest

from git_helpers import RegistryRepo
from dangjian.diff import diff

MEMBERS = "registry/members/east.yaml"
PRIVATE = "- id: m-east-new\n  name: 钱不公开\n  org: east\n  status: 入党申请人\n"
PUBLIC = "- id: m-east-pub\n  name: 孙公开\n  org: east\n  status: 正式党员\n  joined: 2020-07-01\n  public: true\n"


@pytest.fixture
def repo(tmp_path) -> RegistryRepo:
    return RegistryRepo(tmp_path / "repo")


def read(repo, path):
    return (repo.root / path).read_text(encoding="utf-8")


def test_no_change(repo):
    assert "登记簿内容没有变化" in diff(repo.root, "HEAD")


def test_orgs_added_renamed_and_moved(repo):
    north = "id: north\nname: 北村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"
    west = (
        read(repo, "registry/orgs/west.yaml")
        .replace("西村党支部", "西村联合党支部")
        .replace("parent: town", "parent: east")
    )
    repo.commit("组织调整", {"registry/orgs/north.yaml": north, "registry/orgs/west.yaml": west})
    text = diff(repo.root, "HEAD~1", "HEAD")
    assert "新增 北村党支部（`north`），上级：测试镇党委（`town`）" in text
    assert "改名 `west`：西村党支部 → 西村联合党支部" in text
    assert "调整隶属 西村联合党支部（`west`）：测试镇党委（`town`） → 东村党支部（`east`）" in text


def test_members_counted_by_status_public_named_private_never(repo):
    repo.commit("新增党员", {MEMBERS: read(repo, MEMBERS) + PRIVATE + PUBLIC})
    text = diff(repo.root, "HEAD~1")
    assert "东村党支部（`east`）：入党申请人 0 → 1，正式党员 1 → 2；公开党员新增 孙公开" in text
    assert "钱不公开" not in text and "m-east-new" not in text


def test_a_member_who_withdrew_consent_is_not_named(repo):
    repo.commit("公开", {MEMBERS: read(repo, MEMBERS) + PUBLIC})
    repo.commit("撤回公开", {MEMBERS: read(repo, MEMBERS).replace("  public: true\n", "  public: false\n")})
    text = diff(repo.root, "HEAD~1", "HEAD")
    assert "孙公开" not in text


def test_points_entries_per_org(repo):
    more = "".join(f"- member: m-east-a\n  date: 2026-03-0{d}\n  rule: activity\n" for d in (1, 2, 3))
    repo.commit("积分", {"registry/points/ledger/more.yaml": more})
    assert "东村党支部（`east`）：新增 3 条" in diff(repo.root, "HEAD~1")


def test_projects_status_and_milestones(repo):
    path = "registry/projects/east-2026-road.yaml"
    lines = (
        read(repo, path)
        .replace("status: 推进中", "status: 已完成")
        .replace(
            "    done: 2026-03-20\n",
            "    done: 2026-03-20\n  - title: 安装路灯\n    due: 2026-09-30\n    done: 2026-09-01\n",
        )
    )
    repo.commit("项目完成", {path: lines})
    out = diff(repo.root, "HEAD~1")
    assert "村道亮化：状态 推进中 → 已完成" in out
    assert "村道亮化：完成节点“安装路灯”（2026-09-01）" in out


def test_rankings_added_with_rank_shifts(repo):
    q2 = "scheme: town-villages\nperiod: 2026-Q2\nscores:\n  east: {work: 30}\n  west: {work: 45}\n"
    repo.commit("二季度排位", {"registry/assessments/results/town-villages/2026-Q2.yaml": q2})
    out = diff(repo.root, "HEAD~1")
    assert "新增 测试镇村级党组织季度排位 2026-Q2：第 1 名 西村党支部" in out
    path = "registry/assessments/results/town-villages/2026-Q2.yaml"
    repo.commit("更正", {path: q2.replace("work: 30", "work: 50")})
    out = diff(repo.root, "HEAD~1")
    assert "修改 测试镇村级党组织季度排位 2026-Q2：第 1 名 东村党支部" in out and "（原第 2 名）" in out


def test_stories_and_brands(repo):
    story = "---\ntitle: 新的故事\ndate: 2026-05-01\norg: east\n---\n正文。\n"
    brand = "id: blue\nname: 蓝色民主\nowner: town\n"
    repo.commit("事迹与品牌", {"content/stories/new-story.md": story, "registry/brands/blue.yaml": brand})
    out = diff(repo.root, "HEAD~1")
    assert "新增《新的故事》（2026-05-01）" in out and "新增 蓝色民主（`blue`）" in out


def test_large_changes_are_grouped_and_folded(repo):
    orgs = {
        f"registry/orgs/v{n:02d}.yaml": f"id: v{n:02d}\nname: 村{n}党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"
        for n in range(30)
    }
    repo.commit("批量新增", orgs)
    out = diff(repo.root, "HEAD~1")
    assert "**组织**（30 项）" in out and "<details><summary>其余 18 项</summary>" in out


def test_problems_are_flagged(repo):
    repo.commit("写错了", {"registry/orgs/west.yaml": "id: west\n"})
    assert "⚠️ 校验发现" in diff(repo.root, "HEAD~1")


# --- --format json ------------------------------------------------------------------------------


def test_json_has_the_markdown_s_lines_unfolded_and_names_no_private_member(repo):
    import json

    orgs = {
        f"registry/orgs/v{n:02d}.yaml": f"id: v{n:02d}\nname: 村{n}党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"
        for n in range(14)
    }
    repo.commit("新增", {**orgs, MEMBERS: read(repo, MEMBERS) + PRIVATE + PUBLIC})
    text = diff(repo.root, "HEAD~1", "HEAD", fmt="json")
    data = json.loads(text)
    assert data["from"] == "HEAD~1" and data["to"] == "HEAD" and data["problems"] == 0
    sections = {s["key"]: s for s in data["sections"]}
    assert list(sections) == ["orgs", "members"]
    assert sections["orgs"]["title"] == "组织" and len(sections["orgs"]["changes"]) == 14  # nothing folded away
    markdown = diff(repo.root, "HEAD~1", "HEAD")
    for section in data["sections"]:
        for line in section["changes"]:
            assert f"- {line}\n" in markdown  # the same lines as the Markdown
    assert sections["members"]["changes"] == [
        "东村党支部（`east`）：入党申请人 0 → 1，正式党员 1 → 2；公开党员新增 孙公开"
    ]
    assert "钱不公开" not in text and "m-east-new" not in text


def test_json_of_no_change_and_of_the_work_tree(repo):
    import json

    data = json.loads(diff(repo.root, "HEAD", fmt="json"))
    assert data == {"from": "HEAD", "to": None, "problems": 0, "sections": []}


def test_the_command_prints_json(repo):
    import json
    import subprocess
    import sys
    from pathlib import Path

    repo.commit("写错了", {"registry/orgs/west.yaml": "id: west\n"})
    dangjian = Path(sys.executable).parent / "dangjian"
    done = subprocess.run(
        [str(dangjian), "diff", "HEAD~1", "HEAD", "--format", "json", "--root", str(repo.root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["problems"] > 0 and data["to"] == "HEAD"
