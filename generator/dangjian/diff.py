"""`dangjian diff`: what changed in the registry between two revisions, in editors' terms, as Markdown
(or as JSON for scripts: `--format json`, the same lines).

Each changed field declared `diff=True` in `recordtypes.py` gets a line (`label old → new`, see
`field_changes`); a few say more in words of their own (a rename, a move, a milestone met).
Private members are never named: they appear only in counts.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .history import checkout, remove
from .load import Record
from .model import Registry, is_public
from .figures import shown, two_decimals
from .rankings import MEMBERS, RankingBook, Row
from .recordtypes import MEMBER_STATUSES, RECORD_TYPES, SCORED_STATUSES
from .schema import Bool, Date, FieldType, List, Number, Ref, Text
from . import timeline
from .rolls import Rolls
from .summary import BULK_KINDS
from .rules import honours
from .validate import Validation, validate

GROUP_LIMIT = 12  # items shown per group before the rest is folded away


@dataclass
class Section:
    """One group of changes: a title and its lines; `key` names the group for scripts."""

    title: str
    lines: list[str] = field(default_factory=list)
    key: str = ""


def load_at(root: Path, rev: str | None, scratch: Path) -> Validation:
    """The registry at `rev` (None: the work tree), validated."""
    if rev is None:
        return validate(root)
    tree = checkout(root, rev, scratch / f"rev-{len(list(scratch.iterdir()))}")
    (tree / "registry").mkdir(exist_ok=True)  # a revision before the registry existed: an empty one
    return validate(tree)


def diff(root: Path, rev_a: str, rev_b: str | None = None, fmt: str = "markdown") -> str:
    """The summary of the registry's change from `rev_a` to `rev_b` (default: the work tree):
    Markdown, or JSON when `fmt` is "json"."""
    scratch = Path(tempfile.mkdtemp(prefix="dangjian-diff-"))
    try:
        before, after = load_at(root, rev_a, scratch), load_at(root, rev_b, scratch)
    finally:
        remove(scratch)
    sections = [s for s in sections_of(before.registry, after.registry) if s.lines]
    if fmt == "json":
        return render_json(rev_a, rev_b, sections, after)
    return render(rev_a, rev_b or "工作区", sections, after)


Changes = Callable[[Registry, Registry], Iterator[str]]


def sections_of(old: Registry, new: Registry) -> list[Section]:
    """Every group of changes, in the order editors read them: the hand-written ones, then a generic one
    for each other kind kept by id (`record_changes`)."""
    sections = [Section(title, list(changes(old, new)), key) for title, key, changes, _ in HAND_SECTIONS]
    for kind in generic_kinds():
        sections.append(Section(RECORD_TYPES[kind].title, list(record_changes(kind, old, new)), _key(kind)))
    return sections


def generic_kinds() -> list[str]:
    """The kinds `record_changes` reports: kept by id, not bulk (members and the like are counted, never
    listed), and told by no hand-written section; in the declarations' order."""
    told = {kind for *_, kinds in HAND_SECTIONS for kind in kinds}
    return [
        kind
        for kind, record_type in RECORD_TYPES.items()
        if record_type.id_field and kind not in BULK_KINDS and kind not in told
    ]


def _key(kind: str) -> str:
    """A generic section's key for scripts: its folder's name (`registry/venues/` → `venues`)."""
    folder = RECORD_TYPES[kind].folder
    return folder.rstrip("/").rsplit("/", 1)[-1] if folder else kind


def _name(reg: Registry, org_id: str | None) -> str:
    if not org_id:
        return "（无，最上级组织）"
    org = reg.orgs.get(org_id)
    return f"{org.get('name', org_id)}（`{org_id}`）" if org is not None else f"`{org_id}`"


