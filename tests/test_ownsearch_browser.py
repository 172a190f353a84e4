"""The search tests a reader's browser runs (tests/test_browser.py, tests/test_search_reader.py), against the demo
built with dangjian's own index (`search_engine="own"`, site/ownsearch.py): the same dialog, the same results and
marks, 简体 and 繁體 queries typed as a reader types them, each record's own page first; and what is fetched.
Screenshots of the dialog with results at 390 and 1366 px go to test-artifacts/. Set DANGJIAN_REQUIRE_BROWSER=1 to
fail without Chromium."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import urllib.parse

import pytest

from conftest import REPO
from dangjian.site import ownsearch, search
from dangjian.site.build import build
from site_helpers import TRADITIONAL_STORY

# The tests below run here over the own index: pytest collects them in this module, with its `demo` fixture.
from test_search_reader import (  # noqa: F401 - fixtures and tests collected again
    _skip_without_browser,
    dialog,
    excerpts,
    keyed,
    server,
    test_a_traditional_page_is_found_and_titled_as_written,
    test_blocks_in_an_excerpt_meet_as_text_reads,
    test_a_traditional_query_in_the_address_is_folded_before_its_first_search,
    test_a_mark_is_a_whole_word_of_the_query,
    test_an_excerpt_is_read_as_the_page_shows_its_text,
    test_an_excerpt_shows_one_space_where_the_page_shows_one,
    test_an_excerpt_shows_the_spaces_the_page_shows,
    test_every_record_typed_in_full_comes_first,
    test_more_results_is_a_button_that_looks_like_one,
    test_names_from_the_demo_find_the_page_that_holds_them,
    test_results_show_a_title_and_an_excerpt_only,
    test_the_browser_cuts_and_keys_a_query_as_the_build_does,
    test_the_issues_names_are_found,
    test_the_records_searched_are_every_org_brand_project_story_and_public_member,
    typed,
)

from test_browser import (  # noqa: F401 - the same, with test_search_reader's `server` over the own index
    test_a_chinese_query_finds_the_page,
    test_a_query_with_no_match_says_so,
    test_a_search_fetches_no_worker_and_nothing_missing,
    test_a_simplified_query_finds_a_traditional_page,
    test_a_traditional_query_finds_a_simplified_page,
    test_excerpts_hold_text_and_marks_only,
    test_more_results_are_shown_on_request,
)

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo (plus one story written in 繁體), built once with the own index."""
    root = tmp_path_factory.mktemp("own-search") / "root"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    (root / "content/stories/xinan-qingsao-fanti.md").write_text(TRADITIONAL_STORY, encoding="utf-8")
    build(root, root / "site", search_engine="own")
    return root / "site"


@pytest.fixture(scope="module")
def browser(dialog):
    """The dialog's browser (one Playwright per process)."""
    return dialog.context.browser


def test_the_site_says_its_engine_and_has_no_pagefind(demo):
    config = json.loads((demo / search.CONFIG).read_text(encoding="utf-8"))
    assert config["engine"] == "own" and config["bundles"][0]["bundle"] == f"{ownsearch.FOLDER}/"
    assert not (demo / "pagefind").exists()
    pages = sorted(demo.rglob("*.html"))
    assert [p for p in pages if search.COPY_ATTR in p.read_text(encoding="utf-8")] == []
    indexed = sum(1 for p in pages if "data-pagefind-body" in p.read_text(encoding="utf-8"))
    meta = json.loads(gzip.decompress((demo / ownsearch.FOLDER / "meta.gz").read_bytes()))
    assert meta["pages"] == indexed


def _fetched_by(dialog, server, query: str) -> tuple[list[str], list[str]]:
    """The paths a fresh page fetched for `query` (none of them failing), and the addresses of the results shown."""
    fetched: list[tuple[str, int]] = []
    page = dialog.context.browser.new_page(viewport={"width": 390, "height": 844})
    page.on("response", lambda response: fetched.append((response.url, response.status)))
    page.goto(server + "?q=" + urllib.parse.quote(query))
    page.wait_for_selector(".dj-search__result-link", timeout=20000)
    links = [link.get_attribute("href") for link in page.query_selector_all(".dj-search__result-link")]
    page.close()
    assert [url for url, status in fetched if status >= 400] == []
    return [urllib.parse.urlsplit(url).path for url, _ in fetched], [urllib.parse.urlsplit(link).path for link in links]


