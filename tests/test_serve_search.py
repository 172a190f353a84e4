"""`dangjian serve` with search: a save is shown first and indexed after (issue 23). Between the two the preview
serves no search index at all (never one holding text the edit removed), the index is gated and put in place in
one step, a newer save cancels it, and what the preview leaves is what `build` would make."""

from __future__ import annotations

import contextlib
import gzip
import threading
import urllib.parse
from pathlib import Path

import pytest

import dangjian.site.serve as serve_module
from dangjian.site import search
from dangjian.site.build import build
from test_serve_reload import every_file, get, previewing, state
from site_helpers import pinned_engine

engine_pinned = pinned_engine("pagefind")  # this module tests Pagefind's path (test_*own*.py the own index's)

WAIT = 120  # seconds: Pagefind on a machine shared by many jobs

NAME = "东村琥珀党支部"  # the east org's name at first: 琥珀 is a word no other page holds
PRIVATE = "赵大年"  # a public member of the minimal registry, made private by the tests


@pytest.fixture(autouse=True)
def same_day(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")  # the same day for every build of a test


@pytest.fixture
def root(registry):
    base = Path(__file__).parent / "fixtures/minimal/registry/orgs/east.yaml"
    return registry({"registry/orgs/east.yaml": base.read_text(encoding="utf-8").replace("东村党支部", NAME)})


class Held:
    """Holds the preview's search index back until `release` (or a newer save cancels it); `started` is set when
    an index is waiting."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release, self.started = threading.Event(), threading.Event()
        self.real = serve_module.finish_search
        monkeypatch.setattr(serve_module, "finish_search", self)

    def __call__(self, later, cancelled=None):
        self.started.set()
        while not self.release.wait(0.02):
            if cancelled is not None and cancelled():
                raise search.Cancelled("cancelled while held")
        return self.real(later, cancelled)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def readable(data: bytes) -> str:
    """A served file as text: Pagefind's files are gzip (its fragments hold each page's copy as tokens)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def holds(text: str, word: str) -> bool:
    """Whether `text` holds `word` as written or as the index's tokens (one a character, spaced)."""
    return word in text or " ".join(word) in text


def served_files(base: str, out: Path, under: str = "") -> dict[str, str]:
    """Every file of the output under `under`, as the preview serves it (404s left out)."""
    found = {}
    for path in sorted((out / under).rglob("*") if (out / under).exists() else []):
        if path.is_file():
            rel = path.relative_to(out).as_posix()
            with contextlib.suppress(OSError):
                status, data = fetch(base + urllib.parse.quote(rel))
                if status == 200:
                    found[rel] = readable(data)
    return found


