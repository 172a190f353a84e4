"""Golden pages of the theme: fixed page specs rendered under several mkdocs.yml settings.

The committed pages in tests/data/theme-golden/ were made by the renderer that drove
mkdocs 1.6.1 and mkdocs-material 9.8.2 (dangjian before the theme was vendored), with the
local changes listed in site_templates/material/THEME-SOURCE applied (the generator meta tag, the
site's own favicon, the tables.js script).
tests/test_site_theme.py checks today's renderer gives them byte for byte. After a reviewed
change to the theme, write them again with `python tests/theme_golden.py` and read the diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "data" / "theme-golden"

# Theme settings (a registry's mkdocs.yml); None: no mkdocs.yml, dangjian's defaults.
CONFIGS: dict[str, str | None] = {
    "default": None,
    "toggles": """theme:
  name: material
  language: en
  palette:
    - media: "(prefers-color-scheme)"
      toggle:
        icon: material/brightness-auto
        name: Switch to light mode
    - media: "(prefers-color-scheme: light)"
      scheme: default
      primary: indigo
      toggle:
        icon: material/brightness-7
        name: Switch to dark mode
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      primary: black
      accent: lime
      toggle:
        icon: material/brightness-4
        name: Switch to system preference
  features: [navigation.tabs.sticky, navigation.tabs, navigation.footer, navigation.path, navigation.instant.progress,
             toc.integrate, navigation.sections, navigation.indexes, navigation.prune, navigation.expand,
             announce.dismiss, content.tabs.link, header.autohide]
  logo: assets/brands/logo.png
  favicon: assets/brands/logo.png
extra_javascript: [assets/dangjian/search.js, assets/brands/app.mjs]
copyright: "© 2026 测试 <b>"
extra:
  icp: 浙ICP备00000000号-1
""",
    "icons": """theme:
  name: material
  language: zh-TW
  features: [navigation.footer, navigation.top]
  palette: {scheme: slate, primary: blue grey}
  icon:
    logo: material/home
    menu: material/menu
    top: material/arrow-up
    previous: material/arrow-left
    next: material/arrow-right
""",
    "nofeatures": "theme:\n  name: material\n  language: ja\n  palette: []\n",
}
# (config, site_url, highlight_sections)
VARIANTS = [
    ("default", "https://example.org/sub/", True),
    ("default", None, False),
    ("toggles", "https://example.org/sub/", True),
    ("icons", "https://example.org/sub/", True),
    ("nofeatures", "https://example.org/sub/", True),
]
NAV = [("首页", ""), ("组织", "orgs/"), ("品牌 & <b>", "brands/"), ("关于", "about/")]
SPECS = {  # name: (url, title, content, description)
    "home": ("", "首页", '<h1 id="dj-title">首页</h1><p>x</p>', "主页描述"),
    "nav": ("orgs/", "组织", '<h1 id="dj-title">组织</h1>', ""),
    "record": ("orgs/east/", "东村 <x>", '<h1 id="dj-title">东村</h1>', "东村描述"),
    "deep": ("orgs/east/members/", "成员", '<h1 id="dj-title">成员</h1>', ""),
}


def make_root(root: Path) -> Path:
    """A registry root holding the files the settings above name (logo, a module script)."""
    (root / "content" / "assets" / "brands").mkdir(parents=True, exist_ok=True)
    (root / "registry").mkdir(exist_ok=True)
    (root / "content" / "assets" / "brands" / "logo.png").write_bytes(b"x")
    (root / "content" / "assets" / "brands" / "app.mjs").write_bytes(b"x")
    return root


def render_all(root: Path, **theme_kwargs) -> dict[str, str]:
    """Every golden page, by file name, rendered by the dangjian on sys.path."""
    from dangjian.site.theme import MaterialTheme, NavEntry, PageSpec

    pages = {}
    nav = [NavEntry(title, url) for title, url in NAV]
    for config, site_url, highlight in VARIANTS:
        config_file = None
        if CONFIGS[config] is not None:
            config_file = root / "mkdocs.yml"
            config_file.write_text(CONFIGS[config], encoding="utf-8")
        theme = MaterialTheme(
            config_file,
            site_name="测试 & 站",
            description="站点描述" if highlight else "",
            site_url=site_url,
            nav=nav,
            highlight_sections=highlight,
            **theme_kwargs,
        )
        variant = f"{config}-{'url' if site_url else 'nourl'}-{int(highlight)}"
        for name, (url, title, content, description) in SPECS.items():
            pages[f"{variant}/{name}.html"] = theme.render(PageSpec(url, title, content, description))
        pages[f"{variant}/404.html"] = theme.render_404()
        if config_file is not None:
            config_file.unlink()
    return pages


def write(folder: Path = GOLDEN) -> None:
    """Write the golden pages again (after a reviewed theme change)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        for name, text in render_all(make_root(Path(scratch))).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else GOLDEN)
