"""Run a CI install step inside a checkout a pull request could have written, and record what it called.

A merge request can add a pyproject.toml that says `name = "dangjian"`, a setup.py and a requirements.txt:
an install step that read them would run the request's code. The step runs with pip, python, uv and pipx
replaced by shims that only record their arguments.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def install_calls(command: str, source: str, tmp_path: Path) -> list[str]:
    """The calls `command` makes (each "tool args"), run by bash in a hostile checkout with `$DANGJIAN` set to
    `source`; the step must succeed."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text('[project]\nname = "dangjian"\nversion = "0"\n', encoding="utf-8")
    (checkout / "setup.py").write_text("raise SystemExit('ran')\n", encoding="utf-8")
    (checkout / "requirements.txt").write_text("evil-package\n", encoding="utf-8")
    shims = tmp_path / "bin"
    shims.mkdir()
    record = tmp_path / "calls"
    for tool in ("pip", "pip3", "python", "python3", "uv", "pipx"):
        (shims / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> "{record}"\n', encoding="utf-8")
        (shims / tool).chmod(0o755)
    done = subprocess.run(
        ["bash", "-e", "-c", command],
        cwd=checkout,
        capture_output=True,
        text=True,
        env={**os.environ, "DANGJIAN": source, "PATH": f"{shims}:/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return record.read_text(encoding="utf-8").splitlines()
