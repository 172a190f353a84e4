"""The editors' admin page (`/admin/`): a Sveltia CMS `config.yml` generated from `recordtypes.py`.

Every record type becomes one collection and every declared field one form field, so the
forms cannot drift from the format (see docs/cms.md for why Sveltia and not Decap). The
config is data built only from the schema and from `site.yaml`'s validated `cms:` settings:
no registry record (no member, no name) ever enters it, and it is public on the site.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .load import load_source
from .problems import Problem
from .recordtypes import (
    APP_ID_PATTERN,
    BRANCH_PATTERN,
    CMS_BACKENDS,
    DERIVED_INDICATORS,
    NESTED_KINDS,
    RECORD_TYPES,
    REPO_PATTERN,
    URL_PATTERN,
    RecordType,
)
from .schema import (
    MAX_ID_LENGTH,
    Any_,
    Asset,
    Bool,
    Date,
    Enum,
    Field,
    FieldType,
    Id,
    List,
    Mapping,
    Number,
    Object,
    Ref,
    Text,
)

ASSETS_FOLDER = "content/assets"
SCRIPT_NAME = "sveltia-cms.js"  # the vendored bundle, beside index.html
_MARK = '<meta name="generator" content="dangjian cms">'  # an index.html this module wrote
SITE_FILE = "registry/site.yaml"
LIST_FIELD = "records"  # the one root-level list field of a list file's collection
DEFAULT_BRANCH = "main"
# New list files and stories get a date-time name the editor may change when creating them;
# the slug rule (lowercase letters, digits, `-`) is checked again by the pull request's validation.
_NEW_FILE_SLUG = "{{year}}{{month}}{{day}}-{{hour}}{{minute}}{{second}}"
_SUBFOLDER_DEPTH = 3  # registry/orgs/<region>/<id>.yaml and one more level of grouping

# Select labels for the few enums whose values are English words.
_OPTION_LABELS = {
    "out": "流出",
    "in": "流入",
    "year": "年",
    "quarter": "季度",
    "month": "月",
    **{name: f"{texts[0]}（自动计算）" for name, texts in DERIVED_INDICATORS.items()},
}
_FILE_COLLECTION = "settings"  # site.yaml and the rulebook: single files, edited in place


class CmsError(Exception):
    """The `cms:` settings cannot make a config (a value outside its pattern)."""


@dataclass(frozen=True)
class CmsSettings:
    """`site.yaml`'s `cms:` mapping, checked: only these values reach the config."""

    backend: str
    repo: str
    branch: str = DEFAULT_BRANCH
    forge_url: str | None = None
    app_id: str | None = None
    auth_url: str | None = None
    admin: bool = True

    @classmethod
    def from_site(cls, cms: dict) -> CmsSettings:
        """From the loaded `cms:` value; checked again here, since a caller may not have validated."""
        settings = cls(
            backend=cms.get("backend", ""),
            repo=cms.get("repo", ""),
            branch=cms.get("branch", DEFAULT_BRANCH),
            forge_url=cms.get("forge_url"),
            app_id=cms.get("app_id"),
            auth_url=cms.get("auth_url"),
            admin=cms.get("admin", True) is not False,
        )
        settings.check()
        return settings

    def check(self) -> None:
        if self.backend not in CMS_BACKENDS:
            raise CmsError(f"cms.backend 应是 {'、'.join(CMS_BACKENDS)} 之一，而不是 `{self.backend}`")
        for name, value, pattern in (
            ("repo", self.repo, REPO_PATTERN),
            ("branch", self.branch, BRANCH_PATTERN),
            ("forge_url", self.forge_url, URL_PATTERN),
            ("app_id", self.app_id, APP_ID_PATTERN),
            ("auth_url", self.auth_url, URL_PATTERN),
        ):
            if value is not None and not (isinstance(value, str) and re.fullmatch(pattern, value)):
                raise CmsError(f"cms.{name} 的值 `{value}` 不符合格式")


def backend(settings: CmsSettings) -> dict:
    """The config's `backend:` for the chosen forge."""
    out: dict[str, Any] = {"name": settings.backend, "repo": settings.repo, "branch": settings.branch}
    forge = settings.forge_url.rstrip("/") if settings.forge_url else None
    if settings.backend == "github":
        if settings.auth_url:
            out["base_url"] = settings.auth_url.rstrip("/")  # the OAuth proxy (GitHub has no PKCE for web apps)
    else:
        if forge:
            out["base_url"] = forge
            out["api_root"] = f"{forge}/api/{'v4' if settings.backend == 'gitlab' else 'v1'}"
        if settings.app_id:
            out["app_id"] = settings.app_id
        if settings.backend == "gitlab":
            out["auth_type"] = "pkce"
    return out


