"""Search as a person types it, in Chromium over http, on the demo built once with search.

Every record's full name (简 and 繁) finds its own page first; names of brands, projects,
orgs and practices taken from the demo's content find the page that holds them among the
first five, both ways; the index holds only the per-character copy, so the browser's word
segmentation and the indexer's cannot disagree; the result list shows what a reader needs.
繁 queries are made with OpenCC's s2t. Set DANGJIAN_REQUIRE_BROWSER=1 to fail without Chromium.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import http.server
import json
import os
import re
import shutil
import threading
from collections import Counter

import opencc
import pytest
from hypothesis import given, settings, strategies as st

from conftest import REPO, copy_minimal
from dangjian.site import search
from dangjian.site.build import build
from dangjian.site.data import SiteData
from dangjian.validate import validate
from site_helpers import CHROMIUM, TRADITIONAL_STORY, build_site, launch_chromium, page as parsed_page

TOP = 5  # "among its first results": the first batch the dialog shows
S2T = opencc.OpenCC("s2t")


# Practices, brands, projects and orgs as the demo's registry and stories name them, each with
# the page that holds it (the test checks that it does).
QUERIES = [
    ("民情分析会", "stories/caota-shangyu-minqing/"),
    ("民情通", "projects/caota-2015-shangyu-minqingtong/"),
    ("党小组长责任清单", "projects/caota-2015-xiaozuzhang-qingdan/"),
    ("风筝工作法", "stories/haian-liudong-shengri/"),
    ("磁铁工作法", "stories/haian-liudong-shengri/"),
    ("集体政治生日", "stories/haian-liudong-shengri/"),
    ("一证一表一册", "stories/haian-liudong-shengri/"),
    ("公推直选", "stories/jiangyin-gongnong-gongtui/"),
    ("蓝色民主工程", "stories/jiangyin-gongnong-gongtui/"),
    ("履责证", "stories/jiangyin-puhuiyuan-yigong/"),
    ("村书记5A制", "stories/changzhou-longcheng-xianfeng/"),
    ("党员义工365", "stories/changzhou-longcheng-xianfeng/"),
    ("单元网格党支部", "stories/changzhou-longcheng-xianfeng/"),
    ("功能型党组织", "stories/changzhou-longcheng-xianfeng/"),
    ("每月第一个星期六", "stories/huzhou-hongse-xingqiliu/"),
    ("护水护绿", "stories/huzhou-anji-humei/"),
    ("理论实践示范县", "stories/huzhou-anji-humei/"),
    ("每周发一份工作提示", "stories/caota-paiwei/"),
    ("季有排位", "stories/caota-paiwei/"),
    ("蓝莓采摘季", "projects/caota-2015-shangxiawen-lanmei/"),
    ("义务耕种", "stories/caota-longzhuli-gengzhong/"),
    ("帕金森", "stories/caota-xinan-qingsao/"),
    ("关爱慰问金", "stories/jiangyin-chengse-guanai/"),
    ("第三方测评", "stories/haian-banden-ketang/"),
    ("困难群体创业援助基金", "orgs/jiangyin-huashi/"),
    ("青色成长工程", "orgs/jiangyin-xuxiake/"),
    ("四训四挂", "orgs/jiangyin-xuxiake/"),
    ("党群创业互助会", "orgs/huzhou-changxing/"),
    ("睦邻自治会", "orgs/huzhou-deqing-baifudou/"),
    ("毛庄经验", "orgs/haian-maozhuang/"),
    ("黄金村经验", "orgs/changzhou-huangjin/"),
    ("助推中心日", "orgs/huzhou-nanxun-shanlian/"),
    ("基层组织加强年", "orgs/huzhou/"),
    ("服务G20", "orgs/huzhou-deqing/"),
    ("党员活动日", "brands/caota-huodongri/"),
    ("风筝·磁铁", "brands/haian-fengzheng/"),
    ("红色星期六", "brands/hongse-xingqiliu/"),
    ("党建+", "brands/huzhou-dangjianjia/"),
    ("七彩党建", "brands/qicai/"),
    ("橙色关爱", "brands/qicai-chengse/"),
    ("蓝色民主", "brands/qicai-lanse/"),
    ("青色成长", "brands/qicai-qingse/"),
    ("龙城先锋", "brands/longcheng-xianfeng/"),
    ("书记先锋工程", "brands/longcheng-shuji/"),
    ("党建元素彰显工程", "brands/longcheng-yuansu/"),
    ("“四位一体”精准扶贫", "projects/haian-2017-siwei-yiti-fupin/"),
    ("便民服务直通车", "projects/haian-2017-bianmin-zhitongche/"),
    ("定制村官岗位见习", "projects/haian-2026-dingzhi-cunguan/"),
    ("庭院党课", "projects/haian-2017-tingyuan-dangke/"),
    ("板凳课堂", "projects/haian-2016-banden-ketang/"),
    ("网上直播党课", "projects/haian-2017-yunshang-dangke/"),
    ("新开发土地党员义务耕种", "projects/caota-2015-longzhuli-kenzhong/"),
    ("对接融合、互助提升", "projects/haian-2026-duijie-ronghe/"),
    ("上余村党支部", "orgs/caota-shangyu/"),
    ("普惠苑社区党总支", "orgs/jiangyin-xiagang-puhuiyuan/"),
    ("海安流入党员临时党支部", "orgs/haian-liudong/"),
]


# --- the index copy, without a browser ---------------------------------------------------------


def test_the_copy_is_hidden_weighted_and_one_token_per_character():
    copy = search.simplified_copy('<h1 id="dj-title">上余村黨支部</h1>\n<p>每周二的<b>民情</b>分析會，G20。</p>')
    assert copy.startswith("<div hidden data-dj-index")
    assert 'data-pagefind-meta="title:上余村黨支部"' in copy  # results show the title as written
    assert f'<p data-pagefind-weight="{search.TITLE_WEIGHT}">上 余 村 党 支 部</p>' in copy
    assert "<p>每 周 二 的 民 情 分 析 会 ， G20 。</p>" in copy
    assert f'<p data-pagefind-weight="0">{search.title_key("上余村党支部")}</p>' in copy


def test_a_space_the_page_shows_is_a_token_of_the_copy_and_an_invisible_one_is_none():
    """The copy joins every token with a space, so a space the page shows is a token of its own (search.SPACE): the
    excerpt shows 「诸暨日报 2015-07-29 工作排位」, not 「日报2015-07-29工作排位」. Runs of whitespace (the templates'
    line breaks) are one; a SPACE written in the page, which a reader does not see, is none."""
    copy = search.simplified_copy(
        '<h1 id="dj-title">标题</h1><p>诸暨日报 2015-07-29\n    <a class="dj-badge">工作排位</a> <a>党员活动日</a>'
        "　党\u2063员 </p>"
    )
    gap = search.SPACE
    assert f"<p>诸 暨 日 报 {gap} 2015 - 07 - 29 {gap} 工 作 排 位 {gap} 党 员 活 动 日 {gap} 党 员</p>" in copy


def test_scripts_styles_and_forms_are_not_page_text():
    copy = search.simplified_copy(
        '<h1 id="dj-title">书记项目</h1><form><label>类别<select><option>全部</option></select>'
        "</label></form><script>row.hidden = !ok;</script><style>p{}</style><p>正文</p>"
    )
    assert copy.endswith(f'<p>正 文</p><p data-pagefind-weight="0">{search.title_key("书记项目")}</p></div>')
    assert "hidden =" not in copy and "类 别" not in copy and "p{}" not in copy


def test_a_page_under_a_record_weighs_its_parents_name_less():
    copy = search.simplified_copy('<h1 id="dj-title">上余村党支部 · 活动</h1>')
    assert f'<p data-pagefind-weight="{search.SUBTITLE_WEIGHT}">上 余 村 党 支 部</p>' in copy
    assert f'<p data-pagefind-weight="{search.TITLE_WEIGHT}">活 动</p>' in copy


def test_a_hostile_title_and_body_stay_text_in_the_copy():
    hostile = '"><script>alert(1)</script>&amp; x" onmouseover="y'
    copy = search.simplified_copy(f'<h1 id="dj-title">{hostile}</h1><p>{hostile}</p>')
    assert "<script" not in copy and 'onmouseover="' not in copy
    assert re.fullmatch(
        r'<div hidden data-dj-index data-pagefind-meta="[^"<>]*">(<p( data-pagefind-weight="\d+")?>[^<>]*</p>)*</div>',
        copy,
    ), copy


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_title_key_depends_only_on_the_tokens(text):
    spaced = " ".join(search.query_tokens(text))
    assert search.title_key(text) == search.title_key(spaced) == search.title_key(f" {text}\t。")
    assert re.fullmatch(r"qx[a-p]{16}", search.title_key(text))


def test_copies_move_out_of_the_pages_and_nothing_else_does(tmp_path):
    site, tree = tmp_path / "site", tmp_path / "site/.tree"
    lookalike = "&lt;div hidden data-dj-index&gt;不是副本&lt;/div&gt;"
    copy = search.simplified_copy('<h1 id="dj-title">上余村</h1><p>正文</p>')
    pages = {
        "orgs/a/index.html": f"<main><div data-pagefind-body><p>{lookalike}</p>{copy}</div><p>后记</p></main>",
        "plain/index.html": "<main><p>没有副本</p></main>",
    }
    for rel, text in pages.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text, encoding="utf-8")
    assert search.move_copies(site, tree) == 1
    assert (site / "orgs/a/index.html").read_text(
        encoding="utf-8"
    ) == f"<main><div data-pagefind-body><p>{lookalike}</p></div><p>后记</p></main>"
    assert (site / "plain/index.html").read_text(encoding="utf-8") == pages["plain/index.html"]
    assert copy in (tree / "orgs/a/index.html").read_text(encoding="utf-8")
    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.html")) == ["orgs/a/index.html"]


@pytest.mark.parametrize(
    "engine, summary",
    [
        ("pagefind", "搜索索引：{} 个页面"),
        ("own", "搜索索引（自有）：{} 个页面，新建"),
        (None, "搜索索引（自有）：{} 个页面，新建"),
    ],
)
def test_the_build_summary_is_chinese_and_counts_the_pages(tmp_path, engine, summary):
    report = build(copy_minimal(tmp_path / "root"), tmp_path / "site", with_search=True, search_engine=engine)
    pages = sum(1 for p in (tmp_path / "site").rglob("*.html") if "data-pagefind-body" in p.read_text(encoding="utf-8"))
    assert report.search == summary.format(pages)


@pytest.mark.parametrize("with_search", [True, False], ids=["search", "no-search"])
def test_no_published_page_carries_the_hidden_copy(tmp_path, with_search):
    """The copy exists only for Pagefind: a build with search moves it out, one without never writes it."""
    build(copy_minimal(tmp_path / "root"), tmp_path / "site", with_search=with_search)
    pages = list((tmp_path / "site").rglob("*.html"))
    assert pages and not [p for p in pages if search.COPY_ATTR in p.read_text(encoding="utf-8")]


# --- the demo in Chromium ----------------------------------------------------------------------


def _skip_without_browser():
    if CHROMIUM:
        return pytest.importorskip("playwright.sync_api")
    if os.environ.get("DANGJIAN_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("chromium is not installed")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102
        pass


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo (plus one story written in 繁體), built once with Pagefind's index (test_ownsearch_browser.py runs
    the browser tests here again over the default, dangjian's own index)."""
    root = tmp_path_factory.mktemp("search") / "root"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    (root / "content/stories/xinan-qingsao-fanti.md").write_text(TRADITIONAL_STORY, encoding="utf-8")
    return build_site(root, root / "site", search=True, engine="pagefind")


