"""Topics (标签): the tags of stories, projects and activities, checked against `site.yaml`'s `tags:`.

A tag is registry text that becomes a page's address (`/tags/<pinyin>/`, and `/stories/tags/<pinyin>/` for
a story's), so the one way a tag becomes a folder name lives here, beside the rules that keep addresses
stable: `site.yaml` may declare the tags in use; when it does, a tag not declared is a problem (with the
nearest declared one as a hint, so 乡村振兴 and 乡村振新 do not make two topics), a declared tag must hold a
letter, digit or Chinese character, and two declared tags may not share a pinyin (their addresses would
depend on which came first). When `tags:` is absent every tag is accepted, as in version 1.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ..load import Record
from ..model import Registry, reads
from ..normalise import HAN_RANGES
from ..problems import Problem
from ..schema import did_you_mean

if TYPE_CHECKING:
    from ..cache import Sealed

TAGGED_KINDS = ("story", "project", "activity")
_WORDY = re.compile(f"[0-9A-Za-z{HAN_RANGES}]")


def pinyin_slug(text: str) -> str:
    """The tag's pinyin as a folder name of [a-z0-9-] only ("" when nothing of it is a letter or digit)."""
    return pinyin_slugs([text])[text]


def pinyin_slugs(texts: Iterable[str]) -> dict[str, str]:
    """`pinyin_slug` of each text. The slugs made are kept in the cache folder (part `tags/`, by this code and
    pypinyin's version): loading pypinyin's dictionaries cost 0.25–0.35 s of every build with tags."""
    texts = list(texts)
    kept = _kept()
    missing = [text for text in dict.fromkeys(texts) if text not in kept]
    if missing:
        from pypinyin import lazy_pinyin  # its dictionaries take a while to load: only for a tag not seen before

        for text in missing:
            words = (re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-") for word in lazy_pinyin(text))
            kept[text] = "-".join(w for w in words if w)[:60].strip("-")
        _keep(kept)
    return {text: kept[text] for text in texts}


_SLUG = re.compile(r"[a-z0-9-]{0,60}\Z")
_KEPT: dict[str, str] | None = None  # this process's slugs, read from the cache at first use


def _kept() -> dict[str, str]:
    global _KEPT
    if _KEPT is None:
        from ..cache import cache_dir  # the cache imports the loader, which imports the rules

        found = _sealed().read(cache_dir(), _entry_name())
        _KEPT = {}
        if isinstance(found, dict) and all(
            isinstance(text, str) and isinstance(slug, str) and _SLUG.match(slug) for text, slug in found.items()
        ):
            _KEPT.update(found)  # only folder names of [a-z0-9-]: a slug becomes a path
    return _KEPT


def _keep(slugs: dict[str, str]) -> None:
    from ..cache import cache_dir

    _sealed().write(cache_dir(), _entry_name(), slugs)


def _entry_name() -> str:
    """This code and pypinyin as installed (its version and files): what a tag's slug is made by."""
    from ..provenance import made_by

    return f"{made_by(('rules/tags.py',), ('pypinyin',))}.slugs"


def _sealed() -> Sealed:
    from ..cache import Sealed

    return Sealed("tags", b"dangjian-tags 1", 1 << 20)


def tag_slugs(tags: Iterable[str]) -> dict[str, str]:
    """tag → a folder name made of [a-z0-9-] only (the tag's pinyin), unique among the tags.

    A tag may hold "/", "..", or anything else, so it never becomes a path itself; a tag with no pinyin
    is "tag", and a second tag of the same pinyin gets "-2" (in the order of the tags' text).
    """
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    ordered = sorted(set(tags))
    made = pinyin_slugs(ordered)
    for tag in ordered:
        base = made[tag] or "tag"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        slugs[tag] = slug
    return slugs


def declared_tags(reg: Registry) -> list[str] | None:
    """site.yaml's `tags:`, or None when it declares none (then every tag is accepted)."""
    site = reg.settings
    if site is None or "tags" not in site.data:
        return None
    return list(site["tags"])


@reads(activity=("tags",))
def declared_tags_only(reg: Registry) -> Iterator[Problem]:
    """With `tags:` in site.yaml: each tag used is declared; each declared one is wordy and has a pinyin of its own."""
    declared = declared_tags(reg)
    if declared is None:
        return
    site = reg.settings
    assert site is not None
    yield from _declared_list(site, declared)
    known = set(declared)
    for kind in TAGGED_KINDS:
        for record in reg.all(kind):
            for index, tag in enumerate(record.get("tags", [])):
                if tag not in known:
                    yield record.problem(
                        ("tags", index),
                        f"标签“{tag}”不在 registry/site.yaml 的 tags 里",
                        did_you_mean(tag, declared) + " 新的标签要先加到 registry/site.yaml 的 tags 里",
                        "undeclared-tag",
                    )


def _declared_list(site: Record, declared: list[str]) -> Iterator[Problem]:
    by_slug: dict[str, str] = {}
    for index, tag in enumerate(declared):
        if not _WORDY.search(tag):
            yield site.problem(
                ("tags", index),
                f"标签“{tag}”里没有文字",
                "标签要有汉字、字母或数字，它会成为专题页的标题和网址",
                "tag-no-text",
            )
            continue
        slug = pinyin_slug(tag)
        if slug in by_slug:
            yield site.problem(
                ("tags", index),
                f"标签“{tag}”和“{by_slug[slug]}”的拼音相同（{slug}），专题页的网址会冲突",
                "合并成一个标签，或换一个说法",
                "tag-same-pinyin",
            )
        else:
            by_slug[slug] = tag
