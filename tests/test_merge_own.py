"""`dangjian merge` of shards built with dangjian's own search index (`--search-engine own`): the merged search
config lists each shard's `djsearch/`, and search.js queries every listed index and ranks the results together, as
one index of all their pages would. Shards of both engines, and shards whose own index is not whole (a link, a
missing file, a forged meta), are refused with a Chinese message before anything is written. In Chromium: a 简体 and
a 繁體 query naming a record of the second shard find its page first (screenshots at 390 and 1366 px)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import opencc
import pytest

from conftest import MINIMAL, REPO, apply_overlay
from dangjian.site import ownsearch, search
from dangjian.site.build import build
from dangjian.site.shards import SEARCH_CONFIG, MergeError, merge
from test_merge import BASE, SHARDS, SITE_YAML
from site_helpers import browser  # noqa: F401 - a fixture
from test_search_reader import server, typed  # noqa: F401 - a fixture (over `demo`) and a helper

FOLDER = ownsearch.FOLDER
RECORD = "东山茶园村党支部"  # an org of the second shard only, named in the first shard's free page as well
MENTION = f"# 无锡特色\n\n太湖渔业合作社由党员带头成立。多次到{RECORD}学习，{RECORD}的做法值得推广。\n"


def _shard_root(tmp_path_factory, name: str) -> Path:
    title, base, page = SHARDS[name]
    root = tmp_path_factory.mktemp(name) / "root"
    shutil.copytree(MINIMAL, root)
    overlay = {"registry/site.yaml": SITE_YAML.format(title=title, base=base), "content/pages/tese.md": page}
    if name == "wuxi":
        overlay["content/pages/tese.md"] = MENTION
    else:
        west = (MINIMAL / "registry/orgs/west.yaml").read_text(encoding="utf-8")
        overlay["registry/orgs/west.yaml"] = west.replace("西村党支部", RECORD)
    return apply_overlay(root, overlay)


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> dict[str, Path]:
    """Two shard sites built with the own index, as two city CI jobs would build them."""
    built = {}
    for name in SHARDS:
        root = _shard_root(tmp_path_factory, name)
        build(root, root.parent / "site", search_engine="own")
        built[name] = root.parent / "site"
    return built


@pytest.fixture(scope="module")
def merged(shards, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("province") / "site"
    report = merge(list(shards.items()), out, title="示范省党建", base_url=BASE)
    assert [(s.name, s.engine) for s in report.shards] == [("wuxi", "own"), ("suzhou", "own")]
    return out


# --- the merged search config ------------------------------------------------------------------------------


def test_the_search_config_lists_every_shards_own_index(shards, merged):
    top = json.loads((merged / SEARCH_CONFIG).read_text(encoding="utf-8"))
    assert top["engine"] == "own"
    assert [(b["name"], b["site"], b["bundle"]) for b in top["bundles"]] == [
        ("wuxi", "wuxi/", f"wuxi/{FOLDER}/"),
        ("suzhou", "suzhou/", f"suzhou/{FOLDER}/"),
    ]
    for name in SHARDS:  # each shard's copy, beside its pages, lists both indexes relative to itself
        inner = json.loads((merged / name / SEARCH_CONFIG).read_text(encoding="utf-8"))
        assert inner["engine"] == "own"
        for bundle in inner["bundles"]:
            assert ((merged / name) / bundle["bundle"] / "meta.gz").resolve().is_file()
        # the shard itself still searches itself alone
        alone = json.loads((shards[name] / SEARCH_CONFIG).read_text(encoding="utf-8"))
        assert [b["bundle"] for b in alone["bundles"]] == [f"{FOLDER}/"]
    listed = json.loads((merged / "api/shards.json").read_text(encoding="utf-8"))
    assert [s["search"] for s in listed] == [f"wuxi/{FOLDER}/", f"suzhou/{FOLDER}/"]
    assert not any((merged / name / "pagefind").exists() for name in SHARDS)


def test_a_shard_of_an_earlier_merge_is_merged_again_with_its_own_index(shards, merged, tmp_path):
    again = merge([("su", merged / "suzhou"), ("wuxi", shards["wuxi"])], tmp_path / "again").out
    bundles = json.loads((again / "su" / SEARCH_CONFIG).read_text(encoding="utf-8"))["bundles"]
    assert [b["bundle"] for b in bundles] == [f"../su/{FOLDER}/", f"../wuxi/{FOLDER}/"]


# --- refused -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pagefind_shard(tmp_path_factory) -> Path:
    root = _shard_root(tmp_path_factory, "suzhou")
    build(root, root.parent / "site", search_engine="pagefind")
    return root.parent / "site"


def test_shards_of_both_engines_are_refused_naming_each_ones_engine(shards, pagefind_shard, tmp_path):
    for given in (
        [("wuxi", shards["wuxi"]), ("suzhou", pagefind_shard)],
        [("suzhou", pagefind_shard), ("wuxi", shards["wuxi"])],
    ):
        with pytest.raises(MergeError) as caught:
            merge(given, tmp_path / "o")
        message = str(caught.value)
        assert f"wuxi 用自有索引（{FOLDER}/）" in message and "suzhou 用 Pagefind 索引（pagefind/）" in message
        assert "--search-engine own" in message and "重新生成" in message
    assert not (tmp_path / "o").exists()


def _spoiled(shards: dict[str, Path], tmp_path: Path, spoil: Callable[[Path], None]) -> Path:
    """A copy of the second shard, its own index spoiled by `spoil(index folder)`."""
    copy = tmp_path / "spoiled"
    shutil.copytree(shards["suzhou"], copy)
    spoil(copy / FOLDER)
    return copy


def _meta(folder: Path) -> dict:
    return json.loads(gzip.decompress((folder / "meta.gz").read_bytes()))


def _write_meta(folder: Path, meta: dict) -> None:
    (folder / "meta.gz").write_bytes(gzip.compress(json.dumps(meta).encode()))


def _a_link(folder: Path) -> None:
    chunk = next((folder / "c").iterdir())
    chunk.rename(folder.parent / "elsewhere.gz")
    chunk.symlink_to(folder.parent / "elsewhere.gz")


def _a_link_beside(folder: Path) -> None:
    (folder / "extra.gz").symlink_to(folder / "meta.gz")


def _missing_chunk(folder: Path) -> None:
    next((folder / "c").iterdir()).unlink()


def _missing_fragment(folder: Path) -> None:
    (folder / "p/0.gz").unlink()


def _a_fifo_fragment(folder: Path) -> None:
    (folder / "p/0.gz").unlink()
    os.mkfifo(folder / "p/0.gz")


def _meta_not_gzip(folder: Path) -> None:
    (folder / "meta.gz").write_bytes(b'{"v": 1}')


def _meta_not_json(folder: Path) -> None:
    (folder / "meta.gz").write_bytes(gzip.compress(b"\x00\x01not json"))


def _chunk_names_forged(folder: Path) -> None:
    _write_meta(folder, {**_meta(folder), "chunks": "../../../etc/passwd"})


def _page_count_forged(folder: Path) -> None:
    _write_meta(folder, {**_meta(folder), "pages": _meta(folder)["pages"] + 1})


def _average_forged(folder: Path) -> None:
    _write_meta(folder, {**_meta(folder), "average": -1})


def _another_version(folder: Path) -> None:
    _write_meta(folder, {**_meta(folder), "v": 3})


def _the_version_before(folder: Path) -> None:
    """An index as dangjian wrote it before its fragments went 16 to a file (under f/): a reader's search would fail."""
    meta = _meta(folder)
    del meta["fragments"]
    _write_meta(folder, {**meta, "v": 1})


