"""In the browser: a file in the canonical layout, saved by Sveltia CMS with one change, differs by that change only.

The demo is formatted with `dangjian fmt` first; Sveltia's local workflow (tests/test_cms.py) then saves
each file after one edit in its form. Each file's bytes must be the canonical text with that one line
changed: the layout `dangjian fmt` writes is the one the CMS writes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import test_cms
from conftest import REPO
from dangjian.cli import main
from test_cms import needs_package, sveltia  # noqa: F401 - the fixture, used by name


@pytest.fixture
def canonical_demo(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo in the canonical layout, handed to the `sveltia` fixture in place of the demo."""
    root = tmp_path_factory.mktemp("canonical")
    for top in ("registry", "content"):
        shutil.copytree(REPO / top, root / top)
    result = CliRunner().invoke(main, ["fmt", "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(test_cms, "DEMO", root)
    return root


def _saved_with_one_change(session, address: str, path: str, box: int, old: str, new: str) -> None:
    page = session.page
    session.open(address)
    field = page.get_by_role("textbox").nth(box)
    field.wait_for(timeout=30_000)
    assert field.input_value() == old
    field.fill(new)
    page.get_by_role("button", name="保存").first.click()
    after = session.saved(path, new)
    before = session.files[path]
    assert before.count(old) >= 1
    if path.endswith(".yaml"):  # a comment is the one thing the CMS drops (docs/cms.md)
        before = "".join(line for line in before.splitlines(True) if not line.lstrip().startswith("#"))
    assert after == before.replace(old, new, 1)


@needs_package
def test_a_canonical_roster_comes_back_with_the_one_change(canonical_demo: Path, sveltia) -> None:  # noqa: F811
    _saved_with_one_change(sveltia, "member/entries/caota/caota-chuntangdong", test_cms.ROSTER, 1, "陈海峰", "陈海锋")


@needs_package
def test_a_canonical_result_comes_back_with_the_one_change(canonical_demo: Path, sveltia) -> None:  # noqa: F811
    """A result's scores have no form field: the CMS writes them last, sorted; fmt already did."""
    page = sveltia.page
    path = "registry/assessments/results/haian-towns/2017.yaml"
    sveltia.open("result/entries/haian-towns/2017")
    page.get_by_role("button", name="全部展开").first.click(timeout=30_000)
    reason = page.get_by_role("textbox").nth(1)
    old = reason.input_value()
    reason.fill(old + "（复核）")
    page.get_by_role("button", name="保存").first.click()
    after = sveltia.saved(path, "（复核）")
    assert after == sveltia.files[path].replace(old, old + "（复核）", 1)


@needs_package
def test_a_canonical_project_comes_back_with_the_one_change(canonical_demo: Path, sveltia) -> None:  # noqa: F811
    _saved_with_one_change(
        sveltia,
        "project/entries/caota/caota-2015-xinan-laoren",
        "registry/projects/caota/caota-2015-xinan-laoren.yaml",
        1,
        "党员结对看望独居老人",
        "党员结对看望独居老人（一期）",
    )


@needs_package
def test_canonical_site_settings_come_back_with_the_one_change(canonical_demo: Path, sveltia) -> None:  # noqa: F811
    """site.yaml's star thresholds: whole-number keys, which the CMS quotes and sorts."""
    _saved_with_one_change(sveltia, "settings/entries/site", "registry/site.yaml", 0, "基层党建展示", "基层党建展示站")


@needs_package
def test_a_canonical_story_comes_back_with_the_one_change(canonical_demo: Path, sveltia) -> None:  # noqa: F811
    name = sorted((canonical_demo / "content/stories").glob("*.md"))[0].stem
    path = f"content/stories/{name}.md"
    old = next(line for line in sveltia.files[path].splitlines() if line.startswith("title: "))[7:]
    _saved_with_one_change(sveltia, f"story/entries/{name}", path, 0, old, old + "（续）")