@pytest.fixture(scope="module")
def server(demo):
    handler = functools.partial(_QuietHandler, directory=str(demo))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def dialog(server):
    """One page with the search dialog open and its index loaded."""
    sync_api = _skip_without_browser()
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(server + "?q=党员")
        page.wait_for_selector(".dj-search__result-link", timeout=30000)
        yield page
        browser.close()


def typed(page, query: str) -> list[tuple[str, str]]:
    """Put `query` in the search box (as pasted); the (address, title) of each result shown."""
    page.evaluate("document.querySelector('.dj-search__status').textContent = ''")
    page.fill(".dj-search__input", query)
    return _results(page)


def keyed(page, query: str) -> list[tuple[str, str]]:
    """Type `query` into the emptied search box key by key, as a person types; the (address, title) of each result
    shown once the dialog has searched what was typed."""
    page.fill(".dj-search__input", "")
    page.evaluate("document.querySelector('.dj-search__status').textContent = ''")
    page.locator(".dj-search__input").press_sequentially(query, delay=60)
    return _results(page)


def _results(page) -> list[tuple[str, str]]:
    page.wait_for_function(
        "() => { const s = document.querySelector('.dj-search__status').textContent;"
        " return s.startsWith('没有') || (s && document.querySelectorAll('.dj-search__result').length > 0); }",
        timeout=20000,
    )
    return page.eval_on_selector_all(
        ".dj-search__result-link", "links => links.map(a => [new URL(a.href).pathname, a.textContent])"
    )


