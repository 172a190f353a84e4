"""`dangjian merge`: two shard sites (built from the minimal registry) as one site with one search."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit, unquote

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from conftest import MINIMAL, REPO, apply_overlay
from site_helpers import CHROMIUM, build_site, launch_chromium
from dangjian.cli import main
from dangjian.site import shards as shards_module
from dangjian.site.shards import SEARCH_CONFIG, MergeError, merge, parse_shard
from site_helpers import pinned_engine

engine_pinned = pinned_engine("pagefind")  # this module tests Pagefind's path (test_*own*.py the own index's)

DANGJIAN = Path(sys.executable).parent / "dangjian"
BASE = "https://example.org/sheng/"
SITE_YAML = (
    "title: {title}\ndescription: {title}的党建\nroot: town\n{base}stars: {{5: 90, 4: 80, 3: 70, 2: 60, 1: 0}}\n"
)
# Each shard gets a free page with a word found in no other page of either shard.
SHARDS = {
    "wuxi": ("无锡市党建", f"base_url: {BASE}wuxi/\n", "# 无锡特色\n\n太湖渔业合作社由党员带头成立。\n"),
    "suzhou": (
        "苏州市党建",
        "",
        "# 苏州特色\n\n东山茶叶合作社由党员带头成立。\n",
    ),  # no base_url: its sitemap holds paths
}


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> dict[str, Path]:
    """Two shard sites, as two city CI jobs would build them."""
    built = {}
    for name, (title, base, page) in SHARDS.items():
        root = tmp_path_factory.mktemp(name) / "root"
        shutil.copytree(MINIMAL, root)
        apply_overlay(
            root, {"registry/site.yaml": SITE_YAML.format(title=title, base=base), "content/pages/tese.md": page}
        )
        built[name] = build_site(root, root.parent / "site", search=True)
    return built


@pytest.fixture(scope="module")
def merged(shards, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("province") / "site"
    report = merge(list(shards.items()), out, title="示范省党建", description="全省各市的基层党建", base_url=BASE)
    assert report.warnings == [] and [s.name for s in report.shards] == ["wuxi", "suzhou"]
    return out


def files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


# --- the merged tree ---------------------------------------------------------------------------------


def test_every_shard_file_is_under_its_prefix_unchanged(shards, merged):
    for name, site in shards.items():
        for rel in files(site):
            target = merged / name / rel
            assert target.is_file(), f"{name}/{rel}"
            if rel != SEARCH_CONFIG and not (name == "suzhou" and rel == "sitemap.xml"):  # both rewritten on purpose
                assert target.read_bytes() == (site / rel).read_bytes(), f"{name}/{rel}"
        assert (merged / name / "orgs/east/index.html").is_file() and (merged / name / "api/orgs.json").is_file()


def test_merging_leaves_the_shards_untouched(shards, merged):
    for site in shards.values():  # each still searches itself alone
        own = json.loads((site / SEARCH_CONFIG).read_text(encoding="utf-8"))
        assert [bundle["bundle"] for bundle in own["bundles"]] == ["pagefind/"]
    assert "<loc>/orgs/" in (shards["suzhou"] / "sitemap.xml").read_text(encoding="utf-8")


def _links(page: Path) -> list[str]:
    html = soup(page)
    return [tag.get(attr) for attr in ("href", "src") for tag in html.find_all(attrs={attr: True})]


def _target(page: Path, link: str) -> Path | None:
    """The file a relative link of `page` points at, or None for links that leave the site."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("#", "/")) or not parts.path:
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    return target / "index.html" if link.split("?")[0].split("#")[0].endswith("/") or target.is_dir() else target


def test_links_in_shard_pages_resolve_inside_their_shard(merged):
    checked = 0
    for name in SHARDS:
        shard = (merged / name).resolve()
        for page in sorted(shard.rglob("*.html")):
            if page.name == "404.html":
                continue  # links from the server root, as mkdocs makes them; the merged site's own 404 is at the top
            for link in _links(page):
                target = _target(page, link)
                if target is None:
                    continue
                assert target.is_file(), f"{page.relative_to(merged)}: {link}"
                assert shard in target.parents, f"{page.relative_to(merged)}: {link} leaves its shard"
                checked += 1
    assert checked > 500


