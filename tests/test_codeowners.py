"""`dangjian codeowners` (editing/codeowners.py): who reviews which file, read back as each forge reads it.

Each CODEOWNERS text is parsed here the way the forge does — GitHub and GitLab as gitignore patterns
with the last matching line winning (pathspec's gitwildmatch), Gitea as Go regular expressions behind
its own tokenizer with every matching rule applying (a port of `TokenizeCodeOwnersLine` and the loop
in `services/pull/review_request.go`) — and the reviewers of each file are asserted, not the text.

Until `maintainers:` is declared on ORG in recordtypes.py, the registry is validated without it and the
maintainers are set on the loaded records; only `test_end_to_end_*` needs the declaration.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from conftest import MINIMAL, apply_overlay, copy_minimal
from dangjian.editing import codeowners as co
from dangjian.model import Registry
from dangjian.recordtypes import ORG
from dangjian.validate import validate

DECLARED = "maintainers" in ORG.by_name

# --- each forge's reading of a CODEOWNERS text ------------------------------------------------------


def _split(line: str) -> list[str]:
    """Pattern and owners: split on whitespace not escaped by `\\` (GitLab: `(?<!\\\\)\\s+`)."""
    return [part for part in re.split(r"(?<!\\)\s+", line.strip()) if part]


def glob_owners(text: str, path: str) -> list[str] | None:
    """GitHub/GitLab: the owners of the last line whose pattern matches `path`."""
    owners = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pattern, *names = _split(line)
        if GitIgnoreSpecPattern(pattern).match_file(path):
            owners = names
    return owners


def gitea_tokens(line: str) -> list[str]:
    """Gitea's TokenizeCodeOwnersLine: trim, tabs to spaces, `\\` escapes one character, `#` ends the line."""
    tokens, token, escape = [], "", False
    for char in line.strip().replace("\t", " "):
        if escape:
            token, escape = token + char, False
        elif char == "\\":
            escape = True
        elif char == "#":
            break
        elif char == " ":
            if token:
                tokens.append(token)
                token = ""
        else:
            token += char
    return tokens + ([token] if token else [])


def gitea_owners(text: str, path: str) -> set[str]:
    """Gitea: the owners of every rule matching `path` (`!` rules match the files their regexp does not)."""
    owners: set[str] = set()
    for line in text.split("\n"):
        tokens = gitea_tokens(line)
        if len(tokens) < 2:
            continue
        negative = tokens[0].startswith("!")
        rule = re.compile(f"^{tokens[0].removeprefix('!')}$")
        if bool(rule.match(path)) != negative:
            owners.update(tokens[1:])
    return owners


def reviewers(forge: str, text: str, path: str) -> set[str]:
    if forge == "gitea":
        return gitea_owners(text, path)
    return set(glob_owners(text, path) or [])


# --- registries ---------------------------------------------------------------------------------------


def minimal_with(maintainers: dict[str, list[str]], overlay: dict | None = None, tmp: Path | None = None) -> Registry:
    """The minimal registry (plus `overlay`), validated, with `maintainers` set on the loaded orgs."""
    root = MINIMAL
    if overlay:
        root = apply_overlay(copy_minimal(tmp / "root"), overlay)
    result = validate(root)
    assert result.ok, result.problems
    for org_id, names in maintainers.items():
        result.registry.orgs[org_id].data["maintainers"] = names
    return result.registry


TOWN_AND_EAST = {"town": ["county-clerk"], "east": ["@li-clerk", "xianwei/east"]}
EAST = {"@li-clerk", "@xianwei/east"}
TOWN = {"@county-clerk"}


