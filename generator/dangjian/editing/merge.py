"""Merge a roster sheet into the registry: match rows to members, plan the changes, turn them into file edits.

Only the fields the sheet has columns for are managed: a blank cell removes that field,
every other key of a member (`extra`, a hand-set `public`, ...) is kept. Members the
sheet does not list are kept and reported. Unchanged members keep their text byte for
byte; a changed member's item is rewritten in the schema's key order; new members are
appended to the org's roster file.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, cast

from ..load import Record
from ..model import Registry
from ..recordtypes import MEMBER, SCORED_STATUSES
from ..yamlfile import YamlDoc, parse_yaml
from .fmt import canonical_text
from .pending import Refusal, TextFile, read_file
from .roster import Column, RosterSheet, SheetProblem, SheetRow
from .yamltext import append_text, as_list_item, item_indent, item_starts, list_doc, record_lines, replace_items

MEMBER_ORDER = [spec.name for spec in MEMBER.fields]
SIMPLE_FIELDS = ("name", "gender", "born", "status", "joined", "posts", "grade", "public")
REWRITE_HEADER = "# 党员名册（由 dangjian import roster 整理重写：每位党员一项，键按字段参考的顺序；可以手工修改）\n"
FLOW_FIELDS = {"flow_direction": "direction", "flow_place": "place", "flow_since": "since"}


@dataclass
class Change:
    """A member the import adds (`record` None) or changes, and the sheet row it comes from."""

    row: SheetRow
    data: dict[str, Any]
    record: Record | None

    @property
    def id(self) -> str:
        return self.data["id"]


@dataclass
class Plan:
    """What importing a sheet into one org's roster would do."""

    org: str
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    missing: list[Record] = field(default_factory=list)  # in the roster, not in the sheet
    problems: list[SheetProblem] = field(default_factory=list)

    @property
    def added(self) -> list[Change]:
        return [c for c in self.changes if c.record is None]

    @property
    def updated(self) -> list[Change]:
        return [c for c in self.changes if c.record is not None]


def plan_import(reg: Registry, org: str, sheet: RosterSheet) -> Plan:
    """Match every sheet row to a member of `org` (by 编号, else by name) and work out the new data."""
    plan = Plan(org)
    roster = [r for r in reg.all("member") if r.get("org") == org]
    by_name: dict[str, list[Record]] = defaultdict(list)
    for member in roster:
        by_name[member.get("name")].append(member)
    taken = set(reg.members)
    rows_of: dict[str, int] = {}
    names: dict[str | None, int] = {}
    for row in sheet.rows:  # a name-only row is ambiguous when any other row carries the same name
        if row.values.get("id"):
            names.setdefault(row.values.get("name"), row.number)
    columns = sheet.header.field_columns()
    for row in sheet.rows:
        record, member_id, problem = _match(reg, org, row, by_name, taken, names)
        if problem is None and member_id in rows_of:
            problem = SheetProblem(
                row.number, f"与第 {rows_of[member_id]} 行是同一位党员（编号 {member_id}）", "删除重复的一行"
            )
        if problem is not None:
            plan.problems.append(problem)
            continue
        rows_of[member_id] = row.number
        data, problems = merged_member(row, record, member_id, org, columns)
        if problems or row.failed:
            plan.problems += problems
        elif record is not None and data == record.data:
            plan.unchanged += 1
        else:
            plan.problems += _unclean(record, row)
            plan.changes.append(Change(row, data, record))
    plan.missing = [r for r in roster if r.id not in rows_of]
    return plan