def found(page, queries: list[str], top: int = TOP) -> list[list[str]]:
    """For each query, the addresses of its first `top` results, as the dialog orders them."""
    return page.evaluate(
        """async ([queries, top]) => {
          const dialog = document.querySelector('[data-dj-search]');
          const out = [];
          for (const q of queries) {
            const results = await dialog.djFind(q);
            const pages = await Promise.all(results.slice(0, top).map(r => r.data()));
            out.push(pages.map(p => new URL(p.url, document.baseURI).pathname));
          }
          return out;
        }""",
        [queries, top],
    )


def records(demo) -> list[tuple[str, str]]:
    """(full name, address) of every org, brand, project, story and public member page."""
    pattern = re.compile(r"(orgs|brands|projects|stories|members)/[^/]+/index\.html")
    out = []
    for path in sorted(demo.rglob("index.html")):
        rel = path.relative_to(demo).as_posix()
        if pattern.fullmatch(rel):
            title = parsed_page(demo, rel).select_one("h1#dj-title").get_text()
            out.append((title, "/" + rel.removesuffix("index.html")))
    return out


def test_the_records_searched_are_every_org_brand_project_story_and_public_member(demo):
    data = SiteData(validate(demo.parent).registry, datetime.date.today())
    expected = (
        {f"/orgs/{org_id}/" for org_id in data.reg.orgs}
        | {f"/brands/{b.id}/" for b in data.brands}
        | {f"/projects/{p.id}/" for p in data.projects}
        | {f"/stories/{s.slug}/" for s in data.stories}
        | {f"/members/{p.id}/" for p in data.public_members}
    )
    assert {url for _, url in records(demo)} == expected
    kinds = Counter(url.split("/")[1] for _, url in records(demo))
    assert kinds["orgs"] >= 40 and kinds["brands"] >= 15 and kinds["projects"] >= 15
    assert kinds["stories"] >= 12 and kinds["members"] >= 40


