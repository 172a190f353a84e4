"""The theme shortcut gives the same HTML as a real `mkdocs build`, so a theme upgrade that breaks it is caught."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES
from dangjian.site.theme import TEMPLATES, MaterialTheme, NavEntry, PageSpec

PAGES = (("", "首页描述"), ("orgs/", "组织描述"), ("orgs/east/", "东村"))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mkdocs") / "project"
    shutil.copytree(FIXTURES / "mkdocs-compare", root)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("CUSTOM_DIR", str(TEMPLATES / "overrides")), encoding="utf-8")
    # What a registry may hold: mkdocs.yml's theme settings without what dangjian refuses
    # (custom_dir, plugins, hooks, nav) or sets itself (site_*); dangjian adds its overrides.
    (root / "registry").mkdir()
    (root / "registry" / "mkdocs.yml").write_text(
        "theme:\n  name: material\n  language: zh\n  font: false\n  palette: {primary: red}\n"
        "  features: [navigation.tabs]\nextra_css: [assets/dangjian/dangjian.css]\n", encoding="utf-8")
    mkdocs = Path(sys.executable).parent / "mkdocs"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([str(mkdocs), "build", "--quiet"], cwd=root, check=True, env=env)
    return root


@pytest.mark.parametrize("url,description", PAGES)
def test_pages_match_mkdocs_build_byte_for_byte(project, url, description):
    contents = json.loads((project / "contents.json").read_text(encoding="utf-8"))
    theme = MaterialTheme(project / "registry" / "mkdocs.yml", site_name="测试站", description="描述",
                          site_url="https://example.org/", nav=[NavEntry("首页", ""), NavEntry("组织", "orgs/")],
                          docs_dir=project / "docs", highlight_sections=False)
    ours = theme.render(PageSpec(url, contents[url]["title"], contents[url]["content"], description, anchor="_1"))
    assert ours == (project / "site" / url / "index.html").read_text(encoding="utf-8")


def test_shapes_are_reused_and_filled_per_page(project):
    theme = MaterialTheme(project / "registry" / "mkdocs.yml", site_name="测试站", description="描述",
                          site_url="https://example.org/", nav=[NavEntry("首页", ""), NavEntry("组织", "orgs/")],
                          docs_dir=project / "docs")
    first = theme.render(PageSpec("orgs/a/", "甲支部", "<h1 id=\"dj-title\">甲支部</h1><p>甲</p>"))
    second = theme.render(PageSpec("orgs/b/", "乙 & 丙", "<h1 id=\"dj-title\">乙</h1><p>乙</p>"))
    assert len(theme._shapes) == 1
    assert "<title>乙 &amp; 丙 - 测试站</title>" in second and "https://example.org/orgs/b/" in second
    assert "甲" not in second and "\x1a" not in first + second