def _fragments_forged(folder: Path) -> None:
    _write_meta(folder, {**_meta(folder), "fragments": 1})


def _a_gzip_bomb(folder: Path) -> None:
    bomb = gzip.compress(b'{"v": 1, "pad": "' + b" " * (ownsearch._META_MAX + 10) + b'"}')
    (folder / "meta.gz").write_bytes(bomb)


HOSTILE = {
    "a link for a chunk": (_a_link, ".gz 是符号链接"),
    "a link beside the index": (_a_link_beside, "里有符号链接"),
    "a chunk missing": (_missing_chunk, "缺少 meta.gz 列出的 c/"),
    "a fragment missing": (_missing_fragment, "缺少 meta.gz 列出的 p/0.gz"),
    "a named pipe for a fragment": (_a_fifo_fragment, "p/0.gz 不是普通文件"),
    "a meta not gzip'd": (_meta_not_gzip, "meta.gz 读不出来"),
    "a meta not JSON": (_meta_not_json, "meta.gz 读不出来"),
    "forged chunk names": (_chunk_names_forged, "索引块名称有误"),
    "a forged page count": (_page_count_forged, "页面数与页面长度不一致"),
    "a forged average": (_average_forged, "平均长度有误"),
    "a meta of another version": (_another_version, "不是本版 dangjian 写的索引"),
    "an index of the version before": (_the_version_before, "不是本版 dangjian 写的索引"),
    "a forged count of pages per fragment file": (_fragments_forged, "每个片段文件的页面数有误"),
    "a meta that unpacks too large": (_a_gzip_bomb, "解压后过大"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_shard_whose_own_index_is_not_whole_is_refused_and_nothing_written(shards, tmp_path, case):
    spoil, message = HOSTILE[case]
    spoiled = _spoiled(shards, tmp_path, spoil)
    with pytest.raises(MergeError, match="分站 `suzhou`") as caught:
        merge([("wuxi", shards["wuxi"]), ("suzhou", spoiled)], tmp_path / "o")
    assert message in str(caught.value), str(caught.value)
    assert not (tmp_path / "o").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_shard_without_any_index_is_refused(shards, tmp_path):
    spoiled = _spoiled(shards, tmp_path, shutil.rmtree)
    with pytest.raises(MergeError, match=f"没有搜索索引.*{FOLDER}/.*不要加 --no-search"):
        merge([("wuxi", shards["wuxi"]), ("suzhou", spoiled)], tmp_path / "o")


# --- one search over both shards, in a browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(merged):
    """The merged site, for test_search_reader's `server`."""
    return merged


S2T = opencc.OpenCC("s2t")
ARTIFACTS = REPO / "test-artifacts"


@pytest.mark.parametrize("start", ["", "wuxi/orgs/east/", "suzhou/orgs/east/"], ids=["home", "first", "second"])
@pytest.mark.parametrize("script", ["简", "繁"])
def test_a_record_of_the_second_shard_typed_in_full_comes_first(browser, server, start, script):
    query = RECORD if script == "简" else S2T.convert(RECORD)
    assert script == "简" or query != RECORD
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + start)
    page.evaluate("document.querySelector('[data-dj-search-open]').click()")
    results = [tuple(result) for result in typed(page, query)]
    page.close()
    assert results[0] == ("/suzhou/orgs/west/", f"{RECORD} · 苏州市党建"), results
    assert ("/wuxi/tese/", "无锡特色 · 无锡市党建") in results  # it names the record twice: found, after it


def test_a_query_fetches_each_shards_meta_and_chunks_and_no_pagefind(browser, server):
    fetched: list[tuple[str, int]] = []
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.on("response", lambda response: fetched.append((response.url, response.status)))
    page.goto(server + "wuxi/?q=" + urllib.parse.quote("合作社"))
    page.wait_for_function("document.querySelectorAll('.dj-search__result-link').length >= 2", timeout=20000)
    links = page.eval_on_selector_all(".dj-search__result-link", "ls => ls.map(a => new URL(a.href).pathname)")
    page.close()
    assert {"/wuxi/tese/", "/suzhou/tese/"} <= set(links)
    assert [url for url, status in fetched if status >= 400] == []
    paths = [urllib.parse.urlsplit(url).path for url, _ in fetched]
    assert not any("pagefind" in path for path in paths)
    for name in SHARDS:
        assert f"/{name}/{FOLDER}/meta.gz" in paths
        assert any(path.startswith(f"/{name}/{FOLDER}/c/") for path in paths)


@pytest.mark.parametrize("width", [390, 1366])
def test_the_merged_dialog_on_a_phone_and_a_desktop(browser, server, width):
    page = browser.new_page(viewport={"width": width, "height": 844})
    page.goto(server + "wuxi/?q=" + urllib.parse.quote(S2T.convert(RECORD)))
    page.wait_for_selector(".dj-search__excerpt mark", timeout=20000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"merge-own-search-{width}.png"))
    right = page.eval_on_selector("[data-dj-search]", "d => d.getBoundingClientRect().right")
    first = page.eval_on_selector(".dj-search__result-link", "a => [new URL(a.href).pathname, a.textContent]")
    page.close()
    assert right <= width
    assert first == ["/suzhou/orgs/west/", f"{RECORD} · 苏州市党建"]