@pytest.mark.parametrize("script", ["简", "繁"])
def test_every_record_typed_in_full_comes_first(demo, dialog, script):
    named = records(demo)
    same_name = Counter(name for name, _ in named)
    queries = [name if script == "简" else S2T.convert(name) for name, _ in named]
    lists = found(dialog, queries, top=max(same_name.values()))
    wrong = [
        (query, url, got) for query, (name, url), got in zip(queries, named, lists) if url not in got[: same_name[name]]
    ]
    assert wrong == [], f"{len(wrong)} of {len(named)} records are not first for their name: {wrong[:8]}"


def test_the_query_list_names_what_its_pages_hold(demo):
    assert len(QUERIES) >= 50
    for query, url in QUERIES:
        text = "".join(parsed_page(demo, url).select_one("[data-pagefind-body]").get_text().split())
        bare = re.sub(r"[“”·、]", "", query)
        assert query in text or bare in re.sub(r"[“”·、]", "", text), (query, url)


@pytest.mark.parametrize("script", ["简", "繁"])
def test_names_from_the_demo_find_the_page_that_holds_them(dialog, script):
    missed = []
    for query, url in QUERIES:
        typed_query = query if script == "简" else S2T.convert(query)
        shown = [address for address, _ in typed(dialog, typed_query)]
        if "/" + url not in shown[:TOP]:
            missed.append((typed_query, url, shown))
    assert missed == [], f"{len(missed)} of {len(QUERIES)} queries miss their page: {missed[:6]}"


