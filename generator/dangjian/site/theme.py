"""The one seam between dangjian and its theme: Material for MkDocs' look, rendered by dangjian alone.

The templates, partials and compiled assets the site uses are copied from mkdocs-material
into `site_templates/material/` (MIT; the version and every local change are in its
`THEME-SOURCE`); dangjian's overrides (`site_templates/overrides/`) come first. They are
rendered here with a Jinja environment of our own and a small context shaped like the one
mkdocs would give them (`_Page`, `_Navigation`, the `url` and `script_tag` filters): neither
mkdocs nor mkdocs-material is imported. The site's `mkdocs.yml` is checked as untrusted
data (`config.py`: no tags, no templates, no plugins, no off-site files) and becomes a
`ThemeSettings`, so pages carry Material's markup, assets and palette and users customise
them as Material users do.
Rendering is done once per page *shape* (what the theme output depends on besides
title, content and canonical URL: the page's depth, its top-level section, whether it
is a nav page) with placeholders, then filled per page by string replacement.
Switching to another theme means replacing this module.
"""

from __future__ import annotations

import html
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import jinja2
from markupsafe import Markup

from ..problems import format_text
from . import sharing
from .bytecode import template_cache
from ..themeconfig import (
    DEFAULT_FILE,
    TEMPLATES,
    SiteConfig,
    ThemeSettings,
    check_config,
    read_site_config,
    theme_dirs,
    theme_settings,
)

__all__ = ["DEFAULT_CONFIG", "TEMPLATES", "MaterialTheme", "NavEntry", "PageSpec", "ThemeError"]

DEFAULT_CONFIG = DEFAULT_FILE

# Placeholders. Material's templates print values unescaped (they are written for an
# environment without autoescape) and filter some (`striptags` unescapes entities), so every
# text that comes from the registry enters the templates as an inert token and is put in,
# escaped, afterwards.
_TITLE = "\x1atitle\x1a"
_CONTENT = "<!--\x1acontent<h1\x1a-->"  # holds "<h1": Material then adds no title of its own
_CANONICAL = "\x1acanonical\x1a"
_DESCRIPTION = "\x1adescription\x1a"
_SITE_NAME = "\x1asite_name\x1a"
_SITE_DESCRIPTION = "\x1asite_description\x1a"
_SHARE = "\x1ashare\x1a"  # the page's share metadata and feed links (sharing.head), in main.html's extrahead
_URL_SAFE = "/%-._~!$&'()*+,;=:@"  # what may stay unquoted in a path put into href="…"


def _nav_token(index: int) -> str:
    return f"\x1anav{index}\x1a"


def _text(value: str) -> str:
    """`value` escaped for HTML text or a quoted attribute; a stray token mark cannot pose as a placeholder."""
    return html.escape(value).replace("\x1a", "\ufffd")


class ThemeError(Exception):
    """The site's mkdocs.yml cannot be used."""


@dataclass(frozen=True)
class NavEntry:
    """A top-level nav item: a section index page of the site."""

    title: str
    url: str  # "" for home, else "orgs/" style


@dataclass
class PageSpec:
    """What a page is made of, before the theme wraps it."""

    url: str  # "orgs/caota/" ("" for home)
    title: str  # plain text
    content: str  # HTML of the article, its h1 included
    description: str = ""
    anchor: str = "dj-title"  # id of the article's h1: the theme's "skip to content" link targets it


# --- What Material's templates read: pages, the nav, a table of contents, two filters ---------


@dataclass(eq=False)
class _Anchor:
    """A heading in a page's table of contents."""

    title: str
    id: str
    level: int
    children: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return "#" + self.id


@dataclass(eq=False)
class _Page:
    """A page as Material's templates read it: every page is a top-level `…/index` page (no sections).

    Compared by identity, as the templates do (`nav_item == page`).
    """

    title: str
    url: str
    is_homepage: bool = False
    active: bool = False
    meta: dict = field(default_factory=dict)
    toc: list = field(default_factory=list)
    content: str | None = None
    canonical_url: str | None = None
    previous_page: _Page | None = None
    next_page: _Page | None = None
    edit_url: None = None
    children: None = None
    parent: None = None
    ancestors: tuple = ()
    is_page: bool = True
    is_section: bool = False
    is_link: bool = False
    is_index: bool = True


class _Navigation:
    """The site's nav: top-level pages only, linked previous/next in order."""

    def __init__(self, pages: list[_Page]) -> None:
        self.items = pages
        self.pages = pages
        self.homepage = next((p for p in pages if p.is_homepage), None)
        for before, after in zip(pages, pages[1:]):
            before.next_page, after.previous_page = after, before

    def __iter__(self) -> Iterator[_Page]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _norm_parts(path: str) -> list[str]:
    path = posixpath.normpath("/" + path)[1:]
    return path.split("/") if path else []


