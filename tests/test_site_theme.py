"""The theme renders Material's look from dangjian's own copy, without mkdocs.

Golden pages (tests/theme_golden.py) were made by the renderer that drove mkdocs and
mkdocs-material; today's renderer must give them byte for byte, so a change to the
vendored templates, the context they are given or the filters shows up here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import FIXTURES, REPO
from dangjian.themeconfig import check_config
from dangjian.site.theme import TEMPLATES, MaterialTheme, NavEntry, PageSpec, relative_url
from theme_golden import GOLDEN, make_root, render_all

MATERIAL = TEMPLATES / "material"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    return render_all(make_root(tmp_path_factory.mktemp("golden")))


def test_the_golden_pages_are_all_there(rendered):
    on_disk = sorted(str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*.html"))
    assert on_disk == sorted(rendered)


@pytest.mark.parametrize("name", sorted(str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*.html")))
def test_pages_match_the_golden_pages_byte_for_byte(rendered, name):
    assert rendered[name] == (GOLDEN / name).read_text(encoding="utf-8")


def test_the_golden_comparison_sees_a_changed_partial(tmp_path, monkeypatch):
    """The comparison can fail: a one-character edit of a vendored partial changes a page."""
    copy = tmp_path / "material"
    import shutil

    shutil.copytree(MATERIAL, copy)
    footer = copy / "partials" / "footer.html"
    footer.write_text(
        footer.read_text(encoding="utf-8").replace("md-footer-meta__inner", "md-footer-meta__inner x"), encoding="utf-8"
    )
    import dangjian.site.theme as theme

    monkeypatch.setattr(theme, "theme_dirs", lambda: [TEMPLATES / "overrides", copy])
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    changed = render_all(make_root(tmp_path / "root"))
    assert changed["default-url-1/home.html"] != (GOLDEN / "default-url-1/home.html").read_text(encoding="utf-8")


def test_shapes_are_reused_and_filled_per_page():
    theme = MaterialTheme(
        None,
        site_name="测试站",
        description="描述",
        site_url="https://example.org/",
        nav=[NavEntry("首页", ""), NavEntry("组织", "orgs/")],
    )
    first = theme.render(PageSpec("orgs/a/", "甲支部", '<h1 id="dj-title">甲支部</h1><p>甲</p>'))
    second = theme.render(PageSpec("orgs/b/", "乙 & 丙", '<h1 id="dj-title">乙</h1><p>乙</p>'))
    assert len(theme._shapes) == 1
    assert "<title>乙 &amp; 丙 - 测试站</title>" in second and "https://example.org/orgs/b/" in second
    assert "甲" not in second and "\x1a" not in first + second


@pytest.mark.parametrize(
    "url,page,expected",
    [
        ("assets/x.css", "", "assets/x.css"),
        ("assets/x.css", "orgs/east/", "../../assets/x.css"),
        (".", "orgs/", ".."),
        (".", "", "."),
        ("orgs/", "orgs/east/", "../"),
        ("about/", "orgs/east/", "../../about/"),
        ("orgs/east/", "orgs/east/", "./"),
        ("a/b", "a/page.html", "b"),
        ("", "orgs/", ".."),
        ("../x", "a/b/", "../../x"),
    ],
)
def test_relative_urls_are_mkdocs_urls(url, page, expected):
    """Expected values are mkdocs 1.6.1's `get_relative_url` for the same arguments."""
    assert relative_url(url, page) == expected


# --- What is vendored, and what a registry may choose --------------------------------------


def _site_links(html: str) -> set[str]:
    """Links into assets/ (relative, or from the server root in 404 pages), as site paths."""
    links = re.findall(r'(?:href|src)="([^"]*assets/[^"]+)"', html) + re.findall(r'"search": "([^"]+)"', html)
    return {link[link.index("assets/") :] for link in links}


def test_every_asset_a_page_links_is_vendored_or_the_registrys(rendered):
    """Pages link Material's compiled assets by hashed name: each must be in site_templates/material/assets/."""
    linked = {link for html in rendered.values() for link in _site_links(html)}
    theirs = {link for link in linked if link.startswith(("assets/brands/", "assets/dangjian/"))}
    ours = linked - theirs
    assert {"assets/stylesheets/main.57a0d79d.min.css", "assets/javascripts/bundle.a5f9d56c.min.js"} <= ours
    missing = [link for link in ours if not (MATERIAL / link).is_file()]
    assert missing == []


def test_material_is_copied_with_its_licence_and_source_note():
    note = (MATERIAL / "THEME-SOURCE").read_text(encoding="utf-8")
    assert re.search(r"(?m)^Version: mkdocs-material 9\.8\.2$", note)
    assert "Permission is hereby granted" in (MATERIAL / "LICENSE").read_text(encoding="utf-8")
    generator = re.findall(r'<meta name="generator"[^>]*>', (MATERIAL / "base.html").read_text(encoding="utf-8"))
    assert generator == ['<meta name="generator" content="dangjian, mkdocs-material-9.8.2">']
    assert "mkdocs_version" in note  # the local change is listed