def test_the_home_page_lists_both_shards_in_the_sites_look(merged):
    home = soup(merged / "index.html")
    assert home.html["lang"].startswith("zh") and home.select_one("h1#dj-title").get_text() == "示范省党建"
    cards = {a["href"]: a.get_text(" ", strip=True) for a in home.select("a.dj-card")}
    assert list(cards) == ["wuxi/", "suzhou/"]
    assert "无锡市党建" in cards["wuxi/"] and "苏州市党建" in cards["suzhou/"] and "3 个党组织" in cards["wuxi/"]
    assert [a.get_text(strip=True) for a in home.select(".md-tabs__link")] == ["首页", "无锡市党建", "苏州市党建"]
    assert home.select_one("link[rel=canonical]")["href"] == BASE
    assert home.select_one("[data-dj-search]") is not None
    for link in _links(merged / "index.html"):
        target = _target(merged / "index.html", link)
        assert target is None or target.is_file(), link
    assert "页面不存在" in (merged / "404.html").read_text(encoding="utf-8")


HOSTILE = "<script>alert(\"x\")</script> & 'q' </span><b>"


def test_hostile_titles_and_names_are_text_on_the_home_page():
    """A shard's title is read back from its own page and unescaped; the merged title and description come from
    the command line: all are text, never markup, in the element and in attributes."""
    shard = shards_module.Shard('a"b<i>', Path("."), title=HOSTILE, description=HOSTILE, pages=3)
    body = BeautifulSoup(shards_module.home_body([shard], HOSTILE, HOSTILE + "d"), "html.parser")
    assert body.find(["script", "b", "i"]) is None
    assert body.select_one("h1#dj-title").get_text() == HOSTILE
    assert body.select_one("p.dj-lead").get_text() == HOSTILE + "d"
    (card,) = body.select("a.dj-card")
    assert card["href"] == 'a"b<i>/' and card["data-dj-shard"] == 'a"b<i>'
    assert card.select_one(".dj-card__title").get_text() == HOSTILE
    assert card.select_one(".dj-card__meta").get_text() == HOSTILE + " · 3 个页面"


def test_a_hostile_merged_title_is_text_on_every_page_of_its_own(shards, tmp_path):
    out = merge(list(shards.items()), tmp_path / "site", title=HOSTILE, description=HOSTILE).out
    for name in ("index.html", "404.html"):
        page = soup(out / name)
        assert [s for s in page.find_all("script") if "alert" in s.get_text()] == [], name
        assert page.find("b") is None, name
        assert HOSTILE in page.title.get_text(), name
    home = soup(out / "index.html")
    assert home.select_one("h1#dj-title").get_text() == HOSTILE
    assert home.select_one("p.dj-lead").get_text() == HOSTILE


def test_one_search_config_names_every_bundle(merged):
    top = json.loads((merged / SEARCH_CONFIG).read_text(encoding="utf-8"))
    assert [(b["name"], b["title"], b["bundle"]) for b in top["bundles"]] == [
        ("wuxi", "无锡市党建", "wuxi/pagefind/"),
        ("suzhou", "苏州市党建", "suzhou/pagefind/"),
    ]
    for bundle in top["bundles"]:
        assert (merged / bundle["bundle"] / "pagefind-entry.json").is_file()
        assert (merged / bundle["bundle"] / "pagefind.js").is_file()
    for name in SHARDS:  # each shard's copy sits beside its pagefind/, where its pages' search dialog looks
        inner = json.loads((merged / name / SEARCH_CONFIG).read_text(encoding="utf-8"))
        for bundle in inner["bundles"]:
            assert ((merged / name) / bundle["bundle"] / "pagefind-entry.json").resolve().is_file()
    script = (merged / "wuxi/assets/dangjian/search.js").read_text(encoding="utf-8")
    assert "../dangjian-search.json" in script and "mergeIndex" in script


