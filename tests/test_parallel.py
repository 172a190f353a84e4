"""Forked workers (`dangjian.parallel`): a renewed one takes what it inherited as its parent's, not its to collect."""

from __future__ import annotations

import gc
import os

import pytest

from dangjian import parallel


def _tracked(_: int) -> tuple[int, int]:
    """In a worker: its pid and how many objects its collector would walk."""
    return os.getpid(), len(gc.get_objects())


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork")
@pytest.mark.parametrize("collect", [False, True])
def test_a_renewed_worker_sets_aside_what_its_parent_made_since_the_pool_began(collect: bool) -> None:
    """A pool's workers are renewed after a few tasks (`renew`), each forked from the parent as it is then: with
    everything the parent made since the pool began (its results: a city's index terms, millions of lists). A worker
    whose collector walked those would touch, and copy, each of them at every full collection; each worker freezes
    what it inherited as it starts, so its collector walks only what it makes itself."""
    made_since: list[list[int]] = []
    with parallel.fork_pool(2, None, collect=collect, renew=1) as pool:
        first = pool.map(_tracked, range(2), chunksize=1)
        made_since.extend([n] for n in range(200_000))  # tracked objects the next workers inherit
        later = pool.map(_tracked, range(4), chunksize=1)
    assert not {pid for pid, _ in first} & {pid for pid, _ in later}  # renewed: other processes
    assert all(count < 50_000 for _, count in first + later), (first, later)
    assert len(made_since) == 200_000
