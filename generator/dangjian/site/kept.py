"""Aggregates kept between builds, keyed by what they read (issue 23's declared inputs).

An aggregate (`Aggregate`) declares the kinds of records it reads (of a small kind, only some fields), and whether
it reads the build's day. Its key is the digest of dangjian's code (`incremental.code_version`), of every file of
those kinds (its path and content key: `FileMemo.digest`, which validation already has) or, for a kind declared
field by field, of those fields of each of its records, and of the day when declared. A build computes it, or takes
what the last build of the same registry kept under that key (`value`): a story edited leaves the figures, the
suppression and the rankings as they were, and they are not computed again.

Sound when the declaration is: `tests/test_kept.py` computes each aggregate from a registry that refuses any kind
and field it did not declare, from one without those records and fields, and after random edits of them
(Hypothesis), and asks for the same value (and the incremental-equals-cold property builds with and without what is
kept).

Records in a kept value are kept as references, (kind, position in `Registry.all(kind)`), and given back as the
registry's own records: the key fixes every file of a declared kind, so the same positions hold the same records.
A record of a kind not declared in a value cannot be referred to: the value is not kept (a defect of the
declaration, which the tests find first). Kept in the cache (`cache.Sealed`, one entry per aggregate and registry
root, bounded like every other part) and read only when it is exactly what dangjian wrote.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..assets import walk
from ..cache import Sealed, cache_dir
from ..load import Record
from ..model import Registry
from .incremental import bytes_digest, code_version

T = TypeVar("T")
H = TypeVar("H")
S = TypeVar("S")
R = TypeVar("R")

PART = "aggregates"
FORMAT = b"dangjian-aggregate 1"
MAX_BYTES = 1 << 30


# What counting members reads (`data.COUNTED`: the figures, suppression, the rankings), which every aggregate reading
# the figures reads too; of an org, only its kind, place in the tree, dates and pairing (not its name: the rankings are
# named when published, nor its summary, secretary, brand or labels). Checked, with every declaration, by
# tests/test_kept.py.
COUNTING = frozenset({"org", "member", "ledger", "activity", "project", "result", "scheme", "rulebook", "site"})
COUNTING_ORG = ("kind", "parent", "founded", "dissolved", "history", "joined", "weak", "benchmark")
# Of an org, what the pages of other records show (its name, linked; its kind and place in the tree, which group
# venues and lists): `data.OrgView`. Not its summary, address, contacts or labels, which its own page shows.
ORG_SHOWN = ("name", "kind", "parent")
# Of a member, every field the site reads: what the rolls read (`rolls.READS`: where and what they are on a day),
# whether they are public and their name. Not their birth year or gender, which the editors' lists ask for and the
# site never reads (one corrected keeps every aggregate and page). Members are many: the digest of these fields is
# kept file by file (`_fields_digest`).
MEMBER_FIELDS = ("org", "status", "posts", "grade", "flow", "joined", "history", "public", "name")
MEMBERS_READ = {"member": MEMBER_FIELDS}
COUNTING_FIELDS = {"org": COUNTING_ORG, "member": MEMBER_FIELDS}
# Of a member, what the pages and tables of other records show of one they name (a project's leader, an org's
# secretary, an honour's holder): whether they are public and their name, org, posts and grade (`data.person`). Not
# what only counting reads (their status, admission day, flow and history): an admission day moved keeps them.
MEMBER_SHOWN = ("org", "posts", "grade", "public", "name")
MEMBERS_NAMED = {"member": MEMBER_SHOWN}
SHOWN_FIELDS = {"org": ORG_SHOWN, "member": MEMBER_SHOWN}  # the pages of other records: what they show of orgs
COUNTED_SHOWN = {"org": tuple(dict.fromkeys(COUNTING_ORG + ORG_SHOWN)), "member": MEMBER_FIELDS}  # …and count
# Of an org shown by the pages of other records (`data.OrgView`), what their key reads when the pages read its name
# only as a lookup (`data.NAMES`, noted while a page renders and checked at the next build, not digested with the
# context): its kind and place in the tree. Such pages declare the name `viewed`, not in their key: an org renamed
# keeps their kind, and the pages showing it are rendered again (not the 2,500 pages of a county's kinds).
ORG_VIEWED = ("kind", "parent")
NAMES_VIEWED = {"org": ("name",)}
VIEWED_FIELDS = {"org": ORG_VIEWED, "member": MEMBER_SHOWN}  # SHOWN_FIELDS, the org's name as a lookup
COUNTED_VIEWED = {"org": tuple(dict.fromkeys(COUNTING_ORG + ORG_VIEWED)), "member": MEMBER_FIELDS}  # COUNTED_SHOWN


@dataclass(frozen=True)
class Aggregate:
    """A value computed from the registry that says what it reads: the record kinds (of some, only these fields: an
    org's summary feeds its page, not the figures), and the build's day or not."""

    name: str  # the cache entry's first part: [a-z]+
    kinds: frozenset[str]
    today: bool = False
    # kind (one of `kinds`) -> the only fields read of its records (their id and file too): for small kinds, whose
    # records are digested field by field at each build (the orgs: thousands, where members are a hundred thousand)
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # whether it reads the photos under content/assets (a gallery's plan: sizes, digests), which are no records:
    # each file's path and identity (device, inode, size, modification time, as git's index knows a file)
    assets: bool = False
    # of pages (`SiteKind.reads`): kind -> fields read only through a view whose rendering notes each read as a
    # lookup (an org's name, of a `data.OrgView`), neither in the key nor in the contexts' digests
    viewed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # of pages (`SiteKind.reads`): kinds read by some pages only as those pages' own part gives them (an org page's own
    # stories, `SiteKind.parts`), which a page's part digests and the key does not (not in `kinds`)
    by_page: frozenset[str] = frozenset()


def key(reg: Registry, aggregate: Aggregate, today: datetime.date, given: str = "") -> str | None:
    """The aggregate's key for this registry (None: it cannot be kept, the files' keys being unknown); `given`: a
    parameter of the value beside the registry (the part limit of export files)."""
    memo = reg.memo
    if memo is None or reg.stubs:
        return None
    digest = hashlib.blake2b(f"{aggregate.name}\0{code_version()}".encode(), digest_size=16)
    for kind in sorted(aggregate.kinds):
        names = aggregate.fields.get(kind)
        of_kind = memo.digest(kind) if names is None else _fields_digest(reg, kind, names)
        if of_kind is None:
            return None
        digest.update(f"\0{kind}\0{of_kind}".encode())
    if aggregate.today:
        digest.update(f"\0today {today.isoformat()}".encode())
    if aggregate.assets:
        digest.update(f"\0assets {assets_digest(reg.root)}".encode())
    if given:
        digest.update(f"\0given {given}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def assets_digest(root: Path) -> str:
    """The digest of every entry under ROOT/content/assets: its path, kind and, for a file, its identity."""
    digest = hashlib.blake2b(digest_size=16)
    for entry in walk(root):
        try:
            info = os.lstat(os.path.join(root, entry.rel))
            seen = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        except OSError:
            seen = None
        digest.update(repr((entry.rel, entry.kind, seen)).encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def _fields_digest(reg: Registry, kind: str, names: tuple[str, ...]) -> str | None:
    """A digest of these fields of every record of `kind`, with its id, file by file in the files' order: equal values
    give equal digests (their `repr`: the loader's values are builtins and dates), and a field present or not is told
    apart. Once per run; each file's own digest is kept under its content key (`_FileDigests`), so only the files that
    changed are read again (a city's 200,000 members, where one roster changed)."""
    memo = reg.memo
    assert memo is not None, "a key without the files' keys"
    return memo.once(f"fields\0{kind}\0{names!r}", lambda: _FileDigests(reg, kind, names).digest())


class _FileDigests:
    """Each file of a kind: its content key and the digest of these fields of its records (`_fields_digest`), as the
    last run kept them for this registry, made again for the files whose key changed."""

    def __init__(self, reg: Registry, kind: str, names: tuple[str, ...]) -> None:
        self.reg, self.kind, self.names = reg, kind, names

    def digest(self) -> str | None:
        memo, reg, kind, names = self.reg.memo, self.reg, self.kind, self.names
        assert memo is not None
        files = [file for file, its_kind in memo.kinds.items() if its_kind == kind]
        keys = {file: memo.keys.get(file) for file in files}
        if any(key is None for key in keys.values()):
            return None
        folder = cache_dir()
        sealed = Sealed(PART, FORMAT, MAX_BYTES)
        where = hashlib.blake2b(  # this code's digests, of these fields of this kind in this registry
            f"{code_version()}\0{Path(reg.root).resolve()}\0{kind}\0{names!r}".encode("utf-8", "surrogateescape")
        )
        name = f"fields-{where.hexdigest()[:32]}.kept"
        found = sealed.read(folder, name)
        last: dict[str, tuple[str, str]] = found if isinstance(found, dict) else {}
        wanted = {file for file in files if (entry := last.get(file)) is None or entry[0] != keys[file]}
        made: dict[str, hashlib.blake2b] = {}
        if wanted:
            for record in reg.all(kind):
                if record.file not in keys:
                    return None  # a record from no file of its kind that this run knows: never kept
                if record.file in wanted:
                    data = record.data
                    shown = (data.get("id", record.slug), [(n, data[n]) for n in names if n in data])
                    one = made.get(record.file)
                    if one is None:
                        one = made[record.file] = hashlib.blake2b(repr(names).encode(), digest_size=16)
                    one.update(repr(shown).encode("utf-8", "surrogateescape") + b"\0")
        empty = hashlib.blake2b(repr(names).encode(), digest_size=16).hexdigest()  # a file without records
        now = {
            file: (keys[file], made[file].hexdigest() if file in made else empty) if file in wanted else last[file]
            for file in files
        }
        if now != last:
            sealed.write(folder, name, now)
        digest = hashlib.blake2b(repr(names).encode(), digest_size=16)
        for file in files:
            digest.update(f"\0{file}\0{now[file][1]}".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()


def value(
    reg: Registry,
    aggregate: Aggregate,
    today: datetime.date,
    compute: Callable[[], T],
    *,
    reuse: bool = True,
    state: Callable[[T], Any] | None = None,
    restore: Callable[[Any], T] | None = None,
    given: str = "",
) -> T:
    """`compute()`, or the value the last build of this registry kept for the same key (when `reuse`; `given` is part
    of the key); what is computed is kept for the next build. An object that holds more than its value (the build's
    SiteData, the rolls) is kept as `state(made)` and made again by `restore(state)` (both, or neither)."""
    folder = cache_dir()
    found_key = key(reg, aggregate, today, given) if folder is not None else None
    if found_key is None:
        return compute()
    sealed, name = Sealed(PART, FORMAT, MAX_BYTES), _entry(aggregate, reg.root)
    found = (
        _loaded(_kept_body(sealed, folder, aggregate, reg.root, found_key), reg, aggregate, restore) if reuse else None
    )
    if found is not None:
        return found[0]
    computed = compute()
    body = _dumps(state(computed) if state is not None else computed, reg, aggregate)
    if body is not None:
        sealed.write(folder, name, (found_key, body))
    return computed


def value_or_cutoff(
    reg: Registry,
    first: Aggregate,
    then: Aggregate,
    today: datetime.date,
    given: Callable[[], str],
    compute: Callable[[], T],
    *,
    reuse: bool = True,
    state: Callable[[T], Any] | None = None,
    restore: Callable[[Any], T] | None = None,
) -> T:
    """`value` under `first`'s key (every file it reads); when that misses, under `then`'s, which reads fewer kinds
    whole and what it reads of the others digested (`given()`, made only then: "early cutoff"). A value found or
    computed is kept under both keys, the same bytes: a points entry that dates no new year keeps the reports under
    `then`'s key, and the next build, a story edited, finds them under `first`'s without making `given()`."""
    assert then.kinds <= first.kinds and then.today == first.today, "then reads less than first"
    folder = cache_dir()
    first_key = key(reg, first, today) if folder is not None else None
    if first_key is None:
        return compute()
    sealed = Sealed(PART, FORMAT, MAX_BYTES)
    body = _kept_body(sealed, folder, first, reg.root, first_key) if reuse else None
    found = _loaded(body, reg, first, restore)
    if found is not None:
        return found[0]
    then_key = key(reg, then, today, given())
    body = _kept_body(sealed, folder, then, reg.root, then_key) if reuse and then_key is not None else None
    found = _loaded(body, reg, then, restore)
    if found is not None and body is not None:
        sealed.write(folder, _entry(first, reg.root), (first_key, body))
        return found[0]
    computed = compute()
    body = _dumps(state(computed) if state is not None else computed, reg, then)  # its records of `then`'s kinds
    if body is not None:
        sealed.write(folder, _entry(first, reg.root), (first_key, body))
        if then_key is not None:
            sealed.write(folder, _entry(then, reg.root), (then_key, body))
    return computed


def value_apart(
    reg: Registry,
    first: Aggregate,
    then: Aggregate,
    today: datetime.date,
    head: Callable[[], H],
    seen: Callable[[H], S],
    rest: Callable[[S], R],
    whole: Callable[[H, R], T],
    *,
    reuse: bool = True,
) -> T:
    """`whole(head(), rest(seen(head())))`, kept under `first`'s key (every file it reads). When that misses, the
    value is made in two: its head computed (what reads the kinds `then` leaves out), and its rest, which reads of
    the head only `seen(head)` (plain values whose `repr` is canonical), taken from what was kept under `then`'s key
    given the digest of that, or computed and kept there ("early cutoff": a result edited that ranks the same orgs
    in the same periods keeps the figures and their suppression, and only the rankings are computed again).

    The rest is pickled once: `first`'s entry holds its bytes beside the head's (`_pair`), the same bytes as
    `then`'s entry."""
    assert then.kinds <= first.kinds and then.today == first.today, "then reads less than first"
    folder = cache_dir()
    first_key = key(reg, first, today) if folder is not None else None
    if first_key is None:
        made_head = head()
        return whole(made_head, rest(seen(made_head)))
    sealed = Sealed(PART, FORMAT, MAX_BYTES)
    found = _loaded_pair(_kept_body(sealed, folder, first, reg.root, first_key), reg, first, then) if reuse else None
    if found is not None:
        return whole(*found)
    made_head = head()
    shown = seen(made_head)
    then_key = key(reg, then, today, digest_of(shown))
    rest_body = _kept_body(sealed, folder, then, reg.root, then_key) if reuse and then_key is not None else None
    kept_rest: tuple[R] | None = _loaded(rest_body, reg, then, None)
    if kept_rest is None:
        made_rest = rest(shown)
        rest_body = _dumps(made_rest, reg, then)
        if rest_body is not None and then_key is not None:
            sealed.write(folder, _entry(then, reg.root), (then_key, rest_body))
    else:
        made_rest = kept_rest[0]
    head_body = _dumps(made_head, reg, first)
    if rest_body is not None and head_body is not None:
        sealed.write(folder, _entry(first, reg.root), (first_key, _pair(rest_body, head_body)))
    return whole(made_head, made_rest)


def _pair(rest: bytes, head: bytes) -> bytes:
    return pickle.dumps((rest, head), protocol=pickle.HIGHEST_PROTOCOL)


def _loaded_pair(body: bytes | None, reg: Registry, first: Aggregate, then: Aggregate) -> tuple[Any, Any] | None:
    """(the head, the rest) kept as a `_pair` in `body` (the head's records of `first`'s kinds, the rest's of
    `then`'s), or None."""
    pair = _unpair(body)
    if pair is None:
        return None
    kept_rest: tuple[Any] | None = _loaded(pair[0], reg, then, None)
    kept_head: tuple[Any] | None = _loaded(pair[1], reg, first, None)
    return None if kept_rest is None or kept_head is None else (kept_head[0], kept_rest[0])


def _unpair(body: bytes | None) -> tuple[bytes, bytes] | None:
    """The rest's and the head's bytes of a `_pair`, or None (none, or not a pair)."""
    if body is None:
        return None
    try:
        pair = pickle.loads(body)  # noqa: S301 - the user's own sealed cache, as `_loads`
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return None
    if isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(part, bytes) for part in pair):
        return pair
    return None


def digest_of(value: object) -> str:
    """The digest of a plain value whose `repr` is canonical (builtins, dates, tuples, sorted lists): a `given`."""
    return bytes_digest(repr(value).encode("utf-8", "surrogateescape"))


def _kept_body(sealed: Sealed, folder: Path | None, aggregate: Aggregate, root: Path, found_key: str) -> bytes | None:
    """The bytes kept for `aggregate` under `found_key`, or None."""
    entry = sealed.read(folder, _entry(aggregate, root))
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == found_key and isinstance(entry[1], bytes):
        return entry[1]
    return None


def _loaded(
    body: bytes | None, reg: Registry, aggregate: Aggregate, restore: Callable[[Any], T] | None
) -> tuple[T] | None:
    """(the value) kept as `body`, or None (none, or kept by a build whose records differ after all)."""
    if body is None:
        return None
    try:
        found = _loads(body, reg, aggregate)
    except (pickle.UnpicklingError, LookupError, TypeError, ValueError, AttributeError, EOFError):
        return None
    return (restore(found) if restore is not None else found,)


def _entry(aggregate: Aggregate, root: Path) -> str:
    where = hashlib.blake2b(str(Path(root).resolve()).encode("utf-8", "surrogateescape"), digest_size=16)
    return f"{aggregate.name}-{where.hexdigest()}.kept"


class _Pickler(pickle.Pickler):
    """Pickles records of the declared kinds as (kind, position); any other record makes the value unkeepable."""

    def __init__(self, file: io.BytesIO, reg: Registry, kinds: frozenset[str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.reg, self.kinds = reg, kinds
        self.positions: dict[str, dict[int, int]] = {}

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is not Record:
            return None
        if obj.kind not in self.kinds:
            raise pickle.PicklingError(f"a {obj.kind} record in a value that does not declare its kind")
        positions = self.positions.get(obj.kind)
        if positions is None:
            positions = self.positions[obj.kind] = {id(r): n for n, r in enumerate(self.reg.all(obj.kind))}
        position = positions.get(id(obj))
        if position is None:
            raise pickle.PicklingError(f"a {obj.kind} record not in the registry")
        return (obj.kind, position)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, reg: Registry, kinds: frozenset[str]) -> None:
        super().__init__(file)
        self.reg, self.kinds = reg, kinds

    def persistent_load(self, pid: Any) -> Record:
        kind, position = pid
        if kind not in self.kinds:
            raise pickle.UnpicklingError(f"a {kind} record in a value that does not declare its kind")
        return self.reg.all(kind)[position]


def _dumps(made: Any, reg: Registry, aggregate: Aggregate) -> bytes | None:
    out = io.BytesIO()
    try:
        _Pickler(out, reg, aggregate.kinds).dump(made)
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return None
    return out.getvalue()


def _loads(body: bytes, reg: Registry, aggregate: Aggregate) -> Any:
    return _Unpickler(io.BytesIO(body), reg, aggregate.kinds).load()  # noqa: S301 - the user's own sealed cache
