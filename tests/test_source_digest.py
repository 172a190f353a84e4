"""dangjian's own files digested once and remembered by their stat (`sourcedigest`): what changes is seen, what does not
is not read again, and nothing but the true digest ever comes back."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from dangjian import cache, sourcedigest


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Path:
    """A cache folder of the test's own, nothing remembered in this process; the tests' files count as settled when
    a clock set ahead says so (`later`)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    sourcedigest.forget()
    yield folder
    sourcedigest.forget()


def later(monkeypatch, seconds: float = 10) -> None:
    """The clock `seconds` ahead: every file written so far has settled."""
    now = time.time_ns() + int(seconds * 1e9)
    monkeypatch.setattr(sourcedigest.time, "time_ns", lambda: now)


def blake(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def no_reads(monkeypatch) -> None:
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"{self} read again")

    monkeypatch.setattr(Path, "read_bytes", refuse)


def test_a_settled_file_is_read_once_and_remembered_between_processes(fresh, tmp_path, monkeypatch) -> None:
    source = tmp_path / "module.py"
    source.write_bytes(b"x = 1\n")
    later(monkeypatch)
    assert sourcedigest.digest(source) == blake(b"x = 1\n")
    assert (fresh / sourcedigest.PART / sourcedigest.NAME).is_file()
    sourcedigest.forget()  # another process: what it knows is the entry's
    with monkeypatch.context() as patch:
        no_reads(patch)
        assert sourcedigest.digest(source) == blake(b"x = 1\n")


def test_a_file_changed_just_before_its_digest_is_read_again(fresh, tmp_path, monkeypatch) -> None:
    """A write in the same clock tick as the digest keeps the stat (same size, same times): such a file is not
    remembered until it has settled."""
    source = tmp_path / "module.py"
    source.write_bytes(b"x = 1\n")
    stamp = sourcedigest._stamp(source.stat())
    monkeypatch.setattr(sourcedigest, "_stamp", lambda info: stamp)  # a clock that has not moved since
    assert sourcedigest.digest(source) == blake(b"x = 1\n")
    source.write_bytes(b"x = 2\n")
    assert sourcedigest.digest(source) == blake(b"x = 2\n")
    later(monkeypatch)  # settled now: remembered, and a write would move the clock
    assert sourcedigest.digest(source) == blake(b"x = 2\n")
    with monkeypatch.context() as patch:
        no_reads(patch)
        assert sourcedigest.digest(source) == blake(b"x = 2\n")


@pytest.mark.parametrize("keep_times", [False, True])
def test_a_remembered_file_changed_in_place_is_seen(fresh, tmp_path, monkeypatch, keep_times) -> None:
    """Same size; with its modification time set back (`touch -d`), its change time still moves."""
    source = tmp_path / "module.py"
    source.write_bytes(b"x = 1\n")
    with monkeypatch.context() as patch:
        later(patch)
        assert sourcedigest.digest(source) == blake(b"x = 1\n")
    before = source.stat()
    time.sleep(0.01)  # a clock tick: the change time moves
    source.write_bytes(b"x = 2\n")
    if keep_times:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert sourcedigest.digest(source) == blake(b"x = 2\n")
    sourcedigest.forget()
    assert sourcedigest.digest(source) == blake(b"x = 2\n")


def test_a_file_replaced_by_another_is_seen(fresh, tmp_path, monkeypatch) -> None:
    """A file renamed over it (as editors and installers write): another inode."""
    source = tmp_path / "module.py"
    source.write_bytes(b"x = 1\n")
    with monkeypatch.context() as patch:
        later(patch)
        sourcedigest.digest(source)
    other = tmp_path / "new.py"
    other.write_bytes(b"x = 3\n")
    stat = source.stat()
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    other.replace(source)
    assert sourcedigest.digest(source) == blake(b"x = 3\n")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "another format", "a link", "a folder"])
def test_a_damaged_entry_is_a_miss(fresh, tmp_path, monkeypatch, damage) -> None:
    source = tmp_path / "module.py"
    source.write_bytes(b"x = 1\n")
    later(monkeypatch)
    sourcedigest.digest(source)
    entry = fresh / sourcedigest.PART / sourcedigest.NAME
    data = entry.read_bytes()
    entry.unlink()
    if damage == "garbage":
        entry.write_bytes(b"garbage")
    elif damage == "truncated":
        entry.write_bytes(data[:-5])
    elif damage == "another format":
        entry.write_bytes(data.replace(sourcedigest.FORMAT, b"dangjian-code-digests 0", 1))
    elif damage == "a link":
        (tmp_path / "elsewhere").write_bytes(data)
        entry.symlink_to(tmp_path / "elsewhere")
    else:
        entry.mkdir()
    sourcedigest.forget()
    assert sourcedigest.digest(source) == blake(b"x = 1\n")


