"""The privacy gate reads a page in pieces and each distinct piece once (issue 23, the cold build path).

What it may never do is call a page clean that a whole reading finds a secret in. Pages are cut only
where every reading of the page is the pieces' readings end to end (`normalise.pieces`, `sealed`): the
properties below build hostile pages from the fragments that make readings cross a cut (markup,
entities that spell markup, stray `<`, comments, escapes, percent-escapes, gaps between CJK
characters, digits with separators) and check both the readings and the gate's verdict.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import apply_overlay, copy_minimal
from dangjian import normalise, parallel
from dangjian.normalise import Reading, pieces, readings, sealed
from dangjian.site import privacy
from dangjian.site.privacy import Gate
from dangjian.validate import validate

ROSTER = """- id: m-li
  name: 王东
  org: east
  status: 入党申请人
- id: m-yang
  name: 杨长根
  org: east
  status: 入党申请人
"""

FRAGMENTS = [
    "\n  <div>",
    "\n<p class='a'>",
    "\n  </li>",
    "\n<ul>",
    "\n <section\n id=x>",
    "<div>",
    "<i>",
    "</b>",
    "<span title='",
    "'>",
    ">",
    "<",
    "<<",
    "< ",
    "<b ",
    "&lt;",
    "&gt;",
    "&lt;i&gt;",
    "&amp;",
    "&amp;lt;",
    "&#34;",
    "&#26472;",
    "&#32;",
    "&target",
    "<!--",
    "-->",
    "\\u6768",
    "\\u003c",
    "%E6%9D%A8",
    "杨",
    "长根",
    "杨长根",
    "王",
    "东",
    "m-li",
    "m-",
    "li",
    " ",
    "\n",
    "\n  ",
    "·",
    "138",
    " 0013 ",
    "8000",
    "x",
    # Halves of tags that meet across a block tag in a later round of entity decoding.
    "<<i>b ",
    "&lt;i ",
    "<b&#32;",
    "\n<div>>",
    "\n<div>&gt;",
    "\n<div>x>",
]

pages = st.lists(st.sampled_from(FRAGMENTS), max_size=24).map("".join)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    root = copy_minimal(tmp_path_factory.mktemp("gate") / "root")
    return Gate(validate(apply_overlay(root, {"registry/members/more.yaml": ROSTER})).registry)


def _forget(gate: Gate) -> None:
    """The gate as at the start of a run with no memo: no part known clean, no piece met."""
    gate._clean_parts.clear()
    gate._pieces_met.clear()


def _reading(text: str, strip: bool) -> str:
    """One reading of text already free of escapes: markup stripped or kept (percent-escapes are not cut)."""
    return normalise._finish(normalise._markup(Reading(text), strip=strip)).text


@settings(max_examples=600, deadline=None)
@given(pages)
def test_a_cut_page_reads_as_its_pieces_end_to_end(page: str) -> None:
    cut = pieces(page)
    if cut is None:
        return
    base, cuts = cut
    assert readings(base) == readings(page)  # escapes are decoded once, before cutting
    bounds = [0, *cuts, len(base)]
    parts = [base[start:end] for start, end in zip(bounds, bounds[1:])]
    if not all(sealed(_reading(part, True)) for part in parts):
        return  # the gate reads such a page whole
    for strip in (True, False):
        assert _reading(base, strip) == "".join(_reading(part, strip) for part in parts)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(pages, min_size=1, max_size=4))
def test_the_gate_never_calls_clean_a_page_that_leaks(gate: Gate, site: list[str]) -> None:
    """Pages scanned in turn share one memo of pieces: a page is clean in pieces only if clean whole."""
    _forget(gate)
    for page in site * 2:  # twice: the second time, pieces come from the memo
        if gate._clean_in_pieces(page):
            assert gate.scan_text(page, "x.html") == [], page


CUT_ACROSS = [
    # (page, whether a whole reading finds 杨长根)
    # A tag spelled by entities, closed after a block tag that a cut falls before.
    ("杨&lt;i \n<div>&gt;长根", True),
    # A stray `<` whose next `<…>` goes in the first round, closed in the next piece in the second.
    ("杨<<i>b \n<div>>长根&#34;", True),
    # A tag left open by an entity in its name's place, closed in the next piece once entities are decoded.
    ("杨<b&#32;\n<div>x>长根", True),
    # A comment over the cut.
    ("杨<!-- \n<div> -->长根", True),
    # Percent-escapes on both sides of a block tag: apart, as on the page.
    ("%E6%9D%A8\n<p>%E9%95%BF%E6%A0%B9", False),
    # Markup spelled by entities before a block tag: apart.
    ("杨&lt;i&gt;\n<div>长根", False),
]


@pytest.mark.parametrize(("page", "leaks"), CUT_ACROSS)
def test_a_secret_across_a_cut_is_found(gate: Gate, page: str, leaks: bool) -> None:
    """Pages a naive cut would miss: the gate reports what a whole reading finds, and nothing else."""
    _forget(gate)
    whole = gate.scan_text(page, "x.html")
    assert bool(whole) is leaks
    for _ in range(2):  # the second time from the memo
        assert gate.scan_bytes(page.encode(), "x.html") == whole


def test_theme_pieces_are_read_once(gate: Gate) -> None:
    """The same nav on two pages: the second page's nav comes from the memo, its own text is still read."""
    _forget(gate)
    nav = "".join(f"\n  <li>\n    <a href='/s{i}/'>栏目{i}</a>\n  </li>" for i in range(20))
    pages = [f"<html>\n<body>{nav}\n<main>第{i}页\n</main>{nav}\n</body>" for i in range(3)]
    for page in pages:
        assert gate._clean_in_pieces(page)
    assert gate._clean_parts  # the nav's pieces, met twice on the first page
    leaking = pages[0].replace("第0页", "杨长根")
    assert not gate._clean_in_pieces(leaking)
    assert gate.scan_bytes(leaking.encode(), "x.html")


