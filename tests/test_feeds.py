"""The stories' Atom feed against RFC 4287, the sitemaps against sitemaps.org's XSD, lastmod from git,
and the build's warning when the site has no base_url."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest
from defusedxml import ElementTree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from dangjian.site import feeds
from dangjian.site.build import build
from git_helpers import RegistryRepo
from xsd_subset import Schema

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
DATA = Path(__file__).parent / "data"
SITEMAP_XSD, SITEINDEX_XSD = DATA / "sitemap.xsd", DATA / "siteindex.xsd"
BASE = "https://example.org/"
NO_BASE_SITE = "title: 测试镇党建\ndescription: 最小的有效登记簿，供测试使用\nroot: town\n"


# --- an RFC 4287 checker ------------------------------------------------------------------------

RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))")
ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
TEXT_TYPES = {"text", "html", "xhtml"}


def _rfc3339(value: str | None) -> datetime.datetime | None:
    m = RFC3339.fullmatch(value or "")
    if not m:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _single(node, name: str, where: str, problems: list[str], required: bool = True):
    found = node.findall(ATOM + name)
    if len(found) > 1 or (required and not found):
        problems.append(
            f"{where}: {len(found)} atom:{name} (RFC 4287 wants {'exactly' if required else 'at most'} one)"
        )
    return found[0] if found else None


def _text_construct(node, where: str, problems: list[str]) -> None:
    kind = node.get("type", "text")
    if kind not in TEXT_TYPES:
        problems.append(f"{where}: text construct type {kind!r}")
    if kind in ("text", "html") and len(node):
        problems.append(f"{where}: type {kind} holds child elements (markup must be escaped)")


def _links(node, base: str, where: str, problems: list[str], absolute: bool) -> dict[str, list[str]]:
    """rel → resolved hrefs; checks hrefs are there (and absolute when asked) and alternates unique per type."""
    by_rel: dict[str, list[str]] = {}
    alternates = set()
    for link in node.findall(ATOM + "link"):
        href, rel = link.get("href"), link.get("rel", "alternate")
        if not href:
            problems.append(f"{where}: atom:link without href")
            continue
        if absolute and not ABSOLUTE_IRI.fullmatch(href):
            problems.append(f"{where}: link {href!r} is not absolute")
        key = (link.get("type"), link.get("hreflang"))
        if rel == "alternate":
            if key in alternates:
                problems.append(f"{where}: two alternate links of type {key}")
            alternates.add(key)
        by_rel.setdefault(rel, []).append(urljoin(base, href))
    return by_rel


def atom_problems(document: bytes, feed_url: str, absolute_links: bool = True) -> list[str]:
    """Every way the document breaks RFC 4287 (empty: valid). `feed_url` is where it is served."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as err:
        return [f"not well-formed XML: {err}"]
    if root.tag != ATOM + "feed":
        return [f"root element is {root.tag}, not atom:feed"]
    problems: list[str] = []
    feed_base = urljoin(feed_url, root.get(XML_BASE, ""))
    for name in ("id", "title", "updated"):
        _single(root, name, "feed", problems)
    for name in ("generator", "icon", "logo", "rights", "subtitle"):
        _single(root, name, "feed", problems, required=False)
    links = _links(root, feed_base, "feed", problems, absolute_links)
    if "self" not in links:
        problems.append("feed: no rel=self link (SHOULD)")
    entries = root.findall(ATOM + "entry")
    authored = bool(root.findall(ATOM + "author"))
    ids = []
    for person in root.findall(ATOM + "author") + [a for e in entries for a in e.findall(ATOM + "author")]:
        _single(person, "name", "author", problems)
    for number, entry in enumerate(entries, 1):
        where = f"entry {number}"
        base = urljoin(feed_base, entry.get(XML_BASE, ""))
        for name in ("id", "title", "updated"):
            _single(entry, name, where, problems)
        for name in ("published", "content", "summary", "rights", "source"):
            _single(entry, name, where, problems, required=False)
        if not authored and not entry.findall(ATOM + "author"):
            problems.append(f"{where}: no atom:author, and the feed has none")
        entry_links = _links(entry, base, where, problems, absolute_links)
        content = entry.find(ATOM + "content")
        if content is None and "alternate" not in entry_links:
            problems.append(f"{where}: neither content nor an alternate link")
        if content is not None:
            _text_construct(content, f"{where} content", problems)
        title = entry.find(ATOM + "title")
        if title is not None:
            _text_construct(title, f"{where} title", problems)
        ids.append(entry.findtext(ATOM + "id"))
    for node, where in [(root, "feed"), *((e, f"entry {n}") for n, e in enumerate(entries, 1))]:
        value = node.findtext(ATOM + "id")
        if value is not None and not ABSOLUTE_IRI.fullmatch(value.strip()):
            problems.append(f"{where}: id {value!r} is not an absolute IRI")
        for name in ("updated", "published"):
            for stamp in node.findall(ATOM + name):
                if _rfc3339(stamp.text) is None:
                    problems.append(f"{where}: {name} {stamp.text!r} is not an RFC 3339 date-time")
    if len(set(ids)) != len(ids):
        problems.append("two entries share an id")
    feed_updated = _rfc3339(root.findtext(ATOM + "updated"))
    entry_updated = [_rfc3339(e.findtext(ATOM + "updated")) for e in entries]
    if feed_updated and any(u and u > feed_updated for u in entry_updated):
        problems.append("an entry was updated after the feed's updated")
    return problems


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path) -> RegistryRepo:
    return RegistryRepo(tmp_path / "repo")


