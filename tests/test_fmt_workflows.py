"""The pull-request check's format step (GitHub, Gitea, GitLab): the changed files in the canonical layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from git_helpers import RegistryRepo

BIN = Path(sys.executable).parent
GITHUB = REPO / ".github/workflows/registry-check.yml"
GITEA = REPO / "forges/gitea/.gitea/workflows/registry-check.yml"
GITLAB = REPO / "forges/gitlab/.gitlab-ci.yml"


def _step(path: Path) -> str:
    steps = [s for job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].values() for s in job["steps"]]
    return next(s["run"] for s in steps if s.get("name") == "检查格式")


def _gitlab_line() -> str:
    script = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))["check"]["script"]
    return next(line for line in script if "dangjian fmt" in line)


def test_the_three_forges_run_the_same_format_check() -> None:
    github = _step(GITHUB)
    assert _step(GITEA) == github
    assert _gitlab_line().replace("$CI_MERGE_REQUEST_DIFF_BASE_SHA", "$BASE_SHA").split() == github.split()


def _run(command: str, repo: RegistryRepo, base: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BASE_SHA": base, "PATH": f"{BIN}:{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", command], cwd=repo.root, capture_output=True, text=True, env=env
    )


@pytest.fixture
def repo(tmp_path: Path) -> RegistryRepo:
    return RegistryRepo(tmp_path / "repo")


def test_a_changed_file_out_of_layout_fails_the_check_with_the_fix(repo: RegistryRepo) -> None:
    base = repo.head
    flow = "- {id: m-north-1, name: 张三, org: east, status: 正式党员, joined: 2001-07-01, posts: [组织委员]}\n"
    repo.commit("新增名册", {"registry/members/north.yaml": flow})
    done = _run(_step(GITHUB), repo, base)
    assert done.returncode != 0
    assert done.stdout.startswith("registry/members/north.yaml:1:1: 排版不是统一格式")
    assert "运行 dangjian fmt registry/members/north.yaml" in done.stdout
    assert (repo.root / "registry/members/north.yaml").read_text(encoding="utf-8") == flow  # nothing written


def test_only_the_changed_files_are_checked(repo: RegistryRepo) -> None:
    """The minimal registry is not in the layout; a pull request that changes one canonical file passes."""
    base = repo.head
    town = "id: town\nname: 测试镇党委\nkind: 党委\ndomain: 农村\n"
    repo.commit("改名", {"registry/orgs/town.yaml": town, "content/assets/brands/blue.svg": "<svg/>"})
    done = _run(_step(GITHUB), repo, base)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "不是登记簿的记录文件" in done.stderr  # the image is named and skipped


def test_a_deleted_file_or_no_change_passes(repo: RegistryRepo) -> None:
    base = repo.head
    repo.git("rm", "-q", "registry/members/west.yaml")
    repo.commit("删除名册")
    assert _run(_step(GITHUB), repo, base).returncode == 0
    assert _run(_step(GITHUB), repo, repo.head).returncode == 0
