"""What the privacy rules found in each file, kept with `dangjian validate`'s state (`model.FileMemo`; issue 23).

A story, page, notice or addressed record whose bytes did not change, checked against private names that did not
change, gets its problems back without being read for names again. Anything that could change them reads them
again: the file's bytes, any private member's id, name or file, a member made public or private, the rules' code.
Every run must report what a full validation without any memo reports.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian import cache
from dangjian.rules import stories
from dangjian.validate import validate

from conftest import apply_overlay, copy_minimal, validate_uncached

STORY = "content/stories/east-road.md"
STORY_TEXT = "---\ntitle: 东村点亮回家路\ndate: 2026-04-02\norg: east\nsource: 测试日报 2026-04-03\n---\n{body}\n"


@pytest.fixture
def cached(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "RACY_NS", 0)
    return tmp_path / "cache"


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """The content files the privacy rules read for names (stories, pages, notices)."""
    seen: list[str] = []
    real = stories.named_in_content
    monkeypatch.setattr(
        stories, "named_in_content", lambda record, names: seen.append(record.file) or real(record, names)
    )
    return seen


@pytest.fixture
def made(monkeypatch) -> list[str]:
    """The private names' tables asked for (`stories.PrivateNames` made: read from the cache or made)."""
    asked: list[str] = []
    real = stories.PrivateNames
    monkeypatch.setattr(stories, "PrivateNames", lambda **options: asked.append(options["key"]) or real(**options))
    return asked


def _problems(root: Path) -> list[tuple[str, int, str]]:
    summarised = validate(root, full=False)
    full = validate(root)  # with the full runs' state and memo
    pure = validate_uncached(root)  # no state, no memo
    assert summarised.problems == full.problems == pure.problems
    return [(p.file, p.line, p.code) for p in summarised.problems]


def _story(root: Path, body: str) -> None:
    (root / STORY).write_text(STORY_TEXT.format(body=body), encoding="utf-8")


def _private(root: Path, name: str) -> None:
    """Make m-east-b (赵大年, public in the minimal registry) private, under `name`."""
    roster = root / "registry/members/east.yaml"
    head, _, block = roster.read_text(encoding="utf-8").partition("- id: m-east-b\n")
    assert block.startswith("  name: ")
    block = re.sub(r"\A  name: [^\n]*\n", f"  name: {name}\n", block).replace("  public: true\n", "")
    roster.write_text(head + "- id: m-east-b\n" + block, encoding="utf-8")


def test_a_second_run_reads_no_content_for_names(registry, cached, checked):
    root = registry()
    _story(root, "李小花带领党员装路灯。")
    first = _problems(root)
    assert first == [(STORY, 7, "private-member")]
    checked.clear()
    assert [(p.file, p.line, p.code) for p in validate(root, full=False).problems] == first
    assert checked == []


def test_an_edited_story_alone_is_read_again(registry, cached, checked):
    root = registry()
    validate(root, full=False)
    checked.clear()
    _story(root, "据李小花介绍，路灯已经装好。")
    assert [(p.file, p.line, p.code) for p in validate(root, full=False).problems] == [(STORY, 7, "private-member")]
    assert checked == [STORY]


def test_a_member_made_private_is_found_in_an_unchanged_story(registry, cached):
    """The story's bytes did not change; the private names did: its problems are found again."""
    root = registry()
    _story(root, "赵大年带领党员装路灯。")
    assert _problems(root) == []
    _private(root, "赵大年")
    assert (STORY, 7, "private-member") in _problems(root)


def test_a_private_member_renamed_is_found_under_the_new_name(registry, cached):
    root = registry()
    _story(root, "赵小年带领党员装路灯。")
    _private(root, "赵大年")
    assert (STORY, 7, "private-member") not in _problems(root)
    _private(root, "赵小年")
    assert (STORY, 7, "private-member") in _problems(root)


def test_a_member_made_public_leaves_an_unchanged_story(registry, cached):
    root = registry()
    _story(root, "李小花带领党员装路灯。")
    assert _problems(root) == [(STORY, 7, "private-member")]
    roster = root / "registry/members/east.yaml"
    text = roster.read_text(encoding="utf-8")
    roster.write_text(text.replace("  name: 李小花\n", "  name: 李小花\n  public: true\n"), encoding="utf-8")
    assert _problems(root) == []


def test_an_org_id_spelling_a_private_name_is_found_when_the_name_arrives(registry, cached):
    """Addressed ids are checked file by file too: an unchanged org whose id becomes a private name's pinyin."""
    root = registry()
    apply_overlay(
        root, {"registry/orgs/zhao-da-nian.yaml": "id: zhao-da-nian\nname: 赵家村党支部\nlevel: 村\nparent: town\n"}
    )
    before = _problems(root)
    assert ("registry/orgs/zhao-da-nian.yaml", 1, "private-member") not in before
    _private(root, "赵大年")
    assert ("registry/orgs/zhao-da-nian.yaml", 1, "private-member") in _problems(root)


