"""The registry as one resolved model: records indexed by id, the organization tree, the rulebook.

Built from loaded records even when some are invalid: the first record with an id
wins, later duplicates are reported by the rules, never here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, TypeVar

from .load import Record
from .recordtypes import DEFAULT_STARS, NESTED_KINDS, SCORED_STATUSES

# What a rule reads of other records is declared beside it, `@reads(member=("name", "org"))`: `dangjian
# validate` holds the bulk kinds (members, activities, ledger entries) as stubs carrying their ids and
# the fields some reader declared (summary.py). A rule reading only ids, or only the records it checks one
# by one (RECORD_RULES), declares nothing. tests/test_summary_reads.py runs each rule over stubs that
# refuse every field it did not declare, on the demo and every bad case.

Reader = TypeVar("Reader", bound=Callable)


def reads(**fields: tuple[str, ...]) -> Callable[[Reader], Reader]:
    """Declare the fields `reader` reads of each kind's records, `kind=(field, ...)`; ids need no declaring."""

    def declare(reader: Reader) -> Reader:
        reader.reads = {kind: tuple(names) for kind, names in fields.items()}  # type: ignore[attr-defined]
        return reader

    return declare


def declared(reader: Callable, kind: str) -> tuple[str, ...]:
    """The fields `reader` declared it reads of `kind` (none when it declared nothing)."""
    return getattr(reader, "reads", {}).get(kind, ())


def fields_read(readers: Iterable[Callable], kind: str) -> tuple[str, ...]:
    """`id` and every field of `kind` one of `readers` declared, each once, in order of declaration."""
    names = ["id"]
    for reader in readers:
        names += [name for name in declared(reader, kind) if name not in names]
    return tuple(names)


