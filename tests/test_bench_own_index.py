"""bench/own_index.py measures the product's own index (site/ownsearch.py) and a model of its browser client: on a
tiny site its Python model finds what it should (phrases, 繁體 queries, a record's title first), what it says an
update wrote and removed is what the update wrote and removed, and the site's search.js in Chromium returns what the
model returns, so its figures are not a broken model's. Nothing is timed."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys

import pytest
from hypothesis import given, settings, strategies as st

from conftest import REPO
from dangjian.site import ownsearch
from site_helpers import CHROMIUM
from test_ownsearch import PAGES, _copy


def _module():
    bench = REPO / "bench"
    if str(bench) not in sys.path:
        sys.path.insert(0, str(bench))
    spec = importlib.util.spec_from_file_location("bench_own_index", bench / "own_index.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


own = _module()


@pytest.fixture
def built(tmp_path):
    index = own.Index(tmp_path / "own")
    index.build(PAGES, chunks=4)
    return index


def _urls(index, query: str) -> list[str]:
    return own.Client(index.folder).search(query).urls


def test_a_phrase_finds_the_pages_holding_it_and_not_those_holding_its_parts_apart(built):
    assert set(_urls(built, "乡村振兴")) == {"orgs/a/", "stories/s/"}
    assert _urls(built, "三会一课") == ["orgs/b/"]
    assert _urls(built, "书记项目") == [""]
    assert _urls(built, "量子引力") == []  # no page holds any of its tokens


def test_a_traditional_query_finds_what_its_simplified_form_finds(built):
    assert _urls(built, "鄉村振興") == _urls(built, "乡村振兴")
    assert _urls(built, "三會一課") == ["orgs/b/"]


def test_latin_words_are_case_folded(built):  # what a prefix finds: test_ownsearch.py (its rule, the product's)
    assert _urls(built, "made WITH") == ["orgs/a/"]
    assert _urls(built, "G20峰会") == ["orgs/a/"]


def test_a_records_own_title_puts_its_page_first(built):
    # the story names the branch twice in its body; the branch's page holds the name once, in its title
    assert _urls(built, "上余村党支部")[0] == "orgs/a/"
    bm25 = own.Client(built.folder).search("上余村党支部", titled_first=False).urls
    assert bm25[0] == "orgs/a/"  # the title weight alone already ranks it first here


def test_several_words_must_each_be_held(built):
    assert set(_urls(built, "上余村 振兴")) == {"orgs/a/", "stories/s/"}
    assert _urls(built, "上余村 主题党日") == ["orgs/a/2025/"]


def test_no_page_holding_the_phrase_falls_back_to_its_tokens_anywhere(built):
    answer = own.Client(built.folder).search("乡村产业")  # 乡村 and 产业 in orgs/b/, not side by side
    assert answer.fallback and answer.urls == ["orgs/b/"]
    assert _urls(built, "澂乡村产业") == ["orgs/b/"]  # a token no page holds is left out, as in search.js


def test_the_download_counts_the_meta_the_chunks_and_the_fragments_shown(built):
    answer = own.Client(built.folder).search("乡村振兴")
    names = [name for name, _ in answer.fetched]
    assert names[0] == "meta.gz"
    assert len(answer.urls) == 2  # two results, their fragments in one file: fetched once
    assert [name for name in names if name.startswith("p/")] == ["p/0.gz"]
    assert answer.shown_bytes == [answer.fetched[-1][1], 0]
    assert all((built.folder / name).stat().st_size == size for name, size in answer.fetched)
    fragments = [f for f in json.loads(gzip.decompress((built.folder / names[-1]).read_bytes())) if f]
    url, title, text = next(fragment for fragment in fragments if fragment[0] == answer.urls[0])
    assert "乡村振兴" in text and title


EDITS = {
    "word": {**PAGES, "orgs/b/": _copy("下余村党支部", "三会一课按期召开。乡村振兴，产业振兴。")},
    "added": {**PAGES, "orgs/c/": _copy("中余村党支部", "乡村振兴示范点。")},
    "removed": {url: copy for url, copy in PAGES.items() if url != "stories/s/"},
    "retitled": {**PAGES, "orgs/a/": _copy("上余村党委", "每周开展乡村振兴活动。", "Made with care in G20 峰会")},
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_update_means_what_a_cold_build_of_the_same_pages_means(built, tmp_path, edit):
    after = EDITS[edit]
    written = built.update(after)
    cold = own.Index(tmp_path / "cold")
    cold.build(after, chunks=4)
    assert built.decoded() == cold.decoded()
    for query in ("乡村振兴", "上余村党支部", "三会一课", "中余村党支部"):
        assert _urls(built, query) == _urls(cold, query)
    # only what it wrote is new, and nothing it replaced is left behind
    meta = json.loads(gzip.decompress((built.folder / "meta.gz").read_bytes()))
    listed = {meta["chunks"][at : at + 12] for at in range(0, len(meta["chunks"]), 12)}
    assert {path.stem for path in (built.folder / "c").iterdir()} == listed
    ids = built.state().ids
    assert {path.name for path in (built.folder / "p").iterdir()} == {
        ownsearch.fragment_file(page_id).removeprefix("p/") for page_id in ids.values()
    }
    changed = [url for url in PAGES.keys() | after if PAGES.get(url) != after.get(url)]
    written_fragments = [rel for rel, _ in written.files if rel.startswith("p/")]
    assert written_fragments == (["p/0.gz"] if changed else [])  # the pages' one file, rewritten once


def test_an_update_touches_only_the_chunks_of_the_terms_that_changed(built):
    after = {**PAGES, "orgs/b/": PAGES["orgs/b/"].replace("召 开", "举 行")}
    written = built.update(after)
    old, new = own.parse("orgs/b/", PAGES["orgs/b/"]).terms, own.parse("orgs/b/", after["orgs/b/"]).terms
    changed = {term for term in old.keys() | new.keys() if old.get(term) != new.get(term)}
    assert changed == {"召", "开", "举", "行", "期 召", "召 开", "开 乡", "期 举", "举 行", "行 乡"}
    chunks = {ownsearch.fnv1a(term) % 4 for term in changed}
    assert sum(rel.startswith("c/") for rel, _ in written.files) <= len(chunks)
    assert _urls(built, "按期举行") == ["orgs/b/"] and _urls(built, "按期召开") == []


def _encode_plain(postings: list[tuple[int, int]]) -> tuple[int, bytes]:
    """ownsearch.encode_postings written plainly, one posting at a time: the reference its fast form must equal."""
    sparse = bytearray()
    last = -1
    for page_id, level in postings:
        value = ((page_id - last - 1) << 4) | level
        while value >= 0x80:
            sparse.append((value & 0x7F) | 0x80)
            value >>= 7
        sparse.append(value)
        last = page_id
    dense_size = postings[-1][0] // 2 + 1
    if len(sparse) <= dense_size:
        return ownsearch.SPARSE, bytes(sparse)
    dense = bytearray(dense_size)
    for page_id, level in postings:
        dense[page_id >> 1] |= level << (4 * (page_id & 1))
    return ownsearch.DENSE, bytes(dense)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.dictionaries(st.integers(0, 5000), st.integers(1, ownsearch.LEVELS), min_size=1),  # sparse, any gaps
        st.dictionaries(st.integers(0, 300), st.integers(1, ownsearch.LEVELS), min_size=200),  # dense
    )
)
def test_postings_decode_to_what_was_encoded_and_the_fast_encoding_is_the_plain_one(levels):
    pairs = sorted(levels.items())
    kind, payload = ownsearch.encode_postings(pairs)
    assert (kind, payload) == _encode_plain(pairs)
    assert ownsearch.decode_postings(kind, len(pairs), payload) == levels


def test_what_an_update_is_said_to_write_and_remove_is_what_changed_on_disk(built, tmp_path):
    before = {path.relative_to(built.folder).as_posix(): path.read_bytes() for path in built.folder.rglob("*.gz")}
    trial = built.copy_to(tmp_path / "trial")  # hard links, as the bench's updates run
    written = trial.update(EDITS["removed"])
    after = {path.relative_to(trial.folder).as_posix(): path.read_bytes() for path in trial.folder.rglob("*.gz")}
    assert written.removed == sorted(set(before) - set(after))
    rewritten = {rel for rel, _ in written.files}
    assert rewritten == {rel for rel in after if before.get(rel) != after[rel]} | {"meta.gz"}
    assert all((trial.folder / rel).stat().st_size == size for rel, size in written.files)
    assert before == {
        path.relative_to(built.folder).as_posix(): path.read_bytes() for path in built.folder.rglob("*.gz")
    }


def test_the_sites_search_js_in_chromium_returns_what_the_model_returns(built, tmp_path):
    if not CHROMIUM:
        pytest.skip("chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    queries = [
        "乡村振兴",
        "鄉村振興",
        "上余村党支部",
        "上余村 振兴",
        "乡村产业",
        "made WITH",
        "mad",
        "党小组",
        "量子引力",
    ]
    runs = own.run_in_browser(built.folder, tmp_path, queries)
    client = own.Client(built.folder)
    for query, run in zip(queries, runs, strict=True):
        model = client.search(query)
        assert run.urls == model.urls, query
        assert run.count == len(model.urls)  # fewer than ten results here: every one shown
        # what it fetched is the meta, the chunks the model reads, and the fragments shown
        assert sorted(path for path, _ in run.fetched) == sorted(
            f"/{ownsearch.FOLDER}/{rel}" for rel, _ in model.fetched
        )
    # each excerpt holds the phrase, its tokens marked (the dialog joins touching marks when it shows them)
    assert all("乡村振兴" in excerpt for excerpt in runs[0].excerpts)
    assert {mark for marks in runs[0].marks for mark in marks} == set("乡村振兴")


def test_indexes_merged_in_the_browser_find_what_one_index_finds(tmp_path):
    clients = own.sharded(tmp_path, PAGES, 2)
    assert sum(len(client.lengths) for client in clients) == len(PAGES)  # every page in exactly one index
    size, files, urls = own.merged_search(clients, "乡村振兴")
    assert set(urls) == {"orgs/a/", "stories/s/"}
    assert own.merged_search(clients, "上余村党支部")[2][0] == "orgs/a/"  # its title still puts it first
    answers = [client.search("乡村振兴") for client in clients]
    assert files == sum(len(answer.fetched) for answer in answers)  # each index's meta and chunks, 2 fragments
    assert size == sum(answer.bytes for answer in answers)  # the two results are all there is: every fragment
