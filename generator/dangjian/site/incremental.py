"""Incremental builds: a rebuild renders again only the pages whose inputs changed, and carries the others over
from the previous output, byte for byte.

A page's HTML is a function of
- what every page shares: dangjian's code and templates (its whole package and `site_templates/`), the versions of
  the libraries that render (Jinja, Markdown, nh3…), the theme's settings (`mkdocs.yml`, the site's name,
  description and address), the global nav, and whether search copies are written: `global_key`;
- the page itself: its address, title, description, template, context and revisions: `Canon.page_key`;
- what its templates looked up outside the context, in the globals `orgs` and `venues`: recorded while it renders
  (`Recorded`, `recording`) as (global, key) → digest of the value read, and checked again on the next build;
- what it read of a value in its context that is digested without it (`digested_as`: an org's name, of the view the
  pages of other records show): the keys read, by global (`note_read`), which hold while the global's table, kept
  with the manifest, has the same value under each of them (`changed_keys`).

A context is digested by a canonical walk (`Canon`) over the types contexts hold (text, numbers, dates,
decimals, fractions, Markup, lists, tuples, dicts, records, dataclasses…); a value of any other type makes the
page "volatile": rendered on every build, never carried over. Nothing else reaches a page body: the Jinja
environment's other globals are constants and its filters pure functions (`environment_is_pure`, checked on
every build; when it fails nothing is carried over).

The manifest (page address → key, reads, digest of the published bytes) of the last successful build of an
output folder is kept in the cache folder (never in the registry, never published), named after the resolved
output path. A page is carried over only when its key and every recorded read match, and the previous output's
file, linked (or copied) into the new site, is still the file the manifest recorded (its `Identity`, see
`Carrier`): a file someone edited in the output is rendered again. Pages that no longer exist are simply not
carried over.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import errno
import hashlib
import os
import pickle
import stat
import subprocess
import sys
import types
import zlib
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any, ClassVar, Protocol, TypeVar

from markupsafe import Markup

from .. import sourcedigest
from ..cache import Sealed, cache_dir, touch
from ..load import Record
from . import listing

MANIFEST_VERSION = 7  # 2: each page's identity (`Identity`) beside the digest of its bytes; 3: a sealed pickle;
# 4: the kinds' page lists kept by what they read (`keptpages`); 5: the other files written (`Manifest.files`);
# 6: the tables of the globals read by key (`note_read`, `Manifest.tables`); 7: the pages in buckets by address
# The libraries whose output ends up in a page: a new version of any renders everything again.
_LIBRARIES = ("jinja2", "markupsafe", "markdown", "pymdown-extensions", "nh3", "opencc", "opencc-python-reimplemented")
_PACKAGE = Path(__file__).resolve().parent.parent  # dangjian's own code and data


class Made(Mapping):
    """A page's context made only when it is read (`make(*inputs)`, once): a page carried over never makes it.

    `Canon` digests it as `make` (a module-level function, by name: its code is in `global_key`) and its `inputs`,
    never as the context made, so a page's key costs the digest of its inputs only. Sound by construction: the
    context is a function of what is digested, as long as `make` reads nothing but its inputs and constants (a
    nested function or a closure cannot be pickled by name: its page is volatile, rendered on every build; an input
    of a type the walk does not know, the build's SiteData for one, makes it volatile too)."""

    __slots__ = ("make", "inputs", "_made")

    def __init__(self, make: Callable[..., dict[str, Any]], *inputs: Any) -> None:
        self.make, self.inputs = make, inputs
        self._made: dict[str, Any] | None = None

    def made(self) -> dict[str, Any]:
        if self._made is None:
            self._made = self.make(*self.inputs)
        return self._made

    def __getitem__(self, key: str) -> Any:
        return self.made()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.made())

    def __len__(self) -> int:
        return len(self.made())


