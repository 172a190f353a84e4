"""Files to records: find the registry's files, and load each one (a pure function of its bytes)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path as FsPath, PurePosixPath
from typing import Any

from . import fastrows, mdcost
from .personal import scan_escaped_values, scan_text
from .problems import Problem
from .recordtypes import NESTED_KINDS, RECORD_TYPES, RecordType
from .schema import ID_PATTERN, INVALID, MAX_ID_LENGTH, Checker, Reference
from . import yamlfast
from .text import decode, invisible_characters, line_col, normalize_breaks
from .yamlfile import Path, Pos, YamlDoc, parse_scanned

REGISTRY = "registry"  # the folder of the records; stories and pages live beside it, under content/

# Each kind's fixed path, or (folder, suffix), from its declaration in recordtypes.py; the deepest folder first.
_FIXED: dict[str, str] = {t.fixed_path: kind for kind, t in RECORD_TYPES.items() if t.fixed_path is not None}
_FOLDERS: tuple[tuple[str, str, str], ...] = tuple(
    sorted(
        ((t.folder, t.suffix, kind) for kind, t in RECORD_TYPES.items() if t.folder is not None),
        key=lambda place: -place[0].count("/"),
    )
)
# The folders discover walks: the whole registry (a YAML file in no kind's folder is a problem), and content's.
_TOPS = (REGISTRY, *(folder.rstrip("/") for folder, _, _ in _FOLDERS if not folder.startswith(f"{REGISTRY}/")))


def _places_hint() -> str:
    """Where record files go: `registry/orgs、members、… 或 assessments/results`, from the declarations."""
    folders = [t.folder.rstrip("/") for t in RECORD_TYPES.values() if t.folder and t.folder.startswith(f"{REGISTRY}/")]
    named = [folders[0], *(folder.removeprefix(f"{REGISTRY}/") for folder in folders[1:])]
    return f"记录文件应放在 {'、'.join(named[:-1])} 或 {named[-1]} 下"


_PLACES_HINT = _places_hint()


@dataclass
class SourceFile:
    """A file of the registry and the record type it holds."""

    path: str  # relative to the root, with `/`
    kind: str


@dataclass(slots=True)
class Record:
    """One record as written: converted field values plus where each came from."""

    kind: str
    data: dict[str, Any]
    file: str
    base: Path
    doc: YamlDoc
    refs: list[Reference] = field(default_factory=list)
    assets: list[tuple[str, Path]] = field(default_factory=list)
    slug: str | None = None  # stories and pages: the file name, which gives the address
    body: str = ""  # stories and pages: the Markdown after the front matter
    body_line: int = 1

    @property
    def id(self) -> str | None:
        """The record's id (stories and pages: their slug)."""
        return self.data.get("id", self.slug)

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.data[name]

    def pos(self, *sub: str | int) -> Pos:
        """Line and column of a field of this record (or of the record)."""
        return self.doc.pos(self.base + sub)

    def problem(self, sub: Path, message: str, hint: str = "", code: str = "", key: bool = False) -> Problem:
        """A problem located at a field of this record."""
        return self.doc.problem(self.base + sub, message, hint, code, key)


@dataclass
class Loaded:
    """What one file yields: its records, its own problems, and the ids it failed to define.

    `shadows` lists (kind, id) pairs a broken file may have meant to define (id None:
    any id of that kind), so references to them are not reported a second time.
    """

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    shadows: list[tuple[str, str | None]] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, ...]:
        # Records as plain tuples, rebuilt in one loop by `_loaded`: a warm validation unpickles
        # every record of the registry, and a constructor call per record and per reference cost
        # three times as much as the rest of unpickling. A plain ledger entry (`_plain_entry`) is
        # kept as its values alone: its paths are made again as shared tuples.
        rows = [
            _plain_entry(r)
            or (
                r.kind,
                r.data,
                r.file,
                r.base,
                r.doc,
                [(x.kind, x.id, x.path) for x in r.refs],
                r.assets,
                r.slug,
                r.body,
                r.body_line,
            )
            for r in self.records
        ]
        return (_loaded, (rows, self.problems, self.shadows))


# The paths of the plain entry at each position of a file: its base and its references' (`(at,)`, `(at, "member")`,
# `(at, "rule")`), the same tuples for that position in every file (176 bytes an entry otherwise: a city holds a
# million). Made as far as `_SHARED_PATHS` positions; past that, each entry its own.
_PATHS: list[tuple[tuple[int], tuple[int, str], tuple[int, str]]] = []
_SHARED_PATHS = 1 << 14


