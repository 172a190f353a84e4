"""Field types: how a value written in YAML is checked and converted.

A type converts the loader's raw value (text, list, mapping) into a Python value
and reports what is wrong through a `Checker`. The same declaration yields the
editors' field reference and the JSON Schemas (see `reference.py`).
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import KW_ONLY, dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import mdcost
from .normalise import HAN
from .problems import Problem
from .yamlfile import KEY, Path, YamlDoc

INVALID = object()  # a value that failed its check; the field is left out
MAX_NUMBER_LENGTH = 24  # digits, sign and point: beyond any score, year or count

MAX_ID_LENGTH = 64  # ids become file names and addresses: a 302-character id crashed the build
ID_PATTERN = rf"^[a-z0-9][a-z0-9-]{{0,{MAX_ID_LENGTH - 1}}}$"
_ID_RE = re.compile(ID_PATTERN)
_CANONICAL_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
_NUMBER = re.compile(r"[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATES: dict[str, datetime.date] = {}  # dates already read, by their exact text


@dataclass(slots=True)
class Reference:
    """A value that names a record of another type: checked once all files are loaded."""

    kind: str
    id: str
    path: Path


@dataclass
class Checker:
    """Collects the problems, references and asset paths met while converting one file."""

    doc: YamlDoc
    problems: list[Problem] = field(default_factory=list)
    refs: list[Reference] = field(default_factory=list)
    assets: list[tuple[str, Path]] = field(default_factory=list)

    def report(self, path: Path, message: str, hint: str = "", code: str = "", key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, hint, code, key))


def _shape(raw: Any) -> str:
    if isinstance(raw, dict):
        return "映射（键: 值）"
    if isinstance(raw, list):
        return "列表"
    return f"`{raw}`"


def did_you_mean(word: str, choices: list[str]) -> str:
    """A 'did you mean' hint, or the list of choices when nothing is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if close:
        return f"是不是想写 `{close[0]}`？"
    return "可选：" + "、".join(choices)


_FULL_WIDTH_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)[ \u3000]*：")


def mapping_hint(raw: Any) -> str:
    """How to write a mapping; names the full-width colon when a text reads `key：value`."""
    match = _FULL_WIDTH_KEY.match(raw) if isinstance(raw, str) else None
    if match:
        return f"`{match.group(1)}` 后面是全角冒号“：”：改成半角冒号和一个空格，写成 `{match.group(1)}: …`"
    return "每行写成 `键: 值`"


class FieldType:
    """Base of all field types."""

    label = "值"

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        """The converted value, or INVALID after reporting why."""
        raise NotImplementedError

    def json_schema(self) -> dict:
        """This type as JSON Schema (for editors' completion)."""
        raise NotImplementedError

    def describe(self) -> str:
        """A short Chinese description for the field reference."""
        return self.label


class Text(FieldType):
    """Text; a plain scalar YAML 1.1 would read as a boolean or a changed number is an error."""

    label = "文本"

    def __init__(self, pattern: str | None = None, pattern_doc: str = "", markdown: bool = False) -> None:
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_doc = pattern_doc
        self.markdown = markdown

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        if not isinstance(raw, str):
            check.report(
                path, f"这里应是{self.label}，而不是{_shape(raw)}", "写成一行文字；多行文字用 `|` 开头", "type"
            )
            return INVALID
        if not self.text_is_safe(raw, path, check):
            return INVALID
        if not raw.strip():
            check.report(path, "值是空的", "填写内容，或删除这一行", "empty-value")
            return INVALID
        if self.pattern and not self.pattern.fullmatch(raw):  # not match: `$` also matches before a final "\n"
            check.report(path, f"`{raw}` 不符合格式：{self.pattern_doc}", self.pattern_hint(raw), "pattern")
            return INVALID
        if self.markdown and mdcost.slow_offset(raw) is not None:  # would take minutes to render
            check.report(path, mdcost.MESSAGE, mdcost.HINT, "markdown-slow")
            return INVALID
        return raw

    def pattern_hint(self, raw: str) -> str:
        return f"应为{self.pattern_doc}"

    @staticmethod
    def text_is_safe(raw: str, path: Path, check: Checker) -> bool:
        """False (after reporting) when YAML 1.1 would not have read this plain scalar as this text."""
        kind = check.doc.implicit.get(path)
        if kind == "bool":
            check.report(
                path, f"`{raw}` 在 YAML 里会被读成是/否（布尔值），而不是文字", f'加引号：写成 "{raw}"', "yaml11"
            )
            return False
        if kind in ("int", "float") and not _CANONICAL_NUMBER.fullmatch(raw):
            check.report(
                path, f"`{raw}` 在 YAML 里会被读成另一个数字，而不是这段文字", f'加引号：写成 "{raw}"', "yaml11"
            )
            return False
        return True

    def json_schema(self) -> dict:
        schema: dict = {"type": "string"}
        if self.pattern:
            schema["pattern"] = self.pattern.pattern
        return schema

    def describe(self) -> str:
        if self.markdown:
            return "Markdown 文本"
        return f"文本（{self.pattern_doc}）" if self.pattern_doc else "文本"


