"""The parse cache: hits give what a parse gives, any change of bytes is seen, damage is harmless."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dangjian import cache
from dangjian.validate import validate


def entries(folder):
    return sorted(p for p in (folder / "parse").rglob("*") if p.is_file() and not p.name.startswith(".tmp"))


def test_a_second_validation_reads_the_cache_and_agrees(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    root = registry()
    first = validate(root)
    stored = entries(tmp_path / "cache")
    assert len(stored) == first.files
    second = validate(root)
    assert second.problems == first.problems
    assert {k: {i: r.data for i, r in v.items()} for k, v in second.registry.by_id.items()} == {
        k: {i: r.data for i, r in v.items()} for k, v in first.registry.by_id.items()
    }


def test_an_edit_keeping_size_and_mtime_is_seen(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    root = registry()
    path = root / "registry/orgs/west.yaml"
    assert validate(root).ok
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("kind: 党支部", "kind: 党小组"), encoding="utf-8")  # same length in bytes
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert validate(root).registry.orgs["west"]["kind"] == "党小组"


def test_problems_come_from_the_cache_with_their_positions(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    root = registry({"registry/orgs/west.yaml": "id: west\nname: 西村\nkind: 支部\nparent: town\ndomain: 农村\n"})
    first = validate(root).problems
    assert first and validate(root).problems == first


def test_a_damaged_entry_is_a_miss(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    root = registry()
    expected = validate(root).problems
    for entry in entries(tmp_path / "cache"):
        entry.write_bytes(b"not a pickle")
    assert validate(root).problems == expected


def test_the_cache_can_be_off_or_unwritable(registry, tmp_path, monkeypatch):
    root = registry()
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    assert cache.cache_dir() is None and validate(root).ok
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    monkeypatch.setenv("DANGJIAN_CACHE", str(blocked))
    assert validate(root).ok


def test_a_new_loader_invalidates_every_entry(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    root = registry()
    validate(root)
    before = set(entries(tmp_path / "cache"))
    cache.code_fingerprint.cache_clear()
    monkeypatch.setattr(cache, "code_fingerprint", lambda *starts: b"another loader")
    validate(root)
    assert set(entries(tmp_path / "cache")) > before


def test_files_parsed_on_every_core_give_what_one_core_gives(registry, tmp_path, monkeypatch):
    from dangjian import validate as validate_module

    root = registry()
    (root / "registry/orgs/west.yaml").write_text("id: west\nname: [\n", encoding="utf-8")
    (root / "registry/orgs/typo.yaml").write_text("id: typo\nname: 错字村\nkindd: 党支部\n", encoding="utf-8")

    def run(cache_folder, parallel):
        monkeypatch.setenv("DANGJIAN_CACHE", str(cache_folder))
        monkeypatch.setattr(validate_module, "_PARALLEL_FROM", 1 if parallel else 10**9)
        monkeypatch.setattr(validate_module, "fork_workers", lambda items, minimum: 2 if items >= minimum else 1)
        parsed = []  # how many files the workers parsed (validate empties the dict it gets)
        real = validate_module._forked
        monkeypatch.setattr(
            validate_module, "_forked", lambda *args: parsed.append(len(result := real(*args))) or result
        )
        outcome = validate(root)
        return outcome, bool(parsed and parsed[-1])

    serial, forked = run("off", parallel=False)
    assert not forked and serial.problems

    def rows(outcome):
        return [
            (r.kind, r.file, r.data)
            for kind in sorted(outcome.registry.records)  # noqa: E731
            for r in outcome.registry.records[kind]
        ]

    # no cache, an empty cache (workers parse and store), a full cache (nothing to parse)
    for folder, parses in (("off", True), (tmp_path / "cache", True), (tmp_path / "cache", False)):
        parallel, forked = run(folder, parallel=True)
        assert forked == parses, folder
        assert parallel.problems == serial.problems
        assert rows(parallel) == rows(serial)


def test_summaries_made_on_every_core_give_what_one_core_gives(registry, tmp_path, monkeypatch):
    from dangjian import validate as validate_module

    root = registry()
    roster = root / "registry/members/east.yaml"
    roster.write_text(roster.read_text(encoding="utf-8").replace("org: east", "org: eastt", 1), encoding="utf-8")
    monkeypatch.setattr(validate_module, "fork_workers", lambda items, minimum: 2 if items >= minimum else 1)
    outcomes = []
    for folder, parallel in (("off", False), ("off", True), (tmp_path / "cache", True), (tmp_path / "cache", True)):
        monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
        monkeypatch.setattr(validate_module, "_PARALLEL_FROM", 1 if parallel else 10**9)
        outcomes.append(validate(root, full=False))
    assert any(p.code == "unknown-ref" and p.file == "registry/members/east.yaml" for p in outcomes[0].problems)
    assert all(o.problems == outcomes[0].problems and o.records == outcomes[0].records for o in outcomes)
    assert outcomes[0].problems == validate(root).problems


def test_a_loaded_file_pickles_to_an_equal_one():
    import pickle

    from conftest import REPO
    from dangjian.load import discover, load_source

    files, _ = discover(REPO)
    assert len(files) > 20

    def fields(r):
        return (
            r.kind,
            r.data,
            r.file,
            r.base,
            [(x.kind, x.id, x.path) for x in r.refs],  # noqa: E731
            r.assets,
            r.slug,
            r.body,
            r.body_line,
            r.doc.file,
            r.doc.source,
        )

    for source in files:
        loaded = load_source((REPO / source.path).read_bytes(), source.path, source.kind)
        back = pickle.loads(pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL))
        assert [fields(r) for r in back.records] == [fields(r) for r in loaded.records], source.path
        assert (back.problems, back.shadows) == (loaded.problems, loaded.shadows)
        assert all(type(x).__name__ == "Reference" for r in back.records for x in r.refs)
        assert len({id(r.doc) for r in back.records}) <= 1  # one document per file, shared


def test_the_fingerprint_covers_every_module_loading_a_file_runs(tmp_path):
    """Every dangjian module that loading files (of every kind, with every problem) imports is hashed:
    the list is derived from the imports, so a new module (the normaliser) cannot be forgotten."""
    import subprocess
    import sys

    from conftest import BAD, MINIMAL, REPO

    script = (
        "import sys; from pathlib import Path\n"
        "from dangjian.load import classify, load_source\n"
        "loaded = 0\n"
        "for folder in [Path(sys.argv[2]), *Path(sys.argv[1]).iterdir()]:\n"
        "    for path in sorted(p for p in folder.rglob('*') if p.is_file()):\n"
        "        rel = path.relative_to(folder).as_posix()\n"
        "        if classify(rel):\n"
        "            load_source(path.read_bytes(), rel, classify(rel)); loaded += 1\n"
        "print(loaded, ' '.join(sorted(m for m in sys.modules if m.startswith('dangjian.'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(BAD), str(MINIMAL)], capture_output=True, text=True, cwd=REPO, check=True
    )
    loaded, *names = result.stdout.split()
    assert int(loaded) > 50  # the bad cases' files and the minimal registry's files, loaded for real
    used = {name.removeprefix("dangjian.").replace(".", "/") + ".py" for name in names}
    assert "normalise.py" in cache.loader_modules()
    assert used - {"cache.py"} <= set(cache.loader_modules()), used - set(cache.loader_modules())


def test_the_saved_state_is_named_after_every_module_making_payloads():
    """Payloads (summaries, loaded files) are made by summary.py and what it imports: the loader, the model,
    every rule (their declarations decide what stubs keep). All of it names the state's folder."""
    import subprocess
    import sys

    from conftest import BAD, MINIMAL, REPO

    script = (
        "import sys; from pathlib import Path\n"
        "from dangjian.load import classify, load_source\n"
        "from dangjian.summary import BULK_KINDS, payload\n"
        "for folder in [Path(sys.argv[2]), *Path(sys.argv[1]).iterdir()]:\n"
        "    for path in sorted(p for p in folder.rglob('*') if p.is_file()):\n"
        "        rel = path.relative_to(folder).as_posix()\n"
        "        if classify(rel):\n"
        "            payload(load_source(path.read_bytes(), rel, classify(rel)), classify(rel), BULK_KINDS)\n"
        "print(' '.join(sorted(m.__file__ for n, m in sys.modules.items() if n.startswith('dangjian.'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(BAD), str(MINIMAL)], capture_output=True, text=True, cwd=REPO, check=True
    )
    package = Path(cache.__file__).parent
    used = {Path(name).relative_to(package).as_posix() for name in result.stdout.split()}
    covered = set(cache.loader_modules("summary.py"))
    assert {"summary.py", "model.py", "load.py", "rules/__init__.py", "rules/references.py"} <= used
    assert used - {"cache.py"} <= covered, used - covered
    assert {f"rules/{p.name}" for p in (package / "rules").glob("*.py")} <= covered
    assert not any(name.startswith(("site/", "editing/")) or name == "cli.py" for name in covered)