def _match(
    reg: Registry,
    org: str,
    row: SheetRow,
    by_name: dict[str, list[Record]],
    taken: set[str],
    names: dict[str | None, int],
) -> tuple[Record | None, str, SheetProblem | None]:
    """The existing member a row describes (None: a new one), its id, or why the row cannot be matched."""
    member_id = row.values.get("id")
    if member_id:
        record = reg.members.get(member_id)
        if record is not None and record.get("org") != org:
            other = record.get("org")
            name = reg.orgs[other].get("name", other) if other in reg.orgs else other
            return (
                None,
                member_id,
                SheetProblem(
                    row.number,
                    f"编号 `{member_id}` 已是「{name}」（{other}）的党员",
                    "检查编号；转接组织关系，请先在登记簿里修改这位党员的 org",
                ),
            )
        return record, member_id, None
    name = row.values["name"]
    if name in names and names[name] != row.number:
        return (
            None,
            "",
            SheetProblem(
                row.number,
                f"表格里有两位「{name}」（第 {names[name]} 行和这一行）",
                "加一列「编号」，写上各自的党员编号，才能区分同名的人",
            ),
        )
    names[name] = row.number
    matches = by_name.get(name, [])
    if len(matches) > 1:
        return (
            None,
            "",
            SheetProblem(
                row.number,
                f"名册里有 {len(matches)} 位「{name}」，不知道是哪一位",
                "加一列「编号」写上党员编号（dangjian export roster 导出的表格里有）",
            ),
        )
    if matches:
        return matches[0], cast(str, matches[0].id), None  # a member always has an id
    return None, new_member_id(org, row.number, taken), None


def new_member_id(org: str, row: int, taken: set[str]) -> str:
    """`m-<org>-<row>` (pinyin needs a dictionary dangjian does not ship), made unique; reserved in `taken`."""
    base = candidate = f"m-{org}-{row}"
    suffix = 2
    while candidate in taken:
        candidate = f"{base}-{suffix}"
        suffix += 1
    taken.add(candidate)
    return candidate


def merged_member(
    row: SheetRow, record: Record | None, member_id: str, org: str, columns: dict[str, Column]
) -> tuple[dict[str, Any], list[SheetProblem]]:
    """The member as it will be: the registry's data with the sheet's columns applied, and what is wrong with it."""
    data: dict[str, Any] = dict(record.data) if record is not None else {"org": org}
    data["id"] = member_id
    for name in SIMPLE_FIELDS:
        if name in columns:
            _put(data, name, row.values.get(name))
    problems = []
    if columns.keys() & FLOW_FIELDS.keys() and not row.failed & FLOW_FIELDS.keys():
        flow, problem = _flow(row, data.get("flow"), columns)
        _put(data, "flow", flow)
        problems += [problem] if problem else []
    problems += _consistency(row, data, columns)
    return {key: data[key] for key in sorted(data, key=_order)}, problems


def _put(data: dict[str, Any], name: str, value: Any) -> None:
    if value is None:
        data.pop(name, None)
    else:
        data[name] = value


def _order(key: str) -> int:
    return MEMBER_ORDER.index(key) if key in MEMBER_ORDER else len(MEMBER_ORDER)


def _flow(row: SheetRow, old: dict | None, columns: dict[str, Column]) -> tuple[dict | None, SheetProblem | None]:
    """The member's `flow` from the sheet's 流动 columns, keeping parts the sheet has no column for."""
    flow = dict(old or {})
    for name, key in FLOW_FIELDS.items():
        if name in columns:
            _put(flow, key, row.values.get(name))
    place_column = columns.get("flow_place")
    if "flow_direction" not in columns and "place" in flow and "direction" not in flow:
        flow["direction"] = (place_column.direction if place_column else None) or "out"
    if "direction" not in flow:
        if "place" in flow or "since" in flow:
            if "flow_direction" in columns:
                return None, SheetProblem(
                    row.number,
                    "填写了流动地点或时间，但流动情况是空的",
                    "流动情况写 流出 或 流入；不是流动党员就清空地点和时间",
                )
            return None, SheetProblem(row.number, "只有流动时间，没有流动地点", "填写流动地点，或清空流动时间")
        return None, None
    if "place" not in flow:
        return None, SheetProblem(row.number, "流动党员要写流动地点", "填写流出到哪里（或从哪里流入）")
    return {key: flow[key] for key in ("direction", "place", "since") if key in flow}, None


