"""The validation run: find files, load each, build the model, apply every rule, collect all problems."""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .files import NotRegularFile, read_regular
from .load import Loaded, Record, SourceFile, classify, discover, load_source
from .cache import cache_dir, cached_load, is_cached, key as cache_key
from .model import Registry
from .parallel import fork_pool, fork_workers, gc_paused, shared
from .personal import redact_problem
from .problems import Problem, internal_problem, sort_problems
from .rules import ALL_RULES
from .summary import BULK_KINDS, FileDoc, State, Summary, stubs, summarize, unresolved


class NotARegistry(Exception):
    """The root folder holds no registry: a usage error, not a registry problem."""


@dataclass
class Validation:
    """The outcome of validating a registry root."""

    registry: Registry
    problems: list[Problem]
    files: int
    records: int  # as written (the registry of `validate(full=False)` holds fewer)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_source(root: Path, rel: str, kind: str, cache: Path | None = None) -> Loaded:
    """Load one file from disk (through the parse cache, when given); an unreadable file is a problem, not a crash."""
    data = _read(root, rel)
    if isinstance(data, Loaded):
        return data
    try:
        return cached_load(data, rel, kind, cache)
    except Exception as err:  # noqa: BLE001 - a loader bug must not hide the other files' problems
        return Loaded(problems=[internal_problem(rel, "读取", err)])


def _read(root: Path, rel: str, overrides: Mapping[str, bytes] | None = None) -> bytes | Loaded:
    """A file's bytes (an override's, when given), or a `Loaded` with the problem of reading it."""
    if overrides and rel in overrides:
        return overrides[rel]
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


def validate(root: Path, overrides: Mapping[str, bytes] | None = None, *, full: bool = True) -> Validation:
    """Validate the registry at `root`: every problem, sorted by file and position.

    `overrides` ({relative path: bytes}) replaces or adds files in memory, so an edit can
    be checked against the whole registry before it is written. `full=False` finds the
    same problems holding only summaries of the bulk files (see summary.py), and reuses
    the summaries of unchanged files saved by the last run: for `dangjian validate`; the
    registry it returns has stubs in place of members and activities and no ledger entries.
    """
    root = Path(root)
    if not (root / "registry").is_dir():
        raise NotARegistry(f"{root} 下没有 registry/ 文件夹：用 --root 指向登记簿的根目录")
    with gc_paused():
        return _validate(root, overrides or {}, full)


def _validate(root: Path, overrides: Mapping[str, bytes], full: bool) -> Validation:
    files, problems = discover(root)
    known = {source.path for source in files}
    files += [SourceFile(rel, kind) for rel in sorted(overrides) if rel not in known and (kind := classify(rel))]
    files.sort(key=lambda source: source.path)
    cache = cache_dir()
    state = State(None, {}) if full else State.open(cache, root)
    bulk = frozenset() if full else BULK_KINDS
    payloads = _payloads(root, files, overrides, cache, state, bulk)
    records: list[Record] = []
    shadows: set[tuple[str, str | None]] = set()
    summaries: dict[str, Summary] = {}
    count = 0
    again: dict[str, Loaded] = {}

    def full_file(rel: str) -> Loaded:
        """A summarised file, loaded in full again (once) for the positions of its problems."""
        if rel not in again:
            kind = classify(rel) or ""
            data = _read(root, rel, overrides)
            again[rel] = data if isinstance(data, Loaded) else cached_load(data, rel, kind, cache)
        return again[rel]

    for source in files:
        payload = payloads[source.path]
        if isinstance(payload, Summary):
            summaries[source.path] = payload
            records.extend(stubs(source.path, source.kind, payload, FileDoc(source.path, full_file)))
            count += payload.records
        else:
            records.extend(payload.records)
            count += len(payload.records)
        problems.extend(payload.problems)
        shadows.update(payload.shadows)
    registry = Registry.build(root, records, shadows, stubs=bulk)
    for rule in ALL_RULES:
        problems.extend(_apply(rule, registry))
    if summaries:
        problems.extend(_apply(lambda reg: unresolved(reg, summaries, full_file), registry, "references_resolve"))
    problems.extend(_apply(lambda reg: _site_settings(root, overrides), registry, "mkdocs.yml"))
    state.save()
    return Validation(registry, sort_problems([redact_problem(p) for p in problems]), len(files), count)