class Volatile(Exception):
    """A value the canonical walk does not know: the page holding it is rendered on every build."""


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def file_digest(path: Path) -> str:
    """The digest of a file's bytes (as the manifest records a page's output)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def bytes_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# A file's identity: (st_dev, st_ino, st_size, st_mtime_ns), as git's index knows a file it need not read again.
# Recorded for each page the build wrote (or checked, for one carried over) and trusted for its bytes by the next
# build. What could fake it: a write in place that keeps the size and sets the modification time back
# (`touch -d`, utime with nanoseconds), or one within the file system's timestamp tick of the build's own write
# (a few milliseconds, while the build runs). Both need write access to the output folder, which is ours: whoever
# has it can change the published site directly, so trusting the identity gives them nothing they lack. The
# change time would see such a write too, but linking a page into the next site changes it, so a failed rebuild
# would leave every identity stale. A new file in the same place is another inode (or, if an inode number is
# used again, a new modification time).
Identity = tuple[int, int, int, int]


def identity(info: os.stat_result) -> Identity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def identity_of(path: Path | str) -> Identity:
    """The identity of the file at `path` itself (a link's own, never its target's)."""
    return identity(os.lstat(path))


# --- what every page shares ---------------------------------------------------------------------------------------


def _tree_digest(folder: Path) -> str:
    """Every file under `folder` (bytecode aside): their paths, sizes and contents (`sourcedigest`: read again only
    when a file's stat changed)."""
    return sourcedigest.tree(folder)


@lru_cache(maxsize=1)
def code_version() -> str:
    """dangjian's code and data, Python's and the rendering libraries' versions (once per process: the code
    running is the code imported; templates are read again at each build, see `global_key`)."""
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=-")
    parts = [sys.version, *versions, _tree_digest(_PACKAGE)]
    return _digest("\0".join(parts))


def global_key(*, config_file: Path, theme: Any, with_search: bool, env_pure: bool) -> str | None:
    """The key every page's shares (None: carry nothing over): code, templates, libraries, the theme's settings and
    nav, search copies or not."""
    from .theme import TEMPLATES

    if not env_pure:
        return None
    try:
        config = config_file.read_bytes() if config_file.is_file() and not config_file.is_symlink() else b"-"
    except OSError:
        return None
    canon = Canon()
    try:
        theme_state = canon.digest(
            [theme.site_name, theme.site_description, theme.site_url, theme.highlight_sections]
            + [(page.url, page.title) for page in theme.nav_pages.values()]
            + [theme._texts]
        )
    except Volatile:
        return None
    templates = _tree_digest(TEMPLATES)  # every build: a long-running `serve` sees an edited template
    return _digest("\0".join([code_version(), templates, bytes_digest(config), theme_state, str(with_search)]))


def environment_is_pure(env: Any) -> bool:
    """Whether a page body can read nothing but its context and the recorded globals: every other global a
    constant or one of Jinja's own, every filter a plain function closing over nothing but functions and
    constants (a filter that looked things up in the registry would escape the recording)."""
    from jinja2 import defaults

    for name, value in env.globals.items():
        if isinstance(value, Recorded):
            continue
        if defaults.DEFAULT_NAMESPACE.get(name) is value:
            continue
        if type(value) not in (str, int, float, bool, type(None)):
            return False
    return all(_pure_function(f) for f in env.filters.values())


def _pure_function(function: Any) -> bool:
    cells = getattr(function, "__closure__", None) or ()
    for cell in cells:
        value = cell.cell_contents
        if callable(value) and not isinstance(value, Recorded):
            if not _pure_function(value):
                return False
        elif type(value) not in (str, int, float, bool, type(None)):
            return False
    return True


# --- the canonical walk ---------------------------------------------------------------------------------------------

# Types pickled as they are: their pickled form is their whole state (a date's fields, a decimal's written form).
_AS_THEY_ARE = (datetime.date, datetime.datetime, datetime.time, Decimal, Fraction, Markup)
_CUSTOM_REDUCE = ("__reduce__", "__reduce_ex__", "__getstate__")


def _record_token(digest: str) -> None:
    """Stands for a record in a pickled context (never called: nothing is unpickled)."""


def _made_token(make: Any, inputs: tuple) -> None:
    """Stands for a context made lazily (`Made`) in a pickled context (never called)."""


def _form_token(kind: type, form: Any) -> None:
    """Stands for a value of a type digested by its canonical form (`digested_as`) in a pickled context (never
    called)."""


def _default_dict(factory: str) -> None:
    """Stands for a defaultdict's type and default in a pickled context (never called)."""


class _Hashing:
    """A file that hashes what is written to it."""

    def __init__(self) -> None:
        self.hash = hashlib.blake2b(digest_size=16)

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return len(data)


class _Pickler(pickle.Pickler):
    """Pickles a value in its canonical form: without the memo (so equal values give equal bytes however they
    share objects), records as their digests, and only types whose pickled form is their whole state; any other
    raises Volatile."""

    def __init__(self, file: _Hashing, canon: Canon) -> None:
        super().__init__(file, protocol=5)
        self.fast = True  # no memo: sharing does not show; a cycle raises ValueError
        self.canon = canon

    def reducer_override(self, value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return NotImplemented
        if kind is Record:
            return _record_token, (self.canon.record(value),)
        if kind is Made:
            return _made_token, (value.make, value.inputs)  # never made here (a carried page's never is)
        form = _FORMS.get(kind)
        if form is not None:
            return _form_token, (kind, form(value))
        if _plain(kind):
            _PLAIN.add(kind)
            return NotImplemented
        return self._by_value(value, kind)

    def _by_value(self, value: Any, kind: type) -> Any:
        """What `reducer_override` decides by more than the value's type (every type `_plain` does not settle)."""
        if kind in _AS_THEY_ARE:
            return NotImplemented
        if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
            return NotImplemented  # by name (code): a class, or copyreg's constructor; a lambda cannot be pickled
        if dataclasses.is_dataclass(value) and not _custom_reduce(kind):
            return NotImplemented  # its class and every attribute (fields, and any cached value)
        if isinstance(value, defaultdict):
            factory = value.default_factory
            name = "" if factory is None else f"{factory.__module__}.{factory.__qualname__}"
            return _default_dict, (name,), None, None, iter(value.items())
        if isinstance(value, (dict, tuple)) and not _custom_reduce(kind):
            return NotImplemented  # Counter, OrderedDict, named tuples: class and items
        if isinstance(value, (int, str, float)) and not getattr(value, "__dict__", None) and not _custom_reduce(kind):
            return NotImplemented  # a subclass carrying no state of its own (Small, Withheld): class and value
        if isinstance(value, PurePath):
            return NotImplemented
        raise Volatile(f"{kind.__module__}.{kind.__qualname__}")


# Types digested by a form of their own (`digested_as`): the form's function of the value, with the type.
_FORMS: dict[type, Callable[[Any], Any]] = {}


def digested_as(form: Callable[[Any], Any]) -> Callable[[type], type]:
    """A class decorator: the canonical digest of the class's values is that of `form(value)` (and the class), not
    of their state. For a value some of whose state a page reads as a global lookup instead (`note_read`): an org
    shown by another record's page (`data.OrgView`) is digested without its name, which the page's rendering notes
    where it reads it."""

    def register(kind: type) -> type:
        _FORMS[kind] = form
        return kind

    return register


# Types `reducer_override` lets pickle as they are whatever the value (`_plain`), known once each: a page's context
# holds thousands of objects of a few types (a county's 2,500 pages' keys asked 150,000 times, mostly of classes and
# functions pickled by name, records' references and dates).
_PLAIN: set[type] = set()


def _plain(kind: type) -> bool:
    """Whether `_Pickler.reducer_override` returns NotImplemented for every value of `kind` (it decides by the type
    alone: as `_by_value` does, in its order, for those types)."""
    if kind is Record or kind is Made or kind in _FORMS:
        return False
    if kind in _AS_THEY_ARE or issubclass(kind, (type, types.FunctionType, types.BuiltinFunctionType)):
        return True
    if dataclasses.is_dataclass(kind) and not _custom_reduce(kind):
        return True
    if issubclass(kind, defaultdict):
        return False
    if issubclass(kind, (dict, tuple)) and not _custom_reduce(kind):
        return True
    if issubclass(kind, (int, str, float)):
        return False  # decided by the value (its own attributes)
    return issubclass(kind, PurePath)


_REDUCES: dict[type, bool] = {}


def _custom_reduce(kind: type) -> bool:
    """Whether a class pickles itself its own way (its pickled form might leave state out)."""
    if kind not in _REDUCES:
        _REDUCES[kind] = _reduces(kind)
    return _REDUCES[kind]


def _reduces(kind: type) -> bool:
    for klass in kind.__mro__:
        if klass in (object, int, str, float, tuple, dict, list, OrderedDict, Counter):
            continue
        if any(name in vars(klass) for name in _CUSTOM_REDUCE):
            return not dataclasses.is_dataclass(klass)  # a slotted dataclass's own __getstate__ keeps every field
    return False


class Canon:
    """Digests of values, equal exactly when the values are the same to a template (types included): the digest
    of a canonical pickle (`_Pickler`).

    Records are digested once per build (memoised by identity, each memo entry holding its record: an identity is
    never that of another record while the memo lives). Every Canon made inside `sharing(canon)` shares `canon`'s
    record digests and the ones it was given (the org calendars' keys digest the records the pages' keys did, or
    take their digests from the last build's when the org pages were kept).
    """

    def __init__(self, kept: KeptDigests | None = None) -> None:
        self._records: dict[int, tuple[Record, str]] = _shared._records if _shared is not None else {}
        self._whole: dict[int, str] = {}
        self._reads: dict[tuple[int, Any], tuple[Mapping, str]] = {}
        self.kept: KeptDigests | None = kept if kept is not None or _shared is None else _shared.kept

    def digest(self, value: Any) -> str:
        file = _Hashing()
        try:
            _Pickler(file, self).dump(value)
        except (pickle.PicklingError, ValueError, TypeError, AttributeError, RecursionError) as err:
            raise Volatile(str(err)) from None
        return file.hash.hexdigest()

    def page_key(self, page: Any, revisions: Any) -> str | None:
        """A page's own key (None: volatile)."""
        try:
            return self.digest(
                (page.url, page.title, page.description, page.template, page.sources, page.context, revisions)
            )
        except Volatile:
            return None

    def read_digest(self, mapping: Mapping, key: Any) -> str:
        """The digest of what `mapping[key]` gives ("-" when it has no such key), once per mapping and key (the
        carried pages' lookups ask the same ones again: 95,000 lookups of 37,000 city pages)."""
        try:
            return self._reads[(id(mapping), key)][1]
        except KeyError:
            found = self._read_digest(mapping, key)
        except TypeError:  # a key that is no dictionary key
            return self._read_digest(mapping, key)
        self._reads[(id(mapping), key)] = (mapping, found)  # the mapping held: its id is no other's while this lives
        return found

    def _read_digest(self, mapping: Mapping, key: Any) -> str:
        try:
            value = mapping[key]
        except (KeyError, TypeError):
            return "-"
        return self.digest(value)

    def whole(self, mapping: Mapping) -> str:
        """The digest of a whole mapping (a template iterated a global), once per build."""
        if id(mapping) not in self._whole:
            self._whole[id(mapping)] = self.digest(dict(mapping))
        return self._whole[id(mapping)]

    def record(self, record: Record) -> str:
        """A record's digest: every attribute but its document (positions, for problems only)."""
        known = self._records.get(id(record))
        if known is None:
            digest = self.kept.get(record) if self.kept is not None else None
            if digest is None:
                fields = (record.kind, record.file, record.slug, record.body, record.body_line, record.base)
                digest = self.digest((fields, record.data, record.refs, record.assets))
            known = self._records[id(record)] = (record, digest)
        return known[1]

    def digested(self) -> Iterator[tuple[Record, str]]:
        """Every record digested so far, with its digest."""
        return iter(self._records.values())


class KeptDigests:
    """Records' digests kept from the last build of an output, by file: a record is a function of its file's bytes,
    path and kind and of the loader's code, which is what the file's parse-cache key digests (`validate.Files.key`),
    so a record whose file has the key it had then gets its digest back instead of being pickled again (645,000
    records took about 3 s of a city rebuild). Kept with the manifest (`records.pickle`, `cache.Sealed`), for this
    code and Python (`_digests_code`)."""

    def __init__(self, keys: Mapping[str, str | None], kept: Mapping[str, tuple[str, dict[Any, str]]]) -> None:
        self.keys, self.kept = keys, kept

    def get(self, record: Record) -> str | None:
        found = self.kept.get(record.file)
        if found is None or found[0] != self.keys.get(record.file):
            return None
        return found[1].get(record.base)

    def table(self, canon: Canon) -> dict[str, tuple[str, dict[Any, str]]]:
        """What to keep for the next build: every record `canon` digested, by file, under its file's key (a file with
        no known key, or two records at one place, is left out), and what was kept of the files whose records were
        not digested this time and whose key is the same."""
        by_file: dict[str, dict[Any, str]] = defaultdict(dict)
        twice: set[str] = set()
        for record, digest in canon.digested():
            digests = by_file[record.file]
            if record.base in digests:
                twice.add(record.file)
            digests[record.base] = digest
        table = {
            file: (key, digests)
            for file, digests in by_file.items()
            if file not in twice and (key := self.keys.get(file)) is not None
        }
        for file, (key, digests) in self.kept.items():  # not digested this time (the pages of a kept kind): still good
            if file not in by_file and key is not None and self.keys.get(file) == key:
                table[file] = (key, digests)
        return table


_shared: Canon | None = None  # the build's Canon, whose record digests (and kept ones) every new Canon shares


@contextmanager
def sharing(canon: Canon) -> Iterator[None]:
    """Every Canon made in the block shares `canon`'s record digests and kept ones (one build's: its records outlive
    the block)."""
    global _shared
    before, _shared = _shared, canon
    try:
        yield
    finally:
        _shared = before


# --- what a page read outside its context -------------------------------------------------------------------------


class Reads:
    """The global lookups of one page's rendering: (global, key) → digest of the value, and the keys read of each
    global whose table the manifest keeps (`note_read`); `volatile` when one cannot be recorded (an unusual key)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str | None], str] = {}
        self.tabled: dict[str, set[str]] = {}
        self.volatile = False

    def as_list(self) -> list[list[Any]]:
        found = [[name, key, digest] for (name, key), digest in sorted(self.seen.items(), key=_read_order)]
        # one entry a global, whatever the keys read (a month of activities reads 200 orgs' names): the keys joined
        found += [[name, _KEYS.join(sorted(keys)), TABLED] for name, keys in sorted(self.tabled.items())]
        return found


def _read_order(item: tuple[tuple[str, str | None], str]) -> tuple[str, str]:
    (name, key), _ = item
    return name, "\0" if key is None else key


_current: Reads | None = None
WHOLE = "\0*"  # the key of a read of a whole global (a template iterated it)
TABLED = "\0tabled"  # the digest of the keys read of a global whose table the manifest keeps (`note_read`)
_KEYS = "\x1f"  # between those keys (no id holds it: ids are [a-z0-9-])


@contextmanager
def recording() -> Iterator[Reads]:
    """Record the global lookups made while the block renders (or makes: `made_noting`) one page."""
    global _current
    reads, before = Reads(), _current
    _current = reads
    try:
        yield reads
    finally:
        _current = before


def note_read(name: str, key: str) -> None:
    """Note, for the page rendering now (if any), that it read the global `name`'s value under `key`: a value held by
    something in its context but digested without it (`digested_as`). The build keeps the global's table with the
    manifest (`save_manifest`'s `tables`); the page holds while no key it read has another value in the next build's
    table (`changed_keys`). No digest is made here: a page naming 200 orgs records their ids, once each."""
    reads = _current
    if reads is None:
        return
    if type(key) is not str or _KEYS in key:
        reads.volatile = True
        return
    keys = reads.tabled.get(name)
    if keys is None:
        keys = reads.tabled[name] = set()
    keys.add(key)


class _Page(Protocol):
    """A page (`kinds.base.SitePage`, a dataclass: this module does not import the kinds)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]
    url: str
    made_reads: tuple[tuple[str, str], ...] | None


P = TypeVar("P", bound=_Page)


def made_noting(pages: Iterable[P]) -> Iterator[P]:
    """These pages, each one with the lookups read while it was made (`note_read`: a title made of an org's name)
    as its `made_reads`, which its rendering's reads then hold too (`with_made`): a page kept by its kind is made
    again when one of them changes, as when its rendering read it. What is read before a page is given (a kind's
    shared work, the pages of a month made together) is noted of the first one given after it: more, never less."""
    made = iter(pages)
    while True:
        with recording() as reads:
            page = next(made, None)
        if page is None:
            return
        yield _noted(page, reads)


def made_alone(make: Callable[[], P | None]) -> P | None:
    """`make()`'s page with the lookups read while it was made (`made_noting`)."""
    with recording() as reads:
        page = make()
    return _noted(page, reads) if page is not None else None


def _noted(page: P, reads: Reads) -> P:
    """`page` with what was read while it was made as its `made_reads` (None: a read that cannot be kept)."""
    if reads.volatile:
        return dataclasses.replace(page, made_reads=None)
    if not reads.tabled:
        return page
    noted = tuple((name, key) for name, keys in sorted(reads.tabled.items()) for key in sorted(keys))
    return dataclasses.replace(page, made_reads=noted)


def with_made(reads: Reads, made: tuple[tuple[str, str], ...] | None) -> Reads:
    """`reads` (a page's rendering) with what was read while the page was made (`SitePage.made_reads`)."""
    if made is None:
        reads.volatile = True
    else:
        for name, key in made:
            reads.tabled.setdefault(name, set()).add(key)
    return reads


def holds_made(reads: list[list[Any]], made: tuple[tuple[str, str], ...] | None) -> bool:
    """Whether a page's kept reads (`Entry.reads`) hold every lookup read while it was made this time."""
    if not made:
        return made is not None
    tabled = {name: set(key.split(_KEYS)) for name, key, digest in reads if digest == TABLED}
    return all(key in tabled.get(name, ()) for name, key in made)


# Of a tabled global (`changed_keys`): the keys whose value changed since the last build, and the keys it has now.
Changes = tuple[set[str], set[str]]


def changed_keys(before: Mapping[str, Mapping[str, Any]], now: Mapping[str, Mapping[str, Any]]) -> dict[str, Changes]:
    """Of each global whose table the last build kept (`before`) and this one has (`now`), the keys whose value is
    not the same (a type changed too) or is in one table only, and the keys it has now. A global without a table
    kept: not given (every page that read it is rendered again)."""
    changed: dict[str, Changes] = {}
    for name, table in now.items():
        old = before.get(name)
        if not isinstance(old, Mapping):
            continue
        present = set(table.keys())
        moved = {key for key in present | old.keys() if _tabled(table, key) != _tabled(old, key)}
        changed[name] = (moved, present)
    return changed


def _tabled(table: Mapping[str, Any], key: str) -> tuple[str, Any]:
    if key not in table:
        return ("", _ABSENT)
    value = table[key]
    return (type(value).__name__, value)


_ABSENT = object()


class Recorded(Mapping):
    """A global mapping of the templates (`orgs`, `venues`) that notes what the page being rendered looks up."""

    def __init__(self, name: str, data: Mapping, canon: Canon) -> None:
        self._name, self._data, self._canon = name, data, canon

    def _note(self, key: Any) -> None:
        reads = _current
        if reads is None:
            return
        if key is not None and type(key) is not str:
            reads.volatile = True
            return
        if (self._name, key) not in reads.seen:
            try:
                reads.seen[(self._name, key)] = self._canon.read_digest(self._data, key)
            except Volatile:
                reads.volatile = True

    def _note_whole(self) -> None:
        reads = _current
        if reads is not None:
            try:
                reads.seen[(self._name, WHOLE)] = self._canon.whole(self._data)
            except Volatile:
                reads.volatile = True

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return self._data[key]

    def get(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        try:
            return self._data.get(key, default)
        except TypeError:  # an unhashable key: not there
            return default

    def __contains__(self, key: object) -> bool:
        self._note(key)
        try:
            return key in self._data
        except TypeError:
            return False

    def __iter__(self) -> Iterator[Any]:
        self._note_whole()
        return iter(self._data)

    def __len__(self) -> int:
        self._note_whole()
        return len(self._data)


def reads_hold(
    reads: list[list[Any]],
    globals_now: Mapping[str, Mapping],
    canon: Canon,
    changed: Mapping[str, Changes] | None = None,
) -> bool:
    """Whether every recorded lookup still gives what it gave (a global no longer there: no), and every key read of a
    tabled global is there with the value it had (`changed`: `changed_keys`; a global not in it: no)."""
    for name, key, digest in reads:
        if digest == TABLED:
            found = changed.get(name) if changed is not None else None
            if found is None:
                return False
            keys = key.split(_KEYS)
            if not found[0].isdisjoint(keys) or not found[1].issuperset(keys):
                return False
            continue
        mapping = globals_now.get(name)
        if mapping is None:
            return False
        try:
            now = canon.whole(mapping) if key == WHOLE else canon.read_digest(mapping, key)
        except Volatile:
            return False
        if now != digest:
            return False
    return True


# --- the manifest -------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Entry:
    """One page as the last build left it."""

    key: str
    out: str  # digest of its published bytes
    reads: list[list[Any]]
    stat: Identity | None = None  # the published file's identity (None: unknown, not carried over)


def identity_from(value: Any) -> Identity | None:
    """An identity as kept (a tuple in a pickle, a list in JSON), or None when `value` is not one."""
    if isinstance(value, (tuple, list)) and len(value) == 4 and all(type(n) is int for n in value):
        return (value[0], value[1], value[2], value[3])
    return None


# The manifest is a pickle of plain values (strings, lists, tuples of ints) sealed by its digest (`cache.Sealed`):
# JSON took 1 s to read at city (37,300 pages). It lives in the cache folder, trusted as the user's own like the
# parse cache's pickles, and is read only when it is exactly what dangjian wrote there.
MANIFEST = Sealed("manifests", b"dangjian-manifest %d" % MANIFEST_VERSION, 1 << 30)


def manifest_path(out: Path) -> Path | None:
    """Where the manifest of the site at `out` is kept (None when caching is off)."""
    folder = cache_dir()
    if folder is None:
        return None
    return MANIFEST.path(folder, _manifest_name(out))


def _manifest_name(out: Path) -> str:
    return f"{_digest(str(Path(out).resolve()))}/pages.pickle"


@dataclasses.dataclass
class Manifest:
    """The last build of an output as the next one reads it: each page's entry, and each kind's page list kept by what
    it read (kind name → the kind's key and its pages: `keptpages.Stub`; plain values only)."""

    pages: dict[str, Entry] = dataclasses.field(default_factory=dict)
    groups: dict[str, Any] = dataclasses.field(default_factory=dict)
    # every other file the build wrote (an org's calendar.ics, the exports): its path → identity and bytes' digest
    files: dict[str, tuple[Identity, str]] = dataclasses.field(default_factory=dict)
    # each global read by key (`note_read`) as the build had it: its key → value (plain values)
    tables: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


# The last manifest this process wrote, with its file's path and identity then (device, inode, size, modification and
# change times): `serve` builds again and again in one process, and each build read the manifest the last one wrote
# (0.2 s of a city's rename, unpickled). Taken from here only while the file is the one written; what `load_manifest`
# gives is made anew from it at each load (pages, entries, their reads, the files and tables), never shared with a
# build, and the kind groups' dict (plain tuples and lists the builds only read) is copied.
_LAST_MANIFEST: tuple[str, tuple[int, ...], tuple] | None = None

# The pages are kept in `PAGE_BUCKETS` files by their address (`_bucket`), beside the manifest's own file, which names
# the version of each it was written with (a token drawn at each write of a bucket): a rebuild rewrites the buckets
# whose pages changed, not all of a city's 37,300 pages (11 MB pickled, 0.2-0.3 s of every rebuild). A bucket whose
# token is not the one named is another build's: the manifest is then none (the next build is a cold one).
PAGE_BUCKETS = 64
# The buckets this process last read or wrote for a manifest (its file's path → each bucket's token and pages, as
# kept): what `save_manifest` compares a bucket with to leave it as it is.
_LAST_BUCKETS: tuple[str, tuple[tuple[str | None, dict[str, tuple]], ...]] | None = None


def _bucket(url: str) -> int:
    return zlib.crc32(url.encode("utf-8", "surrogatepass")) % PAGE_BUCKETS


def _bucket_name(out: Path, number: int) -> str:
    return f"{_digest(str(Path(out).resolve()))}/pages-{number:02d}.pickle"


def _read_buckets(out: Path, tokens: Any) -> tuple[tuple[str | None, dict[str, tuple]], ...] | None:
    """Each bucket of pages the manifest's `tokens` name, as written then (None: one is missing or another's)."""
    if not isinstance(tokens, tuple) or len(tokens) != PAGE_BUCKETS:
        return None
    found: list[tuple[str | None, dict[str, tuple]]] = []
    for number, token in enumerate(tokens):
        if token is None:
            found.append((None, {}))
            continue
        kept = MANIFEST.read(cache_dir(), _bucket_name(out, number))
        if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == token and isinstance(kept[1], dict)):
            return None
        found.append((token, kept[1]))
    return tuple(found)


def _file_identity(path: Path) -> tuple[int, ...] | None:
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def load_manifest(out: Path, key: str | None) -> Manifest:
    """The pages of the last build of `out` whose global key was `key` (none when it differs, is missing or
    unreadable, or `out` is no longer there)."""
    path = manifest_path(out)
    if path is None or key is None or not Path(out).is_dir():
        return Manifest()
    global _LAST_BUCKETS
    last = _LAST_MANIFEST
    remembered = last is not None and last[0] == os.fspath(path) and last[1] == _file_identity(path)
    data: Any = last[2] if last is not None and remembered else MANIFEST.read(cache_dir(), _manifest_name(out))
    if not isinstance(data, tuple) or len(data) != 6 or data[0] != key or data[1] != str(out):
        return Manifest()
    if not remembered:  # the manifest's file names its buckets of pages: read them (all, or it is none)
        buckets = _read_buckets(out, data[2])
        if buckets is None:
            return Manifest()
        _LAST_BUCKETS = (os.fspath(path), buckets)
        data = (*data[:2], {url: page for _, pages in buckets for url, page in pages.items()}, *data[3:])
    touch(path.parent)  # used now: the cache's bound keeps it over older entries
    try:
        pages = {
            url: Entry(str(page_key), str(published), list(reads), identity_from(seen))
            for url, (page_key, published, reads, seen) in data[2].items()
            if isinstance(url, str)
        }
        files = {
            rel: (seen, str(digest))
            for rel, (found, digest) in data[4].items()
            if isinstance(rel, str) and (seen := identity_from(found)) is not None
        }
    except (ValueError, TypeError, AttributeError):
        return Manifest()
    tables = (
        {name: table for name, table in data[5].items() if isinstance(table, dict)} if isinstance(data[5], dict) else {}
    )
    return Manifest(pages, dict(data[3]) if isinstance(data[3], dict) else {}, files, tables)


@lru_cache(maxsize=1)
def _digests_code() -> str:
    """What a record's digest depends on besides the record: this module's code and the Python that pickles."""
    return hashlib.blake2b(Path(__file__).read_bytes() + sys.version.encode(), digest_size=16).hexdigest()


def _records_name(out: Path) -> str:
    return f"{_digest(str(Path(out).resolve()))}/records.pickle"


def kept_digests(out: Path, keys: Mapping[str, str | None]) -> KeptDigests:
    """The record digests the last build of `out` kept (none when there are none, or they are another code's)."""
    found = MANIFEST.read(cache_dir(), _records_name(out))
    table = found[1] if isinstance(found, tuple) and len(found) == 2 and found[0] == _digests_code() else None
    return KeptDigests(keys, table if isinstance(table, dict) else {})


def keep_digests(out: Path, kept: KeptDigests, canon: Canon) -> None:
    """Keep the records' digests of this build of `out` for the next one (a cache that cannot be written: none)."""
    MANIFEST.write(cache_dir(), _records_name(out), (_digests_code(), kept.table(canon)))


def forget_manifest(out: Path) -> None:
    """Drop the manifest of `out` (before a swap: until the new one is written, nothing may be carried over)."""
    path = manifest_path(out)
    if path is not None:
        try:
            path.unlink()
        except OSError:
            pass


def save_manifest(
    out: Path,
    key: str | None,
    pages: Mapping[str, Entry],
    groups: Mapping[str, Any],
    files: Mapping[str, tuple[Identity, str]] | None = None,
    tables: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Keep the manifest of the build just swapped into `out` (`tables`: each global read by key, as this build had
    it); a cache that cannot be written only means the next build renders everything."""
    path = manifest_path(out)
    if path is None or key is None:
        return
    pages_kept = {url: (entry.key, entry.out, entry.reads, entry.stat) for url, entry in pages.items()}
    tabled = {name: dict(table) for name, table in (tables or {}).items()}
    kept = (key, str(out), pages_kept, dict(groups), dict(files or {}), tabled)
    global _LAST_MANIFEST, _LAST_BUCKETS
    _LAST_MANIFEST, last, _LAST_BUCKETS = None, _LAST_BUCKETS, None
    buckets = _written_buckets(out, pages_kept, last[1] if last is not None and last[0] == os.fspath(path) else None)
    if buckets is None or not MANIFEST.write(cache_dir(), _manifest_name(out), (*kept[:2], buckets[0], *kept[3:])):
        forget_manifest(out)
    elif (written := _file_identity(path)) is not None:
        _LAST_MANIFEST, _LAST_BUCKETS = (os.fspath(path), written, kept), (os.fspath(path), buckets[1])


def _written_buckets(
    out: Path, pages: dict[str, tuple], last: tuple[tuple[str | None, dict[str, tuple]], ...] | None
) -> tuple[tuple[str | None, ...], tuple[tuple[str | None, dict[str, tuple]], ...]] | None:
    """The pages written in their buckets, each bucket whose pages are not those `last` kept (as written then) with a
    new token: each bucket's token (None: no page) and pages; None when one could not be written."""
    split: list[dict[str, tuple]] = [{} for _ in range(PAGE_BUCKETS)]
    for url, page in pages.items():
        split[_bucket(url)][url] = page
    buckets: list[tuple[str | None, dict[str, tuple]]] = []
    for number, of_bucket in enumerate(split):
        if not of_bucket:
            buckets.append((None, of_bucket))
        elif last is not None and last[number][0] is not None and last[number][1] == of_bucket:
            buckets.append(last[number])
        else:
            token = os.urandom(8).hex()
            if not MANIFEST.write(cache_dir(), _bucket_name(out, number), (token, of_bucket)):
                return None
            buckets.append((token, of_bucket))
    return tuple(token for token, _ in buckets), tuple(buckets)


# --- carrying pages over ------------------------------------------------------------------------------------------


def page_file(url: str) -> str:
    return f"{url}index.html"


class Carrier:
    """Carries pages over from the previous output into the staging folder.

    The previous output is walked folder by folder through descriptors opened without following links
    (`O_NOFOLLOW`): a link planted there, for a folder or a page, is never followed (its pages are rendered
    again). Each folder of the staging folder is made once, and each page carried is one hard link and one
    `lstat` of the new link: it is carried when the file linked is the one the manifest recorded (`Identity`), so
    what is published is what was checked, whatever happens to the previous folder meanwhile. Nothing ever writes
    into a linked file: the pages rendered are others, written as new files.
    """

    def __init__(self, previous: Path, staging: Path, listing: "KeptListing | None" = None) -> None:
        self.previous, self.staging = os.fspath(previous), os.fspath(staging)
        self.listing = listing  # the kept folder as listed while the build validated (`KeptListing`)
        self.in_place: dict[str, Identity] = {}  # other files left where they were (`carry_all`'s `files`)

    def carry(self, url: str, entry: Entry) -> bool:
        """Carry one page over (`carry_all` of one)."""
        return url in self.carry_all([(url, entry)])

    def carry_all(
        self, pages: list[tuple[str, Entry]], files: Mapping[str, tuple[Identity, str]] | None = None
    ) -> dict[str, Identity]:
        """Link (or copy) each page of the previous output into the staging folder if it is still the file the
        manifest recorded: the addresses of those carried over, with the identity of each one's new file.

        When the staging folder is the site the last build replaced (`output.take_kept`), a page already there as
        the file recorded (carried over by the last build too: one file, hard-linked) is left as it is, and so is
        another file of `files` (path → identity and digest: what the last build wrote besides its pages) found
        there as recorded (`in_place`: the build writes it again only if its bytes changed, and removes it if it
        writes none); everything else in it is moved out first (`_Settling`): nothing the build writes afterwards
        exists yet."""
        from .output import take_kept, taken_token

        if self.listing is not None:
            self.listing.wait()  # listed before it is taken (its token says whether it is the folder taken)
        trash = take_kept(Path(self.staging))
        if trash is not None:
            settling = _Settling(self.previous, trash)
            listed = None if self.listing is None else self.listing.of(taken_token(Path(self.staging)))
            settled = settling.settle(self.staging, _tree(pages, files or {}), listed)
            self.in_place = settling.in_place
            return settled
        carried: dict[str, Identity] = {}
        stack: list[tuple[str, int | None, int]] = []  # the folders open now: name, previous's (None: not), new
        source_root = _open_folder(self.previous, None)
        target_root = os.open(self.staging, _FOLDER_FLAGS)
        try:
            # Sorted by path parts, each folder's pages come together (a sort of the text would put "a-b/"
            # between "a/" and "a/c/"): each folder is opened and made once.
            for url, entry in sorted(pages, key=lambda page: page[0].split("/")):
                parts = _folders(url)
                if parts is None:
                    continue  # not an address of a folder's page (none is): rendered
                depth = 0
                while depth < len(stack) and depth < len(parts) and stack[depth][0] == parts[depth]:
                    depth += 1
                _close(stack[depth:])
                del stack[depth:]
                for name in parts[depth:]:
                    source = stack[-1][1] if stack else source_root
                    target = stack[-1][2] if stack else target_root
                    stack.append((name, _open_folder(name, source), _make_folder(name, target)))
                source = stack[-1][1] if stack else source_root
                target = stack[-1][2] if stack else target_root
                if source is not None and entry.stat is not None:
                    new = _link_page(source, target, entry)
                    if new is not None:
                        carried[url] = new
        finally:
            _close(stack)
            if source_root is not None:
                os.close(source_root)
            os.close(target_root)
        return carried


def _folders(url: str) -> list[str] | None:
    """The folders of a page's address ("a/b/" → a, b); None when it is not a folder's page."""
    parts = url.split("/")[:-1]
    if (url and not url.endswith("/")) or any(part in ("", ".", "..") or "\0" in part for part in parts):
        return None
    return parts


class _Node:
    """A folder of the pages to carry over: its page (None: not carried) and its sub-folders."""

    __slots__ = ("url", "page", "folders", "files")

    def __init__(self, url: str) -> None:
        self.url = url
        self.page: Entry | None = None
        self.folders: dict[str, _Node] = {}
        self.files: dict[str, Identity] = {}  # other files to leave in place when they are these


def _file_place(rel: str) -> tuple[list[str], str] | None:
    """The folders and the name of a file's path in the site ("a/b/c.ics" → [a, b], c.ics); None when it is not a
    plain path of a file there."""
    *parts, name = rel.split("/")
    folders = _folders("".join(f"{part}/" for part in parts))
    if folders is None or name in ("", ".", "..") or "\0" in name:
        return None
    return folders, name


def _tree(pages: list[tuple[str, Entry]], files: Mapping[str, tuple[Identity, str]]) -> _Node:
    root = _Node("")
    for url, entry in pages:
        parts = _folders(url)
        if parts is None or entry.stat is None:
            continue
        node = root
        for name in parts:
            node = node.folders.setdefault(name, _Node(f"{node.url}{name}/"))
        node.page = entry
    for rel, (seen, _) in files.items():
        place = _file_place(rel)
        if place is None or place[1] == _PAGE:
            continue
        folders, name = place
        node = root
        for part in folders:
            node = node.folders.setdefault(part, _Node(f"{node.url}{part}/"))
        node.files[name] = seen
    return root


class _Source:
    """A folder of the previous output, opened (never through a link) only when a page must be linked from it."""

    def __init__(self, name: str, parent: "_Source | None") -> None:
        self.name, self.parent = name, parent
        self.handle: int | None = None
        self.opened = False

    def folder(self) -> int | None:
        if not self.opened:
            self.opened = True
            up = None if self.parent is None else self.parent.folder()
            if self.parent is None or up is not None:
                self.handle = _open_folder(self.name, up)
        return self.handle

    def close(self) -> None:
        if self.handle is not None:
            os.close(self.handle)
            self.handle = None


class _Settling:
    """Brings a reused staging folder (the site two builds ago) to hold exactly the pages carried over.

    Each folder is listed once, never through a link: a page that is the file the manifest recorded stays (no
    folder made, no link); a folder on the way to a page carried stays; every other entry (pages rendered or gone,
    assets, exports, search, marks, anything planted: a link is moved as a link) is moved out, in one rename, to
    the trash folder removed after the swap; a folder left empty is removed (a page written there makes it again).
    A page not there as recorded is linked from the previous output, as in a new staging folder."""

    def __init__(self, previous: str, trash: Path) -> None:
        self.previous, self.trash = previous, trash
        self.moved = 0
        self.carried: dict[str, Identity] = {}
        self.in_place: dict[str, Identity] = {}  # other files left as they were: path → identity

    def settle(self, staging: str, root: _Node, listing: Listing | None = None) -> dict[str, Identity]:
        """Settle the staging folder `staging` to hold the tree `root`: each folder's entries read from `listing` when
        it is this very folder's (its device and inode) as listed before (its token checked by the caller), else read
        from the folder as it is settled."""
        trash = os.open(self.trash, _FOLDER_FLAGS)
        target = os.open(staging, _FOLDER_FLAGS)
        source = _Source(self.previous, None)
        try:
            info = os.fstat(target)
            entries: Callable[[str, _Target], Iterable[Listed]] = _entries_now
            if listing is not None and listing.folder == (info.st_dev, info.st_ino):
                folders = listing.folders
                entries = lambda url, _: folders.get(url, ())  # noqa: E731
            self._folder(root, _Target("", None, target), source, trash, entries)
        finally:
            source.close()
            os.close(target)
            os.close(trash)
        return self.carried

    def _folder(
        self,
        node: _Node,
        target: _Target,
        source: _Source,
        trash: int,
        entries: Callable[[str, _Target], Iterable[Listed]],
    ) -> int:
        """Settle one folder (`target`) and those under it, its entries as `entries` gives them: how many entries it
        keeps. A folder is opened only when its entries are read from it, or something is moved out of it, made in
        it, linked into it or removed from it."""
        kept, present = 0, set()
        for name, kind, seen in entries(node.url, target):
            if name == _PAGE and node.page is not None and kind == _FILE:
                if seen is not None and seen == node.page.stat:
                    self.carried[node.url] = seen
                    kept += 1
                    continue
            elif name in node.files and kind == _FILE:
                if seen == node.files[name]:
                    self.in_place[f"{node.url}{name}"] = node.files[name]
                    kept += 1
                    continue
            elif name in node.folders and kind == _FOLDER:
                present.add(name)
                continue
            os.rename(name, str(self.moved), src_dir_fd=target.folder(), dst_dir_fd=trash)
            self.moved += 1
        if node.page is not None and node.url not in self.carried:
            folder = source.folder()
            new = None if folder is None else _link_page(folder, target.folder(), node.page)
            if new is not None:
                self.carried[node.url] = new
                kept += 1
        for name, child in node.folders.items():
            if name not in present:
                os.mkdir(name, dir_fd=target.folder())
            inside, under = _Target(name, target), _Source(name, source)
            try:
                holds = self._folder(child, inside, under, trash, entries)
            finally:
                under.close()
                inside.close()
            if holds:
                kept += 1
            else:
                os.rmdir(name, dir_fd=target.folder())
        return kept


def _entries_now(url: str, target: _Target) -> list[Listed]:
    """A folder's entries read from it now, as `listing.py` lists them."""
    return listing.entries(target.folder())


class _Target:
    """A folder of the staging folder being settled, opened (never through a link) when first needed."""

    __slots__ = ("name", "parent", "handle")

    def __init__(self, name: str, parent: "_Target | None", handle: int | None = None) -> None:
        self.name, self.parent, self.handle = name, parent, handle

    def folder(self) -> int:
        if self.handle is None:
            assert self.parent is not None  # the staging folder's own is given
            self.handle = os.open(self.name, _FOLDER_FLAGS, dir_fd=self.parent.folder())
        return self.handle

    def close(self) -> None:
        if self.handle is not None:
            os.close(self.handle)
            self.handle = None


# --- the kept site listed while the build validates ---------------------------------------------------------------

_FILE, _FOLDER = listing.FILE, listing.FOLDER
Listed = listing.Entry  # an entry: its name, FILE, FOLDER or OTHER, a file's identity (`identity`)
_LISTING_SCRIPT = Path(listing.__file__)


@dataclasses.dataclass(frozen=True)
class Listing:
    """The kept site (`output.kept_site`) as a process started when the build began listed it (`KeptListing`)."""

    folder: tuple[int, int]  # its device and inode
    token: str | None  # its mark's (`output.KEPT_MARK`): a new one each time a site is kept
    folders: dict[str, list[Listed]]  # each folder's address ("" the site's, "a/b/") → its entries


class KeptListing:
    """The kept site listed in a process of its own while the build validates and computes (the walk of a city's
    37,000 page folders took 0.5 s of each rebuild, waiting on the file system; `listing.py`): the settling then reads
    the listing instead of each folder, when the folder the build took is the one listed (the same folder, the same
    keeping's token).

    The kept folder is this user's, mode 0700, and changes only when a build of the same output takes it, under
    that build's lock: a build that took it since has kept another site, with another token. Use as a context: the
    process is stopped on leaving, if its listing was not asked for. On one core the folder is listed at once."""

    def __init__(self, out: Path | None) -> None:
        from ..parallel import cores
        from .output import kept_site

        self._process: subprocess.Popen[bytes] | None = None
        self._found: listing.Found | None = None
        kept = None if out is None else kept_site(out)
        if kept is None:
            return
        command = [sys.executable, "-I", "-S", os.fspath(_LISTING_SCRIPT), os.fspath(kept)]
        try:
            if cores() >= 2:
                self._process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                )
                return
        except OSError:
            pass
        with contextlib.suppress(OSError):
            self._found = listing.listing(os.fspath(kept))

    def wait(self) -> None:
        """Wait for the listing: before the kept folder is taken (renamed), or a process that has not opened it yet
        would find none (a small registry validates in less time than a process takes to start)."""
        process, self._process = self._process, None
        if process is not None:
            data, _ = process.communicate()
            if process.returncode == 0:
                with contextlib.suppress(Exception):  # a process that failed or was killed: no listing
                    self._found = pickle.loads(data)  # noqa: S301 - our own script's answer, through our own pipe

    def of(self, token: str | None) -> Listing | None:
        """The listing, when the kept folder listed had `token` (None: none, or the process failed)."""
        self.wait()
        found = _listing_from(self._found)
        return found if found is not None and token is not None and found.token == token else None

    def stop(self) -> None:
        """Stop the process if it still runs (killed, reaped)."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.communicate()

    def __enter__(self) -> "KeptListing":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listing_from(found: Any) -> Listing | None:
    """The `Listing` of what `listing.listing` found (None: nothing, or not that shape)."""
    from .output import token_of_mark

    if not isinstance(found, tuple) or len(found) != 3 or not isinstance(found[2], dict):
        return None
    folder, mark, folders = found
    return Listing(folder, token_of_mark(mark) if isinstance(mark, bytes) else None, folders)


_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_PAGE = "index.html"


def _open_folder(name: str, parent: int | None) -> int | None:
    """A descriptor of the folder `name` (in `parent`), never through a link; None when there is none."""
    try:
        return os.open(name, _FOLDER_FLAGS, dir_fd=parent)
    except OSError:
        return None


def _make_folder(name: str, parent: int) -> int:
    """A descriptor of the staging folder's folder `name` (in `parent`), made if need be."""
    try:
        os.mkdir(name, dir_fd=parent)
    except FileExistsError:
        pass
    handle = os.open(name, _FOLDER_FLAGS, dir_fd=parent)
    return handle


def _close(folders: list[tuple[str, int | None, int]]) -> None:
    for _, source, target in folders:
        if source is not None:
            os.close(source)
        os.close(target)


def _link_page(source: int, target: int, entry: Entry) -> Identity | None:
    """Link the page of folder `source` into folder `target` if it is the file `entry` recorded (else leave none):
    the identity of the page in `target`, or None."""
    if entry.stat is None:
        return None
    return _link_file(_PAGE, source, target, entry.stat, entry.out)


def _link_file(name: str, source: int, target: int, seen: Identity, digest: str) -> Identity | None:
    """Link the file `name` of folder `source` into folder `target` (where there is none) if it is the file `seen`
    (a copy with the bytes `digest` where links cannot be made; else leave none): its identity in `target`, or
    None."""
    try:
        try:
            os.link(name, name, src_dir_fd=source, dst_dir_fd=target, follow_symlinks=False)
        except FileExistsError:
            return None  # not ours to remove
        except OSError as err:
            if err.errno not in _NO_LINKS:
                raise
            return _copy_file(name, source, target, seen, digest)  # no hard links here: a copy, checked by its bytes
        info = os.stat(name, dir_fd=target, follow_symlinks=False)
        if stat.S_ISREG(info.st_mode) and identity(info) == seen:
            return seen
    except OSError:
        pass
    try:
        os.unlink(name, dir_fd=target)
    except OSError:
        pass
    return None


def link_file(previous: Path, staging: Path, rel: str, seen: Identity, digest: str) -> Identity | None:
    """Link the file at `rel` in the previous output into the staging folder (its folders made) if it is the file
    `seen` with the bytes `digest`, never through a link: its identity there, or None (nothing left there)."""
    place = _file_place(rel)
    if place is None:
        return None
    folders, name = place
    opened: list[tuple[str, int | None, int]] = []
    source: int | None = _open_folder(os.fspath(previous), None)
    target = os.open(staging, _FOLDER_FLAGS)
    try:
        for part in folders:
            if source is None:
                return None
            opened.append((part, source, target))
            source, target = _open_folder(part, source), _make_folder(part, target)
        if source is None:
            return None
        return _link_file(name, source, target, seen, digest)
    finally:
        if source is not None:
            os.close(source)
        os.close(target)
        _close(opened)


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _copy_file(name: str, source: int, target: int, seen: Identity, digest: str) -> Identity | None:
    """Copy the file (where hard links cannot be made) if it is the file recorded and has the bytes recorded: the
    identity of the copy, or None."""
    handle = os.open(name, _READ_FLAGS, dir_fd=source)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or identity(info) != seen:
            return None
        with os.fdopen(handle, "rb", closefd=False) as file:
            data = file.read()
    finally:
        os.close(handle)
    if bytes_digest(data) != digest:
        return None
    with os.fdopen(os.open(name, _NEW_FLAGS, 0o644, dir_fd=target), "wb") as file:
        file.write(data)
        file.flush()
        return identity(os.fstat(file.fileno()))


# Why a hard link may be refused where a copy is not: another file system, none supported, too many links.
_NO_LINKS = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES})
