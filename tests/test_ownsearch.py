"""dangjian's own search index (site/ownsearch.py): it finds what it should (phrases, 繁體 queries, a record's title
first), an update means what a cold build means, its state in the cache is used only when it is exactly what
dangjian wrote for the previous output, and the privacy gate reads every file of it. Nothing is timed."""

from __future__ import annotations

import base64
import gzip
import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from dangjian import parallel
from dangjian.site import ownsearch, search


def _copy(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return search.simplified_copy(f'<h1 id="dj-title">{title}</h1>\n<div>{body}</div>')


PAGES = {
    "orgs/a/": _copy("上余村党支部", "每周开展乡村振兴活动。", "Made with care in G20 峰会"),
    # 乡村 and 振兴, never 乡村振兴: a phrase search must not find it
    "orgs/b/": _copy("下余村党支部", "三会一课按期召开。乡村建设，产业振兴。"),
    "stories/s/": _copy("振兴的故事", "上余村党支部带领村民推进乡村振兴，上余村党支部获得表彰。"),
    "orgs/a/2025/": _copy("上余村党支部 · 活动", "主题党日。"),
    "": _copy("示范县基层党建", "党组织、党员、书记项目。"),
}


# --- a reader's search, as search.js runs it (the Python model of its own-index part) ---------------------------

K1, B = 1.4, 0.5


def _gz(path: Path):
    return json.loads(gzip.decompress(path.read_bytes()))


def _postings(folder: Path, meta: dict, term: str) -> dict[int, int]:
    names = [meta["chunks"][at : at + 12] for at in range(0, len(meta["chunks"]), 12)]
    data = gzip.decompress((folder / f"c/{names[ownsearch.fnv1a(term) % len(names)]}.gz").read_bytes())
    entry = ownsearch.chunk_entries(data).get(term)
    return ownsearch.decode_postings(*entry[:3]) if entry else {}


def find(folder: Path, query: str, titled_first: bool = True) -> list[str]:
    """The urls a reader's query finds, best first."""
    meta = _gz(folder / "meta.gz")
    lengths = base64.b64decode(meta["lengths"])
    words = [tokens for tokens in map(search.query_tokens, query.split()) if tokens]
    if not words:
        return []

    def bigrams(tokens: list[str]) -> list[str]:
        return tokens if len(tokens) == 1 else [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]

    lists = {term: _postings(folder, meta, term) for tokens in words for term in bigrams(tokens)}
    pages = set.intersection(*(set(found) for found in lists.values()))
    if not pages and sum(map(len, words)) > 1:  # every token anywhere, those no page holds left out
        lists = {token: found for tokens in words for token in tokens if (found := _postings(folder, meta, token))}
        pages = set.intersection(*(set(found) for found in lists.values())) if lists else set()
    titled = set(_postings(folder, meta, search.title_key(query))) if titled_first else set()
    scores = {}
    for page_id in pages:
        length = 2 ** ((lengths[page_id] - 1) / 16) - 1
        norm = K1 * (1 - B + B * length / meta["average"])
        scores[page_id] = sum(
            math.log(1 + (meta["pages"] - len(found) + 0.5) / (len(found) + 0.5))
            * found[page_id]
            * (K1 + 1)
            / (found[page_id] + norm)
            for found in lists.values()
        )
    order = sorted(pages, key=lambda page_id: (page_id not in titled, -scores[page_id], page_id))
    return [ownsearch.fragment_of(folder, page_id)[0] for page_id in order]


@pytest.fixture
def built(tmp_path: Path) -> Path:
    folder = tmp_path / "own"
    ownsearch.build_cold(folder, PAGES, chunks=4)
    return folder


# --- finding --------------------------------------------------------------------------------------------------


def test_a_phrase_finds_the_pages_holding_it_and_not_those_holding_its_parts_apart(built):
    assert set(find(built, "乡村振兴")) == {"orgs/a/", "stories/s/"}
    assert find(built, "三会一课") == ["orgs/b/"]
    assert find(built, "书记项目") == [""]
    assert find(built, "量子引力") == []  # no page holds any of its tokens


def test_a_traditional_query_finds_what_its_simplified_form_finds(built):
    assert find(built, "鄉村振興") == find(built, "乡村振兴")
    assert find(built, "三會一課") == ["orgs/b/"]


def test_latin_words_are_case_folded_and_found_by_what_is_typed_of_them(built):
    assert find(built, "made WITH") == ["orgs/a/"]
    assert find(built, "G20峰会") == ["orgs/a/"]
    assert find(built, "mad") == find(built, "MA") == find(built, "g2") == ["orgs/a/"]  # as Pagefind: a prefix finds
    assert find(built, "ade") == find(built, "madex") == find(built, "g21") == []  # not a prefix of any word


LATIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=ownsearch.PREFIX_MAX)


