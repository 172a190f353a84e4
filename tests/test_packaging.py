"""A non-editable install (as the GitHub workflows do) carries every template file."""

from __future__ import annotations

import fnmatch
import tomllib

from conftest import REPO


def test_every_template_file_is_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = config["package-data"]["dangjian_site_templates"]
    root = REPO / "site_templates"
    files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    missing = [f for f in files if f != "__init__.py" and not any(fnmatch.fnmatchcase(f, pat) for pat in patterns)]
    assert missing == [], f"add to [tool.setuptools.package-data]: {missing}"


def test_every_package_is_listed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(REPO / "generator").parts) for p in (REPO / "generator").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
