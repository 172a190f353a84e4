"""Machine-read files beside the pages: the sitemap, the stories' Atom feed, robots.txt."""

from __future__ import annotations

import datetime
from xml.sax.saxutils import escape


def sitemap(urls: list[str], base_url: str | None) -> bytes:
    """sitemap.xml: absolute URLs need `base_url`; without it, page paths relative to the root."""
    base = base_url or "/"
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <url><loc>{escape(base + url)}</loc></url>" for url in urls]
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


SITEMAP_URLS = 10_000  # pages per sitemap file (the protocol allows 50,000 and 50 MB)


def sitemaps(urls: list[str], base_url: str | None) -> dict[str, bytes]:
    """{file name: content}: `sitemap.xml` alone; or, above SITEMAP_URLS pages, `sitemap.xml`
    as a sitemap index of `sitemap-1.xml`, `sitemap-2.xml` and on."""
    if len(urls) <= SITEMAP_URLS:
        return {"sitemap.xml": sitemap(urls, base_url)}
    base = base_url or "/"
    parts = {f"sitemap-{n}.xml": sitemap(urls[start:start + SITEMAP_URLS], base_url)
             for n, start in enumerate(range(0, len(urls), SITEMAP_URLS), 1)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <sitemap><loc>{escape(base + name)}</loc></sitemap>" for name in parts]
    lines.append("</sitemapindex>")
    return {"sitemap.xml": ("\n".join(lines) + "\n").encode(), **parts}


def atom(title: str, base_url: str | None, stories: list, updated: datetime.date, render_body) -> bytes:
    """The stories' Atom feed, newest first (at most 50 entries)."""
    base = base_url or "/"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh">',
        f"  <title>{escape(title)} · 典型事迹</title>",
        f'  <link href="{escape(base)}stories/"/>',
        f'  <link rel="self" href="{escape(base)}stories/feed.xml"/>',
        f"  <id>{escape(base)}stories/</id>",
        f"  <updated>{updated.isoformat()}T00:00:00Z</updated>",
    ]
    for story in stories[:50]:
        url = f"{base}stories/{story.slug}/"
        lines += [
            "  <entry>",
            f"    <title>{escape(story['title'])}</title>",
            f'    <link href="{escape(url)}"/>',
            f"    <id>{escape(url)}</id>",
            f"    <updated>{story['date'].isoformat()}T00:00:00Z</updated>",
            f'    <content type="html">{escape(str(render_body(story.body)))}</content>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode()


def robots(base_url: str | None) -> bytes:
    """robots.txt pointing at the sitemap when the site's address is known."""
    text = "User-agent: *\nAllow: /\n"
    if base_url:
        text += f"Sitemap: {base_url}sitemap.xml\n"
    return text.encode()
