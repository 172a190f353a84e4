"""`dangjian new`: what each record type asks for, and the commented skeleton written for it.

Comments come from the schema (`recordtypes.py`): each written field carries its one-line
doc, and the optional fields declared `new=True` with an `example=` are listed commented out,
ready to be switched on (a field added there is offered without a change here). The questions,
with their prompts, defaults and checks, are written below.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Callable

from ..model import Registry
from ..recordtypes import (
    ACTIVITY_KINDS,
    MEMBER_STATUSES,
    ORG_DOMAINS,
    ORG_KINDS,
    POSTS,
    PROJECT_CATEGORIES,
    PROJECT_STATUSES,
    RECORD_TYPES,
    SCORED_STATUSES,
)
from ..schema import Enum, List
from . import checks
from .asking import Answers, Question
from .fmt import Unformattable, canonical_text
from .merge import org_folder, roster_file, roster_header
from .pending import TextFile, read_file
from .yamltext import append_text, as_list_item, field_line, item_indent, list_doc, with_comment


@dataclass
class Draft:
    """The file a new record goes into, with its whole new text."""

    kind: str
    record_id: str
    file: TextFile
    appended: bool = False  # added at the end of an existing list file
    added: str = ""  # the new record's own text (the whole file, unless appended)

    def __post_init__(self) -> None:
        self.added = self.added or self.file.text

    @property
    def path(self) -> str:
        return self.file.path


@dataclass(frozen=True)
class Scaffold:
    """One `dangjian new` subcommand: its questions and how it drafts the file."""

    kind: str
    help: str
    questions: tuple[Question, ...]
    draft: Callable[[Registry, Answers], Draft]


def today() -> datetime.date:
    """Today's date (a function so tests can fix it)."""
    return datetime.date.today()


# --- comments from the schema ------------------------------------------------------------------


def comment_for(kind: str, key: str) -> str:
    """The field's doc, with its choices when it has a fixed list."""
    spec = RECORD_TYPES[kind].schema.by_name[key]
    values = spec.type.values if isinstance(spec.type, Enum) else None
    if isinstance(spec.type, List) and isinstance(spec.type.item, Enum):
        values = spec.type.item.values
    return f"{spec.doc}：{' '.join(values)}" if values else spec.doc


def field_lines(kind: str, values: list[tuple[str, Any]]) -> list[str]:
    """`key: value  # doc` for each field that has a value."""
    return [with_comment(field_line(key, value), comment_for(kind, key)) for key, value in values if value is not None]


def hint_lines(kind: str, written: list[tuple[str, Any]], examples: dict[str, str] | None = None) -> list[str]:
    """The fields declared `new=` with an `example=` (recordtypes.py) that `written` did not fill, commented
    out: `# key: example  # doc`, in declaration order. `examples` replaces a declared example by one
    drawn from the registry or the answers (a brand's logo named after its id)."""
    filled = {key for key, value in written if value is not None}
    lines = []
    for spec in RECORD_TYPES[kind].schema.fields:
        example = (examples or {}).get(spec.name, spec.example)
        if not spec.new or not example or spec.name in filled:
            continue
        key = spec.name
        first, *rest = example.split("\n")
        lines.append(with_comment(f"# {key}: {first}", comment_for(kind, key)))
        lines += [f"#{line}" for line in rest]
    return lines


def heading(kind: str, name: str, with_hints: bool) -> list[str]:
    """The opening comment of a one-record file."""
    how = "去掉行首的 # 即可启用列出的可选字段；" if with_hints else ""
    return [
        f"# {RECORD_TYPES[kind].title}：{name}",
        f"# 由 dangjian new {kind} 生成。{how}字段说明见字段参考（fields.md）。",
    ]


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def canonical(kind: str, rel: str, lines: list[str]) -> str:
    """The lines as one text in the layout `dangjian fmt` and the CMS write (fields in declaration order,
    block lists); text the layout cannot take stays as drafted, and validation names its problem."""
    text = _text(lines)
    try:
        return canonical_text(text, kind, rel)
    except Unformattable:
        return text


# --- organizations -----------------------------------------------------------------------------


def _parent_domain(answers: Answers, reg: Registry) -> str | None:
    parent = reg.orgs.get(answers.get("parent", ""))
    return parent.get("domain") if parent is not None else None


