"""A site built with dangjian's own search index (`search_engine="own"`): after random single edits of a small
generated registry, an incremental rebuild equals a cold build, every file but the index byte for byte and the index
by meaning (its page ids may differ: `ownsearch.decoded`); a member made private is gone from the index too; a
private name planted in the previous output's index is rewritten away or fails the build; the engine is part of
the incremental key."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from dangjian.history import History
from dangjian.site import ownsearch
from dangjian.site.build import BuildError, build
from dangjian.synth import Synth, emit
from test_incremental import (
    EDITS,
    EPOCH,
    TINY,
    Undo,
    _in_stories,
    _yaml_files,
    add_record,
    delete_record,
    member_public,
    org_name,
    story_body,
    tiny_built,
    tree,
    undo,
)


def make(root: Path, out: Path, *, cold: bool = False, engine: str = "own"):
    return build(root, out, with_search=True, history=History.empty(), cold=cold, search_engine=engine)


def assert_same_site(got: Path, want: Path) -> None:
    """Every file the same bytes, except the own index's, which must mean the same."""
    index = ownsearch.FOLDER + "/"
    a = {rel: data for rel, data in tree(got).items() if not rel.startswith(index)}
    b = {rel: data for rel, data in tree(want).items() if not rel.startswith(index)}
    assert sorted(a) == sorted(b), (sorted(set(a) - set(b))[:10], sorted(set(b) - set(a))[:10])
    differ = [path for path in a if a[path] != b[path]]
    assert not differ, f"{len(differ)} files differ from the cold build's, e.g. {differ[:10]}"
    assert ownsearch.decoded(got / ownsearch.FOLDER) == ownsearch.decoded(want / ownsearch.FOLDER)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    """test_incremental's tiny registry, built cold with the own index (A), and a folder for rebuilds (B)."""
    return tiny_built(tmp_path_factory, "own-incremental", make)


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edit=st.sampled_from(EDITS), n=st.integers(0, 1000))
@example(edit=org_name, n=3)
@example(edit=member_public, n=5)
@example(edit=story_body, n=0)
@example(edit=delete_record, n=1)
@example(edit=add_record, n=3)
def test_incremental_with_the_own_index_equals_cold(tiny, edit: Callable[[Path, int], Undo], n: int) -> None:
    root, cold_before, rebuilt = tiny
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    make(root, rebuilt)
    assert_same_site(rebuilt, cold_before)
    changes = edit(root, n)
    try:
        report = make(root, rebuilt)
        assert report.search.endswith("更新"), report.search  # the previous index updated, not made again
        cold = rebuilt.parent / "C"
        shutil.rmtree(cold, ignore_errors=True)
        make(root, cold, cold=True)
        assert_same_site(rebuilt, cold)
    finally:
        undo(changes)


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "root"
    for _ in Synth(TINY, 3).write(root):
        pass
    return root


def _index_text(site: Path) -> str:
    """Every file of the site's own index, unpacked."""
    return "".join(
        gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        for path in ownsearch.files_of(site / ownsearch.FOLDER)
    )


def _secretary(root: Path) -> tuple[Path, list, dict]:
    """A roster and its secretary whom no story names: public without a flag."""
    named = _in_stories(root)
    for path in _yaml_files(root, "registry/members"):
        roster = yaml.safe_load(path.read_bytes())
        for member in roster:
            if "书记" in member.get("posts", []) and member["id"] not in named:
                return path, roster, member
    raise AssertionError("no secretary")


def test_a_member_made_private_is_gone_from_the_updated_index(small: Path, tmp_path: Path):
    out = tmp_path / "site"
    path, roster, secretary = _secretary(small)
    make(small, out)
    assert secretary["name"] in _index_text(out)
    secretary["public"] = False
    path.write_text(emit(roster), encoding="utf-8")
    report = make(small, out)
    assert report.search.endswith("更新") and report.reused > 0
    assert secretary["name"] not in _index_text(out)
    assert " ".join(secretary["name"]) not in _index_text(out)  # nor as the terms of a chunk