def _union(merged: Path, folder: Path) -> Path:
    """The merged site with one own index of both shards' pages (their copies made again from the published pages,
    addresses under the shard's prefix) at the top, and a search config naming that index alone."""
    shutil.copytree(merged, folder, copy_function=os.link)
    copies = {}
    for name in SHARDS:
        shard = merged / name
        for rel in search._site_pages(shard):
            copy = search.recover_copy(shard / rel)
            if copy is not None:
                copies[f"{name}/{search.page_url(rel)}"] = copy
    ownsearch.build_cold(folder / FOLDER, copies)
    (folder / SEARCH_CONFIG).unlink()
    (folder / SEARCH_CONFIG).write_text(ownsearch.config(), encoding="utf-8")
    return folder


FOUND = """async (queries) => {
  const dialog = document.querySelector('[data-dj-search]');
  const out = [];
  for (const q of queries) {
    const results = await dialog.djFind(q);
    const pages = await Promise.all(results.map(r => r.data()));
    out.push(pages.map((p, i) => [new URL(p.url, document.baseURI).pathname, results[i].titled, results[i].score]));
  }
  return out;
}"""
QUERIES = ["合作社", "党支部", "东村", "党员 合作社", RECORD, "积分", "五好党支部", "东山茶园", "党员合作社"]


