"""Each kind's pages kept between builds by what they read (issue 23's declared inputs, for pages).

A kind whose pages declare the records they read (`SiteKind.reads`, a `kept.Aggregate`: kinds, of some only fields,
and the build's day or not) has a key for them (`kept.key`). When the last build of the same output had the same key
for it, and every page of it shows the same revisions (its sources' commits, as the page shows them), the kind's pages
are the ones that build made: their addresses, titles, descriptions, templates, sources and keys come from its
manifest, and their contexts are neither made nor digested (at city, 40,000 contexts and keys took about 4 s of a
rebuild after one story changed). Such a page's context is `Pending`: a page that is not carried over after all
(its file was changed in the output, a global it read changed) makes its kind's pages again before it is rendered
(`Pages.resolve`).

Some pages of a kind read a little of a kind the whole kind does not: an org page lists the org's own stories, a
member page the stories naming them. The kind declares those kinds page by page (`Aggregate.by_page`, not in its key)
and gives each such page's part (`SiteKind.parts`: the value it reads of them); a page whose part's digest is not the
one kept (or that gained or lost a part) is made alone (`SiteKind.alone`), with its context, and the kind's other
pages stay kept (a story edited: its org's page and its members', not the city's 6,000 org pages).

Sound when the declaration is: `tests/test_kept.py` computes each kind's pages (their addresses, titles and the digests
of their contexts) from a registry refusing what the kind did not declare, from one without it, and after random
edits of it, and asks for the same pages (the same addresses, and the same page wherever its part is the same); a
page made alone is the one its kind makes; the incremental-equals-cold property builds with kept page lists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..history import Revision
from . import kept, kinds
from .data import SiteData
from .incremental import Canon, Volatile, made_alone, made_noting
from .kinds.base import SiteKind, SitePage

Revisions = list[Revision] | None


class Pending(Mapping):
    """The context of a page kept by its kind (`Pages`): never read; `Pages.resolve` gives the page made again."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __getitem__(self, key: str) -> Any:
        raise LookupError(f"the {self.kind} pages were kept: resolve them before reading a context")

    def __iter__(self) -> Iterator[str]:
        raise LookupError(f"the {self.kind} pages were kept: resolve them before reading a context")

    def __len__(self) -> int:
        raise LookupError(f"the {self.kind} pages were kept: resolve them before reading a context")