def _private_name(root: Path) -> str:
    for path in _yaml_files(root, "registry/members"):
        for member in yaml.safe_load(path.read_bytes()):
            if not member.get("public", "书记" in member.get("posts", [])):  # private unless a secretary
                return member["name"]
    raise AssertionError("no private member")


def _plant(out: Path, name: str) -> Path:
    """A private name written into the fragment of the previous output's home page."""
    state = ownsearch.read_state(ownsearch.state_path(out))
    assert state is not None
    page_id = state.ids[""]
    target = out / ownsearch.FOLDER / ownsearch.fragment_file(page_id)
    entries = json.loads(gzip.decompress(target.read_bytes()))
    url, title, text = entries[page_id % ownsearch.FRAGMENTS]
    entries[page_id % ownsearch.FRAGMENTS] = [url, title, f"{text}\n{name}"]
    target.unlink()
    target.write_bytes(ownsearch._gzip(json.dumps(entries, ensure_ascii=False).encode()))
    return target


def test_a_private_name_planted_in_the_previous_index_is_rewritten_away(small: Path, tmp_path: Path):
    out = tmp_path / "site"
    name = _private_name(small)
    make(small, out)
    _plant(out, name)
    report = make(small, out)
    assert report.search.endswith("新建")  # the previous index is not what the state names: made again
    assert name not in _index_text(out)


def test_a_private_name_planted_with_a_state_that_vouches_for_it_fails_the_build(small: Path, tmp_path: Path):
    out = tmp_path / "site"
    name = _private_name(small)
    make(small, out)
    target = _plant(out, name)
    path = ownsearch.state_path(out)
    data = ownsearch.state_value(path)
    data["files"][target.relative_to(out / ownsearch.FOLDER).as_posix()] = ownsearch._name(target.read_bytes())
    assert ownsearch.write_state_value(path, data)  # the cache forged to match
    before = tree(out)
    with pytest.raises(BuildError, match="隐私检查未通过"):
        make(small, out)
    assert tree(out) == before  # the site as it was


def test_the_state_is_checked_against_the_pages_not_carried_over_and_a_page_removed_by_hand_is_found(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The index's state must name pages of the previous output only. A page carried over is taken as one (its file
    is the one that build recorded, so the state's copy of it is that file's): a rebuild after a story edited looks for
    no other file than the pages it made again. A page removed by hand from the published site and from the site kept
    beside it is not carried over: it is looked for, and the index is made again, equal to a cold build's."""
    out = tmp_path / "site"
    make(small, out)
    story_body(small, 1)
    looked: list[str] = []
    isfile = os.path.isfile
    with monkeypatch.context() as patched:
        patched.setattr(os.path, "isfile", lambda path: looked.append(os.fspath(path)) or isfile(path))
        report = make(small, out)
    assert report.search.endswith("更新") and report.reused > 0
    pages = [path for path in looked if path.startswith(f"{out}{os.sep}") and path.endswith("index.html")]
    assert 0 < len(pages) <= report.pages - report.reused  # the pages made again, not the 1,000 carried over
    state = ownsearch.read_state(ownsearch.state_path(out))
    assert state is not None
    gone = next(url for url in sorted(state.ids) if url.startswith("members/"))
    removed = [path for path in tmp_path.rglob(f"{gone}index.html") if small not in path.parents]
    assert out / gone / "index.html" in removed
    for path in removed:
        path.unlink()
    report = make(small, out)
    assert report.search.endswith("新建")  # the state names a page the site no longer had: not trusted
    cold = tmp_path / "cold"
    make(small, cold, cold=True)
    assert_same_site(out, cold)


