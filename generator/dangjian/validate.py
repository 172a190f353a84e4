"""The validation run, stage by stage, each a function of the one before:

    find the files → read, parse, convert and check each file → the model → cross-file rules → the report

What makes a run fast wraps the per-file stage and changes nothing it yields: the state saved by the
last run answers for files whose bytes did not change (`cache.State`), the others are loaded on every
core (`parallel.py`), and loading goes through the parse cache (`cache.cached_load`).
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .cache import Stamp, State, cache_dir, cached_load, cached_only, is_cached, key as cache_key, stamp
from .files import NotRegularFile, read_regular
from .load import REGISTRY, Loaded, Record, SourceFile, classify, discover, load_source
from .model import FileMemo, KindPart, Registry
from .parallel import fork_pool, fork_workers, forked, gc_paused, shared
from .personal import redact_problem
from .problems import Problem, internal_problem, sort_problems
from .recordtypes import RECORD_TYPES
from .rules import ALL_RULES
from .summary import BULK_KINDS, FileDoc, Payload, Summary, payload, stubs, unresolved
from .themeconfig import FILE as THEME_FILE, check_config, read_site_config


class NotARegistry(Exception):
    """The root folder holds no registry: a usage error, not a registry problem."""


@dataclass
class Validation:
    """The outcome of validating a registry root."""

    registry: Registry
    problems: list[Problem]
    files: int
    records: int  # as written (the registry of `validate(full=False)` holds fewer)
    keys: Mapping[str, str] = field(default_factory=dict)  # file -> the parse-cache key of the bytes it was loaded from
    # `validate(apart=True)`: the cross-file rules' problems, from the process they run in (waited for); until
    # `finish`, `problems` are the files' own
    waiting: Callable[[], list[Problem]] | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        assert self.waiting is None, "the cross-file rules still run apart: finish() first"
        return not self.problems

    def finish(self) -> Validation:
        """Every problem, the cross-file rules' added once they are done (`validate(apart=True)`), sorted."""
        if self.waiting is not None:
            rest, self.waiting = self.waiting(), None
            self.problems = _report(self.problems + rest)
        return self


def validate(
    root: Path,
    overrides: Mapping[str, bytes] | None = None,
    *,
    full: bool = True,
    lazy: frozenset[str] = frozenset(),
    apart: bool = False,
) -> Validation:
    """Validate the registry at `root`: every problem, sorted by file and position.

    `overrides` ({relative path: bytes}) replaces or adds files in memory, so an edit can
    be checked against the whole registry before it is written. `full=False` finds the
    same problems holding only summaries of the bulk files (see summary.py), and reuses
    the summaries of unchanged files saved by the last run: for `dangjian validate`; the
    registry it returns has stubs in place of members and activities and no ledger entries.

    `lazy` (bulk kinds without ids, with `full`: `dangjian build`'s ledger) validates those kinds' files through
    their summaries, as `full=False` does, and leaves their records to be loaded when something first asks for
    them (`Registry.all`): a build that keeps every aggregate reading the ledger never loads its million entries.
    They are loaded from the bytes validated (by their keys); a file changed since is `RegistryChanged`.

    `apart` (`dangjian build`, with `full`): in a large registry, the cross-file rules run in a forked process while
    the caller goes on with the registry (on two cores, a city's rules took 0.6–0.8 s of every rebuild); the
    validation returned has the files' own problems, and `finish()` waits for the rules' and adds them. The caller
    must publish nothing before `finish()` says the registry is valid, and must not change the registry's records.
    """
    root = Path(root)
    if not (root / REGISTRY).is_dir():
        raise NotARegistry(f"{root} 下没有 registry/ 文件夹：用 --root 指向登记簿的根目录")
    if lazy - LAZY_KINDS:
        raise ValueError(f"only {sorted(LAZY_KINDS)} may be loaded lazily, not {sorted(lazy - LAZY_KINDS)}")
    with gc_paused():
        return _validate(root, overrides or {}, full, lazy if full else frozenset(), apart and full)


