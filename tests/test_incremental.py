"""Incremental builds (issue 23): a rebuild re-renders only the pages whose inputs changed, and its output is
byte for byte the output of a cold build of the same registry.

The property: over random single edits of a small generated registry (an org's name, a member's public flag or
name, a result's score, a project's status, a story's body, a record deleted, one added), a site built before the
edit and rebuilt incrementally after it equals a cold build of the edited registry. Examples: a template change
renders everything again, a page tampered with in the output is rendered again, and a member made private is gone
from every page.
"""

from __future__ import annotations

import datetime

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from dangjian.history import History
from dangjian.site import build as build_module, incremental, ownsearch
from dangjian.site.build import build
from dangjian.synth import Scale, Synth, emit

# A registry smaller than synth's town: 2 villages, 3 branches, 24 members, a scheme with 2 periods.
TINY = Scale(1, 1, 2, 3, 24, 3, 2, 9, 40, 1, 2)
EPOCH = "1780000000"  # SOURCE_DATE_EPOCH: every build of a run has the same day


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_tree(got: Path, want: Path) -> None:
    a, b = tree(got), tree(want)
    assert sorted(a) == sorted(b), (sorted(set(a) - set(b))[:10], sorted(set(b) - set(a))[:10])
    differ = [path for path in a if a[path] != b[path]]
    assert not differ, f"{len(differ)} files differ from the cold build's, e.g. {differ[:10]}"


def make(root: Path, out: Path, *, cold: bool = False):
    return build(root, out, with_search=False, history=History.empty(), cold=cold)


# --- edits: each changes one file of the registry, which stays valid; returns what to put back ------------------

Undo = dict[Path, bytes | None]  # path → its bytes before the edit (None: it did not exist)


def _yaml_files(root: Path, folder: str) -> list[Path]:
    return sorted((root / folder).rglob("*.yaml"))


def _rewrite(path: Path, change: Callable[[object], None]) -> Undo:
    before = path.read_bytes()
    data = yaml.safe_load(before)
    change(data)
    path.write_text(emit(data), encoding="utf-8")
    return {path: before}


def org_name(root: Path, n: int) -> Undo:
    orgs = _yaml_files(root, "registry/orgs")
    return _rewrite(orgs[n % len(orgs)], lambda org: org.update(name=org["name"] + "新"))


def _in_stories(root: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in _stories(root))