def test_what_is_derived_from_a_file_follows_its_bytes(fresh, tmp_path, monkeypatch) -> None:
    source = tmp_path / "module.py"
    source.write_bytes(b"from . import a\n")
    later(monkeypatch)
    made: list[bytes] = []

    def make(data: bytes) -> str:
        made.append(data)
        return data.decode().upper()

    assert sourcedigest.derived("upper", source, make) == "FROM . IMPORT A\n"
    sourcedigest.forget()
    assert sourcedigest.derived("upper", source, make) == "FROM . IMPORT A\n"
    assert made == [b"from . import a\n"]  # remembered across processes
    assert sourcedigest.derived("lower", source, lambda data: data.decode().lower()) == "from . import a\n"
    source.write_bytes(b"from . import bb\n")
    later(monkeypatch, 20)
    assert sourcedigest.derived("upper", source, make) == "FROM . IMPORT BB\n"


def test_a_tree_digest_covers_paths_sizes_and_bytes(fresh, tmp_path, monkeypatch) -> None:
    tree = tmp_path / "tree"
    (tree / "pages").mkdir(parents=True)
    (tree / "__pycache__").mkdir()
    (tree / "a.html").write_bytes(b"<p>a</p>")
    (tree / "pages" / "b.html").write_bytes(b"<p>b</p>")
    (tree / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    (tree / "gone").symlink_to(tmp_path / "nothing")  # a link to nothing is no file
    later(monkeypatch)
    first = sourcedigest.tree(tree)
    (tree / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled again")
    assert sourcedigest.tree(tree) == first  # bytecode aside
    seen = {first}
    (tree / "pages" / "b.html").write_bytes(b"<p>c</p>")
    seen.add(sourcedigest.tree(tree))
    (tree / "pages" / "b.html").rename(tree / "pages" / "c.html")
    seen.add(sourcedigest.tree(tree))
    (tree / "pages" / "c.html").write_bytes(b"<p>cc</p>")
    seen.add(sourcedigest.tree(tree))
    assert len(seen) == 4


def test_the_code_fingerprint_follows_a_module_and_its_imports(fresh, tmp_path, monkeypatch) -> None:
    """`cache.code_fingerprint` over a package of the test's own: an edit of an imported module changes it, and a
    new import is followed."""
    package = tmp_path / "package"
    package.mkdir()
    (package / "start.py").write_text("from .helper import value\n", encoding="utf-8")
    (package / "helper.py").write_text("value = 1\n", encoding="utf-8")
    (package / "other.py").write_text("value = 2\n", encoding="utf-8")
    monkeypatch.setattr(cache, "__file__", str(package / "cache.py"))
    cache._imports.cache_clear()
    cache._module_files.cache_clear()
    later(monkeypatch)
    try:
        assert cache.loader_modules("start.py") == ["helper.py", "start.py"]
        first = cache.code_fingerprint.__wrapped__("start.py")
        (package / "helper.py").write_text("value = 3\n", encoding="utf-8")
        second = cache.code_fingerprint.__wrapped__("start.py")
        assert second != first
        (package / "start.py").write_text("from .helper import value\nfrom .other import value\n", encoding="utf-8")
        cache._imports.cache_clear()
        assert cache.loader_modules("start.py") == ["helper.py", "other.py", "start.py"]
        assert cache.code_fingerprint.__wrapped__("start.py") not in (first, second)
    finally:
        cache._imports.cache_clear()
        cache._module_files.cache_clear()


def test_the_cache_off_remembers_nothing_on_disk(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    sourcedigest.forget()
    source = tmp_path / "module.py"
    source.write_bytes(b"x = 1\n")
    later(monkeypatch)
    try:
        assert sourcedigest.digest(source) == blake(b"x = 1\n")
        assert list(tmp_path.iterdir()) == [source]
    finally:
        sourcedigest.forget()


def test_clean_removes_the_entry(fresh, tmp_path, monkeypatch) -> None:
    source = tmp_path / "module.py"
    source.write_bytes(b"x = 1\n")
    later(monkeypatch)
    sourcedigest.digest(source)
    assert [entry.part for entry in cache.scan(fresh).entries] == [sourcedigest.PART]
    cache.clean(fresh)
    assert not (fresh / sourcedigest.PART / sourcedigest.NAME).exists()
