"""The registry's git history: who changed which file when, and the registry as it was at a revision.

Dates come from commits (committer dates), never from file modification times.
A registry root outside any git repository simply has no history.
"""

from __future__ import annotations

import datetime
import shutil
import stat
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .normalise import HAN

if TYPE_CHECKING:
    from collections.abc import Iterator

    import git

TRACKED = ("registry", "content", "mkdocs.yml")
_SEPARATOR = "\x1e"


class HistoryError(Exception):
    """A revision cannot be read (unknown name, not a git repository)."""


def public_subject(subject: str, files: tuple[str, ...]) -> str:
    """A commit subject as a Chinese site shows it: as written when it is Chinese, else (a
    developer's English subject, a forge's "Merge pull request …") what the commit did, in Chinese."""
    return subject if HAN.search(subject) else f"修改了 {len(files)} 个文件"


@dataclass(frozen=True)
class Revision:
    """One commit that touched the registry."""

    sha: str
    date: datetime.date
    subject: str
    files: tuple[str, ...]  # paths relative to the registry root


def _repo(root: Path) -> git.Repo | None:
    """The git repository holding `root`, or None."""
    try:
        import git
    except ImportError:  # GitPython needs the git program; without it there is no history
        return None
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandNotFound):
        return None


def _prefix(repo: git.Repo, root: Path) -> str:
    """The registry root's path inside the repository ("" or "sub/dir/")."""
    working = repo.working_tree_dir or root  # a bare repository (none) cannot hold the root
    inner = Path(root).resolve().relative_to(Path(working).resolve()).as_posix()
    return "" if inner == "." else inner + "/"


class History:
    """The commits of a registry root, newest first, indexed by file."""

    def __init__(self, revisions: list[Revision]) -> None:
        self.revisions = revisions
        self.by_file: dict[str, list[Revision]] = defaultdict(list)
        for revision in revisions:
            for path in revision.files:
                self.by_file[path].append(revision)

    @classmethod
    def empty(cls) -> History:
        return cls([])

    @classmethod
    def of(cls, root: Path, rev: str = "HEAD") -> History:
        """The history of `root` up to `rev`; empty outside git or in a repository without commits."""
        repo = _repo(root)
        if repo is None:
            return cls.empty()
        try:
            repo.commit(rev)
        except Exception:  # noqa: BLE001 - no commits yet, or an unknown name: no history
            return cls.empty()
        prefix = _prefix(repo, root)
        paths = [prefix + p for p in TRACKED]
        output = repo.git.log(
            rev, "--format=" + _SEPARATOR + "%H%x00%cs%x00%s", "--name-only", "--no-renames", "--", *paths
        )
        return cls(list(_parse(output, prefix)))

    def for_files(self, files: tuple[str, ...] | list[str], limit: int = 5) -> list[Revision]:
        """The latest revisions touching any of `files`, newest first."""
        seen: dict[str, Revision] = {}
        for path in files:
            for revision in self.by_file.get(path, []):
                seen.setdefault(revision.sha, revision)
        return sorted(seen.values(), key=lambda r: (r.date, r.sha), reverse=True)[:limit]


def _parse(output: str, prefix: str) -> Iterator[Revision]:
    for block in output.split(_SEPARATOR):
        if not block.strip():
            continue
        header, _, names = block.partition("\n")
        sha, date, subject = header.split("\x00", 2)
        files = tuple(n[len(prefix) :] for n in names.splitlines() if n.strip() and n.startswith(prefix))
        yield Revision(sha, datetime.date.fromisoformat(date), subject, files)


def checkout(root: Path, rev: str, target: Path) -> Path:
    """Write the registry files of `root` as they were at `rev` into `target` (a new folder); return it."""
    repo = _repo(root)
    if repo is None:
        raise HistoryError(f"{root} 不在 git 仓库里，无法读取历史版本")
    try:
        commit = repo.commit(rev)
    except Exception as err:  # noqa: BLE001 - gitpython raises several kinds for a bad name
        raise HistoryError(f"找不到版本 `{rev}`：{str(err).splitlines()[0]}") from err
    prefix = _prefix(repo, root)
    target.mkdir(parents=True, exist_ok=False)
    for name in TRACKED:
        try:
            entry: Any = commit.tree / (prefix + name)  # a tree or a blob (GitPython types a wider union)
        except KeyError:
            continue
        blobs = [entry] if entry.type == "blob" else [b for b in entry.traverse() if b.type == "blob"]
        for blob in blobs:
            if stat.S_ISLNK(blob.mode):
                continue  # a link could point anywhere; the registry's own rules reject them anyway
            path = target / PurePosixPath(blob.path[len(prefix) :])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(blob.data_stream.read())
    return target


def remove(path: Path) -> None:
    """Delete a checkout made by `checkout`."""
    shutil.rmtree(path, ignore_errors=True)
