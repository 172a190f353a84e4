"""Loose ends of the reader's pages: the org tree's toggles, the site's own favicon.

The browser checks of the same (axe, keyboard access to wide tables) are at the end of
tests/test_browser.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from site_helpers import build_site, page

INTERACTIVE = "a, button, input, select, textarea, [tabindex], [href]"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return build_site(REPO, tmp_path_factory.mktemp("polish") / "site")


@pytest.fixture(scope="module")
def demo_registry():
    from dangjian.validate import validate

    return validate(REPO).registry


def test_no_summary_of_the_org_tree_holds_a_link_or_a_control(demo):
    """A link inside <summary> is a control inside a control (axe nested-interactive): one tap did two things."""
    tree = page(demo, "orgs/").select_one(".dj-tree")
    summaries = tree.select("summary")
    assert summaries, "the demo's tree has branches"
    for summary in summaries:
        assert not summary.select(INTERACTIVE), str(summary)[:200]


def test_each_branch_names_its_org_and_counts_its_children(demo, demo_registry):
    """Every org is linked once, before its toggle; the toggle is named after the org and says how many
    orgs open under it, and those are exactly the org's children."""
    tree = page(demo, "orgs/").select_one(".dj-tree")
    links = [a["href"].rstrip("/").split("/")[-1] for a in tree.select("a")]
    assert sorted(links) == sorted(demo_registry.orgs)
    branches = tree.select("details")
    assert branches
    for details in branches:
        branch = details.parent
        own = branch.find("a", recursive=False)
        assert own is not None, f"no link beside {str(details)[:120]}"
        org = demo_registry.orgs[own["href"].rstrip("/").split("/")[-1]]
        summary = details.find("summary", recursive=False)
        assert summary["aria-label"] == f"{org.data['name']}的下级组织"
        children = demo_registry.children.get(org.id, [])
        assert summary.get_text(strip=True) == f"下级组织 {len(children)}"
        shown = [
            node.find("a")["href"].rstrip("/").split("/")[-1]
            for node in details.find_all(class_=["dj-branch", "dj-leaf"], recursive=False)
        ]
        assert sorted(shown) == sorted(children)


# --- The site's own favicon ------------------------------------------------------------------------

FAVICON = "assets/dangjian/favicon.svg"


def icon_links(soup) -> list[str]:
    return [link["href"] for link in soup.find_all("link") if "icon" in link.get("rel", [])]


def test_the_site_shows_its_own_favicon_not_materials(demo):
    """Without theme.favicon in mkdocs.yml, every page points at dangjian's mark, which is published."""
    for url, prefix in (("", ""), ("orgs/caota-shangyu/", "../../"), ("404.html", None)):
        links = icon_links(page(demo, url))
        assert len(links) == 1 and links[0].endswith(FAVICON), (url, links)
        if prefix is not None:
            assert links[0] == prefix + FAVICON
    assert (demo / FAVICON).is_file()
    assert not any("favicon.png" in href for href in icon_links(page(demo, "")))


def test_the_favicon_is_an_svg_that_cannot_act_and_is_the_sites_red():
    from defusedxml import ElementTree

    from dangjian.themeconfig import TEMPLATES
    from dangjian.svgcheck import svg_problems

    data = (TEMPLATES / "overrides" / FAVICON).read_bytes()
    assert list(svg_problems(FAVICON, data)) == []  # held to the rule for a registry's own SVGs
    root = ElementTree.fromstring(data)
    assert root.get("viewBox") == "0 0 32 32"
    assert "#c8102e" in {el.get("fill") for el in root.iter()}


def small_png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (16, 16), "#0050a0").save(out, "PNG")
    return out.getvalue()


def test_a_registry_favicon_still_wins(registry, tmp_path):
    root = registry(
        {
            "mkdocs.yml": "theme:\n  name: material\n  favicon: assets/brands/icon.png\n",
            "content/assets/brands/icon.png": small_png(),
        }
    )
    site = build_site(root, tmp_path / "site")
    assert icon_links(page(site, "orgs/")) == ["../assets/brands/icon.png"]


def test_a_registry_theme_without_a_favicon_gets_the_sites_own(registry, tmp_path):
    root = registry({"mkdocs.yml": "theme:\n  name: material\n  language: zh\n"})
    site = build_site(root, tmp_path / "site")
    assert icon_links(page(site, "")) == [FAVICON]
