"""/api/popolo.json: organizations, public members and their memberships in Popolo's shape.

Popolo (popoloproject.com) is the civic-data standard for people, organizations and the memberships and
posts that join them; `timeline.py`'s dated histories follow its model, so the mapping is direct:

- an organization: `id`, `name`, `classification` (its kind, 党支部…), `parent_id`, `founding_date`,
  `dissolution_date`, its earlier names as `other_names` with the dates they ended;
- a person: a PUBLIC member's `id` and `name`, nothing else (no birth year, no gender);
- a membership: a public member in an org from a day to a day (`role` 党员), and one per post held
  (`role` 书记…), from the member's history; a member without history has undated memberships
  (`start_date` = `joined` where written).

Private members appear in no form: not as a person, not as a membership, not as a count.

A document larger than `exports.PART_BYTES` is published in numbered parts (`api/popolo-part1.json` …), each a
Popolo document with the same three lists: the parts' lists, joined in order, are the whole document's.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import timeline
from ..load import Record
from . import exports, kept
from .kinds.base import ident
from .persite import per_site

if TYPE_CHECKING:
    from .data import SiteData


def document(data: SiteData) -> dict[str, Any]:
    """The Popolo export: organizations, persons and memberships."""
    return {"organizations": organizations_of(data), **people_of(data)}


def organizations_of(data: SiteData) -> list[dict[str, Any]]:
    return [organization(org) for org in sorted(data.reg.orgs.values(), key=ident)]


def people_of(data: SiteData) -> dict[str, list[dict[str, Any]]]:
    people = data.public_members
    memberships = [m for person in people for m in _memberships(data.reg.members[person.id])]
    return {
        "persons": [{"id": person.id, "name": person.name} for person in people],
        "memberships": [{"id": f"{m['person_id']}-{n}", **m} for n, m in enumerate(memberships, 1)],
    }


NAME = "api/popolo"
KEYS = ("organizations", "persons", "memberships")


def popolo_files(data: SiteData, limit: int | None = None) -> dict[str, bytes]:
    """`api/popolo.json`, or its numbered parts when it is larger than `limit` (exports.PART_BYTES); made once a
    build for each limit (/api/ lists them, the build writes them)."""
    return _popolo_files(data, exports.PART_BYTES if limit is None else limit)


# What the document reads, in two halves kept apart, each as its items written (`_item`): the organizations read the
# orgs alone (their names, kinds, parents, founding and dissolution days and histories: earlier names), the persons and
# memberships the members alone (who is public, their names and histories). An org renamed makes the organizations'
# items again, not the people's: finding a city's public members among 200,000 took 0.4 s of `serve` after a rename.
POPOLO_ORGS = kept.Aggregate(
    "popoloorgs",
    frozenset({"org", "site"}),
    fields={"org": ("name", "kind", "parent", "founded", "dissolved", "history", *timeline.ORG_FIELDS)},
)
POPOLO_PEOPLE = kept.Aggregate("popolopeople", frozenset({"member", "site"}), fields=kept.MEMBERS_READ)


@per_site
def _popolo_files(data: SiteData, limit: int) -> dict[str, bytes]:
    organizations = data.kept_value(POPOLO_ORGS, lambda: _written({"organizations": organizations_of(data)}))
    people = data.kept_value(POPOLO_PEOPLE, lambda: _written(people_of(data)))
    return split_written(organizations | people, limit)


def _written(lists: dict[str, list[dict[str, Any]]]) -> dict[str, list[bytes]]:
    return {key: [_item(item) for item in items] for key, items in lists.items()}


def split(whole: dict[str, list[dict[str, Any]]], limit: int) -> dict[str, bytes]:
    """The document as one file, or as parts of at most `limit` bytes (an item larger than that alone), filled
    in order: organizations, then persons, then memberships."""
    return split_written(_written({key: whole[key] for key in KEYS}), limit)


def split_written(lists: dict[str, list[bytes]], limit: int) -> dict[str, bytes]:
    """`split` of the document's items written (`_item`): the files are put together from those, each item written
    once (four `json.dumps` of a city's document took 0.4 s)."""
    written = {key: lists[key] for key in KEYS}
    document = _document(written)
    if len(document) <= limit:
        return {f"{NAME}.json": document}
    entries = [(key, text) for key in KEYS for text in written[key]]
    overhead = len(_document({key: [] for key in KEYS})) + 8 * len(KEYS)  # the keys, and each list's brackets
    parts: list[list[tuple[str, bytes]]] = [[]]
    size = overhead
    for entry in entries:
        item_size = len(entry[1])
        if parts[-1] and size + item_size + 2 > limit:  # ",\n" after the item before
            parts.append([])
            size = overhead
        parts[-1].append(entry)
        size += item_size + 2
    return {
        f"{name}.json": _document({key: [text for k, text in part if k == key] for key in KEYS})
        for name, part in zip(exports.part_names(NAME, len(parts)), parts)
    }


def _item(item: dict[str, Any]) -> bytes:
    """An item as `json.dumps(document, ensure_ascii=False, indent=1)` writes it in one of the document's lists: at
    the second level, each of its lines two spaces further in (a string's line breaks are written `\\n`)."""
    return ("  " + json.dumps(item, ensure_ascii=False, indent=1).replace("\n", "\n  ")).encode()


def _document(written: dict[str, list[bytes]]) -> bytes:
    """The document of these lists of items (`_item`), as `json.dumps(document, ensure_ascii=False, indent=1)` and a
    line break write it, byte for byte."""
    lists = [
        b' "' + key.encode() + b'": ' + (b"[\n" + b",\n".join(texts) + b"\n ]" if texts else b"[]")
        for key, texts in written.items()
    ]
    return b"{\n" + b",\n".join(lists) + b"\n}\n"


def organization(org: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ident(org), "name": org["name"], "classification": org.get("kind")}
    if org.get("parent"):
        out["parent_id"] = org["parent"]
    for key, popolo_key in (("founded", "founding_date"), ("dissolved", "dissolution_date")):
        if isinstance(org.get(key), datetime.date):
            out[popolo_key] = org[key].isoformat()
    names = [c for c in timeline.org_changes(org.data) if c.field == "name" and c.before]
    if names:
        out["other_names"] = [{"name": c.before, "end_date": _day_before(c.date)} for c in names]
    return out


def _memberships(member: Record) -> Iterator[dict[str, Any]]:
    """A member's spells in each org (role 党员) and in each post, with their dates where known."""
    data = member.data
    person = ident(member)
    if not timeline.events(data):
        start = data["joined"].isoformat() if isinstance(data.get("joined"), datetime.date) else None
        yield _membership(person, data.get("org"), "党员", start, None)
        for post in data.get("posts", []):
            yield _membership(person, data.get("org"), post, None, None)
        return
    yield from _spells(person, data)


def _spells(person: str, data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Replay the history: a spell opens when an org or post starts and closes the day before it ends."""
    open_org: tuple[str, str | None] | None = None  # (org, start)
    open_posts: dict[str, str | None] = {}  # post → start
    state = timeline.member_state(data, datetime.date.min)
    org, posts = state.org, set(state.posts)
    if org:
        open_org = (org, None)
        open_posts = {post: None for post in posts}
    for _, event in timeline.events(data):
        day = event["date"]
        after = timeline.member_state(data, day)
        new_org = None if after.left else after.org
        new_posts = set() if after.left else set(after.posts)
        if open_org and (new_org != open_org[0]):
            for post, start in open_posts.items():
                yield _membership(person, open_org[0], post, start, _day_before(day))
            yield _membership(person, open_org[0], "党员", open_org[1], _day_before(day))
            open_org, open_posts = None, {}
        if new_org and open_org is None:
            open_org = (new_org, day.isoformat())
        for post in sorted(set(open_posts) - new_posts):
            yield _membership(person, open_org[0] if open_org else org, post, open_posts.pop(post), _day_before(day))
        for post in sorted(new_posts - set(open_posts)):
            open_posts[post] = day.isoformat()
        org = new_org
    if open_org:
        for post, start in open_posts.items():
            yield _membership(person, open_org[0], post, start, None)
        yield _membership(person, open_org[0], "党员", open_org[1], None)


def _membership(person: str, org: str | None, role: str, start: str | None, end: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"person_id": person, "organization_id": org, "role": role}
    if start:
        out["start_date"] = start
    if end:
        out["end_date"] = end
    return out


def _day_before(day: datetime.date) -> str:
    return (day - datetime.timedelta(days=1)).isoformat()