# Bulk kinds whose records nothing refers to (no ids, so no stubs): validated through summaries, loadable later.
LAZY_KINDS = frozenset(kind for kind in BULK_KINDS if not RECORD_TYPES[kind].id_field)


class RegistryChanged(Exception):
    """A lazily loaded file is no longer what validation saw: the build must start again (in Chinese)."""


# Files from which a build's cross-file rules run apart (`validate(apart=True)`): a county's (2,000 files) take 0.1 s,
# about what forking and the pages both processes then copy cost; a city's (26,000 files) 0.6–0.8 s.
_APART_FROM = 5_000


def _validate(
    root: Path, overrides: Mapping[str, bytes], full: bool, lazy: frozenset[str], apart: bool = False
) -> Validation:
    sources, misplaced = _find(root, overrides)
    files = Files(root, overrides, cache_dir(), lazy if full else BULK_KINDS)
    # A full run's state keeps each file's key and identity (its records are in the parse cache) and the cross-file
    # rules' findings: `dangjian build` need not read an unchanged file to know its key, nor check it again.
    state = State.open(files.cache, root, made_by="validate.py" if full else "summary.py")
    stage = lambda todo: _on_every_core(files, todo)  # noqa: E731
    later = [source for source in sources if source.kind in lazy]
    if full:
        payloads = _keyed(state, files, [source for source in sources if source.kind not in lazy], stage)
        if later:  # summarised, and their summaries kept apart from `dangjian validate`'s
            summaries = State.open(files.cache, root, made_by="summary.py", tag="lazy")
            payloads |= _saved(summaries, files, later, stage)
            summaries.save()
    else:
        payloads = _saved(state, files, sources, stage)
    registry = _model(files, sources, payloads)
    if state.folder is not None:
        known = {**files.keys, **files.loaded} if full else files.keys
        registry.memo = FileMemo(known, {source.path: source.kind for source in sources}, state.findings())
    problems = misplaced + _file_problems(sources, payloads)
    memo = registry.memo

    def rules() -> list[Problem]:
        found = _cross_file(registry, files, sources, payloads)
        if memo is not None:
            state.keep_findings(memo.to_keep())  # what the rules found, for the next run (in the process they ran in)
        return found

    waiting = forked(rules) if apart and len(sources) >= _APART_FROM else None
    if waiting is None:
        problems += rules()
    state.save()
    keys: dict[str, str] = dict(files.loaded)
    if later:
        # the rules are done (or run apart on the registry as it was): it now holds every record, some still to load
        registry.stubs = frozenset()
        # the key of the bytes each summary was made from: loaded now (files.loaded), or saved by an earlier run
        seen = {source.path: files.loaded.get(source.path) or files.keys.get(source.path) for source in later}
        for kind in lazy:
            deferred = _Deferred(files, [source for source in later if source.kind == kind], seen)
            registry.deferred[kind], registry.deferred_file[kind] = deferred.all, deferred.one
        keys |= {path: key for path, key in seen.items() if key is not None}
    return Validation(registry, _report(problems), len(sources), _written(payloads.values()), keys, waiting)


class _Deferred:
    """Loads a deferred kind's files' records from the bytes validation saw (`seen`: their keys), through the parse
    cache: all of them (`all`, in order), or one file's (`one`); each file once, so both give the same records."""

    def __init__(self, files: Files, sources: list[SourceFile], seen: Mapping[str, str | None]) -> None:
        self.files, self.seen = files, seen
        self.sources = {source.path: source for source in sources}
        self.loaded: dict[str, list[Record]] = {}

    def one(self, path: str) -> list[Record]:
        if path not in self.loaded:
            source = self.sources.get(path)
            if source is None:
                return []
            loaded = self.files.load(source)
            if self.seen[path] is None or self.files.loaded.get(path) != self.seen[path]:
                raise RegistryChanged(f"{path} 在生成过程中被修改了：请重新生成")
            self.loaded[path] = loaded.records
        return self.loaded[path]

    def all(self) -> list[Record]:
        records: list[Record] = []
        for path in self.sources:
            records += self.one(path)
        return records