class Id(Text):
    """A record id: lowercase ASCII letters, digits and `-`."""

    label = "编号"

    def __init__(self) -> None:
        super().__init__(ID_PATTERN, "小写英文字母、数字和 `-`，以字母或数字开头")

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        if isinstance(raw, str) and len(raw) > MAX_ID_LENGTH:
            check.report(
                path,
                f"编号太长（{len(raw)} 个字符）：最多 {MAX_ID_LENGTH} 个字符",
                "编号会成为文件名和网址的一部分：用简短的拼音，例如 `m-yang-zhangxian`",
                "id-length",
            )
            return INVALID
        return super().convert(raw, path, check)

    def json_schema(self) -> dict:
        return {**super().json_schema(), "maxLength": MAX_ID_LENGTH}

    def pattern_hint(self, raw: str) -> str:
        suggestion = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")
        if suggestion and _ID_RE.fullmatch(suggestion):
            return f"编号只能用小写字母、数字和 `-`（通常用拼音），例如 `{suggestion}`"
        return "编号只能用小写字母、数字和 `-`，通常用拼音，例如 `caota-xinan`"

    def describe(self) -> str:
        return f"编号（小写字母、数字、`-`，最多 {MAX_ID_LENGTH} 个字符）"


class Ref(Id):
    """The id of another record; resolved after loading."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        value = super().convert(raw, path, check)
        if value is not INVALID:
            check.refs.append(Reference(self.kind, value, path))
        return value

    def describe(self) -> str:
        from .recordtypes import title_of  # recordtypes.py imports this module

        return f"{title_of(self.kind)}的编号"


class Enum(Text):
    """One of a fixed list of words."""

    def __init__(self, *values: str) -> None:
        super().__init__()
        self.values = list(values)

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        value = super().convert(raw, path, check)
        if value is INVALID or value in self.values:
            return value
        check.report(path, f"`{raw}` 不是可用的值", did_you_mean(raw, self.values), "enum")
        return INVALID

    def json_schema(self) -> dict:
        return {"type": "string", "enum": self.values}

    def describe(self) -> str:
        return "其中之一：" + "、".join(f"`{v}`" for v in self.values)


class Number(FieldType):
    """A decimal number, kept exact as a Fraction (never a binary float)."""

    label = "数字"

    def __init__(self, minimum: int | None = None, maximum: int | None = None, integer: bool = False) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.integer = integer

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        kind = "整数" if self.integer else "数字"
        if not isinstance(raw, str) or not _NUMBER.fullmatch(raw.strip()):
            hint = "不要写单位或汉字，例如 `45` 或 `17.5`" if isinstance(raw, str) else f"写一个{kind}"
            check.report(path, f"这里应是{kind}，而不是{_shape(raw)}", hint, "type")
            return INVALID
        text = raw.strip()
        if len(text) > MAX_NUMBER_LENGTH:
            check.report(path, f"数字太长（{len(text)} 位）", "登记簿里的分数、年份和人数都不需要这么多位", "range")
            return INVALID
        if _LEADING_ZERO.match(text):
            check.report(
                path,
                f"`{raw}` 以 0 开头：YAML 会把它读成八进制数",
                f"去掉开头的 0，写成 `{text.lstrip('+-').lstrip('0') or '0'}`",
                "yaml11",
            )
            return INVALID
        if self.integer and "." in text:
            check.report(path, f"这里应是整数，而不是 `{raw}`", "去掉小数部分", "type")
            return INVALID
        # A whole number written in ASCII digits alone (a year of birth: 200,000 at city) needs no Decimal.
        value = int(text) if self.integer and text.isdigit() and text.isascii() else Fraction(Decimal(text))
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            check.report(path, f"`{raw}` 超出范围（{self.range_text()}）", f"填写{self.range_text()}的{kind}", "range")
            return INVALID
        return int(value) if self.integer else value

    def range_text(self) -> str:
        if self.maximum is None:
            return f"不小于 {self.minimum}"
        if self.minimum is None:
            return f"不大于 {self.maximum}"
        return f"{self.minimum}..{self.maximum}"

    def json_schema(self) -> dict:
        schema: dict = {"type": "integer" if self.integer else "number"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema

    def describe(self) -> str:
        kind = "整数" if self.integer else "数字（可有小数）"
        if self.minimum is None and self.maximum is None:
            return kind
        return f"{kind}，范围 {self.range_text()}"


def Integer(minimum: int | None = None, maximum: int | None = None) -> Number:
    """A whole number."""
    return Number(minimum, maximum, integer=True)


class Date(FieldType):
    """A real calendar date written YYYY-MM-DD."""

    label = "日期"

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        known = _DATES.get(raw) if isinstance(raw, str) else None
        if known is not None:
            return known
        match = _DATE.fullmatch(raw.strip()) if isinstance(raw, str) else None
        if not match:
            check.report(path, f"这里应是日期，而不是{_shape(raw)}", "日期写成 YYYY-MM-DD，例如 `2026-03-01`", "date")
            return INVALID
        try:
            value = datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            check.report(path, f"`{raw}` 不是真实存在的日期", "检查月份和日子，例如 2 月没有 30 日", "date")
            return INVALID
        if len(_DATES) < 100_000:
            _DATES[raw] = value  # a registry repeats the same few thousand dates
        return value

    def json_schema(self) -> dict:
        return {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"}

    def describe(self) -> str:
        return "日期（YYYY-MM-DD）"


class Bool(FieldType):
    """`true` or `false`."""

    label = "是/否"

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        if isinstance(raw, str) and raw in ("true", "false"):
            return raw == "true"
        check.report(path, f"这里应是 `true` 或 `false`，而不是{_shape(raw)}", "是写 `true`，否写 `false`", "type")
        return INVALID

    def json_schema(self) -> dict:
        return {"type": "boolean"}

    def describe(self) -> str:
        return "`true` 或 `false`"


class Asset(Text):
    """A path of an image under `content/assets/`; checked against the disk after loading."""

    def __init__(self) -> None:
        super().__init__()

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        value = super().convert(raw, path, check)
        if value is not INVALID:
            check.assets.append((value, path))
        return value

    def describe(self) -> str:
        return "图片路径，相对于 `content/assets/`（png、jpg、webp 或 svg）"


class Any_(FieldType):
    """Anything at all (only under `extra:`)."""

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        return raw

    def json_schema(self) -> dict:
        return {}

    def describe(self) -> str:
        return "任意内容"


class List(FieldType):
    """A list of values of one type."""

    label = "列表"

    def __init__(self, item: FieldType, unique: bool = False) -> None:
        self.item = item
        self.unique = unique

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        if not isinstance(raw, list):
            example = f"[{raw}]" if isinstance(raw, str) else "[甲, 乙]"
            check.report(
                path, f"这里应是列表，而不是{_shape(raw)}", f"写成 `{example}`，或每项一行并以 `- ` 开头", "type"
            )
            return INVALID
        out = []
        seen: set = set()
        for index, item in enumerate(raw):
            if item is None:
                check.report(path + (index,), "列表里有空的一项", "删除这一项，或填写内容", "empty-value")
                continue
            value = self.item.convert(item, path + (index,), check)
            if value is INVALID:
                continue
            if self.unique and isinstance(value, str):
                if value in seen:
                    check.report(path + (index,), f"`{value}` 在列表里重复出现", "删除重复的一项", "duplicate-item")
                    continue
                seen.add(value)
            out.append(value)
        return out

    def json_schema(self) -> dict:
        schema: dict[str, Any] = {"type": "array", "items": self.item.json_schema()}
        if self.unique:
            schema["uniqueItems"] = True
        return schema

    def describe(self) -> str:
        return f"列表，每项为{self.item.describe()}"


class Mapping(FieldType):
    """A mapping from keys of one type to values of another (e.g. scores per org)."""

    label = "映射"

    def __init__(self, key: FieldType, value: FieldType) -> None:
        self.key = key
        self.value = value

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        if not isinstance(raw, dict):
            check.report(path, f"这里应是映射（键: 值），而不是{_shape(raw)}", mapping_hint(raw), "type")
            return INVALID
        out = {}
        for raw_key, raw_value in raw.items():
            key = self.key.convert(raw_key, path + (raw_key, KEY), _KeyChecker(check, path + (raw_key,)))
            if raw_value is None:
                check.report(path + (raw_key,), f"`{raw_key}` 的值是空的", "填写值，或删除这一行", "empty-value")
                continue
            value = self.value.convert(raw_value, path + (raw_key,), check)
            if key is not INVALID and value is not INVALID:
                out[key] = value
        return out

    def json_schema(self) -> dict:
        return {"type": "object", "additionalProperties": self.value.json_schema()}

    def describe(self) -> str:
        return f"映射：键为{self.key.describe()}，值为{self.value.describe()}"


class _KeyChecker(Checker):
    """Reports a mapping key's problems at the key's own position."""

    def __init__(self, inner: Checker, key_path: Path) -> None:
        super().__init__(inner.doc, inner.problems, inner.refs, inner.assets)
        self.key_path = key_path

    def report(self, path: Path, message: str, hint: str = "", code: str = "", key: bool = False) -> None:
        super().report(self.key_path, message, hint, code, key=True)


_LABEL_END = re.compile(r"[，；：（(。]| = ")


def label_from_doc(name: str, doc: str) -> str:
    """A short name from a one-line doc: up to its first comma, colon or bracket (`组织编号，与文件名相同` →
    `组织编号`), or the key itself when that is not a short Chinese name."""
    head = _LABEL_END.split(doc, maxsplit=1)[0].strip()
    return head if 0 < len(head) <= 16 and HAN.search(head) else name


@dataclass(frozen=True)
class Field:
    """One field of a record type: name, type, one-line doc (Chinese, for editors), and where it goes.

    The keyword options are read by every consumer, so a field added here reaches them all:
    `tests/test_fields_declared.py` fails for a field that goes nowhere and is not `internal`.
    """

    name: str
    type: FieldType
    doc: str
    required: bool = False
    _: KW_ONLY
    label: str = ""  # short Chinese name: page heading, diff line, form label, schema title (default: from doc)
    page: bool = False  # shown on the site as written (its record's page, or where the record is listed)
    export: str | bool = False  # its column in /api/<kind>.json|csv (True: the field's name); False: none
    diff: bool = False  # `dangjian diff` reports a change of it (label, old → new)
    new: bool = False  # `dangjian new` asks for it, or offers it as a commented line when `example` is set
    example: str = ""  # the value of that commented line
    widget: str = ""  # the CMS widget, when the one derived from the type will not do
    feeds: str = ""  # what is computed from it, when its value is not shown as written (e.g. "scores")
    internal: bool = False  # kept in the file, deliberately not published, asked or diffed (e.g. `extra`)

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", label_from_doc(self.name, self.doc))

    @property
    def column(self) -> str | None:
        """The export column's name, or None when the field is not exported."""
        if self.export is True:
            return self.name
        return self.export or None


