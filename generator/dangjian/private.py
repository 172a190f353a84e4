"""What of a registry must never be published, and how to find it in any text or path.

Private members' names and ids are folded by `normalise.fold` and held in one
Aho-Corasick automaton, so a scan of a normalised reading is linear in the text
whatever the number of private members. A private name inside a public member's
name (王东 in 王东方) is no leak where that public name stands, and a private name
that a public member also bears cannot be told apart, so it is not a secret.

Names are also looked for as pinyin (with or without tone marks, separators, tone
numbers) among the words of a path or slug (`yang-chang-gen`, `YangChanggen`).
Pinyin is ambiguous: `shi-jian` is 实践 as well as 石坚. Validation checks every
private name's pinyin in story slugs and asset names, where a false alarm costs a
rename; the gate, over every output path, only names of three syllables or more.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import ahocorasick

from . import namespack, parallel, pinyinpack
from .normalise import HAN_UNIFIED_BMP, _fold_table, fold, is_cjk, readings

if TYPE_CHECKING:
    from .load import Record

MIN_NAME_LENGTH = 2  # a one-character name would match everywhere; such names are still never rendered
MAX_PINYIN_FORMS = 16  # heteronym combinations kept per name
_WORD = re.compile(r"[a-z]+")


def _token_char(text: str, index: int) -> bool:
    """Whether the character at `index` (if any) continues an id: ASCII letters, digits, `-`."""
    return 0 <= index < len(text) and text[index].isascii() and (text[index].isalnum() or text[index] == "-")


def pinyin_forms(name: str) -> set[str]:
    """The name's pinyin without tones or separators, one string per reading of its characters."""
    if not name or not all(is_cjk(c) for c in name):
        return set()
    options = [[o.replace("ü", "v") for o in choice][:4] for choice in _readings(name)]
    forms = {"".join(combo) for combo in itertools.islice(itertools.product(*options), MAX_PINYIN_FORMS)}
    return forms | {f.replace("v", "u") for f in forms} | {f.replace("v", "yu") for f in forms}


def _readings(name: str) -> list[list[str]]:
    """`pypinyin.pinyin(name, style=NORMAL, heteronym=True, errors="ignore")`, twenty times faster for a name no two
    or more of whose consecutive characters make a word of pypinyin's phrase dictionary (nearly every name).

    pypinyin cuts a text into words by its phrase dictionary and reads a word that is not in it character by
    character, each exactly as it reads that character alone; so such a name reads as its characters do, each
    looked up once a process (`_char_readings`). A city's 200,000 names took 6.3 s through `pinyin`, 0.23 s so.
    tests/test_pinyin_forms.py checks both ways agree on random names, phrases among them."""
    from pypinyin.constants import PHRASES_DICT

    if any(name[start:end] in PHRASES_DICT for start in range(len(name)) for end in range(start + 2, len(name) + 1)):
        from pypinyin import Style, pinyin

        return pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
    return [list(choice) for char in name for choice in _char_readings(char)]