def org_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Orgs added, removed, renamed or moved."""
    for org_id in sorted(new.orgs.keys() - old.orgs.keys()):
        yield f"新增 {_name(new, org_id)}，上级：{_name(new, new.orgs[org_id].get('parent'))}"
    for org_id in sorted(old.orgs.keys() - new.orgs.keys()):
        yield f"删除 {_name(old, org_id)}"
    for org_id in sorted(old.orgs.keys() & new.orgs.keys()):
        yield from field_changes("org", old, new, old.orgs[org_id], new.orgs[org_id])


def _renamed(old: Registry, new: Registry, before: Record, after: Record) -> Iterator[str]:
    yield f"改名 `{after.id}`：{before.get('name')} → {after.get('name')}"


def _moved(old: Registry, new: Registry, before: Record, after: Record) -> Iterator[str]:
    yield f"调整隶属 {_name(new, after.id)}：{_name(old, before.get('parent'))} → {_name(new, after.get('parent'))}"


def _dissolved(old: Registry, new: Registry, before: Record, after: Record) -> Iterator[str]:
    yield f"撤销 {_name(new, after.id)}：{after.get('dissolved') or '（取消撤销）'}"


def _status_counts(reg: Registry, on_roll: dict[str, list[str]], org_id: str) -> Counter:
    return Counter(reg.members[m].get("status") for m in on_roll.get(org_id, []))


def member_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Member counts by status per org, on today's rolls (who left is on none: rolls.py); public members may be
    named, private ones never."""
    rolls = {id(old): Rolls(old).members_of(), id(new): Rolls(new).members_of()}

    def counts(reg: Registry, org_id: str) -> Counter:
        return _status_counts(reg, rolls[id(reg)], org_id)

    def public(reg: Registry, org_id: str) -> set[str]:
        return _public_ids(reg, rolls[id(reg)], org_id)

    for org_id in sorted(old.orgs.keys() | new.orgs.keys()):
        before, after = counts(old, org_id), counts(new, org_id)
        if before == after and public(old, org_id) == public(new, org_id):
            continue
        changed = "，".join(f"{s} {before[s]} → {after[s]}" for s in MEMBER_STATUSES if before[s] != after[s])
        line = f"{_name(new if org_id in new.orgs else old, org_id)}：{changed or '人数不变'}"
        joined = sorted(_public_names(new, public(new, org_id) - public(old, org_id)))
        gone = {
            m for m in public(old, org_id) - public(new, org_id) if m not in new.members or is_public(new.members[m])
        }  # one who withdrew consent is not named
        left = sorted(_public_names(old, gone))
        if joined:
            line += f"；公开党员新增 {'、'.join(joined)}"
        if left:
            line += f"；公开党员移出 {'、'.join(left)}"
        yield line


def _public_ids(reg: Registry, on_roll: dict[str, list[str]], org_id: str) -> set[str]:
    return {m for m in on_roll.get(org_id, []) if is_public(reg.members[m])}


def _public_names(reg: Registry, ids: set[str]) -> list[str]:
    return [reg.members[m].get("name", m) for m in ids]


def _entries_by_org(reg: Registry) -> Counter:
    counts: Counter = Counter()
    for entry in reg.all("ledger"):
        member = reg.members.get(entry.get("member"))
        counts[member.get("org") if member is not None else None] += 1
    return counts


def points_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Points entries added (or removed) per org."""
    before, after = _entries_by_org(old), _entries_by_org(new)
    for org_id in sorted(k for k in before.keys() | after.keys() if k):
        delta = after[org_id] - before[org_id]
        if delta:
            name = _name(new if org_id in new.orgs else old, org_id)
            yield f"{name}：{'新增' if delta > 0 else '减少'} {abs(delta)} 条"


def project_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Projects added or removed, status changes, milestones met."""
    olds, news = old.ids("project"), new.ids("project")
    for pid in sorted(news.keys() - olds.keys()):
        p = news[pid]
        yield f"新增 {p.get('title')}（`{pid}`，{p.get('category')}，{_name(new, p.get('org'))}）"
    for pid in sorted(olds.keys() - news.keys()):
        yield f"删除 {olds[pid].get('title')}（`{pid}`）"
    for pid in sorted(olds.keys() & news.keys()):
        yield from field_changes("project", old, new, olds[pid], news[pid])


