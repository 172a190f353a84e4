"""Each kind's pages kept between builds by what they read (issue 23's declared inputs, for pages).

A kind whose pages declare the records they read (`SiteKind.reads`, a `kept.Aggregate`: kinds, of some only fields,
and the build's day or not) has a key for them (`kept.key`). When the last build of the same output had the same key
for it, and every page of it shows the same revisions (its sources' commits, as the page shows them), the kind's pages
are the ones that build made: their addresses, titles, descriptions, templates, sources and keys come from its
manifest, and their contexts are neither made nor digested (at city, 40,000 contexts and keys took about 4 s of a
rebuild after one story changed). Such a page's context is `Pending`: a page that is not carried over after all
(its file was changed in the output, a global it read changed) makes its kind's pages again before it is rendered
(`Pages.resolve`).

Sound when the declaration is: `tests/test_kept.py` computes each kind's pages (their addresses, titles and the digests
of their contexts) from a registry refusing what the kind did not declare, from one without it, and after random
edits of it, and asks for the same pages; the incremental-equals-cold property builds with kept page lists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..history import Revision
from . import kept, kinds
from .data import SiteData
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


# A page as kept: (address, title, description, template, sources, key, digest of its revisions)
Stub = tuple[str, str, str, str, tuple[str, ...], str, str | None]


@dataclass
class _Kind:
    kind: SiteKind
    key: str | None  # its pages' key now (None: not kept)
    pages: list[SitePage]
    stubs: list[Stub] | None  # its pages as the last build kept them, when they are those (contexts Pending)


class Pages:
    """Every page of the site in the kinds' order, a kept kind's as the last build left them."""

    def __init__(
        self,
        data: SiteData,
        before: Mapping[str, Any],
        shown: Callable[[tuple[str, ...]], list[Revision]],
    ) -> None:
        self.data = data
        self.keys: dict[str, str] = {}  # a kept page's address → its key (the others' are computed)
        self.revisions: dict[str, Revisions] = {}
        self._kinds: list[_Kind] = []
        for kind in kinds.KINDS:
            key = kept.key(data.reg, kind.reads, data.today) if kind.reads is not None else None
            stubs = _stubs(before.get(kind.name), key) if key is not None else None
            if stubs is not None:
                revisions = [shown(stub[4]) if stub[4] else None for stub in stubs]
                if all(revisions_digest(r) == stub[6] for r, stub in zip(revisions, stubs)):
                    pages = [SitePage(s[0], s[1], s[3], Pending(kind.name), s[2], s[4]) for s in stubs]
                    self.keys.update((stub[0], stub[5]) for stub in stubs)
                    self.revisions.update((stub[0], r) for stub, r in zip(stubs, revisions))
                    self._kinds.append(_Kind(kind, key, pages, stubs))
                    continue
            pages = list(kind.pages(data))
            self.revisions.update((page.url, shown(page.sources) if page.sources else None) for page in pages)
            self._kinds.append(_Kind(kind, key, pages, None))

    def all(self) -> list[SitePage]:
        return [page for made in self._kinds for page in made.pages]

    def resolve(self, names: set[str]) -> dict[str, SitePage]:
        """The pages of these kept kinds made again (address → page), and those kinds no longer kept."""
        made_again: dict[str, SitePage] = {}
        for made in self._kinds:
            if made.kind.name not in names or made.stubs is None:
                continue
            pages = list(made.kind.pages(self.data))
            urls = [page.url for page in made.pages]
            if [page.url for page in pages] != urls:  # the declaration missed an input (the tests find it first)
                raise AssertionError(f"the {made.kind.name} pages kept are not the ones made: {made.kind.name}.reads")
            made.pages, made.stubs = pages, None
            for url in urls:
                self.keys.pop(url, None)
            made_again.update((page.url, page) for page in pages)
        return made_again

    def groups(self, keys: Mapping[str, str | None]) -> dict[str, tuple[str, list[Stub]]]:
        """What to keep for the next build: each kind with a key whose every page has one (`keys`: this build's)."""
        found: dict[str, tuple[str, list[Stub]]] = {}
        for made in self._kinds:
            if made.key is None:
                continue
            if made.stubs is not None:  # kept, every page carried over as it was: kept again as it is
                found[made.kind.name] = (made.key, made.stubs)
                continue
            stubs: list[Stub] = []
            for page in made.pages:
                key = keys.get(page.url)
                if key is None:
                    break  # a volatile page: rendered at every build, so its kind's pages are made at every build
                revisions = revisions_digest(self.revisions.get(page.url))
                stubs.append((page.url, page.title, page.description, page.template, page.sources, key, revisions))
            else:
                found[made.kind.name] = (made.key, stubs)
        return found


def _stubs(kept_group: Any, key: str) -> list[Stub] | None:
    """The pages kept for a kind when kept under `key`, or None."""
    if not isinstance(kept_group, tuple) or len(kept_group) != 2 or kept_group[0] != key:
        return None
    stubs = kept_group[1]
    if not isinstance(stubs, list) or not all(isinstance(s, tuple) and len(s) == 7 for s in stubs):
        return None
    return stubs
