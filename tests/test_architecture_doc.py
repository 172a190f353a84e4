"""docs/architecture.md describes the code as it is: every module, file and `module.name` it mentions exists.

The recipes for adding a field, a record kind and a rule name the places a developer edits; a
renamed module or a moved function must take the page with it.
"""

from __future__ import annotations

import importlib
import re

import pytest

from conftest import REPO

DOC = REPO / "docs/architecture.md"
PACKAGE = REPO / "generator/dangjian"
# Where a bare file name in the page may live: the package, its subpackages, then the repository.
PLACES = (
    PACKAGE,
    PACKAGE / "site",
    PACKAGE / "editing",
    PACKAGE / "rules",
    PACKAGE / "site/kinds",
    REPO / "site_templates/overrides",
    REPO / "site_templates/pages",
    REPO,
)
# Names of what a build writes, not of files in the repository.
OUTPUTS = {".dangjian-staging/", "dangjian-search.json"}


def _spans() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # listings are read by the pipeline test below
    return re.findall(r"`([^`\n]+)`", text)


def _paths() -> list[str]:
    found = []
    for span in _spans():
        if "<" in span or " " in span or span.startswith(("$", "~", "-")):
            continue
        if re.fullmatch(r"[\w./-]+\.(py|md|html|toml|yml|yaml|json)|[\w.-]+(/[\w.-]+)*/", span):
            found.append(span)
    return sorted(set(found) - OUTPUTS)


def _modules() -> dict[str, str]:
    """Short module name → dotted name, for every module of the package (`cache` → `dangjian.cache`)."""
    names: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cms_vendor" in path.parts:
            continue
        dotted = ".".join(("dangjian", *path.relative_to(PACKAGE).with_suffix("").parts))
        dotted = dotted.removesuffix(".__init__")
        names.setdefault(dotted.rsplit(".", 1)[-1], dotted)
    return names


def _qualified() -> list[tuple[str, str]]:
    modules = _modules()
    found = set()
    for span in _spans():
        match = re.fullmatch(r"(\w+)\.([A-Za-z_]\w*)(\(.*\))?", span)
        if (
            match
            and match.group(1) in modules
            and match.group(2) not in ("py", "md", "yml", "yaml", "json", "js", "html")
        ):
            found.add((modules[match.group(1)], match.group(2)))
    return sorted(found)


def test_the_page_mentions_files_and_names():
    """The checks below have something to check (a page reduced to prose would pass them)."""
    assert len(_paths()) > 20 and len(_qualified()) > 15


@pytest.mark.parametrize("path", _paths())
def test_every_file_mentioned_exists(path):
    assert any((place / path).exists() for place in PLACES), f"docs/architecture.md names `{path}`, which is gone"


@pytest.mark.parametrize("module,name", _qualified(), ids=lambda v: str(v))
def test_every_module_name_mentioned_exists(module, name):
    assert hasattr(importlib.import_module(module), name), f"docs/architecture.md names `{module}.{name}`"


def test_the_validation_listing_names_the_stages_validate_runs():
    """The stage listing names functions of validate.py, in the order `_validate` calls them."""
    text = DOC.read_text(encoding="utf-8")
    listing = text.split("## Validation, top to bottom", 1)[1].split("```", 2)[1]
    stages = re.findall(r"\b(_[a-z_]+)\b", listing)
    source = (PACKAGE / "validate.py").read_text(encoding="utf-8")
    body = source.split("def _validate(", 1)[1].split("\ndef ", 1)[0]
    at = [body.find(stage + "(") for stage in stages]
    assert stages and all(i >= 0 for i in at), dict(zip(stages, at))
    assert at == sorted(at), "the listing's order is not the order _validate runs the stages"


def test_the_recipes_name_what_exists():
    """The places each recipe sends a developer to exist, with the names it tells them to fill."""
    from dangjian import recordtypes, rules
    from dangjian.schema import Field
    from dangjian.site import kinds

    assert {"page", "export", "diff", "new", "example", "feeds", "internal", "label"} <= set(
        Field.__init__.__code__.co_varnames
    ) | set(getattr(Field, "__dataclass_fields__", {}))
    assert recordtypes.RECORD_TYPES and rules.ALL_RULES and rules.RECORD_RULES and kinds.KINDS
    assert all(hasattr(importlib.import_module(f"dangjian.site.kinds.{k.name}"), "KIND") for k in kinds.KINDS)
    assert (REPO / "site_templates/pages").is_dir()
