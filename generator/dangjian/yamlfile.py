"""Load one YAML file into plain values with the source position of every value.

Loading is a pure function of the file's bytes and its name, so its result can
be cached by content. Every scalar stays text (`str`), plain nulls become `None`:
the schema, not YAML 1.1, decides what a value means. Built iteratively from the
events of PyYAML's C parser, so no input can recurse deeply, expand an alias
bomb, or run a tag's constructor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .problems import Problem
from .text import INVISIBLE, decode, escaped_characters, invisible_characters, normalize_breaks, tab_indents

Path = tuple[str | int, ...]
Pos = tuple[int, int]

MAX_DEPTH = 40  # nesting of mappings and lists
MAX_ALIAS_NODES = 10_000  # values an alias may copy in one file, all aliases together
_FLOW_SCAN_FROM = 1_000  # libyaml is quadratic in flow nesting: count brackets first past this many

_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
FLAGGED = ("bool", "int", "float")  # YAML 1.1 types of plain scalars the schema checks text against


@lru_cache(maxsize=4096)  # a registry repeats its dates and numbers many times over
def yaml11_type(text: str) -> str:
    """What YAML 1.1 would make of a plain scalar: 'str', 'bool', 'int', 'float', 'null', 'timestamp'..."""
    for tag, regexp in _RESOLVERS.get(text[:1], ()):
        if regexp.match(text):
            return tag.rsplit(":", 1)[1]
    return "str"


@dataclass
class YamlDoc:
    """A loaded file: its value tree, the position of each value and key, and its problems.

    Once its records are converted, `compact()` keeps only the text: positions are read
    again, for this file alone, the first time a problem asks for one. A registry of a
    million records then holds text, not a million line/column pairs.
    """

    file: str
    value: Any = None
    _marks: dict[Path, Pos] = field(default_factory=dict)
    _keys: dict[Path, Pos] = field(default_factory=dict)
    implicit: dict[Path, str] = field(default_factory=dict)  # plain scalars YAML 1.1 reads as bool, int or float
    problems: list[Problem] = field(default_factory=list)
    # Double-quoted scalars (values or keys, by the value's path) whose escapes (`"\\u202e"`) make a control
    # or bidi character the scan of the file's text cannot see: the first such character of each.
    escaped: dict[Path, str] = field(default_factory=dict)
    source: tuple[str, int] | None = None  # (text, line offset), kept by compact()
    _positioned: bool = True

    @property
    def marks(self) -> dict[Path, Pos]:
        """Line and column of every value, by path."""
        if not self._positioned:
            self._read_positions()
        return self._marks

    @property
    def keys(self) -> dict[Path, Pos]:
        """Line and column of every mapping key, by the path of its value."""
        if not self._positioned:
            self._read_positions()
        return self._keys

    def compact(self, text: str, line_offset: int = 0) -> None:
        """Forget the value tree and the positions, keeping the (normalised) text to read them again."""
        self.value, self.implicit, self._marks, self._keys, self.escaped = None, {}, {}, {}, {}
        self.source, self._positioned = (text, line_offset), False

    def tree(self) -> Any:
        """The raw value tree, parsed again from the text if `compact()` dropped it."""
        if self.value is None and self.source is not None:
            return parse_scanned(self.source[0], self.file, self.source[1]).value
        return self.value

    def _read_positions(self) -> None:
        self._positioned = True
        assert self.source is not None  # a document without positions was compacted, keeping its text
        again = parse_scanned(self.source[0], self.file, self.source[1])
        self._marks, self._keys = again._marks, again._keys

    def pos(self, path: Path, key: bool = False) -> Pos:
        """Position of the value at `path` (or of its key), else of its nearest ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def problem(self, path: Path, message: str, hint: str = "", code: str = "", key: bool = False) -> Problem:
        line, column = self.pos(path, key)
        return Problem(self.file, line, column, message, hint, code)


class _Abort(Exception):
    """The file cannot be read further; the problem is already recorded."""


class _Frame:
    __slots__ = ("container", "path", "key", "anchor", "index")

    def __init__(self, container: dict | list, path: Path, anchor: str | None) -> None:
        self.container = container
        self.path = path
        self.key: Any = _NO_KEY
        self.anchor = anchor
        self.index = 0