def test_switching_engine_renders_every_page_again_and_leaves_no_other_index(small: Path, tmp_path: Path):
    out = tmp_path / "site"
    make(small, out, engine="pagefind")
    report = make(small, out)
    assert report.reused == 0 and report.search.endswith("新建")
    assert not (out / "pagefind").exists() and (out / ownsearch.FOLDER / "meta.gz").is_file()
    report = make(small, out, engine="pagefind")
    assert report.reused == 0
    assert (out / "pagefind").is_dir() and not (out / ownsearch.FOLDER).exists()
    cold = tmp_path / "cold"
    make(small, cold, cold=True, engine="pagefind")
    assert sorted(tree(out)) == sorted(tree(cold))


def test_a_preview_with_the_own_index_updates_it_after_the_pages(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`dangjian serve --search-engine own` sets the variable every build of the preview reads: the pages are
    published first, without an index; the index left for later is then updated from the last one (not made cold)
    and equals a cold build's."""
    from dangjian.site import serve
    from dangjian.site.build import finish_search

    monkeypatch.setenv(ownsearch.ENGINE_VARIABLE, "own")
    out = tmp_path / "site"
    said: list[str] = []
    assert serve.rebuild(small, out, True, said.append)
    org_name(small, 1)
    outcome = serve.attempt(small, out, True, said.append, History.empty())
    assert outcome.ok and outcome.report is not None and outcome.report.later is not None
    assert not (out / ownsearch.FOLDER).exists() and not (out / "pagefind").exists()
    assert finish_search(outcome.report.later).endswith("更新")
    cold = tmp_path / "cold"
    make(small, cold, cold=True)
    assert ownsearch.decoded(out / ownsearch.FOLDER) == ownsearch.decoded(cold / ownsearch.FOLDER)
    assert tree(out) == tree(cold)


def test_a_build_stopped_after_indexing_leaves_the_index_state_of_the_site_still_published(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The gate stops a build after its index was made (a leak found): the state of the index kept for the next build
    is still the published site's. Kept as the stopped build's, the next build (the edit undone, the story's page
    carried over from the published site) indexed the stopped build's words, which no page says any more."""
    from dangjian.site import privacy
    from test_incremental import _stories

    out = tmp_path / "site"
    make(small, out)
    story = _stories(small)[0]
    before = story.read_bytes()
    story.write_text(before.decode() + "\n湖边新修了蓝鲸步道。\n", encoding="utf-8")
    real = privacy.Gate.scan_part

    def leaking(self, *args, **kwargs):
        part = real(self, *args, **kwargs)
        part.leaks.append(privacy.Leak("x.html", "测试"))
        return part

    with monkeypatch.context() as patch:  # the gate finds a leak in what this build wrote
        patch.setattr(privacy.Gate, "scan_part", leaking)
        with pytest.raises(BuildError, match="隐私检查未通过"):
            make(small, out)
    story.write_bytes(before)
    report = make(small, out)
    assert report.reused > 0
    assert "蓝鲸" not in _index_text(out)
    cold = tmp_path / "cold"
    make(small, cold, cold=True)
    assert_same_site(out, cold)


def test_the_pages_rendered_are_written_once_their_copies_kept_apart(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """With the own index a page's search copy never goes into the page: the build neither reads a page it rendered
    back for its copy nor writes it again without it (Pagefind's path does both), and the index is a cold build's."""
    from dangjian.site import search

    out = tmp_path / "site"
    read: list[str] = []
    real = search.take_copy
    monkeypatch.setattr(search, "take_copy", lambda page: read.append(str(page)) or real(page))
    make(small, out)
    org_name(small, 1)
    report = make(small, out)
    assert report.reused
    assert [page for page in read if page.endswith("/index.html")] == []  # 404.html, written apart, is read
    pages = list(out.rglob("*.html"))
    assert pages and not any(search.COPY_ATTR in page.read_text(encoding="utf-8") for page in pages)
    cold = tmp_path / "cold"
    make(small, cold, cold=True)
    assert tree(out) == tree(cold)
