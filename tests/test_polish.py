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
        shown = [node.find("a")["href"].rstrip("/").split("/")[-1]
                 for node in details.find_all(class_=["dj-branch", "dj-leaf"], recursive=False)]
        assert sorted(shown) == sorted(children)
