"""The editors' commands are declared in their own modules, imported only when needed (`cli._Main`): a build or a
validation does not pay 0.15 s to import them, and every command is still found, listed and helped."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter: what was imported before is this process's, not the test session's."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


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