@functools.lru_cache(maxsize=None)
def _char_readings(char: str) -> tuple[tuple[str, ...], ...]:
    """`pypinyin.pinyin(char, style=NORMAL, heteronym=True, errors="ignore")` of one character (none or one item)."""
    from pypinyin import Style, pinyin

    return tuple(tuple(choice) for choice in pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore"))


# A name of CJK unified ideographs only (nearly every name): NFKC leaves these characters alone and no step of a
# reading but 繁→简 applies to them (no markup, escape, percent sign, gap or case), so `fold` is one translation,
# six times faster (a county's 20,000 names: 0.07 s -> 0.01 s). tests/test_pinyin_pack.py checks it equals `fold`
# on every such character and on random names.
_UNIFIED_ONLY = re.compile(f"[{HAN_UNIFIED_BMP}]+")
_PLAIN_ID = re.compile("[A-Za-z0-9-]+")  # nearly every id: folding it is lower case (a city's ids: 0.5 s -> 0.03 s)


def fold_name(name: str) -> str:
    """`normalise.fold(name)`, in one translation when the name is of CJK unified ideographs only, lower case when
    it is of ASCII letters, digits and hyphens."""
    if _UNIFIED_ONLY.fullmatch(name):
        return name.translate(_fold_table()[2])
    if _PLAIN_ID.fullmatch(name):
        return name.lower()
    return fold(name)


def path_words(text: str) -> list[str]:
    """The letter words of a path or slug, tone marks and case dropped: `Yáng-chang2gen` → yang, chang, gen."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return _WORD.findall(plain)


@dataclass(frozen=True)
class Secret:
    """Whose a secret is, said without repeating it."""

    kind: str  # "id" or "name"
    member: str  # the member's id
    file: str  # the member's file

    def describe(self) -> str:
        """A Chinese description for messages (the secret itself is never repeated)."""
        return f"不公开党员的{'编号' if self.kind == 'id' else '姓名'}（{self.file}）"


class Secrets(Mapping[str, Secret]):
    """Each secret (a folded name or id) → whose it is, kept as columns: a city's 392,000 secrets load from the
    cache (`namespack`) in milliseconds, where as many `Secret` objects took a second.

    Read from the cache, the columns are loaded when first asked for (`load`): a scan that finds nothing asks only
    how many there are (a city's 13.5 MB and 0.12 s of unpickling, at every validation and build that reads the
    tables)."""

    __slots__ = ("_columns", "_count", "_load")

    def __init__(
        self,
        columns: tuple[dict[str, int], list[str], list[str], list[str]] | None = None,
        *,
        count: int = 0,
        load: Callable[[], tuple[dict[str, int], list[str], list[str], list[str]]] | None = None,
    ) -> None:
        self._columns = None if load is not None else columns or ({}, [], [], [])
        self._count, self._load = count, load

    def columns(self) -> tuple[dict[str, int], list[str], list[str], list[str]]:
        if self._columns is None:
            assert self._load is not None
            columns = self._load()
            if len(columns[0]) != self._count:  # `load` checks it: never a table of other secrets
                raise ValueError("secrets of other tables")
            self._columns, self._load = columns, None
        return self._columns

    def add(self, secret: str, kind: str, member: str, file: str) -> None:
        """The first member a secret is found for keeps it."""
        rows, kinds, members, files = self.columns()
        if secret and secret not in rows:
            rows[secret] = len(kinds)
            kinds.append(kind)
            members.append(member)
            files.append(file)

    def __getitem__(self, secret: str) -> Secret:
        rows, kinds, members, files = self.columns()
        row = rows[secret]
        return Secret(kinds[row], members[row], files[row])

    def __contains__(self, secret: object) -> bool:
        return secret in self.columns()[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns()[0])

    def __len__(self) -> int:
        return self._count if self._columns is None else len(self._columns[0])


_Tables = tuple[set[str], Secrets, ahocorasick.Automaton, dict[str, list[str]]]  # public, secrets, automaton, covering

# The last tables made or read (see PrivateNames.__init__): their key, the tables, and the pinyin tables made from
# them by the syllables they start at ({min_syllables: (private form → name, public forms)}).
_BUILT: tuple[str, _Tables, dict[int, tuple[dict[str, str], set[str]]]] | None = None


class PrivateNames:
    """Finds a registry's private names and ids in normalised text, and their pinyin in paths."""

    def __init__(
        self,
        private: Iterable[tuple[str, str, str]] = (),
        public: Iterable[str] = (),
        min_syllables: int = 2,
        key: str | None = None,
        lists: Callable[[], Split] | None = None,
    ) -> None:
        """`private`: (id, name, file) of each private member; `public`: the names the site may show; `key`, when the
        caller has it, `namespack.key(private, public)`. Or, with `key`, `lists` giving both when they are needed:
        only when the tables kept under `key` are neither in this process nor in the cache folder (splitting a
        city's 200,000 members took 0.2 s of each validation and build)."""
        global _BUILT
        secret, shown = (list(private), list(public)) if lists is None or key is not None else lists()
        # Validation's rules and the build's gate each make one over the same members, and so does every run
        # over unchanged members: the folded names, the automaton and the covering names are made once and kept,
        # in this process and in the cache folder (`namespack`), under a digest of all that decides them. They
        # are only read after this.
        self._key = key or namespack.key(secret, shown)
        if _BUILT is None or _BUILT[0] != self._key:
            folder = _cache_folder()
            split = lists if lists is not None and key is not None else lambda: (secret, shown)
            tables = _read_tables(folder, self._key, lambda: _make_tables(*split()))
            if tables is None:
                tables = _make_tables(*split())
                _write_tables(folder, self._key, tables)
            _BUILT = (self._key, tables, {})
        self.public, self.secrets, self.automaton, self.covering = _BUILT[1]
        self._pinyins = _BUILT[2]
        self._min_syllables = min_syllables
        self._pinyin: dict[str, str] | None = None
        self._public_pinyin: set[str] = set()

    @property
    def key(self) -> str:
        """The digest of all that decides these tables (`namespack.key`: the members' lists and the code)."""
        return self._key

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, secret) of every private name or id in a normalised reading."""
        if not self.secrets:
            return []
        found = []
        for last, secret in self.automaton.iter(text):
            start, end = last - len(secret) + 1, last + 1
            if secret.isascii():
                if _token_char(text, start - 1) or _token_char(text, end):
                    continue  # `m-li` inside `m-lin` is another id
            elif self._inside_public_name(text, start, end):
                continue
            found.append((start, end, secret))
        return found

    def _inside_public_name(self, text: str, start: int, end: int) -> bool:
        for name in self.covering.get(text[start:end], ()):
            first = text.rfind(name, max(0, end - len(name)), start + len(name))
            if first != -1 and first <= start and first + len(name) >= end:
                return True
        return False

    def first_in(self, text: str) -> str | None:
        """The secret first found in any reading of raw `text`, or None."""
        for reading in readings(text):
            hits = self.find(reading)
            if hits:
                return hits[0][2]
        return None

    # --- pinyin ---------------------------------------------------------------------------------

    def pinyin_table(self) -> dict[str, str]:
        """Each private name's pinyin forms (that no public name shares) → the name; built on first use, kept with
        the tables it is made from (in this process and in the cache folder)."""
        if self._pinyin is None:
            suffix = f"pinyin{self._min_syllables}"
            made = self._pinyins.get(self._min_syllables)
            if made is None:
                folder = _cache_folder()
                made = _pinyin_tables(namespack.read(folder, self._key, suffix))
                if made is None:
                    made = self._make_pinyin()
                    namespack.write(folder, self._key, suffix, made)
                self._pinyins[self._min_syllables] = made
            self._pinyin, self._public_pinyin = made
        return self._pinyin

    @functools.cached_property
    def _pinyin_names(self) -> list[str]:
        """The private names of `min_syllables` or more (a pass over every secret: only when a table is made)."""
        return [n for n in self.secrets if not n.isascii() and len(n) >= self._min_syllables]

    def _make_pinyin(self) -> tuple[dict[str, str], set[str]]:
        of_name = forms_of([*self.public, *self._pinyin_names])
        public_pinyin, private_forms = _shared_forms(self.public, of_name)
        table: dict[str, str] = {}
        for name in self._pinyin_names:
            forms = private_forms.get(name)
            if forms is None:
                forms = private_forms[name] = of_name[name] - public_pinyin
            for form in forms:  # every form of one name maps to it: the order within a name does not matter
                table.setdefault(form, name)
        return table, public_pinyin

    def pinyin_in(self, text: str) -> str | None:
        """The private name whose pinyin is spelled by consecutive words of `text` (a path, a slug), or None."""
        table = self.pinyin_table()
        if not table:
            return None
        words = path_words(text)
        for first in range(len(words)):
            joined = ""
            for last in range(first, min(first + 6, len(words))):
                joined += words[last]
                if joined in table and not self._public_pinyin_around(words, first, last):
                    return table[joined]
        return None

    def _public_pinyin_around(self, words: list[str], first: int, last: int) -> bool:
        """Whether words[first..last] lie inside a public name's pinyin (wang-dong in wang-dong-fang)."""
        for start in range(max(0, first - 3), first + 1):
            for end in range(last, min(len(words), last + 4)):
                if (start, end) != (first, last) and "".join(words[start : end + 1]) in self._public_pinyin:
                    return True
        return False