def _consistency(row: SheetRow, data: dict[str, Any], columns: dict[str, Column]) -> list[SheetProblem]:
    """The member rules of the format, said in the sheet's terms (not about cells already reported unreadable)."""
    status = data.get("status")
    if row.failed & {"status", "joined"}:
        return []
    if status is None:
        hint = "填写党员状态" if "status" in columns else "表格加一列「党员状态」（或「政治面貌」）"
        return [SheetProblem(row.number, "缺少党员状态", hint)]
    problems = []
    if status in SCORED_STATUSES and "joined" not in data:
        hint = "填写入党时间（政治生日）" if "joined" in columns else "表格加一列「入党时间」"
        problems.append(SheetProblem(row.number, f"{status}必须有入党时间", hint))
    elif status not in SCORED_STATUSES and "joined" in data:
        problems.append(SheetProblem(row.number, f"{status}还没有入党，不应有入党时间", "删除入党时间，或改正党员状态"))
    if "grade" in data and "书记" not in data.get("posts", []) and not row.failed & {"grade", "posts"}:
        problems.append(SheetProblem(row.number, "只有书记才有书记星级", "删除书记星级，或在职务里写上 书记"))
    return problems


def is_clean(record: Record) -> bool:
    """True when every key written for the member was read without a problem (so rewriting loses nothing)."""
    raw = record.doc.tree()
    for step in record.base:
        raw = raw[step]
    return _same_shape(raw, record.data)


def _same_shape(raw: Any, value: Any) -> bool:
    """Every key and list item of the raw YAML value survived conversion."""
    if isinstance(raw, dict):
        return isinstance(value, dict) and set(raw) == set(value) and all(_same_shape(raw[k], value[k]) for k in raw)
    if isinstance(raw, list):
        return isinstance(value, list) and len(raw) == len(value) and all(map(_same_shape, raw, value))
    return raw is not None


def _unclean(record: Record | None, row: SheetRow) -> list[SheetProblem]:
    """A member whose registry entry has invalid keys cannot be rewritten without losing them."""
    if record is None or is_clean(record):
        return []
    line = record.pos()[0]
    return [
        SheetProblem(
            row.number,
            f"名册里这位党员的记录有错误（{record.file} 第 {line} 行），不能自动更新",
            "先运行 dangjian validate 并修正，再导入",
        )
    ]


# --- file edits --------------------------------------------------------------------------------


@dataclass
class Edits:
    """The new text of every file the import changes, and which sheet row each member comes from."""

    files: dict[str, TextFile] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # member id -> sheet row

    def row_at(self, file: str, line: int) -> int | None:
        """The sheet row whose member the 1-based `line` of `file` belongs to, if any."""
        edited = self.files.get(file)
        if edited is None:
            return None
        doc = parse_yaml(edited.text, file)
        starts = (item_starts(edited, doc) if isinstance(doc.value, list) else None) or []
        for index, start in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else float("inf")
            item = doc.value[index]
            if start < line <= end and isinstance(item, dict):
                member_id = item.get("id")
                return self.rows.get(member_id) if isinstance(member_id, str) else None
        return None


def member_text(data: dict[str, Any], indent: int = 0) -> str:
    """One member as a block list item in the canonical layout (`dangjian fmt`, what the CMS writes), shifted
    right by `indent` for a file whose items are indented."""
    plain = "".join(line + "\n" for line in as_list_item(record_lines(data), 0))
    canonical = canonical_text(plain, "member", "registry/members/import.yaml")
    return "".join(" " * indent + line if line.strip() else line for line in canonical.splitlines(keepends=True))


def roster_file(reg: Registry, org: str) -> str:
    """The file new members of `org` go to: the one listing most of its members, else beside the org's own file."""
    counts = Counter(r.file for r in reg.all("member") if r.get("org") == org)
    if counts:
        return min(counts, key=lambda f: (-counts[f], f))
    return f"registry/members/{org_folder(reg, org)}{org}.yaml"