def relative_url(url: str, other: str) -> str:
    """`url` relative to the page at `other` (both site paths; a last part with a dot is a file)."""
    folder, _, last = other.rpartition("/")
    if "." in last:
        other = folder
    here, there = _norm_parts(other), _norm_parts(url)
    common = 0
    for a, b in zip(here, there):
        if a != b:
            break
        common += 1
    relative = "/".join([".."] * (len(here) - common) + there[common:]) or "."
    return relative + "/" if url.endswith("/") else relative


def _normalize_url(path: str, page: _Page | None, base: str) -> str:
    """A link as mkdocs' `url` filter makes it: absolute ones kept, site paths made relative to the page."""
    path = path.replace("\\", "/") if path else "."
    parsed = urlsplit(path)
    if parsed.scheme or parsed.netloc or path.startswith(("/", "#")):
        return path
    if page is None:
        return posixpath.join(base, path)
    levels, norm = 0, posixpath.normpath(path) + "/"
    while norm.startswith("../", levels * 3):
        levels += 1
    return "../" * levels + relative_url(path, page.url)


@jinja2.pass_context
def _url_filter(context: jinja2.runtime.Context, value: Any) -> str:
    return _normalize_url(str(value), context["page"], context["base_url"])


@jinja2.pass_context
def _script_tag_filter(context: jinja2.runtime.Context, path: Any) -> Markup:
    kind = ' type="module"' if str(path).endswith(".mjs") else ""  # mkdocs treats .mjs scripts as modules
    return Markup('<script src="{0}"' + kind + "></script>").format(_url_filter(context, path))


def theme_environment(dirs: list[Path]) -> jinja2.Environment:
    """The Jinja environment Material's templates are rendered in.

    Autoescape is off because Material's templates are written for it (they escape with
    `| e` where mkdocs' values may hold markup); every registry text enters as a
    placeholder token and is escaped by `MaterialTheme` after rendering.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        auto_reload=False,
        autoescape=False,
        bytecode_cache=template_cache(),
    )
    env.filters["url"] = _url_filter
    env.filters["script_tag"] = _script_tag_filter
    return env


def _site_url(value: str | None) -> str | None:
    """The site's address with a trailing slash, as canonical links are made from it; None when unset."""
    if not value:
        return None
    parts = urlsplit(value)
    if not (parts.scheme and parts.netloc):
        raise ValueError(value)
    if not parts.path.endswith("/"):
        parts = parts._replace(path=parts.path + "/")
    return urlunsplit(parts)


def _src_uri(url: str) -> str:
    return f"{url}index.md" if url else "index.md"


