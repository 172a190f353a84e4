"""Temporary git repositories holding a registry, for history and diff tests."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import git

from conftest import MINIMAL, apply_overlay


class RegistryRepo:
    """A git repository whose root is a copy of the minimal registry; commit() applies an overlay."""

    def __init__(self, path: Path) -> None:
        shutil.copytree(MINIMAL, path)
        self.root = path
        self.repo = git.Repo.init(path, initial_branch="main")
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "测试编辑")
            config.set_value("user", "email", "editor@example.org")
        self.day = datetime.date(2026, 1, 1)
        self.commit("初始登记簿")

    def commit(self, subject: str, overlay: dict | None = None) -> str:
        """Apply `overlay`, commit everything with a date one day after the last; return the sha."""
        apply_overlay(self.root, overlay or {})
        self.repo.git.add("-A")
        noon = datetime.datetime(
            self.day.year, self.day.month, self.day.day, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        )
        stamp = f"{int(noon.timestamp())} +0800"
        self.repo.index.commit(subject, author_date=stamp, commit_date=stamp)
        self.day += datetime.timedelta(days=1)
        return self.repo.head.commit.hexsha
