"""What is kept between runs: loaded files by content (unchanged bytes are never parsed twice), and
each run's per-file payloads (`State`).

The key is a hash of the file's bytes, its path and type, and the loader's own source
code, so an edit that keeps a file's size and modification time is still seen, and a
new dangjian never reads an old entry. Entries are pickles, so they live outside the
registry (a pull request must never be able to plant one): in `$DANGJIAN_CACHE`, else
`$XDG_CACHE_HOME/dangjian`, else `~/.cache/dangjian`. `DANGJIAN_CACHE=off` disables it.

The folder is bounded: `trim` (which the commands call when they end) removes the least recently
used entries when dangjian's part of it is over `$DANGJIAN_CACHE_LIMIT` (`512M`, `2G`, a number of
bytes, or `off`; default 1 GiB), and `clean` removes them all (`dangjian cache info|clean`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pickle
import re
import secrets
import stat as stat_module
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from . import sourcedigest
from .files import read_sealed, sealed_head
from .load import Loaded, load_source

try:
    import fcntl
except ImportError:  # Windows: no trim lock (nor a walk by folder descriptors: see `WALKS`)
    fcntl = None  # type: ignore[assignment]


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
    seen: set[str] = set()
    todo = list(starts or ("load.py",))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        imported = _imports(name)
        if imported is None:
            continue
        seen.add(name)
        todo += imported
    return sorted(seen)


@lru_cache(maxsize=None)
def _imports(name: str) -> tuple[str, ...] | None:
    """The files the module `name` imports, directly (None when it is not a file of the package): read once a
    process, as several keys walk the same modules (0.1–0.2 s of every build)."""
    here = Path(__file__).parent
    if not (here / name).is_file():
        return None
    return sourcedigest.derived("imports", here / name, lambda source: _imported(here, name, source))


def _imported(here: Path, name: str, source: bytes) -> tuple[str, ...]:
    package = PurePosixPath(name).parent.parts
    files: list[str] = []
    for dots, module, names in _RELATIVE_IMPORT.findall(source.decode("utf-8")):
        base = [*package[: len(package) - (len(dots) - 1)], *(module.split(".") if module else ())]
        files += _module_files(here, tuple(base))
        for imported in re.findall(r"\w+(?:[ \t]+as[ \t]+\w+)?", names.split("#")[0]):
            # `from . import rules`, `from .site import config`: modules themselves
            files += _module_files(here, (*base, imported.split()[0]))
    return tuple(files)


@lru_cache(maxsize=None)
def _module_files(here: Path, parts: tuple[str, ...]) -> tuple[str, ...]:
    """The files importing the module `parts` runs: each package's `__init__.py` on the way, and the module."""
    files = ["/".join([*parts[:depth], "__init__.py"]) for depth in range(1, len(parts) + 1)]
    files.append("/".join(parts) + ".py")
    return tuple(file for file in files if (here / file).is_file())


@lru_cache(maxsize=None)  # a dozen modules ask, each for its own
def code_fingerprint(*starts: str) -> bytes:
    """A hash of the source of `starts` and their imports (default: the loader): changed code invalidates
    every entry made by it."""
    digest = hashlib.blake2b(digest_size=16)
    here = Path(__file__).parent
    with sourcedigest.remembering():
        for name in loader_modules(*starts):
            digest.update(name.encode() + b"\0" + sourcedigest.digest(here / name))
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


def _entry(key: str, folder: Path) -> str:
    """The parse-cache entry of `key` (a string: made 60,000 times a city validation, `Path` took 1.5 s of it)."""
    return os.path.join(folder, "parse", key[:2], key)


def is_cached(key: str, folder: Path | None) -> bool:
    """Whether loading the bytes with this key would be read from the cache (or at least attempted): from memory
    while `loaded_in_memory` holds it (`serve`: 30,000 files of a city not looked for in the cache folder again)."""
    if folder is None:
        return False
    memory = _IN_MEMORY
    return (memory is not None and key in memory) or os.path.isfile(_entry(key, folder))


# Files loaded in this process, by cache key, while `loaded_in_memory` is on (`serve`: a rebuild after one save
# takes every other file as the last rebuild loaded it, not unpickled again). Shared objects are safe because
# nothing after loading changes a `Loaded` or its records (tests/test_loaded_in_memory.py checks it).
_IN_MEMORY: dict[str, Loaded] | None = None
IN_MEMORY_MOST = 200_000  # files kept at the most (a city has 30,000); the least recently used go first


@contextmanager
def loaded_in_memory(memory: dict[str, Loaded]) -> Iterator[None]:
    """While inside, `cached_load` keeps what it loads in `memory` (by cache key) and answers from there first;
    the caller keeps `memory` from one run to the next (`serve`: for as long as the preview runs)."""
    global _IN_MEMORY
    before, _IN_MEMORY = _IN_MEMORY, memory
    try:
        yield
    finally:
        _IN_MEMORY = before


def cached_load(content: bytes, path: str, kind: str, folder: Path | None, name: str | None = None) -> Loaded:
    """`load_source(content, path, kind)`, from the cache when these exact bytes were loaded before.

    The key is computed from the bytes at hand (`name`, when given, must be `key` of these very bytes), even when
    the caller hashed the file before: a file saved in between must not be stored under its old bytes' key."""
    if folder is None:
        return load_source(content, path, kind)
    name = name or key(content, path, kind)
    loaded = cached_only(name, folder)
    if loaded is None:
        loaded = load_source(content, path, kind)
        write_pickle(Path(_entry(name, folder)), loaded)
        _remember(name, loaded)
    return loaded