def _cache_folder() -> Path | None:
    from .cache import cache_dir  # cache imports the loader, which imports this module

    return cache_dir()


def _make_tables(private: list[tuple[str, str, str]], public: list[str]) -> _Tables:
    """The folded public names, the secrets (each private id, each private name no public member bears), the
    automaton finding them, and the public names covering a private one."""
    folded_public = {fold_name(name) for name in public if name}
    secrets = Secrets()
    for member_id, name, file in private:
        if member_id:
            secrets.add(fold_name(member_id), "id", member_id, file)
        folded = fold_name(name or "")
        if len(folded) >= MIN_NAME_LENGTH and folded not in folded_public:
            secrets.add(folded, "name", member_id, file)
    automaton = ahocorasick.Automaton()
    for secret in secrets:
        automaton.add_word(secret, secret)
    if secrets:
        automaton.make_automaton()
    return folded_public, secrets, automaton, _covering(secrets, folded_public)


def _covering(secrets: Secrets, public: set[str]) -> dict[str, list[str]]:
    """Each private name that lies inside a longer public name → those public names."""
    names = {s for s in secrets if not s.isascii()}
    sizes = {len(n) for n in names}
    covering: dict[str, list[str]] = {}
    for name in public:
        for size in sizes:
            for i in range(len(name) - size + 1):
                part = name[i : i + size]
                if part != name and part in names:
                    covering.setdefault(part, []).append(name)
    return covering