def _member(root: Path, n: int, change: Callable[[dict], None]) -> Undo:
    """Change a member no story names (a story may name public members only)."""
    rosters = _yaml_files(root, "registry/members")
    path = rosters[n % len(rosters)]
    named = _in_stories(root)

    def edit(roster: object) -> None:
        assert isinstance(roster, list)
        members = [m for m in roster if m["id"] not in named]
        change(members[(n // len(rosters)) % len(members)])

    return _rewrite(path, edit)


def member_public(root: Path, n: int) -> Undo:
    def flip(member: dict) -> None:
        member["public"] = not member.get("public", "书记" in member.get("posts", []))

    return _member(root, n, flip)


def member_name(root: Path, n: int) -> Undo:
    return _member(root, n, lambda member: member.update(name=member["name"][0] + "欧" + member["name"][1:]))


def member_joined(root: Path, n: int) -> Undo:
    """A 正式党员's admission day a year earlier (the figures, the rankings' averages and the duty records count it)."""
    rosters = _yaml_files(root, "registry/members")
    path = rosters[n % len(rosters)]
    named = _in_stories(root)

    def earlier(roster: object) -> None:
        assert isinstance(roster, list)
        members = [
            m
            for m in roster
            if m["id"] not in named and m.get("status") == "正式党员" and m["joined"].year > m.get("born", 1900) + 20
        ]
        member = members[(n // len(rosters)) % len(members)]
        member["joined"] = member["joined"].replace(year=member["joined"].year - 1, day=1)

    return _rewrite(path, earlier)


def member_moved(root: Path, n: int) -> Undo:
    """A member without a post moved to another branch's roll (two orgs' own parts of the counting touched)."""
    branches = sorted({m["org"] for p in _yaml_files(root, "registry/members") for m in yaml.safe_load(p.read_bytes())})

    def moved(member: dict) -> None:
        if not member.get("posts"):
            member["org"] = next(b for b in branches[n % len(branches) :] + branches if b != member["org"])

    return _member(root, n, moved)


def ledger_entry(root: Path, n: int) -> Undo:
    """A points entry added for a member (their scores, their org's averages and their duty record change)."""
    ledgers = _yaml_files(root, "registry/points/ledger")
    path = ledgers[n % len(ledgers)]
    before = path.read_bytes()
    entries = yaml.safe_load(before)
    member = entries[n % len(entries)]["member"]
    rule = ("absent", "volunteer", "study")[n % 3]
    path.write_text(before.decode() + f"- member: {member}\n  date: 2025-0{1 + n % 9}-11\n  rule: {rule}\n", "utf-8")
    return {path: before}


def result_score(root: Path, n: int) -> Undo:
    results = _yaml_files(root, "registry/assessments/results")
    path = results[n % len(results)]

    def edit(result: object) -> None:
        assert isinstance(result, dict)
        scores = result["scores"]
        org = sorted(scores)[n % len(scores)]
        scores[org]["work"] = round(scores[org]["work"] + 7.25, 2) if scores[org]["work"] < 40 else 31.5

    return _rewrite(path, edit)


def project_status(root: Path, n: int) -> Undo:
    projects = _yaml_files(root, "registry/projects")
    statuses = ["立项", "推进中", "已完成"]
    return _rewrite(
        projects[n % len(projects)],
        lambda p: p.update(status=statuses[(statuses.index(p["status"]) + 1) % 3]),
    )


def _stories(root: Path) -> list[Path]:
    return sorted((root / "content/stories").rglob("*.md"))


def story_body(root: Path, n: int) -> Undo:
    stories = _stories(root)
    path = stories[n % len(stories)]
    before = path.read_bytes()
    path.write_text(before.decode() + "\n又一段：开展结对帮扶。\n", encoding="utf-8")
    return {path: before}


def delete_record(root: Path, n: int) -> Undo:
    """A story or a project, gone."""
    files = _stories(root) + _yaml_files(root, "registry/projects")
    path = files[n % len(files)]
    before = path.read_bytes()
    path.unlink()
    return {path: before}


def add_record(root: Path, n: int) -> Undo:
    """A new story (a copy of one under another name and title) or a new project."""
    if n % 2:
        source = _stories(root)[n % len(_stories(root))]
        path = source.with_name(f"new{n}.md")
        path.write_text(source.read_text(encoding="utf-8").replace("title: ", "title: 新", 1), encoding="utf-8")
        return {path: None}
    projects = _yaml_files(root, "registry/projects")
    source = projects[n % len(projects)]
    path = source.with_name(f"p9{n:05d}.yaml")
    data = yaml.safe_load(source.read_bytes())
    data.update(id=f"p9{n:05d}", title=data["title"] + "（新）")
    path.write_text(emit(data), encoding="utf-8")
    return {path: None}


EDITS = [
    org_name,
    member_public,
    member_name,
    member_joined,
    member_moved,
    ledger_entry,
    result_score,
    project_status,
    story_body,
    delete_record,
    add_record,
]


def undo(changes: Undo) -> None:
    for path, before in changes.items():
        if before is None:
            path.unlink()
        else:
            path.write_bytes(before)


# --- the property -------------------------------------------------------------------------------------------


def tiny_built(
    tmp_path_factory: pytest.TempPathFactory, name: str, built: Callable[..., object]
) -> tuple[Path, Path, Path]:
    """A tiny generated registry, its cold build (A) by `built(root, out, cold=True)`, and a folder for rebuilds
    (B), in a new folder `name`; every build of the run has the same day (SOURCE_DATE_EPOCH)."""
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    work = tmp_path_factory.mktemp(name)
    root = work / "root"
    for _ in Synth(TINY, 7).write(root):
        pass
    built(root, work / "A", cold=True)
    return root, work / "A", work / "B"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A tiny generated registry, its cold build (A), and a folder for rebuilds (B)."""
    return tiny_built(tmp_path_factory, "incremental", make)


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edit=st.sampled_from(EDITS), n=st.integers(0, 1000))
@example(edit=org_name, n=3)
@example(edit=member_public, n=5)
@example(edit=member_name, n=8)
@example(edit=member_joined, n=4)
@example(edit=member_moved, n=7)
@example(edit=ledger_entry, n=2)
@example(edit=result_score, n=1)
@example(edit=project_status, n=2)
@example(edit=story_body, n=0)
@example(edit=delete_record, n=1)
@example(edit=add_record, n=3)
def test_incremental_equals_cold(tiny: tuple[Path, Path, Path], edit: Callable[[Path, int], Undo], n: int) -> None:
    with edited_then_rebuilt(tiny, edit, n):
        pass


@contextmanager
def edited_then_rebuilt(tiny: tuple[Path, Path, Path], edit: Callable[[Path, int], Undo], n: int) -> Iterator[Path]:
    """The property's frame, for a check of one edit: the registry as it was is built incrementally (from whatever
    the last example left) and must equal its cold build; the body runs with `edit(root, n)` made (it gets the root);
    then the rebuild must equal a cold build and carry pages over; the edit is undone whatever happened."""
    root, cold_before, rebuilt = tiny
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    make(root, rebuilt)
    assert_same_tree(rebuilt, cold_before)
    changes = edit(root, n)
    try:
        yield root
        report = make(root, rebuilt)
        cold = rebuilt.parent / "C"
        shutil.rmtree(cold, ignore_errors=True)
        make(root, cold, cold=True)
        assert_same_tree(rebuilt, cold)
        assert report.reused > 0  # (a private member's name, for one, is on no page: nothing rendered again)
    finally:
        undo(changes)


def test_a_private_member_admitted_later_makes_again_the_page_whose_duty_year_it_withholds(
    tiny: tuple[Path, Path, Path],
) -> None:
    """A public member's duty year is withheld where their region's other scored members, less the public ones, are one
    to four (`duty.withheld_years`): a private member admitted later than the years they were scored in moves another
    member's page, though neither that member's record nor any file their page reads page by page changed. Their page
    is made again (its part `self` holds the view: `member.own_records`), and the rebuild is the cold build."""
    root, cold_before, rebuilt = tiny
    text = "\n".join(path.read_text("utf-8") for path in _yaml_files(root, "registry/members"))
    assert "- id: m0000000\n" in text and "- id: m0000003\n" in text, "the generated registry changed: pick others"

    def later(root: Path, n: int) -> Undo:
        path = next(p for p in _yaml_files(root, "registry/members") if "- id: m0000000\n" in p.read_text("utf-8"))

        def admitted(roster: object) -> None:
            assert isinstance(roster, list)
            member = next(m for m in roster if m["id"] == "m0000000")
            assert not member.get("public") and "书记" not in member.get("posts", [])  # a private member
            member["joined"] = datetime.date(2026, 5, 1)

        return _rewrite(path, admitted)

    page = Path("members") / "m0000003" / "index.html"
    with edited_then_rebuilt(tiny, later, 0):
        pass
    assert (rebuilt / page).read_bytes() != (cold_before / page).read_bytes(), "no other member's page moved"


# --- examples -----------------------------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = tmp_path / "root"
    for _ in Synth(TINY, 3).write(root):
        pass
    return root


def test_a_rebuild_with_nothing_changed_carries_every_page_over_and_cold_renders_all(small: Path, tmp_path: Path):
    out = tmp_path / "site"
    first = make(small, out)
    assert first.reused == 0
    again = make(small, out)
    assert again.reused == again.pages == first.pages
    assert make(small, out, cold=True).reused == 0
    assert make(small, out).reused == first.pages  # a cold build leaves a manifest too


@pytest.mark.parametrize("tampering", ["a byte changed", "cut short", "a link to a copy"])
def test_a_manifest_that_is_not_exactly_what_dangjian_wrote_carries_nothing(
    small: Path, tmp_path: Path, tampering: str
):
    """The manifest is a pickle in the cache folder: read only when its digest, length and owner are what dangjian
    wrote, and never through a link (then every page is rendered again, and the site is the same)."""
    out = tmp_path / "site"
    first = make(small, out)
    path = incremental.manifest_path(out)
    assert path is not None and path.is_file()
    data = path.read_bytes()
    if tampering == "a byte changed":
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif tampering == "cut short":
        path.write_bytes(data[: len(data) // 2])
    else:
        copy = tmp_path / "copy.pickle"
        copy.write_bytes(data)
        path.unlink()
        path.symlink_to(copy)
    again = make(small, out)
    assert again.reused == 0 and again.pages == first.pages
    assert make(small, out).reused == first.pages  # the manifest it left is read


def test_a_template_change_renders_every_page_again(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from dangjian.site import theme

    templates = tmp_path / "templates"
    shutil.copytree(theme.TEMPLATES, templates)
    monkeypatch.setattr(theme, "TEMPLATES", templates)  # what the manifest's key digests
    monkeypatch.setattr(build_module, "TEMPLATES", templates)  # where page bodies are read from
    out = tmp_path / "site"
    make(small, out)
    assert make(small, out).reused > 0
    macros = templates / "pages" / "_macros.html"
    macros.write_text(macros.read_text(encoding="utf-8") + "\n{# a comment: no page changes #}\n", encoding="utf-8")
    assert make(small, out).reused == 0
    page = templates / "pages" / "org.html"
    page.write_text(page.read_text(encoding="utf-8") + "\n<p>模板新加的一句</p>\n", encoding="utf-8")
    report = make(small, out)
    assert report.reused == 0
    org_pages = sorted(out.glob("orgs/*/index.html"))
    assert org_pages and all("模板新加的一句" in p.read_text(encoding="utf-8") for p in org_pages)


def test_a_build_that_renders_every_page_still_reuses_the_search_bundles_it_can(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A new dangjian renders every page again (its code is in every page's key), but search reuses each bundle
    whose pages' copies did not change; the index equals a cold build's; `--cold` reuses nothing."""
    out, cold = tmp_path / "site", tmp_path / "cold"
    monkeypatch.setenv(ownsearch.ENGINE_VARIABLE, "pagefind")  # Pagefind's bundles (the own index: test_ownsearch*)
    build(small, out, with_search=True, history=History.empty())
    inodes = {p.relative_to(out): p.stat().st_ino for p in (out / "pagefind").rglob("*") if p.is_file()}
    monkeypatch.setattr(incremental, "code_version", lambda: "another dangjian")
    report = build(small, out, with_search=True, history=History.empty())
    assert report.reused == 0
    kept = [rel for rel, ino in inodes.items() if (out / rel).is_file() and (out / rel).stat().st_ino == ino]
    # one bundle at this size: every file of Pagefind's linked, none written (search's own lists are written anew)
    assert sorted(set(inodes) - set(kept)) == [
        Path("pagefind/dangjian-pages.json"),
        Path("pagefind/dangjian-parts.json"),
    ]
    build(small, cold, with_search=True, history=History.empty(), cold=True)
    assert_same_tree(out / "pagefind", cold / "pagefind")
    inodes = {p.relative_to(out): p.stat().st_ino for p in (out / "pagefind").rglob("*") if p.is_file()}
    build(small, out, with_search=True, history=History.empty(), cold=True)
    assert all((out / rel).stat().st_ino != ino for rel, ino in inodes.items() if (out / rel).is_file())


def test_a_page_tampered_with_in_the_output_is_rendered_again(small: Path, tmp_path: Path, no_prekeep: None):
    """With no kept folder, the next build carries the pages from the output itself (with one, it carries the last
    build's own files from there: `test_a_page_tampered_with_in_the_output_is_replaced_from_the_kept_folder`)."""
    out = tmp_path / "site"
    first = make(small, out)
    page = sorted(out.glob("orgs/*/index.html"))[0]
    text = page.read_text(encoding="utf-8")
    page.unlink()  # not through the link a previous build may share with it
    page.write_text(text.replace("</h1>", "</h1><p>有人改了输出</p>", 1), encoding="utf-8")
    report = make(small, out)
    assert report.reused == first.pages - 1
    assert "有人改了输出" not in page.read_text(encoding="utf-8")
    make(small, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_page_tampered_with_in_the_output_is_replaced_from_the_kept_folder(small: Path, tmp_path: Path):
    """The first build made a kept folder beside it (`output.prekeep`) of its own files: a page replaced in the output
    is not read; the last build's file comes back from the kept folder."""
    out = tmp_path / "site"
    make(small, out)
    page = sorted(out.glob("orgs/*/index.html"))[0]
    text = page.read_text(encoding="utf-8")
    page.unlink()
    page.write_text(text.replace("</h1>", "</h1><p>有人改了输出</p>", 1), encoding="utf-8")
    make(small, out)
    assert "有人改了输出" not in page.read_text(encoding="utf-8")
    make(small, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_member_made_private_is_gone_from_every_page_of_a_rebuild(small: Path, tmp_path: Path):
    out = tmp_path / "site"
    rosters = _yaml_files(small, "registry/members")
    named = _in_stories(small)
    path = next(
        p
        for p in rosters
        if any("书记" in m.get("posts", []) and m["id"] not in named for m in yaml.safe_load(p.read_bytes()))
    )
    roster = yaml.safe_load(path.read_bytes())
    # public without a flag: a secretary (one no story names, which only a public member may be)
    secretary = next(m for m in roster if "书记" in m.get("posts", []) and m["id"] not in named)
    make(small, out)
    shown = [p for p in out.rglob("*.html") if secretary["name"] in p.read_text(encoding="utf-8")]
    assert shown  # on their own page, their org's, the lists…
    secretary["public"] = False
    path.write_text(emit(roster), encoding="utf-8")
    report = make(small, out)
    assert report.reused > 0
    leaked = [p for p in out.rglob("*") if p.is_file() and secretary["name"].encode() in p.read_bytes()]
    assert leaked == []
    assert not (out / "members" / secretary["id"]).exists()


def test_a_failed_rebuild_leaves_the_previous_site_and_its_manifest_as_they_were(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "site"
    first = make(small, out)
    before = tree(out)
    undo_edit = story_body(small, 0)
    with monkeypatch.context() as patch, pytest.raises(ZeroDivisionError):
        patch.setattr(build_module, "export_files", lambda data: 1 / 0)  # fails after pages were carried over
        make(small, out)
    assert tree(out) == before  # no carried page (a hard link) was written into
    undo(undo_edit)
    assert make(small, out).reused == first.pages


def test_rendering_a_page_changes_no_other_page_s_context(small: Path):
    """Keys are computed before any page renders, and a page renders from its context as it was then: so the
    output does not depend on which pages rendered before it (in this process or a worker) only if rendering
    changes no other page's context. (A page may change its own: a lookup in a defaultdict adds the key.)"""
    from dangjian.site.data import SiteData
    from dangjian.site.pages import all_pages
    from dangjian.validate import validate

    data = SiteData(validate(small).registry, build_module.build_date())
    pages = list(all_pages(data))
    env = build_module.content_environment(data)

    def keys() -> list[str | None]:
        canon = incremental.Canon()  # a new one each time: nothing memoised
        return [canon.page_key(page, None) for page in pages]

    before = keys()
    assert None not in before  # every context of the tiny registry is made of known types
    for number, page in enumerate(pages):
        build_module.render_body(env, page)
        after = keys()
        changed = [pages[i].url for i, key in enumerate(after) if key != before[i] and i != number]
        assert changed == [], f"rendering {page.url} changed other pages' contexts"
        before = after


# --- the canonical digest ---------------------------------------------------------------------------------


def test_a_digest_tells_apart_what_a_template_can_tell_apart_and_nothing_else():
    import copy
    import datetime
    from collections import Counter, defaultdict
    from decimal import Decimal
    from fractions import Fraction

    from markupsafe import Markup

    from dangjian.site.data import Person
    from dangjian.site.withheld import Small, Withheld

    digest = incremental.Canon().digest
    name = "".join(["张", "三"])
    shared = {"name": name, "names": [name, name]}
    apart = {"name": "张三", "names": ["张三", "张" + "三"]}
    assert digest(shared) == digest(apart) == digest(copy.deepcopy(shared))  # sharing does not show
    different = [
        0,
        Small(),
        Withheld(),
        False,
        0.0,
        "0",
        Markup("0"),
        Decimal("92.50"),
        Decimal("92.5"),
        Fraction(185, 2),
        datetime.date(2024, 1, 2),
        datetime.date(2024, 2, 1),
        [1, 2],
        (1, 2),
        [2, 1],
        {"a": 1, "b": 2},
        {"b": 2, "a": 1},  # a template iterating it shows the order
        Counter({"a": 1, "b": 2}),
        defaultdict(list, {"a": 1, "b": 2}),
        defaultdict(dict, {"a": 1, "b": 2}),
        Person("m1", "张三", "o1", ("书记",), None),
        Person("m1", "张三", "o1", ("书记",), "3A"),
        Person("m1", "李四", "o1", ("书记",), None),
    ]
    digests = [digest(value) for value in different]
    assert len(set(digests)) == len(different)


def test_a_value_of_an_unknown_type_makes_a_page_volatile():
    class Lookup:  # could read anything when a template calls it
        def name(self) -> str:
            return "?"

    canon = incremental.Canon()
    for value in (Lookup(), {"x": [Lookup()]}, lambda: 1, iter([1])):
        with pytest.raises(incremental.Volatile):
            canon.digest(value)
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(incremental.Volatile):
        canon.digest(cyclic)


def test_types_known_plain_give_the_digests_deciding_value_by_value(small: Path, monkeypatch):
    """`_Pickler.reducer_override` knows the types it lets pickle as they are (`incremental._PLAIN`): every page's
    key of the tiny registry, and a set of values of every kind it meets, are what deciding each value by itself
    gives (`_by_value`, the cache off)."""
    import datetime
    from collections import Counter, defaultdict
    from fractions import Fraction

    from dangjian.site.data import Person, SiteData
    from dangjian.site.pages import all_pages
    from dangjian.site.withheld import Small, Withheld
    from dangjian.validate import validate

    data = SiteData(validate(small).registry, build_module.build_date())
    values: list = [(page.url, page.title, page.context) for page in all_pages(data)]
    values += [
        [Counter({"a": 1}), defaultdict(list, {"a": [1]}), Fraction(1, 3), datetime.date(2024, 1, 2), Small()],
        {"p": Person("m1", "张三", "o1", ("书记",), None), "w": Withheld(), "t": (PurePosixPath("a/b"), int, len)},
    ]

    def digests() -> list[str]:
        canon = incremental.Canon()
        return [canon.digest(value) for value in values]

    incremental._PLAIN.clear()
    cached = digests()
    assert incremental._PLAIN >= {type, datetime.date, Person, Counter}
    monkeypatch.setattr(incremental, "_plain", lambda kind: False)  # every value decided by itself
    incremental._PLAIN.clear()
    assert digests() == cached


class _Tagged(str):
    """A str subclass (as `withheld.Small` is an int's): its instances may carry attributes of their own."""


def test_a_type_decided_by_its_values_is_never_known_plain():
    """An int or str subclass pickles as it is only while an instance carries no attributes of its own; a
    defaultdict never does (its factory is part of it): neither is known by its type."""
    canon = incremental.Canon()
    incremental._PLAIN.clear()
    plain = _Tagged("a")
    canon.digest(plain)
    marked = _Tagged("a")
    marked.note = "looked up"  # type: ignore[attr-defined]
    with pytest.raises(incremental.Volatile):
        canon.digest(marked)
    assert _Tagged not in incremental._PLAIN
    from collections import defaultdict

    assert canon.digest(defaultdict(list)) != canon.digest(defaultdict(dict))
    assert defaultdict not in incremental._PLAIN


def test_a_filter_or_global_that_could_look_things_up_carries_nothing_over(small: Path):
    from dangjian.site.data import SiteData
    from dangjian.validate import validate

    data = SiteData(validate(small).registry, build_module.build_date())
    env = build_module.content_environment(data)
    assert incremental.environment_is_pure(env)
    table = {"x": "一"}
    env.filters["looked_up"] = lambda key: table.get(key, "")  # reads a table no key covers
    assert not incremental.environment_is_pure(env)
    del env.filters["looked_up"]
    env.globals["people"] = data.reg.members  # a global lookup that is not recorded
    assert not incremental.environment_is_pure(env)


def _computed_digests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files of the records whose digest a build computes (rather than gets back from the last build)."""
    computed: list[str] = []
    get = incremental.KeptDigests.get

    def spy(self: incremental.KeptDigests, record) -> str | None:
        found = get(self, record)
        if found is None:
            computed.append(record.file)
        return found

    monkeypatch.setattr(incremental.KeptDigests, "get", spy)
    return computed


def test_a_rebuild_digests_again_only_the_records_of_the_files_that_changed(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "site"
    computed = _computed_digests(monkeypatch)
    make(small, out)
    assert computed  # the first build digests every record it keys
    computed.clear()
    assert make(small, out).reused > 0
    assert computed == []  # nothing changed: every digest is the last build's
    org = next((small / "registry" / "orgs").rglob("*.yaml"))
    org.write_text(org.read_text(encoding="utf-8") + "# 一行注释：文件的字节变了\n", encoding="utf-8")
    make(small, out)
    assert computed and set(computed) == {org.relative_to(small).as_posix()}
    computed.clear()
    monkeypatch.setattr(incremental, "_digests_code", lambda: "another dangjian")
    make(small, out)
    assert len(set(computed)) > 1  # another code: nothing kept is used