def sitemap_dates(site: Path, name: str = "sitemap.xml") -> dict[str, str | None]:
    """loc → lastmod (None when absent), read from the sitemap as a crawler does."""
    root = ElementTree.fromstring((site / name).read_bytes())
    return {u.findtext(SM + "loc"): u.findtext(SM + "lastmod") for u in root}


def entries(site: Path) -> dict[str, ElementTree.Element]:
    root = ElementTree.fromstring((site / "stories/feed.xml").read_bytes())
    return {e.find(ATOM + "link").get("href"): e for e in root.findall(ATOM + "entry")}


STORY_2 = (
    "---\ntitle: 西村修好了水渠\ndate: 2026-03-05\norg: west\ntags: [民生]\n---\n"
    "西村党支部组织党员修水渠，详见[东村的做法](../east-road/)。\n"
)


# --- Atom -----------------------------------------------------------------------------------------


def test_feed_meets_rfc4287_with_absolute_ids_and_an_author(repo, tmp_path):
    repo.commit("西村事迹", {"content/stories/west-canal.md": STORY_2})
    site = tmp_path / "site"
    build(repo.root, site, with_search=False)
    document = (site / "stories/feed.xml").read_bytes()
    assert atom_problems(document, BASE + "stories/feed.xml") == []
    root = ElementTree.fromstring(document)
    assert root.findtext(ATOM + "id") == BASE + "stories/"
    assert root.find(ATOM + "author").findtext(ATOM + "name") == "测试镇党建"
    assert {link.get("rel"): link.get("href") for link in root.findall(ATOM + "link")} == {
        "alternate": BASE + "stories/",
        "self": BASE + "stories/feed.xml",
    }
    by_link = entries(site)
    assert list(by_link) == [BASE + "stories/east-road/", BASE + "stories/west-canal/"]  # newest first
    east = by_link[BASE + "stories/east-road/"]
    assert east.findtext(ATOM + "id") == BASE + "stories/east-road/"
    assert east.findtext(ATOM + "title") == "东村点亮回家路"
    assert east.findtext(ATOM + "published") == "2026-04-02T00:00:00+08:00"
    assert [c.get("term") for c in east.findall(ATOM + "category")] == ["书记项目"]
    assert "东村党支部带领党员为村道装上路灯" in east.findtext(ATOM + "content")
    # a relative link in a story's body resolves, through the content's xml:base, where it does on the page
    content = by_link[BASE + "stories/west-canal/"].find(ATOM + "content")
    href = re.search(r'href="([^"]+)"', content.text).group(1)
    assert urljoin(content.get(XML_BASE), href) == BASE + "stories/east-road/"