def _write_tables(folder: Path | None, key: str, tables: _Tables) -> None:
    """Keep the tables as two entries: the secrets' columns apart (`<key>.secrets`), read only when a secret is
    found or listed, under a token the names entry (`<key>.names`) holds, so that one never pairs with another's."""
    public, secrets, automaton, covering = tables
    token = secrets_token(secrets.columns())
    namespack.write(folder, key, "secrets", (token, secrets.columns()))
    namespack.write(folder, key, "names", (public, len(secrets), token, automaton, covering))


def secrets_token(columns: tuple[dict[str, int], list[str], list[str], list[str]]) -> str:
    """A digest of the secrets' columns, which the names entry keeps to know the secrets entry made with it."""
    return hashlib.blake2b(repr(columns).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _read_tables(folder: Path | None, key: str, remake: Callable[[], _Tables]) -> _Tables | None:
    """The tables the cache keeps under `key`, or None (none, or not of their shape: made again). The secrets are
    read when first asked for; when their entry is gone, damaged or another's, they are made again (`remake`)."""
    kept = namespack.read(folder, key, "names")
    if not (isinstance(kept, tuple) and len(kept) == 5):
        return None
    public, count, token, automaton, covering = kept
    if not (
        isinstance(public, set)
        and type(count) is int
        and isinstance(token, str)
        and isinstance(automaton, ahocorasick.Automaton)
        and len(automaton) == count
        and isinstance(covering, dict)
    ):
        return None

    def load() -> tuple[dict[str, int], list[str], list[str], list[str]]:
        columns = _secret_columns(namespack.read(folder, key, "secrets"), token, count)
        if columns is None:
            columns = remake()[1].columns()
            namespack.write(folder, key, "secrets", (secrets_token(columns), columns))
        return columns

    return public, Secrets(count=count, load=load), automaton, covering


def _secret_columns(
    kept: object, token: str, count: int
) -> tuple[dict[str, int], list[str], list[str], list[str]] | None:
    """The columns of a secrets entry made with the names entry holding `token` (of `count` secrets), or None."""
    if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == token and isinstance(kept[1], tuple)):
        return None
    columns = kept[1]
    if not (
        len(columns) == 4
        and isinstance(columns[0], dict)
        and len(columns[0]) == count
        and all(isinstance(column, list) and len(column) == count for column in columns[1:])
        and secrets_token(columns) == token
    ):
        return None
    return columns


def _pinyin_tables(kept: object) -> tuple[dict[str, str], set[str]] | None:
    if isinstance(kept, tuple) and len(kept) == 2 and isinstance(kept[0], dict) and isinstance(kept[1], set):
        return kept[0], kept[1]
    return None