def test_sitemap_index_robots_and_shard_list(merged):
    index = (merged / "sitemap.xml").read_text(encoding="utf-8")
    assert re.findall(r"<loc>([^<]*)</loc>", index) == [f"{BASE}wuxi/sitemap.xml", f"{BASE}suzhou/sitemap.xml"]
    assert "<sitemapindex" in index
    wuxi = re.findall(r"<loc>([^<]*)</loc>", (merged / "wuxi/sitemap.xml").read_text(encoding="utf-8"))
    suzhou = re.findall(r"<loc>([^<]*)</loc>", (merged / "suzhou/sitemap.xml").read_text(encoding="utf-8"))
    assert wuxi[0] == f"{BASE}wuxi/" and suzhou[0] == f"{BASE}suzhou/"
    assert f"{BASE}suzhou/orgs/east/" in suzhou and len(wuxi) == len(suzhou)
    assert f"Sitemap: {BASE}sitemap.xml" in (merged / "robots.txt").read_text(encoding="utf-8")
    listed = json.loads((merged / "api/shards.json").read_text(encoding="utf-8"))
    assert [(s["name"], s["url"], s["orgs"]) for s in listed] == [("wuxi", "wuxi/", 3), ("suzhou", "suzhou/", 3)]
    assert all(s["pages"] == len(wuxi) for s in listed)


# --- bad inputs -----------------------------------------------------------------------------------------


def run(*args) -> subprocess.CompletedProcess:
    """The real console command, in a subprocess."""
    return subprocess.run([str(DANGJIAN), "merge", *map(str, args)], capture_output=True, text=True, timeout=300)


def invoke(*args):
    """The same command in this process (faster, for the many bad inputs)."""
    return CliRunner().invoke(main, ["merge", *map(str, args)], catch_exceptions=False)


