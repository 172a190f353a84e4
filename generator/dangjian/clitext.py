"""Click's own words in Simplified Chinese: `Usage:`, `Options:`, `Error: Missing argument`...

Click passes every message it prints through gettext (`from gettext import gettext as _`
in each of its modules), in English unless a catalogue is installed. A `.mo` catalogue
would need the user's locale set to Chinese to be picked up; a Chinese tool should speak
Chinese whatever the locale. So `install()` binds click's modules' `_` and `ngettext`
to the table below (an untranslated message falls back to click's English), and
`ChineseGroup`/`ChineseCommand` give the usage line Chinese metavars. Call `install()`
before any command is declared: `--version`'s help is read when it is declared.

tests/test_cli.py reads click's source for every message it translates and checks that
no help page or usage error of `dangjian` prints one of them in English.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types
from click._compat import strip_ansi

MESSAGES: dict[str, str] = {
    # help pages
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示这段帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "Do you want to continue?": "要继续吗？",
    "Confirm the action without prompting.": "不询问，直接确认。",
    # usage errors
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Invalid value: {message}": "值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Got unexpected extra argument ({args})": "多出了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多出了参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Did you mean {possibility}?": "是不是想写 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是想写其中之一：{possibilities}？）",
    "Value must be an iterable.": "值必须是一组值。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "Aborted!": "已中止。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    # values
    "{value!r} is not {choice}.": "{value!r} 不是可选的值：只能是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是可选的值：只能是 {choices} 之一。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 超出范围 {range}。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值；可用：{states}",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats} 中的任何一种。",
    "{len_type} values are required, but {len_value} was given.": "需要 {len_type} 个值，给了 {len_value} 个。",
    "{len_type} values are required, but {len_value} were given.": "需要 {len_type} 个值，给了 {len_value} 个。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，不是文件夹。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹，不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 无法执行。",
    # prompts
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的值不一样。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
}

# Metavars click derives from a type's name (`--root DIRECTORY`, `YEAR` stays as declared).
TYPE_NAMES: dict[type, str] = {
    click.types.StringParamType: "文本",
    click.types.IntParamType: "整数",
    click.types.FloatParamType: "数字",
    click.types.BoolParamType: "是/否",
    click.types.IntRange: "整数",
    click.types.FloatRange: "数字",
}


def gettext(message: str) -> str:
    """Click's message in Chinese, or as it is when the table lacks it."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Chinese has one form: the plural's translation serves every count."""
    return MESSAGES.get(plural if count != 1 else singular, singular if count == 1 else plural)


_CLICK_MISSING = click.exceptions.MissingParameter.format_message


def _missing(self: click.exceptions.MissingParameter) -> str:
    """`缺少参数 'YEAR'。`: click ends the sentence with an English full stop after the name."""
    text = _CLICK_MISSING(self)
    head, stop, rest = text.partition(".")
    return f"{head}。{rest.lstrip()}" if stop and head.startswith("缺少") else text


_MODULES = (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui, click.types)


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: wide and full-width characters (汉字, `：`) take two."""
    text = strip_ansi(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def install() -> None:
    """Make click speak Chinese in this process (idempotent)."""
    setattr(click.formatting, "term_len", display_width)  # help columns line up under 汉字 metavars
    for module in _MODULES:
        if hasattr(module, "_"):
            setattr(module, "_", gettext)
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", ngettext)
    for kind, name in TYPE_NAMES.items():
        setattr(kind, "name", name)
    setattr(click.exceptions.MissingParameter, "format_message", _missing)  # a method of click's, replaced


class ChineseFormatter(click.HelpFormatter):
    """Headings and the usage prefix with a full-width colon and no space after it."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")


class ChineseContext(click.Context):
    formatter_class = ChineseFormatter


class ChineseCommand(click.Command):
    """A command whose usage line says `[选项]`."""

    context_class = ChineseContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)


class ChineseGroup(click.Group):
    """A group whose usage line says `[选项] 命令 [参数]...`; its commands and groups are Chinese too."""

    command_class = ChineseCommand
    group_class = type  # subgroups are ChineseGroups
    context_class = ChineseContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)