def test_the_issues_names_are_found(dialog):
    # Each returned nothing, or not the org's own page, when Pagefind segmented the query with
    # the browser's ICU and the page with jieba.
    for name, url in [
        ("龙城示范单元网格党支部", "/orgs/changzhou-wangge/"),
        ("海安流入党员临时党支部", "/orgs/haian-liudong/"),
        ("普惠苑社区党总支", "/orgs/jiangyin-xiagang-puhuiyuan/"),
        ("诸暨市草塔镇党委", "/orgs/caota/"),
        ("上余村党支部", "/orgs/caota-shangyu/"),
        ("溪南村党支部", "/orgs/caota-xinan/"),
        ("黨員活動日", "/brands/caota-huodongri/"),
        ("書記民生黨日", "/projects/haian-2017-shuji-minsheng-dangri/"),
    ]:
        assert typed(dialog, name)[0][0] == url, name


def test_a_traditional_page_is_found_and_titled_as_written(dialog):
    assert tuple(typed(dialog, "义务清扫河道")[0]) == ("/stories/xinan-qingsao-fanti/", "溪南村黨員義務清掃河道")


def test_the_index_holds_only_the_copy(demo):
    # Pagefind marks its own segmentation with zero-width spaces; the copy leaves it nothing to cut.
    for path in sorted((demo / "pagefind/fragment").glob("*.pf_fragment")):
        fragment = json.loads(gzip.decompress(path.read_bytes())[len(b"pagefind_dcd") :])
        han_pairs = re.findall(rf"[{search.HAN}]\u200b?[{search.HAN}]", fragment["content"])
        assert han_pairs == [], (fragment["url"], han_pairs[:5])
        assert fragment["meta"]["title"]


