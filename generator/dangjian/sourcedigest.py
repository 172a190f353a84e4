"""The digests of dangjian's own files (its code, its templates, its data), remembered between runs by their stat.

Whatever dangjian keeps is named after the code that made it (`cache.code_fingerprint`, `provenance.made_by`,
`site.incremental.code_version`), so every command read and hashed its own files again: 185 templates, 135 files of
the package and the modules the loader imports, found by reading each one's imports. That took 0.04-0.06 s of every
process (a county rebuild takes about 1 s). Now a file's digest is kept with its stat (size, modification and change
times, inode, device) in one cache entry (`code/digests`) and used again while the stat is the same.

The change time is what a user cannot set (`touch -d` sets the modification time alone), and a file is remembered only
once it had not changed for `SETTLED_NS` when it was hashed, as git treats a racily clean index entry: a file written in
the same clock tick as its hashing would keep its stat through a second write, so such a file is read again until it
settles. With the cache off (`DANGJIAN_CACHE=off`), digests are remembered within the process alone, by the same rule.

Imports nothing of dangjian's but `files` at the top: `cache` imports this module.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .files import read_sealed, sealed_head

T = TypeVar("T")

PART = "code"  # the cache part (`cache.PARTS`)
NAME = "digests"
FORMAT = b"dangjian-code-digests 1"
MAX_BYTES = 1 << 24  # a few hundred files: about 40 KB
SETTLED_NS = 2_000_000_000  # a file changed less than this before it was hashed is hashed again (`cache.RACY_NS`)

Stamp = tuple[int, int, int, int, int]  # size, modification and change times (ns), inode, device


class _Table:
    """Each file's (stamp, digest) and what was derived from its bytes, {(what, path): (digest, value)}: loaded from
    the cache at first use, written back when a batch (`remembering`) found something new."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.depth = 0
        self.clear()

    def clear(self) -> None:
        self.folder: Path | None = None
        self.loaded = False
        self.files: dict[str, tuple[Stamp, bytes]] = {}
        self.derived: dict[tuple[str, str], tuple[bytes, Any]] = {}
        self.dirty = False

    def load(self) -> None:
        """Read the entry once; when the cache folder is another since (a test's), what is found new is written
        there (what is known is still known: a file's digest is the same in any folder)."""
        from .cache import cache_dir  # `cache` imports this module

        folder = cache_dir()
        if self.loaded:
            self.folder = folder
            return
        self.loaded, self.folder = True, folder
        if folder is None:
            return
        import pickle

        body = read_sealed(folder / PART / NAME, FORMAT, MAX_BYTES)
        try:
            files, derived = pickle.loads(body) if body is not None else ({}, {})  # noqa: S301 - the user's own cache
        except Exception:  # noqa: BLE001 - damaged: only a miss
            return
        if isinstance(files, dict) and isinstance(derived, dict):
            self.files, self.derived = files, derived

    def save(self) -> None:
        if not self.dirty or self.folder is None:
            self.dirty = False
            return
        import pickle

        from .cache import write_atomic

        self.dirty = False
        body = pickle.dumps((self.files, self.derived), protocol=pickle.HIGHEST_PROTOCOL)
        write_atomic(self.folder / PART / NAME, sealed_head(FORMAT, body) + body)


_TABLE = _Table()


@contextmanager
def remembering() -> Iterator[None]:
    """A batch of digests: what they found new is written once, when the outermost batch ends."""
    with _TABLE.lock:
        if _TABLE.depth == 0:  # the outermost batch: the folder looked up once, not at every file
            _TABLE.load()
        _TABLE.depth += 1
        try:
            yield
        finally:
            _TABLE.depth -= 1
            if _TABLE.depth == 0:
                _TABLE.save()


def _stamp(info: os.stat_result) -> Stamp:
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev


def digest(path: Path) -> bytes:
    """The digest of the file's bytes (16 bytes of BLAKE2b): read only when its stat is not the one remembered."""
    return _stamped(path)[1]


def _stamped(path: Path, info: os.stat_result | None = None, seen: int | None = None) -> tuple[Stamp, bytes]:
    """The file's stamp and digest; `info`, when given, is its stat taken at `seen` or later."""
    with remembering():
        key = str(path)
        if info is None:
            seen = time.time_ns()  # before the stat: a write the stat might not show is later than this
            info = os.stat(path)
        assert seen is not None
        stamp = _stamp(info)
        known = _TABLE.files.get(key)
        if known is not None and known[0] == stamp:
            return known
        found = hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
        if max(stamp[1], stamp[2]) + SETTLED_NS < seen:  # settled: any later write changes its stat
            _TABLE.files[key] = (stamp, found)
            _TABLE.dirty = True
        return stamp, found


def derived(what: str, path: Path, make: Callable[[bytes], T]) -> T:
    """`make(the file's bytes)`, remembered under the file's digest (`what` names the function: one value a file)."""
    with remembering():
        found = digest(path)
        known = _TABLE.derived.get((what, str(path)))
        if known is not None and known[0] == found:
            return known[1]
        data = path.read_bytes()
        value = make(data)
        if hashlib.blake2b(data, digest_size=16).digest() == found:  # not changed since it was digested
            _TABLE.derived[(what, str(path))] = (found, value)
            _TABLE.dirty = True
        return value


def tree(folder: Path) -> str:
    """The digest of every file under `folder` (compiled bytecode aside): each one's path in it, size and digest, in
    order of path. Links are followed, as reading the files does."""
    files: list[tuple[str, str]] = []
    for where, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if name != "__pycache__"]
        relative = os.path.relpath(where, folder).replace(os.sep, "/")
        files += [(name if relative == "." else f"{relative}/{name}", os.path.join(where, name)) for name in names]
    total = hashlib.blake2b(digest_size=16)
    with remembering():
        for name, path in sorted(files):
            seen = time.time_ns()  # before the stat (`_stamped`)
            try:
                info = os.stat(path)
            except OSError:  # a link to nothing: no file
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            stamp, found = _stamped(Path(path), info, seen)
            total.update(f"{name}\0{stamp[0]}\0".encode())
            total.update(found)
    return total.hexdigest()


def forget() -> None:
    """Nothing remembered in this process (the tests: another cache folder, or the entry tampered with)."""
    with _TABLE.lock:
        _TABLE.clear()