def test_an_entry_is_updated_when_its_story_is_committed_again(repo, tmp_path):
    story = "content/stories/east-road.md"
    repo.day = datetime.date(2026, 5, 20)  # after the story's own date (2026-04-02)
    text = (repo.root / story).read_text(encoding="utf-8").replace("装上路灯。", "装上路灯，夜里不再摸黑。")
    repo.commit("补充事迹", {story: text})
    site = tmp_path / "site"
    build(repo.root, site, with_search=False)
    document = (site / "stories/feed.xml").read_bytes()
    assert atom_problems(document, BASE + "stories/feed.xml") == []
    east = entries(site)[BASE + "stories/east-road/"]
    assert east.findtext(ATOM + "published") == "2026-04-02T00:00:00+08:00"
    assert east.findtext(ATOM + "updated") == "2026-05-20T00:00:00+08:00"
    assert ElementTree.fromstring(document).findtext(ATOM + "updated") == "2026-05-20T00:00:00+08:00"


VALID = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
    b'<title>t</title><link rel="self" href="https://example.org/f.xml"/><id>https://example.org/</id>'
    b"<updated>2026-04-02T00:00:00+08:00</updated><author><name>a</name></author>"
    b'<entry><title>e</title><link href="https://example.org/e/"/><id>https://example.org/e/</id>'
    b'<updated>2026-04-02T00:00:00+08:00</updated><content type="html">&lt;p&gt;x&lt;/p&gt;</content></entry></feed>'
)


@pytest.mark.parametrize(
    "broken, rule",
    [
        (VALID.replace(b"<id>https://example.org/</id>", b""), "atom:id"),
        (VALID.replace(b"<title>t</title>", b"<title>t</title><title>u</title>"), "atom:title"),
        (VALID.replace(b"<title>e</title>", b""), "atom:title"),
        (VALID.replace(b"<id>https://example.org/e/</id>", b"<id>/e/</id>"), "absolute IRI"),
        (
            VALID.replace(
                b"<updated>2026-04-02T00:00:00+08:00</updated><content", b"<updated>2026-04-02</updated><content"
            ),
            "RFC 3339",
        ),
        (
            VALID.replace(
                b"<updated>2026-04-02T00:00:00+08:00</updated><author>",
                b"<updated>2026-02-30T00:00:00Z</updated><author>",
            ),
            "RFC 3339",
        ),
        (VALID.replace(b"<author><name>a</name></author>", b""), "atom:author"),
        (VALID.replace(b'<link href="https://example.org/e/"/>', b'<link href="e/"/>'), "not absolute"),
        (VALID.replace(b'type="html">&lt;p&gt;x&lt;/p&gt;', b'type="html"><p>x</p>'), "child elements"),
        (VALID.replace(b'type="html"', b'type="markdown"'), "text construct type"),
        (VALID.replace(b"</feed>", b""), "well-formed"),
        (VALID.replace(b'<link rel="self" href="https://example.org/f.xml"/>', b""), "rel=self"),
        (
            VALID.replace(
                b"<updated>2026-04-02T00:00:00+08:00</updated><author>",
                b"<updated>2026-04-01T00:00:00+08:00</updated><author>",
            ),
            "after the feed's updated",
        ),
    ],
)
def test_the_checker_catches_each_broken_rule(broken, rule):
    assert atom_problems(VALID, "https://example.org/f.xml") == []
    said = atom_problems(broken, "https://example.org/f.xml")
    assert any(rule in problem for problem in said), said


