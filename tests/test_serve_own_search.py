"""`dangjian serve` with the own search index (the default engine): a save is shown first and indexed after, as with
Pagefind (tests/test_serve_search.py). Between the two the preview serves no index at all (never one holding text the
edit removed); the index is updated from the last one, gated, put in place in one step, and only then is its state
kept; a newer save cancels it; what the preview leaves is what `build` makes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dangjian.site import ownsearch, privacy
from dangjian.site.build import INDEXING, build
from site_helpers import pinned_engine
from test_serve_reload import every_file, get, previewing, state
from test_serve_search import NAME, PRIVATE, Held, edit, holds, leak_kept_out, readable, served_files

engine_pinned = pinned_engine("own")

WAIT = 120


@pytest.fixture(autouse=True)
def same_day(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")


@pytest.fixture
def root(registry):
    base = Path(__file__).parent / "fixtures/minimal/registry/orgs/east.yaml"
    return registry({"registry/orgs/east.yaml": base.read_text(encoding="utf-8").replace("东村党支部", NAME)})


def index_text(out: Path) -> str:
    folder = out / ownsearch.FOLDER
    return "\n".join(readable(p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file())


def test_the_page_is_published_first_and_no_served_index_holds_a_removed_word(root, tmp_path, monkeypatch):
    with previewing(root, tmp_path / "site", with_search=True) as (preview, base):
        assert holds(index_text(preview.out), "琥珀")  # the first index (a cold build's, made at once) finds it
        held = Held(monkeypatch)
        edit(root, "registry/orgs/east.yaml", NAME, "东村党支部")
        assert preview.rebuild()
        assert held.started.wait(WAIT)
        now = state(base)
        assert now["indexing"] and not now["building"] and not now["failed"]
        page = get(base + "orgs/east/")[1]
        assert "东村党支部" in page and "琥珀" not in page and "data-indexing" in page
        assert not (preview.out / ownsearch.FOLDER).exists()
        assert [rel for rel, text in served_files(base, preview.out).items() if holds(text, "琥珀")] == []
        held.release.set()
        assert preview.indexed(WAIT)
        after = state(base)
        assert not after["indexing"] and not after["failed"] and after["version"] == now["version"]
        assert "data-indexing" not in get(base + "orgs/east/")[1]
        index = "\n".join(served_files(base, preview.out, ownsearch.FOLDER).values())
        assert holds(index, "东村党支部") and not holds(index, "琥珀")


@pytest.mark.parametrize("edits", [1, 3])
def test_the_index_made_after_is_a_cold_build_s_and_so_is_the_next_build(root, tmp_path, edits):
    """The index the preview puts in place (updated from the last one, `edits` times) is byte for byte a cold build's
    of the same registry, and so is everything `build` of its output then gives."""
    out = tmp_path / "site"
    with previewing(root, out, with_search=True) as (preview, _):
        names = [NAME, *(f"东村第{n}党支部" for n in range(edits))]
        for old, new in zip(names, names[1:]):
            edit(root, "registry/orgs/east.yaml", old, new)
            assert preview.rebuild()
            assert preview.indexed(WAIT)
            assert not preview.status()["failed"]
        build(root, tmp_path / "cold", cold=True)
        assert every_file(out) == every_file(tmp_path / "cold")
    build(root, out)
    assert every_file(out) == every_file(tmp_path / "cold")


def test_the_index_is_updated_from_the_last_one_not_made_cold(root, tmp_path, monkeypatch):
    out = tmp_path / "site"
    with previewing(root, out, with_search=True) as (preview, _):
        made: list[str] = []
        real = ownsearch.build_cold
        monkeypatch.setattr(ownsearch, "build_cold", lambda *a, **k: made.append("cold") or real(*a, **k))
        for old, new in [(NAME, "东村党总支"), ("东村党总支", "东村党支部")]:
            edit(root, "registry/orgs/east.yaml", old, new)
            assert preview.rebuild()
            assert preview.indexed(WAIT)
        assert made == []


def test_a_save_during_the_index_cancels_it_and_the_next_index_forgets_nothing(root, tmp_path, monkeypatch):
    """The first index held, then cancelled by a second save: it is never put in place, its state never kept; the
    second's index then holds the second name, not the first, nor the words of the site before both."""
    out = tmp_path / "site"
    with previewing(root, out, with_search=True) as (preview, base):
        held = Held(monkeypatch)
        edit(root, "registry/orgs/east.yaml", NAME, "东村第一党支部")
        assert preview.rebuild()
        assert held.started.wait(WAIT)
        first = preview._indexing
        edit(root, "registry/orgs/east.yaml", "东村第一党支部", "东村第二党支部")
        assert preview.rebuild()
        assert first is not None and not first[0].is_alive()
        assert not (out / ownsearch.FOLDER).exists()
        held.release.set()
        assert preview.indexed(WAIT)
        index = index_text(out)
        assert holds(index, "东村第二党支部") and not holds(index, "东村第一党支部") and not holds(index, "琥珀")
        assert not state(base)["failed"]
        build(root, tmp_path / "cold", cold=True)
        assert every_file(out) == every_file(tmp_path / "cold")


