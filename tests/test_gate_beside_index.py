"""A build with the own index (the default engine) makes the index while a forked process runs the privacy gate over
every other file of the site (`build._own_index_beside_gate`), then gates the index's files and moves the index in.
The two run at the same time; a leak found by either, or a gate that does not finish, publishes nothing; an index
that fails stops the gate's process; nothing of the work is left behind, even by a build killed on the way."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from dangjian.history import History
from dangjian.site import build as build_module, ownsearch
from dangjian.site.build import BuildError, build
from dangjian.site.output import INDEXING, STAGING
from dangjian.site.privacy import Gate, Leak
from test_incremental import tree
from test_ownsearch_incremental import small  # noqa: F401 - a fixture

WAIT = 20.0  # seconds: far more than either half takes on the tiny registry


def make(root: Path, out: Path, *, cold: bool = False):
    return build(root, out, with_search=True, history=History.empty(), cold=cold, search_engine="own")


def _left_over(out: Path) -> list[str]:
    """What the build's work left in the staging area (its index folder)."""
    area = out.parent / STAGING
    return sorted(p.name for p in area.iterdir() if p.name.endswith(INDEXING)) if area.exists() else []


def _is_index_scan(root: object) -> bool:
    return Path(str(root)).name.endswith(INDEXING)


def test_the_pages_are_gated_in_another_process_while_the_index_is_made(
    small: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The index waits until the pages' scan has begun, in another process: a build doing one after the other never
    sees it begin and fails here. Both halves then finish and the site equals a cold build's."""
    out, started = tmp_path / "site", tmp_path / "pages-scan-started"
    make(small, out)
    real_scan, real_complete = Gate.scan_part, ownsearch.complete
    seen: list[int] = []

    def scan(self, root, *args, **kwargs):
        if not _is_index_scan(root):
            started.write_text(str(os.getpid()), encoding="utf-8")
        return real_scan(self, root, *args, **kwargs)

    def complete(*args, **kwargs):
        deadline = time.monotonic() + WAIT
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(int(started.read_text(encoding="utf-8")) if started.exists() else 0)
        return real_complete(*args, **kwargs)

    monkeypatch.setattr(Gate, "scan_part", scan)
    monkeypatch.setattr(ownsearch, "complete", complete)
    _add_story(small)
    report = make(small, out)
    assert seen and seen[0] not in (0, os.getpid()), seen
    assert report.search.endswith("更新")
    assert _left_over(out) == []
    cold = tmp_path / "cold"
    monkeypatch.undo()
    make(small, cold, cold=True)
    assert {rel: data for rel, data in tree(out).items() if not rel.startswith(ownsearch.FOLDER + "/")} == {
        rel: data for rel, data in tree(cold).items() if not rel.startswith(ownsearch.FOLDER + "/")
    }
    assert ownsearch.decoded(out / ownsearch.FOLDER) == ownsearch.decoded(cold / ownsearch.FOLDER)


def _add_story(root: Path) -> None:
    """A new story of the first org: its page rendered, the org's page and the index updated."""
    org = sorted(p.stem for p in (root / "registry/orgs").rglob("*.yaml"))[0]
    (root / "content/stories/x-new.md").write_text(
        f"---\ntitle: 湖边步道\ndate: 2025-05-01\norg: {org}\n---\n湖边新修了步道。\n", encoding="utf-8"
    )


@pytest.mark.parametrize("where", ["pages", "index"])
def test_a_leak_found_on_either_side_publishes_nothing(
    small: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """A leak in the pages (found by the forked gate) or in the index's files (found after it) stops the build: the
    site as it was, the message naming the file, no work left."""
    out = tmp_path / "site"
    make(small, out)
    before = tree(out)
    real_scan = Gate.scan_part

    def scan(self, root, *args, **kwargs):
        found = real_scan(self, root, *args, **kwargs)
        if _is_index_scan(root) == (where == "index"):
            found.leaks.append(Leak(f"{where}-planted.html", "测试"))
        return found

    monkeypatch.setattr(Gate, "scan_part", scan)
    _add_story(small)
    with pytest.raises(BuildError, match=f"隐私检查未通过.*{where}-planted.html"):
        make(small, out)
    assert tree(out) == before
    assert _left_over(out) == []


def test_a_gate_that_does_not_finish_publishes_nothing(
    small: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The forked gate fails (a defect, a process killed): the build stops as when a leak is found."""
    out = tmp_path / "site"
    make(small, out)
    before = tree(out)
    real_scan = Gate.scan_part

    def scan(self, root, *args, **kwargs):
        if not _is_index_scan(root) and os.getpid() != parent:
            raise RuntimeError("the gate's process failed")
        return real_scan(self, root, *args, **kwargs)

    parent = os.getpid()
    monkeypatch.setattr(Gate, "scan_part", scan)
    _add_story(small)
    with pytest.raises(BuildError, match="隐私检查没有完成"):
        make(small, out)
    assert tree(out) == before
    assert _left_over(out) == []


def test_an_index_that_fails_stops_the_gate_s_process(
    small: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The index fails while the pages' gate runs (here: it never ends): the error goes on, the gate's process is
    killed and reaped at once (the build does not wait for it), nothing is published or left."""
    out = tmp_path / "site"
    make(small, out)
    before = tree(out)
    forked: list[int] = []
    real_fork, real_scan = os.fork, Gate.scan_part
    parent = os.getpid()

    def fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    def scan(self, root, *args, **kwargs):
        if os.getpid() != parent:
            time.sleep(3600)  # killed long before
        return real_scan(self, root, *args, **kwargs)

    def complete(*args, **kwargs):
        raise RuntimeError("the index failed")

    monkeypatch.setattr(build_module.os, "fork", fork)
    monkeypatch.setattr(Gate, "scan_part", scan)
    monkeypatch.setattr(ownsearch, "complete", complete)
    _add_story(small)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="the index failed"):
        make(small, out)
    assert time.monotonic() - started < WAIT
    assert forked
    for pid in forked:
        with pytest.raises(ProcessLookupError):  # reaped: no process, not even a zombie
            os.kill(pid, 0)
    assert tree(out) == before
    assert _left_over(out) == []
