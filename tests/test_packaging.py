"""The package: a non-editable install carries every template file; metadata, licence and build floor;
`python -m dangjian`, shell completion and the exit statuses."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import MINIMAL, REPO


def test_every_template_file_is_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = config["package-data"]["dangjian_site_templates"]
    root = REPO / "site_templates"
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    missing = [f for f in files if f != "__init__.py" and not any(fnmatch.fnmatchcase(f, pat) for pat in patterns)]
    assert missing == [], f"add to [tool.setuptools.package-data]: {missing}"


def test_every_package_is_listed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO / "generator").parts) for p in (REPO / "generator").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


# --- package metadata (issue 22) ------------------------------------------------------------------
DANGJIAN = Path(sys.executable).parent / "dangjian"


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _setuptools_floor() -> int:
    (requirement,) = [r for r in _project()["build-system"]["requires"] if r.startswith("setuptools")]
    match = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", requirement.replace(" ", ""))
    assert match, f"the build-system should name a setuptools floor: {requirement}"
    return int(match.group(1))


def test_metadata_is_complete():
    project = _project()["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert project["authors"] == [{"name": "dangjian contributors"}]
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(project["urls"])
    assert all(url.startswith("https://") for url in project["urls"].values())
    assert project["keywords"] and project["classifiers"]
    # PEP 639: with a licence expression, a licence classifier is an error for setuptools >= 77
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in project["classifiers"]
    assert project["requires-python"] == ">=3.11"


def test_the_licence_file_is_mit_with_its_holder():
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert re.search(r"Copyright \(c\) \d{4} dangjian contributors", text)
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_the_setuptools_floor_reads_the_licence_expression():
    """`license = "MIT"` (a PEP 639 expression) is read from setuptools 77 on; the floor must not be lower."""
    assert _setuptools_floor() >= 77


def _venv_with_setuptools(where: Path, spec: str) -> Path | None:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True)
    python = where / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", spec, "wheel"], capture_output=True, text=True, timeout=600
    )
    return python if done.returncode == 0 else None


def _source_copy(target: Path) -> Path:
    """The files a wheel is built from (the work tree's, not a commit's)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, target / name)
    for folder in ("generator", "site_templates"):
        shutil.copytree(REPO / folder, target / folder, ignore=ignore)
    return target


@pytest.mark.skipif(
    not os.environ.get("DANGJIAN_PACKAGING_BUILD"),
    reason="builds wheels in two fresh venvs (about a minute): set DANGJIAN_PACKAGING_BUILD=1",
)
def test_a_wheel_builds_with_the_declared_floor_and_not_below(tmp_path):
    floor = _setuptools_floor()
    source = _source_copy(tmp_path / "src")
    at_floor = _venv_with_setuptools(tmp_path / "floor", f"setuptools>={floor},<{floor + 1}")
    below = _venv_with_setuptools(tmp_path / "below", f"setuptools<{floor}")
    if at_floor is None or below is None:
        pytest.skip("no package index reachable for setuptools")
    wheel = lambda python, out: subprocess.run(  # noqa: E731
        [str(python), "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=600,
    )
    built = wheel(at_floor, tmp_path / "w-floor")
    assert built.returncode == 0, built.stderr[-3000:]
    (made,) = (tmp_path / "w-floor").glob("dangjian-*.whl")
    import zipfile

    names = zipfile.ZipFile(made).namelist()
    assert "dangjian/__main__.py" in names and any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    refused = wheel(below, tmp_path / "w-below")
    assert refused.returncode != 0 and "project.license" in refused.stderr, refused.stderr[-3000:]


# --- python -m dangjian, completion, exit status --------------------------------------------------


def run(*args, env: dict | None = None, module: bool = False, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dangjian"] if module else [str(DANGJIAN)]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_python_m_dangjian_is_the_command_line():
    version = run("--version", module=True)
    assert version.returncode == 0 and "0.1.0" in version.stdout
    assert run("validate", "--root", MINIMAL, module=True).returncode == 0
    unknown = run("frobnicate", module=True)
    assert unknown.returncode == 2 and "frobnicate" in unknown.stderr


@pytest.mark.parametrize(
    "shell, marker", [("bash", "complete -o nosort -F"), ("zsh", "compdef"), ("fish", "complete --no-files")]
)
def test_completion_scripts_are_printed(shell, marker):
    done = run(env={**os.environ, "_DANGJIAN_COMPLETE": f"{shell}_source"})
    assert done.returncode == 0 and marker in done.stdout and "_DANGJIAN_COMPLETE" in done.stdout, done.stdout


def test_bash_completion_completes_commands_and_choices():
    def words(line, cword):
        return run(
            env={
                **os.environ,
                "_DANGJIAN_COMPLETE": "bash_complete",  # noqa: E731
                "COMP_WORDS": line,
                "COMP_CWORD": str(cword),
            }
        ).stdout.splitlines()

    assert "plain,validate" in words("dangjian va", 1)
    assert set(words("dangjian diff HEAD --format ", 4)) == {"plain,markdown", "plain,json"}


def test_the_readme_documents_completion_and_every_exit_status():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "_DANGJIAN_COMPLETE=bash_source dangjian" in text
    section = text.split("### Exit status", 1)[1].split("\n### ", 1)[0]
    rows = dict(re.findall(r"^\| (\d) \| (.+?) \|$", section, flags=re.M))
    assert sorted(rows) == ["0", "1", "2", "3"]
    assert "problems" in rows["1"] and "bad usage" in rows["2"] and "could not run" in rows["3"]


def _git_repo(root: Path) -> Path:
    shutil.copytree(MINIMAL, root)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=测试", "-c", "user.email=t@example.org", "commit", "-q", "-m", "初始"],
    ):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root


def test_exit_1_problems_found(registry):
    done = run("validate", "--root", registry({"registry/orgs/west.yaml": "id: west\n"}))
    assert done.returncode == 1, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--bogus"],
        ["diff"],
        ["diff", "HEAD", "--format", "xml"],
    ],
)
def test_exit_2_bad_usage(args, tmp_path):
    root = _git_repo(tmp_path / "repo")
    done = run(*args, "--root", root)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr


