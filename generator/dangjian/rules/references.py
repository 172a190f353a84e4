"""Every reference names an existing record."""

from __future__ import annotations

from collections.abc import Iterator

from ..load import Record
from ..model import Registry
from ..problems import Problem
from ..records import title_of
from ..schema import did_you_mean


def references_resolve(reg: Registry) -> Iterator[Problem]:
    """Each org, member, brand, rule and scheme id written in a record exists."""
    for records in reg.records.values():
        for record in records:
            yield from record_references(reg, record)


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
        hint = did_you_mean(ref.id, _candidates(ref.id, known))
        if not hint.startswith("是不是"):
            hint = f"检查拼写，或先添加这个{title}"
        yield record.doc.problem(ref.path, f"找不到{title} `{ref.id}`", hint, "unknown-ref")


def _candidates(word: str, known: dict) -> list[str]:
    """Ids worth comparing for a 'did you mean': all of a small set, those sharing a prefix of a large one."""
    if len(known) <= 2000:
        return sorted(known)
    return sorted(k for k in known if k[:3] == word[:3])
