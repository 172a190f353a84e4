"""Rules declare what they read of other records (`model.reads`), and read nothing else of a stub.

`dangjian validate` keeps of a bulk record (member, activity) only its id and the fields some reader
declared: a rule reading another field would silently see it missing. Here stubs refuse it loudly: on
the demo, the minimal registry and every bad case, validation runs with stubs that refuse, while each
cross-file rule runs, any field that rule did not declare (and the registry's index, likewise).

A rule that never reports on any of them has read nothing worth checking (a new kind's rule, with no
record of its kind in these registries, would pass unseen): every rule in ALL_RULES must report a
problem in some case, so each bad case is where its rule's reads are checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import BAD, REPO, apply_overlay, copy_minimal
from dangjian import summary, validate as validate_module
from dangjian.model import Registry, fields_read
from dangjian.rules import ALL_RULES
from dangjian.rules.references import references_resolve
from dangjian.summary import BULK_KINDS as BULK
from dangjian.validate import validate

READERS: tuple[Callable, ...] = (Registry.build, *ALL_RULES)


# Registries a folder overlay cannot make (it adds files, never removes one): the minimal registry without
# these files, run like the bad cases.
REMOVED = {"without-rulebook": "registry/points/rules.yaml"}


class Undeclared(AssertionError):
    """A reader read a field of a stub it did not declare."""


class Declared(dict):
    """A stub's fields that refuse, when read, any field outside the allowed ones (`id` always allowed)."""

    allowed: dict[str, tuple[str, ...]] = {}  # kind -> fields, set for the reader that runs
    reader = "validation"
    refused: list[str] = []
    spoke: set[str] = set()  # the rules that reported a problem (not a crash) in some registry

    def __init__(self, kind: str, fields: dict[str, Any]) -> None:
        super().__init__(fields)
        self.kind = kind

    def _refuse(self, what: str) -> None:
        self.refused.append(f"{self.reader} reads {what} of a {self.kind} without declaring it (model.reads)")
        raise Undeclared(self.refused[-1])

    def _check(self, name: object) -> None:
        if name not in self.allowed.get(self.kind, ("id",)):
            self._refuse(f"`{name}`")

    def get(self, name: Any, default: Any = None) -> Any:
        self._check(name)
        return super().get(name, default)

    def __getitem__(self, name: Any) -> Any:
        self._check(name)
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        self._check(name)
        return super().__contains__(name)

    def _everything(self, *args: Any) -> Any:
        self._refuse("every field")

    keys = values = items = __iter__ = copy = _everything  # type: ignore[assignment]


def _reading(reader: Callable, name: str = "") -> None:
    """Stubs refuse from now on what `reader` did not declare."""
    Declared.allowed = {kind: fields_read((reader,), kind) for kind in summary.STUB_FIELDS}
    Declared.reader = name or getattr(reader, "__qualname__", repr(reader))


# Rules validate runs under another name: the references rule for summarised files reads as references_resolve.
_NAMED = {"references_resolve": references_resolve}


@pytest.fixture
def strict(monkeypatch) -> type[Declared]:
    """Stubs refuse undeclared fields; in validation, each rule runs refusing what it did not declare."""
    monkeypatch.setattr(summary, "stub_fields", Declared)
    monkeypatch.setattr(Declared, "refused", [])
    monkeypatch.setattr(Declared, "spoke", set())
    monkeypatch.setattr(Declared, "allowed", dict(summary.STUB_FIELDS))
    real = validate_module._apply

    def apply(rule: Callable, registry: Registry, name: str = "") -> list:
        _reading(_NAMED.get(name, rule), name)
        try:
            found = real(rule, registry, name)
            if any(problem.code != "internal" for problem in found):
                Declared.spoke.add(name or rule.__name__)
            return found
        finally:
            Declared.allowed, Declared.reader = dict(summary.STUB_FIELDS), "validation"

    monkeypatch.setattr(validate_module, "_apply", apply)
    return Declared


def _registries(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield "demo", REPO
    yield "minimal", copy_minimal(tmp_path / "minimal")
    for case in sorted(p.name for p in BAD.iterdir()):
        yield case, apply_overlay(copy_minimal(tmp_path / case), BAD / case)
    for case, removed in REMOVED.items():
        yield case, apply_overlay(copy_minimal(tmp_path / case), {removed: None})


def test_every_reader_reads_only_what_it_declared(tmp_path, strict, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    checked = 0
    for name, root in _registries(tmp_path):
        summarised = validate(root, full=False)
        assert Declared.refused == [], name
        assert summarised.problems == validate(root).problems, name
        members = summarised.registry.all("member")
        assert any(isinstance(r.data, Declared) for r in members), name
        _reading(Registry.build)  # the index, alone
        Registry.build(root, [r for records in summarised.registry.records.values() for r in records], stubs=BULK)
        assert Declared.refused == [], name
        checked += 1
    assert checked == 2 + len(list(BAD.iterdir())) + len(REMOVED)
    silent = [rule.__name__ for rule in ALL_RULES if rule.__name__ not in Declared.spoke]
    assert not silent, "\n".join(
        f"add a bad case for rule {name}: an overlay under tests/fixtures/bad/<case>/ on which it reports, its "
        "problems in a tests/bad_cases_<area>.py (CASES), so this test runs it over records it reads"
        for name in silent
    )


def test_a_removed_file_is_reported_by_its_rule(tmp_path: Path) -> None:
    """The case REMOVED adds is a bad case like the others: the missing file, and the rules it held named in vain."""
    root = apply_overlay(copy_minimal(tmp_path / "reg"), {REMOVED["without-rulebook"]: None})
    assert [(p.file, p.line, p.message) for p in validate(root).problems] == [
        ("registry/activities/town-2026.yaml", 8, "找不到积分规则 `activity`"),
        ("registry/points/ledger/east-2026.yaml", 3, "找不到积分规则 `absent`"),
        ("registry/points/rules.yaml", 1, "缺少积分规则簿"),
    ]


def test_a_stub_refuses_an_undeclared_field(strict):
    stub = Declared("member", {"id": "m-1", "name": "王一鸣", "status": "正式党员"})
    Declared.allowed = {"member": ("id", "name")}
    assert stub.get("name") == "王一鸣" and "id" in stub
    for read in (lambda: stub.get("status"), lambda: stub["status"], lambda: "status" in stub, lambda: list(stub)):
        with pytest.raises(Undeclared):
            read()


def test_stub_fields_are_derived_from_the_declarations():
    assert summary.STUB_FIELDS["member"][0] == "id"
    for reader in READERS:
        for kind, fields in getattr(reader, "reads", {}).items():
            if kind in summary.STUB_FIELDS:
                assert set(fields) <= set(summary.STUB_FIELDS[kind]), reader
    # rules/history.py's attended_in_party (a member with a history attends only on days in the party) and the
    # declared tags (site.yaml `tags:`, rules/tags.py): each field a stub carries is memory at a city's scale
    assert summary.STUB_FIELDS["activity"] == ("id", "tags", "date", "attendees")
    assert "ledger" not in summary.STUB_FIELDS  # no ids: nothing refers to a ledger entry
