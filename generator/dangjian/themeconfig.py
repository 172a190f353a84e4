"""The registry root's `mkdocs.yml`, read as untrusted data and checked like a record.

A pull request can change `mkdocs.yml`, and the site is built from it in CI and on
editors' machines, so nothing in it may run code, read a file outside the root or an
environment variable, or put an off-site script, style or markup on the site:

- it is parsed by dangjian's own YAML loader (`yamlfile`): every tag (`!ENV`, `!relative`,
  `!!python/...`) is a problem, and nothing is constructed;
- only the settings dangjian honours are accepted (an allow-list, below); `plugins`,
  `hooks`, `markdown_extensions`, `INHERIT` and `theme.custom_dir` (templates are code)
  are refused by name, any other key as unknown;
- scripts, styles, the logo and the favicon must be files the site publishes under
  `assets/`: `content/assets/` (no symbolic link on the way) or the theme's own;
- strings that Material's templates print unescaped (theme settings) may hold no markup
  characters; the footer text (`copyright`, `extra.icp`) is escaped by our partial;
- no value or key holds a control character or a bidi override, written raw or as a YAML
  escape (`"\\u202e"`): the footer is on every page, and 版权\\u202e花小李 read 版权李小花;
- the file is at most `MAX_BYTES` (a 20 MB copyright took 70 s and was put on every page);
- icons (`theme.icon.*`, palette toggles) are those dangjian ships in
  `site_templates/material/.icons/` (the templates' own and a short list of logos and
  toggles, see `scripts/vendor_material.py`), not all of Material's 58 MB.

The checked values become a `ThemeSettings`, a plain structure of our own that the theme
(`theme.py`) renders Material's templates with: mkdocs itself is never imported.

Problems are `Problem`s at the setting's line and column, so `dangjian validate` reports
them with the registry's, and `dangjian build` refuses before writing anything. The file is
the registry's, so this module is on the registry side (validation reads it; the site's
`theme.py` renders with what it returns), and imports nothing of the site.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .load import escaped_invisible
from .problems import Problem
from .yamlfile import YamlDoc, load_yaml

FILE = "mkdocs.yml"
MAX_BYTES = 64 * 1024  # dangjian's own mkdocs.yml is under 2 KB


def _templates() -> Path:
    """site_templates/: beside the package in a checkout, or installed as `dangjian_site_templates`."""
    checkout = Path(__file__).resolve().parents[2] / "site_templates"
    if (checkout / "pages").is_dir():
        return checkout
    from importlib.resources import files

    return Path(str(files("dangjian_site_templates")))


TEMPLATES = _templates()
DEFAULT_FILE = TEMPLATES / FILE

# Settings mkdocs reads that dangjian sets itself (from registry/site.yaml): accepted, so a
# copied mkdocs.yml keeps working, and overridden.
_SET_BY_DANGJIAN = ("site_name", "site_description", "site_url")
_THEME_KEYS = ("name", "language", "font", "palette", "features", "logo", "favicon", "icon")
_PALETTE_KEYS = ("scheme", "primary", "accent", "media", "toggle")
_EXTRA_KEYS = ("icp",)
_ICON_GROUPS = {"admonition": "提示框类型", "tag": "标签类型"}  # theme.icon keys holding one icon per type
# dangjian's own theme defaults, under a registry's settings: a Chinese interface, system fonts, and the
# site's own mark as favicon (site_templates/overrides/assets/dangjian/favicon.svg) in place of Material's.
_DEFAULTS = {"language": "zh", "font": False, "favicon": "assets/dangjian/favicon.svg"}

_REFUSED = {
    "plugins": (
        "不支持 mkdocs 插件 `{}`：dangjian 自己生成网站，不运行插件",
        "删除 plugins 一节：搜索由 dangjian 的 Pagefind 提供，页面由登记簿生成",
    ),
    "hooks": ("不允许 hooks `{}`：mkdocs.yml 不能让生成网站时运行登记簿里的代码", "删除 hooks 一节"),
    "markdown_extensions": (
        "不支持 Markdown 扩展 `{}`：正文的 Markdown 由 dangjian 统一处理",
        "删除 markdown_extensions 一节",
    ),
}
_REFUSED_KEYS = {
    "INHERIT": ("不支持 INHERIT：mkdocs.yml 不能引用其他文件", "把需要的设置直接写在这个文件里"),
    "nav": ("不支持 nav：网站的导航由 dangjian 生成", "删除 nav 一节；自由页面的顺序用页面的 order 设置"),
}
_CUSTOM_DIR = (
    "不支持 theme.custom_dir：登记簿里的模板会在生成网站时执行，等于运行代码",
    "删除 custom_dir；外观用 palette、logo、features 和 extra_css 调整",
)
_UNKNOWN_HINT = (
    "mkdocs.yml 里 dangjian 只读取 theme、extra_css、extra_javascript、copyright 和 extra.icp；"
    "网站标题等在 registry/site.yaml 里设置"
)
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*:")
_MARKUP = re.compile(r"[<>\"'&`\x00-\x1f\x7f]")
_ICON = re.compile(r"^[a-z0-9-]+(?:/[a-z0-9-]+)+$")
_BOOLS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


@dataclass
class SiteConfig:
    """A checked mkdocs.yml: the settings for `theme_settings` (only when `problems` is empty)."""

    file: str
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def material_templates() -> Path:
    """dangjian's copy of mkdocs-material's templates (its assets, icons and language files)."""
    return TEMPLATES / "material"


def theme_dirs() -> list[Path]:
    """The theme folders a site is rendered from: dangjian's overrides first, then Material."""
    return [TEMPLATES / "overrides", material_templates()]


