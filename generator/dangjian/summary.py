"""`dangjian validate` without holding the bulk records: one summary per bulk file.

At city scale a registry has about 1.3 million records; all but some 20,000 are
members, activities and ledger entries, the *bulk* kinds. Cross-file rules read
little of them: their ids (duplicates, references to them), the ids they reference,
and the fields the rules declare they read (`model.reads`). A bulk file's `Summary`
keeps just that (records as *stubs*, references as a set of ids) with the file's own
problems and those of the record rules. Validation builds the registry from the other
files' records and the summaries' stubs. A stub's document is read again only when a
rule asks for a position, and a file whose references do not all resolve is loaded
again to report each one at its line, as a full validation does. Building a site still
loads every record: computing needs them.

Summaries are saved between runs in `cache.State`, named after the code of this module
and everything it imports (the loader, the model, the rules): new code, new state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .load import Loaded, Record, records_from_rows
from .model import Registry, fields_read
from .problems import Problem, internal_problem
from .recordtypes import RECORD_TYPES
from .rules import ALL_RULES, record_problems
from .rules.references import record_references, resolves
from .yamlfile import Path, Pos, YamlDoc

BULK_KINDS = frozenset({"member", "activity", "ledger"})

# What a stub keeps of a bulk record: its id and what the registry and the cross-file rules declare they
# read of its kind (`model.reads`). Kinds without ids (ledger entries) have no stubs: nothing refers to them.
STUB_FIELDS: dict[str, tuple[str, ...]] = {
    kind: fields_read((Registry.build, *ALL_RULES), kind) for kind in sorted(BULK_KINDS) if RECORD_TYPES[kind].id_field
}

# Tests give stubs' fields a mapping that refuses a field its reader did not declare (tests/test_summary_reads.py).
stub_fields: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None


@dataclass
class Summary:
    """What validation needs of one bulk file."""

    count: int  # records written in the file
    problems: list[Problem]  # the file's own, and the record rules'
    shadows: list[tuple[str, str | None]]
    # (base, STUB_FIELDS of the record, its asset paths), for kinds with stubs: rules.assets checks the paths
    stubs: list[tuple[Path, dict[str, Any], list[tuple[str, Path]]]]
    refs: dict[str, frozenset[str]]  # every id the file references, by kind


Payload = Loaded | Summary  # what the per-file stage yields: a bulk file's summary, another file's records


def payload(loaded: Loaded, kind: str, bulk: frozenset[str]) -> Payload:
    """What validation keeps of a loaded file: a summary when its kind is among `bulk`, else the file itself."""
    return summarize(loaded, kind) if kind in bulk else loaded


def summarize(loaded: Loaded, kind: str) -> Summary:
    """A bulk file's summary, from its loaded records."""
    problems = list(loaded.problems)
    for record in loaded.records:
        try:
            problems.extend(record_problems(record))
        except Exception as err:  # noqa: BLE001 - as validate's safety net does for every rule
            problems.append(internal_problem("registry", "校验规则 record_rules", err))
    fields = STUB_FIELDS.get(kind)
    stubs = (
        []
        if fields is None
        else [
            (record.base, {name: record.data[name] for name in fields if name in record.data}, record.assets)
            for record in loaded.records
        ]
    )
    refs: dict[str, set[str]] = {}
    for record in loaded.records:
        for ref in record.refs:
            refs.setdefault(ref.kind, set()).add(ref.id)
    return Summary(
        len(loaded.records), problems, list(loaded.shadows), stubs, {kind: frozenset(ids) for kind, ids in refs.items()}
    )


class FileDoc:
    """Stands for a bulk file's document: the file is loaded again the first time a rule
    asks for a position in it."""

    def __init__(self, file: str, full: Callable[[str], Loaded]) -> None:
        self.file = file
        self._full = full

    def _doc(self) -> YamlDoc:
        return self._full(self.file).records[0].doc

    def pos(self, path: Path, key: bool = False) -> Pos:
        return self._doc().pos(path, key)

    def problem(self, path: Path, message: str, hint: str = "", code: str = "", key: bool = False) -> Problem:
        return self._doc().problem(path, message, hint, code, key)


def stubs(file: str, kind: str, summary: Summary, doc: FileDoc) -> list[Record]:
    """The summary's stubs as records without references, in file order."""
    rows = summary.stubs
    if stub_fields is not None:
        rows = [(base, stub_fields(kind, fields), assets) for base, fields, assets in rows]
    return records_from_rows(
        [(kind, fields, file, base, doc, (), assets, None, "", 1) for base, fields, assets in rows]
    )


def unresolved(reg: Registry, summaries: dict[str, Summary], full: Callable[[str], Loaded]) -> Iterator[Problem]:
    """The references rule for summarised files: each unresolved reference at its line."""
    for file, summary in summaries.items():
        if all(
            reg.ids(kind).keys() >= ids or all(resolves(reg, kind, record_id) for record_id in ids)
            for kind, ids in summary.refs.items()
        ):
            continue
        for record in full(file).records:
            yield from record_references(reg, record)