def test_exit_2_an_unknown_revision(tmp_path):
    root = _git_repo(tmp_path / "repo")
    done = run("diff", "no-such-rev", "--root", root)
    assert done.returncode == 2 and "找不到版本" in done.stderr, done.stderr


def test_exit_3_not_a_registry(tmp_path):
    for root in (tmp_path, tmp_path / "nowhere"):
        done = run("validate", "--root", root)
        assert done.returncode == 3 and "registry/" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_exit_3_outside_git(tmp_path):
    root = shutil.copytree(MINIMAL, tmp_path / "plain")
    done = run("diff", "HEAD", "--root", root)
    assert done.returncode == 3 and "不在 git 仓库里" in done.stderr, done.stderr


def test_exit_3_git_missing(tmp_path):
    root = _git_repo(tmp_path / "repo")
    empty = tmp_path / "bin"
    empty.mkdir()
    done = run("diff", "HEAD", "--root", root, env={**os.environ, "PATH": str(empty)})
    assert done.returncode == 3 and "没有找到 git 程序" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_exit_3_an_error_of_the_machine(tmp_path):
    """A name longer than the file system allows is the machine's to refuse: exit 3, said in Chinese."""
    done = run("build", "--root", MINIMAL, "--out", tmp_path / ("a" * 300), "--no-search")
    assert done.returncode == 3 and "路径太长" in done.stderr and "请报告" not in done.stderr, done.stderr


def test_exit_3_a_defect_of_dangjian(monkeypatch, capsys):
    from dangjian import cli

    def broken(**_):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "main", broken)
    with pytest.raises(SystemExit) as stopped:
        cli._run()  # the console entry less its ending (`_leave` would end this process)
    assert stopped.value.code == 3 and "内部错误" in capsys.readouterr().err


def test_exit_codes_are_distinct_constants():
    from dangjian import cli

    assert (cli.EXIT_PROBLEMS, cli.EXIT_USAGE, cli.EXIT_CANNOT_RUN) == (1, 2, 3)


def test_the_changelog_keeps_a_changelog():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, flags=re.M)
    assert headings[0] == ("Unreleased", "")
    released = headings[1:]
    assert released and all(date for _, date in released), "every release has its date"
    versions = [tuple(int(p) for p in version.split(".")) for version, _ in released]
    assert versions == sorted(versions, reverse=True) and [d for _, d in released] == sorted(
        (d for _, d in released), reverse=True
    )
    assert _project()["project"]["version"] in {version for version, _ in released}
    for version, _ in headings:  # each heading links somewhere
        assert re.search(rf"^\[{re.escape(version)}\]: https://", text, flags=re.M), version
    kinds = set(re.findall(r"^### (.+)$", text, flags=re.M))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds
