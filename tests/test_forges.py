"""The GitLab CI file and the Gitea workflows users copy from forges/: the same habits as the GitHub
workflows (tests/test_workflows.py), and steps that work when run in order in a registry repository."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from hostile_checkout import install_calls

BIN = Path(sys.executable).parent
FORGES = REPO / "forges"
GITLAB = FORGES / "gitlab/.gitlab-ci.yml"
GITEA = sorted((FORGES / "gitea/.gitea/workflows").glob("*.yml"))
GITHUB = sorted((REPO / ".github/workflows").glob("*.yml"))
ALL = [GITLAB, *GITEA]
# GitLab keywords that are not jobs.
GITLAB_GLOBAL = {"workflow", "stages", "variables", "default", "include", "image", "services", "cache"}


def load(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def gitlab_jobs() -> dict[str, dict]:
    ci = load(GITLAB)
    return {name: job for name, job in ci.items() if name not in GITLAB_GLOBAL and not name.startswith(".")}


def gitea_steps(path: Path) -> list[dict]:
    return [step for job in load(path)["jobs"].values() for step in job.get("steps", [])]


def commands(path: Path) -> list[str]:
    """Every shell text of a file: the `run:` of each step, or each line of a GitLab job's scripts."""
    if path == GITLAB:
        ci = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
        jobs = [job for name, job in ci.items() if name not in GITLAB_GLOBAL and not name.startswith(".")]
        return [line for job in jobs for key in ("before_script", "script") for line in job.get(key, [])]
    return [step["run"] for step in gitea_steps(path) if "run" in step]


def dangjian_calls(path: Path) -> set[str]:
    """The dangjian subcommands a file runs."""
    called = r"(?:^|[;&|(]|\bxargs(?: -\S+)*)\s*dangjian (\w+)"  # `… | xargs -0 dangjian fmt` calls it too
    return {m.group(1) for text in commands(path) for m in re.finditer(called, text, re.M)}


# --- the formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_every_file_parses_as_yaml(path: Path) -> None:
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)


def test_the_gitlab_file_matches_gitlabs_schema() -> None:
    done = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(GITLAB)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_gitea_workflows_match_the_github_workflow_schema_and_pass_zizmor() -> None:
    done = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, GITEA)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--min-severity", "low", *map(str, GITEA)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_gitlab_accepts_the_exposed_artifact_name() -> None:
    """GitLab refuses an `expose_as` outside `\\A\\w[-\\w ]*\\z` (Ruby's ASCII \\w): a Chinese name broke the file."""
    for job in gitlab_jobs().values():
        name = job.get("artifacts", {}).get("expose_as")
        if name is not None:
            assert re.fullmatch(r"[A-Za-z0-9_][-A-Za-z0-9_ ]*", name), name


def test_the_gitea_workflows_download_no_action() -> None:
    """`uses:` would be fetched from DEFAULT_ACTIONS_URL (often unreachable on an intranet) and run on Node.js,
    which the Python image has not: every step is a command."""
    for path in GITEA:
        assert all("uses" not in step for step in gitea_steps(path)), path.name
        for job in load(path)["jobs"].values():
            assert job["container"]["image"].startswith("python:3.11")


# --- the same security habits ----------------------------------------------------------------------------


def _source(path: Path) -> str:
    return load(path)["variables" if path == GITLAB else "env"]["DANGJIAN"]


def test_every_file_installs_dangjian_from_the_same_pinned_source_as_the_github_workflows() -> None:
    github = {load(path)["env"]["DANGJIAN"] for path in GITHUB if "DANGJIAN" in load(path).get("env", {})}
    assert len(github) == 1
    for path in ALL:
        assert _source(path) in github, path.name
        assert re.fullmatch(r"git\+https://[^\s@]+@[\w.\-/]+", _source(path)), path.name


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_the_only_install_is_the_pinned_source_never_the_checkout(path: Path, tmp_path: Path) -> None:
    """A merge request can add a pyproject.toml that says `name = "dangjian"`: installing it would run its code."""
    installs = [text for text in commands(path) if re.search(r"\b(pip|uv|pipx|poetry|pdm)\b", text)]
    assert installs == ['pip install "$DANGJIAN"'] * len(installs) and installs, installs
    assert install_calls(installs[0], _source(path), tmp_path) == [f"pip install {_source(path)}"]


# What would run a file of the checkout: a path to a script, an interpreter given a file, a build tool.
_RUNS_A_FILE = re.compile(
    r"(^|[\s;&|(])(\./|\.\./|bash \S|sh \S|source |make\b|npm |npx |node |pip install (-e|\.|-r)|"
    r"python3? (?!-)\S|python3? -m (?!json)|pytest|tox|nox)|(^|[;&|(])\s*\. \S"
)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_no_step_runs_code_from_the_checkout(path: Path) -> None:
    for text in commands(path):
        for line in text.splitlines():
            assert not _RUNS_A_FILE.search(line.split(" #", 1)[0]), f"{path.name}: {line!r}"
    raw = path.read_text(encoding="utf-8")
    for word in ("pyproject.toml", "setup.py", "requirements", "-e .", "install .", "include:"):
        assert word not in raw, word