def test_imports_read_with_a_pattern_are_the_imports_ast_finds():
    """loader_modules reads relative imports with a pattern (fast); ast reads them exactly."""
    import ast

    package = Path(cache.__file__).parent

    def closure(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            name = todo.pop()
            if name in seen or not (package / name).is_file():
                continue
            seen.add(name)
            parts = Path(name).parent.parts
            for node in ast.walk(ast.parse((package / name).read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level:
                    base = [*parts[: len(parts) - (node.level - 1)], *(node.module or "").split(".")]
                    base = [part for part in base if part]
                    for target in [base] + [[*base, alias.name] for alias in node.names]:
                        todo += ["/".join([*target[:depth], "__init__.py"]) for depth in range(1, len(target) + 1)]
                        todo.append("/".join(target) + ".py")
        return seen

    for start in ("load.py", "summary.py", "validate.py", "site/build.py"):
        assert set(cache.loader_modules(start)) == closure(start), start


@pytest.mark.parametrize("parallel", [False, True], ids=["one core", "forked"])
def test_a_validation_knows_the_key_of_the_bytes_each_file_was_loaded_from(registry, tmp_path, monkeypatch, parallel):
    """The build keeps records' digests by these keys: each must be the key of the bytes the records came from,
    whether a worker or this process read them (never a key of the file read at another moment)."""
    from dangjian import cache as cache_module, validate as validate_module
    from dangjian.load import classify

    root = registry()
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(validate_module, "_PARALLEL_FROM", 1 if parallel else 10**9)
    monkeypatch.setattr(validate_module, "fork_workers", lambda items, minimum: 2 if items >= minimum else 1)
    outcome = validate(root)
    files = {path.relative_to(root).as_posix() for path in (root / "registry").rglob("*.yaml")}
    files = {rel for rel in files if classify(rel)}
    assert files and set(outcome.keys) >= files
    for rel in files:
        assert outcome.keys[rel] == cache_module.key((root / rel).read_bytes(), rel, classify(rel))
