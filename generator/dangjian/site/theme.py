"""The one seam between dangjian and its theme: mkdocs-material, rendered without `mkdocs build`.

The site's `mkdocs.yml` is loaded with mkdocs' own config loader, and Material's own
`main.html` is rendered through the theme's Jinja environment, so pages carry
Material's markup, assets and palette and users customise them as Material users do.
Rendering is done once per page *shape* (what the theme output depends on besides
title, content and canonical URL: the page's depth, its top-level section, whether it
is a nav page) with placeholders, then filled per page by string replacement.
Switching to another theme means replacing this module.
"""

from __future__ import annotations

import html
import shutil
from urllib.parse import urlsplit
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mkdocs
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, get_navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

from ..cache import template_cache


def _templates() -> Path:
    """site_templates/: beside the package in a checkout, or installed as `dangjian_site_templates`."""
    checkout = Path(__file__).resolve().parents[3] / "site_templates"
    if (checkout / "pages").is_dir():
        return checkout
    from importlib.resources import files

    return Path(str(files("dangjian_site_templates")))


TEMPLATES = _templates()
DEFAULT_CONFIG = TEMPLATES / "mkdocs.yml"

_TITLE = "\x1atitle\x1a"
_CONTENT = "<!--\x1acontent<h1\x1a-->"  # holds "<h1": Material then adds no title of its own
_CANONICAL = "\x1acanonical\x1a"
_DESCRIPTION = "\x1adescription\x1a"


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
        try:
            self.config: MkDocsConfig = load_config(
                str(path), site_name=site_name, site_description=description or None,
                site_url=site_url, docs_dir=str(docs_dir), nav=[{e.title: _src_uri(e.url)} for e in nav],
                plugins=[],
            )
        except mkdocs.exceptions.ConfigurationError as err:
            raise ThemeError(f"{path}: {err}") from err
        if self.config.theme.name != "material":
            raise ThemeError(f"{path}: theme.name 必须是 material（现在是 {self.config.theme.name}）")
        self.config.theme.dirs.insert(1 if self.config.theme.custom_dir else 0, str(TEMPLATES / "overrides"))
        self.env = self.config.theme.get_env()
        self.env.bytecode_cache = template_cache()
        self.template = self.env.get_template("main.html")
        self.files = Files([self._virtual_file(e.url) for e in nav])
        self.nav: Navigation = get_navigation(self.files, self.config)
        self.nav_pages: dict[str, Page] = {}
        for entry, file in zip(nav, self.files):
            self.nav_pages[entry.url] = file.page
        self._shapes: dict[tuple, str] = {}

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
            return self.template.render(context)
        finally:
            page.active = False
            if section is not None:
                section.active = False

    @staticmethod
    def _asset_url(path: str, page_url: str) -> str:
        return path if "://" in path else get_relative_url(path, page_url)

    def render(self, spec: PageSpec) -> str:
        """The full HTML page for `spec`."""
        key = self._shape_key(spec)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._render_shape(spec)
        title = html.escape(spec.title, quote=False)
        canonical = html.escape((self.config.site_url or "") + spec.url)
        description = html.escape(spec.description or self.config.site_description or "")
        return (shape.replace(_TITLE, title).replace(_DESCRIPTION, description)
                .replace(_CANONICAL, canonical).replace(_CONTENT, spec.content))

    def render_404(self) -> str:
        """The error page, with links from the server root as mkdocs makes them."""
        context = {
            "nav": self.nav, "pages": self.files.documentation_pages(), "base_url": urlsplit(self.config.site_url or "/").path,
            "mkdocs_version": mkdocs.__version__, "build_date_utc": None, "config": self.config, "page": None,
            "extra_css": [self._asset_url(p, "") for p in self.config.extra_css],
            "extra_javascript": [self._asset_url(str(p), "") for p in self.config.extra_javascript],
        }
        return self.env.get_template("404.html").render(context)

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
