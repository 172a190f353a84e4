"""Copy the parts of an installed mkdocs-material that dangjian uses into site_templates/material/.

Run with the Material version to vendor installed (`pip install mkdocs-material==X`) in a
scratch venv: `python scripts/vendor_material.py`. It copies the files listed below verbatim,
applies the local changes listed in `LOCAL_CHANGES` (each must match exactly once, so an
upgrade that moved the line stops here instead of going unnoticed) and rewrites the version
line of site_templates/material/THEME-SOURCE. Review the result as a diff: `git diff site_templates/material`.
Nothing here runs at build time; the site never imports mkdocs or material.
"""

from __future__ import annotations

import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "site_templates" / "material"

# Templates the pages render (base.html and the partials it reaches with dangjian's
# overrides: found by recording every template Jinja loads over a matrix of mkdocs.yml
# settings). Material's main.html, 404.html, header.html, copyright.html and language.html
# are replaced by site_templates/overrides/ and not copied; partials reached only through
# settings config.py refuses (repo_url, extra.social/consent/version/alternate/analytics,
# plugins) are not copied either: Jinja resolves an include only when it runs.
TEMPLATES = [
    "base.html",
    *(
        f"partials/{name}.html"
        for name in (
            "actions",
            "comments",
            "content",
            "feedback",
            "footer",
            "icons",
            "logo",
            "nav",
            "nav-item",
            "palette",
            "path",
            "path-item",
            "progress",
            "source-file",
            "tabs",
            "tabs-item",
            "tags",
            "toc",
            "toc-item",
            "top",
        )
    ),
    "partials/integrations/analytics.html",
    "partials/javascripts/base.html",
    "partials/javascripts/content.html",
    "partials/javascripts/palette.html",
]
LANGUAGES = "partials/languages"  # every language file: theme.language may name any of them (small)
ASSETS = [  # the compiled assets the templates link (their hashed names change with each release)
    "assets/images/favicon.png",
    "assets/javascripts/bundle.*.min.js",
    "assets/javascripts/workers/search.*.min.js",  # named in the page's __config; kept so the name resolves
    "assets/stylesheets/main.*.min.css",
    "assets/stylesheets/palette.*.min.css",
]
# Icons: the templates' defaults, and a short list a registry may choose for theme.icon.*
# and palette toggles (config.py refuses any other name). Material ships 58 MB of icons.
ICONS = [
    # defaults named by the templates
    "material/library",
    "material/menu",
    "material/close",
    "material/magnify",
    "material/arrow-up",
    "material/arrow-left",
    "material/arrow-right",
    # palette toggles (Material's documented choices)
    "material/brightness-auto",
    "material/brightness-4",
    "material/brightness-7",
    "material/toggle-switch",
    "material/toggle-switch-off-outline",
    "material/weather-sunny",
    "material/weather-night",
    "material/lightbulb",
    "material/lightbulb-outline",
    # logos
    "material/home",
    "material/flag",
    "material/star",
    "material/account-group",
    "material/office-building",
    "material/book-open-variant",
    "material/school",
]
ICON_LICENCES = [".icons/material/LICENSE"]

# Local changes: (file, Material's text, ours, why). Listed in THEME-SOURCE too.
LOCAL_CHANGES = [
    (
        "base.html",
        '<meta name="generator" content="mkdocs-{{ mkdocs_version }}, mkdocs-material-{version}">',
        '<meta name="generator" content="dangjian, mkdocs-material-{version}">',
        "pages are rendered by dangjian, not mkdocs",
    ),
    (
        "assets/javascripts/bundle.a5f9d56c.min.js",  # named by its hash: a new version stops here, to be reviewed
        'M("link[rel=alternate]")',
        'M("link[rel=alternate][hreflang]")',
        "a page's feed and calendar links (rel=alternate, no hreflang) are not other languages of the site: "
        "Material fetched sitemap.xml beside each (a 404 per feed link)",
    ),
]


def main() -> int:
    import material

    source = Path(material.__file__).parent / "templates"
    version = metadata.version("mkdocs-material")
    if TARGET.exists():
        for child in TARGET.iterdir():
            if child.name != "THEME-SOURCE":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    TARGET.mkdir(parents=True, exist_ok=True)
    names = list(TEMPLATES) + sorted(str(p.relative_to(source)) for p in (source / LANGUAGES).glob("*.html"))
    for pattern in ASSETS:
        found = sorted(str(p.relative_to(source)) for p in source.glob(pattern))
        if len(found) != 1:
            raise SystemExit(f"{pattern}: expected one file, found {found}")
        names += found
    names += [f".icons/{icon}.svg" for icon in ICONS] + ICON_LICENCES
    for name in names:
        (TARGET / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, TARGET / name)
    licence = (
        Path(metadata.distribution("mkdocs-material").locate_file(""))
        / f"mkdocs_material-{version}.dist-info"
        / "licenses"
        / "LICENSE"
    )
    shutil.copyfile(licence, TARGET / "LICENSE")
    for name, theirs, ours, _why in LOCAL_CHANGES:
        path = TARGET / name
        text = path.read_text(encoding="utf-8")
        theirs, ours = theirs.replace("{version}", version), ours.replace("{version}", version)
        if text.count(theirs) != 1:
            raise SystemExit(f"{name}: the text to change is not there once: {theirs}")
        path.write_text(text.replace(theirs, ours), encoding="utf-8")
    note = TARGET / "THEME-SOURCE"
    if note.exists():
        text = re.sub(r"(?m)^Version: .*$", f"Version: mkdocs-material {version}", note.read_text(encoding="utf-8"))
        note.write_text(text, encoding="utf-8")
    print(f"copied {len(names)} files of mkdocs-material {version} into {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
