"""Values computed once per build: memoised on the build's SiteData, which they never keep alive.

Each aggregate of the site (the reports, the duty book, the 三会一课 compliance, the export files…) is made the
first time a page asks for it and shared by every page after; `serve` builds many SiteData in one process, so a
finished build's values must go with its data (weak keys), never linger or be served to the next build.
A leaf module: it imports nothing of the site, so `data.py`, the aggregates' modules and the kinds can all use it.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Concatenate, ParamSpec, TypeVar

D = TypeVar("D")  # the build's SiteData (weakly referable)
P = ParamSpec("P")
T = TypeVar("T")


def per_site(make: Callable[Concatenate[D, P], T]) -> Callable[Concatenate[D, P], T]:
    """`make(data, *args)` computed once for each SiteData and each (hashable) further arguments."""
    memo: weakref.WeakKeyDictionary[Any, dict[Hashable, T]] = weakref.WeakKeyDictionary()

    @functools.wraps(make)
    def once(data: D, /, *args: P.args, **kwargs: P.kwargs) -> T:
        made = memo.get(data)
        if made is None:
            made = memo[data] = {}
        key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
        if key not in made:
            made[key] = make(data, *args, **kwargs)
        return made[key]

    return once


def restored(kind: type[T], data: object, state: dict[str, Any]) -> T:
    """An object made per SiteData (its `_data` a weak reference to it), made again from its kept `state` for `data`
    without computing anything (`kept.value`'s `restore`)."""
    made = kind.__new__(kind)
    vars(made).update(state, _data=weakref.ref(data))
    return made