KEY = "\0key"  # path step under which a mapping key's own YAML 1.1 type is recorded
_NO_KEY = object()
_DUPLICATE = object()


class _Builder:
    """Turns parser events into values, positions and problems."""

    def __init__(self, doc: YamlDoc, text: str, line_offset: int) -> None:
        self.doc = doc
        self.text = text
        self.lines: list[str] | None = None
        self.line_offset = line_offset
        self.stack: list[_Frame] = []
        self.anchors: dict[str, Any] = {}
        self.alias_budget = MAX_ALIAS_NODES
        self.documents = 0
        self.has_root = False
        self.may_escape = "\\" in text  # a file without a backslash has no escapes to look at

    def pos(self, mark: Any) -> Pos:
        return mark.line + 1 + self.line_offset, mark.column + 1

    def fail(self, mark: Any, message: str, hint: str, code: str) -> None:
        line, column = self.pos(mark)
        self.doc.problems.append(Problem(self.doc.file, line, column, message, hint, code))

    def run(self, events: Any) -> None:
        for event in events:
            kind = type(event)
            if kind is DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    self.fail(
                        event.start_mark,
                        "一个文件里只能有一个 YAML 文档",
                        "删除多余的 `---` 分隔行，或把后面的内容移到另一个文件",
                        "multi-doc",
                    )
                    return
            elif kind in (MappingEndEvent, SequenceEndEvent):
                frame = self.stack.pop()
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = frame.container
            elif kind in (ScalarEvent, MappingStartEvent, SequenceStartEvent, AliasEvent):
                self.node(event)

    def node(self, event: Any) -> None:
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.container, dict) and top.key is _NO_KEY:
            self.key(top, event)
            return
        path = self.child_path(top)
        self.doc.marks[path] = self.pos(event.start_mark)
        if type(event) is not AliasEvent and event.tag is not None:
            self.fail(
                event.start_mark,
                f"不允许使用 YAML 标签 `{event.tag}`",
                "删除标签（以 ! 开头的部分）；需要文本时给值加引号",
                "tag",
            )
        if type(event) is ScalarEvent:
            value = self.scalar(event, path)
            if event.anchor is not None:
                self.anchors[event.anchor] = value
            self.attach(top, value)
        elif type(event) is AliasEvent:
            self.attach(top, self.alias(event))
        else:
            if len(self.stack) >= MAX_DEPTH:
                self.fail(event.start_mark, f"嵌套超过 {MAX_DEPTH} 层", "登记簿的记录不需要这么深的嵌套", "depth")
                raise _Abort
            container: dict | list = {} if type(event) is MappingStartEvent else []
            self.attach(top, container)
            self.stack.append(_Frame(container, path, event.anchor))

    def key(self, frame: _Frame, event: Any) -> None:
        if type(event) is not ScalarEvent:
            self.fail(event.start_mark, "键必须是简单的文本", "把键写成 `名称: 值` 的形式", "complex-key")
            raise _Abort
        if event.tag is not None:
            self.fail(event.start_mark, f"不允许使用 YAML 标签 `{event.tag}`", "删除标签（以 ! 开头的部分）", "tag")
        name = event.value
        if not event.style and ("\u3000" in name or "：" in name):
            self.keyboard_slip(event)
        path = frame.path + (name,)
        if name in frame.container:
            first = self.doc.keys.get(path, (0, 0))[0]
            self.fail(
                event.start_mark,
                f"键 `{name}` 重复出现（第一次在第 {first} 行）",
                "删除或合并重复的键：YAML 不会报错，只会悄悄丢掉前一个值",
                "duplicate-key",
            )
            frame.key = _DUPLICATE
            return
        self.doc.keys[path] = self.pos(event.start_mark)
        if event.style == '"' and self.may_escape:
            self.escapes(event, path)
        if not event.style and event.tag is None:
            kind = yaml11_type(name)
            if kind in FLAGGED:
                self.doc.implicit[path + (KEY,)] = kind
        frame.key = name

    def keyboard_slip(self, event: Any) -> None:
        """A key that holds a full-width space or colon: the tree is not what the editor meant, stop here."""
        if self.lines is None:
            self.lines = self.text.split("\n")
        line = self.lines[event.start_mark.line] if event.start_mark.line < len(self.lines) else ""
        slip = _keyboard_slip(line)
        if slip is None:
            return  # a key like `说明：备注` is odd but not a slip; the schema names unknown keys
        column, message, hint = slip
        self.doc.problems.append(
            Problem(
                self.doc.file,
                event.start_mark.line + 1 + self.line_offset,
                column + 1,
                f"YAML 格式错误：{message}",
                hint,
                "syntax",
            )
        )
        raise _Abort

    def child_path(self, frame: _Frame | None) -> Path:
        if frame is None:
            return ()
        if isinstance(frame.container, list):
            return frame.path + (frame.index,)
        if frame.key is _DUPLICATE:
            return frame.path + ("\0duplicate",)
        return frame.path + (frame.key,)

    def attach(self, frame: _Frame | None, value: Any) -> None:
        if frame is None:
            self.doc.value = value
            self.has_root = True
        elif isinstance(frame.container, list):
            frame.container.append(value)
            frame.index += 1
        else:
            if frame.key is not _DUPLICATE:
                frame.container[frame.key] = value
            frame.key = _NO_KEY

    def scalar(self, event: Any, path: Path) -> str | None:
        text = event.value
        if event.style == '"' and self.may_escape:
            self.escapes(event, path)
        if event.style or event.tag is not None:
            return text
        kind = yaml11_type(text)
        if kind == "null":
            if text == "" and self.comment_follows(event.start_mark):
                self.doc.implicit[path] = "comment"
            return None
        if kind in FLAGGED:
            self.doc.implicit[path] = kind
        return text

    def escapes(self, event: Any, path: Path) -> None:
        """Note a double-quoted scalar whose escapes make an invisible character, unless the scalar also
        holds one as it is (the scan of the text reports that one there: one problem per scalar)."""
        if INVISIBLE.search(event.value) is None or "\0duplicate" in path:  # a duplicate's value is dropped
            return
        written = self.written(event.start_mark, event.end_mark)
        if INVISIBLE.search(written) is None:
            made = next((char for char in escaped_characters(written) if INVISIBLE.match(char)), None)
            if made is not None:
                self.doc.escaped.setdefault(path, made)

    def written(self, start: Any, end: Any) -> str:
        """The text between two marks, as written."""
        if self.lines is None:
            self.lines = self.text.split("\n")
        if start.line == end.line:
            return self.lines[start.line][start.column : end.column]
        middle = self.lines[start.line + 1 : end.line]
        return "\n".join([self.lines[start.line][start.column :], *middle, self.lines[end.line][: end.column]])

    def comment_follows(self, mark: Any) -> bool:
        if self.lines is None:
            self.lines = self.text.split("\n")
        line = self.lines[mark.line] if mark.line < len(self.lines) else ""
        return line[mark.column :].lstrip().startswith("#")

    def alias(self, event: Any) -> Any:
        if event.anchor not in self.anchors:
            self.fail(
                event.start_mark,
                f"别名 `*{event.anchor}` 没有对应的锚点 `&{event.anchor}`",
                "先用 &名称 定义锚点，或直接写出内容",
                "alias",
            )
            raise _Abort
        return self.copy(self.anchors[event.anchor], event.start_mark)

    def copy(self, value: Any, mark: Any) -> Any:
        self.alias_budget -= 1
        if self.alias_budget < 0:
            self.fail(
                mark, f"别名展开后超过 {MAX_ALIAS_NODES} 个值", "少用 YAML 别名（*名称），直接写出内容", "alias-bomb"
            )
            raise _Abort
        if isinstance(value, dict):
            return {k: self.copy(v, mark) for k, v in value.items()}
        if isinstance(value, list):
            return [self.copy(v, mark) for v in value]
        return value