def read_site_config(root: Path) -> SiteConfig:
    """The root's mkdocs.yml checked (dangjian's default settings when it has none)."""
    root = Path(root)
    path = root / FILE
    if not os.path.lexists(path):
        return check_config(DEFAULT_FILE.read_bytes(), FILE, root)
    if os.path.islink(path) or not path.is_file():
        return SiteConfig(
            FILE,
            problems=[
                Problem(
                    FILE,
                    1,
                    1,
                    "mkdocs.yml 必须是普通文件，不能是符号链接或文件夹",
                    "把设置直接写进 mkdocs.yml",
                    "mkdocs-file",
                )
            ],
        )
    try:
        if path.stat().st_size > MAX_BYTES:  # refused before it is read
            return SiteConfig(FILE, problems=[_too_big(path.stat().st_size)])
        data = path.read_bytes()
    except OSError as err:
        return SiteConfig(
            FILE, problems=[Problem(FILE, 1, 1, f"无法读取文件：{err.strerror}", "检查文件权限", "unreadable")]
        )
    return check_config(data, FILE, root)


def check_config(data: bytes, file: str, root: Path) -> SiteConfig:
    """Check mkdocs.yml's bytes; `root` is where its `assets/` files are looked for."""
    if len(data) > MAX_BYTES:
        return SiteConfig(file, problems=[_too_big(len(data), file)])
    doc = load_yaml(data, file)
    # Controls and bidi overrides written as escapes: the raw ones are among doc.problems already.
    config = SiteConfig(
        file, problems=list(doc.problems) + list(escaped_invisible(doc, data.decode("utf-8", "replace")))
    )
    if doc.value is None and doc.problems:
        return config
    if not isinstance(doc.value, dict):
        config.problems.append(
            doc.problem((), "mkdocs.yml 的内容必须是 `键: 值` 的设置", "参照 site_templates/mkdocs.yml", "mkdocs-shape")
        )
        return config
    checker = _Checker(doc, Path(root))
    config.values = checker.run()
    parsed = {(p.line, p.column) for p in config.problems}  # a tagged, broken or invisible value is reported once
    config.problems += [p for p in checker.problems if (p.line, p.column) not in parsed]
    if not config.problems:
        config.problems += _theme_name_problems(doc, config.values)
    return config


