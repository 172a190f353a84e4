"""What is kept between runs: loaded files by content (unchanged bytes are never parsed twice), and
each run's per-file payloads (`State`).

The key is a hash of the file's bytes, its path and type, and the loader's own source
code, so an edit that keeps a file's size and modification time is still seen, and a
new dangjian never reads an old entry. Entries are pickles, so they live outside the
registry (a pull request must never be able to plant one): in `$DANGJIAN_CACHE`, else
`$XDG_CACHE_HOME/dangjian`, else `~/.cache/dangjian`. `DANGJIAN_CACHE=off` disables it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from .load import Loaded, load_source


# A relative import, at the top or inside a function: its dots, the module after them, and what it imports
# (`from .site import config`, `from . import (a, b)`). Read with a pattern, not ast: parsing the modules
# took longer than the rest of a warm `dangjian validate` at county scale. A match in a docstring only
# adds a module to the hash.
_RELATIVE_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.+)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.MULTILINE)


def loader_modules(*starts: str) -> list[str]:
    """The package's modules whose code decides what `starts` compute (default `load.py`: what loading a file
    yields), as paths relative to the package: the starts and every module they import, directly or not, at
    the top or inside a function, packages' `__init__.py` included (a hand-kept list went stale when the
    normaliser arrived)."""
    here = Path(__file__).parent
    seen: set[str] = set()
    todo = list(starts or ("load.py",))
    while todo:
        name = todo.pop()
        if name in seen or not (here / name).is_file():
            continue
        seen.add(name)
        package = PurePosixPath(name).parent.parts
        for dots, module, names in _RELATIVE_IMPORT.findall((here / name).read_text(encoding="utf-8")):
            base = [*package[: len(package) - (len(dots) - 1)], *(module.split(".") if module else ())]
            todo += _module_files(here, base)
            for imported in re.findall(r"\w+(?:[ \t]+as[ \t]+\w+)?", names.split("#")[0]):
                # `from . import rules`, `from .site import config`: modules themselves
                todo += _module_files(here, [*base, imported.split()[0]])
    return sorted(seen)


def _module_files(here: Path, parts: list[str]) -> list[str]:
    """The files importing the module `parts` runs: each package's `__init__.py` on the way, and the module."""
    files = ["/".join([*parts[:depth], "__init__.py"]) for depth in range(1, len(parts) + 1)]
    files.append("/".join(parts) + ".py")
    return [file for file in files if (here / file).is_file()]


@lru_cache(maxsize=4)
def code_fingerprint(*starts: str) -> bytes:
    """A hash of the source of `starts` and their imports (default: the loader): changed code invalidates
    every entry made by it."""
    digest = hashlib.blake2b(digest_size=16)
    here = Path(__file__).parent
    for name in loader_modules(*starts):
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    return digest.digest()


def cache_dir() -> Path | None:
    """Where entries live, or None when caching is off."""
    setting = os.environ.get("DANGJIAN_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dangjian"


def key(content: bytes, path: str, kind: str) -> str:
    """The cache key of these bytes at `path`, holding records of `kind`."""
    digest = hashlib.blake2b(code_fingerprint(), digest_size=20)
    digest.update(f"{kind}\0{path}\0".encode("utf-8", "surrogateescape"))  # file names need not be UTF-8
    digest.update(content)
    return digest.hexdigest()


def _entry(key: str, folder: Path) -> Path:
    return folder / "parse" / key[:2] / key


def is_cached(key: str, folder: Path | None) -> bool:
    """Whether loading the bytes with this key would be read from the cache (or at least attempted)."""
    return folder is not None and _entry(key, folder).is_file()


def cached_load(content: bytes, path: str, kind: str, folder: Path | None) -> Loaded:
    """`load_source(content, path, kind)`, from the cache when these exact bytes were loaded before.

    The key is computed from the bytes at hand, even when the caller hashed the file before:
    a file saved in between must not be stored under its old bytes' key."""
    if folder is None:
        return load_source(content, path, kind)
    entry = _entry(key(content, path, kind), folder)
    try:
        return pickle.loads(entry.read_bytes())
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001 - a damaged entry is only a miss
        pass
    loaded = load_source(content, path, kind)
    write_pickle(entry, loaded)
    return loaded


def write_pickle(path: Path, value: object) -> None:
    """Pickle `value` to `path` atomically; a cache that cannot be written is simply not used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
    except (OSError, pickle.PicklingError, RecursionError):
        try:
            os.unlink(temp)
        except (OSError, NameError):
            pass


class State:
    """Each file's payload under its cache key, saved in the cache folder between runs.

    Saved in `BUCKETS` files by a hash of the path, so that a run that loaded one file
    again rewrites one small file, not the whole state (at city scale, pickling all of
    it took longer than the rest of the run).
    """

    BUCKETS = 64

    def __init__(self, folder: Path | None, entries: dict[str, tuple[str, Any]]) -> None:
        self.folder = folder
        self.entries = entries
        self.used: dict[str, tuple[str, Any]] = {}
        self.dirty: set[int] = set()

    @classmethod
    def open(cls, cache: Path | None, root: Path, made_by: str) -> State:
        """The saved state of the registry at `root` (empty when there is none, when it cannot be read, or
        when caching is off), for payloads made by the module `made_by` (and what it imports)."""
        if cache is None:
            return cls(None, {})
        name = hashlib.blake2b(code_fingerprint(made_by), digest_size=16)
        name.update(os.path.abspath(root).encode("utf-8", "surrogateescape"))
        folder = cache / "state" / name.hexdigest()
        entries: dict[str, tuple[str, Any]] = {}
        for number in range(cls.BUCKETS):
            try:
                bucket = pickle.loads((folder / f"{number:02d}.pickle").read_bytes())
            except FileNotFoundError:
                continue
            except Exception:  # noqa: BLE001 - a damaged bucket is only a cold start for its files
                continue
            if isinstance(bucket, dict):
                entries.update(bucket)
        return cls(folder, entries)

    @classmethod
    def bucket(cls, file: str) -> int:
        return hashlib.blake2b(file.encode("utf-8", "surrogateescape"), digest_size=1).digest()[0] % cls.BUCKETS

    def get(self, file: str, key: str) -> Any | None:
        """The payload saved for these exact bytes of `file`, if any."""
        entry = self.entries.get(file)
        if entry is None or entry[0] != key:
            return None
        self.used[file] = entry
        return entry[1]

    def put(self, file: str, key: str, payload: Any) -> None:
        self.used[file] = (key, payload)
        self.dirty.add(self.bucket(file))

    def save(self) -> None:
        """Keep this run's payloads (only): rewrite the buckets where a payload changed or a file went away."""
        if self.folder is None:
            return
        self.dirty.update(self.bucket(file) for file in self.entries.keys() - self.used.keys())
        if not self.dirty:
            return
        buckets: dict[int, dict[str, tuple[str, Any]]] = {number: {} for number in self.dirty}
        for file, entry in self.used.items():
            number = self.bucket(file)
            if number in buckets:
                buckets[number][file] = entry
        for number, entries in buckets.items():
            write_pickle(self.folder / f"{number:02d}.pickle", entries)