@pytest.mark.parametrize("forge", co.FORGES)
def test_a_villages_files_are_reviewed_by_its_own_maintainers_and_the_rest_by_the_county(forge: str) -> None:
    reg = minimal_with(TOWN_AND_EAST)
    text = co.codeowners(reg, forge).text
    expected = {
        # east's own file, roster, ledger (its member's), project, story, and the activity file of its activities
        "registry/orgs/east.yaml": EAST,
        "registry/members/east.yaml": EAST,
        "registry/points/ledger/east-2026.yaml": EAST,
        "registry/projects/east-2026-road.yaml": EAST,
        "content/stories/east-road.md": EAST,
        "registry/activities/town-2026.yaml": EAST,
        # west lists nobody: its files go up to the town; the town's own, and the files of no org
        "registry/orgs/west.yaml": TOWN,
        "registry/members/west.yaml": TOWN,
        "registry/orgs/town.yaml": TOWN,
        "registry/brands/red.yaml": TOWN,  # owner: town
        "registry/assessments/schemes/town-villages.yaml": TOWN,  # scope: town ranks the villages
        "registry/assessments/results/town-villages/2026-Q1.yaml": TOWN,
        "registry/site.yaml": TOWN,
        "registry/points/rules.yaml": TOWN,
        "content/pages/about.md": TOWN,
        "content/assets/brands/red.svg": TOWN,
        "CODEOWNERS": TOWN,
        ".github/workflows/publish.yml": TOWN,
        "registry/members/east-new.yaml": TOWN,  # a file added by a pull request is the county's until listed
    }
    assert {path: reviewers(forge, text, path) for path in expected} == expected


def test_ownership_is_inherited_from_the_nearest_org_above_with_maintainers(tmp_path: Path) -> None:
    group = "id: east-g1\nname: 东村第一党小组\nkind: 党小组\nparent: east\ndomain: 农村\n"
    roster = "- id: m-g1\n  name: 赵一\n  org: east-g1\n  status: 正式党员\n  joined: 2000-01-01\n"
    reg = minimal_with(
        TOWN_AND_EAST, {"registry/orgs/east-g1.yaml": group, "registry/members/east-g1.yaml": roster}, tmp_path
    )
    text = co.codeowners(reg).text
    assert reviewers("github", text, "registry/orgs/east-g1.yaml") == EAST
    assert reviewers("github", text, "registry/members/east-g1.yaml") == EAST
    reg.orgs["east-g1"].data["maintainers"] = ["@zhao"]  # the group's own reviewer replaces east's
    text = co.codeowners(reg).text
    assert reviewers("github", text, "registry/members/east-g1.yaml") == {"@zhao"}
    assert reviewers("github", text, "registry/members/east.yaml") == EAST


@pytest.mark.parametrize("forge", co.FORGES)
def test_a_file_shared_by_two_villages_goes_to_the_lowest_org_above_both(forge: str, tmp_path: Path) -> None:
    both = (
        "- id: east-2026-09-01\n  org: east\n  date: 2026-09-01\n  kind: 主题党日\n  title: 东村活动\n"
        "- id: west-2026-09-01\n  org: west\n  date: 2026-09-01\n  kind: 主题党日\n  title: 西村活动\n"
    )
    reg = minimal_with({**TOWN_AND_EAST, "west": ["@west-clerk"]}, {"registry/activities/joint.yaml": both}, tmp_path)
    text = co.codeowners(reg, forge).text
    assert reviewers(forge, text, "registry/activities/joint.yaml") == TOWN  # neither village alone
    assert reviewers(forge, text, "registry/members/west.yaml") == {"@west-clerk"}


def test_without_any_maintainers_the_file_asks_nobody_and_says_so() -> None:
    result = co.codeowners(minimal_with({}))
    assert not result.reviewed
    assert [line for line in result.text.splitlines() if line and not line.startswith("#")] == []


def test_a_registry_of_summaries_is_refused() -> None:
    """`validate(full=False)` has no ledger entries: their files would silently go to the county."""
    summaries = validate(MINIMAL, full=False).registry
    assert summaries.stubs
    with pytest.raises(co.CodeownersError, match="完整"):
        co.codeowners(summaries)


def test_the_text_is_deterministic_whatever_the_record_order() -> None:
    reg = minimal_with(TOWN_AND_EAST)
    first = {forge: co.codeowners(reg, forge).text for forge in co.FORGES}
    for records in reg.records.values():
        records.reverse()
    assert {forge: co.codeowners(reg, forge).text for forge in co.FORGES} == first


def test_github_and_gitlab_text_has_the_root_line_first_and_one_line_per_file() -> None:
    text = co.codeowners(minimal_with(TOWN_AND_EAST), "gitlab").text
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert rules[0] == "* @county-clerk"
    assert rules[1:] == sorted(rules[1:]) and len(rules) == 7
    assert text.startswith(co.MARK)


# --- hostile names and values -------------------------------------------------------------------------