def config(settings: CmsSettings) -> dict:
    """The whole config: backend, media folder, and one collection per record type."""
    out: dict[str, Any] = {"backend": backend(settings)}
    if settings.backend in ("github", "gitlab"):  # Sveltia's editorial workflow: each change a pull request
        out["publish_mode"] = "editorial_workflow"
    out["media_folder"] = ASSETS_FOLDER
    # Without this an untouched optional field is written empty (`grade: ''`, `flow: null`, `posts: []`),
    # which validation refuses: measured on a demo roster saved by Sveltia 0.221.1.
    out["output"] = {"omit_empty_optional_fields": True}
    out["app_title"] = "党建登记簿编辑"
    out["collections"] = collections()
    return out


def collections() -> list[dict]:
    """One collection per record type; the single-file types share one file collection."""
    singles = [t for t in RECORD_TYPES.values() if _is_single_file(t)]
    out = [
        {
            "name": _FILE_COLLECTION,
            "label": "设置",
            "icon": "settings",
            "files": [
                {"name": t.kind, "label": t.title, "file": t.location, "format": "yaml", "fields": fields(t.schema)}
                for t in singles
            ],
        }
    ]
    out += [_collection(t) for t in RECORD_TYPES.values() if t not in singles]
    return out


def _is_single_file(record_type: RecordType) -> bool:
    return "*" not in record_type.location and "<" not in record_type.location


def _folder(record_type: RecordType) -> str:
    """The folder a type's files live in, from its location (`registry/orgs/**/<id>.yaml` → `registry/orgs`)."""
    parts = record_type.location.split("/")
    return "/".join(p for p in parts[:-1] if p != "**")


def _collection(record_type: RecordType) -> dict:
    markdown = record_type.layout == "markdown"
    out: dict[str, Any] = {
        "name": record_type.kind,
        "label": record_type.title,
        "label_singular": record_type.title,
        "folder": _folder(record_type),
        "format": "yaml-frontmatter" if markdown else "yaml",
        "extension": "md" if markdown else "yaml",
        "create": True,
    }
    if "**" in record_type.location:  # files may sit in subfolders (by town, by year): keep them there
        out["nested"] = {"depth": _SUBFOLDER_DEPTH, "subfolders": False}
        out["meta"] = {"path": {"label": "文件夹", "widget": "string"}}
    if record_type.layout == "list":
        out["fields"] = [
            {
                "name": LIST_FIELD,
                "label": record_type.title,
                "label_singular": record_type.title,
                "widget": "list",
                "root": True,  # the file itself is the list (a roster, a ledger)
                "summary": _item_summary(record_type.schema),
                "fields": fields(record_type.schema),
            }
        ]
        out["slug"] = {"template": _NEW_FILE_SLUG, "editable": ["create"]}
        return out
    out["fields"] = fields(record_type.schema)
    if markdown:
        out["fields"].append(
            {
                "name": "body",
                "label": "正文",
                "widget": "markdown",
                "required": False,
                "hint": "Markdown 正文；第一个标题可作为页面标题",
            }
        )
        out["identifier_field"] = "title"
        out["slug"] = {"template": _NEW_FILE_SLUG, "editable": ["create"]}
    elif record_type.file_is_id:
        out["identifier_field"] = "id"
        out["slug"] = {"template": "{{fields.id}}", "editable": False}  # the file name is the id
        out["summary"] = _entry_summary(record_type.schema)
    else:
        out["slug"] = {"template": _NEW_FILE_SLUG, "editable": ["create"]}
    return out


def _name_field(schema: Object) -> str | None:
    return next((n for n in ("name", "title") if n in schema.by_name), None)


def _item_summary(schema: Object) -> str:
    name = _name_field(schema)
    parts = [f"{{{{fields.{n}}}}}" for n in (name, "date", "member") if n and n in schema.by_name]
    return " · ".join(parts) or "{{fields.id}}"


def _entry_summary(schema: Object) -> str:
    name = _name_field(schema)
    return f"{{{{fields.{name}}}}}（{{{{fields.id}}}}）" if name else "{{fields.id}}"


def fields(schema: Object) -> list[dict]:
    """The form fields of an object's declared fields, in declaration order."""
    return [field(spec) for spec in schema.fields]


