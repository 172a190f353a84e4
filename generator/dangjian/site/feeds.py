"""Machine-read files beside the pages: the sitemap, Atom feeds (the stories'), robots.txt.

Standards: the sitemap follows sitemaps.org's protocol 0.9 (`tests/data/sitemap.xsd`), the feed
RFC 4287 (Atom). Both need the site's own address (`base_url` in site.yaml) to be fully valid: a
sitemap's `<loc>` must be an absolute URL, and an Atom id must never change once published.
`warnings()` says so at build time; without it the sitemap holds paths (which `dangjian merge`
rewrites into addresses) and the feed links relative to itself.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from .. import __version__

HOME = "https://github.com/dangjian/dangjian"  # the generator's home page, named in the feed
ZONE = "+08:00"  # registry dates are Beijing calendar days; a day starts at its midnight there
FEED_ENTRIES = 50


def escape(data: str) -> str:
    """`xml.sax.saxutils.escape`, which imports `urllib.request`, `http.client` and `ssl` (8 ms of every build)."""
    return data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(data: str) -> str:
    """`xml.sax.saxutils.quoteattr`: an attribute's value escaped and quoted, its line breaks and tabs as references."""
    data = escape(data).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in data:
        return f'"{data}"'
    if "'" not in data:
        return f"'{data}'"
    return '"{}"'.format(data.replace('"', "&quot;"))


def warnings(base_url: str | None) -> list[str]:
    """Why the machine-read files fall short of their standards, in Chinese (empty when they do not)."""
    if base_url:
        return []
    return [
        "registry/site.yaml 没有填写 base_url（网站的正式网址，例如 https://example.org/）："
        "站点地图只能写相对路径，搜索引擎不认；订阅源 stories/feed.xml 的条目编号在填写后会改变，"
        "订阅者会重复收到旧文章。请在正式发布前填写。"
    ]


def _w3c(day: datetime.date | None) -> str:
    """A sitemap `<lastmod>`: the W3C date (xsd:date)."""
    return day.isoformat() if day else ""


def sitemap(urls: list[str], base_url: str | None, lastmod: Mapping[str, datetime.date] | None = None) -> bytes:
    """sitemap.xml: absolute URLs need `base_url`; without it, page paths relative to the root.
    `lastmod` gives a page's last change (from git); a page missing from it has none."""
    base = base_url or "/"
    lastmod = lastmod or {}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url in urls:
        day = lastmod.get(url)
        when = f"<lastmod>{_w3c(day)}</lastmod>" if day else ""
        lines.append(f"  <url><loc>{escape(base + url)}</loc>{when}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


SITEMAP_URLS = 10_000  # pages per sitemap file (the protocol allows 50,000 and 50 MB)


def sitemaps(
    urls: list[str], base_url: str | None, lastmod: Mapping[str, datetime.date] | None = None
) -> dict[str, bytes]:
    """{file name: content}: `sitemap.xml` alone; or, above SITEMAP_URLS pages, `sitemap.xml`
    as a sitemap index of `sitemap-1.xml`, `sitemap-2.xml` and on (each with its newest page's date)."""
    if len(urls) <= SITEMAP_URLS:
        return {"sitemap.xml": sitemap(urls, base_url, lastmod)}
    base = base_url or "/"
    lastmod = lastmod or {}
    chunks = [urls[start : start + SITEMAP_URLS] for start in range(0, len(urls), SITEMAP_URLS)]
    parts = {f"sitemap-{n}.xml": sitemap(chunk, base_url, lastmod) for n, chunk in enumerate(chunks, 1)}
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for name, chunk in zip(parts, chunks):
        days = [lastmod[url] for url in chunk if url in lastmod]
        when = f"<lastmod>{_w3c(max(days))}</lastmod>" if days else ""
        lines.append(f"  <sitemap><loc>{escape(base + name)}</loc>{when}</sitemap>")
    lines.append("</sitemapindex>")
    return {"sitemap.xml": ("\n".join(lines) + "\n").encode(), **parts}


def _rfc3339(day: datetime.date) -> str:
    """An Atom date construct (RFC 3339): the start of that day in Beijing."""
    return f"{day.isoformat()}T00:00:00{ZONE}"


def _id(base_url: str | None, title: str, path: str) -> str:
    """An entry's or the feed's atom:id, an absolute IRI that stays the same build after build: the
    page's address when the site has one; else a name-based UUID of the site's title and the path
    (it changes once base_url is set, which `warnings()` says)."""
    if base_url:
        return base_url + path
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"dangjian:{title}:{path}"))