HOSTILE_NAMES = [
    "east roster.yaml",  # a space separates the pattern from its owners
    "east #2.yaml",  # `#` starts a comment
    "#east.yaml",  # ... at a segment's start
    "east[1].yaml",  # a character class on GitHub (an error there unless escaped)
    "east*.yaml",  # a wildcard would also take east-other.yaml
    "east?.yaml",
    "!east.yaml",  # negation at the start of a gitignore pattern, or of a Gitea rule
    "east{a,b}.yaml",
    "east\\x.yaml",  # the escape character itself
    "east.(x|y)+$^.yaml",  # regular expression syntax, for Gitea
    "东村 名册 #1 [2026]*.yaml",
]


@pytest.mark.parametrize("forge", co.FORGES)
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_file_name_is_named_exactly(forge: str, name: str, tmp_path: Path) -> None:
    roster = "- id: m-east-c\n  name: 东三\n  org: east\n  status: 入党申请人\n"
    rel = f"registry/members/{name}"
    reg = minimal_with(TOWN_AND_EAST, {rel: roster}, tmp_path)
    result = co.codeowners(reg, forge)
    assert result.skipped == ()
    assert reviewers(forge, result.text, rel) == EAST
    # and nothing else: a look-alike sibling, and every other file, keep their reviewers
    for other in ("registry/members/east-other.yaml", "registry/members/eastx.yaml", "registry/members/west.yaml"):
        assert reviewers(forge, result.text, other) == TOWN, other
    assert reviewers(forge, result.text, "registry/members/east.yaml") == EAST


@pytest.mark.parametrize("forge", co.FORGES)
@pytest.mark.parametrize("name", ["east\n* @mallory.yaml", "east\r.yaml", "east\u202egnp.yaml", "east\u3000x.yaml"])
def test_a_name_no_line_can_hold_is_left_to_the_county_and_reported(forge: str, name: str) -> None:
    reg = minimal_with(TOWN_AND_EAST)
    rel = f"registry/members/{name}"
    reg.members["m-east-a"].file = rel  # a file name validation would accept (list files may be named freely)
    result = co.codeowners(reg, forge)
    assert result.skipped == (rel,)
    assert "@mallory" not in result.text and "\r" not in result.text and "\u202e" not in result.text
    assert reviewers(forge, result.text, rel) == TOWN


@pytest.mark.parametrize(
    "org_id", ["east\n* @mallory", "east @mallory", "east#x", "../east", "East", "east\u202e", "", "e" * 70]
)
def test_an_org_id_that_is_not_an_id_is_refused(org_id: str) -> None:
    reg = minimal_with(TOWN_AND_EAST)
    reg.orgs[org_id] = reg.orgs.pop("east")
    with pytest.raises(co.CodeownersError, match="组织编号"):
        co.codeowners(reg)


@pytest.mark.parametrize(
    "name",
    ["@li\n* @mallory", "@li @mallory", "@li#x", "li@example.com", "@li@example.com", "@", "@-li", "@li-", "@@li"],
)
def test_a_maintainer_that_is_not_a_forge_name_is_refused(name: str) -> None:
    with pytest.raises(co.CodeownersError, match="审核人"):
        co.codeowners(minimal_with({"town": ["@county-clerk"], "east": ["@li-clerk", name]}))


def test_a_name_written_with_and_without_its_at_sign_is_one_reviewer() -> None:
    text = co.codeowners(minimal_with({"town": ["county-clerk", "@county-clerk", "@li"]})).text
    assert "* @county-clerk @li" in text.splitlines()


def test_an_org_name_cannot_break_out_of_its_comment() -> None:
    reg = minimal_with(TOWN_AND_EAST)
    reg.orgs["east"].data["name"] = "东村\n* @mallory\r\u2028x"
    text = co.codeowners(reg).text
    assert "@mallory" not in [word for line in text.splitlines() if not line.startswith("#") for word in line.split()]
    assert all(line.startswith(("#", "/", "*")) or not line for line in text.splitlines())
    assert "\r" not in text and "\u2028" not in text


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("@li-clerk", True),
        ("@li_clerk", True),
        ("@Li.Clerk2", True),
        ("@xianwei/east", True),
        ("@xianwei/east-reviewers", True),
        ("@a", True),
        ("li-clerk", True),  # the @ is optional in the registry (YAML wants "@..." quoted); CODEOWNERS adds it
        ("xianwei/east", True),
        ("@@li", False),
        ("@li clerk", False),
        ("@li\n", False),
        ("@li#1", False),
        ("@a/b/c", False),
        ("@.li", False),
        ("@li.", False),
        ("@-li", False),
        ("@li@example.com", False),
        ("李书记", False),
        ("@" + "a" * 101, False),
    ],
)
def test_the_maintainer_pattern(name: str, ok: bool) -> None:
    assert bool(re.fullmatch(co.MAINTAINER_PATTERN, name)) is ok


