"""Pending edits of registry files: checked against the whole registry before anything is written.

An edit is the whole new text of one file. `new_problems` validates the registry as it
would be with the edits applied (in memory, nothing on disk changes) and returns only
the problems the edits cause; `write_all` then writes every file atomically.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..problems import Problem
from ..validate import validate


class Refusal(Exception):
    """An edit dangjian will not make; the message (Chinese) says why and what to do."""


@dataclass
class TextFile:
    """A registry file as text, remembering what must survive a rewrite: BOM and line breaks."""

    path: str  # relative to the root, with `/`
    text: str  # without the BOM
    bom: bool = False
    newline: str = "\n"
    exists: bool = False

    def encode(self) -> bytes:
        """The bytes to write."""
        return (codecs.BOM_UTF8 if self.bom else b"") + self.text.encode("utf-8")


def read_file(root: Path, rel: str) -> TextFile:
    """The file at `rel` as text (an empty new file when it does not exist yet)."""
    refuse_links(root, rel, with_file=True)
    path = root / rel
    if not path.exists():
        return TextFile(rel, "")
    data = path.read_bytes()
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data[3:].decode("utf-8") if bom else data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(f"{rel} 不是 UTF-8 编码，无法安全地修改 — 先用 UTF-8 重新保存这个文件") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    return TextFile(rel, text, bom, newline, exists=True)


def linked_part(root: Path, rel: str, with_file: bool) -> str | None:
    """The first part of `rel` (a folder, or the file itself when `with_file`) that is a symbolic link.

    A committed link (registry/activities -> /home/…, or one file -> ~/.ssh/config) would make an
    edit read a file outside the root into the registry, or write one outside it."""
    parts = rel.split("/")
    for end in range(1, len(parts) + (1 if with_file else 0)):
        if os.path.islink(root.joinpath(*parts[:end])):
            return "/".join(parts[:end])
    return None


def refuse_links(root: Path, rel: str, with_file: bool) -> None:
    """Raise Refusal when the way from the root to `rel` goes through a symbolic link."""
    link = linked_part(root, rel, with_file)
    if link is not None:
        what = "这个文件" if link == rel else f"它所在的文件夹 {link}"
        raise Refusal(
            f"{rel}：{what}是符号链接，dangjian 不会经过链接读写登记簿之外的文件 — 把链接换成文件（或文件夹）本身后重试"
        )


def validate_with(root: Path, edits: dict[str, TextFile]) -> list[Problem]:
    """Every problem of the registry as it would be with `edits` applied (nothing is written)."""
    return validate(root, {rel: file.encode() for rel, file in edits.items()}, full=False).problems


def new_problems(before: list[Problem], after: list[Problem]) -> list[Problem]:
    """The problems in `after` that `before` did not have (compared without line numbers, which edits shift)."""
    seen = Counter((p.file, p.message, p.hint) for p in before)
    fresh = []
    for problem in after:
        key = (problem.file, problem.message, problem.hint)
        if seen[key]:
            seen[key] -= 1
        else:
            fresh.append(problem)
    return fresh


def file_mode(target: Path) -> int:
    """The permissions the written file should have: the old file's, else the usual ones."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_all(root: Path, edits: dict[str, TextFile]) -> list[str]:
    """Write every edited file atomically (temporary file, then rename); return the paths written."""
    for (
        rel
    ) in edits:  # every check before any write (a refusal leaves nothing half done); a link is not replaced either
        refuse_links(root, rel, with_file=True)
    staged: list[tuple[str, Path]] = []
    try:
        for rel, file in sorted(edits.items()):
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((rel, Path(temp)))
            with os.fdopen(handle, "wb") as out:
                out.write(file.encode())
            os.chmod(temp, file_mode(target))
        for rel, staged_path in staged:
            os.replace(staged_path, root / rel)
    finally:
        for _, staged_path in staged:
            staged_path.unlink(missing_ok=True)
    return [rel for rel, _ in staged]