def org_folder(reg: Registry, org: str) -> str:
    """The subfolder (with a trailing `/`, or empty) of the org's file under registry/orgs/."""
    record = reg.orgs.get(org)
    if record is None:
        return ""
    parent = PurePosixPath(record.file).parent.as_posix()
    folder = parent.removeprefix("registry/orgs").strip("/")
    return f"{folder}/" if folder else ""


def roster_header(reg: Registry, org: str) -> str:
    """The comment that opens a roster file the import creates."""
    name = reg.orgs[org].get("name", org)
    return (
        f"# 党员名册：{name}（{org}）\n"
        "# 每位党员一项，可以手工修改；也可以用 dangjian import roster 从表格导入，再次导入时只更新表格里有的列。\n"
        "# 不要在这里写身份证号码、手机号码。\n"
    )


def plan_edits(root: Path, reg: Registry, plan: Plan) -> Edits:
    """The new text of each roster file the plan touches; refuses files it cannot edit safely."""
    edits = Edits(rows={c.id: c.row.number for c in plan.changes})
    by_file: dict[str, list[Change]] = defaultdict(list)
    for change in plan.updated:
        by_file[_record(change).file].append(change)
    for rel, changes in sorted(by_file.items()):
        edits.files[rel] = _with_updates(root, reg, rel, changes)
    if plan.added:
        rel = roster_file(reg, plan.org)
        base = edits.files.get(rel) or read_file(root, rel)
        edits.files[rel] = _with_additions(reg, plan, base)
    return edits


def _with_updates(root: Path, reg: Registry, rel: str, changes: list[Change]) -> TextFile:
    file = read_file(root, rel)
    doc = list_doc(file)
    indent = item_indent(file, doc)
    replacements = {_index(c): member_text(c.data, indent) for c in changes}
    text = replace_items(file, doc, replacements)
    if text is None:
        text = _rewritten(reg, rel, doc, {_index(c): c.data for c in changes})
    edited = TextFile(rel, text, file.bom, file.newline, file.exists)
    _check_items(edited, len(doc.value))
    return edited


def _record(change: Change) -> Record:
    """The registry record an update changes (`Plan.updated` holds only changes that have one)."""
    return cast(Record, change.record)


def _index(change: Change) -> int:
    """Where an updated member stands in its roster file, which is a list: the first step of its path."""
    return cast(int, _record(change).base[0])


def _rewritten(reg: Registry, rel: str, doc: YamlDoc, changed: dict[int, dict[str, Any]]) -> str:
    """The whole roster file written afresh: only for layouts that cannot be edited item by item."""
    records = [r for r in reg.all("member") if r.file == rel]
    if len(records) != len(doc.value) or not all(is_clean(r) for r in records):
        raise Refusal(
            f"{rel} 的写法无法逐项修改，其中又有错误的记录 — "
            "先运行 dangjian validate 修正，或把它改成每项以 `- ` 开头的列表"
        )
    items = [changed.get(cast(int, r.base[0]), r.data) for r in records]  # a list file: each path starts with its index
    return REWRITE_HEADER + "".join(member_text(item) for item in items)


def _with_additions(reg: Registry, plan: Plan, file: TextFile) -> TextFile:
    doc = list_doc(file)
    count = len(doc.value or [])
    indent = item_indent(file, doc)
    snippet = "".join(member_text(c.data, indent) for c in plan.added)
    if file.text.strip():
        text = append_text(file, snippet)
    else:
        text = roster_header(reg, plan.org) + snippet
    edited = TextFile(file.path, text, file.bom, file.newline, file.exists)
    _check_items(edited, count + len(plan.added))
    return edited


def _check_items(file: TextFile, expected: int) -> None:
    """The edited text must still parse to the expected number of items (a guard against layout surprises)."""
    doc = parse_yaml(file.text, file.path)
    if not isinstance(doc.value, list) or len(doc.value) != expected or any(p.code == "syntax" for p in doc.problems):
        raise Refusal(
            f"无法安全地修改 {file.path}（修改后的内容读不出原有的各项）— "
            "请手工添加，或把文件改成每项以 `- ` 开头的列表"
        )
