"""What a process imports that its work does not need (issue 23's fixed costs: a town rebuild is mostly them).

The editors' commands are declared in their own modules, imported only when needed (`cli._Main`): a build or a
validation does not pay 0.15 s to import them, and every command is still found, listed and helped. A rebuild that
takes every calendar from the cache's pack does not import icalendar, nor rich's progress bar off a terminal.
Imports are asserted, not seconds: `bench/` measures the time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter: what was imported before is this process's, not the test session's."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env={**os.environ, **env}
    )


def test_the_command_line_imports_no_editing_tool():
    done = _python(
        "import sys; from dangjian.cli import main, run\n"
        "print(sorted(m for m in sys.modules if m.startswith('dangjian.editing')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "args, shown",
    [
        (["new", "--help"], "新建记录"),
        (["import", "roster", "--help"], "名册"),
        (["export", "certificates", "--help"], "履责证"),
        (["--help"], "new"),
    ],
)
def test_each_editing_command_is_found_in_a_fresh_process(args, shown):
    done = _python(f"import sys; sys.argv = ['dangjian', *{args!r}]; from dangjian.cli import run; run()")
    assert done.returncode == 0, done.stderr
    assert shown in done.stdout


def test_the_list_names_the_editing_commands_once_and_a_typo_is_a_usage_error():
    from click.testing import CliRunner

    from dangjian.cli import main

    listed = main.list_commands(None)  # type: ignore[arg-type]
    assert {"new", "import", "export", "build", "validate"} <= set(listed)
    assert len(listed) == len(set(listed))
    result = CliRunner().invoke(main, ["nwe"])
    assert result.exit_code == 2
    assert "nwe" in result.output


def test_a_rebuild_with_nothing_changed_imports_neither_icalendar_nor_the_progress_bar(registry, tmp_path: Path):
    """Nor Python-Markdown and nh3: the texts the last build rendered are kept (`site/markdown.py`). The command runs
    through `main` (the console's `run` ends the process at once, before any probe of what it imported)."""
    root, out = registry(), tmp_path / "site"
    build = (
        "import sys\n"
        f"sys.argv = ['dangjian', 'build', '--root', {str(root)!r}, '--out', {str(out)!r}]\n"
        "from dangjian.cli import main\n"
        "try:\n    main()\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
        "print(sorted(m for m in ('icalendar', 'rich.progress', 'dangjian.editing', 'markdown', 'nh3')"
        " if m in sys.modules))\n"
    )
    cache = str(tmp_path / "cache")
    first = _python(build, DANGJIAN_CACHE=cache)
    assert first.returncode == 0, first.stderr
    assert "icalendar" in first.stdout and "markdown" in first.stdout  # the cold build: the probe sees imports
    again = _python(build, DANGJIAN_CACHE=cache)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "[]"
    assert (out / "index.html").is_file()