def waited(waiting: Callable[[], list[Problem]]) -> list[Problem]:
    """The cross-file rules' problems of a `validate(apart=True)` (its `waiting`), once they are done, sorted and
    redacted as `Validation.problems` are: for a caller that keeps the wait and not the registry."""
    return _report(waiting())


# --- find the files -----------------------------------------------------------------------------


def _find(root: Path, overrides: Mapping[str, bytes]) -> tuple[list[SourceFile], list[Problem]]:
    """Every file holding records, with the files an edit adds, sorted; misplaced files are problems."""
    sources, problems = discover(root)
    known = {source.path for source in sources}
    sources += [SourceFile(rel, kind) for rel in sorted(overrides) if rel not in known and (kind := classify(rel))]
    sources.sort(key=lambda source: source.path)
    return sources, problems


# --- read, parse, convert and check each file ---------------------------------------------------


@dataclass
class Files:
    """The per-file stage: a file's bytes (an edit's, when it has one), loaded (through the parse cache),
    and checked alone: a bulk kind's file becomes its summary, with its record rules' problems."""

    root: Path
    overrides: Mapping[str, bytes]
    cache: Path | None  # the parse cache's folder; None: off
    bulk: frozenset[str]  # kinds kept as summaries
    keys: dict[str, str | None] = field(default_factory=dict)
    again: dict[str, Loaded] = field(default_factory=dict)
    loaded: dict[str, str] = field(default_factory=dict)  # file -> the key of the bytes its records came from

    def read(self, rel: str) -> bytes | Loaded:
        """A file's bytes, or a `Loaded` with the problem of reading it."""
        if rel in self.overrides:
            return self.overrides[rel]
        return _read(self.root, rel)

    def key(self, source: SourceFile) -> str | None:
        """The cache key of the file's bytes (None: unreadable), computed once a run."""
        if source.path not in self.keys:
            content = self.read(source.path)
            if isinstance(content, Loaded):
                self.keys[source.path] = None
            else:
                self.keys[source.path] = cache_key(content, source.path, source.kind)
        return self.keys[source.path]

    def cached(self, source: SourceFile, key: str | None) -> Loaded | None:
        """What the parse cache holds under the file's `key` (its bytes not read), or None."""
        if key is None or source.path in self.overrides or (kept := cached_only(key, self.cache)) is None:
            return None
        self.loaded[source.path] = key  # the bytes of that key were loaded: the file's, or what it was
        return kept

    def load(self, source: SourceFile) -> Loaded:
        """A file's records and problems; a loader bug is a problem of the file, not a crash."""
        kept = self.cached(source, self.keys.get(source.path))
        if kept is not None:
            return kept
        content = self.read(source.path)
        if isinstance(content, Loaded):
            return content
        name = cache_key(content, source.path, source.kind)
        self.loaded[source.path] = name
        if source.path in self.overrides:
            return load_source(content, source.path, source.kind)
        try:
            return cached_load(content, source.path, source.kind, self.cache, name)
        except Exception as err:  # noqa: BLE001 - a loader bug must not hide the other files' problems
            return Loaded(problems=[internal_problem(source.path, "读取", err)])

    def payload(self, source: SourceFile) -> Payload:
        """What validation keeps of one file (summary.payload)."""
        return payload(self.load(source), source.kind, self.bulk)

    def full(self, rel: str) -> Loaded:
        """A summarised file loaded in full again (once), for the positions of its problems."""
        if rel not in self.again:
            self.again[rel] = self.load(SourceFile(rel, classify(rel) or ""))
        return self.again[rel]


def read_source(root: Path, rel: str, kind: str, cache: Path | None = None) -> Loaded:
    """Load one file from disk (through the parse cache, when given); an unreadable file is a problem, not a crash."""
    return Files(root, {}, cache, frozenset()).load(SourceFile(rel, kind))