def test_bad_inputs_give_chinese_errors_and_write_nothing(shards, tmp_path):
    wuxi, suzhou = shards["wuxi"], shards["suzhou"]
    own_config = (wuxi / SEARCH_CONFIG).read_bytes()
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "index.html").write_text("<h1>hello</h1>", encoding="utf-8")
    unrelated = tmp_path / "notes"
    unrelated.mkdir()
    (unrelated / "keep.txt").write_text("keep", encoding="utf-8")
    cases = [
        ([f"a={wuxi}", f"a={suzhou}"], tmp_path / "o", "分站名 `a` 重复"),
        ([f"a={wuxi}", f"b={wuxi}"], tmp_path / "o", "给了两次"),
        ([f"a={wuxi}", f"b={plain}"], tmp_path / "o", "不是 dangjian 生成的网站"),
        ([f"a={wuxi}", f"b={tmp_path / 'missing'}"], tmp_path / "o", "文件夹不存在"),
        ([f"a={wuxi}"], wuxi / "merged", "在分站 `a` 的文件夹"),
        ([f"a={wuxi}"], wuxi, "输出文件夹就是分站 `a` 的文件夹"),
        ([f"a={wuxi}"], wuxi.parent, "在输出文件夹"),
        ([f"api={wuxi}"], tmp_path / "o", "被合并后的网站自己占用"),
        ([f"Wuxi={wuxi}"], tmp_path / "o", "只能用小写字母、数字和 -"),
        ([str(tmp_path / "无锡")], tmp_path / "o", "不能直接作为分站名"),
        ([f"a={wuxi}"], unrelated, "不是 dangjian merge 生成的网站"),
        ([f"a={wuxi}", "--base-url", "example.org"], tmp_path / "o", "以 http:// 或 https:// 开头"),
    ]
    for shard_args, out, message in cases:
        done = invoke("--out", out, *shard_args)
        assert done.exit_code == 2, (shard_args, done.output)
        assert message in done.stderr, (shard_args, done.output)
        assert not (tmp_path / "o").exists()
    done = run("--out", tmp_path / "o", f"a={wuxi}", f"a={suzhou}")
    assert done.returncode == 2 and "✗ 分站名 `a` 重复" in done.stderr and "Traceback" not in done.stderr
    assert (unrelated / "keep.txt").read_text(encoding="utf-8") == "keep"
    assert not (wuxi / "merged").exists() and (wuxi / SEARCH_CONFIG).read_bytes() == own_config
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_shard_without_search_or_a_merged_site_is_refused(shards, merged, tmp_path):
    no_search = build_site(MINIMAL, tmp_path / "no-search", search=False)
    with pytest.raises(MergeError, match="没有搜索索引.*不要加 --no-search"):
        merge([("a", shards["wuxi"]), ("b", no_search)], tmp_path / "o")
    with pytest.raises(MergeError, match="是一个合并后的网站"):
        merge([("a", shards["wuxi"]), ("b", merged)], tmp_path / "o")
    old = tmp_path / "old"
    shutil.copytree(shards["wuxi"], old)
    script = old / "assets/dangjian/search.js"
    script.write_text(script.read_text(encoding="utf-8").replace(SEARCH_CONFIG, "x.json"), encoding="utf-8")
    with pytest.raises(MergeError, match="旧版 dangjian"):
        merge([("a", shards["wuxi"]), ("b", old)], tmp_path / "o")
    entry = tmp_path / "other/pagefind/pagefind-entry.json"
    shutil.copytree(shards["suzhou"], tmp_path / "other")
    entry.write_text(entry.read_text(encoding="utf-8").replace('"version":"', '"version":"0.'), encoding="utf-8")
    with pytest.raises(MergeError, match="不同版本的 Pagefind"):
        merge([("a", shards["wuxi"]), ("b", tmp_path / "other")], tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_shard_arguments():
    assert parse_shard("wuxi=out/a=b") == ("wuxi", Path("out/a=b"))
    assert parse_shard("shards/nanjing/") == ("nanjing", Path("shards/nanjing/"))
    with pytest.raises(MergeError, match="缺少文件夹"):
        parse_shard("wuxi=")


# --- atomic output -------------------------------------------------------------------------------------------


def test_a_failed_merge_keeps_the_previous_site(shards, tmp_path, monkeypatch):
    out = tmp_path / "site"
    merge([("wuxi", shards["wuxi"])], out)
    before = {rel: (out / rel).read_bytes() for rel in files(out)}

    def broken(*args, **kwargs):
        raise OSError("磁盘已满")

    monkeypatch.setattr(shards_module, "home_body", broken)
    with pytest.raises(OSError):
        merge(list(shards.items()), out)
    with pytest.raises(MergeError):
        merge([("wuxi", shards["wuxi"]), ("wuxi", shards["suzhou"])], out)
    assert {rel: (out / rel).read_bytes() for rel in files(out)} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    monkeypatch.undo()
    merge(list(shards.items()), out)  # over a previous merge: replaced whole
    assert json.loads((out / "api/shards.json").read_text(encoding="utf-8"))[1]["name"] == "suzhou"
    assert (out / "suzhou/index.html").is_file()


def test_a_shard_of_an_earlier_merge_can_be_merged_again(shards, tmp_path):
    """A publish may rebuild one city and take the others from the previous merged site."""
    first = merge(list(shards.items()), tmp_path / "first").out
    assert "<loc>/suzhou/orgs/east/</loc>" in (first / "suzhou/sitemap.xml").read_text(encoding="utf-8")
    again = merge([("su", first / "suzhou"), ("wuxi", shards["wuxi"])], tmp_path / "again").out
    assert "<loc>/su/orgs/east/</loc>" in (again / "su/sitemap.xml").read_text(encoding="utf-8")
    bundles = json.loads((again / "su" / SEARCH_CONFIG).read_text(encoding="utf-8"))["bundles"]
    assert [b["bundle"] for b in bundles] == ["../su/pagefind/", "../wuxi/pagefind/"]
    assert json.loads((first / "suzhou" / SEARCH_CONFIG).read_text(encoding="utf-8"))["bundles"][0]["name"] == "wuxi"


def test_the_command_reports_and_warns_about_a_shard_at_another_address(shards, tmp_path):
    done = run(
        "--out",
        tmp_path / "site",
        "--title",
        "示范省党建",
        "--base-url",
        "https://other.example/",
        f"wuxi={shards['wuxi']}",
        f"suzhou={shards['suzhou']}",
    )
    assert done.returncode == 0, done.stderr
    assert "✓ 已合并 2 个分站" in done.stderr
    assert "分站 `wuxi` 的 base_url 是 https://example.org/sheng/wuxi/" in done.stderr
    assert "https://other.example/wuxi/" in done.stderr and "`suzhou`" not in done.stderr
    assert (tmp_path / "site/wuxi/index.html").is_file()


# --- one search, in a browser ----------------------------------------------------------------------------------


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("DANGJIAN_REQUIRE_BROWSER"), reason="chromium is not installed")
def test_a_query_in_the_merged_site_finds_a_page_of_each_shard(merged):
    playwright = pytest.importorskip("playwright.sync_api")
    assert CHROMIUM, "chromium is required for the browser tests (apt-get install chromium)"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(merged))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        with playwright.sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                home = browser.new_page(viewport={"width": 390, "height": 844})
                home.goto(server)
                overflow = home.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                assert overflow <= 0, f"the province home scrolls sideways by {overflow}px on a phone"
                (REPO / "test-artifacts").mkdir(exist_ok=True)
                home.screenshot(path=str(REPO / "test-artifacts/province-home-390.png"), full_page=True)
                home.close()
                for start in ("", "wuxi/orgs/", "suzhou/orgs/east/"):
                    page = browser.new_page(viewport={"width": 390, "height": 844})
                    page.goto(server + start + "?q=合作社")
                    titles = ".dj-search__result-title .dj-search__result-link"
                    page.wait_for_function(f"document.querySelectorAll('{titles}').length >= 2", timeout=20000)
                    links = {link.inner_text(): link.get_attribute("href") for link in page.query_selector_all(titles)}
                    page.close()
                    assert links.get("无锡特色 · 无锡市党建", "").endswith("/wuxi/tese/"), (start, links)
                    assert links.get("苏州特色 · 苏州市党建", "").endswith("/suzhou/tese/"), (start, links)
            finally:
                browser.close()
    finally:
        httpd.shutdown()


