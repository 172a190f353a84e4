"""The registry's mkdocs.yml and the values that reach every page are untrusted input (issue 16).

A pull request can change `mkdocs.yml`, `registry/site.yaml` and free pages: none of them
may run code during a build, read a secret, put an off-site script on the site, or put
markup into the theme's part of a page. Exact problems for each refused setting are in
`tests/bad_cases_theme.py` (checked by tests/test_bad_cases.py); here, what the build does.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import strategies as st

from conftest import REPO
from dangjian.site.build import InvalidRegistry, build
from dangjian.site.theme import MaterialTheme, NavEntry, PageSpec
from dangjian.validate import validate

HOSTILE_TITLE = "</title><script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(1)>'
HOSTILE = HOSTILE_TITLE + HOSTILE_ATTR


def _refused(root: Path, out: Path) -> list:
    """Build `root` into `out`, expecting a refusal before anything is written; the problems."""
    with pytest.raises(InvalidRegistry) as refused:
        build(root, out, with_search=False)
    assert not out.exists(), "a refused build wrote its output folder"
    return refused.value.problems


def _on_mkdocs_yml(problems: list) -> list:
    return [p for p in problems if p.file == "mkdocs.yml"]


# --- Nothing in the root is code -------------------------------------------------------------


def test_a_template_in_custom_dir_never_runs(registry, tmp_path):
    ran = tmp_path / "ran"
    payload = "{{ lipsum.__globals__.os.popen('touch %s').read() }}" % ran
    root = registry(
        {
            "mkdocs.yml": "theme:\n  name: material\n  custom_dir: overrides\n",
            "overrides/main.html": "{% extends 'base.html' %}{% block content %}" + payload + "{% endblock %}",
            "overrides/partials/footer.html": payload,
        }
    )
    problems = _on_mkdocs_yml(_refused(root, tmp_path / "out"))
    assert not ran.exists(), "a registry template ran a shell command"
    assert [(p.line, p.column) for p in problems] == [(3, 3)] and "custom_dir" in problems[0].message


def test_a_custom_dir_outside_the_root_is_refused_and_its_assets_never_published(registry, tmp_path):
    outside = tmp_path / "elsewhere"
    (outside / "assets").mkdir(parents=True)
    (outside / "assets" / "secret.txt").write_text("主机上的秘密", encoding="utf-8")
    root = registry({"mkdocs.yml": f"theme:\n  name: material\n  custom_dir: {outside}\n"})
    problems = _on_mkdocs_yml(_refused(root, tmp_path / "out"))
    assert len(problems) == 1 and "custom_dir" in problems[0].message


@pytest.mark.parametrize(
    "tag",
    [
        "!ENV [DANGJIAN_TEST_SECRET, x]",
        "!ENV DANGJIAN_TEST_SECRET",
        "!relative $config_dir",
        "!!python/object/apply:os.getcwd []",
    ],
)
def test_yaml_tags_are_refused_and_no_secret_is_read(registry, tmp_path, monkeypatch, tag):
    monkeypatch.setenv("DANGJIAN_TEST_SECRET", "机密口令-8c1f")
    root = registry({"mkdocs.yml": f"theme:\n  name: material\n  font: false\ncopyright: {tag}\n"})
    problems = _on_mkdocs_yml(_refused(root, tmp_path / "out"))
    assert [(p.line, p.column) for p in problems] == [(4, 12)]
    assert "YAML 标签" in problems[0].message
    assert "机密口令" not in json.dumps([p.__dict__ for p in problems], ensure_ascii=False)


@pytest.mark.parametrize("key", ["extra_javascript", "extra_css"])
@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/x.js",
        "//evil.example/x.js",
        "http://evil.example/x.js",
        "javascript:alert(1)",
        "data:text/javascript,alert(1)",
        "HTTPS://evil.example/x",
        "\\\\evil.example\\x.js",
        " https://evil.example/x.js",
    ],
)
def test_off_site_scripts_and_styles_are_refused(registry, tmp_path, key, url):
    root = registry({"mkdocs.yml": f"theme:\n  name: material\n{key}:\n  - {json.dumps(url)}\n"})
    problems = _on_mkdocs_yml(_refused(root, tmp_path / "out"))
    assert [(p.line, p.column) for p in problems] == [(4, 5)], problems


@pytest.mark.parametrize(
    "path", ["../registry/site.yaml", "/etc/passwd", "assets/missing.css", "assets/../../x.css", "registry/site.yaml"]
)
def test_local_styles_must_be_published_files_inside_the_root(registry, tmp_path, path):
    root = registry({"mkdocs.yml": f"theme:\n  name: material\nextra_css: [{json.dumps(path)}]\n"})
    assert len(_on_mkdocs_yml(_refused(root, tmp_path / "out"))) == 1


def test_a_symlinked_style_is_refused(registry, tmp_path):
    root = registry({"mkdocs.yml": "theme:\n  name: material\nextra_css: [assets/brands/link.css]\n"})
    (root / "content/assets/brands/link.css").symlink_to("/etc/hostname")
    problems = _on_mkdocs_yml(validate(root).problems)
    assert len(problems) == 1 and "符号链接" in problems[0].message


def test_a_local_style_in_the_assets_is_published_and_linked(registry, tmp_path):
    from site_helpers import page

    root = registry(
        {
            "mkdocs.yml": (
                "theme:\n  name: material\n  font: false\n"
                "extra_css: [assets/dangjian/dangjian.css, assets/brands/red.svg]\n"
            )
        }
    )
    out = tmp_path / "out"
    build(root, out, with_search=False)
    links = [link["href"] for link in page(out, "orgs/east/").select("link[rel=stylesheet]")]
    assert "../../assets/brands/red.svg" in links and (out / "assets/brands/red.svg").is_file()


@pytest.mark.parametrize(
    "key,value",
    [
        ("plugins", "[search, macros]"),
        ("hooks", "[hooks.py]"),
        ("markdown_extensions", "[pymdownx.snippets, toc]"),
        ("INHERIT", "../base.yml"),
    ],
)
def test_plugins_hooks_and_extensions_are_refused_by_name(registry, tmp_path, key, value):
    root = registry({"mkdocs.yml": f"theme:\n  name: material\n{key}: {value}\n"})
    (root / "hooks.py").write_text(f"open({str(root / 'RAN')!r}, 'w').close()\n", encoding="utf-8")
    problems = _on_mkdocs_yml(_refused(root, tmp_path / "out"))
    names = [n.strip() for n in value.strip("[]").split(",")]
    assert len(problems) == (1 if key == "INHERIT" else len(names))
    for problem, name in zip(problems, names):
        assert (name if key != "INHERIT" else "INHERIT") in problem.message
    assert not (root / "RAN").exists()


@pytest.mark.parametrize("target", ["/etc/hostname", "registry/site.yaml"])
def test_a_symlinked_mkdocs_yml_is_refused_unread(registry, tmp_path, target):
    root = registry()
    (root / "mkdocs.yml").symlink_to(target if target.startswith("/") else root / target)
    problems = _on_mkdocs_yml(_refused(root, tmp_path / "out"))
    assert [(p.line, p.column, p.message) for p in problems] == [
        (1, 1, "mkdocs.yml 必须是普通文件，不能是符号链接或文件夹")
    ]


def test_validate_reports_mkdocs_yml_problems_with_the_registrys(registry):
    root = registry(
        {
            "mkdocs.yml": "theme:\n  name: material\n  custom_dir: x\nplugins: [search]\n",
            "registry/orgs/east.yaml": None,
        }
    )
    for full in (True, False):
        problems = validate(root, full=full).problems
        assert [(p.file, p.line) for p in _on_mkdocs_yml(problems)] == [("mkdocs.yml", 3), ("mkdocs.yml", 4)]
        assert any(p.file.startswith("registry/") for p in problems)


def test_the_demo_and_default_settings_are_accepted():
    from dangjian.themeconfig import read_site_config

    for root in (REPO, REPO / "site_templates"):
        config = read_site_config(root)
        assert config.problems == [], config.problems


# --- Every value reaching HTML is escaped ----------------------------------------------------


def _hostile_registry(registry):
    site = (REPO / "tests/fixtures/minimal/registry/site.yaml").read_text(encoding="utf-8")
    site = site.replace("title: 测试镇党建", f"title: {json.dumps(HOSTILE)}")
    site = site.replace(
        "description: 最小的有效登记簿，供测试使用", f"description: {json.dumps(HOSTILE_ATTR + HOSTILE_TITLE)}"
    )
    return registry(
        {
            "registry/site.yaml": site,
            "content/pages/about.md": f"---\ntitle: {json.dumps('关于' + HOSTILE)}\n---\n正文。\n",
            "content/pages/zz-heading.md": f"# 标题{HOSTILE}\n\n正文。\n",
            "mkdocs.yml": f"theme:\n  name: material\n  font: false\n  features: [navigation.tabs]\n"
            f"copyright: {json.dumps('版权' + HOSTILE)}\n",
        }
    )


def _assert_inert(soup: BeautifulSoup, where: str) -> None:
    assert not [s for s in soup.find_all("script") if (s.string or "").strip() == "alert(1)"], where
    assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)], where
    # the page body's Markdown is sanitised by markdown.py (which may keep an <img> without
    # its handler): the theme's part of the page must hold no element made of these values
    for body in soup.select("[data-pagefind-body]"):
        body.decompose()
    assert soup.find("img", src="x") is None, where


def test_hostile_titles_descriptions_and_page_titles_stay_text(registry, tmp_path):
    root = _hostile_registry(registry)
    out = tmp_path / "out"
    build(root, out, with_search=False)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        _assert_inert(soup, str(path))
    home = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert home.title.string == HOSTILE
    assert home.find("meta", attrs={"name": "description"})["content"] == HOSTILE_ATTR + HOSTILE_TITLE
    assert home.select_one(".md-header__topic .md-ellipsis").get_text(strip=True) == HOSTILE
    assert home.select_one(".md-header__button.md-logo")["title"] == HOSTILE
    tabs = [a.get_text(strip=True) for a in home.select(".md-tabs__link")]
    assert "关于" + HOSTILE in tabs and "标题" + HOSTILE in tabs
    about = BeautifulSoup((out / "about/index.html").read_text(encoding="utf-8"), "html.parser")
    assert about.title.string == f"关于{HOSTILE} - {HOSTILE}"
    assert home.select_one(".md-copyright").get_text(" ", strip=True).startswith("版权" + HOSTILE)
    missing = BeautifulSoup((out / "404.html").read_text(encoding="utf-8"), "html.parser")
    assert missing.title.string == HOSTILE


def test_a_hostile_site_url_is_escaped_in_the_canonical_link(tmp_path):
    url = 'https://example.org/"><script>alert(1)</script>/'
    theme = MaterialTheme(
        None,
        site_name=HOSTILE,
        description=HOSTILE_ATTR,
        site_url=url,
        nav=[NavEntry("首页", ""), NavEntry(HOSTILE, "orgs/")],
    )
    for spec in (
        PageSpec("", HOSTILE, '<h1 id="dj-title">x</h1>'),
        PageSpec("orgs/", HOSTILE, "<h1>x</h1>"),
        PageSpec("orgs/east/", HOSTILE_TITLE, "<h1>x</h1>", HOSTILE_ATTR),
    ):
        soup = BeautifulSoup(theme.render(spec), "html.parser")
        _assert_inert(soup, spec.url)
        assert soup.find("link", rel="canonical")["href"] == url + spec.url
    _assert_inert(BeautifulSoup(theme.render_404(), "html.parser"), "404")


# Markup-significant pieces mixed with any printable character (validation refuses control characters).
_PIECES = [
    "<",
    ">",
    '"',
    "'",
    "&",
    "/",
    "=",
    " ",
    "<script>alert(1)</script>",
    "</title>",
    '"><img src=x onerror=alert(1)>',
    "&amp;",
    "&lt;b&gt;",
    "<!--",
    "]]>",
    "{{ 7*7 }}",
    "%3Cscript%3E",
    "javascript:",
]
_TEXT = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.characters(blacklist_categories=("Cs", "Cc"))), max_size=12
).map("".join)


def _shape(soup: BeautifulSoup) -> list[tuple[str, tuple[str, ...]]]:
    """The page's elements and their attribute names, in order: what markup in a value would change."""
    return [(tag.name, tuple(sorted(tag.attrs))) for tag in soup.find_all(True)]


