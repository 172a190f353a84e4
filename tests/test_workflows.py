"""The GitHub workflows users copy: schema-valid, audited by zizmor, and doing what the docs say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from hostile_checkout import install_calls

WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def load(name: str) -> dict:
    return yaml.load((REPO / ".github/workflows" / name).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_workflows_match_githubs_schema():
    done = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_pass_zizmor():
    done = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--min-severity", "low", str(REPO / ".github/workflows")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path):
    for step in steps(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)):
        if "uses" in step:
            ref = step["uses"].split("@", 1)[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), step["uses"]


def test_pull_requests_are_validated_annotated_built_and_summarised():
    workflow = load("registry-check.yml")
    assert "pull_request" in workflow["on"]
    runs = " ".join(step.get("run", "") for step in steps(workflow))
    assert "dangjian validate --format github" in runs and "dangjian build" in runs and "dangjian diff" in runs
    assert "dangjian fmt --check" in runs  # the changed files are in the layout the CMS writes
    uses = [step.get("uses", "") for step in steps(workflow)]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any(u.startswith("actions/github-script@") for u in uses)
    assert workflow["jobs"]["check"]["permissions"]["pull-requests"] == "write"


def test_merges_publish_to_pages_one_at_a_time():
    workflow = load("publish.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] == "false"
    uses = [step.get("uses", "") for step in steps(workflow)]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert any(u.startswith("actions/cache@") for u in uses)
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def _run_steps(workflow: dict, cwd: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    """Run a workflow's own shell steps (not the install step: dangjian is installed here) in order."""
    import os

    done = []
    for step in steps(workflow):
        if "run" not in step or "pip install" in step["run"]:
            continue
        step_env = {k: env.get(k, v) for k, v in step.get("env", {}).items()}
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=cwd,
            capture_output=True,
            text=True,
            env={**os.environ, **env, **step_env, "PATH": f"{BIN}:{os.environ['PATH']}"},
        )
        done.append(result)
        if result.returncode != 0:
            break
    return done


def test_the_pull_request_steps_work_in_a_registry_repository(tmp_path):
    from git_helpers import RegistryRepo

    repo = RegistryRepo(tmp_path / "repo")
    base = repo.head
    north = "id: north\nname: 北村党支部\nkind: 党支部\nparent: town\ndomain: 农村\nsecertary: m-east-sec\n"
    repo.commit("新增北村", {"registry/orgs/north.yaml": north})
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    results = _run_steps(load("registry-check.yml"), repo.root, {"BASE_SHA": base, "RUNNER_TEMP": str(runner_temp)})
    summary = (runner_temp / "summary.md").read_text(encoding="utf-8")
    assert "新增 北村党支部（`north`）" in summary and "⚠️ 校验发现 1 个问题" in summary
    validate_step = results[-1]
    assert validate_step.returncode == 1
    assert validate_step.stdout.startswith("::error file=registry/orgs/north.yaml,line=6,col=1::不认识的键")


def test_the_publish_steps_build_the_site(tmp_path):
    from git_helpers import RegistryRepo

    repo = RegistryRepo(tmp_path / "repo")
    results = _run_steps(load("publish.yml"), repo.root, {})
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert (repo.root / "site/index.html").is_file() and (repo.root / "site/djsearch/meta.gz").is_file()


def _install_steps(workflow: dict) -> list[dict]:
    return [step for step in steps(workflow) if "pip install" in step.get("run", "")]


@pytest.mark.parametrize("name", ["registry-check.yml", "publish.yml"])
def test_dangjian_is_installed_from_the_pinned_source_never_from_the_checkout(name, tmp_path):
    """A pull request can add a pyproject.toml that says `name = "dangjian"`: installing it would run its code."""
    workflow = load(name)
    installs = _install_steps(workflow)
    assert len(installs) == 1
    source = workflow["env"]["DANGJIAN"]
    assert install_calls(installs[0]["run"], source, tmp_path) == [f"pip install {source}"]


@pytest.mark.parametrize("name", ["registry-check.yml", "publish.yml"])
def test_no_cache_key_or_step_reads_the_checkouts_python_packaging(name):
    text = (REPO / ".github/workflows" / name).read_text(encoding="utf-8")
    for word in ("pyproject.toml", "setup.py", "requirements", "-e .", "install ."):
        assert word not in text, word


def test_dependabot_watches_the_actions_and_the_python_dependencies():
    config = yaml.safe_load((REPO / ".github/dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    watched = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert watched == {("github-actions", "/"), ("pip", "/")}