def test_the_code_check_itself_can_fail() -> None:
    for line in (
        "./scripts/deploy.sh",
        "bash build.sh",
        "python scripts/x.py",
        "pip install -e .",
        "make site",
        ". env.sh",
    ):
        assert _RUNS_A_FILE.search(line), line
    for line in (
        'pip install "$DANGJIAN"',
        "python3 - <<'EOF'",
        "dangjian build --out site",
        "tar -C site -cf - . | ssh",
    ):
        assert not _RUNS_A_FILE.search(line), line


def test_a_merge_request_never_writes_a_cache_that_a_publish_reads() -> None:
    jobs = gitlab_jobs()
    for cache in jobs["check"]["cache"]:
        assert cache["policy"] == "pull", cache
    assert {c["key"] for c in jobs["pages"]["cache"]} == {c["key"] for c in jobs["check"]["cache"]}


def test_the_token_is_used_for_one_command_and_never_stored() -> None:
    for path in GITEA:
        for step in gitea_steps(path):
            run = step.get("run", "")
            assert "git config" not in run and "credential" not in run
            if "fetch" in run:
                assert 'git -c http.extraHeader="$auth" fetch' in run


# --- the same commands ----------------------------------------------------------------------------------


def test_the_forges_run_the_same_dangjian_commands_as_github() -> None:
    github = {path.name: dangjian_calls(path) for path in GITHUB if path.name in ("registry-check.yml", "publish.yml")}
    assert github == {"registry-check.yml": {"diff", "validate", "build", "fmt"}, "publish.yml": {"build"}}
    gitea = {path.name: dangjian_calls(path) for path in GITEA}
    assert gitea == github
    assert dangjian_calls(GITLAB) == github["registry-check.yml"] | github["publish.yml"]
    ci = gitlab_jobs()
    check = " ".join(ci["check"]["script"])
    assert "dangjian diff" in check and "dangjian validate" in check and "dangjian build" in check
    assert "dangjian fmt --check" in check
    assert ci["pages"]["script"] == ["dangjian build --out public"]