def field(spec: Field) -> dict:
    """One form field, from its declaration: the label, the one-line doc as hint, the widget its type
    calls for (or the one declared), required when the format requires it."""
    shape = {"widget": spec.widget} if spec.widget else widget(spec.type)
    if shape["widget"] == "hidden":  # kept as written; a hidden field takes no hint and no requirement
        return {"name": spec.name, "label": spec.label, **shape}
    out: dict[str, Any] = {"name": spec.name, "label": spec.label, "hint": spec.doc, **shape}
    out["required"] = spec.required  # both CMSs take a field as required unless told otherwise
    return out


def widget(kind: FieldType) -> dict:
    """The widget and its options for a field type."""
    if isinstance(kind, Ref):
        return relation(kind.kind)
    if isinstance(kind, Enum):
        return {"widget": "select", "options": options(kind.values)}
    if isinstance(kind, Asset):
        return {
            "widget": "image",
            "media_folder": f"/{ASSETS_FOLDER}",
            "public_folder": "",
            "pattern": [r"^[^/\\].*$", "图片路径必须是 content/assets/ 下的相对路径，不能以 / 开头"],
        }
    if isinstance(kind, Id):
        assert kind.pattern is not None  # every id has one
        return {
            "widget": "string",
            "pattern": [kind.pattern.pattern, f"应为{kind.pattern_doc}"],
            "maxlength": MAX_ID_LENGTH,
        }
    if isinstance(kind, Text):
        if kind.markdown:
            return {"widget": "markdown"}
        if kind.pattern:
            return {"widget": "string", "pattern": [kind.pattern.pattern, f"应为{kind.pattern_doc}"]}
        return {"widget": "string"}
    if isinstance(kind, Date):
        return {"widget": "datetime", "type": "date", "format": "YYYY-MM-DD", "time_format": False}
    if isinstance(kind, Number):
        return number(kind)
    if isinstance(kind, Bool):
        # A select, not a switch: an untouched switch would write `false`, and "not written" has its own
        # meaning (a member's `public` then follows the post: secretaries are shown).
        return {"widget": "select", "options": [{"label": "是", "value": True}, {"label": "否", "value": False}]}
    if isinstance(kind, List):
        return list_widget(kind)
    if isinstance(kind, Object):
        return {"widget": "object", "fields": fields(kind)}
    if isinstance(kind, Mapping) and _scalar(kind.key) and _scalar(kind.value):
        return {"widget": "keyvalue", "key_label": kind.key.describe(), "value_label": kind.value.describe()}
    if isinstance(kind, (Mapping, Any_)):
        # No form edits a mapping of mappings (a result's scores per org per indicator) or free `extra:`:
        # the value is kept as written and edited in the file itself.
        return {"widget": "hidden"}
    raise TypeError(f"no widget for {type(kind).__name__}")  # a new field type must choose one here


def _scalar(kind: FieldType) -> bool:
    return isinstance(kind, (Text, Number, Date))


def options(values: list[str]) -> list:
    if any(v in _OPTION_LABELS for v in values):
        return [{"label": _OPTION_LABELS.get(v, v), "value": v} for v in values]
    return list(values)


def number(kind: Number) -> dict:
    out: dict[str, Any] = {"widget": "number", "value_type": "int" if kind.integer else "float"}
    if kind.minimum is not None:
        out["min"] = kind.minimum
    if kind.maximum is not None:
        out["max"] = kind.maximum
    if kind.integer:
        out["step"] = 1
    return out


def relation(kind: str) -> dict:
    """A searchable pick of another record by its Chinese name, storing its id."""
    if kind in NESTED_KINDS:  # points rules live in the rulebook's `rules:` list
        nested = NESTED_KINDS[kind]
        return {
            "widget": "relation",
            "collection": _FILE_COLLECTION,
            "file": nested.within,
            "value_field": f"{nested.field}.*.id",
            "search_fields": [f"{nested.field}.*.name", f"{nested.field}.*.id"],
            "display_fields": [f"{nested.field}.*.name"],
        }
    target = RECORD_TYPES[kind]
    name = _name_field(target.schema) or "id"
    prefix = f"{LIST_FIELD}.*." if target.layout == "list" else ""
    return {
        "widget": "relation",
        "collection": kind,
        "value_field": f"{prefix}id",
        "search_fields": [f"{prefix}{name}", f"{prefix}id"],
        "display_fields": [f"{prefix}{name}"],
    }


def list_widget(kind: List) -> dict:
    item = kind.item
    if isinstance(item, Ref):
        return {**relation(item.kind), "multiple": True}
    if isinstance(item, Enum):
        return {"widget": "select", "options": options(item.values), "multiple": True}
    if isinstance(item, Object):
        name = _name_field(item) or next((f.name for f in item.fields if isinstance(f.type, (Text, Date))), None)
        out: dict[str, Any] = {"widget": "list", "fields": fields(item), "collapsed": "auto"}
        if name:
            out["summary"] = f"{{{{fields.{name}}}}}"
        return out
    if isinstance(item, Text) and not item.pattern and not item.markdown:
        return {"widget": "list"}  # a list of short texts, one per line
    return {"widget": "list", "field": {"name": "item", "label": "一项", **widget(item)}}