def test_a_real_page_is_cut(gate: Gate) -> None:
    """A page as built (a generated county org's activities) is cut in many places, or the memo would save nothing."""
    page = (Path(__file__).parent / "fixtures" / "cold_page.html").read_text(encoding="utf-8")
    cut = pieces(page)
    assert cut is not None and len(cut[1]) > 20


@pytest.mark.parametrize(
    "page",
    [
        "杨\n<div>%E9%95%BF",  # percent-escapes: read whole
        "杨\n<div>&lt;b",  # an entity that spells markup
        "杨\n<div>&amp;#26472;",  # an entity that spells an entity
        "杨\n<div>\\u005c",  # an escape that leaves a backslash
    ],
)
def test_pages_the_gate_does_not_cut(page: str) -> None:
    assert pieces(page) is None
    assert pieces(page.replace("\n<div>", "\n<div>x", 1)) is None


def test_cuts_fall_before_block_tags_at_a_line_start_outside_comments() -> None:
    page = "a\n  <div class='x'>b\n<p>c\n  <span>d\n</li>e\n <divx>f\n <div <b>g\n<!--\n<p> -->\n<td>"
    base, cuts = pieces(page) or ("", [])
    assert [base[at : at + 4] for at in cuts] == ["<div", "<p>c", "</li", "<td>"]


_REAL_PAGE = (Path(__file__).parent / "fixtures" / "cold_page.html").read_text(encoding="utf-8")


def _assert_hostile_page_read_right(gate: Gate, inserts: list[tuple[float, str]]) -> None:
    """The real page with each fragment put at its place (a share of the page's length): read in parts, it is clean
    only if it is clean whole, and the gate reports what a whole reading finds."""
    page = _REAL_PAGE
    for where, text in inserts:
        at = int(where * len(page))
        page = page[:at] + text + page[at:]
    if gate._clean_in_pieces(page):
        assert gate.scan_text(page, "x.html") == [], inserts
    assert gate.scan_bytes(page.encode(), "x.html") == gate.scan_text(page, "x.html")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(0, 1), pages), min_size=1, max_size=3), st.integers(1, 3))
def test_a_built_page_with_hostile_text_anywhere(gate: Gate, inserts: list[tuple[float, str]], copies: int) -> None:
    """A real page (the theme and all) with hostile fragments put anywhere, scanned after clean copies of itself
    have filled the memo: in pieces, it is clean only if it is clean whole."""
    _forget(gate)
    for _ in range(copies):
        assert gate._clean_in_pieces(_REAL_PAGE)
    _assert_hostile_page_read_right(gate, inserts)


_LEFT = ["", "<", "<<i>b ", "&lt;i ", "<b&#32;", "<b ", "<!-- ", "&#34;", " ", "<i>", "&lt;"]
_RIGHT = ["", ">", "&gt;", "x>", " -->", "&#34;", "</i>", " ", "&gt;x"]
_CUTS = ["\n<div>", "\n  <p class='x'>", "\n</li>", "\n<ul>"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pages,
    st.lists(st.sampled_from(_LEFT), max_size=3).map("".join),
    st.sampled_from(_CUTS),
    st.lists(st.sampled_from(_RIGHT), max_size=3).map("".join),
    pages,
)
def test_a_name_split_around_a_cut(gate: Gate, before: str, left: str, cut: str, right: str, after: str) -> None:
    """杨 and 长根 on either side of a block tag, with what could join them across it: the page is clean in pieces
    only if it is clean whole, also the second time (from the memo)."""
    _forget(gate)
    page = f"{before}杨{left}{cut}{right}长根{after}"
    for _ in range(2):
        if gate._clean_in_pieces(page):
            assert gate.scan_text(page, "x.html") == [], page