def test_merge_requests_and_the_default_branch_trigger_the_right_jobs() -> None:
    ci = load(GITLAB)
    assert [rule["if"] for rule in ci["workflow"]["rules"]] == [
        '$CI_PIPELINE_SOURCE == "merge_request_event"',
        "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
    ]
    jobs = gitlab_jobs()
    assert jobs["check"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert jobs["pages"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert jobs["pages"]["artifacts"]["paths"] == ["public"] and jobs["pages"]["resource_group"] == "pages"
    check, publish = (load(FORGES / f"gitea/.gitea/workflows/{name}") for name in ("registry-check.yml", "publish.yml"))
    assert "pull_request" in check["on"] and publish["on"]["push"]["branches"] == ["main"]


# --- the steps, run in order in a registry repository ------------------------------------------------------


def _env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **extra, "PATH": f"{BIN}:{os.environ['PATH']}"}


def _pr_repo(tmp_path: Path):
    from git_helpers import RegistryRepo

    repo = RegistryRepo(tmp_path / "repo")
    base = repo.head
    north = "id: north\nname: 北村党支部\nkind: 党支部\nparent: town\ndomain: 农村\nsecertary: m-east-sec\n"
    repo.commit("新增北村", {"registry/orgs/north.yaml": north})
    return repo, base


def test_the_gitlab_merge_request_job_summarises_reports_and_fails_on_a_problem(tmp_path: Path) -> None:
    repo, base = _pr_repo(tmp_path)
    results = []
    for line in gitlab_jobs()["check"]["script"]:  # before_script is the install: dangjian is installed here
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", line],
            cwd=repo.root,
            capture_output=True,
            text=True,
            env=_env({"CI_MERGE_REQUEST_DIFF_BASE_SHA": base}),
        )
        results.append(done)
        if done.returncode:
            break
    summary = (repo.root / "summary.md").read_text(encoding="utf-8")
    assert "新增 北村党支部（`north`）" in summary and "⚠️ 校验发现 1 个问题" in summary
    assert "没有设置 DANGJIAN_NOTE_TOKEN" in results[1].stdout  # no token: no comment, and no failure
    validate = results[-1]
    assert validate.returncode == 1 and len(results) == 3  # the build does not run on a registry with problems
    assert validate.stdout.startswith("registry/orgs/north.yaml:6:1: 不认识的键")
    report = json.loads((repo.root / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert [(r["location"]["path"], r["location"]["lines"]["begin"], r["severity"]) for r in report] == [
        ("registry/orgs/north.yaml", 6, "major")
    ]
    assert report[0]["description"].startswith("不认识的键") and len(report[0]["fingerprint"]) == 64


def test_the_gitlab_jobs_build_the_site_of_a_valid_registry(tmp_path: Path) -> None:
    from git_helpers import RegistryRepo

    repo = RegistryRepo(tmp_path / "repo")
    base = repo.head
    repo.commit("改简介", {"registry/orgs/town.yaml": "id: town\nname: 测试镇党委\nkind: 党委\ndomain: 农村\n"})
    for job, env in (("check", {"CI_MERGE_REQUEST_DIFF_BASE_SHA": base}), ("pages", {})):
        for line in gitlab_jobs()[job]["script"]:
            done = subprocess.run(
                ["bash", "-e", "-c", line], cwd=repo.root, capture_output=True, text=True, env=_env(env)
            )
            assert done.returncode == 0, (line, done.stdout, done.stderr)
    assert (repo.root / "site/index.html").is_file() and (repo.root / "public/djsearch/meta.gz").is_file()
    assert json.loads((repo.root / "gl-code-quality-report.json").read_text(encoding="utf-8")) == []


def _gitea_run(path: Path, cwd: Path, env: dict[str, str], skip: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    """Run a Gitea workflow's steps in order, but those named in `skip` (checkout, install, publish)."""
    done = []
    for step in gitea_steps(path):
        if step.get("name") in skip or "run" not in step:
            continue
        step_env = {k: env.get(k, v) for k, v in step.get("env", {}).items()}
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=cwd, capture_output=True, text=True, env=_env({**env, **step_env})
        )
        done.append(result)
        if result.returncode:
            break
    return done


def test_the_gitea_pull_request_steps_work_in_a_registry_repository(tmp_path: Path) -> None:
    repo, base = _pr_repo(tmp_path)
    temp = tmp_path / "runner"
    temp.mkdir()
    path = FORGES / "gitea/.gitea/workflows/registry-check.yml"
    results = _gitea_run(
        path, repo.root, {"BASE_SHA": base, "RUNNER_TEMP": str(temp)}, ("取出代码", "安装 dangjian", "发表变更摘要")
    )
    summary = (temp / "summary.md").read_text(encoding="utf-8")
    assert "新增 北村党支部（`north`）" in summary and "⚠️ 校验发现 1 个问题" in summary
    assert results[-1].returncode == 1 and len(results) == 2
    assert results[-1].stdout.startswith("registry/orgs/north.yaml:6:1: 不认识的键")


def test_the_gitea_checkout_fetches_the_pull_request_and_its_base(tmp_path: Path) -> None:
    """The checkout step against a bare repository with Gitea's refs (refs/pull/N/head), served over file://."""
    repo, base = _pr_repo(tmp_path)
    head = repo.head
    server = tmp_path / "server"
    (server / "county").mkdir(parents=True)
    bare = server / "county/registry.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.root), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "update-ref", "refs/heads/main", base], check=True)
    subprocess.run(["git", "-C", str(bare), "update-ref", "refs/pull/7/head", head], check=True)
    work = tmp_path / "work"
    work.mkdir()
    output = tmp_path / "output"
    step = next(
        s for s in gitea_steps(FORGES / "gitea/.gitea/workflows/registry-check.yml") if s.get("id") == "checkout"
    )
    env = {
        "GITHUB_SERVER_URL": f"file://{server}",
        "GITHUB_REPOSITORY": "county/registry",
        "GITHUB_OUTPUT": str(output),
        "TOKEN": "secret-token",
        "PR_REF": "refs/pull/7/head",
        "BASE_BRANCH": "main",
    }
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=work, capture_output=True, text=True, env=_env(env))
    assert done.returncode == 0, done.stderr
    assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True).stdout.strip() == head
    assert output.read_text(encoding="utf-8").strip() == f"base={base}"
    assert "secret-token" not in (work / ".git/config").read_text(encoding="utf-8")
    assert "x-access-token" not in (work / ".git/config").read_text(encoding="utf-8")


def test_the_gitea_publish_steps_build_and_refuse_to_publish_without_a_target(tmp_path: Path) -> None:
    from git_helpers import RegistryRepo

    repo = RegistryRepo(tmp_path / "repo")
    path = FORGES / "gitea/.gitea/workflows/publish.yml"
    empty = {"DEPLOY_HOST": "", "DEPLOY_PATH": "", "DEPLOY_SSH_KEY": "", "DEPLOY_KNOWN_HOSTS": ""}
    results = _gitea_run(path, repo.root, empty, ("取出代码", "安装 dangjian"))
    assert [r.returncode for r in results] == [0, 1]
    assert "没有发布" in results[-1].stdout
    assert (repo.root / "site/index.html").is_file()