def cached_only(name: str, folder: Path | None) -> Loaded | None:
    """What the parse cache holds under `name` (a key `key` made of a file's bytes, path and kind), or None when it
    holds nothing under it or its entry cannot be read (missing, damaged, or anything but a `Loaded`): for a caller
    that knows a file's key without reading its bytes (`State.known_key`). Nothing is stored here: an entry is only
    ever made from the bytes at hand (`cached_load`)."""
    if folder is None:
        return None
    memory = _IN_MEMORY
    if memory is not None and name in memory:
        loaded = memory[name] = memory.pop(name)  # now the most recently used
        return loaded
    try:
        kept = pickle.loads(_read_entry(_entry(name, folder)))
    except Exception:  # noqa: BLE001 - missing or damaged: only a miss
        return None
    if not isinstance(kept, Loaded):
        return None  # anything else in its place is damage too
    _remember(name, kept)
    return kept


def _remember(name: str, loaded: Loaded) -> None:
    """Keep `loaded` in memory under `name` while `loaded_in_memory` is on (the least recently used go first)."""
    memory = _IN_MEMORY
    if memory is not None:
        memory[name] = loaded
        if len(memory) > IN_MEMORY_MOST:
            del memory[next(iter(memory))]


def write_pickle(path: Path, value: object) -> None:
    """Pickle `value` to `path` atomically; a cache that cannot be written is simply not used."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, RecursionError):
        return
    write_atomic(path, data)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` as the file `path` of the cache folder, atomically (a new file readable by this user only, then
    renamed over it; its folder made if need be); False when it could not be written (its temporary file removed).

    Every writer of the cache writes its entries this way: `PARTS` knows the temporary files' name (`.tmp-…`)."""
    folder = os.path.dirname(path)
    temp = None
    try:
        try:
            handle, temp = _new_temporary(folder)
        except FileNotFoundError:
            _MADE.discard(folder)  # removed since (a trim, another process): made again
            handle, temp = _new_temporary(folder)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
        finally:
            os.close(handle)
        os.replace(temp, path)
        return True
    except OSError:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass
        return False


# The temporary files' names: `.tmp-` and eight of [a-z0-9_] (`_MKSTEMP`, which the bound trims when a writer was
# killed): three drawn at random once a process (again in a forked child, and whenever a name is taken), then a
# count. `tempfile.mkstemp` drew all eight at every call, and the folder was made or found made at every call: a
# cold city validation writes 30,000 entries, and those two were most of the 220 µs each took (bench figures in
# docs/performance.md, round twenty).
_TEMP_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_TEMP_TRIES = 100
_MADE: set[str] = set()  # folders this process made or found made (`write_atomic`)
_temp_names: list[Any] = []  # [prefix, next count]: drawn at first use


def _draw_temp_prefix() -> None:
    _temp_names[:] = ["".join(secrets.choice(_TEMP_LETTERS) for _ in range(3)), 0]


def _new_temporary(folder: str) -> tuple[int, str]:
    """A new file of `folder` (made if need be) named as `_MKSTEMP` says, opened for writing (mode 0600): its
    descriptor and path."""
    if folder not in _MADE:
        os.makedirs(folder, exist_ok=True)
        _MADE.add(folder)
    for _ in range(_TEMP_TRIES):
        if not _temp_names or _temp_names[1] > 99_999:
            _draw_temp_prefix()
        prefix, count = _temp_names
        _temp_names[1] = count + 1
        temp = os.path.join(folder, f".tmp-{prefix}{count:05d}")
        try:
            return os.open(temp, _TEMP_FLAGS, 0o600), temp
        except FileExistsError:
            _draw_temp_prefix()  # another process draws the same letters: others now
    raise FileExistsError(errno.EEXIST, "no temporary name left", folder)


os.register_at_fork(after_in_child=_temp_names.clear)  # a forked child counts with letters of its own


@dataclass(frozen=True)
class Sealed:
    """A cache part whose entries are pickled values sealed by their digest (`files.sealed_head`): `<part>/<name>`.

    An entry is read only when it is exactly what dangjian wrote: a regular file of this user alone, reached without
    following a link, no longer than `max_bytes`, in format `tag`, whose bytes match the digest of its first line and
    which names itself (`name`). Like the parse cache's pickles, the folder is trusted as the user's own: whoever may
    write into it as this user may also run code as this user, and is not defended against. Anything else, or an
    entry that does not load, is a miss."""

    part: str
    tag: bytes
    max_bytes: int

    def path(self, folder: Path, name: str) -> Path:
        return folder / self.part / name

    def head(self, body: bytes) -> bytes:
        return sealed_head(self.tag, body)

    def read(self, folder: Path | None, name: str) -> Any | None:
        """What the entry `name` keeps, or None (no entry, or not exactly what dangjian wrote)."""
        if folder is None:
            return None
        where = self.path(folder, name)
        body = read_sealed(where, self.tag, self.max_bytes)
        if body is None:
            return None
        try:
            value = pickle.loads(body)  # noqa: S301 - the user's own cache, sealed (see the class)
        except Exception:  # noqa: BLE001 - an entry that does not load is only a miss
            return None
        if not isinstance(value, tuple) or len(value) != 2 or value[0] != name:
            return None
        touch(where)  # used now: among the last entries `trim` removes
        return value[1]

    def write(self, folder: Path | None, name: str, value: Any) -> bool:
        """Keep `value` as the entry `name` (atomically, readable by this user only): False when it could not be
        (an entry that cannot be written is not used)."""
        if folder is None:
            return False
        try:
            body = pickle.dumps((name, value), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, RecursionError, TypeError):
            return False
        return write_atomic(self.path(folder, name), self.head(body) + body)


