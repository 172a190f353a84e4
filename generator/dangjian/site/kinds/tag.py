"""Topics (专题) on the site: /tags/ lists every tag, /tags/<pinyin>/ everything tagged with one (stories,
projects, held activities), each with its Atom feed at /tags/<pinyin>/feed.xml.

A story's tag keeps its older page at /stories/tags/<pinyin>/ (stories only): both addresses are published,
so no link made before topics existed breaks. A tag's folder name is its pinyin (`rules/tags.py`), never the
tag's own text. Activities are listed by held date only (a planned one has not happened yet) and a topic page
shows the newest ACTIVITIES_SHOWN of them: a city's tag may gather thousands. Likewise it shows the newest
STORIES_SHOWN stories, linking to the tag's story pages (/stories/tags/<pinyin>/, in pages) for the rest.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...rules import tags as topics
from .. import feeds, kept, sharing
from ..markdown import render
from .base import LastChanged, SiteKind, SitePage, section
from ..persite import per_site

if TYPE_CHECKING:
    from ...load import Record
    from ..data import SiteData

FOLDER = "tags/"
ACTIVITIES_SHOWN = 100
STORIES_SHOWN = 200  # a city's tag gathered a thousand stories (260 KB on one page)


@dataclass
class Topic:
    """One tag and what carries it, each list newest first."""

    tag: str
    slug: str
    stories: list[Record] = field(default_factory=list)
    projects: list[Record] = field(default_factory=list)
    activities: list[Record] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.stories) + len(self.projects) + len(self.activities)


# What the topics read: the tagged kinds' records and the settings (a roster, result or org edit keeps them: 0.15 s
# CPU at city); of the stories, only what lists them and their tags (a story's text edited keeps them: 0.26 s at city,
# where they sort 60,000 activities)
TOPICS = kept.Aggregate(
    "topics", frozenset({"story", "project", "activity", "site"}), fields={"story": ("date", "tags")}
)


@per_site
def topics_of(data: SiteData) -> list[Topic]:
    """Every tag in use, in its pinyin's order (the order a reader looks for a Chinese word in); once a build, or as
    the last build kept them (`TOPICS`)."""
    return data.kept_value(TOPICS, lambda: _topics(data))


def _topics(data: SiteData) -> list[Topic]:
    found: dict[str, Topic] = {}
    lists: dict[str, list[Record]] = {
        "stories": data.stories,
        "projects": sorted(data.projects, key=_project_day, reverse=True),
        "activities": data.activities,
    }
    by_tag: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    for plural, records in lists.items():
        for record in records:
            for tag in dict.fromkeys(record.get("tags", [])):
                by_tag[tag][plural].append(record)
    slugs = topics.tag_slugs(by_tag)
    for tag, slug in sorted(slugs.items(), key=lambda item: (item[1], item[0])):
        found[tag] = Topic(tag, slug, **by_tag[tag])
    return list(found.values())


def _project_day(project: Record) -> datetime.date:
    """A project's date in a topic's feed and list: its latest update, else 1 January of its year."""
    days = [u["date"] for u in project.get("updates", [])]
    return max(days, default=datetime.date(project["year"], 1, 1))


def pages(data: SiteData) -> Iterator[SitePage]:
    found = topics_of(data)
    if not found:
        return
    yield SitePage(
        FOLDER,
        "专题",
        "tags.html",
        {"topics": found},
        "按标签汇集的典型事迹、书记项目和党员活动",
    )
    for topic in found:
        yield topic_page(topic, data.story_tags)


def topic_page(topic: Topic, story_tags: dict[str, str]) -> SitePage:
    sources = tuple(dict.fromkeys(r.file for r in topic.stories + topic.projects + topic.activities))
    context = {
        "topic": topic,
        "activities_shown": topic.activities[:ACTIVITIES_SHOWN],
        "activities_more": max(0, len(topic.activities) - ACTIVITIES_SHOWN),
        "stories_shown": topic.stories[:STORIES_SHOWN],
        "stories_more": max(0, len(topic.stories) - STORIES_SHOWN),
        "feed": f"{FOLDER}{topic.slug}/feed.xml",
        "tag_slugs": story_tags,  # a story's tags link to their stories' pages, as on every story list
    }
    return SitePage(
        f"{FOLDER}{topic.slug}/",
        f"专题：{topic.tag}",
        "tag.html",
        context,
        f"标注了“{topic.tag}”的典型事迹、书记项目和党员活动",
        sources,
    )


def feed_entries(topic: Topic) -> list[feeds.FeedEntry]:
    """A topic's entries, newest first: its stories, projects and held activities.

    Only the FEED_ENTRIES kept are rendered: a city's topic carries thousands of stories and projects, and each
    one's Markdown was rendered on every build. The entries are ordered as before (the same key, the same stable
    sort over the same list), then cut, then rendered."""
    Candidate = tuple[str, str, datetime.date, str, tuple[str, ...]]
    candidates: list[Candidate] = [
        (s["title"], f"stories/{s.slug}/", s["date"], s.body, tuple(s.get("tags", []))) for s in topic.stories
    ]
    candidates += [
        (p["title"], f"projects/{p.id}/", _project_day(p), p["goal"], tuple(p.get("tags", []))) for p in topic.projects
    ]
    candidates += [
        (a["title"], f"activities/{a['date']:%Y-%m}/", a["date"], a.get("summary", ""), tuple(a.get("tags", [])))
        for a in topic.activities[: feeds.FEED_ENTRIES]
    ]
    kept = sorted(candidates, key=lambda c: (c[2], c[1]), reverse=True)[: feeds.FEED_ENTRIES]
    return [feeds.FeedEntry(title, path, day, render(text), tags) for title, path, day, text, tags in kept]


def files(data: SiteData, changed: LastChanged) -> dict[str, bytes]:
    """tags/<pinyin>/feed.xml: each topic's newest entries as an Atom feed; and the share images every page's
    og:image names (site/sharing.py: they belong to no kind, and the build writes only kinds' files)."""
    title, base_url = data.settings.get("title", ""), data.settings.get("base_url")
    return sharing.site_images(data) | {
        f"{FOLDER}{t.slug}/feed.xml": feeds.atom(
            title, base_url, f"{FOLDER}{t.slug}/", f"专题：{t.tag}", feed_entries(t), data.today, changed
        )
        for t in topics_of(data)
    }


def nav(data: SiteData) -> list[tuple[str, str]]:
    """专题 in the nav once some record is tagged."""
    return section("专题", FOLDER)(data) if topics_of(data) else []


KIND: SiteKind = SiteKind(  # annotated: mypy cannot infer it through the kinds <-> data import cycle
    name="tag",
    urls=(FOLDER, rf"{FOLDER}[a-z0-9-]+/"),
    pages=pages,
    nav=nav,
    files=files,
)