@pytest.mark.parametrize("bad", ["srv/site", "/srv/site'; rm -rf ~; '", "/srv/$(id)", "/srv/a b"])
def test_the_gitea_publish_refuses_a_deploy_path_that_could_run_on_the_server(bad: str, tmp_path: Path) -> None:
    step = next(
        s for s in gitea_steps(FORGES / "gitea/.gitea/workflows/publish.yml") if s.get("name") == "发布到网站服务器"
    )
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "ssh").write_text(f'#!/bin/sh\necho "ssh $*" >> "{tmp_path / "ssh-calls"}"\n', encoding="utf-8")
    (shims / "ssh").chmod(0o755)
    env = {
        "DEPLOY_HOST": "deploy@web",
        "DEPLOY_PATH": bad,
        "DEPLOY_SSH_KEY": "k",
        "DEPLOY_KNOWN_HOSTS": "h",
        "HOME": str(tmp_path),
    }
    (tmp_path / "site").mkdir()
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, **env, "GITHUB_SHA": "a" * 40, "PATH": f"{shims}:{os.environ['PATH']}"},
    )
    assert done.returncode == 1 and "DEPLOY_PATH" in done.stdout
    assert not (tmp_path / "ssh-calls").exists()


def test_the_gitea_publish_uploads_a_new_release_then_switches_the_link(tmp_path: Path) -> None:
    """ssh replaced by a shim that runs the remote command locally: the release folder, then the link."""
    step = next(
        s for s in gitea_steps(FORGES / "gitea/.gitea/workflows/publish.yml") if s.get("name") == "发布到网站服务器"
    )
    shims = tmp_path / "bin"
    shims.mkdir()
    log = tmp_path / "ssh-calls"
    # ssh -i KEY -o A -o B HOST COMMAND: run COMMAND here, with stdin passed on.
    (shims / "ssh").write_text(
        f'#!/bin/bash\necho "$*" >> {shlex.quote(str(log))}\nshift 6\nexec bash -c "$2"\n', encoding="utf-8"
    )
    (shims / "ssh").chmod(0o755)
    (tmp_path / "site").mkdir()
    (tmp_path / "site/index.html").write_text("<h1>党建</h1>", encoding="utf-8")
    target = tmp_path / "srv"
    env = {
        "DEPLOY_HOST": "deploy@web",
        "DEPLOY_PATH": str(target),
        "DEPLOY_SSH_KEY": "key",
        "DEPLOY_KNOWN_HOSTS": "web ssh-ed25519 AAAA",
        "HOME": str(tmp_path / "home"),
        "GITHUB_SHA": "b" * 40,
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PATH": f"{shims}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "current/index.html").read_text(encoding="utf-8") == "<h1>党建</h1>"
    assert os.readlink(target / "current").startswith("releases/") and os.readlink(target / "current").endswith(
        "b" * 40
    )
    assert all("StrictHostKeyChecking=yes" in call for call in log.read_text(encoding="utf-8").splitlines())
    assert oct((tmp_path / "home/.ssh/deploy").stat().st_mode & 0o777) == "0o600"


def test_a_commit_cannot_plant_files_in_the_gitlab_caches(tmp_path: Path) -> None:
    """GitLab caches only paths inside the checkout (.cache/): a committed .cache/dangjian/<pickle> or
    .cache/pip/<wheel> would be read as a cache entry, and unpickling runs code. The job refuses first."""
    from git_helpers import RegistryRepo

    repo = RegistryRepo(tmp_path / "repo")
    repo.commit("缓存", {".cache/dangjian/state/planted.pickle": b"cos\nsystem\n(S'id'\ntR."})
    shims = tmp_path / "bin"
    shims.mkdir()
    record = tmp_path / "calls"
    (shims / "pip").write_text(f'#!/bin/sh\necho "pip $*" >> "{record}"\n', encoding="utf-8")
    (shims / "pip").chmod(0o755)
    done = subprocess.run(
        ["bash", "-e", "-c", "\n".join(gitlab_jobs()["pages"]["before_script"])],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env={**os.environ, "DANGJIAN": _source(GITLAB), "PATH": f"{shims}:{os.environ['PATH']}"},
    )
    assert done.returncode == 1 and ".cache" in done.stdout
    assert not record.exists()  # refused before anything was installed or read
    clean = RegistryRepo(tmp_path / "clean")
    done = subprocess.run(
        ["bash", "-e", "-c", "\n".join(gitlab_jobs()["pages"]["before_script"])],
        cwd=clean.root,
        capture_output=True,
        text=True,
        env={**os.environ, "DANGJIAN": _source(GITLAB), "PATH": f"{shims}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0 and record.read_text(encoding="utf-8").splitlines() == [
        f"pip install {_source(GITLAB)}"
    ]