def _flow_depth(text: str) -> int:
    depth = deepest = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


# libyaml's problems, in editors' words: (fragment of libyaml's text, Chinese message, hint).
_SYNTAX = (
    (
        "did not find expected ',' or ']'",
        "方括号 [ ] 没有闭合，或列表项之间缺少逗号",
        "检查这一行之前的 `[`：要有对应的 `]`，项与项之间用逗号分隔",
    ),
    (
        "did not find expected ',' or '}'",
        "花括号 { } 没有闭合，或项之间缺少逗号",
        "检查这一行之前的 `{`：要有对应的 `}`，项与项之间用逗号分隔",
    ),
    ("mapping values are not allowed", "这里不能出现 `: `", "值里含有 `: ` 时，请给整个值加引号"),
    ("could not find expected ':'", "缺少冒号", "键后面要有冒号和空格（`名称: 值`）；多行文字要用 `|`"),
    (
        "found character that cannot start any token",
        "这个字符不能出现在值的开头",
        "值以 @、` 或 % 等符号开头时要加引号；缩进只能用空格",
    ),
    ("did not find expected key", "缩进没有对齐", "同一级的键要对齐：检查这一行的缩进"),
    ("did not find expected '-' indicator", "列表项没有对齐", "列表的每一项都以 `- ` 开头，并与上一项对齐"),
    ("block sequence entries are not allowed", "这里不能开始列表项", "列表项 `- ` 要另起一行，并缩进到键的下面"),
    ("found unexpected end of stream", "文件意外结束", "引号或括号没有成对闭合"),
    ("found unknown escape character", "双引号里的反斜杠转义不正确", "改用单引号，或把 \\ 写成 \\\\"),
    ("did not find expected node content", "缺少内容", "检查这一行：括号、逗号或冒号后面缺了值"),
    ("found undefined tag handle", "不认识的标签", "删除以 ! 开头的标签"),
    ("found unexpected ':'", "多余的冒号", "值里含有冒号时，请给整个值加引号"),
    ("found a tab character", "这里有制表符（Tab）", "YAML 只能用空格"),
    ("control characters are not allowed", "文件里有控制字符", "删除看不见的控制字符"),
)


