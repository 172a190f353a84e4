"""典型事迹 on the site: the list (by year when long), a page per story, a page per tag, and the Atom feed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .. import feeds, images
from ...rules import tags as topics
from ..markdown import render
from .base import LastChanged, SiteKind, SitePage, by_year_pages, chunked, section

if TYPE_CHECKING:
    from ...load import Record
    from ...model import Registry
    from ..data import SiteData


STORIES_ON_ONE_PAGE = 200  # a city's 3,000 stories on one page were 618 KB


def listed(reg: Registry) -> list[Record]:
    """Newest first."""
    return sorted(reg.all("story"), key=lambda s: (s["date"], s.id), reverse=True)


def tag_slugs(tags: Iterable[str]) -> dict[str, str]:
    """tag → a folder name made of [a-z0-9-] only (the tag's pinyin), unique among the tags (`rules/tags.py`,
    which the topic pages at /tags/ share)."""
    return topics.tag_slugs(tags)


def slugs_of(data: SiteData, stories: Iterable[Record]) -> dict[str, str]:
    """The tag folders a list of these stories links to: its stories' tags only (a page listing an org's stories
    reads no other story's tags, so another story's new tag leaves it as it was)."""
    slugs = data.story_tags
    return {tag: slugs[tag] for story in stories for tag in story.get("tags", []) if tag in slugs}


def own_stories(
    data: SiteData, index: Mapping[str, Mapping[str, Any]], address: str, shown: Callable[[str], bool]
) -> dict[str, Any]:
    """Each page's own stories and their tags' folders, read by no other page of its kind (a `Part`'s values): for
    each id of `index` (`data.by_org`, `data.by_member`) that has stories and is `shown`, at `address` formatted
    with the id. A story edited makes again the pages of what it names, not the others."""
    found: dict[str, Any] = {}
    for key, lists in index.items():
        stories = lists.get("stories")
        if stories and shown(key):
            found[address.format(key)] = (stories, slugs_of(data, stories))
    return found


def pages(data: SiteData) -> Iterator[SitePage]:
    yield from story_indexes(data)
    for story in data.stories:
        yield story_page(data, story)
    yield from tag_pages(data)


def story_indexes(data: SiteData) -> list[SitePage]:
    """The list of stories: one page; or, for a long list, pages by year of at most STORIES_ON_ONE_PAGE
    (/stories/by-year/<year>/, then …/<year>/2/ and on; a story's own address is one folder deep, so none
    of these can be a story's), with /stories/ showing the first page of the newest year. A year's pages
    keep their addresses when a story of another year is added."""
    tags = Counter(t for s in data.stories for t in s.get("tags", []))
    slugs = data.story_tags  # pinyin: the order a reader looks for a Chinese word in
    context = {"tags": sorted(tags.items(), key=lambda item: (slugs[item[0]], item[0])), "tag_slugs": slugs}
    stories = data.stories
    if len(stories) <= STORIES_ON_ONE_PAGE:
        return [SitePage("stories/", "典型事迹", "stories.html", {"stories": stories, **context})]
    pages = []
    for url, chunk, paged in by_year_pages(stories, lambda s: s["date"].year, STORIES_ON_ONE_PAGE, "stories/by-year/"):
        year, n = paged["year"], paged["chunk"]
        title = f"{year}年典型事迹" + (f"（第{n}页）" if n > 1 else "")
        description = f"{year}年的典型事迹，新的在前"
        pages.append(SitePage(url, title, "stories.html", {"stories": chunk, **context, **paged}, description))
    first = pages[0]
    pages.insert(0, SitePage("stories/", "典型事迹", "stories.html", dict(first.context, here="stories/")))
    return pages


def story_page(data: SiteData, story: Record) -> SitePage:
    context = {
        "story": story,
        "org": data.org_view(story.get("org")),
        "brand": data.reg.brands.get(story.get("brand")),
        "people": data.people(story.get("members", [])),
        "tag_slugs": data.story_tags,
        "gallery": images.gallery(images.photos_of(data), story),
    }
    return SitePage(url(story), story["title"], "story.html", context, story.get("source", ""), (story.file,))


def tag_pages(data: SiteData) -> list[SitePage]:
    """/stories/tags/<slug>/: the stories with one tag, newest first; more than STORIES_ON_ONE_PAGE in pages
    (…/<slug>/2/ and on)."""
    by_tag: dict[str, list] = defaultdict(list)
    for story in data.stories:
        for tag in dict.fromkeys(story.get("tags", [])):
            by_tag[tag].append(story)
    pages = []
    for tag, slug in data.story_tags.items():
        chunks = chunked(by_tag[tag], STORIES_ON_ONE_PAGE, f"stories/tags/{slug}/")
        pager = [(n, url) for n, url, _ in chunks]
        for n, url, stories in chunks:
            context: dict[str, Any] = {"tag": tag, "stories": stories, "tag_slugs": data.story_tags}
            if len(chunks) > 1:
                context.update(total=len(by_tag[tag]), here=url, chunks=pager, chunk=n)
            pages.append(
                SitePage(
                    url,
                    f"标签：{tag}" + (f"（第{n}页）" if n > 1 else ""),
                    "story_tag.html",
                    context,
                    f"标注了“{tag}”的典型事迹",
                    tuple(s.file for s in stories),
                )
            )
    return pages


def feed_entry(story: Record) -> feeds.FeedEntry:
    return feeds.FeedEntry(
        story["title"], f"stories/{story.slug}/", story["date"], render(story.body), tuple(story.get("tags", []))
    )


def files(data: SiteData, changed: LastChanged) -> dict[str, bytes]:
    """stories/feed.xml: the newest stories as an Atom feed."""
    entries = [feed_entry(story) for story in data.stories[: feeds.FEED_ENTRIES]]
    title, base_url = data.settings.get("title", ""), data.settings.get("base_url")
    return {"stories/feed.xml": feeds.atom(title, base_url, "stories/", "典型事迹", entries, data.today, changed)}


def url(story: Record) -> str:
    """A story's own page, at its file's name."""
    return f"stories/{story.slug}/"


KIND: SiteKind = SiteKind(
    name="story",
    urls=("stories/", r"stories/[^/]+/", r"stories/tags/[^/]+/(\d+/)?", r"stories/by-year/\d+/(\d+/)?"),
    pages=pages,
    record="story",
    url_of=url,
    plural="stories",
    listed=listed,
    links={
        "org": lambda s: [s["org"]] if s.get("org") else [],
        "brand": lambda s: [s["brand"]] if s.get("brand") else [],
        "member": lambda s: s.get("members", []),
    },
    nav=section("典型事迹", "stories/"),
    files=files,
)