def test_results_of_several_indexes_are_ranked_as_one_index_of_all_their_pages(browser, server, merged, tmp_path):
    """The same queries over the two shards' indexes and over one index of both shards' pages find the same pages,
    titled alike and scored alike (to the rounding of each meta's average length), each list in the order of its
    scores (titled first)."""
    found = []
    from test_browser import serving  # here: importing it skips a module without Chromium

    with serving(_union(merged, tmp_path / "union")) as union:
        for address in (server, union):
            page = browser.new_page(viewport={"width": 1366, "height": 844})
            page.goto(address)
            found.append(page.evaluate(FOUND, QUERIES))
            page.close()
    for query, shards_found, union_found in zip(QUERIES, *found):
        assert shards_found, query
        assert [url for url, _, _ in shards_found if url.startswith("/suzhou/")], query  # both shards answer
        assert [url for url, _, _ in shards_found if url.startswith("/wuxi/")], query
        for ranked in (shards_found, union_found):
            keys = [(-titled, -score) for _, titled, score in ranked]
            assert keys == sorted(keys), query
        by_url = {url: (titled, score) for url, titled, score in union_found}
        assert len(by_url) == len(union_found) == len(shards_found), query
        for url, titled, score in shards_found:
            assert by_url[url][0] == titled and by_url[url][1] == pytest.approx(score, rel=1e-3), (query, url)


def test_a_shard_holding_both_indexes_is_taken_for_the_engine_its_config_names(shards, tmp_path):
    both = tmp_path / "both"
    shutil.copytree(shards["suzhou"], both)
    (both / "pagefind").mkdir()
    (both / "pagefind/pagefind-entry.json").write_text('{"version": "1.0.0"}', encoding="utf-8")
    report = merge([("wuxi", shards["wuxi"]), ("suzhou", both)], tmp_path / "o")
    assert [shard.engine for shard in report.shards] == ["own", "own"]
    config = json.loads((both / SEARCH_CONFIG).read_text(encoding="utf-8"))
    (both / SEARCH_CONFIG).write_text(json.dumps({**config, "engine": "pagefind"}), encoding="utf-8")
    with pytest.raises(MergeError, match="suzhou 用 Pagefind 索引"):
        merge([("wuxi", shards["wuxi"]), ("suzhou", both)], tmp_path / "o2")