def _read(root: Path, rel: str) -> bytes | Loaded:
    try:
        return read_regular(os.path.join(root, rel))
    except NotRegularFile:
        return Loaded(
            problems=[
                Problem(
                    rel,
                    1,
                    1,
                    "这不是普通文件（是管道、设备或套接字），不会被读取",
                    "删除它：登记簿里只能放普通文件",
                    "unreadable",
                )
            ]
        )
    except OSError as err:
        return Loaded(problems=[Problem(rel, 1, 1, f"无法读取文件：{err.strerror}", "检查文件权限", "unreadable")])


def _saved(
    state: State,
    files: Files,
    sources: list[SourceFile],
    stage: Callable[[list[SourceFile]], dict[str, Payload]],
) -> dict[str, Payload]:
    """`stage` of every file, {path: payload}, wrapped in the saved state: a file whose bytes the last run
    saw gets its payload back, the others go through `stage` and are saved. A file whose identity is the one the
    last run found is not read again to know its bytes (`State.known_key`)."""
    if state.folder is None:
        return stage(sources)
    payloads: dict[str, Payload] = {}
    stamps = _stamped(state, files, sources)
    for source in sources:
        key = files.key(source)
        saved = None if key is None else state.get(source.path, key, stamps[source.path])
        if saved is not None:
            payloads[source.path] = saved
    todo = [source for source in sources if source.path not in payloads]
    made = stage(todo)
    for source in todo:
        key = files.key(source)
        if key is not None:  # an unreadable file is read again next time
            state.put(source.path, key, made[source.path], stamps[source.path])
    return payloads | made


def _stamped(state: State, files: Files, sources: list[SourceFile]) -> dict[str, Stamp | None]:
    """Each file's identity before it is read (None: an edit's bytes, or not a regular file); the key of a file whose
    identity is the one the last run found, settled, is known without reading it (`State.known_key`)."""
    stamps: dict[str, Stamp | None] = {}
    seen = time.time_ns()  # before any file is looked at
    for source in sources:
        if source.path in files.overrides:
            stamps[source.path] = None
            continue
        stamps[source.path] = stamp(os.path.join(files.root, source.path), seen)
        known = state.known_key(source.path, stamps[source.path])
        if known is not None:
            files.keys[source.path] = known
    return stamps


def _keyed(
    state: State,
    files: Files,
    sources: list[SourceFile],
    stage: Callable[[list[SourceFile]], dict[str, Payload]],
) -> dict[str, Payload]:
    """`stage` of every file, {path: payload}, for a full run: each file is loaded (a file whose key the state
    knows, from the parse cache without being read), and the key of the bytes it was loaded from is kept with the
    identity it had before (`State.keep`)."""
    if state.folder is None:
        return stage(sources)
    stamps = _stamped(state, files, sources)
    made = stage(sources)
    for source in sources:
        key = files.loaded.get(source.path)
        if key is not None and source.path not in files.overrides:
            state.keep(source.path, key, stamps[source.path])
    return made


_PARALLEL_FROM = 64  # files to load; below this a pool costs more than it saves


def _on_every_core(files: Files, sources: list[SourceFile]) -> dict[str, Payload]:
    """`files.payload` of every file, {path: payload}: in forked workers for the files worth it, the rest here (those
    the parse cache holds first: a city's 26,000 are not looked for in the cache folder before being read there)."""
    held = _held(files, sources) if fork_workers(len(sources), _PARALLEL_FROM) >= 2 else {}
    forked = _forked(
        files, [source for source in sources if source.path not in files.overrides and source.path not in held]
    )
    return {
        source.path: held[source.path]
        if source.path in held
        else forked[source.path]
        if source.path in forked
        else files.payload(source)
        for source in sources
    }