def org_draft(reg: Registry, a: Answers) -> Draft:
    """registry/orgs/<parent's folder>/<id>.yaml."""
    rel = f"registry/orgs/{org_folder(reg, a['parent'])}{a['id']}.yaml"
    values = [
        ("id", a["id"]),
        ("name", a["name"]),
        ("kind", a["kind"]),
        ("parent", a["parent"]),
        ("domain", a["domain"]),
    ]
    lines = heading("org", a["name"], True) + field_lines("org", values) + hint_lines("org", values)
    return Draft("org", a["id"], TextFile(rel, canonical("org", rel, lines)))


ORG = Scaffold(
    "org",
    "新建一个组织（党委、党总支、党支部……）。",
    (
        Question(
            "id", "组织编号（小写拼音和 -，例如 caota-dongcun）", checks.new_id("org"), help="组织编号，也是文件名"
        ),
        Question("name", "组织全称（例如 东村党支部）", checks.text, help="组织全称"),
        Question("parent", "上级组织的编号", checks.reference("org"), help="上级组织的编号"),
        Question(
            "kind",
            "组织类别（" + "/".join(ORG_KINDS) + "）",
            checks.choice(*ORG_KINDS),
            lambda a, r: "党支部",
            help="组织类别，默认 党支部",
        ),
        Question(
            "domain",
            "所属领域（" + "/".join(ORG_DOMAINS) + "）",
            checks.choice(*ORG_DOMAINS),
            _parent_domain,
            help="所属领域，默认与上级组织相同",
        ),
    ),
    org_draft,
)


# --- members -----------------------------------------------------------------------------------


def _next_member_id(answers: Answers, reg: Registry) -> str | None:
    org = answers.get("org")
    if org is None:
        return None
    number = len(reg.members_of.get(org, [])) + 1
    while f"m-{org}-{number}" in reg.members:
        number += 1
    return f"m-{org}-{number}"


def _scored(answers: Answers) -> bool:
    return answers.get("status") in SCORED_STATUSES


def _joined(raw: str, answers: Answers, reg: Registry) -> datetime.date:
    if not _scored(answers):
        raise checks.AnswerError(f"{answers.get('status', '这位党员')}还没有入党，不填入党日期")
    return checks.date(raw, answers, reg)


def member_draft(reg: Registry, a: Answers) -> Draft:
    """One item appended to the org's roster file (created beside the org's file if there is none)."""
    values = [
        ("id", a["id"]),
        ("name", a["name"]),
        ("org", a["org"]),
        ("status", a["status"]),
        ("joined", a.get("joined")),
        ("posts", a.get("posts") or None),
        ("born", a.get("born")),
        ("gender", a.get("gender")),
    ]
    lines = field_lines("member", values) + hint_lines("member", values)
    rel = roster_file(reg, a["org"])
    return _appended(reg, "member", a["id"], rel, lines, roster_header(reg, a["org"]))


def _appended(reg: Registry, kind: str, record_id: str, rel: str, lines: list[str], header: str) -> Draft:
    """A draft adding one item to the list file `rel`, every existing byte kept."""
    file = read_file(reg.root, rel)
    doc = list_doc(file)
    pad = " " * item_indent(file, doc)  # the file's own item indentation (none in the canonical layout)
    snippet = "".join(f"{pad}{line}" if line.strip() else line for line in _item(kind, rel, lines).splitlines(True))
    if not file.text.strip():
        text = header + snippet
        return Draft(kind, record_id, TextFile(rel, text, file.bom, file.newline, file.exists), file.exists, snippet)
    spaced = "\n" if "\n\n" in file.text.replace("\r\n", "\n").rstrip("\n") else ""  # items separated by blank lines
    text = append_text(file, spaced + snippet)
    return Draft(kind, record_id, TextFile(rel, text, file.bom, file.newline, True), True, snippet)


def _item(kind: str, rel: str, lines: list[str]) -> str:
    """One record as the item of a list file, in the canonical layout."""
    return canonical(kind, rel, as_list_item(lines))


MEMBER = Scaffold(
    "member",
    "在组织的名册末尾添加一位党员（或入党积极分子等）。",
    (
        Question("name", "姓名", checks.person_name, help="姓名"),
        Question(
            "org", "所在组织的编号（例如 caota-xinan）", checks.reference("org"), help="所在支部（或党小组）的编号"
        ),
        Question(
            "status",
            "党员状态（" + "/".join(MEMBER_STATUSES) + "）",
            checks.choice(*MEMBER_STATUSES),
            help="入党申请人、入党积极分子、发展对象、预备党员 或 正式党员",
        ),
        Question(
            "joined",
            "入党日期（政治生日，例如 2010-07-01）",
            _joined,
            required=_scored,
            help="入党日期；预备党员、正式党员必须填写",
        ),
        Question("id", "党员编号", checks.new_id("member"), _next_member_id, help="党员编号，默认 m-<组织>-<序号>"),
        Question(
            "post",
            "职务（" + "/".join(POSTS) + "，可写多个）",
            checks.posts,
            required=False,
            help="党内职务；可重复写多次（--post 书记 --post 组织委员）",
        ),
        Question("gender", "性别（男/女）", checks.gender, required=False, help="男 或 女"),
        Question("born", "出生年份", checks.year, required=False, help="出生年份（只写年）"),
    ),
    lambda reg, a: member_draft(reg, {**a, "posts": a.get("post")}),
)