@dataclass(frozen=True)
class FeedEntry:
    """One entry of an Atom feed: a page of the site (its kind module makes these)."""

    title: str
    path: str  # the page's address from the site root, under the feed's folder ("stories/<slug>/")
    published: datetime.date
    content: str  # the page's text as HTML
    categories: tuple[str, ...] = ()


def _entry_link(base_url: str | None, folder: str, path: str) -> str:
    """An entry's page: absolute with `base_url`; else relative to `folder`feed.xml, also for a page outside
    the feed's folder (a topic's feed at tags/<slug>/feed.xml lists stories/…, projects/…)."""
    if base_url:
        return base_url + path
    if path.startswith(folder):
        return path.removeprefix(folder)
    return "../" * folder.count("/") + path


def atom(
    title: str,
    base_url: str | None,
    folder: str,
    section: str,
    entries: list[FeedEntry],
    updated: datetime.date,
    changed: Mapping[str, datetime.date] | None = None,
) -> bytes:
    """The Atom feed (RFC 4287) at `folder`feed.xml of a section's pages, as given (newest first; at most
    FEED_ENTRIES entries); `section` names it after the site's title.

    `changed` maps a page's address to the date of its last commit (the sitemap's `lastmod`): an
    entry's `updated` is the later of its page's and its own date (`published`). The feed's `updated`
    is its newest entry's, or `updated` when there is none. Links are absolute with `base_url`, else
    relative to the feed (`folder`feed.xml), which resolves wherever the site is served; each entry's
    content has its page as `xml:base`, so the relative links of a page's body lead where they lead on
    the page.
    """
    changed = changed or {}
    here = (base_url + folder) if base_url else ""
    site = title or "基层党建"
    lines, newest = [], []
    for entry in entries[:FEED_ENTRIES]:
        day = entry.published
        last = max(day, changed.get(entry.path, day))
        newest.append(last)
        page = _entry_link(base_url, folder, entry.path)
        categories = "".join(f"\n    <category term={quoteattr(str(tag))}/>" for tag in entry.categories)
        lines += [
            "  <entry>",
            f"    <title>{escape(str(entry.title))}</title>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(page)}/>',
            f"    <id>{escape(_id(base_url, site, entry.path))}</id>",
            f"    <published>{_rfc3339(day)}</published>",
            f"    <updated>{_rfc3339(last)}</updated>{categories}",
            f'    <content type="html" xml:base={quoteattr(page)}>{escape(str(entry.content))}</content>',
            "  </entry>",
        ]
    author = f"<name>{escape(site)}</name>" + (f"<uri>{escape(base_url)}</uri>" if base_url else "")
    document = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"  <title>{escape(site)} · {escape(section)}</title>",
        f'  <link rel="alternate" type="text/html" href={quoteattr(here or "./")}/>',
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(here + "feed.xml")}/>',
        f"  <id>{escape(_id(base_url, site, folder))}</id>",
        f"  <updated>{_rfc3339(max(newest, default=updated))}</updated>",
        f"  <author>{author}</author>",
        f"  <generator uri={quoteattr(HOME)} version={quoteattr(__version__)}>dangjian</generator>",
        *lines,
        "</feed>",
    ]
    return ("\n".join(document) + "\n").encode()


def robots(base_url: str | None) -> bytes:
    """robots.txt pointing at the sitemap when the site's address is known."""
    text = "User-agent: *\nAllow: /\n"
    if base_url:
        text += f"Sitemap: {base_url}sitemap.xml\n"
    return text.encode()