def test_hostile_titles_tags_and_bodies_stay_text(registry, tmp_path):
    title = '<b>标题</b> & "引号" ]]> <!-- x -->'
    story = (
        "---\ntitle: '" + title.replace("'", "''") + "'\ndate: 2026-03-01\norg: east\ntags: ['a\"b<c>&d']\n---\n"
        "正文 <script>alert(1)</script> ]]> &amp; 结束\n"
    )
    root = registry({"content/stories/hostile.md": story})
    site = tmp_path / "site"
    build(root, site, with_search=False)
    document = (site / "stories/feed.xml").read_bytes()
    assert atom_problems(document, BASE + "stories/feed.xml") == []
    entry = entries(site)[BASE + "stories/hostile/"]
    assert entry.findtext(ATOM + "title") == title
    assert entry.find(ATOM + "category").get("term") == 'a"b<c>&d'
    assert "<script" not in entry.findtext(ATOM + "content")


XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t"), max_size=40)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=XML_TEXT,
    site=XML_TEXT,
    tags=st.lists(XML_TEXT.filter(str.strip), max_size=3, unique=True),
    day=st.dates(datetime.date(1921, 7, 1), datetime.date(2100, 1, 1)),
    base=st.booleans(),
)
def test_any_text_gives_a_valid_feed_that_reads_back(title, site, tags, day, base):
    entry = feeds.FeedEntry(title, "stories/s-1/", day, f"<p>{title}</p>", tuple(tags))
    document = feeds.atom(site, BASE if base else None, "stories/", "典型事迹", [entry], day)
    feed_url = (BASE if base else "https://anywhere.example/x/") + "stories/feed.xml"
    assert atom_problems(document, feed_url, absolute_links=base) == []
    entry = ElementTree.fromstring(document).find(ATOM + "entry")
    assert entry.findtext(ATOM + "title") == title  # XML keeps CR/LF as written? only \n and \t are drawn
    assert [c.get("term") for c in entry.findall(ATOM + "category")] == tags
    assert entry.findtext(ATOM + "content") == f"<p>{title}</p>"


# --- without base_url: a warning, and a feed that still works -----------------------------------


def test_without_base_url_the_build_warns_in_chinese_and_the_feed_links_relatively(registry, tmp_path):
    root = registry({"registry/site.yaml": NO_BASE_SITE})
    report = build(root, tmp_path / "a", with_search=False)
    assert len(report.warnings) == 1 and "base_url" in report.warnings[0] and "站点地图" in report.warnings[0]
    document = (tmp_path / "a/stories/feed.xml").read_bytes()
    served = "https://mirror.example/sub/stories/feed.xml"  # wherever the site is put, its links resolve there
    assert atom_problems(document, served, absolute_links=False) == []
    feed = ElementTree.fromstring(document)
    entry = feed.find(ATOM + "entry")
    assert entry.get(XML_BASE) is None  # an entry's links resolve against the feed's address itself
    assert urljoin(served, entry.find(ATOM + "link").get("href")) == "https://mirror.example/sub/stories/east-road/"
    assert (
        urljoin(served, entry.find(ATOM + "content").get(XML_BASE)) == "https://mirror.example/sub/stories/east-road/"
    )
    assert {urljoin(served, link.get("href")) for link in feed.findall(ATOM + "link")} == {
        "https://mirror.example/sub/stories/",
        served,
    }
    assert entry.findtext(ATOM + "id").startswith("urn:uuid:")
    again = build(root, tmp_path / "b", with_search=False)
    assert (tmp_path / "b/stories/feed.xml").read_bytes() == document  # ids stay the same build after build
    assert again.warnings == report.warnings


def test_with_base_url_there_is_no_warning(registry, tmp_path):
    assert build(registry(), tmp_path / "site", with_search=False).warnings == []