# --- the parts found clean, kept by the gate's memo for the next builds ---------------------------------------------


def _next_run(gate: Gate) -> None:
    """What a new gate with the same secrets starts a run with: the parts the memo kept, no piece met yet."""
    gate._pieces_met.clear()


@pytest.mark.parametrize("every", [1, 2, 16])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(pages, min_size=1, max_size=3), st.lists(st.tuples(st.floats(0, 1), pages), min_size=1, max_size=3))
def test_parts_kept_from_an_earlier_build_never_make_a_leaking_page_clean(
    gate: Gate, monkeypatch: pytest.MonkeyPatch, every: int, earlier: list[str], inserts: list[tuple[float, str]]
) -> None:
    """A build's clean pages fill the memo (in chunks of every size: 1, each piece its own chunk); the next build
    reads a real page with hostile fragments put anywhere: clean in parts only if clean whole."""
    monkeypatch.setattr(privacy, "_CHUNK_EVERY", every)
    _forget(gate)
    for page in [_REAL_PAGE, *earlier]:
        gate._clean_in_pieces(page)
    _next_run(gate)
    _assert_hostile_page_read_right(gate, inserts)


def test_a_page_rebuilt_with_a_line_changed_reads_little_more_than_that_line(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real page scanned in one build; in the next, the same page with one activity's line changed: the parts
    read are a small share of the page, the changed line among them; with the name of a private member there, the
    page is read whole and the leak found."""
    _forget(gate)
    assert gate._clean_in_pieces(_REAL_PAGE)
    _next_run(gate)
    lines = _REAL_PAGE.splitlines(keepends=True)
    at = max(range(len(lines)), key=lambda i: "活动" in lines[i] and len(lines[i]))  # a line of the page's text
    line = lines[at]
    read: list[str] = []
    real = Gate._clean_part
    monkeypatch.setattr(Gate, "_clean_part", lambda self, part: read.append(part) or real(self, part))
    changed = "".join([*lines[:at], line.replace("活动", "活动改了", 1), *lines[at + 1 :]])
    assert gate._clean_in_pieces(changed)
    assert any("活动改了" in part for part in read)
    assert sum(map(len, read)) < len(_REAL_PAGE) / 4, [len(part) for part in read]
    _next_run(gate)
    leaking = "".join([*lines[:at], line.replace("活动", "杨长根", 1), *lines[at + 1 :]])
    assert not gate._clean_in_pieces(leaking)
    assert gate.scan_bytes(leaking.encode(), "x.html")


def test_the_memo_s_parts_are_the_gate_s_own(tmp_path: Path) -> None:
    """A page found clean by a gate for which 杨长根 is not private, its parts kept in the memo: a gate with that
    secret neither loads that memo nor takes those parts for its own (they are keyed by the gate's digest)."""
    public = copy_minimal(tmp_path / "public")
    secret = apply_overlay(copy_minimal(tmp_path / "secret"), {"registry/members/more.yaml": ROSTER})
    site = tmp_path / "site"
    site.mkdir()
    page = _REAL_PAGE.replace("</main>", "\n<p>杨长根\n</p>\n</main>", 1)
    (site / "index.html").write_text(page, encoding="utf-8")
    memo = tmp_path / "memo"
    first = Gate(validate(public).registry)
    assert first.scan_tree(site, memo) == []
    assert first._clean_parts
    second = Gate(validate(secret).registry)
    assert second.digest() != first.digest()
    assert [leak.file for leak in second.scan_tree(site, memo)] == ["index.html"]
    second._clean_parts |= first._clean_parts  # a memo of the other gate's parts, put in by hand
    assert second.scan_bytes(page.encode(), "index.html")


def test_the_memo_keeps_the_parts_for_the_next_gate_and_refuses_a_damaged_list(tmp_path: Path, gate: Gate) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(_REAL_PAGE, encoding="utf-8")
    memo = tmp_path / "memo"
    _forget(gate)
    assert gate.scan_tree(site, memo) == []
    kept = privacy._load_memo(memo, gate.digest())
    assert kept.parts and kept.parts == gate._clean_parts
    damaged = privacy.MEMO.read(memo, privacy._memo_name(gate.digest()))
    privacy.MEMO.write(memo, privacy._memo_name(gate.digest()), (damaged[0], damaged[1], damaged[2][:-1], damaged[3]))
    assert privacy._load_memo(memo, gate.digest()).parts == set()


def test_the_memo_keeps_the_parts_of_rebuilds_not_of_whole_sites(
    tmp_path: Path, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan of a whole site (on every core) keeps no parts: they would make the memo large for pages most rebuilds
    never write again. A rebuild's scan (a few files) keeps the parts of the pages it read."""
    site = tmp_path / "site"
    for n in range(privacy._PARALLEL_FROM + 10):
        (site / f"p{n}").mkdir(parents=True)
        (site / f"p{n}" / "index.html").write_text(_REAL_PAGE.replace("</main>", f"<p>第{n}页</p>\n</main>", 1))
    memo = tmp_path / "memo"
    monkeypatch.setattr(privacy, "fork_workers", lambda items, minimum, most=4: 2 if items >= minimum else 1)
    monkeypatch.setattr(privacy, "RACY_NS", 0)  # the files just written count as settled: the rebuild reads one
    _forget(gate)
    assert gate.scan_tree(site, memo) == []
    assert privacy._load_memo(memo, gate.digest()).parts == set()
    page = site / "p3" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("第3页", "第三页"), encoding="utf-8")
    _forget(gate)
    assert gate.scan_tree(site, memo) == []
    kept = privacy._load_memo(memo, gate.digest()).parts
    assert kept and kept <= gate._clean_parts


def test_the_gate_s_digest_follows_who_is_private_and_nothing_else(tmp_path: Path) -> None:
    """The digest keying the memo is made of the key of the members' lists (`namespack.key`), not of each secret:
    the same registry gives the same digest, a birth year edited too; a public member made private, or a private
    one renamed, gives another, and a page the first gate found clean through its memo is read again and leaks."""
    east = "registry/members/east.yaml"
    base = copy_minimal(tmp_path / "base")
    text = (base / east).read_text(encoding="utf-8")
    assert "public: true" in text and "born: 1965" in text and "李小花" in text
    variants = {
        "again": {},
        "born": {east: text.replace("born: 1965", "born: 1966")},
        "private": {east: text.replace("  public: true\n", "", 1)},
        "renamed": {east: text.replace("李小花", "李晓华")},
    }
    gates = {"base": Gate(validate(base).registry)}
    for name, overlay in variants.items():
        gates[name] = Gate(validate(apply_overlay(copy_minimal(tmp_path / name), overlay)).registry)
    digests = {name: gate.digest() for name, gate in gates.items()}
    assert digests["again"] == digests["base"] == digests["born"]
    assert len({digests["base"], digests["private"], digests["renamed"]}) == 3
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(_REAL_PAGE.replace("</main>", "<p>赵大年</p></main>", 1), encoding="utf-8")
    memo = tmp_path / "memo"
    assert gates["base"].scan_tree(site, memo) == []
    assert gates["born"].scan_tree(site, memo) == []
    assert [leak.file for leak in gates["private"].scan_tree(site, memo)] == ["index.html"]


def test_workers_renewed_part_by_part_find_every_leak_a_scan_in_turn_finds(
    tmp_path: Path, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole site is read in parts by workers renewed every few parts (what a worker learned and copied goes with
    it): a leak in any part, early or late, is found as a scan in this process finds it, and the workers were
    renewed."""
    site = tmp_path / "site"
    files = privacy._PARALLEL_FROM + 30
    leaking = {3, 97, files - 1}  # a private name on three pages, in the first part, a middle one and the last
    for n in range(files):
        (site / f"p{n}").mkdir(parents=True)
        extra = "杨长根" if n in leaking else f"第{n}页"
        (site / f"p{n}" / "index.html").write_text(_REAL_PAGE.replace("</main>", f"<p>{extra}</p>\n</main>", 1))
    monkeypatch.setattr(privacy, "fork_workers", lambda items, minimum, most=4: 1)
    _forget(gate)
    in_turn = sorted((leak.file, leak.what) for leak in gate.scan_tree(site))
    assert [file for file, _ in in_turn] == sorted(f"p{n}/index.html" for n in leaking)
    pids = tmp_path / "pids"
    checked = Gate._check_file

    def logged(self: Gate, path: Path, rel: str) -> privacy._Checked:
        with pids.open("a") as log:
            log.write(f"{os.getpid()}\n")
        return checked(self, path, rel)

    monkeypatch.setattr(Gate, "_check_file", logged)
    monkeypatch.setattr(privacy, "fork_workers", lambda items, minimum, most=4: 2 if items >= minimum else 1)
    monkeypatch.setattr(privacy, "_PART_FILES", 10)
    monkeypatch.setattr(parallel, "RENEW_ITEMS", 20)  # a worker does two parts, then another takes its place
    _forget(gate)
    assert sorted((leak.file, leak.what) for leak in gate.scan_tree(site)) == in_turn
    workers = set(pids.read_text().split())
    assert os.getpid() not in {int(pid) for pid in workers}
    assert len(workers) >= files // 20  # renewed: about one worker for every two parts
