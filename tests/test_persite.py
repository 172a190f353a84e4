"""`site.persite.per_site`: an aggregate made once per build's SiteData, never kept after the build."""

from __future__ import annotations

import gc
import weakref

from dangjian.site.persite import per_site


class Data:  # stands for a SiteData: any object a weak reference can point at
    pass


class Value:
    pass


def test_made_once_per_data_and_per_arguments():
    calls = []

    @per_site
    def made(data: Data, limit: int = 0) -> tuple[int, int]:
        calls.append((id(data), limit))
        return (len(calls), limit)

    one, two = Data(), Data()
    assert made(one) is made(one)
    assert made(one, 5) is made(one, 5) and made(one, 5) != made(one)
    assert made(two) != made(one)  # a second build (serve) never gets the first's values
    assert made(one, limit=7) is made(one, limit=7)
    assert len(calls) == 4


def test_a_finished_builds_values_go_with_its_data():
    @per_site
    def made(data: Data) -> Value:
        return Value()

    data = Data()
    kept = weakref.ref(made(data))
    assert kept() is not None
    del data
    gc.collect()
    assert kept() is None  # the memo held neither the data nor what was made from it
