"""Topics: tags on stories, projects and activities become /tags/ pages with a feed each, read as a reader does;
hostile tags never become paths; site.yaml's `tags:` is optional (bad cases in bad_cases_tags.py)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from defusedxml import ElementTree
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.rules.tags import tag_slugs
from dangjian.site.build import build
from dangjian.validate import validate
from reading import tables, text
from test_feeds import ATOM, BASE, NO_BASE_SITE, atom_problems

STORY = "---\ntitle: {title}\ndate: {date}\norg: east\ntags: {tags}\n---\n正文。\n"


def _tagged(registry, hostile: list[str] | None = None, site: str | None = None) -> Path:
    """The minimal registry with 关爱老人 on a story, the project and the activity (and `hostile` tags on a
    second story)."""
    project = (Path(__file__).parent / "fixtures/minimal/registry/projects/east-2026-road.yaml").read_text("utf-8")
    activity = (Path(__file__).parent / "fixtures/minimal/registry/activities/town-2026.yaml").read_text("utf-8")
    overlay: dict[str, str | bytes | None] = {
        "content/stories/east-old.md": STORY.format(title="东村探望独居老人", date="2026-02-01", tags="[关爱老人]"),
        "registry/projects/east-2026-road.yaml": project.replace(
            "status: 推进中\n", "status: 推进中\ntags: [关爱老人]\n"
        ),
        "registry/activities/town-2026.yaml": activity.replace(
            "  title: 集中学习\n", "  title: 集中学习\n  tags: [关爱老人, 学习]\n", 1
        ),
    }
    if hostile:
        quoted = "[" + ", ".join("'" + t.replace("'", "''") + "'" for t in hostile) + "]"
        overlay["content/stories/east-odd.md"] = STORY.format(title="奇怪的标签", date="2026-03-01", tags=quoted)
    if site is not None:
        overlay["registry/site.yaml"] = site
    return registry(overlay)


def _page(site: Path, url: str) -> BeautifulSoup:
    return BeautifulSoup((site / url / "index.html").read_text("utf-8"), "html.parser")


def _section(soup: BeautifulSoup, heading: str) -> list[str]:
    """The link texts listed under the article's h2 `heading`."""
    for h2 in soup.select("article h2"):
        if text(h2) == heading:
            listing = h2.find_next_sibling(["ul", "ol"])
            return [text(li.find("a")) for li in listing.find_all("li", recursive=False)]
    return []


def test_a_topic_page_lists_stories_projects_and_activities_under_their_headings(registry, tmp_path):
    root = _tagged(registry)
    site = tmp_path / "site"
    build(root, site, with_search=False)
    soup = _page(site, "tags/guan-ai-lao-ren/")
    assert text(soup.find("h1")) == "专题：关爱老人"
    assert _section(soup, "典型事迹") == ["东村探望独居老人"]
    assert _section(soup, "书记项目") == ["村道亮化"]
    assert _section(soup, "党员活动") == ["集中学习"]
    learning = _page(site, "tags/xue-xi/")
    assert _section(learning, "党员活动") == ["集中学习"] and _section(learning, "典型事迹") == []
    # the list of topics, counted under each heading
    index = next(t for t in tables(_page(site, "tags/")) if t.label == "专题")
    assert index.row("专题", "关爱老人") == {"专题": "关爱老人", "典型事迹": "1", "书记项目": "1", "活动": "1"}
    assert index.row("专题", "学习")["活动"] == "1"
    # a story's tag keeps its older address (stories only)
    assert text(_page(site, "stories/tags/guan-ai-lao-ren/").find("h1")) == "标签：关爱老人"


def test_each_topic_has_a_valid_atom_feed_whose_links_reach_the_pages(registry, tmp_path):
    site = tmp_path / "site"
    build(_tagged(registry), site, with_search=False)
    feed_url = BASE + "tags/guan-ai-lao-ren/feed.xml"
    document = (site / "tags/guan-ai-lao-ren/feed.xml").read_bytes()
    assert atom_problems(document, feed_url) == []
    feed = ElementTree.fromstring(document)
    links = {e.findtext(ATOM + "title"): e.find(ATOM + "link").get("href") for e in feed.findall(ATOM + "entry")}
    assert links == {
        "东村探望独居老人": BASE + "stories/east-old/",
        "村道亮化": BASE + "projects/east-2026-road/",
        "集中学习": BASE + "activities/2026-01/",
    }
    for href in links.values():
        assert (site / href.removeprefix(BASE) / "index.html").is_file()


def test_without_base_url_a_topic_feed_links_relatively_to_pages_outside_its_folder(registry, tmp_path):
    site = tmp_path / "site"
    build(_tagged(registry, site=NO_BASE_SITE), site, with_search=False)
    served = "https://mirror.example/sub/tags/guan-ai-lao-ren/feed.xml"
    document = (site / "tags/guan-ai-lao-ren/feed.xml").read_bytes()
    assert atom_problems(document, served, absolute_links=False) == []
    feed = ElementTree.fromstring(document)
    hrefs = {urljoin(served, e.find(ATOM + "link").get("href")) for e in feed.findall(ATOM + "entry")}
    assert "https://mirror.example/sub/stories/east-old/" in hrefs
    assert "https://mirror.example/sub/projects/east-2026-road/" in hrefs


HOSTILE = ["../x", "!!!", "党建", "党鉴", "a/../../etc", "%2e%2e", "  空 格  "]


def test_hostile_tags_become_safe_distinct_folders_and_stay_text(registry, tmp_path):
    """Undeclared tags (no `tags:` in site.yaml) are all accepted; none becomes a path of its own."""
    root = _tagged(registry, HOSTILE)
    assert validate(root).problems == []
    site = tmp_path / "out" / "site"
    build(root, site, with_search=False)
    folders = sorted(p.name for p in (site / "tags").iterdir() if p.is_dir())
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", f) for f in folders), folders
    assert not (tmp_path / "out" / "x").exists() and not (tmp_path / "etc").exists()
    titles = {text(_page(site, f"tags/{f}/").find("h1")).removeprefix("专题：").strip() for f in folders}
    expected = {" ".join(t.split()) for t in HOSTILE} | {"关爱老人", "学习", "书记项目"}
    assert titles == expected and len(folders) == len(expected)  # one page per tag, none merged by pinyin
    assert {"dang-jian", "dang-jian-2", "tag"} <= set(folders)  # 党建/党鉴 share a pinyin; "!!!" has none


def test_a_declared_list_accepts_its_own_tags(registry):
    site = NO_BASE_SITE + "tags: [关爱老人, 学习, 书记项目]\n"
    assert validate(_tagged(registry, site=site)).problems == []


@settings(deadline=None, max_examples=80)
@given(st.lists(st.text(min_size=1, max_size=12), max_size=8, unique=True))
def test_any_tags_get_distinct_folder_names_of_letters_digits_and_hyphens(tags):
    slugs = tag_slugs(tags)
    assert set(slugs) == set(tags)
    assert len(set(slugs.values())) == len(tags)
    for slug in slugs.values():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug


def test_an_undeclared_variant_is_named_with_the_declared_spelling(registry):
    site = NO_BASE_SITE + "tags: [关爱老人, 学习, 书记项目, 乡村振兴]\n"
    root = _tagged(registry, hostile=["乡村振新"], site=site)
    problems = validate(root).problems
    assert [(p.file, p.message) for p in problems] == [
        ("content/stories/east-odd.md", "标签“乡村振新”不在 registry/site.yaml 的 tags 里")
    ]
    assert problems[0].hint.startswith("是不是想写 `乡村振兴`？")