# A file's identity as a run found it: (device, inode, size, modification ns, change ns), and when the run looked
# (ns, taken before it did). `State.known_key` trusts an unchanged identity only when the file had not changed for
# `RACY_NS` before that: git's "racily clean" rule, with a margin for file systems that keep whole seconds.
Stamp = tuple[tuple[int, int, int, int, int], int]
RACY_NS = 2_000_000_000


def stamp(path: str, seen: int) -> Stamp | None:
    """The identity of the regular file at `path` (not followed if a link), seen at `seen`; None for anything else."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    if not stat_module.S_ISREG(info.st_mode):
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns), seen


def _racy(stamp: Stamp) -> bool:
    """Whether the file had changed within `RACY_NS` before the run looked at it."""
    (_, _, _, modified, changed), seen = stamp
    return max(modified, changed) >= seen - RACY_NS


def _restamp(kept: Stamp | None, found: Stamp) -> bool:
    """Whether the identity found is worth keeping over the one kept: another, or the same now settled."""
    return kept is None or kept[0] != found[0] or _racy(kept) and not _racy(found)


class State:
    """Each file's payload under its cache key, saved in the cache folder between runs.

    Saved in `BUCKETS` files by a hash of the path, so that a run that loaded one file
    again rewrites one small file, not the whole state (at city scale, pickling all of
    it took longer than the rest of the run).
    """

    BUCKETS = 64

    def __init__(self, folder: Path | None, entries: dict[str, tuple]) -> None:
        self.folder = folder
        self.entries = entries  # file -> (key, payload) or (key, payload, stamp)
        self.used: dict[str, tuple] = {}
        self.dirty: set[int] = set()

    @classmethod
    def open(cls, cache: Path | None, root: Path, made_by: str, tag: str = "") -> State:
        """The saved state of the registry at `root` (empty when there is none, when it cannot be read, or
        when caching is off), for payloads made by the module `made_by` (and what it imports); `tag` names
        another state of the same payloads (a build's summaries of its lazy kinds, apart from `dangjian
        validate`'s: each run keeps only the entries it used)."""
        if cache is None:
            return cls(None, {})
        name = hashlib.blake2b(code_fingerprint(made_by), digest_size=16)
        name.update(os.path.abspath(root).encode("utf-8", "surrogateescape"))
        if tag:
            name.update(b"\0" + tag.encode())
        folder = cache / "state" / name.hexdigest()
        touch(folder)  # used now: the state is the last `trim` removes
        entries: dict[str, tuple] = {}
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

    FINDINGS = "findings.pickle"  # the cross-file rules' findings by file (`model.FileMemo`)

    def findings(self) -> dict[str, Any]:
        """The findings the last run kept ({} when there are none, or they cannot be read)."""
        if self.folder is None:
            return {}
        try:
            kept = pickle.loads((self.folder / self.FINDINGS).read_bytes())
        except Exception:  # noqa: BLE001 - missing or damaged: every rule finds again
            return {}
        return kept if isinstance(kept, dict) else {}

    def keep_findings(self, findings: dict[str, Any] | None) -> None:
        """Keep `findings` for the next run (None: nothing changed)."""
        if self.folder is not None and findings is not None:
            write_pickle(self.folder / self.FINDINGS, findings)

    @classmethod
    def bucket(cls, file: str) -> int:
        return hashlib.blake2b(file.encode("utf-8", "surrogateescape"), digest_size=1).digest()[0] % cls.BUCKETS

    def get(self, file: str, key: str, stamp: Stamp | None = None) -> Any | None:
        """The payload saved for these exact bytes of `file`, if any; `stamp` is the file's as this run found it
        before reading it, kept for the next run (`known_key`)."""
        entry = self.entries.get(file)
        if entry is None or entry[0] != key:
            return None
        if stamp is not None and _restamp(entry[2] if len(entry) > 2 else None, stamp):
            entry = (key, entry[1], stamp)  # the same bytes, another identity (or one now settled): kept
            self.dirty.add(self.bucket(file))
        self.used[file] = entry
        return entry[1]

    def known_key(self, file: str, stamp: Stamp | None) -> str | None:
        """The key of `file`'s bytes without reading them, when its identity (device, inode, size, modification
        and change times) is the one the run that saved it found, and that run found it at least `RACY_NS` after
        its last change: a change since would have moved a time (or the inode, for a file saved by renaming).
        Within `RACY_NS` of a change, a second change in the same tick of a coarse clock could keep them."""
        entry = self.entries.get(file)
        if stamp is None or entry is None or len(entry) < 3 or entry[2][0] != stamp[0] or _racy(entry[2]):
            return None
        return entry[0]

    def keep(self, file: str, key: str, stamp: Stamp | None) -> None:
        """Keep `file`'s key and identity alone (no payload: the parse cache holds its records), for `known_key`;
        its bucket is written again only when they changed."""
        entry = self.entries.get(file)
        if entry is not None and entry[0] == key and entry[1] is None and stamp is not None and len(entry) > 2:
            if not _restamp(entry[2], stamp):
                self.used[file] = entry
                return
        self.put(file, key, None, stamp)

    def put(self, file: str, key: str, payload: Any, stamp: Stamp | None = None) -> None:
        self.used[file] = (key, payload) if stamp is None else (key, payload, stamp)
        self.dirty.add(self.bucket(file))

    def save(self) -> None:
        """Keep this run's payloads (only): rewrite the buckets where a payload changed or a file went away."""
        if self.folder is None:
            return
        self.dirty.update(self.bucket(file) for file in self.entries.keys() - self.used.keys())
        if not self.dirty:
            return
        buckets: dict[int, dict[str, tuple]] = {number: {} for number in self.dirty}
        for file, entry in self.used.items():
            number = self.bucket(file)
            if number in buckets:
                buckets[number][file] = entry
        for number, entries in buckets.items():
            write_pickle(self.folder / f"{number:02d}.pickle", entries)


# --- the cache's bound: least recently used entries go first --------------------------------------
#
# Every writer under `cache_dir()` keeps its entries in a part folder of a known shape (`PARTS`); `trim`
# and `clean` remove only what matches one (a regular file, never a link, found without following one),
# so a foreign file or a link planted in the cache folder survives both. Use is recorded in each entry's
# modification time (readers call `touch`, at most every `TOUCH_AFTER` seconds): access times are
# unreliable (noatime, relatime). A vanished entry is a miss everywhere, so two processes trimming and
# reading at once only cost each other work.

LIMIT_VARIABLE = "DANGJIAN_CACHE_LIMIT"
DEFAULT_LIMIT = 1 << 30  # a city's working set (parse cache, state, templates) measured about 0.4 GB
TOUCH_AFTER = 600  # seconds: an entry used again sooner keeps its time (one syscall saved per hit)
TEMP_AGE = 3600  # seconds: a writer's temporary file older than this was left by a crash
_INDEX = ".dangjian-trim.json"  # the cache folder's own bookkeeping (trim's last scan)
_LOCK = ".dangjian-trim.lock"  # one trim at a time; a second one finds it taken and leaves the work to it
_OWN = re.compile(r"\.dangjian-trim\.(?:json|lock)(?:\.[a-z0-9_]{8}\.tmp)?\Z")  # the two, and the index being written
FULL_SCAN_EVERY = 3600  # seconds: how long `trim` trusts the index of its last full scan
LOW_WATER = 0.9  # a trim over the limit goes down to this share of it, so that the next runs need not
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_NO_LIMIT = ("off", "none", "unlimited", "no")


@dataclass(frozen=True)
class Part:
    """One writer's folder in the cache and the shape of its entries.

    `top` names the part's folder(s) in the cache folder, `dirs` the folders between it and the
    entries (`parse/ab/`), `entry` an entry: a file, or a folder whose `files` are its contents (a
    state, a set of compiled templates). `temp` names the files its writers make on the way
    (`tempfile.mkstemp`'s, `<name>.<pid>.tmp`...), in the folder where they write."""

    name: str
    title: str  # in `dangjian cache info`
    top: re.Pattern[str]
    dirs: tuple[re.Pattern[str], ...]
    entry: re.Pattern[str]
    temp: re.Pattern[str]
    files: re.Pattern[str] | None = None


def _exact(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{pattern})\Z")


_MKSTEMP = r"\.tmp-[a-z0-9_]{8}"  # write_pickle's temporary files (tempfile's eight random characters)

PARTS: tuple[Part, ...] = (
    Part("parse", "解析缓存", _exact("parse"), (_exact("[0-9a-f]{2}"),), _exact("[0-9a-f]{40}"), _exact(_MKSTEMP)),
    Part(
        "state",
        "校验状态",
        _exact("state"),
        (),
        _exact("[0-9a-f]{32}"),
        _exact(_MKSTEMP),
        files=_exact(r"(?:[0-9]{2}|findings)\.pickle"),
    ),
    Part(
        "gate", "隐私检查记录", _exact("gate"), (), _exact(r"[0-9a-f]{32}\.clean"), _exact(_MKSTEMP)
    ),  # site/privacy.py
    Part(
        "templates",
        "模板编译缓存",
        _exact("templates"),
        (),
        _exact("[0-9a-f]{20}"),
        _exact(r"__jinja2_[0-9a-f]{40}\.cache[a-z0-9_]{8}\.tmp"),  # Jinja's NamedTemporaryFile
        files=_exact(r"__jinja2_[0-9a-f]{40}\.cache"),
    ),
    Part(
        "manifests",
        "构建清单",
        _exact("manifests"),
        (),
        _exact("[0-9a-f]{16,64}"),
        _exact(_MKSTEMP),
        files=_exact(r"[0-9a-z_-]{1,64}\.(?:pickle|json)"),
    ),
    Part("share", "分享图片", _exact("share"), (), _exact(r"[0-9a-f]{40}\.png"), _exact(r"[0-9a-f]{40}\.[0-9]+\.tmp")),
    Part(  # site/calendars.py: one pack of org calendars per registry
        "calendars", "组织日历", _exact("calendars"), (), _exact(r"[0-9a-f]{32}\.pack"), _exact(_MKSTEMP)
    ),
    Part(  # site/search.py: each search bundle's page copies, for the next rebuild of an output
        "search",
        "搜索副本",
        _exact("search"),
        (),
        # Pagefind's bundles' copies (`.json`), and the own index's state as dangjian 0.1 kept it until session 24
        _exact(r"[0-9a-f]{32}-(?:(?:main|[0-9]+of[0-9]+)\.json|own-index\.state)"),
        _exact(_MKSTEMP),
    ),
    Part(  # site/ownsearch.py: the state of each output's own index, and its pages' copies in buckets beside it
        "ownindex",
        "自有搜索索引记录",
        _exact("ownindex"),
        (),
        _exact("[0-9a-f]{32}"),
        _exact(_MKSTEMP),
        files=_exact(r"state(?:\.[0-9a-f]{2}-[0-9a-f]{16}\.copies)?"),
    ),
    Part(  # site/markdown.py: the HTML of the texts the last build rendered, by this code's version
        "markdown",
        "Markdown 渲染结果",
        _exact("markdown"),
        (),
        _exact(r"rendered-[0-9a-f]{32}\.kept"),
        _exact(_MKSTEMP),
    ),
    Part("code", "自身文件摘要", _exact("code"), (), _exact("digests"), _exact(_MKSTEMP)),  # sourcedigest.py
    Part("pinyin", "姓名拼音", _exact("pinyin"), (), _exact(r"[0-9a-f]{32}\.pack"), _exact(_MKSTEMP)),  # pinyinpack.py
    Part(  # namespack.py: the private names' tables, and the pinyin tables made from them
        "names",
        "不公开姓名表",
        _exact("names"),
        (),
        _exact(r"[0-9a-f]{32}\.(?:names|secrets|pinyin[0-9])"),
        _exact(_MKSTEMP),
    ),
    Part(  # normalise.py: the characters' fold table (NFKC, 繁→简, case), by the code and libraries making it; and
        # site/search.py's (繁→简 alone, `.search`)
        "fold",
        "字符折叠表",
        _exact("fold"),
        (),
        _exact(r"[0-9a-f]{32}\.(table|search)"),
        _exact(_MKSTEMP),
    ),
    Part(  # rules/tags.py: the tags' addresses (their pinyin), by the code and pypinyin's version
        "tags", "标签拼音", _exact("tags"), (), _exact(r"[0-9a-f]{32}\.slugs"), _exact(_MKSTEMP)
    ),
    Part(  # site/kept.py: aggregates kept between builds, one entry per aggregate and registry root
        "aggregates", "统计结果", _exact("aggregates"), (), _exact(r"[a-z]{1,32}-[0-9a-f]{32}\.kept"), _exact(_MKSTEMP)
    ),
    Part(  # suppression.py: what secondary suppression found for a table, by the table's content
        "suppression", "人数隐藏结果", _exact("suppression"), (), _exact(r"[0-9a-f]{32}\.outcome"), _exact(_MKSTEMP)
    ),
    Part(
        "photos",
        "照片副本",
        _exact(r"photos-[0-9]+-pillow[0-9A-Za-z.]+"),
        (),
        # a photo's digest, in letters (`personal.lettered`) or, made by an older dangjian, in hex (trimmed in turn)
        _exact(r"(?:[a-p]{16}|[0-9a-f]{16})-[0-9]+\.(?:jpg|png|webp)"),
        _exact(r"\.(?:[a-p]{16}|[0-9a-f]{16})-[0-9]+\.(?:jpg|png|webp)\.[0-9]+\.tmp"),
    ),
)


@dataclass(frozen=True)
class Entry:
    """One entry of the cache (a file, or a folder and its files) as a scan found it."""

    part: str
    where: tuple[str, ...]  # folder names from the cache folder to the entry's folder
    name: str
    size: int  # bytes on disk
    used: float  # the newest modification time of the entry (and of its files)
    folder: bool = False
    temp: bool = False


@dataclass
class Scan:
    """What a scan of the cache folder found: dangjian's entries (temporary files among them) and the count of
    things in it that match no part (left alone: dangjian did not make them).

    `folders` is what the next scan may reuse: each folder holding entries (`parse/ab`, `state/<hex>`) with its
    modification time in nanoseconds and the bytes of dangjian's files in it. Writers only ever add, replace or
    remove an entry by renaming or unlinking, which changes that time; a time too recent to be sure no later
    change shares it is kept as -1 (never equal). `reused` counts the bytes of folders taken from `known`
    unread: their entries are not in `entries`."""

    entries: list[Entry] = field(default_factory=list)
    foreign: int = 0
    reused: int = 0
    folders: dict[str, list[int]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.reused + sum(entry.size for entry in self.entries)


@dataclass(frozen=True)
class Trimmed:
    """What `trim` or `clean` did: entries removed, bytes freed, dangjian's bytes left."""

    removed: int
    freed: int
    left: int
    foreign: int


def cache_limit() -> int | None:
    """The size the cache is trimmed to, in bytes (`$DANGJIAN_CACHE_LIMIT`: `512M`, `2G`, `1.5GB`, a number of
    bytes, or `off` for none); None: unbounded. A value that cannot be read raises ValueError."""
    setting = os.environ.get(LIMIT_VARIABLE, "").strip().lower()
    if not setting:
        return DEFAULT_LIMIT
    if setting in _NO_LIMIT:
        return None
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:i?b)?", setting)
    if match is None:
        raise ValueError(setting)
    return int(float(match[1]) * _UNITS[match[2]])


def touch(path: Path | str, stat: os.stat_result | None = None) -> None:
    """Record that the entry at `path` was used now (its modification time), unless it was less than
    `TOUCH_AFTER` seconds ago. A vanished or read-only entry is left as it is."""
    try:
        if stat is None:
            stat = os.stat(path, follow_symlinks=False)
        if stat.st_mtime < time.time() - TOUCH_AFTER:
            os.utime(path, follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass


def _read_entry(path: Path | str) -> bytes:
    """An entry's bytes; its use is recorded (`touch`, through the open file: one more syscall at most). Only a
    regular file is read: a link is not followed, a pipe planted in its place is not waited on."""
    handle = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        stat = os.fstat(handle)
        if not stat_module.S_ISREG(stat.st_mode):
            raise IsADirectoryError(path)  # or a pipe, a device: not an entry
        chunks = []
        while chunk := os.read(handle, max(stat.st_size, 1 << 16)):
            chunks.append(chunk)
        if stat.st_mtime < time.time() - TOUCH_AFTER and os.utime in os.supports_fd:
            try:
                os.utime(handle)
            except OSError:
                pass
        return b"".join(chunks)
    finally:
        os.close(handle)


# Walking the cache through folder descriptors opened with O_NOFOLLOW: a link (or a folder swapped for one
# while a trim runs) is never followed, so nothing outside the cache folder is ever read or removed. Where the
# system cannot (Windows), nothing is scanned, trimmed or cleaned.
WALKS = os.scandir in os.supports_fd and {os.open, os.unlink, os.rmdir, os.stat} <= os.supports_dir_fd
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a pipe planted as an entry is not waited on
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_dir(name: str | Path, parent: int | None = None) -> int | None:
    if not WALKS:
        return None
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError:
        return None


def _open_chain(root: int, names: tuple[str, ...]) -> int | None:
    """The folder `root/names...`, each step opened without following a link (None: gone, or not a folder)."""
    current = os.dup(root)
    for name in names:
        following = _open_dir(name, current)
        os.close(current)
        if following is None:
            return None
        current = following
    return current


def _listing(handle: int) -> list[tuple[str, os.stat_result | None]]:
    """A folder's names with their own status (not their target's); None for a name that vanished."""
    found: list[tuple[str, os.stat_result | None]] = []
    try:
        with os.scandir(handle) as listing:
            for item in listing:
                try:
                    found.append((item.name, item.stat(follow_symlinks=False)))
                except OSError:
                    found.append((item.name, None))
    except OSError:
        pass
    return found


def _is_dir(stat: os.stat_result | None) -> bool:
    return stat is not None and stat_module.S_ISDIR(stat.st_mode)


def _is_file(stat: os.stat_result | None) -> bool:
    return stat is not None and stat_module.S_ISREG(stat.st_mode)


def _disk(stat: os.stat_result) -> int:
    return getattr(stat, "st_blocks", 0) * 512 or stat.st_size


_RACY = 2_000_000_000  # ns: a folder changed this recently may change again within the same clock tick


@dataclass
class _Walk:
    """One scan under way: what it found, the folders it may reuse, and from when a folder's time is too recent."""

    found: Scan
    known: dict[str, list[int]] | None
    racy_from: int

    def reuse(self, key: str, stat: os.stat_result) -> bool:
        """Count the folder `key` from the last scan, if it did not change since."""
        before = self.known.get(key) if self.known is not None else None
        if before is None or before[0] < 0 or before[0] != stat.st_mtime_ns:
            return False
        self.found.reused += before[1]
        self.found.folders[key] = before
        return True

    def keep(self, key: str, stat: os.stat_result, size: int) -> None:
        self.found.folders[key] = [stat.st_mtime_ns if stat.st_mtime_ns < self.racy_from else -1, size]


def scan(folder: Path, known: dict[str, list[int]] | None = None) -> Scan:
    """Every entry of dangjian's in the cache folder, and how many things there match no part. With `known`
    (a scan's `folders`), folders unchanged since are counted from it without being read."""
    walk = _Walk(Scan(), known, time.time_ns() - _RACY)
    root = _open_dir(folder)
    if root is None:
        return walk.found
    try:
        for name, stat in _listing(root):
            part = next((part for part in PARTS if part.top.match(name)), None)
            if part is None or not _is_dir(stat):
                walk.found.foreign += not _OWN.match(name)
                continue
            assert stat is not None
            _scan_level(root, part, (name,), stat, part.dirs, walk)
    finally:
        os.close(root)
    return walk.found


def _scan_level(
    root: int, part: Part, where: tuple[str, ...], stat: os.stat_result, dirs: tuple[re.Pattern[str], ...], walk: _Walk
) -> None:
    found = walk.found
    key = "/".join(where)
    if not dirs and part.files is None and walk.reuse(key, stat):
        return
    handle = _open_chain(root, where)
    if handle is None:
        return
    try:
        listing = _listing(handle)
        if dirs:
            for name, inner in listing:
                if dirs[0].match(name) and _is_dir(inner):
                    assert inner is not None
                    _scan_level(root, part, (*where, name), inner, dirs[1:], walk)
                else:
                    found.foreign += 1
            return
        size = 0
        for name, inner in listing:
            if inner is None:
                continue  # gone while listed
            if part.files is None and part.entry.match(name) and _is_file(inner):
                found.entries.append(Entry(part.name, where, name, _disk(inner), inner.st_mtime))
            elif part.files is not None and part.entry.match(name) and _is_dir(inner):
                if walk.reuse(f"{key}/{name}", inner):
                    continue
                entry = _folder_entry(handle, part, where, name, inner)
                walk.keep(f"{key}/{name}", inner, entry.size)
                found.entries.append(entry)
                continue
            elif part.temp.match(name) and _is_file(inner):
                found.entries.append(Entry(part.name, where, name, _disk(inner), inner.st_mtime, temp=True))
            else:
                found.foreign += 1
                continue
            size += found.entries[-1].size
        if part.files is None:  # a folder of file entries (a folder of folder entries is always read)
            walk.keep(key, stat, size)
    finally:
        os.close(handle)


def _folder_entry(parent: int, part: Part, where: tuple[str, ...], name: str, stat: os.stat_result) -> Entry:
    """A folder entry: the size of the files its part made in it, its time with theirs (what else is in it is
    left, and not counted; nor are folders themselves, anywhere)."""
    size, used = 0, stat.st_mtime
    handle = _open_dir(name, parent)
    if handle is not None:
        try:
            for inner, inner_stat in _listing(handle):
                if _is_file(inner_stat) and _belongs(part, inner):
                    assert inner_stat is not None
                    size += _disk(inner_stat)
                    used = max(used, inner_stat.st_mtime)
        finally:
            os.close(handle)
    return Entry(part.name, where, name, size, used, folder=True)


def _belongs(part: Part, name: str) -> bool:
    """A file in an entry folder that the part's writers made."""
    return bool(part.files is not None and part.files.match(name) or part.temp.match(name))


def _remove(root: int, entry: Entry, unless_used: bool = True) -> bool:
    """Remove one entry (a folder entry: the files its part made, then the folder if that left it empty);
    `unless_used`: keep a file entry used or replaced since the scan."""
    handle = _open_chain(root, entry.where)
    if handle is None:
        return False
    try:
        if not entry.folder:
            try:
                stat = os.stat(entry.name, dir_fd=handle, follow_symlinks=False)
                if not _is_file(stat) or (unless_used and stat.st_mtime > entry.used):
                    return False  # replaced, or used, since the scan: keep it
                os.unlink(entry.name, dir_fd=handle)
                return True
            except OSError:
                return False
        inner = _open_dir(entry.name, handle)
        if inner is None:
            return False
        part = next(part for part in PARTS if part.name == entry.part)
        removed = False
        try:
            for name, inner_stat in _listing(inner):
                if _is_file(inner_stat) and _belongs(part, name):
                    try:
                        os.unlink(name, dir_fd=inner)
                        removed = True
                    except OSError:
                        pass
        finally:
            os.close(inner)
        try:
            os.rmdir(entry.name, dir_fd=handle)
            removed = True
        except OSError:
            pass  # a foreign file in it, or a writer that just put a file back
        return removed
    finally:
        os.close(handle)


def trim(folder: Path | None = None, limit: int | None = -1) -> Trimmed | None:
    """Remove the least recently used entries until dangjian's part of the cache holds at most `limit` bytes
    (default: `cache_limit()`), and temporary files writers left more than `TEMP_AGE` seconds ago. For the
    end of a command that wrote to the cache; never raises. None: nothing done (caching off, no folder, no
    limit, or another process is trimming)."""
    try:
        folder = cache_dir() if folder is None else folder
        if limit == -1:
            try:
                limit = cache_limit()
            except ValueError:
                limit = DEFAULT_LIMIT
        if folder is None or limit is None or not folder.is_dir():
            return None
        with _trim_lock(folder) as locked:
            if not locked:
                return None
            return _trim(folder, limit)
    except OSError:
        return None


def _trim(folder: Path, limit: int) -> Trimmed:
    """Under the trim lock: a quick scan (the folders changed since the index) when that shows the cache within
    its limit and the last full scan is recent; else a full scan, the stale temporary files and the least
    recently used entries removed down to `LOW_WATER` of the limit, and a new index."""
    now = time.time()
    index = _read_index(folder)
    if index is not None and now - FULL_SCAN_EVERY < index[0] <= now:
        quick = scan(folder, index[1])
        if quick.size <= limit:
            if quick.folders != index[1]:
                _write_index(folder, index[0], quick.folders)
            return Trimmed(0, 0, quick.size, quick.foreign)
    found = scan(folder)
    _write_index(folder, now, found.folders)  # the folders entries are removed from change: read next time
    stale = now - TEMP_AGE
    gone = [entry for entry in found.entries if entry.temp and entry.used < stale]
    left = found.size - sum(entry.size for entry in gone)
    target = limit if left <= limit else int(limit * LOW_WATER)
    for entry in sorted((entry for entry in found.entries if not entry.temp), key=lambda entry: entry.used):
        if left <= target:
            break
        gone.append(entry)
        left -= entry.size
    removed = freed = 0
    root = _open_dir(folder)
    if root is not None:
        try:
            for entry in gone:
                if _remove(root, entry):
                    removed += 1
                    freed += entry.size
        finally:
            os.close(root)
    return Trimmed(removed, freed, found.size - freed, found.foreign)


def _read_index(folder: Path) -> tuple[float, dict[str, list[int]]] | None:
    """The last full scan's time and folders (`Scan.folders`), or None (none, or not as `_write_index` writes)."""
    try:
        handle = os.open(folder / _INDEX, os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        try:
            if not stat_module.S_ISREG(os.fstat(handle).st_mode):
                return None
            with os.fdopen(os.dup(handle), "rb") as file:
                value = json.loads(file.read(1 << 26))
        finally:
            os.close(handle)
        when, folders = value["scanned"], value["folders"]
        if not isinstance(when, (int, float)) or not isinstance(folders, dict):
            return None
        for key, item in folders.items():
            if not (isinstance(key, str) and isinstance(item, list) and len(item) == 2):
                return None
            if not all(isinstance(number, int) for number in item):
                return None
        return float(when), folders
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _write_index(folder: Path, scanned: float, folders: dict[str, list[int]]) -> None:
    """Save the index atomically (an index that cannot be written only means a full scan next time)."""
    text = json.dumps({"scanned": scanned, "folders": folders}, separators=(",", ":")).encode()
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f"{_INDEX}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text)
        os.replace(temporary, folder / _INDEX)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def clean(folder: Path | None = None) -> Trimmed | None:
    """Remove every entry of dangjian's from the cache folder (and the part folders this empties); what matches
    no part stays. None: caching is off."""
    folder = cache_dir() if folder is None else folder
    if folder is None:
        return None
    found = scan(folder)
    root = _open_dir(folder)
    if root is None:
        return Trimmed(0, 0, 0, found.foreign)
    removed = freed = 0
    try:
        for entry in found.entries:
            if _remove(root, entry, unless_used=False):
                removed += 1
                freed += entry.size
        emptied = {entry.where[:depth] for entry in found.entries for depth in range(1, len(entry.where) + 1)}
        for where in sorted(emptied, key=len, reverse=True):
            _rmdir(root, where)
        for name, stat in _listing(root):
            if _OWN.match(name) and _is_file(stat):
                try:
                    os.unlink(name, dir_fd=root)
                except OSError:
                    pass
    finally:
        os.close(root)
    return Trimmed(removed, freed, scan(folder).size, found.foreign)


def _rmdir(root: int, where: tuple[str, ...]) -> None:
    """Remove the folder `root/where...` if it is empty (a link on the way is not followed)."""
    parent = _open_chain(root, where[:-1])
    if parent is None:
        return
    try:
        os.rmdir(where[-1], dir_fd=parent)
    except OSError:
        pass  # not empty (a foreign file, a writer's new entry), or gone
    finally:
        os.close(parent)


@contextmanager
def _trim_lock(folder: Path) -> Iterator[bool]:
    """Whether this process holds the cache folder's trim lock (taken without waiting)."""
    try:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        handle = os.open(folder / _LOCK, flags, 0o600)
    except OSError:
        yield False
        return
    try:
        try:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(handle)  # closing releases the lock


def size_text(size: int) -> str:
    """Bytes as `du -h` shows them (binary units), for `dangjian cache info`."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    raise AssertionError  # not reached


def describe(folder: Path | None = None) -> list[str]:
    """`dangjian cache info`'s lines (Chinese): where the cache is, its limit, each part's entries and size."""
    setting = os.environ.get("DANGJIAN_CACHE", "")
    folder = cache_dir() if folder is None else folder
    if folder is None:
        return [f"缓存已关闭（DANGJIAN_CACHE={setting}）：每次运行都从头读取和生成"]
    lines = [f"位置：{folder}" + ("" if folder.is_dir() else "（还没有创建）")]
    try:
        limit = cache_limit()
        said = "不限" if limit is None else size_text(limit)
        how = "" if os.environ.get(LIMIT_VARIABLE, "").strip() else "，默认值"
        lines.append(f"上限：{said}（环境变量 {LIMIT_VARIABLE}{how}；例如 512M、2G，off 为不限）")
    except ValueError:
        value = os.environ.get(LIMIT_VARIABLE, "")
        lines.append(
            f"上限：{size_text(DEFAULT_LIMIT)}（环境变量 {LIMIT_VARIABLE}={value} 无法识别，按默认值；"
            "应写成 512M、2G 这样的大小，或 off）"
        )
    if not WALKS:
        return [
            *lines,
            "这个系统不能安全地逐项查看缓存文件夹（不跟随链接），所以不统计、不清理；需要时可直接删除这个文件夹",
        ]
    found = scan(folder)
    for part in PARTS:
        mine = [entry for entry in found.entries if entry.part == part.name]
        count = sum(not entry.temp for entry in mine)
        lines.append(f"{part.title}：{count} 项，{size_text(sum(entry.size for entry in mine))}")
    lines.append(f"合计：{sum(not entry.temp for entry in found.entries)} 项，{size_text(found.size)}")
    if found.foreign:
        lines.append(f"另有 {found.foreign} 个文件或文件夹不是 dangjian 写入的：不计入大小，清理时也不会删除")
    return lines