def render_config(settings: CmsSettings) -> str:
    """config.yml's text (safe_dump: plain data, every string quoted as YAML needs)."""
    header = "# 由 `dangjian cms` 根据登记簿格式（recordtypes.py）和 site.yaml 的 cms 设置生成，请勿手工修改。\n"
    return header + yaml.safe_dump(config(settings), allow_unicode=True, sort_keys=False, width=120)


def admin_page(title: str) -> str:
    """The admin page: Chinese, the vendored script by a relative path, no CDN, no inline script."""
    safe = html.escape(title, quote=True)
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
{_MARK}
<title>编辑 · {safe}</title>
<link href="config.yml" type="application/yaml" rel="cms-config-url">
</head>
<body>
<noscript>编辑页面需要启用 JavaScript。</noscript>
<script src="{SCRIPT_NAME}"></script>
</body>
</html>
"""


OUTPUT_NAMES = ("config.yml", "index.html", SCRIPT_NAME, "locales", "fonts", "LICENSE.txt")


def refuse_output(out: Path, root: Path) -> str | None:
    """Why the admin files may not be written into `out` (a Chinese sentence), or None.

    The command overwrites its own files by name: never through a symbolic link (a committed
    `admin -> /etc` would send them anywhere), never inside the registry's own folders, and
    never over files another tool made (a folder whose index.html is not ours).
    """
    absolute, base = Path(os.path.abspath(out)), Path(os.path.abspath(root))
    path = absolute
    while True:  # the folder itself and every folder above it inside the root
        if os.path.islink(path):
            return f"{path} 是符号链接：请直接给出一个普通文件夹"
        if path == base or path.parent == path or not path.is_relative_to(base):
            break
        path = path.parent
    for name in ("registry", "content", ".git"):
        if absolute.is_relative_to(base / name):
            return f"输出文件夹 {out} 在登记簿的 {name}/ 里面：请换一个文件夹，例如 {base / 'admin'}"
    if os.path.lexists(absolute) and not absolute.is_dir():
        return f"输出位置 {out} 是一个文件，不是文件夹"
    for name in OUTPUT_NAMES:
        if os.path.islink(absolute / name):
            return f"{absolute / name} 是符号链接：为免写到别处，请删除它后重试"
    page = absolute / "index.html"
    ours = page.is_file() and _MARK in page.read_text(encoding="utf-8", errors="replace")
    if not ours and any(os.path.lexists(absolute / name) for name in OUTPUT_NAMES):
        return f"{out} 里已有不是 dangjian cms 生成的 index.html、config.yml 或脚本：为免覆盖，请换一个文件夹"
    return None


def write_admin(out: Path, settings: CmsSettings, site_title: str, package: Path | None) -> list[str]:
    """Write config.yml, index.html and (from an unpacked `@sveltia/cms` npm package, when given) the
    CMS's script, Chinese UI strings and fonts into `out`; the names written.

    The caller checks `refuse_output` first; a package that is not the expected shape raises CmsError
    before anything is written."""
    vendored = vendor(package) if package is not None else {}
    for name in ["config.yml", "index.html", *vendored]:
        target = out / name
        if any(os.path.islink(p) for p in (target, target.parent)):  # e.g. a committed admin/fonts/x -> /etc/…
            raise CmsError(f"{target} 或它所在的文件夹是符号链接：为免写到别处，请删除它后重试")
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yml").write_text(render_config(settings), encoding="utf-8")
    (out / "index.html").write_text(admin_page(site_title), encoding="utf-8")
    for name, data in vendored.items():
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_bytes(data)
    return ["config.yml", "index.html", *vendored]


def site_admin(site: dict, site_dir: Path, package: Path | None = None) -> tuple[list[str], str | None]:
    """The `/admin/` folder of a built site: (names written, a Chinese warning or None).

    Nothing when `site.yaml` has no `cms:` or says `admin: false`; nothing but a warning when no
    Sveltia package is at hand (a page without its script would only show an empty screen).
    `site_dir` is the build's own staging folder, so no output check is needed; site.yaml's values
    were validated with the registry and are checked again by `CmsSettings`."""
    if "cms" not in site:
        return [], None
    settings = CmsSettings.from_site(site["cms"])
    if not settings.admin:
        return [], None
    package = package or shipped_package()
    if package is None:
        return [], "没有生成 /admin/ 编辑页面：这个 dangjian 没有自带 Sveltia CMS（见 docs/cms.md）"
    if os.path.lexists(site_dir / "admin"):  # a free page content/pages/admin.md: never replaced silently
        return [], (
            "没有生成 /admin/ 编辑页面：网站里已有 admin/ 这个页面（content/pages/admin.md）。"
            "请给那个页面换一个文件名，或在 site.yaml 的 cms 设置里写 admin: false"
        )
    names = write_admin(site_dir / "admin", settings, site["title"], package)
    return [f"admin/{name}" for name in names], None


def shipped_package() -> Path | None:
    """The Sveltia CMS files shipped with dangjian (the npm package's needed part), if this copy has them."""
    folder = Path(__file__).parent / "cms_vendor"
    return folder if (folder / "dist" / SCRIPT_NAME).is_file() else None


# What Sveltia's browser bundle fetches from CDNs at run time, and where the vendored copy serves it
# from instead (paths relative to the admin page): its UI strings for any language but English
# (unpkg) and its three fonts, the icon font among them (jsDelivr).
_LOCALES = re.compile(r"=`\$\{\w+\}@\$\{\w+\}/locales`")
_FONT_URL = re.compile(
    r"https://cdn\.jsdelivr\.net/fontsource/fonts/(source-sans-3|noto-mono|material-symbols-outlined)[^)`'\s]*\.woff2"
)
UI_LOCALE = "zh-CN"


def vendor(package: Path) -> dict[str, bytes]:
    """The admin folder's files from an unpacked `@sveltia/cms` package: the script with its CDN
    addresses replaced by local ones, the Chinese UI strings and the fonts (with their licences)."""
    script = package / "dist" / SCRIPT_NAME
    if not script.is_file():
        raise CmsError(f"{package} 里没有 dist/{SCRIPT_NAME}：请给出解压后的 npm 包 @sveltia/cms 的文件夹")
    text = script.read_text(encoding="utf-8")
    text, count = _LOCALES.subn("=`locales`", text)
    if count != 1:
        raise CmsError(
            f"认不出这个版本的 {SCRIPT_NAME}（界面文字的地址出现 {count} 次，应为 1 次）：请更新 dangjian 的 cms.py"
        )
    fonts = _fonts(package / "npm" / "assets")
    missing = sorted({m.group(1) for m in _FONT_URL.finditer(text)} - set(fonts))
    if missing or len(fonts) != 3:
        raise CmsError(f"npm 包 @sveltia/cms 里缺少字体 {'、'.join(missing) or '（数目不对）'}：请确认是完整的 npm 包")
    text = _FONT_URL.sub(lambda m: f"fonts/{fonts[m.group(1)].name}", text)
    if "cdn.jsdelivr.net" in text or "/locales`" in text:
        raise CmsError(f"{SCRIPT_NAME} 里还有 CDN 地址：请更新 dangjian 的 cms.py")
    out = {
        SCRIPT_NAME: text.encode("utf-8"),
        f"locales/{UI_LOCALE}.json": _package_file(package / "locales" / f"{UI_LOCALE}.json"),
        "LICENSE.txt": _package_file(package / "LICENSE.txt"),
    }
    for family, path in fonts.items():
        out[f"fonts/{path.name}"] = _package_file(path)
        out[f"fonts/{family}.LICENSE.txt"] = _package_file(path.parent / f"{family}.LICENSE.txt")
    return out


def _package_file(path: Path) -> bytes:
    if not path.is_file():
        raise CmsError(f"npm 包 @sveltia/cms 里缺少 {path.name}：请确认是完整的 npm 包")
    return path.read_bytes()


def _fonts(assets: Path) -> dict[str, Path]:
    found = sorted(assets.glob("*.woff2")) if assets.is_dir() else []
    return {
        family: path
        for family in ("source-sans-3", "noto-mono", "material-symbols-outlined")
        for path in found
        if path.name.startswith(family + "-")
    }


def read_site(root: Path) -> tuple[dict | None, list[Problem]]:
    """site.yaml's converted values and its problems (loaded alone: the forms need nothing else)."""
    path = root / SITE_FILE
    if os.path.islink(path) or not path.is_file():
        return None, [
            Problem(
                SITE_FILE,
                1,
                1,
                "找不到网站设置文件 registry/site.yaml",
                "在登记簿根目录下建立 registry/site.yaml",
                "missing-file",
            )
        ]
    loaded = load_source(path.read_bytes(), SITE_FILE, "site")
    return (loaded.records[0].data if loaded.records else None), loaded.problems
