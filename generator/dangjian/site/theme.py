"""The one seam between dangjian and its theme: mkdocs-material, rendered without `mkdocs build`.

The site's `mkdocs.yml` is checked as untrusted data (`config.py`: no tags, no templates,
no plugins, no off-site files) and handed to mkdocs' own config object, and Material's own
`main.html` is rendered through the theme's Jinja environment, so pages carry
Material's markup, assets and palette and users customise them as Material users do.
Rendering is done once per page *shape* (what the theme output depends on besides
title, content and canonical URL: the page's depth, its top-level section, whether it
is a nav page) with placeholders, then filled per page by string replacement.
Switching to another theme means replacing this module.
"""

from __future__ import annotations

import html
import os
import shutil
from urllib.parse import quote, urlsplit
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mkdocs
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, get_navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

from ..cache import template_cache
from ..problems import format_text
from .config import DEFAULT_FILE, TEMPLATES, SiteConfig, check_config, mkdocs_config, read_site_config

__all__ = ["DEFAULT_CONFIG", "TEMPLATES", "MaterialTheme", "NavEntry", "PageSpec", "ThemeError"]

DEFAULT_CONFIG = DEFAULT_FILE

# Placeholders. Material's templates print values unescaped (mkdocs' Jinja environment has
# no autoescape) and filter some (`striptags` unescapes entities), so every text that comes
# from the registry enters the templates as an inert token and is put in, escaped, afterwards.
_TITLE = "\x1atitle\x1a"
_CONTENT = "<!--\x1acontent<h1\x1a-->"  # holds "<h1": Material then adds no title of its own
_CANONICAL = "\x1acanonical\x1a"
_DESCRIPTION = "\x1adescription\x1a"
_SITE_NAME = "\x1asite_name\x1a"
_SITE_DESCRIPTION = "\x1asite_description\x1a"
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

    url: str             # "orgs/caota/" ("" for home)
    title: str           # plain text
    content: str         # HTML of the article, its h1 included
    description: str = ""
    anchor: str = "dj-title"  # id of the article's h1: the theme's "skip to content" link targets it


def _src_uri(url: str) -> str:
    return f"{url}index.md" if url else "index.md"


