"""Temporary git repositories holding a registry, for history and diff tests (the `git` program, as
history.py uses it)."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from pathlib import Path

from conftest import MINIMAL, apply_overlay


class RegistryRepo:
    """A git repository whose root is a copy of the minimal registry; commit() applies an overlay."""

    def __init__(self, path: Path) -> None:
        shutil.copytree(MINIMAL, path)
        self.root = path
        self.git("init", "--quiet", "--initial-branch=main")
        self.git("config", "user.name", "测试编辑")
        self.git("config", "user.email", "editor@example.org")
        self.day = datetime.date(2026, 1, 1)
        self.commit("初始登记簿")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run git in the repository; its output, stripped."""
        done = subprocess.run(["git", "-C", str(self.root), *args], capture_output=True, text=True, check=True, env=env)
        return done.stdout.strip()

    @property
    def head(self) -> str:
        """The full id of the last commit."""
        return self.git("rev-parse", "HEAD")

    def commit(self, subject: str, overlay: dict | None = None) -> str:
        """Apply `overlay`, commit everything with a date one day after the last; return the sha."""
        apply_overlay(self.root, overlay or {})
        self.git("add", "-A")
        noon = datetime.datetime(
            self.day.year, self.day.month, self.day.day, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        )
        stamp = f"{int(noon.timestamp())} +0800"
        dates = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        self.git("commit", "--quiet", "--allow-empty", "-m", subject, env={**os.environ, **dates})
        self.day += datetime.timedelta(days=1)
        return self.head