@settings(max_examples=200, deadline=None)
@given(word=LATIN, other=LATIN, data=st.data())
def test_every_prefix_typed_of_a_latin_word_or_number_finds_its_page_and_nothing_else_does(
    tmp_path_factory, word, other, data
):
    folder = tmp_path_factory.mktemp("prefix") / "own"
    ownsearch.build_cold(folder, {"p/": _copy("标题", f"村里的{word}。"), "q/": _copy("标题", "别的内容。")}, chunks=2)
    end = data.draw(st.integers(1, len(word)))
    cut = end < len(word) and ownsearch._cuts_a_long_number(word, end)  # 11 digits of 12 or more: see below
    assert find(folder, word[:end], titled_first=False) == ([] if cut else ["p/"])
    assert find(folder, word[:end].upper(), titled_first=False) == ([] if cut else ["p/"])
    if not word.startswith(other):
        assert find(folder, other, titled_first=False) == []


def test_a_long_number_is_found_whole_and_by_ten_digits_typed_never_by_eleven(tmp_path):
    """Eleven digits are a mobile number to the privacy gate: a page showing 139139139139 shows none, so its index
    holds no prefix of eleven digits of it (the gate would stop the build), and typing eleven finds nothing yet."""
    folder = tmp_path / "own"
    ownsearch.build_cold(folder, {"p/": _copy("标题", "编号139139139139，另a1391391391399x。")}, chunks=2)
    assert find(folder, "139139139139", titled_first=False) == ["p/"]
    assert find(folder, "1391391391", titled_first=False) == ["p/"]
    assert find(folder, "13913913913", titled_first=False) == []
    assert find(folder, "a1391391391399", titled_first=False) == ["p/"]  # cut after a letter: the run is whole
    terms = ownsearch.parse("p/", _copy("标题", "编号139139139139。")).terms
    assert "1391391391" in terms and "13913913913" not in terms


def test_the_title_key_is_held_whole_and_a_long_word_adds_no_prefixes():
    long_word = "x" * (ownsearch.PREFIX_MAX + 1)
    page = ownsearch.parse("p/", _copy("标题", f"编号{long_word}"))
    key = search.title_key("标题")
    assert key in page.terms and not any(key.startswith(term) and term != key for term in page.terms)
    assert long_word in page.terms and "x" not in page.terms


def test_a_records_own_title_puts_its_page_first(built):
    # the story names the branch twice in its body; the branch's page holds the name once, in its title
    assert find(built, "上余村党支部")[0] == "orgs/a/"
    assert find(built, "上余村党支部", titled_first=False)[0] == "orgs/a/"


def test_several_words_must_each_be_held(built):
    assert set(find(built, "上余村 振兴")) == {"orgs/a/", "stories/s/"}
    assert find(built, "上余村 主题党日") == ["orgs/a/2025/"]


def test_no_page_holding_the_phrase_falls_back_to_its_tokens_anywhere(built):
    assert find(built, "乡村产业") == ["orgs/b/"]  # 乡村 and 产业 in orgs/b/, not side by side
    assert find(built, "澂乡村产业") == ["orgs/b/"]  # a token no page holds is left out, as Pagefind does
    assert find(built, "澂澄") == []


def test_a_fragment_holds_the_url_the_title_and_the_text_as_an_excerpt_shows_it(built):
    meta = _gz(built / "meta.gz")
    assert meta["pages"] == len(PAGES)
    fragments = [fragment for path in sorted((built / "p").iterdir()) for fragment in _gz(path) if fragment]
    assert len(fragments) == len(PAGES)
    url, title, text = next(fragment for fragment in fragments if fragment[0] == "orgs/a/")
    assert title == "上余村党支部"
    assert text.split("\n") == ["每周开展乡村振兴活动。", "Made with care in G20 峰会"]  # the page's own spaces


# --- an update means what a cold build means --------------------------------------------------------------------