# Slips of a Chinese keyboard, looked for where libyaml stopped (it reports them as a missing
# `:` or a misplaced value, often a line later): a full-width colon after a key, a full-width
# space after a key's colon, full-width spaces (U+3000) in a line's indentation. Keys of the
# format are ASCII, so an ASCII word before `：` at the start of a line is a key, not text.
_FW_INDENT = re.compile(r"^[ ]*(?:- +)*\u3000")
_FW_COLON = re.compile(r"^[ ]*(?:- +)*([A-Za-z_][A-Za-z0-9_-]*)[ \u3000]*：")
_FW_AFTER_COLON = re.compile(r"^[ ]*(?:- +)*([A-Za-z_][A-Za-z0-9_-]*):\u3000")


# Any line with one of those slips, for the fast path to turn the file away (the reference words it).
KEYBOARD_SLIP = re.compile(r"^[ ]*(?:- +)*(?:\u3000|[A-Za-z_][A-Za-z0-9_-]*(?:[ \u3000]*：|:\u3000))", re.MULTILINE)


def _keyboard_slip(line: str) -> tuple[int, str, str] | None:
    """(0-based column, message, hint) of a full-width slip on this line, if it has one."""
    match = _FW_INDENT.match(line)
    if match:
        return (
            match.end() - 1,
            "缩进里有全角空格",
            "YAML 的缩进只能用半角空格：删除这一行开头的全角空格（U+3000），改用半角空格对齐",
        )
    match = _FW_COLON.match(line)
    if match:
        key = match.group(1)
        return (
            match.end() - 1,
            f"键 `{key}` 后面是全角冒号“：”",
            f"改成半角冒号和一个空格：`{key}: …`（中文输入法下先切换到英文标点）",
        )
    match = _FW_AFTER_COLON.match(line)
    if match:
        key = match.group(1)
        return match.end() - 1, f"键 `{key}` 的冒号后面是全角空格", f"冒号后面要用半角空格：`{key}: …`"
    return None


def _slip_near(lines: list[str], first: int, last: int) -> tuple[int, int, str, str] | None:
    """The nearest keyboard slip from line `last` back to line `first` (0-based), if any."""
    for number in range(min(last, len(lines) - 1), max(first, 0) - 1, -1):
        slip = _keyboard_slip(lines[number])
        if slip is not None:
            return (number, *slip)
    return None


_LOOK_BACK = 3  # lines before libyaml's mark where the cause may be (a plain scalar runs on over line breaks)


