"""Every reference names an existing record.

An activity's `venue` is a reference like any other. Which org may use which venue is not checked: activities
are bulk records held as stubs (`summary.STUB_FIELDS`), and reading their `org` and `venue` in a rule would
carry both in every stub of a city's million activities for a rule of little weight."""

from __future__ import annotations

import difflib
import hashlib
import itertools
import pickle
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from ..load import Record
from ..model import Registry, is_public, reads
from ..problems import Problem
from ..recordtypes import title_of
from ..schema import did_you_mean


@reads(member=("name", "org", "public", "posts"))  # member_hint: a name's pinyin, the org, is_public
def references_resolve(reg: Registry) -> Iterator[Problem]:
    """Each org, member, brand, rule and scheme id written in a record exists.

    Under a memo (`model.FileMemo`), a file whose references all resolved is not checked again while its bytes,
    this code and every id the registry defines (`defined_ids`) stay the same. A file with an unresolved
    reference is checked on every run: its hints read other records (names, orgs, close ids)."""
    memo = reg.memo
    if memo is None:
        for records in reg.records.values():
            for record in records:
                yield from record_references(reg, record)
        return
    from ..cache import code_fingerprint  # the cache imports the loader, which imports the rules

    scope = f"references {code_fingerprint('rules/references.py').hex()} {defined_ids(reg)}"
    for records in reg.records.values():
        for file, held in itertools.groupby(records, key=lambda record: record.file):
            if memo.get(scope, file) == []:
                continue
            found = [problem for record in held for problem in record_references(reg, record)]
            if not found:
                memo.put(scope, file, found)
            yield from found


def defined_ids(reg: Registry) -> str:
    """A digest of every id a reference may name: each kind's ids in the registry's order, the nested kinds'
    items, and the ids broken files may define (`Registry.shadows`)."""
    every: list[tuple[str, list[Any]]] = [
        (kind, list(ids)) for kinds in (reg.by_id, reg.nested) for kind, ids in kinds.items()
    ]
    every.append(("shadows", sorted(reg.shadows, key=repr)))  # pickled: no two lists of strings alike
    return hashlib.blake2b(pickle.dumps(every, protocol=pickle.HIGHEST_PROTOCOL), digest_size=16).hexdigest()


def resolves(reg: Registry, kind: str, record_id: str) -> bool:
    """Whether a reference to `record_id` of `kind` is not a problem."""
    return record_id in reg.ids(kind) or reg.maybe_defined(kind, record_id)


def record_references(reg: Registry, record: Record) -> Iterator[Problem]:
    """The unresolved references of one record."""
    for ref in record.refs:
        if resolves(reg, ref.kind, ref.id):
            continue
        known = reg.ids(ref.kind)
        title = title_of(ref.kind)
        if ref.kind == "member":
            hint = member_hint(reg, ref.id)
        else:
            hint = did_you_mean(ref.id, _candidates(ref.id, known))
            if not hint.startswith("是不是"):
                hint = f"检查拼写，或先添加这个{title}"
        yield record.doc.problem(ref.path, f"找不到{title} `{ref.id}`", hint, "unknown-ref")


def _candidates(word: str, known: dict) -> list[str]:
    """Ids worth comparing for a 'did you mean': all of a small set, those sharing a prefix of a large one."""
    if len(known) <= 2000:
        return sorted(known)
    return sorted(k for k in known if k[:3] == word[:3])


def member_hint(reg: Registry, typed: str, names: str = "public") -> str:
    """A hint for an unknown member id that never points at a different person.

    Member ids are customarily `m-` and the pinyin of the name, so `m-wang-xiaoming`
    (王晓明) is close to `m-wang-yiming` (王一鸣) as text yet names someone else. A
    member is suggested only when its name's pinyin matches what was typed (a typo);
    other close ids are listed as candidates with their org. Names are shown for
    public members only (`names="public"`: a CI annotation may be public), or for all
    (`names="all"`, for an editor at their own terminal).
    """
    members = reg.members
    close = difflib.get_close_matches(typed, _candidates(typed, members), n=4, cutoff=0.6)
    same = [m for m in close if _name_matches(typed, members[m].get("name", ""))]
    if same:
        return f"是不是想写 {_shown(reg, same[0], names)}？"
    if close:
        listed = "、".join(_shown(reg, m, names) for m in close)
        return f"检查拼写，或先添加这个党员；编号相近的党员（不一定是同一个人，请核对）：{listed}"
    return "检查拼写，或先添加这个党员"


def _shown(reg: Registry, member_id: str, names: str) -> str:
    """`id`（name, org name）: the name only when allowed."""
    member = reg.members[member_id]
    org = reg.orgs.get(member.get("org"))
    where = [org.get("name", org.id) if org is not None else member.get("org", "")]
    name = member.get("name")
    if name and (names == "all" or is_public(member)):
        where.insert(0, name)
    return f"`{member_id}`（{'，'.join(w for w in where if w)}）"


def _name_matches(typed: str, name: str) -> bool:
    """Whether an id as typed spells this name's pinyin, give or take one letter."""
    spelled = _letters(re.sub(r"^m-", "", typed))
    sound = _pinyin(name)
    if not sound or not spelled:
        return False
    return (len(sound) >= 4 and sound in spelled) or _within_one_edit(spelled, sound)


@lru_cache(maxsize=4096)
def _pinyin(name: str) -> str:
    """The toneless pinyin of a name, letters only (`王一鸣` → `wangyiming`)."""
    from pypinyin import lazy_pinyin

    return _letters("".join(lazy_pinyin(name)).lower())


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _within_one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours at most."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        return a[start + 1 :] == b[start + 1 :] or (
            a[start : start + 2] == b[start : start + 2][::-1] and a[start + 2 :] == b[start + 2 :]
        )
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1 :] == shorter[start:]