EDITS = {
    "word": {**PAGES, "orgs/b/": _copy("下余村党支部", "三会一课按期召开。乡村振兴，产业振兴。")},
    "added": {**PAGES, "orgs/c/": _copy("中余村党支部", "乡村振兴示范点。")},
    "removed": {url: copy for url, copy in PAGES.items() if url != "stories/s/"},
    "retitled": {**PAGES, "orgs/a/": _copy("上余村党委", "每周开展乡村振兴活动。", "Made with care in G20 峰会")},
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_update_means_what_a_cold_build_of_the_same_pages_means(tmp_path, edit):
    folder = tmp_path / "own"
    state = ownsearch.build_cold(folder, PAGES, chunks=4)
    held = tmp_path / "held"  # every file kept alive by a link, so that a file rewritten has a new inode
    ownsearch._carry(folder, held, state)
    before = {rel: path.stat().st_ino for rel, path in _files(folder).items()}
    ids = dict(state.ids)
    after = EDITS[edit]
    state = ownsearch.update(folder, state, after)
    cold = tmp_path / "cold"
    ownsearch.build_cold(cold, after, chunks=4)
    assert ownsearch.decoded(folder) == ownsearch.decoded(cold)
    for query in ("乡村振兴", "上余村党支部", "三会一课", "中余村党支部"):
        assert find(folder, query) == find(cold, query)
    # the state names exactly the files there are, with their bytes; nothing replaced is left behind
    assert {rel: ownsearch._name(path.read_bytes()) for rel, path in _files(folder).items()} == state.files
    # the fragment files of the pages changed, added or removed, and no other
    ids |= state.ids
    changed = {ownsearch.fragment_file(ids[url]) for url in PAGES.keys() | after if PAGES.get(url) != after.get(url)}
    rewritten = {rel for rel, path in _files(folder).items() if before.get(rel) != path.stat().st_ino}
    assert {rel for rel in rewritten if rel.startswith("p/")} == changed & set(state.files)


def _files(folder: Path) -> dict[str, Path]:
    return {path.relative_to(folder).as_posix(): path for path in ownsearch.files_of(folder)}


def test_an_update_touches_only_the_chunks_of_the_terms_that_changed(tmp_path):
    folder = tmp_path / "own"
    state = ownsearch.build_cold(folder, PAGES, chunks=4)
    before = dict(state.files)
    after = {**PAGES, "orgs/b/": PAGES["orgs/b/"].replace("召 开", "举 行")}
    state = ownsearch.update(folder, state, after)
    old, new = ownsearch.parse("orgs/b/", PAGES["orgs/b/"]).terms, ownsearch.parse("orgs/b/", after["orgs/b/"]).terms
    changed = {term for term in old.keys() | new.keys() if old.get(term) != new.get(term)}
    assert changed == {"召", "开", "举", "行", "期 召", "召 开", "开 乡", "期 举", "举 行", "行 乡"}
    new_chunks = {rel for rel in state.files if rel.startswith("c/") and rel not in before}
    assert 0 < len(new_chunks) <= len({ownsearch.fnv1a(term) % 4 for term in changed})
    assert find(folder, "按期举行") == ["orgs/b/"] and find(folder, "按期召开") == []


def test_a_second_update_parses_only_the_pages_new_copies(tmp_path, monkeypatch):
    """`serve` updates the index after each save: a page's copy the last update parsed is not parsed again."""
    monkeypatch.setattr(ownsearch, "_PARSED", {})
    folder = tmp_path / "own"
    state = ownsearch.build_cold(folder, PAGES, chunks=4)
    first = {**PAGES, "orgs/b/": PAGES["orgs/b/"].replace("召 开", "举 行")}
    state = ownsearch.update(folder, state, first)
    parsed: list[str] = []
    real = ownsearch.parse
    monkeypatch.setattr(ownsearch, "parse", lambda url, copy: parsed.append(copy) or real(url, copy))
    second = {**first, "orgs/b/": first["orgs/b/"].replace("举 行", "组 织")}
    state = ownsearch.update(folder, state, second)
    assert parsed == [second["orgs/b/"]]  # its copy before this update was parsed by the last one
    cold = tmp_path / "cold"
    ownsearch.build_cold(cold, second, chunks=4)
    assert ownsearch.decoded(folder) == ownsearch.decoded(cold)
    assert find(folder, "按期组织") == ["orgs/b/"]


def test_the_parses_remembered_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(ownsearch, "_PARSED", {})
    monkeypatch.setattr(ownsearch, "_PARSED_MAX", 3)
    folder = tmp_path / "own"
    state = ownsearch.build_cold(folder, PAGES, chunks=4)
    for n in range(4):
        after = {url: copy.replace("党", f"党{n}") for url, copy in PAGES.items()}
        state = ownsearch.update(folder, state, after)
        assert len(ownsearch._PARSED) <= 3
    cold = tmp_path / "cold"
    ownsearch.build_cold(cold, after, chunks=4)
    assert ownsearch.decoded(folder) == ownsearch.decoded(cold)


def test_an_update_never_writes_through_a_hard_link(tmp_path):
    """The staging folder may hold links to the live site's files: those must keep their bytes."""
    live = tmp_path / "live"
    state = ownsearch.build_cold(live, PAGES, chunks=4)
    staged = tmp_path / "staged"
    assert ownsearch._carry(live, staged, state)
    snapshot = {rel: path.read_bytes() for rel, path in _files(live).items()}
    ownsearch.update(staged, state, EDITS["word"])
    assert {rel: path.read_bytes() for rel, path in _files(live).items()} == snapshot
    assert ownsearch.decoded(live) == {url: value for url, value in ownsearch.decoded(live).items()}


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.dictionaries(st.integers(0, 5000), st.integers(1, ownsearch.LEVELS), min_size=1),  # sparse
        st.dictionaries(st.integers(0, 300), st.integers(1, ownsearch.LEVELS), min_size=200),  # dense
    )
)
def test_postings_decode_to_what_was_encoded(levels):
    pairs = sorted(levels.items())
    kind, payload = ownsearch.encode_postings(pairs)
    assert ownsearch.decode_postings(kind, len(pairs), payload) == levels
    if kind == ownsearch.DENSE:
        assert len(payload) == pairs[-1][0] // 2 + 1