# --- properties: any nameable path is matched exactly, on every forge -----------------------------------

_SEGMENT = st.text(alphabet="ab- #*?[]{}!\\.()|+^$中/", min_size=1, max_size=12).filter(
    lambda s: "//" not in s and not s.startswith("/") and not s.endswith("/")
)
_REGISTRY = minimal_with(TOWN_AND_EAST)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forge=st.sampled_from(co.FORGES), name=_SEGMENT, other=_SEGMENT)
def test_any_file_name_reaches_its_reviewers_and_no_other_file(forge: str, name: str, other: str) -> None:
    rel, elsewhere = f"registry/members/{name}.yaml", f"registry/members/{other}.yaml"
    assume(rel != elsewhere and ".." not in rel.split("/"))
    record = _REGISTRY.members["m-west-sec"]
    saved = record.file
    record.file = rel
    _REGISTRY.orgs["west"].data["maintainers"] = ["@west-clerk"]
    try:
        text = co.codeowners(_REGISTRY, forge).text
    finally:
        record.file = saved
        del _REGISTRY.orgs["west"].data["maintainers"]
    assert reviewers(forge, text, rel) == {"@west-clerk"}
    assert reviewers(forge, text, elsewhere) == TOWN
    assert reviewers(forge, text, "registry/members/east.yaml") == EAST


# --- writing -----------------------------------------------------------------------------------------


def test_write_replaces_its_own_file_and_refuses_a_hand_written_one(tmp_path: Path) -> None:
    out = tmp_path / "CODEOWNERS"
    co.write(out, co.MARK + "\n* @a\n")
    co.write(out, co.MARK + "\n* @b\n")
    assert out.read_text(encoding="utf-8") == co.MARK + "\n* @b\n"
    out.write_text("* @someone-else\n", encoding="utf-8")
    with pytest.raises(co.CodeownersError, match="不是 dangjian codeowners 生成的"):
        co.write(out, co.MARK + "\n* @c\n")
    assert out.read_text(encoding="utf-8") == "* @someone-else\n"
    assert [p.name for p in tmp_path.iterdir()] == ["CODEOWNERS"]  # no temporary file left behind


def test_write_never_follows_a_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text(co.MARK + "\n", encoding="utf-8")  # even one that looks like ours
    link = tmp_path / "CODEOWNERS"
    link.symlink_to(target)
    with pytest.raises(co.CodeownersError, match="符号链接"):
        co.write(link, co.MARK + "\n* @a\n")
    assert target.read_text(encoding="utf-8") == co.MARK + "\n"


def test_a_github_codeowners_in_dot_github_would_be_read_first(tmp_path: Path) -> None:
    assert co.read_first(tmp_path, "github") is None
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/CODEOWNERS").write_text("* @x\n", encoding="utf-8")
    assert co.read_first(tmp_path, "github") == ".github/CODEOWNERS"
    assert co.read_first(tmp_path, "gitea") is None


def test_the_forge_defaults_to_the_cms_backend() -> None:
    reg = minimal_with({})
    assert co.default_forge(reg) == "github"
    reg.settings.data["cms"] = {"backend": "gitea", "repo": "a/b"}
    assert co.default_forge(reg) == "gitea"


# --- end to end: needs `maintainers` declared on ORG in recordtypes.py and the command in cli.py ------------


