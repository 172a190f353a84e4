"""Pages whose context is made lazily (`incremental.Made`, the yearly reports' charts): a page is carried over by
the digest of its inputs, its context never made; so an edit that changes what such a page would show must change
its inputs' digest.

The properties, over random edits that reach the reports only through their aggregates (an activity's kind, month
or headcount, rolled up to the org's ancestors; an activity moved to another org or deleted; a member made
private; a project or story deleted):
- for every page, the same key before and after the edit means the same context made (no build needed);
- a site rebuilt incrementally after the edit equals a cold build of the edited registry, byte for byte
(test_incremental's tiny registry, its helpers and its edits of members and records).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings, strategies as st

from dangjian.recordtypes import ACTIVITY_KINDS
from dangjian.site import incremental
from dangjian.site.build import build_date
from dangjian.site.data import SiteData
from dangjian.site.pages import all_pages
from dangjian.validate import validate
from test_incremental import (
    EPOCH,
    Undo,
    _rewrite,
    _yaml_files,
    delete_record,
    edited_then_rebuilt,
    member_public,
    tiny,  # noqa: F401 - a fixture, used by name
)


def _activity(root: Path, n: int, change: Callable[[list, int], None]) -> Undo:
    """Change one activity (the n-th of its org's file) with `change(the file's list, its index)`."""
    files = _yaml_files(root, "registry/activities")
    path = files[n % len(files)]

    def edit(activities: object) -> None:
        assert isinstance(activities, list) and activities
        change(activities, (n // len(files)) % len(activities))

    return _rewrite(path, edit)


def activity_kind(root: Path, n: int) -> Undo:
    """Another kind: its org's and every ancestor's report chart by kind and month changes."""

    def other(activities: list, i: int) -> None:
        kind = activities[i]["kind"]
        step = 1 + n % (len(ACTIVITY_KINDS) - 1)  # never the same kind
        activities[i]["kind"] = ACTIVITY_KINDS[(ACTIVITY_KINDS.index(kind) + step) % len(ACTIVITY_KINDS)]

    return _activity(root, n, other)


def activity_month(root: Path, n: int) -> Undo:
    """The first day of a month of the same year not after its own (never after the build's day)."""

    def move(activities: list, i: int) -> None:
        day = activities[i]["date"]
        activities[i]["date"] = datetime.date(day.year, 1 + (day.month + n) % day.month, 1)

    return _activity(root, n, move)


def activity_headcount(root: Path, n: int) -> Undo:
    def more(activities: list, i: int) -> None:
        activities[i]["headcount"] = int(activities[i].get("headcount") or 0) + 1 + n % 5

    return _activity(root, n, more)


def activity_deleted(root: Path, n: int) -> Undo:
    return _activity(root, n, lambda activities, i: activities.pop(i))


def activity_moved(root: Path, n: int) -> Undo:
    """An activity given to another org (its branch's parent, a village: nobody attends it there)."""
    orgs = {p.stem for p in _yaml_files(root, "registry/orgs")}

    def move(activities: list, i: int) -> None:
        org = activities[i]["org"]
        parent = org.rsplit("-", 1)[0]
        activities[i]["org"] = parent if parent in orgs and parent != org else org
        activities[i]["attendees"] = []

    return _activity(root, n, move)


EDITS = [
    activity_kind,
    activity_month,
    activity_headcount,
    activity_deleted,
    activity_moved,
    member_public,
    delete_record,
]


def _contexts(root: Path) -> dict[str, tuple[str | None, str]]:
    """Every page's key, and the digest of its context as made (a lazy one made now), by address."""
    result = validate(root)
    assert result.ok, result.problems[:3]
    data = SiteData(result.registry, build_date())
    canon = incremental.Canon()
    found = {}
    for page in all_pages(data):
        found[page.url] = (canon.page_key(page, None), canon.digest(dict(page.context)))
    return found


def test_the_reports_are_made_lazily_and_keyed_by_their_inputs(tiny: tuple[Path, Path, Path]) -> None:
    """The check below is not empty: the reports' contexts are `Made`, and a key is not the context's digest."""
    root = tiny[0]
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    data = SiteData(validate(root).registry, build_date())
    lazy = [page for page in all_pages(data) if isinstance(page.context, incremental.Made)]
    assert lazy and all(page.template == "report.html" for page in lazy)
    assert None not in [incremental.Canon().page_key(page, None) for page in lazy]  # none volatile: all carried
    page = lazy[0]
    assert page.context._made is None  # listing the pages made no context
    key = incremental.Canon().digest(page.context)
    assert page.context._made is None  # nor did its key
    assert incremental.Canon().digest(dict(page.context)) != key


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edit=st.sampled_from(EDITS), n=st.integers(0, 1000))
@example(edit=activity_kind, n=0)
@example(edit=activity_month, n=1)
@example(edit=activity_headcount, n=2)
@example(edit=activity_deleted, n=3)
@example(edit=activity_moved, n=4)
@example(edit=member_public, n=5)
@example(edit=delete_record, n=6)
def test_an_unchanged_key_means_an_unchanged_page(
    tiny: tuple[Path, Path, Path], edit: Callable[[Path, int], Undo], n: int
) -> None:
    """The same key before and after the edit means the same context made; and a rebuild equals a cold build."""
    before: dict[str, tuple[str | None, str]] = {}

    def measured(root: Path, n: int) -> Undo:
        before.update(_contexts(root))
        return edit(root, n)

    with edited_then_rebuilt(tiny, measured, n) as root:
        after = _contexts(root)
        assert None not in [key for key, _ in after.values()]  # (a volatile page's None would match any)
        assert after != before  # the edit changed something
        stale = [url for url, now in after.items() if url in before and before[url][0] == now[0] and before[url] != now]
        assert stale == [], f"a page's inputs did not change, but what it shows did: {stale[:5]}"
