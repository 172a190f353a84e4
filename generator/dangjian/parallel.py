"""How many forked worker processes a step may use.

Work is shared by forking: the workers inherit the registry and the computed data
instead of receiving them pickled, so a step only pays for its own results.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def fork_workers(items: int, minimum: int, most: int = 4) -> int:
    """Processes to use for `items` items: 1 (stay serial) below `minimum` items, on one
    core, or where processes cannot be forked; else one per core, at most `most`."""
    if items < minimum or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(cores(), most))


_SHARED: Any = None


@contextmanager
def fork_pool(workers: int, shared: Any = None, *, collect: bool = False, renew: int | None = None) -> Iterator:
    """A pool of `workers` forked processes, closed on leaving the block. The workers
    inherit `shared` (read it with `shared()`) instead of receiving it pickled.

    With `renew`, a worker that has done that many tasks is replaced by one forked anew: what a
    worker reads of the parent's objects it copies, page by page (reading an object writes its
    reference count), and keeps until it ends. Without renewal, each of a city's two rendering
    workers held 400 MB of such copies by its last page (`renew_after`).

    The parent's objects are frozen out of the cyclic garbage collector while the pool
    lives, and each worker freezes what it inherited as it starts (a renewed worker inherits
    what the parent made since, its results among them: a city's index terms, millions of
    lists): a collection in a worker would otherwise touch every inherited object's header
    and copy the parent's memory, page by page, into the worker, and take seconds at city.
    A worker's collector is as the parent's was at the fork (paused inside `gc_paused`), or on
    with `collect` (workers that make and drop many objects with cycles, as rendering pages does).
    """
    global _SHARED
    _SHARED = shared
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(
            workers, initializer=_collect if collect else gc.freeze, maxtasksperchild=renew
        ) as pool:
            yield pool
    finally:
        gc.unfreeze()
        _SHARED = None


# Items a long-lived worker handles before it is replaced (`fork_pool`'s `renew`): each new worker costs a fork and its
# caches made again (together within the noise of a cold city build); by then a city's rendering worker has copied
# about 200 MB of its parent (docs/performance.md, round twenty-nine).
RENEW_ITEMS = 2000


def renew_after(chunk: int) -> int:
    """Tasks of `chunk` items a worker does before it is replaced (`RENEW_ITEMS`), at least one."""
    return max(1, RENEW_ITEMS // chunk)


def _collect() -> None:
    """A worker that collects its own cycles: what it inherited set aside first (`fork_pool`)."""
    gc.freeze()
    gc.enable()


def shared() -> Any:
    """In a worker of `fork_pool`, what the pool was given to share."""
    return _SHARED


def in_order(
    work: Callable[[Any, T], R], items: Sequence[T], given: Any, minimum: int, chunk: int, *, renew: bool = False
) -> Iterator[R]:
    """`work(given, item)` of each item, in the items' order: in this process below `minimum` items (or on one
    core), else on forked workers that inherit `given` and are sent the items `chunk` at a time (with `renew`, each
    replaced after `RENEW_ITEMS`). `work` must be a module-level function (the pool sends it by name)."""
    workers = fork_workers(len(items), minimum)
    if workers < 2:
        yield from (work(given, item) for item in items)
        return
    spans = [items[start : start + chunk] for start in range(0, len(items), chunk)]
    with fork_pool(workers, (work, given), renew=renew_after(chunk) if renew else None) as pool:
        for results in pool.imap(_in_order_span, spans):
            yield from results


def _in_order_span(items: Sequence[Any]) -> list[Any]:
    work, given = shared()
    return [work(given, item) for item in items]


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for a block that builds many objects and frees few.

    Loading a city registry creates millions of objects that live on; each allocation
    threshold crossed made the collector walk the older generations again, which took
    more than half of `dangjian validate`'s time. Records hold no reference cycles, so
    reference counting frees them once they are dropped. What the block leaves alive is
    frozen (out of the collector's sight until `gc.unfreeze()`): otherwise the first
    allocation after it would start a full collection walking every object it made.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


class ChildFailed(Exception):
    """A forked child (`forked`) ended without giving its value (killed, or the value could not be pickled)."""


def forked(work: Callable[[], T]) -> Callable[[], T]:
    """`work()` in a child forked now, while this process goes on: the function returned waits for the child and
    gives its value (pickled back through a pipe; ChildFailed when the child gave none). The child inherits this
    process as it is now: what this process changes after the fork, `work` never sees. On one core, or where processes
    cannot be forked, `work()` runs now, in this process, and the function returned gives its value."""
    if cores() < 2 or "fork" not in multiprocessing.get_all_start_methods():
        value = work()
        return lambda: value
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its value back pickled, then gone (no exit handlers, no buffers of the parent's)
        status = 1
        try:
            os.close(reader)
            with os.fdopen(writer, "wb") as answer:
                pickle.dump(work(), answer, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    answered: list[tuple[bool, Any]] = []  # (given, the value or the failure), once the child is reaped

    def wait() -> T:
        if not answered:
            with os.fdopen(reader, "rb") as answer:
                data = answer.read()
            _, status = os.waitpid(child, 0)
            if status != 0 or not data:
                answered.append((False, f"the forked child ended with status {status}"))
            else:
                answered.append((True, pickle.loads(data)))  # noqa: S301 - our own child's answer, our own pipe
        given, value = answered[0]
        if not given:
            raise ChildFailed(value)
        return value

    return wait
