"""Carrying pages over and gating them without reading them again (issue 23, the "carry" part).

A rebuild after one record changed carries most pages over from the previous output. It may trust a file it does
not read again only by its identity (device, inode, size, modification time) recorded by the build that wrote or
checked it; these tests attack that trust: an edit in place that keeps the size, a member turned private (the gate
must read every carried page again), a symbolic link planted in the previous output, and a gate memo that would
trust a stale identity.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from conftest import apply_overlay, copy_minimal
from dangjian.site import build as build_module, incremental
from dangjian.site.build import BuildError
from dangjian.site.privacy import Gate
from dangjian.synth import emit
from dangjian.validate import validate
from test_incremental import (  # noqa: F401 - `small` is a fixture used by name
    _in_stories,
    _yaml_files,
    assert_same_tree,
    make,
    small,
    story_body,
)

# The builds here carry from the previous output or a kept folder the tests make: none made beside a first build.
pytestmark = pytest.mark.usefixtures("no_prekeep")


def _an_org_page(out: Path) -> Path:
    return sorted(out.glob("orgs/*/index.html"))[0]


def test_a_page_edited_in_place_keeping_its_size_is_rendered_again(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = make(small, out)
    page = _an_org_page(out)
    data = page.read_bytes()
    at = data.index(b"</h1>")
    edited = data[:at] + b"X" + data[at + 1 :]  # one byte changed, same size, written into the file itself
    time.sleep(0.05)  # past the file system's timestamp tick: an edit after the build is seen as one
    with open(page, "r+b") as handle:
        handle.write(edited)
    assert page.stat().st_size == len(data)
    report = make(small, out)
    assert report.reused == first.pages - 1
    assert page.read_bytes() == data
    make(small, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_page_replaced_by_another_file_of_the_same_size_and_time_is_rendered_again(
    small: Path, tmp_path: Path
) -> None:
    """A new file (another inode) with the old size and modification time: not the file the manifest describes.
    (The old file is kept alive elsewhere: an inode freed may be given to the next file made, and a new file in it
    with the old size and a modification time set back is the fake the identity cannot see, see `incremental`.)"""
    out = tmp_path / "site"
    first = make(small, out)
    page = _an_org_page(out)
    data, info = page.read_bytes(), page.stat()
    os.link(page, tmp_path / "kept.html")
    page.unlink()
    page.write_bytes(data.replace(b"</h1>", b"</h2>", 1))
    os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert page.stat().st_size == info.st_size and page.stat().st_mtime_ns == info.st_mtime_ns
    report = make(small, out)
    assert report.reused == first.pages - 1
    assert page.read_bytes() == data


@pytest.mark.parametrize("planted", ["folder", "file"])
def test_a_symlink_planted_in_the_previous_output_is_not_followed(small: Path, tmp_path: Path, planted: str) -> None:
    """A link in the previous site (a folder or a page) is never followed: the page it stands for is rendered
    again, and nothing of the new site is the file the link points to (hard-linked)."""
    out, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    first = make(small, out)
    elsewhere.mkdir()
    if planted == "folder":
        (out / "orgs").rename(elsewhere / "orgs")
        (out / "orgs").symlink_to(elsewhere / "orgs", target_is_directory=True)
        moved = sorted((elsewhere / "orgs").rglob("index.html"))
    else:
        page = _an_org_page(out)
        page.rename(elsewhere / "index.html")
        page.symlink_to(elsewhere / "index.html")
        moved = [elsewhere / "index.html"]
    inodes = {p.stat().st_ino for p in moved}
    before = {p: p.read_bytes() for p in moved}
    report = make(small, out)
    assert report.reused == first.pages - len(moved)
    published = [p for p in out.rglob("*") if p.is_file() and not p.is_symlink()]
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert not inodes & {p.stat().st_ino for p in published}
    assert {p: p.read_bytes() for p in moved} == before  # nothing written through the link either
    make(small, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_member_turned_private_makes_the_gate_read_every_carried_page_again(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate's memo of pages found clean holds for one set of private names only: when a member turns
    private, a page carried over (here: every page, their keys forced equal) is read again, and the name on it
    stops the build."""
    out = tmp_path / "site"
    named = _in_stories(small)
    rosters = _yaml_files(small, "registry/members")
    path = next(
        p
        for p in rosters
        if any("书记" in m.get("posts", []) and m["id"] not in named for m in yaml.safe_load(p.read_bytes()))
    )
    roster = yaml.safe_load(path.read_bytes())
    secretary = next(m for m in roster if "书记" in m.get("posts", []) and m["id"] not in named)
    # A defect that would carry a page over whatever changed (its key and lookups taken as unchanged):
    monkeypatch.setattr(incremental.Canon, "page_key", lambda self, page, revisions: page.url)
    monkeypatch.setattr(build_module.incremental, "reads_hold", lambda reads, now, canon, changed=None: True)
    make(small, out)
    shown = [p for p in out.rglob("*.html") if secretary["name"] in p.read_text(encoding="utf-8")]
    assert shown
    secretary["public"] = False
    path.write_text(emit(roster), encoding="utf-8")
    with pytest.raises(BuildError, match="隐私检查未通过"):
        make(small, out)
    assert [p for p in shown if p.is_file() and secretary["name"] in p.read_text(encoding="utf-8")] == shown