class FileMemo:
    """What a cross-file rule found in one file, as the last runs found it (`dangjian validate`, kept with its state).

    An entry is kept under a scope and the file's content key (`cache.key`: its bytes, path and kind, and the
    loader's code). The scope must name everything else the findings depend on: the rule, its code, and a digest
    of every other record it read for them (`rules/stories.py`: the private names' tables' key). A rule that
    reads more than the one file and what its scope names must not use it. Beside them, a value derived from
    some files is kept under a digest of those files (`recall`, `remember`)."""

    DERIVED = "\0derived"  # the scope of derived values (no rule's scope starts with NUL)

    def __init__(
        self,
        keys: Mapping[str, str | None],
        kinds: Mapping[str, str],
        kept: Mapping[str, Mapping[str, tuple[str, Any]]],
    ) -> None:
        self.keys = keys  # file -> its content key this run (None: unreadable)
        self.kinds = kinds  # file -> the kind of its records, for every file of the registry
        self.kept = kept  # scope -> file -> (content key, findings): the last run's
        self.used: dict[str, dict[str, tuple[str, Any]]] = {}  # this run's, to keep
        self.changed = False
        self._once: dict[str, str | None] = {}  # `once`'s by name (a kind's `digest` under the kind's)

    def get(self, scope: str, file: str, key: str | None = None) -> list | None:
        """The findings kept for these exact bytes of `file` in `scope`, or None. With `key`: kept under that key
        instead of the bytes' (what the findings were made from, read out of the file: `rules.stories.by_id`)."""
        key = key if key is not None else self.keys.get(file)
        entry = self.kept.get(scope, {}).get(file)
        if key is None or entry is None or entry[0] != key:
            return None
        self.used.setdefault(scope, {})[file] = entry
        return list(entry[1])

    def digest(self, kind: str) -> str | None:
        """A digest of every file of `kind`, path and content key, in order: whatever the records of `kind` are
        depends on nothing else (None when one of them could not be read). Once per kind: the files' keys are
        this run's, fixed (the kept aggregates ask for nine kinds each, of a city's 30,000 files)."""
        return self.once(kind, lambda: self._digest(kind))

    def once(self, name: str, compute: Callable[[], str | None]) -> str | None:
        """`compute()`, once per run under `name`: a digest of this run's files (their keys are fixed)."""
        if name not in self._once:
            self._once[name] = compute()
        return self._once[name]

    def _digest(self, kind: str) -> str | None:
        digest = hashlib.blake2b(kind.encode(), digest_size=16)
        for file, its_kind in self.kinds.items():
            if its_kind == kind:
                key = self.keys.get(file)
                if key is None:
                    return None
                digest.update(f"\0{file}\0{key}".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def recall(self, name: str, inputs: str) -> Any | None:
        """The value kept as `name` when it was derived from these `inputs` (a digest), or None."""
        entry = self.kept.get(self.DERIVED, {}).get(name)
        if entry is None or entry[0] != inputs:
            return None
        self.used.setdefault(self.DERIVED, {})[name] = entry
        return entry[1]

    def remember(self, name: str, inputs: str, value: Any) -> None:
        self.used.setdefault(self.DERIVED, {})[name] = (inputs, value)
        self.changed = True

    def put(self, scope: str, file: str, findings: list, key: str | None = None) -> None:
        key = key if key is not None else self.keys.get(file)
        if key is not None:
            self.used.setdefault(scope, {})[file] = (key, list(findings))
            self.changed = True

    def to_keep(self) -> dict[str, dict[str, tuple[str, Any]]] | None:
        """What the next run should read, or None when it is what this run read."""
        if self.changed or self.used.keys() != self.kept.keys():
            return self.used
        if any(len(files) != len(self.kept[scope]) for scope, files in self.used.items()):
            return self.used  # a file gone
        return None


@dataclass(frozen=True)
class KindPart:
    """One kind's records in file order and its ids (the first record of each), as `Registry.build` indexes them."""

    records: list[Record]
    ids: dict[str, Record]

    @classmethod
    def of(cls, kind: str, records: list[Record]) -> KindPart | None:
        """The part of these records, all of `kind` (None when one is of another kind)."""
        if any(record.kind != kind for record in records):
            return None
        return cls(records, first_ids(records))


def first_ids(records: Iterable[Record]) -> dict[str, Record]:
    """The records by id (a story's or page's: its slug), the first of each id."""
    ids: dict[str, Record] = {}
    for record in records:
        record_id = record.data.get("id", record.slug)
        if record_id is not None:
            ids.setdefault(record_id, record)
    return ids


@dataclass
class Registry:
    """Every record of a registry root, indexed."""

    root: FsPath
    records: dict[str, list[Record]] = field(default_factory=dict)  # by kind, in file order
    by_id: dict[str, dict[str, Record]] = field(default_factory=dict)  # by kind, then id
    # What the files say: each org under its `parent`, each member under its `org`, members who left included
    # (their record keeps its last org). Who is on a roll, and the tree, on a day (today included): rolls.py.
    children: dict[str, list[str]] = field(default_factory=dict)  # org id -> child org ids
    members_of: dict[str, list[str]] = field(default_factory=dict)  # org id -> member ids
    # nested kind (recordtypes.NESTED_KINDS) -> its items by id, the first of each id (points rules: "rule")
    nested: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    shadows: set[tuple[str, str | None]] = field(default_factory=set)  # ids broken files may define
    # Kinds held as stubs (`dangjian validate` only: see summary.py): their records carry
    # only the fields cross-file rules read, and no references; never compute with them.
    stubs: frozenset[str] = frozenset()
    memo: FileMemo | None = None  # what rules found in each file before (`dangjian validate` only)
    # Kinds whose records are loaded when first asked for (`validate(lazy=...)`, `dangjian build`): kind -> loader.
    deferred: dict[str, Callable[[], list[Record]]] = field(default_factory=dict)
    # Of a deferred kind, one file's records loaded alone, the same objects the whole kind's loader gives: kind -> file
    # -> its records (`file_records`).
    deferred_file: dict[str, Callable[[str], list[Record]]] = field(default_factory=dict)
    _by_file: dict[str, dict[str, list[Record]]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    @reads(member=("org",))
    def build(
        cls,
        root: FsPath,
        records: list[Record],
        shadows: Iterable[tuple[str, str | None]] = (),
        stubs: frozenset[str] = frozenset(),
    ) -> Registry:
        """Index `records` (in a stable order) into a registry."""
        registry = cls(root, shadows=set(shadows), stubs=stubs)
        by_kind, by_id = registry.records, registry.by_id
        for record in records:  # a million at city scale: no property calls in this loop
            kind = record.kind
            if kind not in by_kind:
                by_kind[kind], by_id[kind] = [], {}
            by_kind[kind].append(record)
            record_id = record.data.get("id", record.slug)
            if record_id is not None:
                by_id[kind].setdefault(record_id, record)
        registry.by_id = {kind: ids for kind, ids in by_id.items() if ids}  # kinds without ids have none
        registry._derive()
        return registry

    @classmethod
    def from_parts(
        cls,
        root: FsPath,
        parts: Mapping[str, KindPart],
        shadows: Iterable[tuple[str, str | None]] = (),
        stubs: frozenset[str] = frozenset(),
    ) -> Registry:
        """The registry `build` makes of the parts' records, the kinds in the parts' order (each kind's in file order,
        as `build` finds them); the parts are copied, never shared."""
        registry = cls(root, shadows=set(shadows), stubs=stubs)
        registry.records = {kind: list(part.records) for kind, part in parts.items()}
        registry.by_id = {kind: dict(part.ids) for kind, part in parts.items() if part.ids}
        registry._derive()
        return registry

    def _derive(self) -> None:
        """The org tree, the members by org and the nested kinds, from the records indexed (what `build` declares it
        reads of members)."""
        for org_id, org in self.orgs.items():
            if org.get("parent"):
                self.children.setdefault(org["parent"], []).append(org_id)
        for member_id, member in self.members.items():
            if member.get("org"):
                self.members_of.setdefault(member["org"], []).append(member_id)
        for nested in NESTED_KINDS.values():
            items = self.nested.setdefault(nested.kind, {})
            for holder in self.all(nested.within)[:1]:  # a kind in one file: its one record
                for item in holder.get(nested.field, []):
                    if "id" in item:
                        items.setdefault(item["id"], item)

    def maybe_defined(self, kind: str, record_id: str) -> bool:
        """True when a file that failed to load may define this id: references to it are not reported."""
        return (kind, None) in self.shadows or (kind, record_id) in self.shadows

    def all(self, kind: str) -> list[Record]:
        """Every record of a type, duplicates included, in file order."""
        if kind in self.deferred:
            self._load(kind)
        return self.records.get(kind, [])

    def ids(self, kind: str) -> dict[str, Any]:
        """The records of a type by id, or the items of a nested kind (`recordtypes.NESTED_KINDS`: points rules)."""
        if kind in NESTED_KINDS:
            return self.nested.get(kind, {})
        if kind in self.deferred:
            self._load(kind)
        return self.by_id.get(kind, {})

    def file_records(self, kind: str, file: str) -> list[Record]:
        """The records of one file of `kind`, in order: that file alone loaded while the kind is deferred (a rebuild
        reads the ledger files naming a few members, not a city's four thousand)."""
        if kind in self.deferred and kind in self.deferred_file:
            return self.deferred_file[kind](file)
        if kind not in self._by_file:
            grouped: dict[str, list[Record]] = {}
            for record in self.all(kind):
                grouped.setdefault(record.file, []).append(record)
            self._by_file[kind] = grouped
        return self._by_file[kind].get(file, [])

    def _load(self, kind: str) -> None:
        """Load a deferred kind's records, indexed as `build` indexes every kind (a kind with ids by id)."""
        records = self.deferred.pop(kind)()
        self.records[kind] = records
        ids = first_ids(records)
        if ids:
            self.by_id[kind] = ids

    @property
    def settings(self) -> Record | None:
        """The site settings (`registry/site.yaml`), if the file loaded."""
        return next(iter(self.all("site")), None)

    @property
    def points_rules(self) -> dict[str, dict[str, Any]]:
        """The points rules of the rulebook by id."""
        return self.nested.get("rule", {})

    @property
    def rulebook(self) -> Record | None:
        return next(iter(self.all("rulebook")), None)

    @property
    def orgs(self) -> dict[str, Record]:
        return self.ids("org")

    @property
    def members(self) -> dict[str, Record]:
        return self.ids("member")

    @property
    def brands(self) -> dict[str, Record]:
        return self.ids("brand")

    @property
    def schemes(self) -> dict[str, Record]:
        return self.ids("scheme")

    @property
    def stars(self) -> dict[int, Any]:
        """Star thresholds: `site.stars`, or the format's default."""
        site = self.settings
        return site.get("stars", DEFAULT_STARS) if site is not None else DEFAULT_STARS

    def descendants(self, org_id: str) -> Iterator[str]:
        """Every org below `org_id` (not itself), each once, even if the tree has a cycle."""
        seen = {org_id}
        stack = list(self.children.get(org_id, []))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            yield current
            stack.extend(self.children.get(current, []))


def is_public(member: Record) -> bool:
    """The privacy rule: `public: true`, or, when absent, holding the post 书记 or 副书记."""
    data = member.data
    if "public" in data:
        return data["public"] is True
    return any(post in PUBLIC_POSTS for post in data.get("posts", ()))  # a set per call cost a city 0.1 s a pass


PUBLIC_POSTS = frozenset({"书记", "副书记"})  # who holds one is public unless `public: false`


def is_scored(member: Record) -> bool:
    """Only 预备党员 and 正式党员 have yearly points scores."""
    return member.get("status") in SCORED_STATUSES