class Object(FieldType):
    """A mapping with known fields; unknown keys are errors with a 'did you mean'."""

    label = "映射"

    def __init__(self, *fields: Field) -> None:
        self.fields = fields
        self.by_name = {f.name: f for f in fields}
        self.types = {f.name: f.type for f in fields}
        self.required = [f for f in fields if f.required]

    def convert(self, raw: Any, path: Path, check: Checker) -> Any:
        if not isinstance(raw, dict):
            check.report(path, f"这里应是映射（键: 值），而不是{_shape(raw)}", mapping_hint(raw), "type")
            return INVALID
        out: dict[str, Any] = {}
        types = self.types
        for key, value in raw.items():
            field_type = types.get(key)
            if field_type is None:
                check.report(
                    path + (key,), f"不认识的键 `{key}`", did_you_mean(key, list(self.by_name)), "unknown-key", key=True
                )
            elif value is None:
                check.report(path + (key,), f"`{key}` 的值是空的", self.empty_hint(check, path + (key,)), "empty-value")
            else:
                converted = field_type.convert(value, path + (key,), check)
                if converted is not INVALID:
                    out[key] = converted
        for spec in self.required:
            if spec.name not in raw:
                check.report(
                    path, f"缺少必填的键 `{spec.name}`（{spec.doc}）", f"添加一行 `{spec.name}: …`", "missing-key"
                )
        return out

    @staticmethod
    def empty_hint(check: Checker, path: Path) -> str:
        if check.doc.implicit.get(path) == "comment":
            return '以 # 开头的值会被当作注释：给值加引号，例如 `color: "#c8102e"`'
        return "填写值，或删除这一行"

    def json_schema(self) -> dict:
        schema: dict = {
            "type": "object",
            "properties": {
                f.name: {**f.type.json_schema(), "title": f.label, "description": f.doc} for f in self.fields
            },
            "additionalProperties": False,
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        return schema

    def describe(self) -> str:
        return "映射，键见下表"


EXTRA = Field("extra", Mapping(Text(), Any_()), "自由附加信息：会保存，但不会发布到网站", internal=True)