def _held(files: Files, sources: list[SourceFile]) -> dict[str, Payload]:
    """The payloads of the files the parse cache holds (of a kind not to be summarised: the workers summarise),
    loaded here, {path: payload}."""
    if files.cache is None:
        return {}
    held: dict[str, Payload] = {}
    for source in sources:
        if source.kind not in files.bulk and (kept := files.cached(source, files.key(source))) is not None:
            held[source.path] = payload(kept, source.kind, files.bulk)
    return held


def _forked(files: Files, sources: list[SourceFile]) -> dict[str, Payload]:
    """The payloads of the files worth loading in forked workers, {path: payload}.

    Workers inherit `files` by forking, parse and convert (storing parse-cache entries as they go),
    summarise bulk files, and send each payload back pickled; the parent unpickles while they work on.
    Files the parse cache holds (unless they are to be summarised), and every file when there are few,
    are left to the caller.
    """
    if fork_workers(len(sources), _PARALLEL_FROM) < 2:
        return {}  # too few files (or one core): not worth reading them to find the misses
    todo = [source for source in sources if source.kind in files.bulk or not _in_parse_cache(files, source)]
    workers = fork_workers(len(todo), _PARALLEL_FROM)
    if workers < 2:
        return {}
    parsed: dict[str, Payload] = {}
    with fork_pool(workers, files) as pool:
        jobs = [(source.path, source.kind) for source in todo]
        for (path, _), packed in zip(jobs, pool.imap(_payload_in_worker, jobs, chunksize=8)):
            if packed is not None:
                name, parsed[path] = pickle.loads(packed)
                if name is not None:
                    files.loaded[path] = name  # the key of the bytes the worker loaded
    return parsed


def _in_parse_cache(files: Files, source: SourceFile) -> bool:
    if files.cache is None:
        return False
    key = files.key(source)
    return key is None or is_cached(key, files.cache)  # unreadable: not for the workers, Files.load reports it


def _payload_in_worker(job: tuple[str, str]) -> bytes | None:
    files: Files = shared()
    made = files.payload(SourceFile(*job))
    try:
        return pickle.dumps((files.loaded.get(job[0]), made), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, RecursionError, TypeError):
        return None  # the parent loads this one itself


# --- the model ----------------------------------------------------------------------------------


def _model(files: Files, sources: list[SourceFile], payloads: Mapping[str, Payload]) -> Registry:
    """The registry of every file's records, a summarised file's stubs in its place, in file order."""
    if _MODELS is not None:
        return _model_kept(files, sources, payloads, _MODELS)
    return _model_whole(files, sources, payloads)


def _model_whole(files: Files, sources: list[SourceFile], payloads: Mapping[str, Payload]) -> Registry:
    records: list[Record] = []
    shadows: set[tuple[str, str | None]] = set()
    for source in sources:
        records += _records_of(files, source, payloads[source.path])
        shadows.update(payloads[source.path].shadows)
    return Registry.build(files.root, records, shadows, stubs=files.bulk)


def _records_of(files: Files, source: SourceFile, made: Payload) -> list[Record]:
    if isinstance(made, Summary):
        return stubs(source.path, source.kind, made, FileDoc(source.path, files.full))
    return made.records


# What `models_in_memory` keeps of the last model: kind -> its files' payloads (path and payload, in order; held, so
# that an identity is never another payload's) and the part of the registry made of them.
Models = dict[str, tuple[tuple[tuple[str, Payload], ...], KindPart]]
_MODELS: Models | None = None


@contextmanager
def models_in_memory(memory: Models) -> Iterator[None]:
    """While inside, a validation makes the part of the registry of a kind whose files' payloads are the very objects
    the last one made it of (`serve`: every file the parse cache keeps in memory, `cache.loaded_in_memory`) from
    that part, not again (a city's 200,000 members took 0.3 s of every save); the caller keeps `memory`."""
    global _MODELS
    before, _MODELS = _MODELS, memory
    try:
        yield
    finally:
        _MODELS = before


