"""A folder tree listed in a process of its own, for `incremental.KeptListing`: run as a script,
`python -I -S listing.py FOLDER`, it writes the listing to its standard output, pickled.

A process of its own, not a fork: `serve` builds in a process holding a city's registry (gigabytes), and a child
forked from it that lived through the build's validation made the parent copy every page it wrote to meanwhile.
Started without the site module, it imports the standard library alone (this file imports nothing else): the
dangjian it runs is the file beside the caller, whatever is installed.

The listing: the folder's device and inode, its mark file's bytes (`output.KEPT_MARK`, read only when a regular file,
never through a link, never waiting on a pipe; None otherwise), and every folder under it (never through a link), by
address ("" the folder's own, "a/b/"), with its entries: (name, FILE, the file's identity), (name, FOLDER, None) or
(name, OTHER, None) for anything else (a link, a pipe). A file's identity is `incremental.identity`'s: device, inode,
size, modification time in ns.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import stat
import sys

FILE, FOLDER, OTHER = 0, 1, 2
MARK = ".dangjian-kept"  # output.KEPT_MARK
MARK_MOST = 4096  # a mark file is shorter (output._mark_token reads no more)
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)

Entry = tuple[str, int, "tuple[int, int, int, int] | None"]
Found = tuple[tuple[int, int], "bytes | None", dict[str, list[Entry]]]


def listing(folder: str) -> Found:
    """The listing of `folder` (OSError when it cannot be opened or read)."""
    handle = os.open(folder, _FOLDER_FLAGS)
    try:
        info = os.fstat(handle)
        folders: dict[str, list[Entry]] = {}
        _list(handle, "", folders)
        return (info.st_dev, info.st_ino), _mark(handle), folders
    finally:
        os.close(handle)


def _list(handle: int, url: str, folders: dict[str, list[Entry]]) -> None:
    folders[url] = found = entries(handle)
    for name, kind, _ in found:
        if kind == FOLDER:
            inside = os.open(name, _FOLDER_FLAGS, dir_fd=handle)
            try:
                _list(inside, f"{url}{name}/", folders)
            finally:
                os.close(inside)


def entries(handle: int) -> list[Entry]:
    """The entries of the folder open as `handle` (links not followed)."""
    with os.scandir(handle) as found:
        items = list(found)
    listed: list[Entry] = []
    for item in items:
        if item.is_dir(follow_symlinks=False):
            listed.append((item.name, FOLDER, None))
        elif item.is_file(follow_symlinks=False):
            info = item.stat(follow_symlinks=False)
            listed.append((item.name, FILE, (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)))
        else:
            listed.append((item.name, OTHER, None))
    return listed


def _mark(handle: int) -> bytes | None:
    try:
        mark = os.open(MARK, _FILE_FLAGS, dir_fd=handle)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(mark).st_mode):
            return None
        return os.read(mark, MARK_MOST + 1)
    except OSError:
        return None
    finally:
        os.close(mark)


def main(argv: list[str]) -> int:
    with contextlib.suppress(OSError, AttributeError):
        os.nice(19)  # a core the build leaves idle: the build and its rules' process go first
    try:
        found: Found | None = listing(argv[1])
    except (OSError, IndexError):
        found = None
    data = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)  # before the build asks for it, not while it waits
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