def _milestones_met(old: Registry, new: Registry, before: Record, after: Record) -> Iterator[str]:
    done_before = {m.get("title") for m in before.get("milestones", []) if "done" in m}
    for milestone in after.get("milestones", []):
        if "done" in milestone and milestone.get("title") not in done_before:
            yield f"{after.get('title')}：完成节点“{milestone.get('title')}”（{milestone['done']}）"


def brand_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Brands added, removed or changed."""
    for bid in sorted(new.brands.keys() - old.brands.keys()):
        yield f"新增 {new.brands[bid].get('name')}（`{bid}`）"
    for bid in sorted(old.brands.keys() - new.brands.keys()):
        yield f"删除 {old.brands[bid].get('name')}（`{bid}`）"
    for bid in sorted(old.brands.keys() & new.brands.keys()):
        if old.brands[bid].data != new.brands[bid].data:
            yield f"修改 {new.brands[bid].get('name')}（`{bid}`）"
            yield from field_changes("brand", old, new, old.brands[bid], new.brands[bid])


def _results(reg: Registry) -> dict[tuple[str, str], Record]:
    return {(r.get("scheme"), r.get("period")): r for r in reg.all("result")}


def ranking_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Result files added or changed, with the rank each org gets and how it moved."""
    before, after = _results(old), _results(new)
    old_book, new_book = RankingBook(old), RankingBook(new)
    for key in sorted(after, key=lambda k: (str(k[0]), str(k[1]))):
        if key in before and before[key].data == after[key].data:
            continue
        scheme, period = key
        ranking = new_book.ranking(scheme, period)
        if ranking is None or ranking.subject == MEMBERS:  # people: people_rank_changes
            continue
        previous = old_book.ranking(scheme, period) if key in before else None
        was = {row.org: row.rank for row in previous.rows} if previous else {}
        verb = "修改" if key in before else "新增"
        rows = "；".join(_rank_line(row, was) for row in ranking.rows)
        yield f"{verb} {new.schemes[scheme].get('name', scheme)} {period}：{rows}"
    for key in sorted(before.keys() - after.keys(), key=lambda k: (str(k[0]), str(k[1]))):
        yield f"删除 {key[0]} {key[1]} 的结果"


def people_rank_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Each public member's rank in a members ranking added or changed, and how it moved since the scheme's
    previous period; private members only counted (their rows carry neither name nor id: rankings.py)."""
    before, after = _results(old), _results(new)
    book = RankingBook(new)
    for key in sorted(after, key=lambda k: (str(k[0]), str(k[1]))):
        if key in before and before[key].data == after[key].data:
            continue
        scheme, period = key
        ranking = book.ranking(scheme, period)
        if ranking is None or ranking.subject != MEMBERS:
            continue
        title = f"「{new.schemes[scheme].get('name', scheme)}」{period}"
        for row in ranking.rows:
            if row.named:
                yield f"{row.name} 在{title} 排第 {row.rank}，{_moved_since(row.change, ranking.previous is None)}"
        unnamed = sum(1 for row in ranking.rows if not row.named)
        if unnamed:
            yield f"另有 {unnamed} 名未公开的党员参加{title}排位（不列姓名）"


def _moved_since(change: int | str, first: bool) -> str:
    """A rank's change since the previous period, in words (`first`: the scheme has no earlier period)."""
    if change == "new":
        return "这是第一期排位" if first else "上期没有参加排位"
    if change == 0:
        return "与上期相同"
    assert isinstance(change, int)
    return f"比上期{'上升' if change > 0 else '下降'} {abs(change)} 位"


def _rank_line(row: Row, was: dict[str, int]) -> str:
    moved = ""
    if row.org in was and was[row.org] != row.rank:
        moved = f"（原第 {was[row.org]} 名）"
    return f"第 {row.rank} 名 {row.name} {two_decimals(row.total)}{moved}"