@pytest.fixture(scope="module")
def benign_shapes(tmp_path_factory):
    theme = MaterialTheme(
        None,
        site_name="站",
        description="简介",
        site_url="https://example.org/",
        nav=[NavEntry("首页", ""), NavEntry("关于", "about/")],
    )
    return {
        url: _shape(
            BeautifulSoup(theme.render(PageSpec(url, "标题", '<h1 id="dj-title">x</h1>', "描述")), "html.parser")
        )
        for url in ("", "about/", "orgs/east/")
    }


def test_any_text_in_any_theme_value_reads_back_literally_and_adds_no_markup(benign_shapes, tmp_path):
    """Property: whatever the site name, description, nav title, page title and description
    hold, the page has the same elements and attributes as a plain page, and each reads back as written."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(site=_TEXT.filter(str.strip), about=_TEXT.filter(str.strip), title=_TEXT.filter(str.strip), text=_TEXT)
    def check(site, about, title, text):
        theme = MaterialTheme(
            None,
            site_name=site,
            description=text,
            site_url="https://example.org/",
            nav=[NavEntry("首页", ""), NavEntry(about, "about/")],
        )
        for url in ("", "about/", "orgs/east/"):
            soup = BeautifulSoup(theme.render(PageSpec(url, title, '<h1 id="dj-title">x</h1>', text)), "html.parser")
            assert _shape(soup) == benign_shapes[url]
            expected = {"": site, "about/": f"{about} - {site}", "orgs/east/": f"{title} - {site}"}[url]
            assert soup.title.string == expected
            assert soup.find("meta", attrs={"name": "description"})["content"] == text or not text
            tabs = [a.get_text() for a in soup.select(".md-tabs__link, .md-nav__link")]
            assert any(about.strip() == t.strip() for t in tabs)

    check()


def test_the_theme_refuses_a_bad_mkdocs_yml_it_is_given(tmp_path):
    """`dangjian merge --root` hands the theme a mkdocs.yml that validation never saw."""
    from dangjian.site.theme import ThemeError

    (tmp_path / "mkdocs.yml").write_text("theme:\n  name: material\n  custom_dir: t\nhooks: [h.py]\n", encoding="utf-8")
    with pytest.raises(ThemeError) as refused:
        MaterialTheme(
            tmp_path / "mkdocs.yml", site_name="站", description="", site_url=None, nav=[NavEntry("首页", "")]
        )
    assert "mkdocs.yml:3:3:" in str(refused.value) and "mkdocs.yml:4:9:" in str(refused.value)


# --- The footer is the site's own ------------------------------------------------------------


def test_the_footer_is_chinese_with_no_off_site_link(registry, tmp_path):
    from site_helpers import page

    root = registry(
        {
            "mkdocs.yml": "theme:\n  name: material\n  font: false\ncopyright: © 2026 测试镇党委\n"
            "extra:\n  icp: 浙ICP备00000000号-1\n"
        }
    )
    out = tmp_path / "out"
    build(root, out, with_search=False)
    for url in ("", "orgs/east/", "404.html"):
        soup = page(out, url)
        footer = soup.select_one("footer")
        assert "Made with" not in footer.get_text() and "Material for MkDocs" not in footer.get_text()
        off_site = [a["href"] for a in footer.select("a[href]") if "://" in a["href"]]
        assert off_site == ["https://beian.miit.gov.cn/"], off_site
        assert "© 2026 测试镇党委" in footer.get_text() and "浙ICP备00000000号-1" in footer.get_text()
        assert soup.html["lang"] in ("zh-CN", "zh-Hans")


def test_without_settings_the_footer_has_no_link_at_all(registry, tmp_path):
    from site_helpers import page

    out = tmp_path / "out"
    build(registry(), out, with_search=False)
    footer = page(out, "").select_one("footer")
    assert footer.select("a[href*='://']") == [] and "Material" not in footer.get_text()


# --- dangjian serve ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(registry, tmp_path):
    """A preview server on a free port, in a thread, over a built minimal registry."""
    from dangjian.site.serve import Preview

    root = registry()
    messages: list[str] = []
    preview = Preview(root, tmp_path / "site", with_search=False, say=messages.append)
    preview.rebuild()
    server = preview.server("127.0.0.1", _free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield preview, f"http://127.0.0.1:{server.server_address[1]}/", messages
    server.shutdown()
    server.server_close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_serve_answers_a_missing_page_with_the_sites_404(served):
    preview, base, _ = served
    status, body = _get(base + "no/such/page/")
    assert status == 404
    soup = BeautifulSoup(body, "html.parser")
    assert soup.find("h1").get_text() == "页面不存在" and "Error response" not in body
    assert (
        soup.title.string
        == BeautifulSoup((preview.out / "404.html").read_text(encoding="utf-8"), "html.parser").title.string
    )


def test_serve_reloads_the_browser_after_a_rebuild_and_built_sites_have_no_reload_script(served):
    preview, base, _ = served
    status, body = _get(base + "orgs/east/")
    assert status == 200 and "__dangjian/version" in body
    assert "__dangjian" not in (preview.out / "orgs/east/index.html").read_text(encoding="utf-8")
    _, before = _get(base + "__dangjian/version")
    assert preview.rebuild()
    _, after = _get(base + "__dangjian/version")
    assert before != after


def test_serve_keeps_the_last_good_site_when_mkdocs_yml_breaks(served):
    preview, base, messages = served
    (preview.root / "mkdocs.yml").write_text("theme:\n  name: material\n  custom_dir: x\n", encoding="utf-8")
    assert preview.rebuild() is False
    status, body = _get(base + "orgs/east/")
    assert status == 200 and "东村" in body
    assert any("mkdocs.yml:3:3:" in m and "custom_dir" in m for m in messages), messages


@pytest.mark.parametrize(
    "name",
    [
        ".#east.yaml",
        "east.yaml~",
        ".east.yaml.swp",
        ".east.yaml.swx",
        "4913",
        "east.yaml.tmp",
        "#east.yaml#",
        ".DS_Store",
        "east.yaml___jb_tmp___",
    ],
)
def test_serve_ignores_editor_temporary_files(name):
    from dangjian.site.serve import is_editor_temp

    assert is_editor_temp(name)


@pytest.mark.parametrize("name", ["east.yaml", "about.md", "mkdocs.yml", "red.svg", "2026-Q1.yaml"])
def test_serve_names_real_registry_files(name):
    from dangjian.site.serve import is_editor_temp

    assert not is_editor_temp(name)


def test_serve_names_the_changed_registry_file_not_the_editors_temporary(tmp_path):
    from watchfiles import Change

    from dangjian.site.serve import changed_files

    root = tmp_path
    changes = {
        (Change.added, str(root / "registry/orgs/.#east.yaml")),
        (Change.modified, str(root / "registry/orgs/east.yaml")),
        (Change.added, str(root / "registry/orgs/4913")),
        (Change.deleted, str(root / "registry/orgs/east.yaml~")),
    }
    assert changed_files(root, changes) == ["registry/orgs/east.yaml"]
    assert changed_files(root, {(Change.added, str(root / "content/.about.md.swp"))}) == []


def test_an_open_page_reloads_itself_after_a_rebuild_in_chromium(served):
    """The guide promises 修改后自动刷新: a real browser, a real edit, the new text on screen."""
    import os

    from site_helpers import CHROMIUM, launch_chromium

    if not CHROMIUM:
        if os.environ.get("DANGJIAN_REQUIRE_BROWSER"):
            raise RuntimeError("chromium is required for the browser tests")
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    preview, base, _ = served
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.goto(base + "orgs/east/")
            assert "东村" in page.inner_text("h1")
            org = preview.root / "registry/orgs/east.yaml"
            org.write_text(org.read_text(encoding="utf-8").replace("东村党支部", "东村党总支"), encoding="utf-8")
            assert preview.rebuild()
            page.wait_for_function("document.querySelector('h1').textContent.includes('东村党总支')", timeout=15000)
        finally:
            browser.close()


def _wait_for(condition, seconds: float = 60) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_serve_watches_registry_files_and_a_replaced_mkdocs_yml(served):
    """Editors save by writing a temporary and renaming it over the file: both are seen, only the file is named."""
    import os

    preview, base, messages = served
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, kwargs={"stop": stop}, daemon=True)
    watcher.start()
    try:
        _wait_for(lambda: False, 1.5)  # the watch is set up
        org = preview.root / "registry/orgs/east.yaml"
        (org.parent / ".#east.yaml").write_text("lock", encoding="utf-8")
        (org.parent / "4913").write_text("", encoding="utf-8")
        org.write_text(org.read_text(encoding="utf-8").replace("东村党支部", "东村党总支"), encoding="utf-8")
        assert _wait_for(lambda: "东村党总支" in _get(base + "orgs/east/")[1]), messages
        assert "检测到修改：registry/orgs/east.yaml" in messages, messages
        settings = preview.root / "mkdocs.yml"
        temporary = preview.root / ".mkdocs.yml.swp"
        temporary.write_text("theme:\n  name: material\n  font: false\ncopyright: 替换保存的版权\n", encoding="utf-8")
        os.replace(temporary, settings)
        assert _wait_for(lambda: "替换保存的版权" in _get(base + "orgs/east/")[1]), messages
        assert "检测到修改：mkdocs.yml" in messages, messages
        assert not [m for m in messages if "#" in m or "4913" in m or ".swp" in m], messages
    finally:
        stop.set()
        watcher.join(10)


def test_serve_before_any_good_build_says_so_in_chinese(registry, tmp_path):
    from dangjian.site.serve import Preview

    root = registry({"mkdocs.yml": "theme: {name: material, custom_dir: x}\n"})
    messages: list[str] = []
    preview = Preview(root, tmp_path / "site", with_search=False, say=messages.append)
    assert preview.rebuild() is False and not (tmp_path / "site").exists()
    server = preview.server("127.0.0.1", _free_port())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, body = _get(f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
    assert status == 404 and "网站还没有生成" in body and "__dangjian/version" in body
    assert any("custom_dir" in m for m in messages)


def test_serve_on_a_taken_port_is_a_chinese_usage_error(registry):
    from click.testing import CliRunner

    from dangjian.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--root", str(registry()), "--port", str(port), "--no-search"])
    assert result.exit_code == 2 and "端口可能已被占用" in result.output, result.output