ORG_TEXT = "id: {id}\nname: {name}\nkind: 党支部\nparent: town\ndomain: 农村\n"


def _org(root: Path, org_id: str, name: str = "北村党支部") -> str:
    """The test's one org of its own, written under `org_id` (its file named after it): its file's path."""
    for old in (root / "registry/orgs").glob("*.yaml"):
        if old.stem not in {"east", "town", "west"} and old.stem != org_id:
            old.unlink()
    path = f"registry/orgs/{org_id}.yaml"
    (root / path).write_text(ORG_TEXT.format(id=org_id, name=name), encoding="utf-8")
    return path


def test_an_org_edited_keeping_its_id_asks_for_no_names(registry, cached, made):
    """An addressed record's check reads its id alone: kept under the file's ids, not its bytes, an org renamed
    (or any field but its id edited) is checked without the private names' tables (a city's 30 MB)."""
    root = registry()
    _org(root, "north")
    _story(root, "李小花带领党员装路灯。")
    first = _problems(root)
    made.clear()
    _org(root, "north", "北村第一党支部")
    assert [(p.file, p.line, p.code) for p in validate(root, full=False).problems] == first
    assert made == []


def test_an_org_id_changed_to_a_private_spelling_is_found(registry, cached, made):
    root = registry()
    _org(root, "north")
    assert _problems(root) == []
    for spelled in ("li-xiao-hua", "m-east-a", "lixiaohua"):
        assert (_org(root, spelled), 1, "private-member") in _problems(root), spelled
        assert (_org(root, spelled, "北村党支部（改名）"), 1, "private-member") in _problems(root), spelled
    _org(root, "north", "北村第二党支部")
    assert _problems(root) == []
    # the same file, its id changed to one (a file-name problem too, and the id's)
    (root / "registry/orgs/north.yaml").write_text(ORG_TEXT.format(id="li-xiao-hua", name="北村"), encoding="utf-8")
    assert ("registry/orgs/north.yaml", 1, "private-member") in _problems(root)


def test_a_story_edited_keeping_its_file_name_reads_no_pinyin(registry, cached, monkeypatch):
    """A file name (an address) is checked by its slug alone: kept under the slug, not the file's bytes, a story's
    text edited is checked without the pinyin table (a city's 0.27 s); a story renamed to a private name's pinyin
    is found."""
    root = registry()
    _story(root, "东村党员装路灯。")
    assert _problems(root) == []
    spelled: list[str] = []
    real = stories._in_address  # noqa: SLF001
    monkeypatch.setattr(stories, "_in_address", lambda text, names: spelled.append(text) or real(text, names))
    _story(root, "东村党员装好了路灯。")
    assert validate(root, full=False).problems == [] and "east-road" not in spelled
    (root / STORY).rename(root / "content/stories/li-xiao-hua.md")
    assert ("content/stories/li-xiao-hua.md", 1, "private-member") in _problems(root)
    assert "li-xiao-hua" in spelled
    (root / "content/stories/li-xiao-hua.md").rename(root / "content/stories/zhao-da-nian.md")
    assert _problems(root) == []  # 赵大年 is public
    _private(root, "赵大年")  # the file unchanged, the private names not: found
    assert ("content/stories/zhao-da-nian.md", 1, "private-member") in _problems(root)


def test_unchanged_asset_names_ask_for_no_names(registry, cached, made):
    """The files under content/assets/ are checked by their names alone: the same names, no tables asked for; a
    file added under a private name's pinyin is found."""
    root = registry()
    validate(root, full=False)
    made.clear()
    assert validate(root, full=False).problems == []
    assert made == []
    apply_overlay(root, {"content/assets/li-xiao-hua.svg": (root / "content/assets/brands/red.svg").read_bytes()})
    assert ("content/assets/li-xiao-hua.svg", 1, "private-member") in _problems(root)
    (root / "content/assets/li-xiao-hua.svg").unlink()
    assert _problems(root) == []


def test_the_memo_is_a_file_of_the_state_trim_and_clean_know(registry, cached):
    root = registry()
    _story(root, "李小花带领党员装路灯。")
    validate(root, full=False)
    (state,) = (cached / "state").iterdir()
    assert (state / cache.State.FINDINGS).is_file()
    assert cache.scan(cached).foreign == 0
    cache.clean(cached)
    assert not (cached / "state").exists() or not any((cached / "state").iterdir())


def test_a_damaged_memo_is_only_a_cold_start(registry, cached, checked):
    root = registry()
    _story(root, "李小花带领党员装路灯。")
    validate(root, full=False)
    (state,) = (cached / "state").iterdir()
    (state / cache.State.FINDINGS).write_bytes(b"not a pickle")
    checked.clear()
    assert _problems(root) == [(STORY, 7, "private-member")]
    assert STORY in checked


