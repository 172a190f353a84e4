"""Jinja's compiled templates in the cache folder (site/bytecode.py): an edit is seen, off means off,
and a cache that disappears only costs time."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from dangjian.site.bytecode import template_cache


def _render(folder: Path, monkeypatch: pytest.MonkeyPatch, cache_folder: Path) -> str:
    monkeypatch.setenv("DANGJIAN_CACHE", str(cache_folder))
    env = Environment(loader=FileSystemLoader(str(folder)), bytecode_cache=template_cache())
    return env.get_template("page.html").render(name="村")


def test_compiled_templates_are_cached_and_an_edit_is_still_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    page = folder / "page.html"
    page.write_text("<p>{{ name }}一</p>", encoding="utf-8")
    assert _render(folder, monkeypatch, tmp_path / "cache") == "<p>村一</p>"
    assert list((tmp_path / "cache" / "templates").rglob("*.cache")), "the compiled template was not stored"
    stat = page.stat()
    page.write_text("<p>{{ name }}二</p>", encoding="utf-8")  # same size and modification time
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _render(folder, monkeypatch, tmp_path / "cache") == "<p>村二</p>"


def test_no_template_cache_when_caching_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    assert template_cache() is None


def test_an_unwritable_template_cache_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.html").write_text("<p>{{ name }}</p>", encoding="utf-8")
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    env = Environment(loader=FileSystemLoader(str(folder)), bytecode_cache=template_cache())
    shutil.rmtree(tmp_path / "cache")  # removed under a running build
    assert env.get_template("page.html").render(name="村") == "<p>村</p>"


def test_a_change_to_the_code_configuring_environments_names_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dangjian.site import bytecode

    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    first = template_cache()
    copy = tmp_path / "site"
    copy.mkdir()
    for name in bytecode._CONFIGURING:
        (copy / name).write_bytes((Path(bytecode.__file__).parent / name).read_bytes() + b"\n# edited\n")
    monkeypatch.setattr(bytecode, "__file__", str(copy / "bytecode.py"))
    second = template_cache()
    assert first is not None and second is not None and first.directory != second.directory