WORDS = st.sampled_from(["乡村", "振兴", "党员", "三会一课", "主题党日", "活动", "Made", "G20", "峰会", "上余村"])
A_PAGE = st.builds(
    lambda title, body: _copy(title, *body),
    st.lists(WORDS, min_size=1, max_size=3).map("".join),
    st.lists(st.lists(WORDS, min_size=1, max_size=6).map("".join), min_size=0, max_size=3),
)
# Pages over three fragment files (a cold build's ids follow the urls' order; an update's new pages take the next ids):
# a file left without pages is removed, a new one made.
SITES = st.dictionaries(
    st.sampled_from([f"p/{n:02d}/" for n in range(2 * ownsearch.FRAGMENTS + 4)]), A_PAGE, max_size=24
)


@settings(max_examples=60, deadline=None)
@given(before=SITES, edits=st.lists(SITES, min_size=1, max_size=3))
def test_any_sequence_of_updates_means_what_a_cold_build_means(tmp_path_factory, before, edits):
    folder = tmp_path_factory.mktemp("seq") / "own"
    state = ownsearch.build_cold(folder, before, chunks=2)
    for after in edits:
        state = ownsearch.update(folder, state, after)
        cold = folder.parent / "cold"
        ownsearch.build_cold(cold, after, chunks=2)
        assert ownsearch.decoded(folder) == ownsearch.decoded(cold)
        assert {rel: ownsearch._name(path.read_bytes()) for rel, path in _files(folder).items()} == state.files
        # a fragment file for each file's worth of pages, none left without a page
        fragment_files = {ownsearch.fragment_file(page_id) for page_id in state.ids.values()}
        assert {rel for rel in state.files if rel.startswith("p/")} == fragment_files


# --- the state in the cache ---------------------------------------------------------------------------------------


