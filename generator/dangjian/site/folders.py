"""Folders made in a process of their own, for `output.Prekept`: run as a script, `python -I -S folders.py FOLDER`, it
makes under FOLDER every folder named in FOLDER's list file (`LIST`: relative paths, each ending in "/", separated by
NUL bytes), then removes the list. It exits 0 when every folder was made, 1 otherwise.

A process of its own, not a thread nor a fork: it waits on the disk (0.13 ms a folder on this machine, 37,000 for a
city) while the build renders on every core, and a fork of a build holding a registry copies what it touches. Started
without the site module, it imports the standard library alone (this file imports nothing else).

FOLDER is the build's own, new and of mode 0700 (`output.prekeep`); a name that is absolute, empty, or holds "..", "."
or an empty part is refused, and no folder is made through a link (each part is opened without following one).
"""

from __future__ import annotations

import os
import sys

LIST = ".dangjian-folders"
# A folder opened, never through a link (`output` opens the folders it links into so too)
FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def make(folder: str, names: list[str]) -> bool:
    """Make every folder of `names` under `folder`; False when one could not be (the others are made)."""
    made_all = True
    top = os.open(folder, FOLDER_FLAGS)
    try:
        opened: dict[str, int] = {"": top}
        try:
            for name in sorted(set(names)):
                if not _make(opened, name):
                    made_all = False
        finally:
            for path, handle in opened.items():
                if path:
                    os.close(handle)
    finally:
        os.close(top)
    return made_all


def _make(opened: dict[str, int], name: str) -> bool:
    parts = name.removesuffix("/").split("/")
    if not name.endswith("/") or any(part in ("", ".", "..") for part in parts):
        return False
    path = ""
    for part in parts:
        parent, path = opened[path], f"{path}{part}/"
        if path in opened:
            continue
        try:
            os.mkdir(part, 0o755, dir_fd=parent)
        except FileExistsError:
            pass
        except OSError:
            return False
        try:
            opened[path] = os.open(part, FOLDER_FLAGS, dir_fd=parent)
        except OSError:
            return False
        if len(opened) > 64:  # the folders of a site are made in order: keep the handles of the current path alone
            for other in [p for p in opened if p and not path.startswith(p)]:
                os.close(opened.pop(other))
    return True


def main(argv: list[str]) -> int:
    folder = argv[1]
    listed = os.path.join(folder, LIST)
    try:
        with open(listed, "rb") as file:
            names = [name.decode("utf-8", "surrogateescape") for name in file.read().split(b"\0") if name]
        os.unlink(listed)
        return 0 if make(folder, names) else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