@pytest.mark.skipif(not DECLARED, reason="maintainers is not declared on ORG in recordtypes.py yet")
def test_end_to_end_maintainers_validate_write_codeowners_and_never_reach_the_site(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dangjian.cli import main
    from site_helpers import build_site

    field = ORG.by_name["maintainers"]
    assert field.type.item.pattern.pattern == co.MAINTAINER_PATTERN  # one pattern, declared and used
    assert not field.page and not field.column and not field.diff  # never published, exported or diffed
    root = copy_minimal(tmp_path / "root")
    for org_id, names in TOWN_AND_EAST.items():
        path = root / f"registry/orgs/{org_id}.yaml"
        listed = ", ".join(f'"{name}"' if name.startswith("@") else name for name in names)  # YAML: "@" is quoted
        path.write_text(path.read_text(encoding="utf-8") + f"maintainers: [{listed}]\n", encoding="utf-8")
    assert validate(root).ok
    bad = apply_overlay(copy_minimal(tmp_path / "bad"), {})
    (bad / "registry/orgs/east.yaml").write_text(
        (bad / "registry/orgs/east.yaml").read_text(encoding="utf-8") + "maintainers: [li@example.com]\n",
        encoding="utf-8",
    )
    problems = validate(bad).problems
    assert [(p.file, p.line) for p in problems] == [("registry/orgs/east.yaml", 9)]
    assert "li@example.com" in problems[0].message and "不符合格式" in problems[0].message

    done = CliRunner().invoke(main, ["codeowners", "--root", str(root)])
    assert done.exit_code == 0, done.output
    text = (root / "CODEOWNERS").read_text(encoding="utf-8")
    assert reviewers("github", text, "registry/members/east.yaml") == EAST
    done = CliRunner().invoke(main, ["codeowners", "--root", str(root), "--out", "-"])
    assert done.exit_code == 0 and co.MARK in done.output
    done = CliRunner().invoke(main, ["codeowners", "--root", str(root), "--forge", "gitea"])
    assert done.exit_code == 0 and reviewers("gitea", (root / "CODEOWNERS").read_text(encoding="utf-8"), "x") == TOWN
    hand = root / "docs/CODEOWNERS"
    hand.parent.mkdir()
    hand.write_text("* @someone\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["codeowners", "--root", str(root), "--out", str(hand)])
    assert done.exit_code == 2 and hand.read_text(encoding="utf-8") == "* @someone\n"  # never someone else's file

    site = build_site(root, tmp_path / "site")
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for name in ("county-clerk", "li-clerk", "xianwei/east"):
                assert name.encode() not in data, f"{name} published in {path.relative_to(site)}"


def test_a_new_kind_s_records_belong_to_the_org_its_declaration_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Which field names a record's org is read from recordtypes.py: a kind added there needs no line here. Its
    first field referring to an org decides; a kind without one follows its first reference (a ledger entry
    its member's org); a kind kept in one fixed file is the whole registry's."""
    from dangjian import recordtypes as records
    from dangjian.schema import Id, Object, Ref, Text

    reg = validate(copy_minimal(tmp_path / "root")).registry
    venue = Object(
        records.Field("id", Id(), "编号"),
        records.Field("keeper", Ref("member"), "管理员"),
        records.Field("host", Ref("org"), "所属组织"),
        records.Field("partner", Ref("org"), "共建组织"),
    )
    visit = Object(records.Field("note", Text(), "说明"), records.Field("venue", Ref("venue"), "阵地"))
    kinds = {
        **records.RECORD_TYPES,
        "venue": records.RecordType("venue", "党建阵地", "registry/venues/<id>.yaml", venue, "one", file_is_id=True),
        "visit": records.RecordType("visit", "参观", "registry/visits/**/*.yaml", visit, "list"),
        "notice": records.RecordType("notice", "通知", "registry/notice.yaml", venue, "one"),
    }
    monkeypatch.setattr(co, "RECORD_TYPES", kinds)
    stored = SimpleNamespace(data={"id": "v-1", "host": "east"})  # a venue record, as far as _org_of reads it
    monkeypatch.setattr(reg, "by_id", {**reg.by_id, "venue": {"v-1": stored}})
    assert co._org_of(reg, "venue", {"id": "v-1", "keeper": "m-west-sec", "host": "east", "partner": "west"}) == "east"
    assert co._org_of(reg, "venue", {"id": "v-2", "partner": "west"}) is None  # the first org field decides
    assert co._org_of(reg, "visit", {"venue": "v-1"}) == "east"
    assert co._org_of(reg, "visit", {"venue": "v-9"}) is None
    assert co._org_of(reg, "notice", {"host": "east"}) is None
    assert co._org_of(reg, "ledger", {"member": "m-west-sec"}) == "west"