def _site(folder: Path, pages: dict[str, str]) -> Path:
    """A staging folder whose pages hold their search copies, as a build with search renders them."""
    shutil.rmtree(folder, ignore_errors=True)
    for url, copy in pages.items():
        path = folder / search.page_file(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><body><div data-pagefind-body><h1>x</h1>{copy}</div></body></html>", encoding="utf-8")
    return folder


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _publish(staging: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)


def _two_builds(tmp_path: Path, before: dict[str, str], after: dict[str, str], spoil=None) -> tuple[str, Path]:
    """Index `before` and publish it at OUT, then index `after` as a rebuild of OUT (every page rendered anew);
    `spoil(out, state_path)` runs between. The rebuild's summary and its staging folder."""
    out = tmp_path / "out"
    ownsearch.index(_site(tmp_path / "stage1", before), keep=out)
    _publish(tmp_path / "stage1", out)
    if spoil is not None:
        spoil(out, ownsearch.state_path(out))
    staging = _site(tmp_path / "stage2", after)
    summary = ownsearch.index(staging, out, None, keep=out)
    return summary, staging


def _cold(tmp_path: Path, pages: dict[str, str]) -> dict:
    ownsearch.build_cold(tmp_path / "cold", pages)
    return ownsearch.decoded(tmp_path / "cold")


def test_a_rebuild_updates_the_previous_index_and_takes_the_copies_out_of_the_pages(tmp_path, cache):
    summary, staging = _two_builds(tmp_path, PAGES, EDITS["added"])
    assert summary.endswith("更新")
    assert ownsearch.decoded(staging / ownsearch.FOLDER) == _cold(tmp_path, EDITS["added"])
    assert not any(search.COPY_ATTR in path.read_text(encoding="utf-8") for path in staging.rglob("*.html"))


def test_pages_carried_over_are_not_read_their_copies_come_from_the_state(tmp_path, cache):
    out = tmp_path / "out"
    ownsearch.index(_site(tmp_path / "stage1", PAGES), keep=out)
    _publish(tmp_path / "stage1", out)
    staging = _site(tmp_path / "stage2", {"orgs/b/": EDITS["word"]["orgs/b/"]})
    for url in PAGES.keys() - {"orgs/b/"}:  # carried: the published page, without its copy
        target = staging / search.page_file(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(out / search.page_file(url), target)
    summary = ownsearch.index(staging, out, frozenset({"orgs/b/"}), keep=out)
    assert summary.endswith("更新")
    assert ownsearch.decoded(staging / ownsearch.FOLDER) == _cold(tmp_path, EDITS["word"])


def _garbage(out: Path, path: Path) -> None:
    path.write_bytes(b"\x00not json")


def _link(out: Path, path: Path) -> None:
    real = path.with_name("elsewhere.json")
    path.rename(real)
    path.symlink_to(real)


def _another_users(out: Path, path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to give the file away")
    os.chown(path, 4321, 4321)


def _ghost_page(out: Path, path: Path) -> None:
    """The state names a page the previous output does not have (its index files consistent with it)."""
    shutil.rmtree(out / "stories" / "s")


def _other_version(out: Path, path: Path) -> None:
    data = ownsearch.state_value(path)
    data["version"] = "0" * 16
    assert ownsearch.write_state_value(path, data)


def _inconsistent(out: Path, path: Path) -> None:
    data = ownsearch.state_value(path)
    data["ids"]["orgs/a/"] = data["ids"]["orgs/b/"]  # two pages, one id
    assert ownsearch.write_state_value(path, data)


def _as_json(out: Path, path: Path) -> None:
    """The state as an older dangjian kept it (JSON): not read."""
    path.write_text(json.dumps(ownsearch.state_value(path)), encoding="utf-8")


def _buckets(path: Path) -> list[Path]:
    """The files of the copies' buckets beside the state at `path`."""
    return sorted(path.parent.glob(path.name + ".*.copies"))


def _buckets_missing(out: Path, path: Path) -> None:
    assert _buckets(path)
    for bucket in _buckets(path):
        bucket.unlink()


def _buckets_damaged(out: Path, path: Path) -> None:
    """A copy changed in every bucket, under its old name."""
    for bucket in _buckets(path):
        data = bucket.read_bytes()
        bucket.write_bytes(data.replace("振".encode(), "震".encode()) if "振".encode() in data else data + b"x")


def _buckets_linked(out: Path, path: Path) -> None:
    for bucket in _buckets(path):
        real = bucket.with_name("elsewhere-" + bucket.name)
        bucket.rename(real)
        bucket.symlink_to(real)


def _buckets_swapped(out: Path, path: Path) -> None:
    """Each bucket file given another bucket's bytes, and named after them: consistent, but not what the state names."""
    found = _buckets(path)
    assert len(found) > 1
    contents = [bucket.read_bytes() for bucket in found]
    for bucket, data in zip(found, contents[1:] + contents[:1]):
        bucket.unlink()
        name = ownsearch._bucket_name(data)
        bucket.with_name(re.sub(r"-[0-9a-f]{16}\.copies$", f"-{name}.copies", bucket.name)).write_bytes(data)


HOSTILE = {
    "garbage": _garbage,
    "buckets missing": _buckets_missing,
    "buckets damaged": _buckets_damaged,
    "buckets as links": _buckets_linked,
    "buckets swapped": _buckets_swapped,
    "a link": _link,
    "another user's file": _another_users,
    "a page that no longer exists": _ghost_page,
    "another version": _other_version,
    "two pages one id": _inconsistent,
    "JSON": _as_json,
}


@pytest.mark.parametrize("spoil", sorted(HOSTILE))
def test_a_hostile_state_is_ignored_and_the_index_made_cold(tmp_path, cache, spoil):
    summary, staging = _two_builds(tmp_path, PAGES, EDITS["word"], HOSTILE[spoil])
    assert summary.endswith("新建"), summary
    assert ownsearch.decoded(staging / ownsearch.FOLDER) == _cold(tmp_path, EDITS["word"])


def test_a_state_read_leaves_the_file_it_was_given_alone(tmp_path, cache):
    _two_builds(tmp_path, PAGES, PAGES)
    path = ownsearch.state_path(tmp_path / "out")
    assert ownsearch.read_state(path) is not None
    assert ownsearch.read_state(tmp_path / "missing.json") is None


def _planted_in_fragment(out: Path, path: Path) -> None:
    folder = out / ownsearch.FOLDER
    state = ownsearch.read_state(path)
    page_id = state.ids["orgs/a/"]
    target = folder / ownsearch.fragment_file(page_id)
    entries = _gz(target)
    url, title, text = entries[page_id % ownsearch.FRAGMENTS]
    entries[page_id % ownsearch.FRAGMENTS] = [url, title, text + "\n王秘密"]
    target.write_bytes(ownsearch._gzip(json.dumps(entries, ensure_ascii=False).encode()))


def _planted_in_chunk(out: Path, path: Path) -> None:
    folder = out / ownsearch.FOLDER
    meta = _gz(folder / "meta.gz")
    name = meta["chunks"][:12]
    data = gzip.decompress((folder / f"c/{name}.gz").read_bytes()) + ownsearch.encode_entry("王 秘", [(0, 1)])
    (folder / f"c/{name}.gz").write_bytes(ownsearch._gzip(data))  # under its old name: the meta still names it


def _swapped_in_fragment(out: Path, path: Path) -> None:
    """The fragment replaced by another file of the same size and modification time, a name planted in it."""
    folder = out / ownsearch.FOLDER
    state = ownsearch.read_state(path)
    page_id = state.ids["orgs/a/"]
    target = folder / ownsearch.fragment_file(page_id)
    before = os.stat(target)
    entries = _gz(target)
    url, title, text = entries[page_id % ownsearch.FRAGMENTS]
    entries = [None] * len(entries)  # the file's other pages dropped: what is stored fits in the file's size
    entries[page_id % ownsearch.FRAGMENTS] = [url, title, "王秘密"]
    planted = json.dumps(entries, ensure_ascii=False).encode()
    data = gzip.compress(planted, 0, mtime=0)  # stored, not compressed: its size is the text's, plus a constant
    data = gzip.compress(planted + b" " * (before.st_size - len(data)), 0, mtime=0)
    assert len(data) == before.st_size
    swap = target.with_name("swap")
    swap.write_bytes(data)
    os.utime(swap, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(swap, target)


@pytest.mark.parametrize(
    "plant", [_planted_in_fragment, _planted_in_chunk, _swapped_in_fragment], ids=["fragment", "chunk", "swapped"]
)
def test_a_name_planted_in_the_previous_index_is_never_carried_into_the_new_one(tmp_path, cache, plant):
    summary, staging = _two_builds(tmp_path, PAGES, EDITS["word"], plant)
    assert summary.endswith("新建"), summary
    folder = staging / ownsearch.FOLDER
    assert ownsearch.decoded(folder) == _cold(tmp_path, EDITS["word"])
    for path in ownsearch.files_of(folder):
        text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        assert "秘密" not in text and "王 秘" not in text


def test_the_engine_is_our_own_unless_told_and_an_unknown_one_is_refused(monkeypatch):
    monkeypatch.delenv(ownsearch.ENGINE_VARIABLE, raising=False)
    assert ownsearch.engine() == "own"
    assert ownsearch.engine("own") == "own"
    assert ownsearch.engine("pagefind") == "pagefind"
    monkeypatch.setenv(ownsearch.ENGINE_VARIABLE, "pagefind")
    assert ownsearch.engine() == "pagefind"
    monkeypatch.setenv(ownsearch.ENGINE_VARIABLE, "own")
    assert ownsearch.engine() == "own"
    assert ownsearch.engine("pagefind") == "pagefind"
    with pytest.raises(ValueError, match="未知的搜索引擎"):
        ownsearch.engine("lucene")


def test_a_site_that_doubled_or_halved_is_sharded_again(tmp_path, cache):
    grown = {**PAGES, **{f"p/{n}/": _copy(f"新页面{n}", "乡村振兴示范点。") for n in range(6)}}
    summary, staging = _two_builds(tmp_path, PAGES, grown)
    assert summary.endswith("新建"), summary
    assert ownsearch.decoded(staging / ownsearch.FOLDER) == _cold(tmp_path, grown)
    summary, _ = _two_builds(tmp_path, PAGES, {**PAGES, "p/0/": grown["p/0/"]})
    assert summary.endswith("更新"), summary
    summary, _ = _two_builds(tmp_path, PAGES, {"orgs/a/": PAGES["orgs/a/"], "orgs/b/": PAGES["orgs/b/"]})
    assert summary.endswith("新建"), summary


def test_index_files_carried_over_unchanged_are_not_read_again(tmp_path, cache, monkeypatch):
    """A carried file is known by the identity the state recorded when it was written: linked, not read back."""
    read: list[str] = []
    original = ownsearch.read_regular
    monkeypatch.setattr(
        ownsearch, "read_regular", lambda path, *a, **k: read.append(str(path)) or original(path, *a, **k)
    )
    summary, staging = _two_builds(tmp_path, PAGES, EDITS["word"])
    assert summary.endswith("更新"), summary
    assert [path for path in read if f"/{ownsearch.FOLDER}/" in path] == []
    assert ownsearch.decoded(staging / ownsearch.FOLDER) == _cold(tmp_path, EDITS["word"])


def test_pages_parsed_on_every_core_index_as_pages_parsed_in_turn(tmp_path, monkeypatch):
    """A cold index of many pages parses them in forked workers, renewed every few spans: every file it writes is the
    one a parse in turn writes (the ids follow the urls' order, whichever worker parsed a page)."""
    pages = {f"p{n:03d}/": _copy(f"标题{n}", f"第{n}段，乡村振兴与党建。", f"word{n % 7} 村{n % 5}") for n in range(23)}
    serial = ownsearch.build_cold(tmp_path / "serial", pages, chunks=4)
    monkeypatch.setattr(ownsearch, "_PARALLEL_FROM", 2)
    monkeypatch.setattr(ownsearch, "_CHUNK", 4)  # several spans, so their order counts
    monkeypatch.setattr(parallel, "fork_workers", lambda items, minimum: 2)  # even on a one-core runner
    monkeypatch.setattr(parallel, "RENEW_ITEMS", 8)  # a worker parses two spans, then another takes its place
    pids, parse = tmp_path / "pids", ownsearch.parse

    def logged(url: str, copy: str) -> ownsearch.Page:
        with pids.open("a") as log:
            log.write(f"{os.getpid()}\n")
        return parse(url, copy)

    monkeypatch.setattr(ownsearch, "parse", logged)
    forked = ownsearch.build_cold(tmp_path / "forked", pages, chunks=4)
    parsed = pids.read_text().split()
    assert str(os.getpid()) not in parsed and len(set(parsed)) >= 3  # 23 pages, 6 spans: renewed workers parsed them
    assert forked.ids == serial.ids and forked.files == serial.files
    files = {
        p.relative_to(tmp_path / "serial"): p.read_bytes() for p in (tmp_path / "serial").rglob("*") if p.is_file()
    }
    assert files == {
        p.relative_to(tmp_path / "forked"): p.read_bytes() for p in (tmp_path / "forked").rglob("*") if p.is_file()
    }
    assert len(files) == 1 + 4 + 2  # the meta, the chunks, and 23 pages' fragments in two files
    assert [page[0] for n in (0, 1) for page in ownsearch.read_fragments(tmp_path / "forked", n) if page] == sorted(
        pages
    )


def test_a_rebuild_reads_and_writes_only_the_buckets_of_the_pages_that_changed(tmp_path, cache, monkeypatch):
    """The pages' copies are kept in buckets beside the state: a rebuild that changed one page reads that page's
    bucket alone and writes it alone (a new file named after its bytes), and the bucket it replaces goes."""
    pages = {f"orgs/o{n}/": _copy(f"第{n}村党支部", f"第{n}村开展主题党日。") for n in range(200)}
    out = tmp_path / "out"
    ownsearch.index(_site(tmp_path / "stage1", pages), keep=out)
    _publish(tmp_path / "stage1", out)
    path = ownsearch.state_path(out)
    assert path is not None and path.parent.parent.name == ownsearch.STATE_PART
    before = set(_buckets(path))
    assert len(before) > 100  # 200 pages in 256 buckets
    edited = "orgs/o7/"
    after = {**pages, edited: _copy("第7村党支部", "第7村开展乡村振兴。")}
    staging = tmp_path / "stage2"
    _site(staging, {edited: after[edited]})
    for url in pages.keys() - {edited}:  # carried: the published page, without its copy
        target = staging / search.page_file(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(out / search.page_file(url), target)
    read = []
    real = ownsearch._read_bucket
    monkeypatch.setattr(ownsearch, "_read_bucket", lambda *args: read.append(args[1]) or real(*args))
    summary = ownsearch.index(staging, out, frozenset({edited}), keep=out)
    assert summary.endswith("更新")
    assert read == [ownsearch._bucket(edited)]
    now = set(_buckets(path))
    assert len(now - before) == 1 and len(before - now) == 1
    (written,) = now - before
    assert written.name.startswith(f"state.{ownsearch._bucket(edited):02x}-")
    assert ownsearch.decoded(staging / ownsearch.FOLDER) == _cold(tmp_path, after)
    state = ownsearch.read_state(path)
    state.load_all()
    assert state.copies == after


def test_a_bucket_that_is_what_the_state_names_but_lacks_a_page_s_copy_makes_the_index_cold(tmp_path, cache):
    """A state and its buckets consistent with each other (a bucket rewritten without one copy, the state naming the
    new bytes) but not with the pages the state lists: the copy is lost (here a page's that is gone, whose words the
    update takes out), the index made cold, never a crash."""
    gone = "stories/s/"

    def drop_a_copy(out: Path, path: Path) -> None:
        state = ownsearch.read_state(path)
        number = ownsearch._bucket(gone)
        state.load({number})
        del state.copies[gone]
        state.dirty.add(number)
        ownsearch.save_state(path, state)
        again = ownsearch.read_state(path)
        assert gone in again.ids and gone not in (again.load({number}) or again.copies)

    assert gone not in EDITS["removed"]
    summary, staging = _two_builds(tmp_path, PAGES, EDITS["removed"], drop_a_copy)
    assert summary.endswith("新建"), summary
    assert ownsearch.decoded(staging / ownsearch.FOLDER) == _cold(tmp_path, EDITS["removed"])


@pytest.mark.parametrize("spoil", ["buckets missing", "buckets damaged", "buckets swapped"])
def test_a_rebuild_carrying_pages_over_whose_buckets_are_lost_indexes_the_changed_pages_too(tmp_path, cache, spoil):
    """One page rendered anew, the others carried over (their copies in the state's buckets), every bucket spoiled:
    the index is made cold from the pages, the changed one included (its copy was taken out of it before the
    buckets were found lost: it is not read again from the page, which no longer holds it). It was left out."""
    out = tmp_path / "out"
    ownsearch.index(_site(tmp_path / "stage1", PAGES), keep=out)
    _publish(tmp_path / "stage1", out)
    HOSTILE[spoil](out, ownsearch.state_path(out))
    staging = _site(tmp_path / "stage2", {"orgs/b/": EDITS["word"]["orgs/b/"]})
    for url in PAGES.keys() - {"orgs/b/"}:
        target = staging / search.page_file(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(out / search.page_file(url), target)
    summary = ownsearch.index(staging, out, frozenset({"orgs/b/"}), keep=out)
    assert summary.endswith("新建"), summary
    index, cold = ownsearch.decoded(staging / ownsearch.FOLDER), _cold(tmp_path, EDITS["word"])
    assert index.keys() == cold.keys()  # the carried pages' copies made again from their bodies (here: other words)
    assert index["orgs/b/"] == cold["orgs/b/"]


_SEGMENT = st.sampled_from(["a", "a-b", "b", "ab", "a.b", "z", "0", "orgs", "年"])
_URL = st.lists(_SEGMENT, max_size=3).flatmap(
    lambda folders: st.sampled_from(["", "404.html", "x.html", "a.html"]).map(
        lambda name: "".join(f"{folder}/" for folder in folders) + name
    )
)


@settings(max_examples=150, deadline=None)
@given(urls=st.sets(_URL, min_size=1, max_size=12))
def test_the_pages_a_build_names_are_taken_as_a_walk_of_the_site_finds_them(urls, tmp_path_factory):
    """`take(pages=…)` (the build's list, no walk, in url order) gives the copies `take` finds walking the site, over
    random trees of folders and pages; and the index made of them is the same in either order (new pages' ids are
    given in url order)."""
    root = tmp_path_factory.mktemp("walk")
    urls = {url for url in urls if not any(search.page_file(url).startswith(search.page_file(o) + "/") for o in urls)}
    site = _site(root / "site", {url: f"copy of {url}" for url in urls})
    named = ownsearch.take(site, None, None, None, pages=urls)
    assert list(named.copies) == sorted(named.copies) and named.unindexed == sorted(named.unindexed)
    site = _site(root / "site", {url: f"copy of {url}" for url in urls})
    found = ownsearch.take(site, None, None, None)
    assert named.copies == found.copies and sorted(named.unindexed) == sorted(found.unindexed)
    made = {}
    for name, copies in (("named", named.copies), ("walked", found.copies)):
        ownsearch.build_cold(root / name, {url: copy for url, copy in copies.items() if copy is not None})
        made[name] = {
            p.relative_to(root / name).as_posix(): p.read_bytes() for p in (root / name).rglob("*") if p.is_file()
        }
    assert made["named"] == made["walked"]
