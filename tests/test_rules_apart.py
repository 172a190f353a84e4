"""A build's cross-file rules in a process of their own (`validate(apart=True)`): the build goes on while they run,
and publishes nothing before they pass. In a small registry they run in the build's process (`_APART_FROM`); these
tests lower the bound so that the minimal registry's run apart too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import apply_overlay
from dangjian import validate as validate_module
from dangjian.cache import State
from dangjian.site import build as build_module
from dangjian.site.build import BuildError, InvalidRegistry, build
from dangjian.validate import validate

STORY = "content/stories/east-road.md"
PRIVATE = "李小花"  # a private member of the minimal registry (no post, no `public:`)


class Ran:
    """The pids of the processes the cross-file rules ran in, noted in a file (a child's memory is its own)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def note(self) -> None:
        with self.path.open("a", encoding="utf-8") as noted:
            noted.write(f"{os.getpid()}\n")

    def __len__(self) -> int:
        return len(self.pids())

    def __getitem__(self, at: int) -> int:
        return self.pids()[at]

    def pids(self) -> list[int]:
        return [int(line) for line in self.path.read_text(encoding="utf-8").split()] if self.path.exists() else []


@pytest.fixture
def apart(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Ran:
    """Every build's rules forked (the bound lowered); where they ran."""
    monkeypatch.setattr(validate_module, "_APART_FROM", 0)
    ran = Ran(tmp_path / "ran")
    real = validate_module._cross_file

    def noting(*args):
        ran.note()
        return real(*args)

    monkeypatch.setattr(validate_module, "_cross_file", noting)
    return ran


def every_file(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _story_naming(root: Path, name: str) -> dict[str, str]:
    text = (root / STORY).read_text(encoding="utf-8")
    return {STORY: text + f"\n{name}也参加了这次活动。\n"}


HOSTILE = {
    "a private member named in a story": lambda root: _story_naming(root, PRIVATE),
    "a reference to no org": lambda root: {"registry/projects/nowhere.yaml": _project("nowhere", "no-such-org")},
    "two records with one id": lambda root: {"registry/projects/twice.yaml": _project("twice", "east", "twice")},
    "a file that is no YAML": lambda root: {"registry/projects/broken.yaml": "id: [broken\n"},
}


def _project(slug: str, org: str, twice: str | None = None) -> str:
    base = (Path(__file__).parent / "fixtures/minimal/registry/projects/east-2026-road.yaml").read_text(
        encoding="utf-8"
    )
    record = base.replace("id: east-2026-road", f"id: {twice or slug}").replace("org: east", f"org: {org}")
    return record if twice is None else record.replace(f"id: {twice}", "id: east-2026-road")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_rules_apart_find_every_problem_the_rules_here_find(registry, apart, case):
    root = registry()
    apply_overlay(root, HOSTILE[case](root))
    here = validate(root, lazy=validate_module.LAZY_KINDS)
    assert here.problems, case
    ran = len(apart)
    found = validate(root, lazy=validate_module.LAZY_KINDS, apart=True)
    with pytest.raises(AssertionError):
        found.ok  # noqa: B018 - not known before the rules are done
    assert [str(p) for p in found.finish().problems] == [str(p) for p in here.problems]
    assert len(apart) == ran + 1 and apart[-1] != os.getpid()  # not run here: in the child


def test_the_rules_apart_keep_what_they_found_for_the_next_run(registry, apart, tmp_path, monkeypatch):
    """The findings memo is written by the process the rules ran in: the next validation reads what they found."""
    root = registry()
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "here"))
    validate(root, lazy=validate_module.LAZY_KINDS).registry  # noqa: B018
    here = State.open(tmp_path / "here", root, made_by="validate.py").findings()
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "apart"))
    validate(root, lazy=validate_module.LAZY_KINDS, apart=True).finish()
    assert here and State.open(tmp_path / "apart", root, made_by="validate.py").findings() == here


def test_a_build_with_the_rules_apart_makes_the_same_site(registry, apart, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    root = registry()
    build(root, tmp_path / "first", with_search=False)  # the first build of an output is not cold: apart
    assert apart and apart[-1] != os.getpid()
    monkeypatch.setattr(validate_module, "_APART_FROM", 10**9)
    build(root, tmp_path / "here", with_search=False)
    assert apart[-1] == os.getpid()
    assert every_file(tmp_path / "first") == every_file(tmp_path / "here")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_registry_the_rules_apart_refuse_publishes_nothing(registry, apart, tmp_path, monkeypatch, case):
    """A problem only the cross-file rules see (or a file's own) stops the build before anything is published: the
    last site stays as it was, byte for byte, and the problems are those `validate` gives."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    root = registry()
    out = tmp_path / "site"
    build(root, out, with_search=False)
    before = every_file(out)
    apply_overlay(root, HOSTILE[case](root))
    with pytest.raises(InvalidRegistry) as refused:
        build(root, out, with_search=False)
    assert [str(p) for p in refused.value.problems] == [str(p) for p in validate(root).problems]
    assert every_file(out) == before
    assert not [p for p in (tmp_path / ".dangjian-staging").glob("*") if p.name != out.name + ".kept"]


def test_what_fails_while_the_rules_run_fails_as_they_say_when_they_found_problems(
    registry, apart, tmp_path, monkeypatch
):
    """A page made of an invalid registry may fail (a reference to nothing): the build tells the rules' problems, not
    the failure. The same failure with a valid registry is told as it is."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")

    def failing(*args, **kwargs):
        raise KeyError("no-such-org")

    monkeypatch.setattr(build_module, "_render_site", failing)
    root = registry()
    with pytest.raises(KeyError):
        build(root, tmp_path / "valid", with_search=False)
    apply_overlay(root, _story_naming(root, PRIVATE))
    with pytest.raises(InvalidRegistry) as refused:
        build(root, tmp_path / "invalid", with_search=False)
    assert [str(p) for p in refused.value.problems] == [str(p) for p in validate(root).problems]
    assert not (tmp_path / "invalid").exists()


def test_rules_that_could_not_finish_publish_nothing(registry, apart, tmp_path, monkeypatch):
    """The rules' process killed (out of memory): the build stops with a Chinese error, the last site as it was."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    root = registry()
    out = tmp_path / "site"
    build(root, out, with_search=False)
    before = every_file(out)
    here = os.getpid()
    real = validate_module._cross_file

    def dying(*args):
        if os.getpid() != here:
            os._exit(9)
        return real(*args)

    monkeypatch.setattr(validate_module, "_cross_file", dying)
    (root / STORY).write_text((root / STORY).read_text(encoding="utf-8") + "\n又一段。\n", encoding="utf-8")
    with pytest.raises(BuildError, match="跨文件检查没有完成"):
        build(root, out, with_search=False)
    assert every_file(out) == before


def test_a_forked_child_gives_its_value_and_sees_the_parent_as_it_was():
    from dangjian.parallel import ChildFailed, cores, forked

    seen = {"state": "at the fork"}
    wait = forked(lambda: (seen["state"], os.getpid()))
    seen["state"] = "changed after"
    state, pid = wait()
    assert state == "at the fork" and wait() == (state, pid)
    assert (pid != os.getpid()) == (cores() > 1)
    if cores() > 1:
        dying = forked(lambda: os._exit(3))
        for _ in range(2):  # asked again, the same failure (the child reaped once)
            with pytest.raises(ChildFailed):
                dying()