def fetch(url: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def index_text(out: Path) -> str:
    """Every file of the output's search index, readable."""
    return "\n".join(readable(p.read_bytes()) for p in sorted((out / "pagefind").rglob("*")) if p.is_file())


# --- shown first, indexed after -----------------------------------------------------------------------------------


def test_no_served_index_holds_a_word_the_edit_removed_until_the_new_index_is_in_place(root, tmp_path, monkeypatch):
    with previewing(root, tmp_path / "site", with_search=True) as (preview, base):
        assert preview.indexed(WAIT)
        assert holds(index_text(preview.out), "琥珀")  # the first index finds the word
        held = Held(monkeypatch)
        edit(root, "registry/orgs/east.yaml", NAME, "东村党支部")
        assert preview.rebuild()  # the pages are published; the index waits
        assert held.started.wait(WAIT)
        now = state(base)
        assert now["indexing"] and not now["building"] and not now["failed"]
        assert "东村党支部" in get(base + "orgs/east/")[1] and "琥珀" not in get(base + "orgs/east/")[1]
        stale = [rel for rel, text in served_files(base, preview.out).items() if holds(text, "琥珀")]
        assert stale == []  # no index, no page, nothing served finds the removed word
        assert fetch(base + "pagefind/pagefind.js")[0] == 404
        held.release.set()
        assert preview.indexed(WAIT)
        after = state(base)
        assert not after["indexing"] and not after["failed"] and after["version"] == now["version"]
        index = "\n".join(served_files(base, preview.out, "pagefind").values())
        assert holds(index, "东村党支部") and not holds(index, "琥珀")


def test_a_page_served_before_the_index_says_so_and_one_served_after_does_not(root, tmp_path, monkeypatch):
    with previewing(root, tmp_path / "site", with_search=True) as (preview, base):
        assert preview.indexed(WAIT)
        held = Held(monkeypatch)
        edit(root, "registry/orgs/east.yaml", NAME, "东村党总支")
        assert preview.rebuild()
        assert "data-indexing" in get(base + "orgs/east/")[1]
        held.release.set()
        assert preview.indexed(WAIT)
        assert "data-indexing" not in get(base + "orgs/east/")[1]
        assert (preview.out / "pagefind/pagefind.js").is_file()


def test_a_save_during_the_index_cancels_it_and_the_newer_site_gets_its_own(root, tmp_path, monkeypatch):
    with previewing(root, tmp_path / "site", with_search=True) as (preview, base):
        assert preview.indexed(WAIT)
        held = Held(monkeypatch)
        edit(root, "registry/orgs/east.yaml", NAME, "东村第一党支部")
        assert preview.rebuild()
        assert held.started.wait(WAIT)
        first = preview._indexing
        held.started.clear()
        edit(root, "registry/orgs/east.yaml", "东村第一党支部", "东村第二党支部")
        assert preview.rebuild()  # cancels the first index (never swapped in over this site)
        assert first is not None and not first[0].is_alive()
        assert not (preview.out / "pagefind").exists()
        held.release.set()
        assert preview.indexed(WAIT)
        index = index_text(preview.out)
        assert holds(index, "东村第二党支部") and not holds(index, "东村第一党支部")
        assert not state(base)["failed"]


def test_an_index_that_fails_is_a_failed_rebuild_over_the_last_good_site(root, tmp_path, monkeypatch):
    with previewing(root, tmp_path / "site", with_search=True) as (preview, base):
        assert preview.indexed(WAIT)
        good = state(base)["version"]

        def broken(*args, **kwargs):
            raise search.SearchError("Pagefind 建立搜索索引失败：测试")

        monkeypatch.setattr(search, "_run_all", broken)
        edit(root, "registry/orgs/east.yaml", NAME, "东村党总支")
        assert preview.rebuild()
        assert preview.indexed(WAIT)
        failed = state(base)
        assert failed["failed"] and not failed["indexing"] and failed["headline"] == "搜索索引没有更新"
        assert any("测试" in line for line in failed["problems"])
        assert failed["version"] != good  # the pages of the edit are shown (no index): the last good site
        assert "东村党总支" in get(base + "orgs/east/")[1] and not (preview.out / "pagefind").exists()


def test_a_leak_in_the_new_index_keeps_it_out(root, tmp_path, monkeypatch):
    """The index is gated like a build: a private name in it (here planted in a copy, as a defect would) and it is
    never put in place; the preview shows the failure."""

    def plant(later):
        url = next(iter(later.copies.copies))
        later.copies.copies[url] = later.copies.copies[url].replace("</div>", f"<p>{' '.join(PRIVATE)}</p></div>")

    leak_kept_out(root, tmp_path, monkeypatch, plant, "pagefind")


def leak_kept_out(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plant, folder: str) -> Path:
    """A member made private with an edit whose index `plant(later)` gives a private name (as a defect would): the
    index is never put in place in `folder`, the preview shows the failure, nothing served holds the name. The
    preview's output."""
    real = serve_module.Preview._start_index

    def planted(self, later):
        plant(later)
        return real(self, later)

    with previewing(root, tmp_path / "site", with_search=True) as (preview, base):
        assert preview.indexed(WAIT)
        monkeypatch.setattr(serve_module.Preview, "_start_index", planted)
        edit(root, "registry/orgs/east.yaml", NAME, "东村党总支")
        edit(root, "registry/members/east.yaml", "  public: true", "  public: false")
        assert preview.rebuild()
        assert preview.indexed(WAIT)
        failed = state(base)
        assert failed["failed"] and failed["headline"] == "搜索索引没有更新"
        assert any("隐私检查未通过" in line for line in failed["problems"])
        assert not (preview.out / folder).exists()
        assert [rel for rel, text in served_files(base, preview.out).items() if holds(text, PRIVATE)] == []
        return preview.out


# --- what the preview leaves is what build makes ------------------------------------------------------------------


@pytest.mark.parametrize("phase_two", ["done", "never"])
def test_after_a_two_phase_rebuild_a_plain_build_is_a_cold_build(root, tmp_path, monkeypatch, phase_two):
    """The manifest and the copies kept in the cache stay consistent: whether the preview's index was put in
    place or never made (the preview stopped first), `build` of its output then gives a cold build's bytes."""
    out = tmp_path / "site"
    with previewing(root, out, with_search=True) as (preview, _):
        assert preview.indexed(WAIT)
        held = Held(monkeypatch)
        edit(root, "registry/orgs/east.yaml", NAME, "东村党总支")
        edit(root, "registry/members/east.yaml", "  public: true", "  public: false")
        assert preview.rebuild()
        if phase_two == "done":
            held.release.set()
        else:
            preview.close()
        assert preview.indexed(WAIT)
        assert (out / "pagefind").is_dir() is (phase_two == "done")
    build(root, out)
    build(root, tmp_path / "cold", cold=True)
    assert every_file(out) == every_file(tmp_path / "cold")


def test_a_member_made_private_between_the_phases_or_during_the_index_is_never_in_the_output(
    root, tmp_path, monkeypatch
):
    out = tmp_path / "site"
    seen: list[dict[str, bytes]] = []

    def look() -> None:
        seen.append(every_file(out))

    with previewing(root, out, with_search=True) as (preview, _):
        assert preview.indexed(WAIT)
        assert holds(index_text(out), PRIVATE)  # public at first: on a page and in the index
        held = Held(monkeypatch)
        # 1. an edit; its index held back; the member made private before it runs
        edit(root, "registry/orgs/east.yaml", NAME, "东村党总支")
        assert preview.rebuild()
        edit(root, "registry/members/east.yaml", "  public: true", "  public: false")
        assert preview.rebuild()
        look()
        # 2. public again, indexed; then private again while Pagefind runs
        edit(root, "registry/members/east.yaml", "  public: false", "  public: true")
        assert preview.rebuild()
        held.release.set()
        assert preview.indexed(WAIT)
        assert holds(index_text(out), PRIVATE)
        running = threading.Event()
        real = search._run_all

        def slow(jobs, cancelled=None):
            running.set()
            threading.Event().wait(1.0)  # the save lands while Pagefind runs
            return real(jobs, cancelled)

        monkeypatch.setattr(search, "_run_all", slow)
        edit(root, "registry/orgs/east.yaml", "东村党总支", "东村党支部")
        assert preview.rebuild()
        assert running.wait(WAIT)
        edit(root, "registry/members/east.yaml", "  public: true", "  public: false")
        assert preview.rebuild()  # cancels the index under way
        look()
        assert preview.indexed(WAIT)
        look()
        assert not holds(index_text(out), PRIVATE)
    assert (out / "pagefind").is_dir()
    for files in seen:
        leaks = [rel for rel, data in files.items() if holds(readable(data), PRIVATE)]
        assert leaks == []


def test_a_preview_started_over_an_indexed_site_keeps_its_index_and_makes_none(root, tmp_path):
    out = tmp_path / "site"
    build(root, out)
    before = every_file(out)
    with previewing(root, out, with_search=True) as (preview, base):
        assert preview._indexing is None  # the index served the site as it was: linked, not made again
        assert every_file(out) == before
        assert not state(base)["indexing"]


def test_the_copies_kept_in_memory_are_dropped_when_another_build_replaced_the_output(root, tmp_path, monkeypatch):
    """The copies the preview keeps describe the site it published; another build of the same output (a `dangjian
    build` in a terminal) replaces that site, and its pages' copies are then taken as any build takes them."""
    out = tmp_path / "site"
    with previewing(root, out, with_search=True) as (preview, _):
        assert preview.indexed(WAIT)
        assert preview._known() is not None
        edit(root, "registry/orgs/east.yaml", NAME, "东村党总支")
        build(root, out)
        assert preview._known() is None
        given: list = []
        real = serve_module.build
        monkeypatch.setattr(serve_module, "build", lambda *a, **k: given.append(k.get("known")) or real(*a, **k))
        edit(root, "registry/orgs/east.yaml", "东村党总支", "东村党支部")
        assert preview.rebuild() and given == [None]
        assert preview.indexed(WAIT)
        assert holds(index_text(out), "东村党支部") and not holds(index_text(out), "东村党总支")
    build(root, tmp_path / "cold", cold=True)
    assert every_file(out) == every_file(tmp_path / "cold")


def test_nothing_the_preview_serves_may_be_kept_by_the_browser(root, tmp_path):
    """A browser that kept the index's entry file (its name never changes) or its chunks from before an edit would
    find what the edit removed, whatever the preview serves now."""
    import urllib.request

    with previewing(root, tmp_path / "site", with_search=True) as (preview, base):
        assert preview.indexed(WAIT)
        files = ["pagefind/pagefind-entry.json", "pagefind/pagefind.js", "dangjian-search.json", "sitemap.xml"]
        files += [
            p.relative_to(preview.out).as_posix() for p in sorted((preview.out / "pagefind/fragment").iterdir())[:2]
        ]
        files += ["orgs/east/", "no/such/page/", "assets/dangjian/search.js"]
        for rel in files:
            request = urllib.request.Request(base + rel, method="GET")
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    headers = response.headers
            except urllib.error.HTTPError as err:
                headers = err.headers
            assert headers.get_all("Cache-Control") == ["no-store"], rel


def test_a_save_during_the_privacy_check_of_the_index_stops_it_without_waiting(root, tmp_path, monkeypatch):
    """The gate reads every index file (seconds at county) and cannot stop half-way: it runs in a process of its own,
    killed by the next save. Here it would take two minutes."""
    import os
    import time

    from dangjian.site import privacy
    from dangjian.site.build import INDEXING

    marker = tmp_path / "in-gate"
    real = privacy.Gate.scan_tree

    def slow(self, folder, *args, **kwargs):
        if INDEXING in str(folder) and not marker.exists():  # the first index only
            marker.write_text(str(os.getpid()), encoding="utf-8")
            time.sleep(120)
        return real(self, folder, *args, **kwargs)

    with previewing(root, tmp_path / "site", with_search=True) as (preview, base):
        monkeypatch.setattr(privacy.Gate, "scan_tree", slow)
        edit(root, "registry/orgs/east.yaml", NAME, "东村第一党支部")
        assert preview.rebuild()
        deadline = time.monotonic() + WAIT
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        checking = int(marker.read_text(encoding="utf-8"))
        assert checking != os.getpid()  # not this process: the gate's own
        edit(root, "registry/orgs/east.yaml", "东村第一党支部", "东村第二党支部")
        started = time.monotonic()
        assert preview.rebuild()
        assert time.monotonic() - started < 60  # not the gate's two minutes
        with pytest.raises(ProcessLookupError):
            os.kill(checking, 0)  # killed and reaped
        monkeypatch.setattr(privacy.Gate, "scan_tree", real)
        assert preview.indexed(WAIT)
        assert holds(index_text(preview.out), "东村第二党支部") and not state(base)["failed"]


@pytest.mark.parametrize(
    "address",
    [".dangjian-indexing-x/pagefind/a.json", "%2Edangjian-indexing-x/pagefind/a.json", "orgs/../.dangjian-indexing-x/"],
)
def test_the_index_being_made_is_never_served(root, tmp_path, address):
    """The index's work folder in the output holds what the privacy gate has not yet checked."""
    with previewing(root, tmp_path / "site") as (preview, base):
        work = preview.out / ".dangjian-indexing-x/pagefind"
        work.mkdir(parents=True)
        (work / "a.json").write_text("UNCHECKED", encoding="utf-8")
        (work.parent / "index.html").write_text("<html><body>UNCHECKED</body></html>", encoding="utf-8")
        status, body = fetch(base + address)
        assert status == 404 and b"UNCHECKED" not in body