def _model_kept(files: Files, sources: list[SourceFile], payloads: Mapping[str, Payload], memory: Models) -> Registry:
    """`_model_whole`'s registry, each kind's part taken from `memory` when its files' payloads are the same objects
    in the same order (a payload is never changed once made: `tests/test_loaded_in_memory.py`), else made and kept."""
    grouped: dict[str, list[SourceFile]] = {}
    shadows: set[tuple[str, str | None]] = set()
    for source in sources:
        grouped.setdefault(source.kind, []).append(source)
        shadows.update(payloads[source.path].shadows)
    parts: dict[str, KindPart] = {}
    for kind, of_kind in grouped.items():
        held = tuple((source.path, payloads[source.path]) for source in of_kind)
        kept = memory.get(kind)
        if (
            kept is not None
            and len(kept[0]) == len(held)
            and all(was[0] == now[0] and was[1] is now[1] for was, now in zip(kept[0], held))
        ):
            parts[kind] = kept[1]
            continue
        records = [record for source in of_kind for record in _records_of(files, source, payloads[source.path])]
        part = KindPart.of(kind, records)
        if part is None:  # a file holding records of another kind: `Registry.build` orders kinds by the records
            memory.clear()
            return _model_whole(files, sources, payloads)
        parts[kind] = part
        if any(isinstance(made, Summary) for _, made in held):
            memory.pop(kind, None)  # stubs are made anew from a summary each time
        else:
            memory[kind] = (held, part)
    for gone in memory.keys() - grouped.keys():
        del memory[gone]
    at = {source.path: number for number, source in enumerate(sources)}
    found = {kind: at.get(part.records[0].file) for kind, part in parts.items() if part.records}
    firsts = {kind: first for kind, first in found.items() if first is not None}
    if len(firsts) != len(found):
        memory.clear()  # a record of no file found: the order of kinds is the records' own
        return _model_whole(files, sources, payloads)
    order = sorted(firsts, key=firsts.__getitem__)  # kinds as `Registry.build` finds them, by first record
    return Registry.from_parts(files.root, {kind: parts[kind] for kind in order}, shadows, stubs=files.bulk)


def _written(payloads: Iterable[Payload]) -> int:
    """Records written in the files, summarised or not."""
    return sum(made.count if isinstance(made, Summary) else len(made.records) for made in payloads)


# --- problems: each file's own, then the cross-file rules', then the report ------------------------


def _file_problems(sources: list[SourceFile], payloads: Mapping[str, Payload]) -> list[Problem]:
    return [problem for source in sources for problem in payloads[source.path].problems]


def _cross_file(
    registry: Registry, files: Files, sources: list[SourceFile], payloads: Mapping[str, Payload]
) -> list[Problem]:
    """Every cross-file rule's problems; summarised files' references are checked against their summaries."""
    problems = [problem for rule in ALL_RULES for problem in _apply(rule, registry)]
    summaries = {s.path: made for s in sources if isinstance(made := payloads[s.path], Summary)}
    if summaries:
        problems += _apply(lambda reg: unresolved(reg, summaries, files.full), registry, "references_resolve")
    problems += _apply(lambda reg: _site_settings(files.root, files.overrides), registry, "mkdocs.yml")
    return problems


def _site_settings(root: Path, overrides: Mapping[str, bytes]) -> list[Problem]:
    """mkdocs.yml is in the root, so a pull request can change it: its problems are the registry's."""
    if THEME_FILE in overrides:
        return check_config(overrides[THEME_FILE], THEME_FILE, root).problems
    return read_site_config(root).problems


def _apply(rule: Callable, registry: Registry, name: str = "") -> list[Problem]:
    """Run one rule; a bug in a rule becomes a problem naming it, never a traceback."""
    try:
        return list(rule(registry))
    except Exception as err:  # noqa: BLE001 - the safety net of a tool that must never crash
        return [internal_problem("registry", f"校验规则 {name or rule.__name__}", err)]


def _report(problems: list[Problem]) -> list[Problem]:
    """Sorted by file and position, identifiers redacted from every message."""
    return sort_problems([redact_problem(problem) for problem in problems])