def test_a_member_made_private_while_the_index_waits_is_never_in_the_output(root, tmp_path, monkeypatch):
    out = tmp_path / "site"
    seen: list[dict[str, bytes]] = []
    with previewing(root, out, with_search=True) as (preview, _):
        assert holds(index_text(out), PRIVATE)  # public at first: on a page and in the index
        held = Held(monkeypatch)
        edit(root, "registry/orgs/east.yaml", NAME, "东村党总支")
        assert preview.rebuild()
        seen.append(every_file(out))
        edit(root, "registry/members/east.yaml", "  public: true", "  public: false")
        assert preview.rebuild()  # cancels the first index; its state was never kept
        seen.append(every_file(out))
        held.release.set()
        assert preview.indexed(WAIT)
        seen.append(every_file(out))
        assert (out / ownsearch.FOLDER).is_dir() and not holds(index_text(out), PRIVATE)
    for files in seen[1:]:
        assert [rel for rel, data in files.items() if holds(readable(data), PRIVATE)] == []


def test_a_leak_in_the_new_index_keeps_it_out(root, tmp_path, monkeypatch):
    """The index is gated like a build: a private name in a copy it indexes (planted, as a defect would) and it is
    never put in place, its state never kept; the preview shows the failure."""

    def plant(later):
        copies = later.own.taken.copies
        url = next(url for url, copy in copies.items() if copy is not None)
        copies[url] = copies[url].replace("</div>", f"<p>{PRIVATE}</p></div>", 1)

    out = leak_kept_out(root, tmp_path, monkeypatch, plant, ownsearch.FOLDER)
    assert ownsearch.read_state(ownsearch.state_path(out)) is None


def test_the_gate_reads_only_the_index_files_it_does_not_know(root, tmp_path, monkeypatch):
    """The index carried over from the last one: the gate's memo knows its files (the thread's scan adds what it
    read, the build's keeps it), so an edit's index has the gate read the files the update wrote and no other."""
    out = tmp_path / "site"
    log = tmp_path / "read.txt"
    real = privacy.Gate._check_file

    def counted(self, path, rel):
        if INDEXING in str(path):
            with open(log, "a", encoding="utf-8") as file:  # the gate runs in a process of its own
                file.write(rel + "\n")
        return real(self, path, rel)

    def inodes() -> dict[str, int]:
        folder = out / ownsearch.FOLDER
        return {
            f"{ownsearch.FOLDER}/{p.relative_to(folder).as_posix()}": p.stat().st_ino
            for p in folder.rglob("*")
            if p.is_file()
        }

    monkeypatch.setattr(privacy.Gate, "_check_file", counted)
    monkeypatch.setattr(privacy, "RACY_NS", 0)  # files written this instant count as settled (no coarse clock here)
    with previewing(root, out, with_search=True) as (preview, _):
        names = [NAME, "东村党总支", "东村党支部", "东村第三党支部"]
        for n, (old, new) in enumerate(zip(names, names[1:])):
            before = inodes()
            log.unlink(missing_ok=True)
            edit(root, "registry/orgs/east.yaml", old, new)
            assert preview.rebuild()
            assert preview.indexed(WAIT)
            after = inodes()
            read = set(log.read_text(encoding="utf-8").split())
            written = {rel for rel, inode in after.items() if before.get(rel) != inode}
            carried = after.keys() - written
            assert written and carried
            if n:  # the first index was made with the first build, whose gate knew it; then each thread's learns
                assert read == written, (sorted(read - written), sorted(written - read))


def test_an_index_cancelled_leaves_no_state_whose_copies_the_next_would_carry_over(root, tmp_path, monkeypatch):
    """A story edited, its index cancelled by a save elsewhere (the town's summary): the story page, carried over by
    the second build, must be indexed as it reads now, not from the state kept before the first edit (which would
    carry the story's old copy: the new word not found, the old one found)."""
    out = tmp_path / "site"
    story = "content/stories/east-road.md"
    with previewing(root, out, with_search=True) as (preview, base):
        held = Held(monkeypatch)
        text = (root / story).read_text(encoding="utf-8")
        (root / story).write_text(text.rstrip("\n") + "\n\n沿着蓝鲸步道走一圈。\n", encoding="utf-8")
        assert preview.rebuild()
        assert held.started.wait(WAIT)
        edit(root, "registry/orgs/town.yaml", "一个虚构的镇。", "一个靠海的镇。")
        assert preview.rebuild()
        held.release.set()
        assert preview.indexed(WAIT)
        index = index_text(out)
        assert holds(index, "蓝鲸步道") and holds(index, "靠海")
        build(root, tmp_path / "cold", cold=True)
        assert every_file(out) == every_file(tmp_path / "cold")


def test_with_no_kept_site_to_update_from_the_index_is_made_with_the_pages(root, tmp_path):
    """A folder not ours where the site replaced would be kept (`output.keeps`): the index could only be made cold
    after publishing, so it is updated with the pages, as `build` does."""
    out = tmp_path / "site"
    with previewing(root, out, with_search=True) as (preview, _):
        foreign = tmp_path / ".dangjian-staging" / "site.kept"
        if foreign.exists():
            shutil.rmtree(foreign)
        foreign.mkdir(parents=True)
        edit(root, "registry/orgs/east.yaml", NAME, "东村党总支")
        assert preview.rebuild()
        assert preview._indexing is None and (out / ownsearch.FOLDER).is_dir()
        assert holds(index_text(out), "东村党总支") and not holds(index_text(out), "琥珀")