class _Checker:
    """Walks the settings, keeping what is allowed (typed) and a problem for everything else."""

    def __init__(self, doc: YamlDoc, root: Path) -> None:
        self.doc, self.root = doc, root
        self.problems: list[Problem] = []

    def problem(self, path: tuple, message: str, hint: str = "", code: str = "mkdocs", key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, hint, code, key=key))

    def run(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in self.doc.value.items():
            path = (key,)
            if key in _SET_BY_DANGJIAN:
                continue
            if key == "theme":
                values["theme"] = self.theme(value)
            elif key in ("extra_css", "extra_javascript"):
                values[key] = [
                    p for i, item in enumerate(self.listed(path, value)) if (p := self.site_file((key, i), item))
                ]
            elif key == "copyright":
                values["copyright"] = self.text(path, value)
            elif key == "extra":
                values["extra"] = self.extra(value)
            elif key in _REFUSED:
                self.refuse_each(key, value)
            elif key in _REFUSED_KEYS:
                self.problem(path, *_REFUSED_KEYS[key], code="mkdocs-refused", key=True)
            else:
                self.problem(path, f"dangjian 不使用 mkdocs.yml 的 `{key}`", _UNKNOWN_HINT, "mkdocs-unknown", key=True)
        values.setdefault("theme", dict(_DEFAULTS, name="material"))
        return values

    def typed(self, path: tuple, value: Any) -> Any:
        """A plain scalar as YAML 1.1 reads it (`false` → False), the way mkdocs expects it."""
        kind = self.doc.implicit.get(path)
        if kind == "bool":
            return _BOOLS[value.lower()]
        if kind in ("int", "float"):
            return yaml.safe_load(value)  # a plain number: nothing to construct
        return value

    def text(self, path: tuple, value: Any) -> str | None:
        if isinstance(value, str):
            return value
        self.problem(path, f"`{'.'.join(map(str, path))}` 必须是一段文字", "给值加引号", "mkdocs-type")
        return None

    def listed(self, path: tuple, value: Any) -> list:
        if isinstance(value, list):
            return value
        self.problem(path, f"`{path[-1]}` 必须是列表", "每项一行，以 `- ` 开头", "mkdocs-type")
        return []

    def refuse_each(self, key: str, value: Any) -> None:
        message, hint = _REFUSED[key]
        items: list[tuple[tuple[Any, ...], Any, bool]]
        if isinstance(value, dict):
            items = [((key, name), name, True) for name in value]
        elif isinstance(value, list):
            items = [
                ((key, i), next(iter(item)) if isinstance(item, dict) and item else item, False)
                for i, item in enumerate(value)
            ]
        else:
            items = [((key,), value, False)]
        if not items:
            self.problem((key,), message.format(""), hint, "mkdocs-refused", key=True)
        for path, name, is_key in items:
            self.problem(path, message.format(name), hint, "mkdocs-refused", key=is_key)

    def theme(self, value: Any) -> dict[str, Any]:
        if value == "material":
            return dict(_DEFAULTS, name="material")
        if not isinstance(value, dict):
            self.problem(
                ("theme",), "theme 必须是设置（name: material 等）", "参照 site_templates/mkdocs.yml", "mkdocs-type"
            )
            return dict(_DEFAULTS, name="material")
        theme: dict[str, Any] = dict(_DEFAULTS)
        for key, item in value.items():
            path = ("theme", key)
            if key == "custom_dir":
                self.problem(path, *_CUSTOM_DIR, code="mkdocs-custom-dir", key=True)
            elif key not in _THEME_KEYS:
                self.problem(
                    path,
                    f"dangjian 不使用 theme.{key}",
                    f"theme 里可以设置：{'、'.join(_THEME_KEYS)}",
                    "mkdocs-unknown",
                    key=True,
                )
            elif key in ("logo", "favicon"):
                theme[key] = self.site_file(path, item)
            elif key == "icon":
                theme[key] = self.icon_settings(path, item)
            else:
                theme[key] = self.theme_value(path, key, self.plain(path, item))
        return theme

    def theme_value(self, path: tuple, key: str, value: Any) -> Any:
        if key == "name" and value != "material":
            self.problem(
                path,
                f"theme.name 必须是 material（现在是 {value}）",
                "dangjian 的网站使用 mkdocs-material 的外观",
                "mkdocs-theme",
            )
        elif key == "font" and value is not False:
            self.problem(
                path,
                "theme.font 只能是 false",
                "其他取值会让每个页面从 Google Fonts 加载字体（站外样式）；网站使用系统字体",
                "mkdocs-offsite",
                key=True,
            )
        elif key == "language" and not (isinstance(value, str) and _language_exists(value)):
            self.problem(path, f"不认识的界面语言 `{value}`", "简体中文网站写 zh", "mkdocs-language")
        elif key == "palette":
            for i, option in enumerate(value if isinstance(value, list) else [value]):
                self.palette(path + ((i,) if isinstance(value, list) else ()), option)
        elif key == "features":
            self.features(path, value)
        return value

    def palette(self, path: tuple, option: Any) -> None:
        if not isinstance(option, dict):
            self.problem(
                path,
                "palette 的每一项必须是设置（primary、accent 等）",
                "参照 site_templates/mkdocs.yml",
                "mkdocs-type",
            )
            return
        for key in option:
            if key not in _PALETTE_KEYS:
                self.problem(
                    path + (key,),
                    f"dangjian 不使用 palette 的 `{key}`",
                    f"palette 里可以设置：{'、'.join(_PALETTE_KEYS)}",
                    "mkdocs-unknown",
                    key=True,
                )
        if "toggle" not in option:
            return
        toggle = option["toggle"]
        if not isinstance(toggle, dict):
            self.problem(
                path + ("toggle",),
                "palette 的 toggle 必须是设置（icon 和 name）",
                "例如 `toggle: {icon: material/brightness-7, name: 切换到深色}`",
                "mkdocs-type",
            )
        elif "icon" not in toggle:  # Material includes `.icons/<icon>.svg` for every toggle
            self.problem(
                path + ("toggle",), "palette 的 toggle 缺少 icon", "例如 `icon: material/brightness-7`", "mkdocs-type"
            )
        else:
            self.icons(path + ("toggle", "icon"), toggle["icon"])

    def plain(self, path: tuple, value: Any) -> Any:
        """A theme value with its scalars typed; strings holding markup characters are problems
        (Material's templates print theme settings without escaping)."""
        if isinstance(value, dict):
            return {k: self.plain(path + (k,), v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.plain(path + (i,), v) for i, v in enumerate(value)]
        if isinstance(value, str) and _MARKUP.search(value):
            self.problem(
                path, f"`{value}` 里有不允许的字符", "主题设置里不能有 < > \" ' & ` 或控制字符", "mkdocs-markup"
            )
        return self.typed(path, value) if isinstance(value, str) else value

    def features(self, path: tuple, value: Any) -> None:
        """`features` is a list of names (Material tests `"navigation.tabs" in features`)."""
        if not isinstance(value, list):
            self.problem(path, "`features` 必须是列表", "每项一行，以 `- ` 开头", "mkdocs-type")
            return
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.problem(
                    path + (i,),
                    f"`theme.features.{i}` 必须是一段文字",
                    "写功能的名字，例如 navigation.tabs",
                    "mkdocs-type",
                )

    def icon_settings(self, path: tuple, value: Any) -> Any:
        """`theme.icon`: icon names by use; `admonition` and `tag` hold one per type (Material iterates them)."""
        if not isinstance(value, dict):
            self.problem(
                path,
                "theme.icon 必须是设置（logo、menu 等图标的名字）",
                "例如 `icon: {logo: material/home}`",
                "mkdocs-type",
            )
            return None
        icons = {}
        for key, item in value.items():
            if key in _ICON_GROUPS and not isinstance(item, dict):
                self.problem(
                    path + (key,),
                    f"theme.icon.{key} 必须是设置（{_ICON_GROUPS[key]}: 图标）",
                    f"例如 `{key}: {{note: material/home}}`",
                    "mkdocs-type",
                )
            elif key in _ICON_GROUPS:
                icons[key] = {kind: self.icons(path + (key, kind), name) for kind, name in item.items()}
            else:
                icons[key] = self.icons(path + (key,), item)
        return icons

    def icons(self, path: tuple, value: Any) -> Any:
        """One icon's name, e.g. material/home: an icon dangjian ships."""
        if not isinstance(value, str):
            self.problem(
                path,
                "图标必须写成名字",
                "写 site_templates/material/.icons/ 里有的图标名，例如 material/home",
                "mkdocs-icon",
            )
            return None
        if not (
            isinstance(value, str)
            and _ICON.match(value)
            and (material_templates() / ".icons" / f"{value}.svg").is_file()
        ):
            self.problem(
                path,
                f"找不到图标 `{value}`",
                "写 site_templates/material/.icons/ 里有的图标名，例如 material/home",
                "mkdocs-icon",
            )
            return None
        return value

    def extra(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(("extra",), "extra 必须是设置", "例如 `icp: 浙ICP备12345678号-1`", "mkdocs-type")
            return {}
        extra = {}
        for key, item in value.items():
            if key in _EXTRA_KEYS:
                extra[key] = self.text(("extra", key), item)
            else:
                self.problem(
                    ("extra", key),
                    f"dangjian 不使用 extra.{key}",
                    "extra 里只能设置 icp（ICP 备案号）",
                    "mkdocs-unknown",
                    key=True,
                )
        return extra

    def site_file(self, path: tuple, value: Any) -> str | None:
        """A script, style or image the site publishes: `assets/...` from content/assets/ or the theme."""
        found = _site_file_problem(self.root, value)
        if found is None:
            return value
        self.problem(path, *found)
        return None


def _site_file_problem(root: Path, value: Any) -> tuple[str, str, str] | None:
    """Why `value` is not a file the site publishes (message, hint, code), or None."""
    local = "写 assets/ 开头的相对路径，文件放在 content/assets/ 里"
    if not isinstance(value, str):
        return "必须写成文件路径", local, "mkdocs-type"
    if _SCHEME.match(value) or value.lstrip().startswith(("//", "\\\\", "/\\", "\\/")):
        return (
            f"不允许引用站外的文件 `{value}`",
            "站外的脚本和样式会在每个页面上运行或生效，也会泄露读者的访问；把文件放进 content/assets/",
            "mkdocs-offsite",
        )
    if value != value.strip() or re.search(r"[\s\\?#%]", value) or _MARKUP.search(value):
        return f"文件路径 `{value}` 里有不允许的字符", local + "，不含空格、反斜杠、? # %", "mkdocs-path"
    parts = value.split("/")
    if value.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return f"文件路径 `{value}` 必须是不含 `..` 的相对路径", local, "mkdocs-path"
    if parts[0] != "assets" or len(parts) < 2:
        return f"文件路径 `{value}` 必须在 assets/ 下", local, "mkdocs-path"
    if any((folder / Path(*parts)).is_file() for folder in theme_dirs()):
        return None
    return _content_file_problem(root, parts)


def _content_file_problem(root: Path, parts: list[str]) -> tuple[str, str, str] | None:
    """`content/<parts>` must be a regular file reached through no symbolic link."""
    where = root / "content"
    for part in parts:
        where = where / part
        try:
            mode = os.lstat(where).st_mode
        except OSError:
            return f"找不到文件 content/{'/'.join(parts)}", "检查路径，或把文件放进 content/assets/", "mkdocs-missing"
        if stat.S_ISLNK(mode):
            return (
                f"content/{'/'.join(parts)} 经过符号链接",
                "把文件本身放进 content/assets/：符号链接可能指向登记簿以外",
                "mkdocs-symlink",
            )
    if not stat.S_ISREG(mode):
        return f"content/{'/'.join(parts)} 不是文件", "写文件的路径", "mkdocs-missing"
    return None


def _too_big(size: int, file: str = FILE) -> Problem:
    return Problem(
        file,
        1,
        1,
        f"mkdocs.yml 太大（{size // 1024} KB，最多 {MAX_BYTES // 1024} KB）",
        "mkdocs.yml 只放外观设置；长的文字写进 content/ 里的页面",
        "mkdocs-size",
    )


@lru_cache(maxsize=64)
def _language_exists(name: str) -> bool:
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z]{2,4})?", name):
        return False
    return any((folder / "partials" / "languages" / f"{name}.html").is_file() for folder in theme_dirs())


def _theme_name_problems(doc: YamlDoc, values: dict[str, Any]) -> list[Problem]:
    """A `theme` without `name`: the one problem mkdocs' own config check found in the allowed settings."""
    if "name" in values["theme"]:
        return []
    return [
        doc.problem(
            ("theme",),
            "`theme` 的设置有误：No theme name set.",
            "参照 site_templates/mkdocs.yml 和 mkdocs-material 的文档",
            "mkdocs-config",
            key=True,
        )
    ]


# Material's own theme defaults (its mkdocs_theme.yml), under the checked settings.
_MATERIAL_DEFAULTS: dict[str, Any] = {
    "language": "en",
    "direction": None,
    "features": [],
    "font": {"text": "Roboto", "code": "Roboto Mono"},
    "icon": None,
    "favicon": "assets/images/favicon.png",
}


@dataclass(frozen=True)
class ThemeSettings:
    """What Material's templates read from mkdocs.yml, checked: the theme's settings over its defaults."""

    theme: dict[str, Any]
    extra_css: list[str] = field(default_factory=list)
    extra_javascript: list[str] = field(default_factory=list)
    copyright: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def theme_settings(values: dict[str, Any]) -> ThemeSettings:
    """The settings of a checked mkdocs.yml (`SiteConfig.values` without problems)."""
    theme = {**_MATERIAL_DEFAULTS, **values.get("theme", {})}
    return ThemeSettings(
        theme,
        list(values.get("extra_css", [])),
        list(values.get("extra_javascript", [])),
        values.get("copyright"),
        dict(values.get("extra", {})),
    )