def story_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Stories added or removed."""
    olds, news = old.ids("story"), new.ids("story")
    for slug in sorted(news.keys() - olds.keys()):
        yield f"新增《{news[slug].get('title')}》（{news[slug].get('date')}）"
    for slug in sorted(olds.keys() - news.keys()):
        yield f"删除《{olds[slug].get('title')}》"
    for slug in sorted(olds.keys() & news.keys()):
        yield from field_changes("story", old, new, olds[slug], news[slug])


# --- honours (表彰与创评): kept without ids, told by (recipient, year, level, name) ---------------------------


def _honour_key(honour: Record) -> tuple | None:
    """An honour's identity: (recipient kind, recipient id, year, level, name); None when it names no one
    recipient (a problem validation reports)."""
    who = honours.recipient(honour)
    fields = [honour.get(name) for name in ("year", "level", "name")]
    return None if who is None or None in fields else (*who, *fields)


def _honours_by_key(reg: Registry) -> dict[tuple, Record]:
    found: dict[tuple, Record] = {}
    for honour in reg.all("honour"):
        key = _honour_key(honour)
        if key is not None:
            found.setdefault(key, honour)
    return found


def _honour_recipient(old: Registry, new: Registry, kind: str, recipient_id: str) -> str | None:
    """The recipient as a line names it: an org, or a public member's name; None for a private member (one
    who is private now, or was when last seen)."""
    if kind == "org":
        return _name(new if recipient_id in new.orgs else old, recipient_id)
    return _member(new if recipient_id in new.members else old, new, recipient_id)


def _honour_title(year: int, level: str, name: str) -> str:
    return f"{year} 年{level}级“{name}”"


def _honour_edits(old: Registry, new: Registry, before: Record, after: Record) -> str:
    """What changed of an honour besides who, when and what it is: `label old → new` per written field."""
    parts = []
    for spec in RECORD_TYPES["honour"].schema.fields:
        was, now = before.get(spec.name), after.get(spec.name)
        if spec.name in HONOUR_IDENTITY or spec.internal or was == now:
            continue
        parts.append(f"{spec.label} {_shown(spec.type, was, old, new)} → {_shown(spec.type, now, new, new)}")
    return "，".join(parts) or "附加信息有修改"


HONOUR_IDENTITY = ("org", "member", "year", "level", "name")
HONOUR_VERBS = ("新增", "删除", "修改")


def honour_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Honours added, removed or changed: an org's or a public member's named, private members' only as a
    count per honour (year, level, name), never a name or an id."""
    before, after = _honours_by_key(old), _honours_by_key(new)
    private: Counter = Counter()
    changed = {key for key in before.keys() & after.keys() if before[key].data != after[key].data}
    for verb, keys in zip(HONOUR_VERBS, (after.keys() - before.keys(), before.keys() - after.keys(), changed)):
        for key in sorted(keys, key=lambda k: (k[2:], k[:2])):
            who = _honour_recipient(old, new, key[0], key[1])
            if who is None:
                private[(HONOUR_VERBS.index(verb), *key[2:])] += 1
            elif verb == "修改":
                yield f"修改 {_honour_title(*key[2:])}（{who}）：{_honour_edits(old, new, before[key], after[key])}"
            else:
                giver = (after if verb == "新增" else before)[key].get("giver")
                yield f"{verb} {_honour_title(*key[2:])}：{who}（{giver}）"
    for (verb, *honour), count in sorted(private.items()):
        yield f"{HONOUR_VERBS[verb]} {_honour_title(*honour)}：不公开的党员 {count} 名"


# The hand-written sections, in the order editors read them: title, key, its lines, the kinds it tells of.
# Dated histories (timeline.py): what the events added between the two revisions say, in editors' words.
# A public member is named; private members appear only as a count per kind of change. How a member left
# (转出/去世/其他) and an event's note are never shown.