def test_a_large_shard_s_split_sitemaps_are_listed_one_by_one(tmp_path, monkeypatch):
    from dangjian.site import feeds

    monkeypatch.setattr(feeds, "SITEMAP_URLS", 4)
    root = tmp_path / "root"
    shutil.copytree(MINIMAL, root)
    title, base, page = SHARDS["suzhou"]  # no base_url: its sitemaps hold paths from its own root
    apply_overlay(root, {"registry/site.yaml": SITE_YAML.format(title=title, base=base), "content/pages/tese.md": page})
    big = build_site(root, tmp_path / "big", search=True)
    assert "<sitemapindex" in (big / "sitemap.xml").read_text(encoding="utf-8")
    by_number = lambda path: int(path.stem.split("-")[1])  # noqa: E731
    pages = [
        loc
        for part in sorted(big.glob("sitemap-*.xml"), key=by_number)
        for loc in re.findall(r"<loc>([^<]*)</loc>", part.read_text(encoding="utf-8"))
    ]
    assert len(pages) > 4
    monkeypatch.setattr(feeds, "SITEMAP_URLS", 10_000)
    small = build_site(root, tmp_path / "small", search=True)
    assert pages == re.findall(r"<loc>([^<]*)</loc>", (small / "sitemap.xml").read_text(encoding="utf-8"))
    report = merge([("big", big), ("small", small)], tmp_path / "out", base_url=BASE)
    assert report.shards[0].pages == report.shards[1].pages == len(pages)
    out = tmp_path / "out"
    top = re.findall(r"<loc>([^<]*)</loc>", (out / "sitemap.xml").read_text(encoding="utf-8"))
    parts = [p.name for p in sorted(big.glob("sitemap-*.xml"), key=by_number)]
    assert top == [f"{BASE}big/{name}" for name in parts] + [f"{BASE}small/sitemap.xml"]  # no index inside an index
    merged_pages = [
        loc
        for name in parts
        for loc in re.findall(r"<loc>([^<]*)</loc>", (out / "big" / name).read_text(encoding="utf-8"))
    ]
    assert merged_pages == [f"{BASE}big{loc}" for loc in pages]
    inner = re.findall(r"<loc>([^<]*)</loc>", (out / "big/sitemap.xml").read_text(encoding="utf-8"))
    assert inner == [f"{BASE}big/{name}" for name in parts]


def test_a_city_whose_orgs_table_is_in_parts_is_counted(shards, tmp_path):
    """At city scale api/orgs.json is published in parts (exports.PART_BYTES): the merged shard list still
    counts every org, not "unknown"."""
    from dangjian.site.exports import part_names

    site = tmp_path / "wuxi"
    shutil.copytree(shards["wuxi"], site)
    orgs = json.loads((site / "api/orgs.json").read_text(encoding="utf-8"))
    (site / "api/orgs.json").unlink()
    for name, rows in zip(part_names("api/orgs", 2), (orgs[:1], orgs[1:])):
        (site / f"{name}.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert shards_module._read_shard("wuxi", site, site).orgs == len(orgs) == 3
