"""A content-addressed cache of loaded files: unchanged bytes are never parsed twice.

The key is a hash of the file's bytes, its path and type, and the loader's own source
code, so an edit that keeps a file's size and modification time is still seen, and a
new dangjian never reads an old entry. Entries are pickles, so they live outside the
registry (a pull request must never be able to plant one): in `$DANGJIAN_CACHE`, else
`$XDG_CACHE_HOME/dangjian`, else `~/.cache/dangjian`. `DANGJIAN_CACHE=off` disables it.
"""

from __future__ import annotations

import ast
import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

from .load import Loaded, load_source


def loader_modules(start: str = "load.py") -> list[str]:
    """The package's modules whose code decides what loading a file yields: `load.py` and every
    module it imports, directly or not, at the top or inside a function (a hand-kept list went
    stale when the normaliser arrived)."""
    here = Path(__file__).parent
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = ast.parse((here / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [node.module] if node.module else [alias.name for alias in node.names]
                todo += [
                    f"{target.replace('.', '/')}.py"
                    for target in targets
                    if (here / f"{target.replace('.', '/')}.py").is_file()
                ]
    return sorted(seen)


@lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """A hash of the loader's source: a changed loader invalidates every entry."""
    digest = hashlib.blake2b(digest_size=16)
    here = Path(__file__).parent
    for name in loader_modules():
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


def key(data: bytes, path: str, kind: str) -> str:
    """The cache key of these bytes at `path`, holding records of `kind`."""
    digest = hashlib.blake2b(code_fingerprint(), digest_size=20)
    digest.update(f"{kind}\0{path}\0".encode("utf-8", "surrogateescape"))  # file names need not be UTF-8
    digest.update(data)
    return digest.hexdigest()


def _entry(key: str, folder: Path) -> Path:
    return folder / "parse" / key[:2] / key


def is_cached(key: str, folder: Path | None) -> bool:
    """Whether loading the bytes with this key would be read from the cache (or at least attempted)."""
    return folder is not None and _entry(key, folder).is_file()


def cached_load(data: bytes, path: str, kind: str, folder: Path | None) -> Loaded:
    """`load_source(data, path, kind)`, from the cache when these exact bytes were loaded before.

    The key is computed from the bytes at hand, even when the caller hashed the file before:
    a file saved in between must not be stored under its old bytes' key."""
    if folder is None:
        return load_source(data, path, kind)
    entry = _entry(key(data, path, kind), folder)
    try:
        return pickle.loads(entry.read_bytes())
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001 - a damaged entry is only a miss
        pass
    loaded = load_source(data, path, kind)
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
            os.unlink(temp)  # type: ignore[possibly-undefined]
        except (OSError, NameError):
            pass


def template_cache():
    """A Jinja bytecode cache in the cache folder, or None when caching is off.

    Jinja checks each entry against its template's source, so an edited template is
    compiled again. Compiled code also depends on how an environment is configured
    (autoescape, extensions), which lives in dangjian's code: the folder is
    named after Jinja's version and the source of the modules that configure environments.
    A folder that cannot be read or written only means templates are compiled again.
    """
    folder = cache_dir()
    if folder is None:
        return None
    import jinja2
    from jinja2 import FileSystemBytecodeCache

    class Forgiving(FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except OSError:
                pass

        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    digest = hashlib.blake2b(digest_size=10)
    digest.update(f"{jinja2.__version__}\0".encode())
    site = Path(__file__).parent / "site"
    for name in ("build.py", "theme.py"):
        digest.update((site / name).read_bytes())
    where = folder / "templates" / digest.hexdigest()
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return Forgiving(str(where))