def history_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Events added to members' 履历 and orgs' 沿革: 晋档/降档, the stages of 发展党员 (转正), transfers,
    leaving; renames, moves, weak listings and 转化 of orgs."""
    private: Counter = Counter()
    for member_id, member in sorted(new.members.items()):
        name = _member(new, new, member_id)
        for change in _added(timeline.member_changes, old.members.get(member_id), member):
            told = _member_event(old, new, change)
            if told is None:
                continue
            if name is None:
                private[told[1]] += 1
            else:
                yield f"{name} {told[0]}"
    for org_id, org in sorted(new.orgs.items()):
        for change in _added(timeline.org_changes, old.orgs.get(org_id), org):
            line = _org_event(old, new, change)
            if line is not None:
                yield f"{_name(new, org_id)} {line}"
    for what, count in sorted(private.items(), key=lambda item: _PRIVATE_ORDER.index(item[0])):
        yield f"{count} 名未公开的党员{what}"


# Private members' counts in the order of a life in the party: grades, the stages of 发展党员, transfers, leaving.
_PRIVATE_ORDER = ["评定书记星级", "晋档", "降档", *(f"成为{s}" for s in MEMBER_STATUSES), "转正"]
_PRIVATE_ORDER += ["组织关系转入", "组织关系转接", "离开"]


def _added(changes: Callable[[Any], list[timeline.Change]], before: Record | None, after: Record) -> list:
    """The changes `after`'s history makes that `before`'s (the same record in the older revision) did not."""
    seen = {_change_key(c) for c in changes(before.data)} if before is not None else set()
    return [c for c in changes(after.data) if _change_key(c) not in seen]


def _change_key(change: timeline.Change) -> tuple:
    return (change.date, change.field, repr(change.before), repr(change.after))


def _member_event(old: Registry, new: Registry, change: timeline.Change) -> tuple[str, str] | None:
    """(the line after a public member's name, the words counting a private member) for one change; None for
    what the diff does not tell (posts, flows)."""
    on = f"（{change.date}）"
    if change.field == "grade":
        move = change.grade_move
        if move is None:
            return f"书记星级定为 {change.after}{on}", "评定书记星级"
        return f"书记星级 {change.before} → {change.after}（{move}，{change.date}）", move
    if change.field == "status":
        if (change.before, change.after) == SCORED_STATUSES:  # 预备党员 → 正式党员
            return f"转正{on}", "转正"
        if change.before is None:
            return f"成为{change.after}{on}", f"成为{change.after}"
        return f"{change.before} → {change.after}{on}", f"成为{change.after}"
    if change.field == "org":
        if change.before is None:
            return f"组织关系转入 {_name(new, change.after)}{on}", "组织关系转入"
        return f"组织关系 {_name(old, change.before)} → {_name(new, change.after)}{on}", "组织关系转接"
    if change.field == "left" and change.after is not None:
        return f"离开{on}", "离开"  # never how (转出/去世/其他)
    return None


def _org_event(old: Registry, new: Registry, change: timeline.Change) -> str | None:
    """The line after an org's name for one change of its 沿革."""
    on = f"（{change.date}）"
    if change.field == "name":
        return f"改名：{change.before} → {change.after}{on}"
    if change.field == "parent":
        return f"隶属调整：{_name(old, change.before)} → {_name(new, change.after)}{on}"
    if change.field == "weak":
        return f"列为薄弱组织{on}" if change.after else f"转化，不再是薄弱组织{on}"
    if change.field == "benchmark" and change.after is not None:
        return f"与 {_name(new, change.after)} 结对帮扶{on}"
    return None


# --- notices (工作提示/通知) and venues (场所) ---------------------------------------------------------------


def notice_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Notices added, removed or changed (a new end of validity said in full: it moves a notice to the archive)."""
    olds, news = old.ids("notice"), new.ids("notice")
    for slug in sorted(news.keys() - olds.keys()):
        notice = news[slug]
        yield f"新增《{notice.get('title')}》（{notice.get('date')} 发出，有效期至 {notice.get('until')}）"
    for slug in sorted(olds.keys() - news.keys()):
        yield f"删除《{olds[slug].get('title')}》"
    for slug in sorted(olds.keys() & news.keys()):
        before, after = olds[slug], news[slug]
        if before.data == after.data and before.body == after.body:
            continue
        if before.get("until") != after.get("until"):
            yield f"修改《{after.get('title')}》：有效期至 {before.get('until')} → {after.get('until')}"
        else:
            yield f"修改《{after.get('title')}》"


def venue_changes(old: Registry, new: Registry) -> Iterator[str]:
    """Venues added, removed or changed."""
    olds, news = old.ids("venue"), new.ids("venue")
    for vid in sorted(news.keys() - olds.keys()):
        yield f"新增 {news[vid].get('name')}（`{vid}`，{news[vid].get('kind')}）"
    for vid in sorted(olds.keys() - news.keys()):
        yield f"删除 {olds[vid].get('name')}（`{vid}`）"
    for vid in sorted(olds.keys() & news.keys()):
        if olds[vid].data != news[vid].data:
            yield f"修改 {news[vid].get('name')}（`{vid}`）"


HAND_SECTIONS: tuple[tuple[str, str, Changes, tuple[str, ...]], ...] = (
    ("组织", "orgs", org_changes, ("org",)),
    ("党员", "members", member_changes, ("member",)),
    ("履历与沿革", "histories", history_changes, ()),
    ("积分记录", "points", points_changes, ("ledger",)),
    ("书记项目", "projects", project_changes, ("project",)),
    ("党建品牌", "brands", brand_changes, ("brand",)),
    ("工作排位", "rankings", ranking_changes, ("scheme", "result")),
    ("个人排位", "people-rankings", people_rank_changes, ()),
    ("典型事迹", "stories", story_changes, ("story",)),
    ("表彰", "honours", honour_changes, ("honour",)),
    ("通知", "notices", notice_changes, ("notice",)),
    ("场所", "venues", venue_changes, ("venue",)),
)


def _titled(record: Record) -> str:
    """A record of a kind without a section of its own, named in a line: its name (or title) and its id."""
    name = record.get("name", record.get("title"))
    return f"{name}（`{record.id}`）" if isinstance(name, str) and name else f"`{record.id}`"


def record_changes(kind: str, old: Registry, new: Registry) -> Iterator[str]:
    """A kind without a section of its own: its records added, removed or changed (by id), each changed
    field declared `diff=True` on a line of its own."""
    olds, news = old.ids(kind), new.ids(kind)
    for key in sorted(news.keys() - olds.keys()):
        yield f"新增 {_titled(news[key])}"
    for key in sorted(olds.keys() - news.keys()):
        yield f"删除 {_titled(olds[key])}"
    for key in sorted(olds.keys() & news.keys()):
        if olds[key].data != news[key].data:
            yield f"修改 {_titled(news[key])}"
            yield from field_changes(kind, old, new, olds[key], news[key])


# --- changed fields: every field declared `diff=True` (recordtypes.py) ------------------------------------

SpecialLines = Callable[[Registry, Registry, Record, Record], Iterator[str]]


@dataclass(frozen=True)
class FieldChanges:
    """How `dangjian diff` names a record of one kind in a changed field's line, and the fields whose
    change it tells in words of its own (a rename, a move) rather than `label old → new`."""

    name: Callable[[Registry, Record], str]
    special: dict[str, SpecialLines] = field(default_factory=dict)


# How the hand-written sections name a record in a changed field's line; every other kind `record_changes`
# reports is named by `_titled`. Never members: they appear only in counts.
FIELD_CHANGES: dict[str, FieldChanges] = {
    "org": FieldChanges(lambda reg, r: _name(reg, r.id), {"name": _renamed, "parent": _moved, "dissolved": _dissolved}),
    "project": FieldChanges(lambda reg, r: str(r.get("title")), {"milestones": _milestones_met}),
    "brand": FieldChanges(lambda reg, r: f"{r.get('name')}（`{r.id}`）"),
    "story": FieldChanges(lambda reg, r: f"《{r.get('title')}》"),
}

GENERIC_CHANGES = FieldChanges(lambda reg, r: _titled(r))


def field_changes(kind: str, old: Registry, new: Registry, before: Record, after: Record) -> Iterator[str]:
    """A line per declared field that changed between two versions of one record, in declaration order."""
    changes = FIELD_CHANGES.get(kind) or GENERIC_CHANGES
    for spec in RECORD_TYPES[kind].schema.fields:
        was, now = before.get(spec.name), after.get(spec.name)
        if not spec.diff or was == now:
            continue
        if spec.name in changes.special:
            yield from changes.special[spec.name](old, new, before, after)
            continue
        shown_was, shown_now = _shown(spec.type, was, old, new), _shown(spec.type, now, new, new)
        if shown_was is None or shown_now is None:
            yield f"{changes.name(new, after)}：{spec.label} 有修改"
        elif shown_was != shown_now:  # a change only among private members reads as none
            yield f"{changes.name(new, after)}：{spec.label} {shown_was} → {shown_now}"


NOBODY = "（无）"
PRIVATE = "（不公开的党员）"


def _shown(kind: FieldType, value: Any, reg: Registry, new: Registry) -> str | None:
    """A value as a line shows it, read in `reg` (the revision it comes from); None when it does not fit
    on a line (a Markdown text, a list of items with fields of their own)."""
    if value is None:
        return NOBODY
    if isinstance(kind, List):
        if not isinstance(kind.item, (Text, Number, Date, Bool)):
            return None
        if isinstance(kind.item, Ref) and kind.item.kind == "member":
            names = [n for m in value if (n := _member(reg, new, m)) is not None]
            private = "另有其他党员" if len(names) < len(value) else ""
            return "，".join(p for p in ("、".join(names), private) if p) or NOBODY
        return "、".join(str(_shown(kind.item, v, reg, new)) for v in value) or NOBODY
    if isinstance(kind, Ref):
        return _reference(kind.kind, value, reg, new)
    if isinstance(kind, Bool):
        return "是" if value else "否"
    if isinstance(kind, Date):
        return value.isoformat()
    if isinstance(kind, Number):
        return shown(Fraction(value))
    if isinstance(kind, Text) and not kind.markdown:
        return str(value)
    return None


def _reference(kind: str, value: str, reg: Registry, new: Registry) -> str:
    if kind == "member":
        return _member(reg, new, value) or PRIVATE
    if kind == "org":
        return _name(reg, value)
    target = reg.ids(kind).get(value) if kind in RECORD_TYPES else None
    name = target.get("name", target.get("title")) if target is not None else None
    return f"{name}（`{value}`）" if name else f"`{value}`"


def _member(reg: Registry, new: Registry, member_id: str) -> str | None:
    """A public member's name; None for a private or unknown one, and for one who is private now
    (withdrew consent), whatever an older revision says."""
    member = reg.members.get(member_id)
    if member is None or not is_public(member):
        return None
    if member_id in new.members and not is_public(new.members[member_id]):
        return None
    return member.get("name")


def render(rev_a: str, rev_b: str, sections: list[Section], after: Validation) -> str:
    """The summary as Markdown: short when the change is small, folded per group when it is large."""
    lines = [f"### 登记簿变更：`{rev_a}` → `{rev_b}`", ""]
    if after.problems:
        lines += [f"⚠️ 校验发现 {len(after.problems)} 个问题（见检查结果中的标注）。", ""]
    else:
        lines += ["✅ 校验通过。", ""]
    if not sections:
        lines.append("登记簿内容没有变化。")
    for section in sections:
        lines.append(f"**{section.title}**（{len(section.lines)} 项）")
        lines.append("")
        shown, folded = section.lines[:GROUP_LIMIT], section.lines[GROUP_LIMIT:]
        lines += [f"- {line}" for line in shown]
        if folded:
            lines += ["", f"<details><summary>其余 {len(folded)} 项</summary>", ""]
            lines += [f"- {line}" for line in folded]
            lines += ["", "</details>"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_json(rev_a: str, rev_b: str | None, sections: list[Section], after: Validation) -> str:
    """The summary as JSON: {"from", "to" (null: the work tree), "problems" (of the later revision),
    "sections": [{"key", "title", "changes": [line, ...]}]} with every line, none folded."""
    document = {
        "from": rev_a,
        "to": rev_b,
        "problems": len(after.problems),
        "sections": [{"key": s.key, "title": s.title, "changes": s.lines} for s in sections],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