# --- the gate alone -----------------------------------------------------------------------------------------------

ROSTER = """- id: m-yang
  name: 杨长根
  org: east
  status: 正式党员
  joined: 1999-07-01
  public: {public}
"""


def _gate(tmp_path: Path, public: bool) -> Gate:
    root = copy_minimal(Path(tempfile.mkdtemp(dir=tmp_path)) / "root")
    overlay = {"registry/members/more.yaml": ROSTER.format(public="true" if public else "false")}
    return Gate(validate(apply_overlay(root, overlay)).registry)


def _known(root: Path) -> dict[str, tuple[incremental.Identity, str]]:
    """What a build knows of its pages: each one's identity and the digest of its bytes."""
    return {
        p.relative_to(root).as_posix(): (incremental.identity_of(p), incremental.file_digest(p))
        for p in root.rglob("*.html")
    }


def test_the_gate_reads_a_known_page_again_when_the_private_names_change(tmp_path: Path) -> None:
    site, memo = tmp_path / "site", tmp_path / "memo"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("<p>支部书记杨长根主持会议</p>\n", encoding="utf-8")
    known = _known(site)
    assert _gate(tmp_path, public=True).scan_tree(site, memo, known) == []
    assert _gate(tmp_path, public=True).scan_tree(site, memo, known) == []  # remembered clean
    leaks = _gate(tmp_path, public=False).scan_tree(site, memo, known)
    assert [leak.file for leak in leaks] == ["a/index.html"]


def test_the_gate_reads_a_known_page_again_when_its_identity_changed(tmp_path: Path) -> None:
    """A page known clean by its identity, then edited: its recorded identity is stale, so the gate reads it."""
    site, memo = tmp_path / "site", tmp_path / "memo"
    (site / "a").mkdir(parents=True)
    page = site / "a" / "index.html"
    page.write_text("<p>支部书记王小明主持会议</p>\n", encoding="utf-8")
    gate = _gate(tmp_path, public=False)
    known = _known(site)
    assert gate.scan_tree(site, memo, known) == []
    time.sleep(0.05)
    with open(page, "r+b") as handle:
        handle.write("<p>支部书记杨长根主持会议</p>\n".encode())  # same size, in place
    assert [leak.file for leak in gate.scan_tree(site, memo, known)] == ["a/index.html"]
    # and a known identity the gate did not see (another file now): read too
    assert [leak.file for leak in gate.scan_tree(site, memo, {})] == ["a/index.html"]


def test_the_gate_refuses_a_link_even_when_its_target_is_known_clean(tmp_path: Path) -> None:
    site, memo = tmp_path / "site", tmp_path / "memo"
    (site / "a").mkdir(parents=True)
    (tmp_path / "elsewhere.html").write_text("<p>干净的页面</p>\n", encoding="utf-8")
    (site / "a" / "index.html").symlink_to(tmp_path / "elsewhere.html")
    target = tmp_path / "elsewhere.html"
    known = {"a/index.html": (incremental.identity_of(target), incremental.file_digest(target))}
    leaks = _gate(tmp_path, public=False).scan_tree(site, memo, known)
    assert [leak.file for leak in leaks] == ["a/index.html"]


