"""mkdocs.yml has a size limit, checked before it is read or parsed: a 20 MB `copyright` took 70 s
to build and was put on every page."""

from __future__ import annotations

from pathlib import Path

import pytest

from dangjian import themeconfig as config
from dangjian.validate import validate


def _problems(root: Path) -> list[tuple[str, int, int, str]]:
    return [(p.file, p.line, p.column, p.message) for p in validate(root).problems]


def test_a_mkdocs_yml_past_the_limit_is_a_problem_and_is_never_read(registry, monkeypatch):
    root = registry()
    with (root / "mkdocs.yml").open("wb") as handle:  # sparse: no disk is spent
        handle.write(b"theme:\n  name: material\ncopyright: ")
        handle.truncate(20 * 1024 * 1024)
    real = Path.read_bytes
    monkeypatch.setattr(
        Path, "read_bytes", lambda self: pytest.fail("mkdocs.yml was read") if self.name == "mkdocs.yml" else real(self)
    )
    assert ("mkdocs.yml", 1, 1, "mkdocs.yml 太大（20480 KB，最多 64 KB）") in _problems(root)


def test_check_config_refuses_big_bytes_before_parsing(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "load_yaml", lambda *args: pytest.fail("parsed"))
    data = b"copyright: '" + "版".encode() * (config.MAX_BYTES // 3) + b"'\n"
    found = config.check_config(data, "mkdocs.yml", tmp_path).problems
    assert [(p.line, p.column, p.code) for p in found] == [(1, 1, "mkdocs-size")]


def test_a_mkdocs_yml_at_the_limit_is_read(registry):
    root = registry()
    head = (root / "mkdocs.yml").read_bytes() if (root / "mkdocs.yml").exists() else b"theme:\n  name: material\n"
    padding = b"# " + b"x" * (config.MAX_BYTES - len(head) - 3) + b"\n"
    (root / "mkdocs.yml").write_bytes(head + padding)
    assert (root / "mkdocs.yml").stat().st_size == config.MAX_BYTES
    assert [p for p in _problems(root) if p[0] == "mkdocs.yml"] == []