def entry_paths(at: int) -> tuple[tuple[int], tuple[int, str], tuple[int, str]]:
    """The base of the plain ledger entry at position `at` of its file and its references' paths (shared tuples)."""
    paths = _PATHS
    if at < len(paths):
        return paths[at]
    if at >= _SHARED_PATHS:
        return (at,), (at, "member"), (at, "rule")
    while len(paths) <= at:
        n = len(paths)
        paths.append(((n,), (n, "member"), (n, "rule")))
    return paths[at]


_ENTRY_FIELDS = ["member", "date", "rule"]
_NOTED_FIELDS = ["member", "date", "rule", "note"]


def _plain_entry(record: Record) -> tuple | None:
    """`(file, doc, position, member, date, rule, note or None)` of a ledger entry that `records_from_rows` makes again
    exactly from them: its fields member, date, rule and maybe a text note, in that order, references to the member
    and the rule at their paths, nothing else. None for any other record."""
    if record.kind != "ledger" or record.assets or record.slug is not None or record.body or record.body_line != 1:
        return None
    base, refs, data = record.base, record.refs, record.data
    if len(base) != 1 or type(base[0]) is not int or len(refs) != 2:
        return None
    at, member, rule = base[0], refs[0], refs[1]
    fields = list(data)
    note = data.get("note")
    if (
        (fields != _ENTRY_FIELDS and (fields != _NOTED_FIELDS or type(note) is not str))
        or member.kind != "member"
        or rule.kind != "rule"
        or member.path != (at, "member")
        or rule.path != (at, "rule")
        or type(member.id) is not str
        or type(rule.id) is not str
        or data["member"] != member.id
        or data["rule"] != rule.id
        or type(data["member"]) is not str
        or type(data["rule"]) is not str
    ):
        return None
    return (record.file, record.doc, at, member.id, data["date"], rule.id, note)


def _loaded(rows: list[tuple], problems: list[Problem], shadows: list[tuple[str, str | None]]) -> Loaded:
    """A `Loaded` from its pickled form (see `Loaded.__reduce__`)."""
    return Loaded(records_from_rows(rows), problems, shadows)


def records_from_rows(rows: list[tuple]) -> list[Record]:
    """Records from plain rows, `(kind, fields, file, base, doc, [(ref kind, ref id, ref path)...],
    assets, slug, body, body_line)`, or a plain ledger entry's `(file, doc, position, member, date, rule, note or
    None)` (`_plain_entry`, `fastrows.rows`), built in one loop without a constructor call per record."""
    new = object.__new__
    records = []
    no_assets: list[tuple[str, Path]] = []  # the plain ledger entries' (`_plain_entry`), one list for the file
    for row in rows:
        if len(row) == 7:  # a plain ledger entry
            file, doc, at, member_id, date, rule_id, note = row
            base, member_path, rule_path = entry_paths(at)
            record = new(Record)
            record.kind, record.file, record.base, record.doc = "ledger", file, base, doc
            record.data = (
                {"member": member_id, "date": date, "rule": rule_id}
                if note is None
                else {"member": member_id, "date": date, "rule": rule_id, "note": note}
            )
            record.assets, record.slug, record.body, record.body_line = no_assets, None, "", 1
            member, rule = new(Reference), new(Reference)
            member.kind, member.id, member.path = "member", member_id, member_path
            rule.kind, rule.id, rule.path = "rule", rule_id, rule_path
            record.refs = [member, rule]
            records.append(record)
            continue
        kind, fields, file, base, doc, refs, assets, slug, body, body_line = row
        record = new(Record)
        record.kind, record.data, record.file, record.base, record.doc = kind, fields, file, base, doc
        record.assets, record.slug, record.body, record.body_line = assets, slug, body, body_line
        record.refs = references = []
        for ref_kind, ref_id, ref_path in refs:
            reference = new(Reference)
            reference.kind, reference.id, reference.path = ref_kind, ref_id, ref_path
            references.append(reference)
        records.append(record)
    return records


def classify(path: str) -> str | None:
    """The record type a file at `path` (relative, `/`-separated) holds, if any."""
    kind = _FIXED.get(path)
    if kind is not None:
        return kind
    for folder, suffix, kind in _FOLDERS:
        if path.startswith(folder) and path.endswith(suffix):
            return kind
    return None


def discover(root: FsPath) -> tuple[list[SourceFile], list[Problem]]:
    """Every registry and content file under `root`, sorted; misplaced files are problems."""
    files: list[SourceFile] = []
    problems: list[Problem] = []
    for top in _TOPS:
        for rel, link in _walk(root, top):
            if link:  # never read: it may lead outside the root (/etc/passwd), wherever it points today
                problems.append(Problem(rel, 1, 1, "这是一个符号链接，不会被读取", _LINK_HINT, "symlink"))
                continue
            kind = classify(rel)
            if kind is None:
                problems.extend(_misplaced(rel))
            else:
                files.append(SourceFile(rel, kind))
    return files, problems


