"""`dangjian diff`'s 履历与沿革 section in two-commit repositories: 晋档/降档, 转正, transfers, leaving,
renames and 转化, each in editors' words; private members only counted, how anyone left never shown."""

from __future__ import annotations

import json

import pytest

from git_helpers import RegistryRepo
from dangjian.diff import diff

EAST = "registry/members/east.yaml"
WEST = "registry/orgs/west.yaml"

SECRETARY = """- id: m-east-sec
  name: 王东方
  org: east
  status: 正式党员
  joined: 1990-07-01
  posts: [书记]
  grade: {grade}
  history:
    - date: 2020-01-06
      posts: [书记]
      grade: 2A
{more}"""

OTHERS = """- id: m-east-a
  name: 李小花
  org: east
  status: {status}
  joined: 2025-06-01
  history:
    - date: 2025-06-01
      status: 预备党员
{more}- id: m-east-b
  name: 赵大年
  org: east
  status: 入党积极分子
  public: true
"""

PUBLIC = """- id: m-pub
  name: 孙公开
  org: {org}
  status: 正式党员
  joined: 2001-07-01
  public: true
  history:
    - date: 2001-07-01
      org: east
{more}"""


def members(grade="2A", more_sec="", status="预备党员", more_a="", org="east", more_pub=""):
    return (
        SECRETARY.format(grade=grade, more=more_sec)
        + OTHERS.format(status=status, more=more_a)
        + PUBLIC.format(org=org, more=more_pub)
    )


@pytest.fixture
def repo(tmp_path) -> RegistryRepo:
    repo = RegistryRepo(tmp_path / "repo")
    repo.commit("履历", {EAST: members()})
    return repo


def section(text: str) -> list[str]:
    """The lines of the 履历与沿革 section of a JSON diff."""
    document = json.loads(text)
    assert document["problems"] == 0, "both revisions are valid registries"
    found = [s["changes"] for s in document["sections"] if s["key"] == "histories"]
    return found[0] if found else []


def test_a_public_secretary_moves_up_and_down_a_grade(repo):
    up = "    - date: 2023-01-09\n      grade: 3A\n"
    repo.commit("晋档", {EAST: members(grade="3A", more_sec=up)})
    assert section(diff(repo.root, "HEAD~1", "HEAD", fmt="json")) == ["王东方 书记星级 2A → 3A（晋档，2023-01-09）"]
    down = up + "    - date: 2025-01-13\n      grade: 1A\n"
    repo.commit("降档", {EAST: members(grade="1A", more_sec=down)})
    assert section(diff(repo.root, "HEAD~1", "HEAD", fmt="json")) == ["王东方 书记星级 3A → 1A（降档，2025-01-13）"]
    markdown = diff(repo.root, "HEAD~2", "HEAD")
    assert "**履历与沿革**（2 项）" in markdown


def test_a_private_member_becoming_full_is_only_counted(repo):
    repo.commit("转正", {EAST: members(status="正式党员", more_a="    - date: 2026-06-01\n      status: 正式党员\n")})
    text = diff(repo.root, "HEAD~1", "HEAD", fmt="json")
    assert section(text) == ["1 名未公开的党员转正"]
    assert "李小花" not in text and "m-east-a" not in text


def test_a_transfer_and_leaving_are_told_but_never_how_one_left(repo):
    moved = "    - date: 2026-02-02\n      org: west\n"
    repo.commit("转接", {EAST: members(org="west", more_pub=moved)})
    assert section(diff(repo.root, "HEAD~1", "HEAD", fmt="json")) == [
        "孙公开 组织关系 东村党支部（`east`） → 西村党支部（`west`）（2026-02-02）"
    ]
    gone = moved + "    - date: 2026-05-04\n      left: 去世\n      note: 因病于五月初去世\n"
    repo.commit("离开", {EAST: members(org="west", more_pub=gone)})
    text = diff(repo.root, "HEAD~1", "HEAD")
    assert "- 孙公开 离开（2026-05-04）" in text.splitlines()
    assert "去世" not in text and "因病" not in text


def test_an_org_renamed_and_turned_round(repo):
    west = "id: west\nname: {name}\nkind: 党支部\nparent: town\ndomain: 农村\n{weak}history:\n{events}"
    # the first name written reaches back to founding (timeline.py): a rename is the second
    listed = "  - date: 2010-01-04\n    name: 西村党支部\n  - date: 2024-03-01\n    weak: true\n    benchmark: east\n"
    repo.commit(
        "列为薄弱",
        {WEST: west.format(name="西村党支部", weak="weak: true\nbenchmark: east\n", events=listed)},
    )
    assert section(diff(repo.root, "HEAD~1", "HEAD", fmt="json")) == [
        "西村党支部（`west`） 列为薄弱组织（2024-03-01）",
        "西村党支部（`west`） 与 东村党支部（`east`） 结对帮扶（2024-03-01）",
    ]
    turned = listed + "  - date: 2026-04-01\n    weak: false\n  - date: 2026-04-01\n    name: 西村联合党支部\n"
    repo.commit("转化并改名", {WEST: west.format(name="西村联合党支部", weak="", events=turned)})
    assert section(diff(repo.root, "HEAD~1", "HEAD", fmt="json")) == [
        "西村联合党支部（`west`） 转化，不再是薄弱组织（2026-04-01）",
        "西村联合党支部（`west`） 改名：西村党支部 → 西村联合党支部（2026-04-01）",
    ]


def test_nothing_new_in_the_histories_says_nothing(repo):
    repo.commit("别的修改", {"registry/orgs/town.yaml": "id: town\nname: 测试镇党委\nkind: 党委\ndomain: 农村\n"})
    assert section(diff(repo.root, "HEAD~1", "HEAD", fmt="json")) == []


def test_private_counts_follow_a_life_in_the_party(repo):
    """转正 before 离开 (not the characters' order, which would put 离开 first)."""
    other = "- id: m-east-c\n  name: 周不公开\n  org: east\n  status: 正式党员\n  joined: 2001-07-01\n  history:\n"
    other += "    - date: 2001-07-01\n      org: east\n"
    repo.commit("另一名党员", {EAST: members() + other})
    full = members(status="正式党员", more_a="    - date: 2026-06-01\n      status: 正式党员\n")
    repo.commit("转正和转出", {EAST: full + other + "    - date: 2026-06-02\n      left: 转出\n"})
    text = diff(repo.root, "HEAD~1", "HEAD", fmt="json")
    assert section(text) == ["1 名未公开的党员转正", "1 名未公开的党员离开"]
    assert "周不公开" not in text and "转出" not in text