# --- secretary projects ------------------------------------------------------------------------


def _secretary(answers: Answers, reg: Registry) -> str | None:
    org = reg.orgs.get(answers.get("org", ""))
    secretary = org.get("secretary") if org is not None else None
    return secretary if secretary in reg.members else None


def project_draft(reg: Registry, a: Answers) -> Draft:
    """registry/projects/<the org's folder>/<id>.yaml."""
    rel = f"registry/projects/{org_folder(reg, a['org'])}{a['id']}.yaml"
    values = [
        ("id", a["id"]),
        ("title", a["title"]),
        ("org", a["org"]),
        ("lead", a["lead"]),
        ("category", a["category"]),
        ("year", a["year"]),
        ("status", a["status"]),
        ("problem", a["problem"]),
        ("goal", a["goal"]),
    ]
    lines = heading("project", a["title"], True) + field_lines("project", values) + hint_lines("project", values)
    return Draft("project", a["id"], TextFile(rel, canonical("project", rel, lines)))


PROJECT = Scaffold(
    "project",
    "新建一个书记项目。",
    (
        Question(
            "id", "项目编号（例如 caota-2026-xinan-laoren）", checks.new_id("project"), help="项目编号，也是文件名"
        ),
        Question("title", "项目名称", checks.text, help="项目名称"),
        Question("org", "承担项目的组织编号", checks.reference("org"), help="承担项目的组织编号"),
        Question(
            "lead",
            "领办书记的党员编号",
            checks.reference("member"),
            _secretary,
            help="领办书记的党员编号，默认本组织的书记",
        ),
        Question(
            "category",
            "项目类别（" + "/".join(PROJECT_CATEGORIES) + "）",
            checks.choice(*PROJECT_CATEGORIES),
            lambda a, r: "常规性",
            help="项目类别，默认 常规性",
        ),
        Question("year", "立项年份", checks.year, lambda a, r: str(today().year), help="立项年份，默认今年"),
        Question(
            "status",
            "项目状态（" + "/".join(PROJECT_STATUSES) + "）",
            checks.choice(*PROJECT_STATUSES),
            lambda a, r: "立项",
            help="项目状态，默认 立项",
        ),
        Question(
            "problem",
            "要解决的问题（一句话，以后可以补充）",
            checks.text,
            lambda a, r: "（待填写）要解决的问题",
            help="要解决的问题",
        ),
        Question("goal", "目标（一句话，以后可以补充）", checks.text, lambda a, r: "（待填写）目标", help="目标"),
    ),
    project_draft,
)


# --- stories -----------------------------------------------------------------------------------


def story_draft(reg: Registry, a: Answers) -> Draft:
    """content/stories/<slug>.md: front matter, then a placeholder body."""
    rel = f"content/stories/{a['id']}.md"
    values = [("title", a["title"]), ("date", a["date"]), ("org", a.get("org")), ("brand", a.get("brand"))]
    lines = ["---", f"# 典型事迹：{a['title']}（由 dangjian new story 生成；去掉行首的 # 即可启用可选字段）"]
    lines += field_lines("story", values) + hint_lines("story", values) + ["---"]
    body = ["<!-- 在下面写正文（Markdown）。不要写不公开党员的姓名，也不要写身份证号码和手机号码。 -->", "", "正文。"]
    return Draft("story", a["id"], TextFile(rel, canonical("story", rel, lines + body)))


STORY = Scaffold(
    "story",
    "新建一篇典型事迹（Markdown）。",
    (
        Question(
            "id",
            "文件名（也是网址，小写拼音和 -，例如 caota-xinan-qingsao）",
            checks.new_id("story"),
            help="文件名（网址），小写拼音和 -",
        ),
        Question("title", "标题", checks.text, help="标题"),
        Question(
            "date", "日期（例如 2026-03-01）", checks.date, lambda a, r: today().isoformat(), help="日期，默认今天"
        ),
        Question("org", "相关组织的编号", checks.reference("org"), required=False, help="相关组织的编号"),
        Question("brand", "相关党建品牌的编号", checks.reference("brand"), required=False, help="相关党建品牌的编号"),
    ),
    story_draft,
)