_LINK_HINT = "把文件或文件夹本身放进登记簿：符号链接可能指向登记簿之外的文件"


def _walk(root: FsPath, top: str) -> list[tuple[str, bool]]:
    """Every file under `root`/`top` but hidden ones, as (path relative to `root`, whether it is a
    symbolic link), sorted. Links (to files or folders, `top` itself or a folder above it) are listed, never entered."""
    found: list[tuple[str, bool]] = []
    parts = top.split("/")
    for depth in range(1, len(parts) + 1):
        if os.path.islink(os.path.join(root, *parts[:depth])):
            return [("/".join(parts[:depth]), True)]
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(os.path.join(root, folder)) as entries:
                listed = [(entry.name, entry.is_dir(), entry.is_symlink()) for entry in entries]
        except OSError:
            continue  # missing, or unreadable: as os.walk, which skips it
        for name, is_dir, link in listed:
            if name.startswith("."):
                continue
            rel = f"{folder}/{name}"
            if link or not is_dir:
                found.append((rel, link))
            else:
                folders.append(rel)
    return sorted(found)


def _misplaced(rel: str) -> list[Problem]:
    suffix = PurePosixPath(rel).suffix
    if suffix == ".yml":
        return [Problem(rel, 1, 1, "文件扩展名是 .yml", "登记簿统一用 .yaml：把文件改名", "file-name")]
    if suffix == ".yaml" and rel.startswith(f"{REGISTRY}/"):
        return [Problem(rel, 1, 1, "这个位置的 YAML 文件不属于任何记录类型", _PLACES_HINT, "file-place")]
    return []  # README files, images and the like are not records


def load_source(content: bytes, path: str, kind: str) -> Loaded:
    """Load one file's bytes into records and problems. Pure: same bytes, same result."""
    text, problems = decode(content, path)
    loaded = Loaded(problems=problems)
    if text is not None:
        loaded.problems.extend(invisible_characters(text, path))
        text = normalize_breaks(text)
    record_type = RECORD_TYPES[kind]
    if text is None:
        loaded.shadows = _shadows(loaded, path, record_type)
        return loaded
    if record_type.layout == "markdown":
        _load_markdown(text, path, record_type, loaded)
    elif not loaded.problems and yamlfast.enabled() and (plain := fastrows.rows(text, path, record_type)):
        loaded.records = records_from_rows(plain)  # a ledger file in its plain shape: nothing below would find more
        return loaded
    else:
        doc = _parse(text, path)
        loaded.problems.extend(doc.problems)
        _load_records(doc, record_type, loaded)
        loaded.problems.extend(scan_escaped_values(doc, text))
        loaded.problems.extend(escaped_invisible(doc))
        doc.compact(text)
    loaded.problems.extend(scan_text(text, path))
    loaded.shadows = _shadows(loaded, path, record_type)
    return loaded


def _parse(text: str, path: str, line_offset: int = 0) -> YamlDoc:
    """The document of YAML text whose invisible characters load_source has reported: the fast path's when
    it can answer, else the reference parser's (which does not scan for them again)."""
    doc = yamlfast.parse(text, path, line_offset) if yamlfast.enabled() else None
    return doc if doc is not None else parse_scanned(text, path, line_offset)


def escaped_invisible(doc: YamlDoc, text: str = "") -> Iterator[Problem]:
    """Controls and bidi overrides that double-quoted escapes (`"\\u202e"`, `"\\x0b"`) put in a value or key,
    as the parser noted them: the scan of the file's text (invisible_characters) cannot see them, the site
    would show them. (`text` is not read: the parser saw it.)"""
    for path, char in doc.escaped.items():
        line, column = doc.pos(path)
        problem = next(invisible_characters(char, doc.file))
        yield Problem(doc.file, line, column, problem.message + "（写成了转义）", problem.hint, problem.code)


def _shadows(loaded: Loaded, path: str, record_type: RecordType) -> list[tuple[str, str | None]]:
    """The ids a file failed to define: its stem for one-record files, any id for lists."""
    for nested in NESTED_KINDS.values():  # a broken rulebook may define any points rule
        if record_type.kind == nested.within:
            items = loaded.records[0].get(nested.field, []) if loaded.records else []
            return [] if loaded.records and all("id" in item for item in items) else [(nested.kind, None)]
    if record_type.id_field is None:
        return []
    missing = not loaded.records or any("id" not in r.data for r in loaded.records)
    if not missing and not any(p.code in ("syntax", "alias-bomb", "depth", "complex-key") for p in loaded.problems):
        return []
    return [(record_type.kind, PurePosixPath(path).stem if record_type.file_is_id else None)]


