"""The registry's git history: who changed which file when, and the registry as it was at a revision.

Dates come from commits (committer dates), never from file modification times.
A registry root outside any git repository simply has no history.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .normalise import HAN

if TYPE_CHECKING:
    from collections.abc import Iterator

TRACKED = ("registry", "content", "mkdocs.yml")
_SEPARATOR = "\x1e"
# The `git` program itself, not a library (GitPython is in maintenance mode, and this module needs three
# plumbing commands). Messages in English (LC_ALL=C) since only their first line is shown; paths unquoted;
# no lock taken on a repository someone else may be writing to.
_ENV = {**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}


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


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes] | None:
    """Run `git -C cwd args…`; None when there is no git program."""
    command = ["git", "-c", "core.quotepath=off", "-C", str(cwd), *args]
    try:
        return subprocess.run(command, input=stdin, capture_output=True, check=False, env=_ENV)
    except OSError:  # no git program (or it cannot run): no history
        return None


def _repo(root: Path) -> Path | None:
    """The work tree of the git repository holding `root`, or None."""
    if not Path(root).is_dir():
        return None
    done = _git(root, "rev-parse", "--show-toplevel")
    if done is None or done.returncode != 0 or not done.stdout.strip():
        return None
    return Path(os.fsdecode(done.stdout.strip()))


def _commit(work_tree: Path, rev: str) -> str | None:
    """The commit `rev` names, as its full id, or None (no commits yet, an unknown name)."""
    if rev.startswith("-"):  # never an option: `--output=…` as a revision would make git write a file
        return None
    done = _git(work_tree, "rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}")
    if done is None or done.returncode != 0:
        return None
    return done.stdout.decode("ascii").strip()


def _prefix(work_tree: Path, root: Path) -> str:
    """The registry root's path inside the repository ("" or "sub/dir/")."""
    inner = Path(root).resolve().relative_to(work_tree.resolve()).as_posix()
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
        work_tree = _repo(root)
        commit = _commit(work_tree, rev) if work_tree is not None else None
        if work_tree is None or commit is None:
            return cls.empty()
        prefix = _prefix(work_tree, root)
        paths = [prefix + p for p in TRACKED]
        fmt = "--format=" + _SEPARATOR + "%H%x00%cs%x00%s"
        done = _git(work_tree, "log", fmt, "--name-only", "--no-renames", commit, "--", *paths)
        if done is None or done.returncode != 0:
            return cls.empty()
        output = done.stdout.decode("utf-8", errors="replace")
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
    work_tree = _repo(root)
    if work_tree is None:
        raise HistoryError(f"{root} 不在 git 仓库里，无法读取历史版本")
    commit = _commit(work_tree, rev)
    if commit is None:
        raise HistoryError(f"找不到版本 `{rev}`：不是这个仓库里的提交、分支或标签")
    prefix = _prefix(work_tree, root)
    listing = _git(work_tree, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *[prefix + p for p in TRACKED])
    if listing is None or listing.returncode != 0:
        raise HistoryError(f"读不出版本 `{rev}` 的文件")
    blobs = []  # (object id, path under the root); links are skipped: one could point anywhere
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, object_id = meta.decode("ascii").split()
        if kind == "blob" and mode != "120000":
            blobs.append((object_id, os.fsdecode(name)[len(prefix) :]))
    target.mkdir(parents=True, exist_ok=False)
    for (object_id, path), content in zip(blobs, _blobs(work_tree, [b for b, _ in blobs])):
        destination = target / PurePosixPath(path)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content)
    return target


def _blobs(work_tree: Path, object_ids: list[str]) -> list[bytes]:
    """The contents of blobs, read by one `git cat-file --batch`."""
    if not object_ids:
        return []
    done = _git(work_tree, "cat-file", "--batch", stdin=("\n".join(object_ids) + "\n").encode("ascii"))
    if done is None or done.returncode != 0:
        raise HistoryError("读不出历史版本的文件内容")
    out, position = [], 0
    for _ in object_ids:  # each: "<id> blob <size>\n<content>\n"
        header_end = done.stdout.index(b"\n", position)
        size = int(done.stdout[position:header_end].split()[2])
        out.append(done.stdout[header_end + 1 : header_end + 1 + size])
        position = header_end + 1 + size + 1
    return out


def remove(path: Path) -> None:
    """Delete a checkout made by `checkout`."""
    shutil.rmtree(path, ignore_errors=True)