# --- activities --------------------------------------------------------------------------------


def _activity_id(answers: Answers, reg: Registry) -> str | None:
    if "org" not in answers or "date" not in answers:
        return None
    base = candidate = f"{answers['org']}-{answers['date'].isoformat()}"
    number = 2
    while candidate in reg.ids("activity"):
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def activity_file(reg: Registry, org: str, year: int) -> str:
    """registry/activities/**/<org>-<year>.yaml if it exists, else beside the org's other files."""
    name = f"{org}-{year}.yaml"
    for path in sorted((reg.root / "registry/activities").rglob(name)):
        return path.relative_to(reg.root).as_posix()
    return f"registry/activities/{org_folder(reg, org)}{name}"


def activity_draft(reg: Registry, a: Answers) -> Draft:
    """One item appended to the org's activity file for that year."""
    values = [("id", a["id"]), ("org", a["org"]), ("date", a["date"]), ("kind", a["kind"]), ("title", a["title"])]
    rules = {"rule": rule} if (rule := next(iter(reg.points_rules), None)) else {}  # the registry's first rule
    lines = field_lines("activity", values) + hint_lines("activity", values, rules)
    rel = activity_file(reg, a["org"], a["date"].year)
    name = reg.orgs[a["org"]].get("name", a["org"])
    return _appended(
        reg, "activity", a["id"], rel, lines, f"# {name} {a['date'].year} 年的活动（由 dangjian new activity 建立）\n"
    )


ACTIVITY = Scaffold(
    "activity",
    "在组织当年的活动文件末尾添加一次活动（主题党日、党课……）。",
    (
        Question("org", "组织活动的组织编号", checks.reference("org"), help="组织活动的组织编号"),
        Question(
            "date",
            "活动日期（例如 2026-03-05）",
            checks.date,
            lambda a, r: today().isoformat(),
            help="活动日期，默认今天",
        ),
        Question(
            "kind",
            "活动类别（" + "/".join(ACTIVITY_KINDS) + "）",
            checks.choice(*ACTIVITY_KINDS),
            lambda a, r: "主题党日",
            help="活动类别，默认 主题党日",
        ),
        Question("title", "活动名称", checks.text, help="活动名称"),
        Question("id", "活动编号", checks.new_id("activity"), _activity_id, help="活动编号，默认 <组织>-<日期>"),
    ),
    activity_draft,
)


# --- brands ------------------------------------------------------------------------------------


def brand_draft(reg: Registry, a: Answers) -> Draft:
    """registry/brands/<id>.yaml, or beside its umbrella brand's file."""
    parent = reg.brands.get(a.get("parent", ""))
    folder = PurePosixPath(parent.file).parent.as_posix().removeprefix("registry/brands").strip("/") if parent else ""
    rel = f"registry/brands/{folder + '/' if folder else ''}{a['id']}.yaml"
    values = [
        ("id", a["id"]),
        ("name", a["name"]),
        ("owner", a["owner"]),
        ("parent", a.get("parent")),
        ("slogan", a.get("slogan")),
    ]
    examples = {"logo": f"brands/{a['id']}.svg"}
    lines = heading("brand", a["name"], True) + field_lines("brand", values) + hint_lines("brand", values, examples)
    return Draft("brand", a["id"], TextFile(rel, canonical("brand", rel, lines)))


BRAND = Scaffold(
    "brand",
    "新建一个党建品牌。",
    (
        Question(
            "id", "品牌编号（小写拼音和 -，例如 qicai-hongse）", checks.new_id("brand"), help="品牌编号，也是文件名"
        ),
        Question("name", "品牌名称", checks.text, help="品牌名称"),
        Question("owner", "创建品牌的组织编号", checks.reference("org"), help="创建品牌的组织编号"),
        Question(
            "parent", "上级（总）品牌的编号", checks.reference("brand"), required=False, help="上级（总）品牌的编号"
        ),
        Question("slogan", "品牌口号", checks.text, required=False, help="品牌口号"),
    ),
    brand_draft,
)


SCAFFOLDS: dict[str, Scaffold] = {s.kind: s for s in (ORG, MEMBER, PROJECT, STORY, ACTIVITY, BRAND)}