def revisions_digest(revisions: Revisions) -> str | None:
    """What a page shows of its revisions (each one's commit, date and subject as cleared), as a digest."""
    if revisions is None:
        return None
    shown = repr([(r.sha, r.date.isoformat(), r.subject) for r in revisions])
    return hashlib.blake2b(shown.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# A page as kept: (address, title, description, template, sources, key, digest of its revisions, the digests of its
# parts: one per group of its kind's `parts`, in their names' order, None where it reads none of that group)
Stub = tuple[str, str, str, str, tuple[str, ...], str, str | None, tuple[str | None, ...]]
# What a kind keeps: its key, its pages, and the key of each group of its parts (`kept.key` of the group's `reads`)
Group = tuple[str, list[Stub], dict[str, str]]


@dataclass
class _Kind:
    kind: SiteKind
    key: str | None  # its pages' key now (None: not kept)
    pages: list[SitePage]
    # each page as the last build kept it (its context Pending), or None for a page made by this build; None: all made
    stubs: list[Stub | None] | None
    parts: dict[str, tuple[str | None, ...]]  # a page's address → the digests of its parts (a Stub's last field)
    groups: dict[str, str]  # each group of its parts → its key now


class Pages:
    """Every page of the site in the kinds' order, a kept kind's as the last build left them (but a page whose part
    changed: made alone)."""

    def __init__(
        self,
        data: SiteData,
        before: Mapping[str, Any],
        shown: Callable[[tuple[str, ...]], list[Revision]],
        canon: Canon,
    ) -> None:
        self.data = data
        self.keys: dict[str, str] = {}  # a kept page's address → its key (the others' are computed)
        self.revisions: dict[str, Revisions] = {}
        self._kinds: list[_Kind] = []
        for kind in kinds.KINDS:
            key = kept.key(data.reg, kind.reads, data.today) if kind.reads is not None else None
            names = sorted(kind.parts)
            groups: dict[str, str] = {}
            for name in names if key is not None else ():
                group = kept.key(data.reg, kind.parts[name].reads, data.today)
                if group is None:
                    key = None  # a group whose inputs cannot be keyed: the kind is made at every build
                    break
                groups[name] = group
            found_group = _group(before.get(kind.name), key, len(names)) if key is not None else None
            stubs, before_groups = found_group[1:] if found_group is not None else (None, {})
            parts: dict[str, tuple[str | None, ...]] = {}
            if key is not None and names:
                digested = _parts(kind, data, canon, names, groups, before_groups, stubs)
                if digested is None:
                    key, stubs = None, None  # a value that cannot be digested: made at every build
                else:
                    parts = digested
            found = self._kept(kind, key, stubs, parts, groups, shown) if stubs is not None else None
            if found is None:
                pages = list(made_noting(kind.pages(data)))
                self.revisions.update((page.url, shown(page.sources) if page.sources else None) for page in pages)
                found = _Kind(kind, key, pages, None, parts, groups)
            self._kinds.append(found)

    def _kept(
        self,
        kind: SiteKind,
        key: str | None,
        stubs: list[Stub],
        parts: dict[str, tuple[str | None, ...]],
        groups: dict[str, str],
        shown: Callable[[tuple[str, ...]], list[Revision]],
    ) -> _Kind | None:
        """The kind's pages as kept, each one showing other revisions or reading another part made alone; None when
        one of them cannot be made alone (its kind is made whole)."""
        if not parts.keys() <= {stub[0] for stub in stubs}:
            return None  # a part for a page the last build did not make
        none = (None,) * len(groups)
        pages: list[SitePage] = []
        still: list[Stub | None] = []
        keys: dict[str, str] = {}
        revisions: dict[str, Revisions] = {}
        for stub in stubs:
            url = stub[0]
            revisions[url] = shown(stub[4]) if stub[4] else None
            if revisions_digest(revisions[url]) == stub[6] and parts.get(url, none) == stub[7]:
                pages.append(SitePage(url, stub[1], stub[3], Pending(kind.name), stub[2], stub[4]))
                still.append(stub)
                keys[url] = stub[5]
            else:
                page = _made_alone(kind, self.data, url)
                if page is None:
                    return None
                pages.append(page)
                still.append(None)
        self.keys.update(keys)
        self.revisions.update(revisions)
        return _Kind(kind, key, pages, still, parts, groups)

    def all(self) -> list[SitePage]:
        return [page for made in self._kinds for page in made.pages]

    def resolve(self, pending: Mapping[str, set[str]]) -> dict[str, SitePage]:
        """These kept pages made again (kind name → their addresses; address → page): each one alone where its kind
        can make it alone (a page that read a name changed, `data.NAMES`), else its kind's pages all made again and
        the kind no longer kept."""
        made_again: dict[str, SitePage] = {}
        for made in self._kinds:
            urls = pending.get(made.kind.name)
            if not urls or made.stubs is None:
                continue
            alone = self._alone(made, urls)
            if alone is not None:
                made_again.update(alone)
                continue
            pages = list(made_noting(made.kind.pages(self.data)))
            listed = [page.url for page in made.pages]
            if [page.url for page in pages] != listed:  # the declaration missed an input (the tests find it first)
                raise AssertionError(f"the {made.kind.name} pages kept are not the ones made: {made.kind.name}.reads")
            made.pages, made.stubs = pages, None
            for url in listed:
                self.keys.pop(url, None)
            made_again.update((page.url, page) for page in pages)
        return made_again

    def _alone(self, made: _Kind, urls: set[str]) -> dict[str, SitePage] | None:
        """These pages of a kept kind made alone, the others still kept; None when one cannot be (nothing changed)."""
        assert made.stubs is not None
        found: dict[int, SitePage] = {}
        for n, page in enumerate(made.pages):
            if page.url in urls and made.stubs[n] is not None:
                alone = _made_alone(made.kind, self.data, page.url)
                if alone is None:
                    return None
                found[n] = alone
        for n, alone in found.items():
            made.pages[n] = alone
            made.stubs[n] = None
            self.keys.pop(alone.url, None)
        return {alone.url: alone for alone in found.values()}

    def groups(self, keys: Mapping[str, str | None]) -> dict[str, Group]:
        """What to keep for the next build: each kind with a key whose every page has one (`keys`: this build's)."""
        found: dict[str, Group] = {}
        for made in self._kinds:
            if made.key is None:
                continue
            none = (None,) * len(made.groups)
            stubs: list[Stub] = []
            for n, page in enumerate(made.pages):
                stub = made.stubs[n] if made.stubs is not None else None
                if stub is None:  # made by this build
                    key = keys.get(page.url)
                    if key is None:
                        break  # a volatile page: rendered at every build, so its kind's pages are made at every build
                    revisions = revisions_digest(self.revisions.get(page.url))
                    part = made.parts.get(page.url, none)
                    stub = (page.url, page.title, page.description, page.template, page.sources, key, revisions, part)
                stubs.append(stub)
            else:
                found[made.kind.name] = (made.key, stubs, made.groups)
        return found


def _made_alone(kind: SiteKind, data: SiteData, url: str) -> SitePage | None:
    """The kind's page at `url` made alone (`SiteKind.alone`), or None when the kind cannot make it so."""
    make = kind.alone
    page = made_alone(lambda: make(data, url)) if make is not None else None
    if page is not None and page.url != url:  # a kind's `alone` and `pages` disagree (the tests find it first)
        raise AssertionError(f"the {kind.name} page made alone for {url} is {page.url}")
    return page


def _parts(
    kind: SiteKind,
    data: SiteData,
    canon: Canon,
    names: list[str],
    groups: dict[str, str],
    before: dict[str, str],
    stubs: list[Stub] | None,
) -> dict[str, tuple[str | None, ...]] | None:
    """Each page's digests of its parts (address → one per group, None where it has none; a page reading none of
    any group: left out). A group whose key is the one the last build kept is not computed: its digests are the
    kept ones. None: a value that cannot be digested."""
    kept_parts = {stub[0]: stub[7] for stub in stubs} if stubs is not None else {}
    columns: list[dict[str, str | None]] = []
    for n, name in enumerate(names):
        if stubs is not None and before.get(name) == groups[name]:
            columns.append({url: part[n] for url, part in kept_parts.items() if part[n] is not None})
            continue
        try:
            columns.append({url: canon.digest(value) for url, value in kind.parts[name].values(data).items()})
        except Volatile:
            return None
    urls = {url for column in columns for url in column}
    return {url: tuple(column.get(url) for column in columns) for url in sorted(urls)}


def _group(kept_group: Any, key: str, groups: int) -> Group | None:
    """What the last build kept for a kind when kept under `key` (with `groups` groups of parts), or None."""
    if not isinstance(kept_group, tuple) or len(kept_group) != 3 or kept_group[0] != key:
        return None
    stubs, keys = kept_group[1], kept_group[2]
    if not isinstance(stubs, list) or not isinstance(keys, dict) or len(keys) != groups:
        return None
    if not all(isinstance(s, tuple) and len(s) == 8 and isinstance(s[7], tuple) and len(s[7]) == groups for s in stubs):
        return None
    return kept_group