class MaterialTheme:
    """Loads mkdocs.yml, builds Material's nav once, and renders pages by shape."""

    def __init__(self, config_file: Path | None, *, site_name: str, description: str, site_url: str | None,
                 nav: list[NavEntry], docs_dir: Path, highlight_sections: bool = True) -> None:
        self.highlight_sections = highlight_sections  # mark a record page's section tab active (mkdocs would not)
        path = config_file if config_file is not None and config_file.is_file() else DEFAULT_CONFIG
        settings = _checked(config_file)
        if settings.problems:
            raise ThemeError(format_text(settings.problems))
        self.site_description = description or ""
        self._texts = {_SITE_NAME: _text(site_name), _SITE_DESCRIPTION: _text(self.site_description)}
        self._texts.update((_nav_token(i), _text(e.title)) for i, e in enumerate(nav))
        self.config: MkDocsConfig = mkdocs_config(
            settings.values, config_file=str(path), site_name=_SITE_NAME,
            site_description=_SITE_DESCRIPTION if description else None, site_url=site_url, docs_dir=str(docs_dir),
            nav=[{_nav_token(i): _src_uri(e.url)} for i, e in enumerate(nav)])
        errors, _warnings = self.config.validate()
        if errors:
            raise ThemeError("；".join(f"{path.name} 的 {name} 设置有误：{err}" for name, err in errors))
        self.config.theme.dirs.insert(0, str(TEMPLATES / "overrides"))
        self.env = self.config.theme.get_env()
        self.env.bytecode_cache = template_cache()
        self.template = self.env.get_template("main.html")
        self.files = Files([self._virtual_file(e.url) for e in nav])
        self.nav: Navigation = get_navigation(self.files, self.config)
        self.nav_pages: dict[str, Page] = {}
        for entry, file in zip(nav, self.files):
            self.nav_pages[entry.url] = file.page
        self._shapes: dict[tuple, str] = {}

    def _fill_texts(self, rendered: str) -> str:
        """Put the site's own texts (name, description, nav titles), escaped, in place of their tokens."""
        for token, text in self._texts.items():
            rendered = rendered.replace(token, text)
        return rendered

    def _virtual_file(self, url: str) -> File:
        """A page that exists only in dangjian's memory, where mkdocs would expect a Markdown file."""
        return File(_src_uri(url), src_dir=None, dest_dir=self.config.site_dir,
                    use_directory_urls=self.config.use_directory_urls)

    def _shape_key(self, spec: PageSpec) -> tuple:
        if spec.url in self.nav_pages:
            return ("nav", spec.url, spec.anchor)
        parts = [p for p in spec.url.split("/") if p]
        return ("page", len(parts), parts[0] if parts else "", spec.anchor)

    def _section_of(self, url: str) -> Page | None:
        top = url.split("/", 1)[0] + "/"
        return self.nav_pages.get(top)

    def _render_shape(self, spec: PageSpec) -> str:
        if spec.url in self.nav_pages:
            page = self.nav_pages[spec.url]  # keeps its nav title: the tab shows it too
            section = None
        else:
            page = Page(None, self._virtual_file(spec.url), self.config)
            page.title = _TITLE
            section = self._section_of(spec.url) if self.highlight_sections else None
        page.content = _CONTENT
        page.toc = get_toc([{"level": 1, "id": spec.anchor, "name": _TITLE, "html": _TITLE, "data-toc-label": "", "children": []}])
        page.meta = {"description": _DESCRIPTION, "hide": ["toc"]}
        page.canonical_url = _CANONICAL if self.config.site_url else None
        page.active = True
        if section is not None:
            section.active = True
        try:
            context = {
                "nav": self.nav, "pages": self.files.documentation_pages(),
                "base_url": get_relative_url(".", page.url), "mkdocs_version": mkdocs.__version__,
                "build_date_utc": None, "config": self.config, "page": page,
                "extra_css": [self._asset_url(p, page.url) for p in self.config.extra_css],
                "extra_javascript": [self._asset_url(str(p), page.url) for p in self.config.extra_javascript],
            }
            return self._fill_texts(self.template.render(context))
        finally:
            page.active = False
            if section is not None:
                section.active = False

    @staticmethod
    def _asset_url(path: str, page_url: str) -> str:
        return get_relative_url(path, page_url)  # config.py admits only files the site publishes

    def render(self, spec: PageSpec) -> str:
        """The full HTML page for `spec`."""
        key = self._shape_key(spec)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._render_shape(spec)
        title = _text(spec.title)
        canonical = _text((self.config.site_url or "") + spec.url)
        description = _text(spec.description or self.site_description)
        return (shape.replace(_TITLE, title).replace(_DESCRIPTION, description)
                .replace(_CANONICAL, canonical).replace(_CONTENT, spec.content))

    def render_404(self) -> str:
        """The error page, with links from the server root as mkdocs makes them."""
        root_path = quote(urlsplit(self.config.site_url or "/").path, safe=_URL_SAFE)
        context = {
            "nav": self.nav, "pages": self.files.documentation_pages(), "base_url": root_path,
            "mkdocs_version": mkdocs.__version__, "build_date_utc": None, "config": self.config, "page": None,
            "extra_css": [self._asset_url(p, "") for p in self.config.extra_css],
            "extra_javascript": [self._asset_url(str(p), "") for p in self.config.extra_javascript],
        }
        return self._fill_texts(self.env.get_template("404.html").render(context))

    def copy_assets(self, out: Path) -> None:
        """Copy the theme's static files (Material's assets, then overrides) into `out`.

        Source maps (`*.map`, Material's bundle map alone is 1 MB) serve the theme's own
        developers, not readers: they are left out. So is `javascripts/lunr/` (960 KB of
        language support for Material's own search, which dangjian replaces with Pagefind).
        """
        for theme_dir in reversed(self.config.theme.dirs):
            assets = Path(theme_dir) / "assets"
            if assets.is_dir():
                shutil.copytree(assets, out / "assets", dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.map", "lunr"))

    @property
    def settings(self) -> dict[str, Any]:
        """The loaded mkdocs config, for templates that need `extra` settings."""
        return self.config


def _checked(config_file: Path | None) -> SiteConfig:
    """The settings of `config_file` (dangjian's defaults when None or absent), checked as untrusted."""
    if config_file is None or not os.path.lexists(config_file):
        return check_config(DEFAULT_CONFIG.read_bytes(), DEFAULT_CONFIG.name, DEFAULT_CONFIG.parent)
    if config_file.name == "mkdocs.yml":
        return read_site_config(config_file.parent)
    return check_config(config_file.read_bytes(), config_file.name, config_file.parent)