class MaterialTheme:
    """Loads mkdocs.yml, builds Material's nav once, and renders pages by shape."""

    def __init__(
        self,
        config_file: Path | None,
        *,
        site_name: str,
        description: str,
        site_url: str | None,
        nav: list[NavEntry],
        highlight_sections: bool = True,
    ) -> None:
        self.highlight_sections = highlight_sections  # mark a record page's section tab active (mkdocs would not)
        path = config_file if config_file is not None and config_file.is_file() else DEFAULT_CONFIG
        checked = _checked(config_file)
        if checked.problems:
            raise ThemeError(format_text(checked.problems))
        try:
            self.site_url = _site_url(site_url)
        except ValueError:
            raise ThemeError(
                f"{path.name} 的 site_url 设置有误：网址必须以 http:// 或 https:// 开头（现在是 {site_url}）"
            ) from None
        self.site_description = description or ""
        self.site_name = site_name
        self.settings: ThemeSettings = theme_settings(checked.values)
        self._texts = {_SITE_NAME: _text(site_name), _SITE_DESCRIPTION: _text(self.site_description)}
        self._texts.update((_nav_token(i), _text(e.title)) for i, e in enumerate(nav))
        self.config = self._template_config(site_description=_SITE_DESCRIPTION if description else None)
        self.dirs = theme_dirs()
        self.env = theme_environment(self.dirs)
        self.template = self.env.get_template("main.html")
        self.nav_pages: dict[str, _Page] = {
            e.url: _Page(_nav_token(i), e.url, is_homepage=not e.url) for i, e in enumerate(nav)
        }
        self.nav = _Navigation(list(self.nav_pages.values()))
        self._shapes: dict[tuple, str] = {}

    def _template_config(self, site_description: str | None) -> dict[str, Any]:
        """The `config` Material's templates read: our settings, and nothing for what dangjian refuses."""
        s = self.settings
        return {
            "site_name": _SITE_NAME,
            "site_description": site_description,
            "site_url": self.site_url,
            "site_author": None,
            "copyright": s.copyright,
            "repo_url": None,
            "theme": s.theme,
            "extra": s.extra,
            "extra_css": s.extra_css,
            "extra_javascript": s.extra_javascript,
            "plugins": {},
            "mdx_configs": {},
        }

    def _fill_texts(self, rendered: str) -> str:
        """Put the site's own texts (name, description, nav titles), escaped, in place of their tokens."""
        for token, text in self._texts.items():
            rendered = rendered.replace(token, text)
        return rendered

    def _shape_key(self, spec: PageSpec) -> tuple:
        if spec.url in self.nav_pages:
            return ("nav", spec.url, spec.anchor)
        parts = [p for p in spec.url.split("/") if p]
        return ("page", len(parts), parts[0] if parts else "", spec.anchor)

    def _section_of(self, url: str) -> _Page | None:
        top = url.split("/", 1)[0] + "/"
        return self.nav_pages.get(top)

    def _render_shape(self, spec: PageSpec) -> str:
        if spec.url in self.nav_pages:
            page = self.nav_pages[spec.url]  # keeps its nav title: the tab shows it too
            section = None
        else:
            page = _Page(_TITLE, spec.url)
            section = self._section_of(spec.url) if self.highlight_sections else None
        page.content = _CONTENT
        page.toc = [_Anchor(_TITLE, spec.anchor, 1)]
        page.meta = {"description": _DESCRIPTION, "hide": ["toc"], "dj_share": _SHARE}
        page.canonical_url = _CANONICAL if self.site_url else None
        page.active = True
        if section is not None:
            section.active = True
        try:
            return self._fill_texts(self.template.render(self._context(page, relative_url(".", page.url))))
        finally:
            page.active = False
            page.meta, page.toc, page.content, page.canonical_url = {}, [], None, None
            if section is not None:
                section.active = False

    def _context(self, page: _Page | None, base_url: str) -> dict[str, Any]:
        return {
            "nav": self.nav,
            "pages": self.nav.pages,
            "base_url": base_url,
            "build_date_utc": None,
            "config": self.config,
            "page": page,
        }

    def render(self, spec: PageSpec) -> str:
        """The full HTML page for `spec`."""
        key = self._shape_key(spec)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._render_shape(spec)
        title = _text(spec.title)
        canonical = _text((self.site_url or "") + spec.url)
        description = _text(spec.description or self.site_description)
        share = sharing.head(
            spec.url,
            spec.title,
            spec.description or self.site_description,
            site_name=self.site_name,
            site_url=self.site_url,
        )
        return (
            shape.replace(_SHARE, share)
            .replace(_TITLE, title)
            .replace(_DESCRIPTION, description)
            .replace(_CANONICAL, canonical)
            .replace(_CONTENT, spec.content)
        )

    def render_404(self) -> str:
        """The error page, with links from the server root (it is served at any depth)."""
        root_path = quote(urlsplit(self.site_url or "/").path, safe=_URL_SAFE)
        return self._fill_texts(self.env.get_template("404.html").render(self._context(None, root_path)))

    def copy_assets(self, out: Path) -> None:
        """Copy the theme's static files (`asset_files`) into `out`."""
        for rel, data in self.asset_files().items():
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    def asset_files(self) -> dict[str, bytes]:
        """The theme's static files (Material's assets, then the overrides'): their path in the site (`assets/…`) →
        their bytes (an override's in place of Material's)."""
        found: dict[str, bytes] = {}
        for theme_dir in reversed(self.dirs):
            assets = Path(theme_dir) / "assets"
            for path in sorted(assets.rglob("*")) if assets.is_dir() else ():
                if path.is_file():
                    found[f"assets/{path.relative_to(assets).as_posix()}"] = path.read_bytes()
        return found


def _checked(config_file: Path | None) -> SiteConfig:
    """The settings of `config_file` (dangjian's defaults when None or absent), checked as untrusted."""
    if config_file is None or not os.path.lexists(config_file):
        return check_config(DEFAULT_CONFIG.read_bytes(), DEFAULT_CONFIG.name, DEFAULT_CONFIG.parent)
    if config_file.name == "mkdocs.yml":
        return read_site_config(config_file.parent)
    return check_config(config_file.read_bytes(), config_file.name, config_file.parent)
