"""`dangjian validate` without holding the bulk records: file summaries, saved between runs.

At city scale a registry has about 1.3 million records; all but some 20,000 are
members, activities and ledger entries, the *bulk* kinds. Cross-file rules read
little of them: their ids (duplicates, references to them), the ids they reference,
and for members the fields the secretary and privacy rules read. A bulk file's
`Summary` keeps just that (records as *stubs*, references as a set of ids) with the
file's own problems and those of the record rules. Validation builds the registry
from the other files' records and the summaries' stubs. A stub's document is read
again only when a rule asks for a position, and a file whose references do not all
resolve is loaded again to report each one at its line, as a full validation does.
Building a site still loads every record: computing needs them.

The `State` keeps every file's payload (a bulk file's summary, another file's loaded
records) in one file per registry root in the cache folder, under the file's cache
key (its bytes, path and type, and the loader's code). After a one-file edit, that
file alone is loaded again. The state file is named after the source of the code
that makes payloads, rules included: new code starts a new state.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path as FsPath
from typing import Any

from .cache import code_fingerprint, write_pickle
from .load import Loaded, Record, records_from_rows
from .problems import Problem, internal_problem
from .rules import record_problems
from .rules.references import record_references, resolves
from .yamlfile import Path, Pos, YamlDoc

BULK_KINDS = frozenset({"member", "activity", "ledger"})

# What a stub keeps of a bulk record: the fields cross-file rules read of its kind.
# tests/test_summary.py checks that validating with stubs finds what validating every
# record in full does; a new rule reading another field must add it here.
STUB_FIELDS: dict[str, tuple[str, ...]] = {
    "member": ("id", "name", "org", "posts", "public"),
    "activity": ("id",),
}


@dataclass
class Summary:
    """What validation needs of one bulk file."""

    records: int
    problems: list[Problem]  # the file's own, and the record rules'
    shadows: list[tuple[str, str | None]]
    stubs: list[tuple[Path, dict[str, Any]]]  # (base, STUB_FIELDS of the record), for kinds with stubs
    refs: dict[str, frozenset[str]]  # every id the file references, by kind


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
            (record.base, {name: record.data[name] for name in fields if name in record.data})
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

    def data_at(self, base: Path) -> dict[str, Any]:
        """The full fields of the record at `base` (a stub keeps only STUB_FIELDS): loads the file again."""
        return next((r.data for r in self._full(self.file).records if r.base == base), {})


def stubs(file: str, kind: str, summary: Summary, doc: FileDoc) -> list[Record]:
    """The summary's stubs as records without references, in file order."""
    return records_from_rows([(kind, data, file, base, doc, (), [], None, "", 1) for base, data in summary.stubs])


def unresolved(reg, summaries: dict[str, Summary], full: Callable[[str], Loaded]) -> Iterator[Problem]:
    """The references rule for summarised files: each unresolved reference at its line."""
    for file, summary in summaries.items():
        if all(
            reg.ids(kind).keys() >= ids or all(resolves(reg, kind, record_id) for record_id in ids)
            for kind, ids in summary.refs.items()
        ):
            continue
        for record in full(file).records:
            yield from record_references(reg, record)


@lru_cache(maxsize=1)
def _fingerprint() -> str:
    """The loader's code and the code that makes summaries, rules included."""
    digest = hashlib.blake2b(code_fingerprint(), digest_size=12)
    here = FsPath(__file__).parent
    for path in sorted([here / "summary.py", here / "model.py", *(here / "rules").glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class State:
    """Each file's payload under its cache key, saved in the cache folder between runs.

    Saved in `BUCKETS` files by a hash of the path, so that a run that loaded one file
    again rewrites one small file, not the whole state (at city scale, pickling all of
    it took longer than the rest of the run).
    """

    BUCKETS = 64

    def __init__(self, folder: FsPath | None, entries: dict[str, tuple[str, Any]]) -> None:
        self.folder = folder
        self.entries = entries
        self.used: dict[str, tuple[str, Any]] = {}
        self.dirty: set[int] = set()

    @classmethod
    def open(cls, cache: FsPath | None, root: FsPath) -> State:
        """The saved state of the registry at `root` (empty when there is none, when it
        cannot be read, or when caching is off)."""
        if cache is None:
            return cls(None, {})
        name = hashlib.blake2b(
            f"{_fingerprint()}\0{os.path.abspath(root)}".encode("utf-8", "surrogateescape"), digest_size=16
        ).hexdigest()
        folder = cache / "state" / name
        entries: dict[str, tuple[str, Any]] = {}
        for number in range(cls.BUCKETS):
            try:
                bucket = pickle.loads((folder / f"{number:02d}.pickle").read_bytes())
            except FileNotFoundError:
                continue
            except Exception:  # noqa: BLE001 - a damaged bucket is only a cold start for its files
                continue
            if isinstance(bucket, dict):
                entries.update(bucket)
        return cls(folder, entries)

    @classmethod
    def bucket(cls, file: str) -> int:
        return hashlib.blake2b(file.encode("utf-8", "surrogateescape"), digest_size=1).digest()[0] % cls.BUCKETS

    def get(self, file: str, key: str) -> Any | None:
        """The payload saved for these exact bytes of `file`, if any."""
        entry = self.entries.get(file)
        if entry is None or entry[0] != key:
            return None
        self.used[file] = entry
        return entry[1]

    def put(self, file: str, key: str, payload: Any) -> None:
        self.used[file] = (key, payload)
        self.dirty.add(self.bucket(file))

    def save(self) -> None:
        """Keep this run's payloads (only): rewrite the buckets where a payload changed or a file went away."""
        if self.folder is None:
            return
        self.dirty.update(self.bucket(file) for file in self.entries.keys() - self.used.keys())
        if not self.dirty:
            return
        buckets: dict[int, dict[str, tuple[str, Any]]] = {number: {} for number in self.dirty}
        for file, entry in self.used.items():
            number = self.bucket(file)
            if number in buckets:
                buckets[number][file] = entry
        for number, entries in buckets.items():
            write_pickle(self.folder / f"{number:02d}.pickle", entries)