def test_the_gate_reads_a_file_it_does_not_know_once_and_a_known_clean_one_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dangjian.site import privacy

    site, memo = tmp_path / "site", tmp_path / "memo"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("<p>支部书记王小明主持会议</p>\n", encoding="utf-8")
    (site / "data.json").write_text('{"组织": "东村党支部"}\n', encoding="utf-8")
    gate = _gate(tmp_path, public=False)
    read: list[str] = []
    original = privacy._read_regular
    monkeypatch.setattr(privacy, "_read_regular", lambda path: read.append(Path(path).name) or original(path))
    assert gate.scan_tree(site, memo) == []
    assert sorted(read) == ["data.json", "index.html"]  # once each: its memo key and its scan from the same bytes
    read.clear()
    assert gate.scan_tree(site, memo, _known(site)) == []
    assert read == ["data.json"]  # the page known clean, still the same file, is not read; the other is, once


def test_a_page_rewritten_where_one_was_found_clean_is_read_and_its_path_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path is checked for private names and their pinyin once per gate (secrets, public names, code): a page
    rendered again at the same address is read, its path not checked again (the pinyin table: a city's 0.27 s). A
    new path is checked, a leaking one at every scan, and every path again when the private names change."""
    from dangjian.site import privacy

    site, memo = tmp_path / "site", tmp_path / "memo"
    (site / "a").mkdir(parents=True)
    page = site / "a" / "index.html"
    page.write_text("<p>支部书记王小明主持会议</p>\n", encoding="utf-8")
    checked: list[str] = []
    original = privacy.Gate.scan_path
    monkeypatch.setattr(privacy.Gate, "scan_path", lambda gate, rel: checked.append(rel) or original(gate, rel))
    gate = _gate(tmp_path, public=False)
    assert gate.scan_tree(site, memo) == [] and checked == ["a/index.html"]
    checked.clear()
    page.write_text("<p>支部书记王小明主持了会议</p>\n", encoding="utf-8")
    assert gate.scan_tree(site, memo) == [] and checked == []  # read (its text changed), its path known
    page.write_text("<p>支部书记杨长根主持了会议</p>\n", encoding="utf-8")
    assert [leak.file for leak in gate.scan_tree(site, memo)] == ["a/index.html"]  # its text still read
    (site / "yang-chang-gen").mkdir()
    (site / "yang-chang-gen" / "index.html").write_text("<p>会议</p>\n", encoding="utf-8")
    page.write_text("<p>会议记录</p>\n", encoding="utf-8")
    for _ in range(2):  # a leaking path: checked at every scan
        checked.clear()
        assert [leak.file for leak in gate.scan_tree(site, memo)] == ["yang-chang-gen/index.html"]
        assert "yang-chang-gen/index.html" in checked
    checked.clear()
    page.write_text("<p>会议纪要</p>\n", encoding="utf-8")
    assert [leak.file for leak in _gate(tmp_path, public=True).scan_tree(site, memo)] == []  # another gate
    assert "a/index.html" in checked


def _settle(path: Path, seconds_ago: float = 10) -> None:
    """Date the file's last change `seconds_ago`, as a file the last build wrote long enough before its scan."""
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


def test_a_file_found_clean_and_settled_is_not_read_again_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate's memo keeps each clean file's identity: the search index and exports a rebuild carries over are
    not read again. A file changed since (in place, the same size: another modification time) is."""
    from dangjian.site import privacy

    site, memo = tmp_path / "site", tmp_path / "memo"
    (site / "djsearch" / "c").mkdir(parents=True)
    chunk = site / "djsearch" / "c" / "0a1b2c3d4e5f.gz"
    chunk.write_text("东村党支部 王小明\n", encoding="utf-8")
    exported = site / "data.json"
    exported.write_text('{"组织": "东村党支部"}\n', encoding="utf-8")
    for path in (chunk, exported):
        _settle(path)
    gate = _gate(tmp_path, public=False)
    read: list[str] = []
    original = privacy._read_regular
    monkeypatch.setattr(privacy, "_read_regular", lambda path: read.append(Path(path).name) or original(path))
    assert gate.scan_tree(site, memo) == []
    assert sorted(read) == ["0a1b2c3d4e5f.gz", "data.json"]
    read.clear()
    assert gate.scan_tree(site, memo) == [] and read == []  # both settled and unchanged: neither is read
    with open(chunk, "r+b") as handle:
        handle.write("东村党支部 杨长根\n".encode())  # the same size, written in place
    assert [leak.file for leak in gate.scan_tree(site, memo)] == ["djsearch/c/0a1b2c3d4e5f.gz"]
    assert read == ["0a1b2c3d4e5f.gz"]
    # still leaking: found again, never remembered clean
    _settle(chunk)
    assert [leak.file for leak in gate.scan_tree(site, memo)] == ["djsearch/c/0a1b2c3d4e5f.gz"]


def _settled_export(tmp_path: Path, text: str) -> tuple[Path, Path, Path, Gate]:
    """A site of one export holding `text`, settled; its gate memo's folder, the export, and a gate for which
    杨长根 is private."""
    site, memo = tmp_path / "site", tmp_path / "memo"
    site.mkdir()
    exported = site / "data.json"
    exported.write_text(text, encoding="utf-8")
    _settle(exported)
    return site, memo, exported, _gate(tmp_path, public=False)


def test_a_settled_file_replaced_by_another_is_read(tmp_path: Path) -> None:
    """A new file at the same place, even with the old size and modification time, is another inode."""
    site, memo, exported, gate = _settled_export(tmp_path, '{"组织": "东村党支部王小明"}\n')
    assert gate.scan_tree(site, memo) == []
    before = os.stat(exported)
    swapped = site / "swap.tmp"
    swapped.write_text('{"组织": "东村党支部杨长根"}\n', encoding="utf-8")
    os.utime(swapped, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(swapped, exported)
    assert [leak.file for leak in gate.scan_tree(site, memo)] == ["data.json"]


def test_the_gate_memo_that_is_not_exactly_what_dangjian_wrote_is_not_used(tmp_path: Path) -> None:
    from dangjian.site import privacy

    site, memo, exported, gate = _settled_export(tmp_path, '{"组织": "东村党支部杨长根"}\n')
    assert [leak.file for leak in gate.scan_tree(site, memo)] == ["data.json"]
    # a memo planted for this gate that calls the file clean, without dangjian's seal
    import pickle

    name = privacy._memo_name(gate.digest())
    identity = incremental.identity_of(exported)
    forged = pickle.dumps((name, ({"k"}, {"data.json": (identity, "k")})))
    (memo / "gate" / name).write_bytes(b"dangjian-gate 1 " + b"0" * 32 + f" {len(forged)}\n".encode() + forged)
    assert [leak.file for leak in gate.scan_tree(site, memo)] == ["data.json"]


def test_a_rebuild_s_gate_does_not_read_the_files_written_with_the_bytes_they_had(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exports, sitemaps, feeds and calendars are written anew by every build (new files); the build tells the gate
    each one's identity and digest, so one with last time's bytes is known clean without being read. One whose
    bytes changed is read."""
    from dangjian.site import privacy

    out = tmp_path / "site"
    make(small, out)
    read: list[str] = []
    original = privacy._read_regular
    monkeypatch.setattr(privacy, "_read_regular", lambda path: read.append(Path(path).name) or original(path))
    make(small, out)
    written = {"404.html", "robots.txt", "sitemap.xml", "datapackage.json", "calendar.ics"}
    assert written & {path.name for path in out.rglob("*")} >= {"404.html", "robots.txt", "sitemap.xml"}
    assert not written & set(read), read
    # an org renamed: its exports' bytes change, and they are read
    org = next((small / "registry" / "orgs").rglob("*.yaml"))
    org.write_text(org.read_text(encoding="utf-8").replace("name: ", "name: 改", 1), encoding="utf-8")
    read.clear()
    make(small, out)
    assert "sitemap.xml" not in read and {"orgs.csv", "orgs.json"} & set(read), read


def _inodes(out: Path, names: set[str]) -> dict[str, int]:
    """Each file (not a page) of these names in the site → its inode."""
    return {p.relative_to(out).as_posix(): p.stat().st_ino for p in out.rglob("*") if p.name in names}


OTHER_FILES = {"calendar.ics", "404.html", "robots.txt", "orgs.csv"}


def test_the_other_files_a_rebuild_writes_with_the_same_bytes_are_the_last_build_s(small: Path, tmp_path: Path):
    """A calendar, an export or the 404 page written with the bytes it had is the last build's file (left in place
    or linked), never written again; one whose bytes changed is a new file; the site is a cold build's."""
    out = tmp_path / "site"
    make(small, out)
    story_body(small, 1)
    make(small, out)  # the staging folder reused from here on (the site two builds ago)
    before = _inodes(out, OTHER_FILES)
    assert {rel.rsplit("/", 1)[-1] for rel in before} == OTHER_FILES
    for n in (2, 3):
        story_body(small, n)
        make(small, out)
        assert _inodes(out, OTHER_FILES) == before
    org = next((small / "registry" / "orgs").rglob("*.yaml"))
    org.write_text(org.read_text(encoding="utf-8").replace("name: ", "name: 改", 1), encoding="utf-8")
    make(small, out)
    now = _inodes(out, OTHER_FILES)
    assert now["api/orgs.csv"] != before["api/orgs.csv"] and now["404.html"] == before["404.html"]
    make(small, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_file_left_in_place_that_the_build_does_not_write_is_gone(small: Path, tmp_path: Path) -> None:
    """An org added, then removed: its calendar, left in the reused staging folder as the last build's, is not
    published by the build that writes it no more."""
    out = tmp_path / "site"
    make(small, out)
    leaf = next(p for p in sorted((small / "registry" / "orgs").rglob("*.yaml")) if "parent:" in p.read_text("utf-8"))
    data = yaml.safe_load(leaf.read_bytes())
    data = {k: v for k, v in data.items() if k not in ("secretary", "benchmark", "weak")}
    data.update(id="zz-new", name="新设的支部")
    added = leaf.with_name("zz-new.yaml")
    added.write_text(emit(data), encoding="utf-8")
    for _ in range(3):  # written, linked, then in the staging folder the next build reuses
        report = make(small, out)
    assert (out / "orgs" / "zz-new" / "calendar.ics").is_file() and report.reused
    added.unlink()
    make(small, out)
    assert not (out / "orgs" / "zz-new").exists()
    make(small, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_file_changed_in_the_output_is_not_taken_for_the_last_build_s(small: Path, tmp_path: Path) -> None:
    """Another file in place of the last build's calendar (the same bytes written anew, an edit in place, a link to
    elsewhere) is neither linked nor left: the calendar is written anew and nothing is written through a link."""
    out, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    make(small, out)
    make(small, out)
    elsewhere.mkdir()
    calendars = sorted(out.glob("orgs/*/calendar.ics"))[:3]
    same, edited, linked = calendars
    text = same.read_bytes()
    same.unlink()
    same.write_bytes(text)  # another file, the same bytes
    time.sleep(0.05)
    with open(edited, "r+b") as handle:
        handle.write(b"X")
    target = elsewhere / "calendar.ics"
    target.write_bytes(linked.read_bytes())
    linked.unlink()
    linked.symlink_to(target)
    inodes = {p: os.lstat(p).st_ino for p in calendars}
    for _ in range(2):  # linked from the previous output, then (the staging folder is that site) left in place
        make(small, out)
        assert not any(p.is_symlink() for p in out.rglob("*"))
        assert all(os.lstat(p).st_ino != inodes[p] for p in calendars)
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR") and os.stat(target).st_nlink == 1
    make(small, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_scan_of_part_of_a_site_keeps_what_another_part_s_scan_just_found_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` gates a site in two scans (the pages in the build, the own index in its thread afterwards), each
    keeping what the memo knew of the other part (`keep=`). A page the first scan just found clean (written within
    `RACY_NS`: its key known, its identity not yet settled) is still known to the memo after the second: the next
    rebuild, carrying that page with its identity as the build knows it, does not read it again."""
    from dangjian.site import privacy

    site, work, memo = tmp_path / "site", tmp_path / "work", tmp_path / "memo"
    (site / "a").mkdir(parents=True)
    page = site / "a" / "index.html"
    page.write_text("<p>东村党支部</p>\n", encoding="utf-8")  # just written: not settled by this scan
    (work / "djsearch").mkdir(parents=True)
    (work / "djsearch" / "meta.gz").write_text("东村\n", encoding="utf-8")
    gate = _gate(tmp_path, public=False)
    read: list[str] = []
    original = privacy._read_regular
    monkeypatch.setattr(privacy, "_read_regular", lambda path: read.append(Path(path).name) or original(path))
    known = _known(site)
    assert gate.scan_tree(site, memo, known, keep=lambda rel: rel.startswith("djsearch/")) == []
    assert gate.scan_tree(work, memo, keep=lambda rel: True) == []
    read.clear()
    assert gate.scan_tree(site, memo, known, keep=lambda rel: rel.startswith("djsearch/")) == []
    assert read == []