def _load_records(doc: YamlDoc, record_type: RecordType, loaded: Loaded, **extra: Any) -> None:
    if doc.value is None:
        return
    if record_type.layout == "list":
        if not isinstance(doc.value, list):
            loaded.problems.append(
                doc.problem((), f"这个文件应是{record_type.title}的列表", "每一项以 `- ` 开头", "not-a-list")
            )
            return
        items: list[tuple[Path, Any]] = [((i,), item) for i, item in enumerate(doc.value)]
    else:
        items = [((), doc.value)]
    for base, raw in items:
        record = _convert(doc, record_type, base, raw, loaded, **extra)
        if record is not None:
            loaded.records.append(record)


def _convert(
    doc: YamlDoc, record_type: RecordType, base: Path, raw: Any, loaded: Loaded, **extra: Any
) -> Record | None:
    check = Checker(doc)
    fields = record_type.schema.convert(raw, base, check)
    loaded.problems.extend(check.problems)
    if fields is INVALID:
        return None
    record = Record(record_type.kind, fields, doc.file, base, doc, check.refs, check.assets, **extra)
    if record_type.file_is_id and "id" in fields:
        stem = PurePosixPath(doc.file).stem
        if stem != fields["id"]:
            loaded.problems.append(
                record.problem(
                    ("id",),
                    f"编号 `{fields['id']}` 与文件名 `{stem}` 不一致",
                    f"把文件改名为 {fields['id']}.yaml，或把编号改为 {stem}",
                    "file-name",
                )
            )
    return record


_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_SLUG = re.compile(ID_PATTERN)  # a slug is an id: same characters, same length limit


def _load_markdown(text: str, path: str, record_type: RecordType, loaded: Loaded) -> None:
    slug = PurePosixPath(path).stem
    if len(slug) > MAX_ID_LENGTH:
        loaded.problems.append(
            Problem(
                path,
                1,
                1,
                f"文件名太长（{len(slug)} 个字符）：最多 {MAX_ID_LENGTH} 个字符",
                "文件名就是网址的一部分：取一个简短的拼音名",
                "file-name",
            )
        )
    elif not _SLUG.match(slug):
        loaded.problems.append(
            Problem(
                path,
                1,
                1,
                f"文件名 `{slug}` 不能用作网址",
                "文件名只能用小写英文字母、数字和 `-`（通常用拼音）",
                "file-name",
            )
        )
    elif slug in record_type.reserved:
        loaded.problems.append(
            Problem(
                path,
                1,
                1,
                f"文件名 `{slug}` 是网站自己要用的地址「/{slug}/」（栏目、资源或搜索索引），页面不能用它",
                f"给文件改个名字，例如 {slug}-intro.md（文件名就是页面的网址）",
                "file-name",
            )
        )
    front, body, body_line = "", text, 1
    if text.startswith("---") and text[3:4] in ("\n", "\r"):
        end = _FRONT_MATTER_END.search(text, 4)
        if end is None:
            loaded.problems.append(
                Problem(path, 1, 1, "开头的 `---` 没有对应的结束行", "在前置信息后面加一行 `---`", "front-matter")
            )
            return
        front = text[text.index("\n") + 1 : end.start()]
        body = text[end.end() + 1 :]
        body_line = text.count("\n", 0, end.end()) + 2
    elif record_type.kind == "story":
        loaded.problems.append(
            Problem(
                path,
                1,
                1,
                "典型事迹缺少开头的前置信息（title、date 等）",
                "文件第一行写 `---`，接着写 `title:` 和 `date:`，再写一行 `---`",
                "front-matter",
            )
        )
        return
    if not front.strip():
        doc = YamlDoc(path, value={}, _marks={(): (1, 1)})
    else:
        doc = _parse(front, path, line_offset=1)
        loaded.problems.extend(doc.problems)
    slow = mdcost.slow_offset(body)
    if slow is not None:  # would take minutes to render: found here, never rendered
        line, column = line_col(body, slow)
        loaded.problems.append(
            Problem(path, body_line + line - 1, column, mdcost.MESSAGE, mdcost.HINT, "markdown-slow")
        )
    _load_records(doc, record_type, loaded, slug=slug, body=body, body_line=body_line)
    if front.strip():
        loaded.problems.extend(escaped_invisible(doc))
        doc.compact(front, 1)