def test_readers_never_download_the_copies(demo):
    # index() moved each copy to the tree Pagefind read; the published pages are as rendered.
    pages = sorted(demo.rglob("*.html"))
    assert len(pages) > 200
    assert [p for p in pages if search.COPY_ATTR in p.read_text(encoding="utf-8")] == []
    entry = json.loads((demo / "pagefind/pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == [search.INDEX_LANGUAGE]
    assert entry["languages"][search.INDEX_LANGUAGE]["page_count"] == sum(
        1 for p in pages if "data-pagefind-body" in p.read_text(encoding="utf-8")
    )


@given(
    st.lists(
        st.text(
            alphabet=st.one_of(
                st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
                st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
                st.sampled_from("黨員會議 Ab9z，。·“”+-_ \t"),
            ),
            max_size=20,
        ),
        min_size=1,
        max_size=20,
    )
)
@settings(max_examples=15, deadline=None)
def test_the_browser_cuts_and_keys_a_query_as_the_build_does(dialog, texts):
    cut = dialog.evaluate(
        "texts => { const d = document.querySelector('[data-dj-search]');"
        " return texts.map(t => [[].concat(...d.djWords(t)), d.djTitleKey([].concat(...d.djWords(t)))]); }",
        texts,
    )
    assert cut == [[search.query_tokens(text), search.title_key(text)] for text in texts]


def test_results_show_a_title_and_an_excerpt_only(dialog):
    typed(dialog, "民情分析会")
    shapes = dialog.eval_on_selector_all(
        ".dj-search__result",
        "items => items.map(li => [...li.children].map(c => c.tagName + '.' + c.className).join(' '))",
    )
    assert shapes and set(shapes) == {"H3.dj-search__result-title P.dj-search__excerpt"}
    assert dialog.query_selector_all(".dj-search__result li, .dj-search__result ul") == []
    marks = dialog.eval_on_selector_all(".dj-search__excerpt mark", "ms => ms.map(m => m.textContent)")
    assert marks and set(marks) == {"民情分析会"}  # whole words, no lone 会 or 民


def test_more_results_is_a_button_that_looks_like_one(dialog):
    typed(dialog, "党员")
    more = dialog.locator(".dj-search__more")
    assert more.evaluate("b => b.tagName") == "BUTTON" and more.is_visible()
    style = more.evaluate(
        "b => { const s = getComputedStyle(b); return [s.borderTopWidth, s.borderTopStyle, s.cursor,"
        " s.paddingLeft, s.fontWeight, s.color, getComputedStyle(document.body).color]; }"
    )
    border, kind, cursor, padding, weight, colour, text_colour = style
    assert float(border.removesuffix("px")) >= 1 and kind == "solid" and cursor == "pointer"
    assert float(padding.removesuffix("px")) >= 12 and int(weight) >= 700 and colour != text_colour
    more.click()
    dialog.wait_for_function("document.querySelectorAll('.dj-search__result').length > 5", timeout=20000)


def test_a_traditional_query_in_the_address_is_folded_before_its_first_search(dialog, server):
    # The first search of a page may start before t2s.js has loaded: it must wait for it.
    page = dialog.context.browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=黨員活動日")
    page.wait_for_selector(".dj-search__result-link", timeout=20000)
    assert (
        page.eval_on_selector(".dj-search__result-link", "a => new URL(a.href).pathname") == "/brands/caota-huodongri/"
    )
    page.close()


def excerpts(page, query: str | None = None) -> dict[str, str]:
    """Put `query` in the search box (None: as it is); the text of each result's excerpt as the dialog shows it, by
    the result's address."""
    if query is not None:
        typed(page, query)
    return dict(
        page.eval_on_selector_all(
            ".dj-search__result",
            "items => items.map(li => [new URL(li.querySelector('a').href).pathname,"
            " li.querySelector('.dj-search__excerpt').textContent])",
        )
    )


def test_an_excerpt_shows_the_spaces_the_page_shows(dialog):
    """A story's source line reads 「诸暨日报 2015-07-29」 in its excerpt as on its page, never run on with the date."""
    shown = excerpts(dialog, "诸暨日报")
    assert shown
    for text in shown.values():
        assert not re.search(r"日报\d", text), text
    assert any("诸暨日报 2015-07-29" in text for text in shown.values()), shown


@pytest.mark.parametrize(
    "given, shown",
    [
        ("草 塔 镇 . \u2063 No . \u2063 1", "草塔镇. No. 1"),  # a page's "No. 1": its space once, not twice
        ("草 塔 镇 . 上 余 村", "草塔镇. 上余村"),  # Pagefind's ". " between two blocks
        ("<mark>诸</mark> <mark>暨</mark> \u2063 2015 - 07", "<mark>诸暨</mark> 2015-07"),
    ],
)
def test_an_excerpt_is_read_as_the_page_shows_its_text(dialog, given, shown):
    """Pagefind's excerpt text, tokens joined by spaces and the page's own spaces as SPACE (U+2063), as the dialog
    writes it."""
    assert dialog.evaluate("html => document.querySelector('[data-dj-search]').djExcerpt(html)", given) == shown


def test_a_mark_is_a_whole_word_of_the_query(dialog):
    """「上余村 2015」: the name and the number are marked, never a lone 村 of 驻村干部 (the number is one token and
    is matched whole; the name is three, and a run of marks shorter than that is no match)."""
    excerpts(dialog, "上余村 2015")
    marks = dialog.eval_on_selector_all(".dj-search__excerpt mark", "ms => ms.map(m => m.textContent)")
    assert "2015" in marks and any("上余村" in mark for mark in marks), marks
    for mark in marks:
        han = re.findall(r"[\u4e00-\u9fff]", mark)
        assert not han or len(han) >= 3, marks


@pytest.mark.parametrize("query", ["诸暨日报", "党员活动日", "上余村"])
def test_an_excerpt_shows_one_space_where_the_page_shows_one(dialog, query):
    """Where a block ends in "." and the page shows a space after it, the excerpt shows one space, not two."""
    shown = excerpts(dialog, query)
    assert shown
    for text in shown.values():
        assert "  " not in text, text


@pytest.mark.parametrize("query", ["各村党支部 本周日是", "各村党支部 十二月", "党员活动日"])
def test_blocks_in_an_excerpt_meet_as_text_reads(dialog, query):
    """An excerpt spanning two blocks joins them as Pagefind joins a page's blocks: "." only after a block ending in
    a letter, digit or closing mark, so a block ending in Chinese punctuation runs on: never 「支部：. 本周」."""
    shown = excerpts(dialog, query)
    assert shown
    for text in shown.values():
        assert not re.search(r"[\u3000-\u303f\uff00-\uffef“”‘’]\.", text), text
