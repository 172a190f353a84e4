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

from ..load import Record
from ..model import Registry, reads
from ..normalise import HAN_RANGES
from ..problems import Problem
from ..schema import did_you_mean

TAGGED_KINDS = ("story", "project", "activity")
_WORDY = re.compile(f"[0-9A-Za-z{HAN_RANGES}]")


def pinyin_slug(text: str) -> str:
    """The tag's pinyin as a folder name of [a-z0-9-] only ("" when nothing of it is a letter or digit)."""
    from pypinyin import lazy_pinyin  # its dictionaries take a while to load: only when there are tags

    words = (re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-") for word in lazy_pinyin(text))
    return "-".join(w for w in words if w)[:60].strip("-")


def tag_slugs(tags: Iterable[str]) -> dict[str, str]:
    """tag → a folder name made of [a-z0-9-] only (the tag's pinyin), unique among the tags.

    A tag may hold "/", "..", or anything else, so it never becomes a path itself; a tag with no pinyin
    is "tag", and a second tag of the same pinyin gets "-2" (in the order of the tags' text).
    """
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for tag in sorted(set(tags)):
        base = pinyin_slug(tag) or "tag"
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