# The pinyin of a registry's names, shared by every `PrivateNames` over the same public names: validation's
# rules and the build's privacy gate each make one, and pypinyin costs about 30 µs a name (seconds at a
# county, twice). One entry, keyed by a digest of the public names (the forms of a private name are
# kept less the public ones, so they depend on them too): (key, public forms, private name → its forms).
_FORMS: tuple[bytes, set[str], dict[str, frozenset[str]]] | None = None


def _shared_forms(
    public: set[str], of_name: Mapping[str, frozenset[str]]
) -> tuple[set[str], dict[str, frozenset[str]]]:
    """The pinyin forms of every public name, and a memo of private names' forms less those, for `public`."""
    global _FORMS
    key = hashlib.blake2b("\0".join(sorted(public)).encode(), digest_size=16).digest()
    if _FORMS is None or _FORMS[0] != key:
        _FORMS = (key, {form for name in public for form in of_name[name]}, {})
    return _FORMS[1], _FORMS[2]


# Each name's forms (`pinyin_forms`), for every registry made in this process (`serve` validates and gates
# again after each edit): bounded by the names of the last registries seen (`forms_of` keeps `_KEEP_NAMES`
# more than it was asked for, then only those).
_MEMO: dict[str, frozenset[str]] = {}
_KEEP_NAMES = 50_000


def forms_of(names: Iterable[str]) -> dict[str, frozenset[str]]:
    """`pinyin_forms` of each name: from this process's memo, else the cache folder's pack of the last run
    (`pinyinpack`: one read, checked; ignored when it is not exactly what dangjian wrote), else from pypinyin.
    When pypinyin was asked, the pack is written again with these names."""
    wanted = dict.fromkeys(names)
    missing = [name for name in wanted if name not in _MEMO]
    if missing:
        from .cache import cache_dir

        folder = cache_dir()
        kept = pinyinpack.read(folder)
        unknown = [name for name in missing if kept.get(name) is None]
        made = dict(zip(unknown, _made_forms(unknown)))
        for name in missing:
            _MEMO[name] = made[name] if name in made else kept[name]
        if unknown:
            pinyinpack.write(folder, {name: _MEMO[name] for name in wanted})
    found = {name: _MEMO[name] for name in wanted}
    if len(_MEMO) > len(found) + _KEEP_NAMES:
        _MEMO.clear()
        _MEMO.update(found)
    return found


# Names asked of pypinyin at once (a cold city's 200,000: about 2 s on one core) shared out among forked workers
# from this many on, CHUNK_NAMES at a time (the workers inherit pypinyin and the characters' readings looked up)
PARALLEL_NAMES = 20_000
CHUNK_NAMES = 5_000


def _made_forms(names: list[str]) -> list[frozenset[str]]:
    """`pinyin_forms` of each name, in order: on every core when there are many."""
    if len(names) >= PARALLEL_NAMES:
        from pypinyin import constants, pinyin  # noqa: F401 - imported (its dictionaries read) once, before forking
    return list(parallel.in_order(_frozen_forms, names, None, PARALLEL_NAMES, CHUNK_NAMES))


def _frozen_forms(_: None, name: str) -> frozenset[str]:
    return frozenset(pinyin_forms(name))


Split = tuple[list[tuple[str, str, str]], list[str]]


def split_members(members: Iterable[Record], is_public: Callable[[Record], bool]) -> Split:
    """(id, name, file) of each private member, and the public members' names: what `PrivateNames` is made of
    (and its tables' key, `namespack.key`)."""
    private: list[tuple[str, str, str]] = []
    public: list[str] = []
    for member in members:
        name = member.get("name")
        if is_public(member):
            public.append(name if isinstance(name, str) else "")
        else:
            private.append((member.id or "", name if isinstance(name, str) else "", member.file))
    return private, public


def spans(names: PrivateNames, text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, secret) in raw `text` of every private name or id in any of its readings."""
    from .normalise import mapped

    for reading in mapped(text):
        for start, end, secret in names.find(reading.text):
            begin, finish = reading.span(start, end)
            yield begin, finish, secret
