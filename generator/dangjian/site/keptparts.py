"""Each org's and member's own parts of the counting (`parts.py`), kept between builds of one registry for the orgs
and members an edit did not touch.

What an org adds to the figures (its own members' counts, scores and stars, by key) reads the members on its own roll
on some day, their records and their points events, and besides them only the orgs' tree and dates and the rulebook;
what a member's page shows of their own scores reads their record, events and notes. The entry kept here holds, with
the parts, what they were made from: a digest of this code, the orgs' counting fields and the rulebook (`base`:
another one keeps nothing), and, for every roster and every file of the kinds naming members (the duty ledger,
activities, notes), its content key and what it names (`_named`, as text). A build compares its files with those: a
file changed names the members it touched (a roster's, those whose counted fields changed, appeared or went; the
others', every member they name, before and now), and those members touch every org they are on the roll of on any
day, before and now. Those parts are dropped and made again; every other one is the last build's, made from the same
records. The figures are added up the tree again from the parts at every build (`stats.StatsBook`).

Sound when the parts read what is said above and nothing else: `tests/test_kept_parts.py` edits members, ledger
entries, attendees and notes at random (Hypothesis) and asks what is made with the kept parts to be what is made from
nothing; `tests/test_kept.py` asks the counting to read nothing but what `data.COUNTED` declares.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import re
from collections.abc import Hashable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cache import Sealed, cache_dir
from ..model import Registry
from ..parts import Parts
from ..scores import Naming
from ..rolls import READS
from ..schema import ID_PATTERN
from . import kept
from .incremental import code_version

if TYPE_CHECKING:
    from .data import SiteData

PART = "aggregates"
FORMAT = b"dangjian-parts 1"
MAX_BYTES = 1 << 30
NAMING = ("ledger", "activity", "note")  # the kinds whose records name members (an entry's, attendees, a note's)
NO_ROLL = ""  # in `ever_on`, the members whose records put them on no org's roll (`stats.HOME` counts them)
EVENTS = ("ledger", "activity")  # of those, the points events' (`files_naming`)


def open_parts(reg: Registry, *, reuse: bool = True) -> Parts:
    """The parts kept for this registry (`reuse`) or none, kept again by `keep` (a plain memo when the registry's
    files are not known: a registry loaded without the validation state, or no cache)."""
    folder = cache_dir()
    base = _base(reg) if folder is not None and reg.memo is not None and not reg.stubs else None
    if base is None or folder is None:
        return Parts()
    found = KeptParts(reg, base, folder)
    if found.files is None:
        return Parts()
    found.start(reuse)
    return found


def naming(parts: Parts) -> Naming | None:
    """Which files name a member (`scores.ScoreBook`'s `naming`), when the last build's parts were kept: a build that
    makes again the parts of a few orgs gathers their members' events from those files alone. None: the full index
    (every org's parts are made: a cold build, another rulebook)."""
    if not isinstance(parts, KeptParts) or parts.touched is None:
        return None
    return parts.files_naming


def ever_on(data: SiteData) -> dict[str, list[str]]:
    """org id -> the members whose records put them on its roll on some day (`_orgs`; `NO_ROLL`: on none), once per
    site: the registry's index by record org, and the orgs of the members with a history or no org. An org's own part
    reads these members alone."""
    return data.memo("keptparts: ever on", lambda: _ever_on(data.reg))


def _ever_on(reg: Registry) -> dict[str, list[str]]:
    found = {org_id: list(members) for org_id, members in reg.members_of.items()}
    for member_id, record in reg.members.items():
        data = record.data
        if "history" in data or not data.get("org"):
            for org_id in _orgs(data):
                if org_id != data.get("org"):
                    found.setdefault(org_id, []).append(member_id)
    return found


def keep(parts: Parts) -> None:
    """Keep what this build made for the next one (nothing for a plain memo)."""
    if isinstance(parts, KeptParts):
        parts.save()


def _base(reg: Registry) -> str | None:
    """What every part reads beside the members: this code, the orgs' counting fields (the tree and its dates) and the
    rulebook (its points rules, base, cap and stars), in this registry."""
    memo = reg.memo
    assert memo is not None
    orgs = kept._fields_digest(reg, "org", kept.COUNTING_ORG)  # noqa: SLF001 - kept's own digest of those fields
    rulebook = memo.digest("rulebook")
    if orgs is None or rulebook is None:
        return None
    where = str(Path(reg.root).resolve())
    return hashlib.blake2b(f"{code_version()}\0{where}\0{orgs}\0{rulebook}".encode(), digest_size=16).hexdigest()


class KeptParts(Parts):
    """The parts of the orgs no edit touched since the last build of this registry, and those made since."""

    def __init__(self, reg: Registry, base: str, folder: Path) -> None:
        super().__init__()
        self.reg, self.base, self.folder = reg, base, folder
        self.sealed = Sealed(PART, FORMAT, MAX_BYTES)
        where = hashlib.blake2b(str(Path(reg.root).resolve()).encode("utf-8", "surrogateescape"), digest_size=16)
        self.name = f"parts-{where.hexdigest()}.kept"
        self.last: dict[str, tuple[str, str]] = {}
        last: tuple[dict[str, dict[Hashable, Any]], dict[str, dict[Hashable, Any]]] = ({}, {})
        found = _read(self.sealed, folder, self.name, base)
        if found is not None:
            self.last, last = found[0], (found[1], found[2])
        self.files = self._refs()
        self._last_parts = last
        self.touched: frozenset[str] | None = None  # the orgs an edit touched (None: every org, nothing kept)
        self.touched_members: frozenset[str] | None = None  # the members it touched
        self._naming: dict[str, tuple[list[str], list[str]]] | None = None  # member -> files naming them
        self.changed = True

    def start(self, reuse: bool) -> None:
        """Take the last build's parts of the orgs and members not touched since (none unless `reuse`)."""
        assert self.files is not None
        last_orgs, last_members = self._last_parts
        if not reuse or not (last_orgs or last_members):
            self.orgs, self.members, self.touched, self.touched_members = {}, {}, None, None
        else:
            members, orgs = self._touched()
            self.touched, self.touched_members = frozenset(orgs), frozenset(members)
            self.orgs = {org: parts for org, parts in last_orgs.items() if org not in orgs}
            self.members = {member: parts for member, parts in last_members.items() if member not in members}
        kept = len(self.orgs) == len(last_orgs) and len(self.members) == len(last_members)
        self.changed = self.files != self.last or not kept or not reuse
        self._last_parts = ({}, {})

    def made(self, owner: str) -> None:
        self.changed = True

    def files_naming(self, member_id: str) -> tuple[list[str], list[str]]:
        """The ledger files and the activity files naming the member, in the registry's order."""
        if self._naming is None:
            memo = self.reg.memo
            assert memo is not None and self.files is not None
            found: dict[str, tuple[list[str], list[str]]] = {}
            for file, (_, refs) in self.files.items():  # by path: the registry's order of files
                kind = memo.kinds.get(file)
                if kind in EVENTS:
                    for named in refs.split():
                        found.setdefault(named, ([], []))[kind == "activity"].append(file)
            self._naming = found
        return self._naming.get(member_id, ([], []))

    def save(self) -> None:
        if self.changed and self.files is not None:
            body = _dumps((self.files, self.orgs, self.members))
            if body is not None:
                self.sealed.write(self.folder, self.name, (self.base, body))
            self.changed = False

    # --- what each file names, and what an edit touched ---------------------------------------------------------
    def _refs(self) -> dict[str, tuple[str, str]] | None:
        """Every roster, ledger, activity and note file: its content key and what it names (`_named`; the last build's
        when the key is the same). None: a file whose key is unknown, or an id that is no id (nothing is kept)."""
        memo = self.reg.memo
        assert memo is not None
        now: dict[str, tuple[str, str]] = {}
        for file, kind in memo.kinds.items():
            if kind != "member" and kind not in NAMING:
                continue
            key = memo.keys.get(file)
            if key is None:
                return None
            last = self.last.get(file)
            if last is not None and last[0] == key:
                now[file] = last
                continue
            refs = _named(kind, self.reg.file_records(kind, file))  # that file alone (a ledger file loads no other)
            if refs is None:
                return None
            now[file] = (key, refs)
        return dict(sorted(now.items()))

    def _touched(self) -> tuple[set[str], set[str]]:
        """The members a changed file names (see the module doc), and every org they were, or are, on the roll of."""
        assert self.files is not None
        last, now = self.last, self.files
        members: set[str] = set()
        before: dict[str, list[str]] = {}  # a member's orgs as a changed roster said
        for file in last.keys() | now.keys():
            old = last.get(file)
            new = now.get(file)
            if old is not None and new is not None and old[0] == new[0]:
                continue
            old_refs = old[1] if old is not None else ""
            new_refs = new[1] if new is not None else ""
            if _is_roster(old_refs) or _is_roster(new_refs):
                old_roster, new_roster = _roster(old_refs), _roster(new_refs)
                for member_id in old_roster.keys() | new_roster.keys():
                    if old_roster.get(member_id) != new_roster.get(member_id):
                        members.add(member_id)
                for member_id, (_, orgs) in old_roster.items():
                    before.setdefault(member_id, []).extend(orgs)
            else:
                members.update(old_refs.split())
                members.update(new_refs.split())
        touched: set[str] = set()
        records = self.reg.members
        for member_id in members:
            touched.update(before.get(member_id, ()))
            record = records.get(member_id)
            if record is not None:
                touched.update(_orgs(record.data))
        return members, touched


def _named(kind: str, records: Iterable[Any]) -> str | None:
    """What one file's records name, as text (kept small: a city has 200,000 members): a roster's, a line per member
    (its id, a digest of the fields the parts read, `rolls.READS`, and every org it puts them on the roll of, on any
    day: `_orgs`); a ledger, activity or note file's, the ids of the members it names. None: an id that is no id."""
    if kind == "member":
        lines = []
        for record in records:
            data = record.data
            member_id = data.get("id", record.slug)
            if not isinstance(member_id, str) or not _ID.fullmatch(member_id):
                return None
            shown = repr([(n, data[n]) for n in READS if n in data]).encode("utf-8", "surrogateescape")
            orgs = _orgs(data)
            if not all(_ID.fullmatch(org) or org == NO_ROLL for org in orgs):
                return None
            lines.append(f"{ROSTER}{member_id}\t{hashlib.blake2b(shown, digest_size=8).hexdigest()}\t{','.join(orgs)}")
        return "\n".join(lines) or ROSTER
    found: set[str] = set()
    for record in records:
        data = record.data
        named = data.get("attendees") if kind == "activity" else [data.get("member")]
        if isinstance(named, list):
            found.update(m for m in named if isinstance(m, str))
    if not all(_ID.fullmatch(m) for m in found):
        return None
    return " ".join(sorted(found))


ROSTER = "\t"  # each line of a roster's refs starts with a tab (an id never does): `_is_roster`
_ID = re.compile(ID_PATTERN.removeprefix("^").removesuffix("$"))


def _is_roster(refs: str) -> bool:
    return refs.startswith(ROSTER)


def _roster(refs: str) -> dict[str, tuple[str, list[str]]]:
    """member -> (digest, orgs) of a roster's refs (`_named`)."""
    found: dict[str, tuple[str, list[str]]] = {}
    if not _is_roster(refs):
        return found
    for line in refs.split("\n"):
        if line == ROSTER:
            continue
        member_id, digest, orgs = line[1:].split("\t")
        found[member_id] = (digest, orgs.split(","))
    return found


def _orgs(data: Any) -> tuple[str, ...]:
    """Every org a member's record puts them on the roll of, on any day: its `org` and its history's (or `NO_ROLL`)."""
    found = {data.get("org")}
    history = data.get("history")
    if isinstance(history, list):
        found.update(event.get("org") for event in history if isinstance(event, dict))
    return tuple(sorted(org for org in found if isinstance(org, str))) or (NO_ROLL,)


# --- the entry: pickled with fractions as two integers ------------------------------------------------------------


def _fraction(numerator: int, denominator: int) -> Fraction:
    return Fraction(numerator, denominator)


class _Pickler(pickle.Pickler):
    def reducer_override(self, value: Any) -> Any:
        if type(value) is Fraction:
            return _fraction, (value.numerator, value.denominator)
        return NotImplemented


def _dumps(value: Any) -> bytes | None:
    out = io.BytesIO()
    try:
        _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return None
    return out.getvalue()


def _read(sealed: Sealed, folder: Path, name: str, base: str) -> tuple[dict, dict, dict] | None:
    """The kept files' refs, orgs' parts and members' parts, when kept for `base` (unpickled only then)."""
    found = sealed.read(folder, name)
    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == base and isinstance(found[1], bytes)):
        return None
    try:
        value = pickle.loads(found[1])  # noqa: S301 - the user's own sealed cache (cache.Sealed)
    except Exception:  # noqa: BLE001 - an entry that does not load is only a miss
        return None
    if isinstance(value, tuple) and len(value) == 3 and all(isinstance(part, dict) for part in value):
        return value
    return None