def test_only_a_short_list_of_icons_is_shipped():
    icons = sorted(p.relative_to(MATERIAL / ".icons").as_posix() for p in (MATERIAL / ".icons").rglob("*.svg"))
    assert 7 <= len(icons) <= 40 and "material/library.svg" in icons and "material/brightness-7.svg" in icons


@pytest.mark.parametrize(
    "icon,ok",
    [
        ("material/brightness-7", True),
        ("material/home", True),
        ("material/account-circle", False),
        ("fontawesome/brands/github", False),
    ],
)
def test_a_registry_may_choose_only_a_shipped_icon(tmp_path, icon, ok):
    config = check_config(f"theme:\n  name: material\n  icon:\n    logo: {icon}\n".encode(), "mkdocs.yml", tmp_path)
    assert [(p.line, p.column, p.message) for p in config.problems] == ([] if ok else [(4, 11, f"找不到图标 `{icon}`")])


def test_a_theme_without_a_name_is_still_a_problem(tmp_path):
    config = check_config(b"theme:\n  language: zh\n", "mkdocs.yml", tmp_path)
    assert [(p.line, p.column, p.message) for p in config.problems] == [
        (1, 1, "`theme` 的设置有误：No theme name set.")
    ]


def test_every_language_material_offers_is_accepted(tmp_path):
    for language in ("zh", "zh-Hant", "zh-TW", "en", "ja"):
        assert (
            check_config(f"theme: {{name: material, language: {language}}}\n".encode(), "mkdocs.yml", tmp_path).problems
            == []
        )


_BLOCK_MKDOCS = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("mkdocs", "material"):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
from pathlib import Path
from dangjian.site.build import build
build(Path(sys.argv[1]), Path(sys.argv[2]), with_search=False)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("mkdocs", "material")))
"""


def test_a_build_imports_neither_mkdocs_nor_material(tmp_path):
    env = {**os.environ, "DANGJIAN_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-c", _BLOCK_MKDOCS, str(FIXTURES / "minimal"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("[]")


def test_no_runtime_module_imports_mkdocs_or_material():
    package = REPO / "generator" / "dangjian"
    found = [
        f"{p.relative_to(package)}:{n}"
        for p in package.rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r"\s*(import|from)\s+(mkdocs|material)\b", line)
    ]
    assert found == []


# --- Settings of the right name but the wrong shape are problems, never a crash -------------
# (Material's templates test `"x" in features`, iterate `icon.admonition | items` and include
# `.icons/<toggle.icon>.svg`: a number, a string or a missing icon there stopped the build
# with a Python error.)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("theme: {name: material, features: 3}\n", [(1, 35, "`features` 必须是列表")]),
        ("theme: {name: material, features: navigation.tabs}\n", [(1, 35, "`features` 必须是列表")]),
        (
            "theme: {name: material, features: [navigation.tabs, {a: 1}]}\n",
            [(1, 53, "`theme.features.1` 必须是一段文字")],
        ),
        (
            "theme: {name: material, icon: material/home}\n",
            [(1, 31, "theme.icon 必须是设置（logo、menu 等图标的名字）")],
        ),
        (
            "theme: {name: material, icon: {admonition: material/home}}\n",
            [(1, 44, "theme.icon.admonition 必须是设置（提示框类型: 图标）")],
        ),
        (
            "theme: {name: material, icon: {tag: material/home}}\n",
            [(1, 37, "theme.icon.tag 必须是设置（标签类型: 图标）")],
        ),
        (
            "theme: {name: material, palette: [{toggle: x}]}\n",
            [(1, 44, "palette 的 toggle 必须是设置（icon 和 name）")],
        ),
        ("theme: {name: material, palette: [{toggle: {name: 切换}}]}\n", [(1, 44, "palette 的 toggle 缺少 icon")]),
        ("theme: {name: material, palette: [{toggle: {icon: {a: material/home}}}]}\n", [(1, 51, "图标必须写成名字")]),
        ("theme: {name: material, icon: {logo: {a: material/home}}}\n", [(1, 38, "图标必须写成名字")]),
    ],
)
def test_a_setting_of_the_wrong_shape_is_a_problem(registry, tmp_path, text, expected):
    from dangjian.site.build import InvalidRegistry, build

    config = check_config(text.encode(), "mkdocs.yml", tmp_path)
    assert [(p.line, p.column, p.message) for p in config.problems] == expected
    with pytest.raises(InvalidRegistry):
        build(registry({"mkdocs.yml": text}), tmp_path / "out", with_search=False)
    assert not (tmp_path / "out").exists()