def test_a_search_fetches_the_meta_the_chunks_and_the_shown_fragments_only(dialog, server, demo):
    holding = {}  # a page's address → the fragment file holding it
    for path in (demo / ownsearch.FOLDER / "p").iterdir():
        for fragment in json.loads(gzip.decompress(path.read_bytes())):
            if fragment is not None:
                holding["/" + fragment[0]] = f"/{ownsearch.FOLDER}/p/{path.name}"
    shared = 0
    for query in ("民情分析会", "党支部"):
        paths, shown = _fetched_by(dialog, server, query)
        assert not any("pagefind" in path for path in paths)
        assert f"/{ownsearch.FOLDER}/meta.gz" in paths
        assert any(path.startswith(f"/{ownsearch.FOLDER}/c/") for path in paths)
        # each shown result's fragment file, once each (several results may share one), and no other
        files = {holding[address] for address in shown}
        assert sorted(path for path in paths if path.startswith(f"/{ownsearch.FOLDER}/p/")) == sorted(files)
        shared += len(shown) - len(files)
    assert shared  # results that share a file: it was fetched once for them


@pytest.mark.parametrize("width", [390, 1366])
def test_the_dialog_with_results_on_a_phone_and_a_desktop(dialog, server, width):
    page = dialog.context.browser.new_page(viewport={"width": width, "height": 844})
    page.goto(server + "?q=" + urllib.parse.quote("黨員活動日"))
    page.wait_for_selector(".dj-search__excerpt mark", timeout=20000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"own-search-{width}.png"))
    box = page.eval_on_selector("[data-dj-search]", "d => d.getBoundingClientRect().right")
    assert box <= width
    marks = page.eval_on_selector_all(".dj-search__excerpt mark", "ms => ms.map(m => m.textContent)")
    assert any("党员活动日" in mark for mark in marks), marks  # the phrase, folded from 黨員活動日
    assert all(len(mark) >= 5 and set(mark) <= set("党员活动日") for mark in marks), marks  # no lone 党
    page.close()


def test_an_excerpt_runs_on_after_a_block_ending_in_chinese_punctuation(dialog):
    """As Pagefind joins blocks: ". " after one ending in a Han character (the notice's tags), none after "：", "，"."""
    shown = excerpts(dialog, "各村党支部 本周日是")
    expected = "党员活动日. 各村党支部：本周日是全镇党员活动日，请提前做好以下准备：活动前两天"
    assert expected in shown["/notices/caota-2015-di23zhou/"], shown


def test_an_excerpt_begins_at_a_word_not_inside_a_date(dialog):
    """The window of an own excerpt begins five tokens before the first match; a date's 7 and 月 are two tokens, and
    a reader reads them as one word: an excerpt begins 「7月29日」 or later, never 「月29日」."""
    shown = excerpts(dialog, "诸暨日报")
    assert shown
    for text in shown.values():
        assert not re.match(r"[年月日号]", text), text
        assert not re.match(r"\d", text) or re.match(r"\d+[年月]", text) or re.match(r"\d{4}-", text), text


@pytest.mark.parametrize(
    "query, address, whole", [("G2", "/orgs/huzhou-deqing/", "G20"), ("36", "/tags/dang-yuan-yi-gong-365/", "365")]
)
def test_a_latin_word_or_number_typed_in_part_finds_its_page_marked_whole(dialog, query, address, whole):
    """As Pagefind does: what is typed so far of a Latin word or a number finds the pages holding it, and the excerpt
    marks the whole word."""
    keyed(dialog, query)
    shown = excerpts(dialog)
    found = [url for url in shown if url.startswith(address)]
    assert found, (query, sorted(shown))
    marks = dialog.eval_on_selector_all(".dj-search__excerpt mark", "ms => ms.map(m => m.textContent)")
    assert whole in marks and whole in shown[found[0]], (query, marks, shown)