def _site_settings(root: Path, overrides: Mapping[str, bytes]) -> list[Problem]:
    """mkdocs.yml is in the root, so a pull request can change it: its problems are the registry's."""
    from .site.config import FILE, check_config, read_site_config

    if FILE in overrides:
        return check_config(overrides[FILE], FILE, root).problems
    return read_site_config(root).problems


_PARALLEL_FROM = 64  # files to load; below this a pool costs more than it saves


def _payloads(
    root: Path,
    files: list[SourceFile],
    overrides: Mapping[str, bytes],
    cache: Path | None,
    state: State,
    bulk: frozenset[str],
) -> dict[str, Loaded | Summary]:
    """Each file's payload, {path: payload}: a summary for the `bulk` kinds, else its loaded records.

    Payloads the state holds for the same bytes are reused; the others are loaded (on
    every core when there are many) and given to the state.
    """
    payloads: dict[str, Loaded | Summary] = {}
    keys: dict[str, str] = {}
    if state.folder is not None:
        for source in files:
            data = _read(root, source.path, overrides)
            if isinstance(data, Loaded):
                payloads[source.path] = data
                continue
            keys[source.path] = keys_of = cache_key(data, source.path, source.kind)
            payload = state.get(source.path, keys_of)
            if payload is not None:
                payloads[source.path] = payload
    missing = [source for source in files if source.path not in payloads]
    parsed = _load_in_workers(root, [s for s in missing if s.path not in overrides], cache, bulk, keys)
    for source in missing:
        payload = parsed.pop(source.path, None)
        if payload is None:
            payload = _load_one(root, source, overrides, cache, bulk)
        payloads[source.path] = payload
        if source.path in keys:
            state.put(source.path, keys[source.path], payload)
    return payloads


def _load_one(
    root: Path, source: SourceFile, overrides: Mapping[str, bytes], cache: Path | None, bulk: frozenset[str]
) -> Loaded | Summary:
    if source.path in overrides:
        loaded = load_source(overrides[source.path], source.path, source.kind)
    else:
        loaded = read_source(root, source.path, source.kind, cache)
    return summarize(loaded, source.kind) if source.kind in bulk else loaded


def _load_in_workers(
    root: Path, files: list[SourceFile], cache: Path | None, bulk: frozenset[str], keys: dict[str, str]
) -> dict[str, Loaded | Summary]:
    """The payloads of the files worth loading on every core, {path: payload}.

    Forked workers parse and convert (storing cache entries as they go), summarise
    bulk files, and send each payload back pickled; the parent unpickles while they
    work on. Files the parse cache holds (unless they are to be summarised), and every
    file when there are few, are left to the caller.
    """
    if fork_workers(len(files), _PARALLEL_FROM) < 2:
        return {}  # too few files (or one core): not worth reading them to find the misses
    todo = [source for source in files if source.kind in bulk or not _cached(root, source, cache, keys)]
    workers = fork_workers(len(todo), _PARALLEL_FROM)
    if workers < 2:
        return {}
    parsed: dict[str, Loaded | Summary] = {}
    with fork_pool(workers, (root, cache, bulk)) as pool:
        jobs = [(source.path, source.kind) for source in todo]
        for (path, _), packed in zip(jobs, pool.imap(_parse_one, jobs, chunksize=8)):
            if packed is not None:
                parsed[path] = pickle.loads(packed)
    return parsed


def _cached(root: Path, source: SourceFile, cache: Path | None, keys: dict[str, str]) -> bool:
    if cache is None:
        return False
    if source.path in keys:
        return is_cached(keys[source.path], cache)
    try:
        return is_cached(cache_key(read_regular(os.path.join(root, source.path)), source.path, source.kind), cache)
    except OSError:
        return True  # not for the workers: read_source reports it


def _parse_one(job: tuple[str, str]) -> bytes | None:
    root, cache, bulk = shared()
    payload = _load_one(root, SourceFile(*job), {}, cache, bulk)
    try:
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, RecursionError, TypeError):
        return None  # the parent loads this one itself


def _apply(rule, registry: Registry, name: str = "") -> list[Problem]:
    """Run one rule; a bug in a rule becomes a problem naming it, never a traceback."""
    try:
        return list(rule(registry))
    except Exception as err:  # noqa: BLE001 - the safety net of a tool that must never crash
        return [internal_problem("registry", f"校验规则 {name or rule.__name__}", err)]