def _syntax_problem(err: yaml.YAMLError, text: str, file: str, line_offset: int) -> Problem:
    """libyaml's complaint in editors' words, at the line that causes it; no English."""
    lines = text.split("\n")
    last_line = max(len(text.rstrip("\n").split("\n")) - 1, 0)
    problem_mark = getattr(err, "problem_mark", None)
    context_mark = getattr(err, "context_mark", None)
    mark = problem_mark or context_mark
    at = (mark.line, mark.column) if mark else (0, 0)
    simple_key = "simple key" in (getattr(err, "context", "") or "")
    if context_mark is not None and (at[0] > last_line or simple_key):
        at = (context_mark.line, context_mark.column)  # the key or quote that never ended, not the end of the file
    first = at[0] if simple_key else at[0] - _LOOK_BACK  # not the whole block a context mark may span
    slip = _slip_near(lines, first, max(at[0], mark.line if mark else 0))
    if slip is not None:
        number, column, message, hint = slip
        return Problem(file, number + 1 + line_offset, column + 1, f"YAML 格式错误：{message}", hint, "syntax")
    line, column = min(at[0], last_line), at[1] if at[0] <= last_line else 0
    what = getattr(err, "problem", None) or str(err)
    message, hint = next(
        ((m, h) for fragment, m, h in _SYNTAX if fragment in what),
        ("无法解析", "检查这一行的缩进、冒号后的空格，以及引号和括号是否成对"),
    )
    return Problem(file, line + 1 + line_offset, column + 1, f"YAML 格式错误：{message}", hint, "syntax")


def parse_yaml(text: str, file: str, line_offset: int = 0) -> YamlDoc:
    """Parse YAML text already decoded, its invisible characters reported too; `line_offset` shifts positions
    (for front matter)."""
    invisible = [_shifted(problem, line_offset) for problem in invisible_characters(text, file)]
    doc = parse_scanned(normalize_breaks(text), file, line_offset, invisible=bool(invisible))
    doc.problems[:0] = invisible
    return doc


def parse_scanned(text: str, file: str, line_offset: int = 0, invisible: bool | None = None) -> YamlDoc:
    """Parse YAML text whose invisible characters the caller reports (`load.load_source` scans each file's
    whole text once), its line breaks already normalised (`text.normalize_breaks`).

    `invisible` says whether the caller found any in this text: they, not the syntax, are then the clearer
    cause of a parser's complaint, which is left out. None: looked for only if the parser complains.
    """
    doc = YamlDoc(file)
    tabs = [_shifted(problem, line_offset) for problem in tab_indents(text, file)]
    doc.problems.extend(tabs)

    def clearer_cause() -> bool:
        return bool(tabs) or (invisible if invisible is not None else INVISIBLE.search(text) is not None)

    if text.count("[") + text.count("{") > _FLOW_SCAN_FROM and _flow_depth(text) > MAX_DEPTH:
        doc.problems.append(
            Problem(file, 1 + line_offset, 1, f"括号嵌套超过 {MAX_DEPTH} 层", "登记簿的记录不需要这么深的嵌套", "depth")
        )
        return doc
    builder = _Builder(doc, text, line_offset)
    loader = yaml.CSafeLoader(text)
    try:
        builder.run(_events(loader))
    except _Abort:
        builder.has_root = False  # a half-built tree would only add misleading problems
    except yaml.YAMLError as err:
        builder.has_root = False
        if not clearer_cause():
            doc.problems.append(_syntax_problem(err, text, file, line_offset))
    finally:
        loader.dispose()
    if not builder.has_root or doc.value is None:
        if not doc.problems and not clearer_cause():
            doc.problems.append(Problem(file, 1 + line_offset, 1, "文件是空的", "写入内容，或删除这个文件", "empty"))
        doc.value = None
    return doc


def _shifted(problem: Problem, line_offset: int) -> Problem:
    if not line_offset:
        return problem
    return Problem(
        problem.file, problem.line + line_offset, problem.column, problem.message, problem.hint, problem.code
    )


def _events(loader: yaml.CSafeLoader) -> Iterator[Any]:
    while loader.check_event():
        yield loader.get_event()


def load_yaml(data: bytes, file: str) -> YamlDoc:
    """Load one YAML file's bytes; every problem found is in `problems`, nothing raises."""
    text, problems = decode(data, file)
    if text is None:
        return YamlDoc(file, problems=problems)
    return parse_yaml(text, file)