# --- over random edits, every run agrees with a full validation ---------------------------------------------------

_NAMES = ["赵大年", "赵小年", "李小花", "王东方", "陈西河"]
_EDIT = st.one_of(
    st.tuples(st.just("story"), st.sampled_from(_NAMES + ["路灯", "zhao-xiao-nian", "m-east-b"])),
    st.tuples(st.just("private"), st.sampled_from(["赵大年", "赵小年"])),
    st.tuples(st.just("public"), st.just("")),
    st.tuples(st.just("page"), st.sampled_from(_NAMES)),
    st.tuples(
        st.just("org"),
        st.sampled_from(["north", "zhao-da-nian", "zhao-xiao-nian", "m-east-b", "li-xiao-hua", "m-east-a"]),
    ),
    st.tuples(st.just("orgname"), st.sampled_from(_NAMES)),
    st.tuples(st.just("orgid"), st.sampled_from(["north", "zhao-da-nian", "m-east-a", "li-xiao-hua"])),
    st.tuples(st.just("asset"), st.sampled_from(["zhao-da-nian", "zhao-xiao-nian", "road", "m-east-b"])),
    st.tuples(st.just("storyname"), st.sampled_from(["east-road", "zhao-da-nian", "li-xiao-hua", "m-east-b"])),
)


@settings(max_examples=25, deadline=None)
@given(edits=st.lists(_EDIT, min_size=1, max_size=6))
def test_every_run_agrees_with_a_full_validation(tmp_path_factory, edits):
    folder = tmp_path_factory.mktemp("memo")
    root = copy_minimal(folder / "root")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DANGJIAN_CACHE", str(folder / "cache"))
        patch.setattr(cache, "RACY_NS", 0)
        _problems(root)
        for kind, value in edits:
            if kind == "story":
                _story(root, f"{value}带领党员装路灯。")
            elif kind == "private":
                _private(root, value)
            elif kind == "public":
                roster = root / "registry/members/east.yaml"
                text = roster.read_text(encoding="utf-8")
                roster.write_text(
                    text.replace("  status: 入党积极分子\n", "  status: 入党积极分子\n  public: true\n", 1), "utf-8"
                )
            elif kind == "org":
                _org(root, value)
            elif kind == "orgname":
                mine = [
                    p.stem for p in (root / "registry/orgs").glob("*.yaml") if p.stem not in {"east", "town", "west"}
                ]
                _org(root, mine[0] if mine else "north", f"{value}党支部")
            elif kind == "orgid":  # the same file, its id changed
                (root / "registry/orgs/north.yaml").write_text(ORG_TEXT.format(id=value, name="北村"), "utf-8")
            elif kind == "storyname":  # the story's file renamed (its text as it was)
                story = next(
                    (p for p in (root / "content/stories").glob("*.md") if "东村点亮回家路" in p.read_text("utf-8")),
                    None,
                )
                if story is not None and story.stem != value:
                    story.rename(story.with_name(f"{value}.md"))
            elif kind == "asset":
                asset = root / f"content/assets/{value}.svg"
                if asset.exists():
                    asset.unlink()
                else:
                    asset.write_bytes((root / "content/assets/brands/red.svg").read_bytes())
            else:
                page = root / "content/pages/about.md"
                text = page.read_text(encoding="utf-8")
                page.write_text(text.rstrip("\n") + f"\n\n{value}。\n", encoding="utf-8")
            _problems(root)


def test_another_pypinyin_reads_every_file_again(registry, cached, checked, monkeypatch):
    """A name's pinyin forms come from pypinyin's data: another pypinyin is another scope."""
    from dangjian import pinyinpack, provenance

    root = registry()
    validate(root, full=False)
    checked.clear()
    monkeypatch.setattr(provenance, "library", lambda name: f"{name} 99.0")
    pinyinpack.pack_key.cache_clear()
    try:
        validate(root, full=False)
    finally:
        pinyinpack.pack_key.cache_clear()
    assert set(checked) == {STORY, "content/pages/about.md"}


def test_a_roster_edit_keeping_every_name_keeps_the_findings(registry, cached, checked):
    """The member files changed, the private names did not (a birth year): no file is read for names again."""
    root = registry()
    _story(root, "李小花带领党员装路灯。")
    validate(root, full=False)
    checked.clear()
    roster = root / "registry/members/east.yaml"
    roster.write_text(roster.read_text(encoding="utf-8").replace("born: 1965", "born: 1966"), encoding="utf-8")
    assert [(p.file, p.line, p.code) for p in validate(root, full=False).problems] == [(STORY, 7, "private-member")]
    assert checked == []
