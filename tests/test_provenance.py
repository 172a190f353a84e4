"""What names a kept thing (`provenance`): the code and the installed libraries that made it.

A cache entry named by a library's version alone outlives an edit of the library's data under the same version
(pypinyin's dictionaries, OpenCC's tables); one named without the module's code outlives a change of dangjian.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dangjian import provenance


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution `fake-lib` 1.0 installed on sys.path: a module and a data file, listed in its RECORD."""
    site = tmp_path / "site"
    package = site / "fake_lib"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data.txt").write_text("zhong 中\n")
    info = site / "fake_lib-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-lib\nVersion: 1.0\n")
    (info / "RECORD").write_text(
        "fake_lib/__init__.py,,\nfake_lib/data.txt,,\nfake_lib/__pycache__/__init__.cpython-311.pyc,,\n"
        "fake_lib-1.0.dist-info/METADATA,,\nfake_lib-1.0.dist-info/RECORD,,\n"
    )
    monkeypatch.syspath_prepend(str(site))
    return site


def test_a_library_is_its_version_and_its_files(installed: Path) -> None:
    described = provenance.library("fake-lib")
    assert described.startswith("fake-lib 1.0 ")
    assert "fake_lib/data.txt:10:" in described  # its 10 bytes, and its time
    assert "__pycache__" not in described and ":-" not in described  # bytecode aside; every file found


def test_its_data_changed_under_the_same_version_is_another_library(installed: Path) -> None:
    data = installed / "fake_lib" / "data.txt"
    before = provenance.library("fake-lib")
    info = data.stat()
    data.write_text("zhong 钟\n")  # the same size
    os.utime(data, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    assert provenance.library("fake-lib") != before
    moved = provenance.library("fake-lib")
    data.unlink()
    assert provenance.library("fake-lib") not in (before, moved)


def test_another_version_is_another_library(installed: Path) -> None:
    before = provenance.library("fake-lib")
    metadata = installed / "fake_lib-1.0.dist-info" / "METADATA"
    metadata.write_text(metadata.read_text().replace("1.0", "1.1"))
    assert provenance.library("fake-lib") != before


def test_a_library_not_installed_is_named_so() -> None:
    assert provenance.library("no-such-library-of-dangjian") == "no-such-library-of-dangjian -"


def test_made_by_covers_the_modules_the_libraries_and_the_extra(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "a.py").write_text("A = 1\n")
    (package / "b.py").write_text("B = 1\n")
    monkeypatch.setattr(provenance, "_HERE", package)

    def key(**changes) -> str:
        return provenance.made_by(changes.get("modules", ("a.py",)), ("fake-lib",), extra=changes.get("extra", b"x"))

    first = key()
    assert len(first) == 32 and first == key()
    (package / "a.py").write_text("A = 2\n")
    changed = key()
    assert changed != first
    assert key(modules=("a.py", "b.py")) != changed
    assert key(extra=b"y") != changed
    (installed / "fake_lib" / "data.txt").write_text("another dictionary\n")
    assert key() != changed


def test_the_four_kept_things_are_named_by_their_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fold table (OpenCC), the tags' slugs and the pinyin pack (pypinyin), and the names' tables
    (pyahocorasick, and the pinyin pack's key) each change name with their library."""
    from dangjian import namespack, normalise, pinyinpack
    from dangjian.rules import tags

    def names() -> tuple[str, ...]:
        pinyinpack.pack_key.cache_clear()
        namespack._code_key.cache_clear()  # a process sees one installation: each key is made once
        return (normalise.fold_key(), tags._entry_name(), pinyinpack.pack_key(), namespack.code_key())

    before = names()
    real = provenance.library
    try:
        for library, changed in [("opencc", {0}), ("pypinyin", {1, 2, 3}), ("pyahocorasick", {3})]:
            monkeypatch.setattr(provenance, "library", lambda name, lib=library: real(name) + (name == lib) * "+")
            after = names()
            assert {i for i in range(4) if after[i] != before[i]} == changed, library
            monkeypatch.undo()
    finally:
        pinyinpack.pack_key.cache_clear()
        namespack._code_key.cache_clear()
