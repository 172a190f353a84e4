"""The validation run: find files, load each, build the model, apply every rule, collect all problems."""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .load import Loaded, Record, SourceFile, classify, discover, load_source
from .cache import cache_dir, cached_load, is_cached
from .model import Registry
from .parallel import fork_pool, fork_workers, shared
from .personal import redact_problem
from .problems import Problem, sort_problems
from .rules import ALL_RULES


class NotARegistry(Exception):
    """The root folder holds no registry: a usage error, not a registry problem."""


@dataclass
class Validation:
    """The outcome of validating a registry root."""

    registry: Registry
    problems: list[Problem]
    files: int

    @property
    def ok(self) -> bool:
        return not self.problems


def read_source(root: Path, rel: str, kind: str, cache: Path | None = None) -> Loaded:
    """Load one file from disk (through the parse cache, when given); an unreadable file is a problem, not a crash."""
    try:
        data = (root / rel).read_bytes()
    except OSError as err:
        return Loaded(problems=[Problem(rel, 1, 1, f"无法读取文件：{err.strerror}", "检查文件权限", "unreadable")])
    try:
        return cached_load(data, rel, kind, cache)
    except Exception as err:  # noqa: BLE001 - a loader bug must not hide the other files' problems
        return Loaded(problems=[_internal(rel, "读取", err)])


def validate(root: Path, overrides: Mapping[str, bytes] | None = None) -> Validation:
    """Validate the registry at `root`: every problem, sorted by file and position.

    `overrides` ({relative path: bytes}) replaces or adds files in memory, so an edit can
    be checked against the whole registry before it is written.
    """
    root = Path(root)
    overrides = overrides or {}
    if not (root / "registry").is_dir():
        raise NotARegistry(f"{root} 下没有 registry/ 文件夹：用 --root 指向登记簿的根目录")
    files, problems = discover(root)
    known = {source.path for source in files}
    files += [SourceFile(rel, kind) for rel in sorted(overrides) if rel not in known and (kind := classify(rel))]
    files.sort(key=lambda source: source.path)
    records: list[Record] = []
    shadows: set[tuple[str, str | None]] = set()
    cache = cache_dir()
    parsed = _parse_in_workers(root, [s for s in files if s.path not in overrides], cache)
    for source in files:
        if source.path in overrides:
            loaded = load_source(overrides[source.path], source.path, source.kind)
        elif source.path in parsed:
            loaded = parsed.pop(source.path)
        else:
            loaded = read_source(root, source.path, source.kind, cache)
        records.extend(loaded.records)
        problems.extend(loaded.problems)
        shadows.update(loaded.shadows)
    registry = Registry.build(root, records, shadows)
    for rule in ALL_RULES:
        problems.extend(_apply(rule, registry))
    return Validation(registry, sort_problems([redact_problem(p) for p in problems]), len(files))


_PARALLEL_FROM = 64  # files to parse; below this a pool costs more than it saves


def _parse_in_workers(root: Path, files: list[SourceFile], cache: Path | None) -> dict[str, Loaded]:
    """Load the files the cache does not hold on every core, {path: loaded}.

    Forked workers parse and convert (storing cache entries as they go) and send each
    file's result back pickled; the parent unpickles while they parse on. Files the
    cache holds, and every file when there are few to parse, are left to the caller.
    """
    if fork_workers(len(files), _PARALLEL_FROM) < 2:
        return {}  # too few files (or one core): not worth reading them to find the misses
    todo = files if cache is None else [source for source in files if not _cached(root, source, cache)]
    workers = fork_workers(len(todo), _PARALLEL_FROM)
    if workers < 2:
        return {}
    parsed: dict[str, Loaded] = {}
    with fork_pool(workers, (root, cache)) as pool:
        jobs = [(source.path, source.kind) for source in todo]
        for (path, _), packed in zip(jobs, pool.imap(_parse_one, jobs, chunksize=8)):
            if packed is not None:
                parsed[path] = pickle.loads(packed)
    return parsed


def _cached(root: Path, source: SourceFile, cache: Path) -> bool:
    try:
        return is_cached((root / source.path).read_bytes(), source.path, source.kind, cache)
    except OSError:
        return True  # not for the workers: read_source reports it


def _parse_one(job: tuple[str, str]) -> bytes | None:
    root, cache = shared()
    loaded = read_source(root, job[0], job[1], cache)
    try:
        return pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, RecursionError, TypeError):
        return None  # the parent loads this one itself


def _apply(rule, registry: Registry) -> list[Problem]:
    """Run one rule; a bug in a rule becomes a problem naming it, never a traceback."""
    try:
        return list(rule(registry))
    except Exception as err:  # noqa: BLE001 - the safety net of a tool that must never crash
        return [_internal("registry", f"校验规则 {rule.__name__}", err)]


def _internal(file: str, what: str, err: Exception) -> Problem:
    where = traceback.extract_tb(err.__traceback__)[-1]
    return Problem(file, 1, 1, f"{what}时出错：{type(err).__name__}: {err}",
                   f"这是 dangjian 的缺陷（{Path(where.filename).name}:{where.lineno}），请报告；其他检查的结果仍然有效", "internal")
