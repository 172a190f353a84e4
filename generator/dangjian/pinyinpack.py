"""The pinyin forms of a registry's names, kept between runs (issue 23): `pinyin/<32 hex>.pack` in dangjian's cache
folder.

pypinyin costs about 30 µs a name, 0.4 s of CPU for a county's 10,000 members on every validation (and so every
build). The pack holds each name's forms (`private.pinyin_forms`) as the last run that computed one left them; the
next run reads them instead. Its name is a digest of what decides the forms (`pack_key`: the code of `private.py`
and `normalise.py`, pypinyin's version and its data files), so a new pypinyin or new code reads another pack; a name
is its own key, so a changed name is simply not in it.

A missing form would hide a private name's pinyin from validation and the privacy gate, so the pack is only read
when it is what dangjian wrote: JSON (never a pickle), a regular file reached without following a link, owned by
this user and writable by no one else, whose bytes match the digest in its first line, of this key, with a list
of lowercase letter strings for each name. Anything else is ignored, and every form computed again. Like the parse
cache's pickles, the folder is trusted as the user's own: whoever may write into it as this user may also run code
as this user, and is not defended against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from . import provenance
from .files import read_sealed, sealed_head

PART = "pinyin"  # the cache part (`cache.PARTS`)
FORMAT = b"dangjian-pinyin 1"
MAX_BYTES = 1 << 28  # a city's names take a few MB; a larger file is not ours
_FORM = re.compile(r"[a-z]+\Z")


@lru_cache(maxsize=1)
def pack_key() -> str:
    """What decides a name's forms: this code (the forms' function and the normaliser it reads) and pypinyin (its
    version and its files, the dictionaries among them: `provenance.library`)."""
    return provenance.made_by(("pinyinpack.py", "private.py", "normalise.py"), ("pypinyin",), extra=FORMAT)


def pack_path(folder: Path) -> Path:
    return folder / PART / f"{pack_key()}.pack"


def header(body: bytes) -> bytes:
    """The first line of a pack: its format, the digest of the body and its length."""
    return sealed_head(FORMAT, body)


def read(folder: Path | None) -> dict[str, frozenset[str]]:
    """The forms the pack keeps, by name: none when there is no pack, or it is not exactly as dangjian wrote it."""
    if folder is None:
        return {}
    path = pack_path(folder)
    body = read_sealed(path, FORMAT, MAX_BYTES)  # a regular file of this user only, never through a link
    if body is None:
        return {}
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(value, dict) or value.get("key") != pack_key() or not isinstance(value.get("forms"), dict):
        return {}
    forms: dict[str, frozenset[str]] = {}
    for name, items in value["forms"].items():
        if not isinstance(items, list) or not all(isinstance(item, str) and _FORM.match(item) for item in items):
            return {}
        forms[name] = frozenset(items)
    from .cache import touch

    touch(path)  # used now: the pack is among the last entries `trim` removes
    return forms


def write(folder: Path | None, forms: Mapping[str, frozenset[str]]) -> None:
    """Keep `forms` as the pack (atomically, readable by this user only); a pack that cannot be written is not
    used."""
    if folder is None:
        return
    path = pack_path(folder)
    value = {"key": pack_key(), "forms": {name: sorted(forms[name]) for name in sorted(forms)}}
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    from .cache import write_atomic

    write_atomic(path, header(body) + body)