def test_the_command_prints_the_warning(registry, tmp_path):
    root = registry({"registry/site.yaml": NO_BASE_SITE})
    dangjian = Path(sys.executable).parent / "dangjian"
    done = subprocess.run(
        [str(dangjian), "build", "--root", str(root), "--out", str(tmp_path / "site"), "--no-search"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    warning = next(line for line in done.stderr.splitlines() if line.startswith("! "))
    assert "registry/site.yaml 没有填写 base_url" in warning


# --- sitemaps ---------------------------------------------------------------------------------------


def test_sitemap_lastmod_is_each_page_s_last_commit(repo, tmp_path):
    first = dict(sitemap_dates(build(repo.root, tmp_path / "one", with_search=False).out))
    assert first[BASE + "stories/east-road/"] == "2026-01-01"  # the initial commit
    repo.day = datetime.date(2026, 6, 15)
    east = (repo.root / "registry/orgs/east.yaml").read_text(encoding="utf-8")
    repo.commit("东村简介", {"registry/orgs/east.yaml": east + "summary: 东村简介\n"})
    dates = sitemap_dates(build(repo.root, tmp_path / "two", with_search=False).out)
    assert dates[BASE + "orgs/east/"] == "2026-06-15"
    assert dates[BASE + "orgs/west/"] == "2026-01-01"
    assert dates[BASE + "stories/east-road/"] == "2026-01-01"
    assert dates[BASE] is None  # the home page sums up everything: no single file dates it
    assert all(loc.startswith(BASE) for loc in dates)


def test_a_registry_outside_git_has_no_lastmod(registry, tmp_path):
    site = build(registry(), tmp_path / "site", with_search=False).out
    assert set(sitemap_dates(site).values()) == {None}
    assert Schema(SITEMAP_XSD).validate(site / "sitemap.xml") == []


def test_sitemaps_validate_against_the_published_schemas(repo, tmp_path, monkeypatch):
    whole = build(repo.root, tmp_path / "whole", with_search=False).out
    assert Schema(SITEMAP_XSD).validate(whole / "sitemap.xml") == []
    monkeypatch.setattr(feeds, "SITEMAP_URLS", 4)
    split = build(repo.root, tmp_path / "split", with_search=False).out
    index = ElementTree.fromstring((split / "sitemap.xml").read_bytes())
    assert index.tag == SM + "sitemapindex"
    assert Schema(SITEINDEX_XSD).validate(split / "sitemap.xml") == []
    parts = sorted(split.glob("sitemap-*.xml"))
    assert len(parts) > 1
    for part in parts:
        assert Schema(SITEMAP_XSD).validate(part) == []
    listed = {s.findtext(SM + "loc"): s.findtext(SM + "lastmod") for s in index}
    for part in parts:  # each part is dated by its newest page
        newest = max(d for d in sitemap_dates(split, part.name).values() if d)
        assert listed[BASE + part.name] == newest


def test_sitemaps_validate_with_lxml_too(repo, tmp_path):
    etree = pytest.importorskip("lxml.etree")  # not installed in the project's venv today
    site = build(repo.root, tmp_path / "site", with_search=False).out
    schema = etree.XMLSchema(etree.parse(str(SITEMAP_XSD)))
    assert schema.validate(etree.parse(str(site / "sitemap.xml"))), schema.error_log


GOOD = (
    b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://example.org/a/</loc><lastmod>2026-04-02</lastmod><changefreq>weekly</changefreq>"
    b"<priority>0.5</priority></url></urlset>"
)


@pytest.mark.parametrize(
    "broken, said",
    [
        (GOOD.replace(b"https://example.org/a/", b"/a/"), "shorter than 12"),
        (GOOD.replace(b"2026-04-02", b"2026-13-02"), "matches no member"),
        (GOOD.replace(b"2026-04-02", b"2026-04-02 12:00"), "matches no member"),
        (GOOD.replace(b"weekly", b"sometimes"), "not one of"),
        (GOOD.replace(b"0.5", b"1.5"), "maxInclusive"),
        (GOOD.replace(b"<loc>https://example.org/a/</loc>", b""), "expected loc"),
        (
            GOOD.replace(b"<lastmod>2026-04-02</lastmod>", b"")
            .replace(b"</loc>", b"</loc><lastmod>2026-04-02</lastmod>", 1)
            .replace(b"<changefreq>weekly</changefreq>", b"")
            .replace(b"<loc>", b"<changefreq>weekly</changefreq><loc>"),
            "expected loc",
        ),
        (GOOD.replace(b"<url>", b'<url id="x">'), "attribute"),
        (GOOD.replace(b"</priority>", b"</priority><title>x</title>"), "unexpected element"),
        (GOOD.replace(b"</priority>", b'</priority><x:y xmlns:x="urn:x"/>'), "not declared"),
        (GOOD.replace(b"sitemap/0.9", b"sitemap/0.8"), "not declared"),
        (GOOD.replace(b"<url><loc>", b"<url>text<loc>"), "text is not allowed"),
        (
            GOOD.replace(
                b"<url><loc>https://example.org/a/</loc><lastmod>2026-04-02</lastmod><changefreq>weekly</changefreq>"
                b"<priority>0.5</priority></url>",
                b"",
            ),
            "expected url",
        ),
    ],
)
def test_the_xsd_reader_rejects_what_the_schema_forbids(broken, said):
    schema = Schema(SITEMAP_XSD)
    assert schema.validate(GOOD) == []
    problems = schema.validate(broken)
    assert any(said in p for p in problems), problems


@settings(deadline=None, max_examples=60)
@given(
    paths=st.lists(
        st.from_regex(r"[a-z0-9\-]{1,12}(/[a-z0-9\-]{1,12}){0,3}/", fullmatch=True),
        min_size=1,
        max_size=30,
        unique=True,
    ),
    days=st.lists(
        st.none() | st.dates(datetime.date(1990, 1, 1), datetime.date(2100, 12, 31)), min_size=30, max_size=30
    ),
    per_file=st.integers(1, 8),
)
def test_any_pages_and_dates_give_schema_valid_sitemaps(paths, days, per_file):
    lastmod = {p: d for p, d in zip(paths, days) if d}
    saved, feeds.SITEMAP_URLS = feeds.SITEMAP_URLS, per_file  # split at any size (restored at once)
    try:
        files = feeds.sitemaps(paths, BASE, lastmod)
    finally:
        feeds.SITEMAP_URLS = saved
    listed = {}
    for name, content in files.items():
        root = ElementTree.fromstring(content)
        if root.tag == SM + "sitemapindex":
            assert Schema(SITEINDEX_XSD).validate(content) == []
            continue
        assert Schema(SITEMAP_XSD).validate(content) == []
        listed.update({u.findtext(SM + "loc"): u.findtext(SM + "lastmod") for u in root})
    assert listed == {BASE + p: (lastmod[p].isoformat() if p in lastmod else None) for p in paths}


def test_the_merge_still_reads_a_sitemap_with_dates(tmp_path):
    """`dangjian merge` rewrites a shard's `<loc>`s and counts them: dates beside them change nothing."""
    from dangjian.site.shards import _LOC

    content = feeds.sitemap(["orgs/east/", "stories/x/"], None, {"orgs/east/": datetime.date(2026, 1, 2)}).decode()
    assert _LOC.findall(content) == ["/orgs/east/", "/stories/x/"]


def test_docs_name_the_feed_standards():
    text = (REPO / "docs/extensions.md").read_text(encoding="utf-8")
    assert "RFC 4287" in text and "lastmod" in text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab李&<>\"'\n\r\t ;#x0"), max_size=20) | st.text(max_size=20))
def test_escaping_is_the_standard_library_s(text: str) -> None:
    """feeds.escape and quoteattr write what xml.sax.saxutils writes (which a build no longer imports: it brings
    urllib.request, http.client and ssl with it)."""
    from xml.sax.saxutils import escape, quoteattr

    assert feeds.escape(text) == escape(text)
    assert feeds.quoteattr(text) == quoteattr(text)
