"""A registry's private-name tables, kept between runs (issue 23): `names/<32 hex>.names` in dangjian's cache
folder (the public names, the automaton, the covering names), the secrets' columns beside it (`<32 hex>.secrets`,
read only when a secret is found or listed: `private.Secrets`), and each pinyin table made from them
(`<32 hex>.pinyin<N>`, N the syllables it starts at).

Making `private.PrivateNames` at city scale (196,000 private members: 392,000 names and ids folded, an
Aho-Corasick automaton over them) took 2.8 s on every validation and again in every build; its pinyin table
0.4 s more, after reading the pinyin pack. The tables depend on nothing but the members' (id, name, file)
and the public names, and on the code that folds and finds them: the entry's name is a digest of exactly
those (`key`), so a member renamed, made public or moved to another file, a new dangjian, pypinyin or
pyahocorasick reads another entry. An entry loads in about 0.15 s.

The entry holds private names, as the parse cache holds the members' files: it is written as this user's
alone, and read only when it is what dangjian wrote (a regular file reached without following a link, owned
by this user and writable by no one else, whose bytes match the digest in its first line). It is a pickle
(the automaton is pyahocorasick's own object); like the parse cache's pickles, the folder is trusted as the
user's own: whoever may write into it as this user may also run code as this user, and is not defended
against. Anything else, or an entry that does not load, is ignored and the tables made again.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import pinyinpack, provenance

PART = "names"  # the cache part (`cache.PARTS`)
FORMAT = b"dangjian-names 2"  # 2: the secrets apart (`<key>.secrets`)
MAX_BYTES = 1 << 30  # a city's tables take about 30 MB


def code_key() -> str:
    """What makes the tables besides the members: this code and the automaton's library, the normaliser and the
    pinyin forms' code (`pinyinpack.pack_key`: private.py, normalise.py, pypinyin and its data)."""
    return _code_key(pinyinpack.pack_key())


@lru_cache(maxsize=4)
def _code_key(forms: str) -> str:
    return provenance.made_by(("namespack.py",), ("pyahocorasick",), extra=FORMAT + b"\0" + forms.encode())


def key(private: list[tuple[str, str, str]], public: list[str]) -> str:
    """The entry's name for these members, (id, name, file) of each private one and the public names, made by this
    code (`code_key`)."""
    digest = hashlib.blake2b(code_key().encode(), digest_size=16)
    digest.update(repr((private, public)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _sealed() -> Any:
    from .cache import Sealed  # the cache imports the loader: not at this module's import (the validator's rules)

    return Sealed(PART, FORMAT, MAX_BYTES)


def read(folder: Path | None, name: str, suffix: str) -> Any | None:
    """What the entry keeps, or None when there is none, or it is not exactly what dangjian wrote (`cache.Sealed`)."""
    return _sealed().read(folder, f"{name}.{suffix}")


def write(folder: Path | None, name: str, suffix: str, value: Any) -> None:
    """Keep `value` as the entry (atomically, readable by this user only); one that cannot be written is not used."""
    _sealed().write(folder, f"{name}.{suffix}", value)


def _header(body: bytes) -> bytes:
    return _sealed().head(body)
