"""The `dangjian` console command, run as a real subprocess: exit codes, output formats, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from conftest import MINIMAL

from dangjian.recordtypes import RECORD_TYPES

DANGJIAN = Path(sys.executable).parent / "dangjian"
TEXT_LINE = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>[0-9]+):(?P<column>[0-9]+): (?P<message>.+) — (?P<hint>.+)$")
GITHUB_LINE = re.compile(
    r"^::error file=(?P<file>[^,]+),line=(?P<line>[0-9]+),col=(?P<column>[0-9]+)::(?P<message>.+)$"
)


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DANGJIAN), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        timeout=300,
    )


def validate_json(root: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    proc = run("validate", "--root", root, "--format", "json")
    return proc, json.loads(proc.stdout)


# A registry with problems in several files: a bad enum, an unknown reference, a private member in a story.
BROKEN = {
    "registry/orgs/east.yaml": (
        "id: east\nname: 东村党支部\nkind: 支部\nparent: town\ndomain: 农村\nsecretary: m-east-sec\nbrand: red\n"
    ),
    "registry/orgs/west.yaml": "id: west\nname: 西村党支部\nkind: 党支部\nparent: towm\ndomain: 农村\n",
    "content/stories/east-road.md": "---\ntitle: 东村点亮回家路\ndate: 2026-04-02\nmembers: [m-east-a]\n---\n正文。\n",
    "registry/activities/town-2026.yaml": (
        "- id: east-2026-01-10\n  org: east\n  date: 2026-01-10\n  kind: 主题党日\n  title: 集中学习\n"
        "  attendees: [m-east-sec, m-nobody]\n  headcount: 1\n"
    ),
}


# --- exit codes ---------------------------------------------------------------------------------


def test_the_console_script_is_installed():
    assert DANGJIAN.exists()


def test_clean_registry_exits_0_with_a_summary():
    proc = run("validate", "--root", MINIMAL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "✓" in proc.stderr
    assert "Traceback" not in proc.stderr
    from dangjian.validate import validate

    full = validate(MINIMAL)  # the command holds bulk files as summaries, and counts every record
    assert f"{full.files} 个文件，{full.records} 条记录" in proc.stderr
    assert full.records == sum(len(records) for records in full.registry.records.values())


def test_root_defaults_to_the_current_folder():
    proc = run("validate", cwd=MINIMAL)
    assert proc.returncode == 0, proc.stderr


def test_broken_registry_exits_1_with_a_summary(registry):
    proc = run("validate", "--root", registry(BROKEN))
    assert proc.returncode == 1
    assert "✗" in proc.stderr
    assert proc.stdout.strip()


def test_folder_without_registry_exits_3(tmp_path: Path):
    proc = run("validate", "--root", tmp_path)
    assert proc.returncode == 3
    assert "registry/" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_root_folder_exits_3(tmp_path: Path):
    proc = run("validate", "--root", tmp_path / "nowhere")
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr


def test_registry_that_is_a_file_exits_3(tmp_path: Path):
    (tmp_path / "registry").write_text("不是文件夹", encoding="utf-8")
    proc = run("validate", "--root", tmp_path)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr


def test_unknown_option_exits_2():
    proc = run("validate", "--root", MINIMAL, "--bogus")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_unknown_format_exits_2():
    proc = run("validate", "--root", MINIMAL, "--format", "xml")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_unknown_command_exits_2():
    proc = run("frobnicate", "--root", MINIMAL)
    assert proc.returncode == 2


# --- output formats -----------------------------------------------------------------------------


def test_json_of_a_clean_registry_is_an_empty_list():
    proc, rows = validate_json(MINIMAL)
    assert proc.returncode == 0
    assert rows == []


def test_json_items_have_exactly_file_line_column_message_hint(registry):
    proc, rows = validate_json(registry(BROKEN))
    assert proc.returncode == 1
    assert isinstance(rows, list) and rows
    for row in rows:
        assert set(row) == {"file", "line", "column", "message", "hint"}
        assert isinstance(row["line"], int) and isinstance(row["column"], int)
        assert row["line"] >= 1 and row["column"] >= 1
        assert isinstance(row["message"], str) and isinstance(row["hint"], str)


def test_json_keeps_chinese_readable(registry):
    proc = run("validate", "--root", registry(BROKEN), "--format", "json")
    assert "不是可用的值" in proc.stdout


def test_json_names_the_expected_problems(registry):
    _, rows = validate_json(registry(BROKEN))
    found = {(r["file"], r["line"], r["column"]) for r in rows}
    assert ("registry/orgs/east.yaml", 3, 7) in found  # kind: 支部
    assert ("registry/orgs/west.yaml", 4, 9) in found  # parent: towm
    assert ("content/stories/east-road.md", 4, 11) in found  # a private member


def test_github_format_prints_error_annotations(registry):
    proc = run("validate", "--root", registry(BROKEN), "--format", "github")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines
    for line in lines:
        assert GITHUB_LINE.match(line), line
    assert "::error file=registry/orgs/east.yaml,line=3,col=7::" in proc.stdout


def test_github_format_of_a_clean_registry_prints_nothing():
    proc = run("validate", "--root", MINIMAL, "--format", "github")
    assert proc.returncode == 0
    assert proc.stdout.strip() == ""


def test_text_format_lines_are_file_line_column_message_hint(registry):
    root = registry(BROKEN)
    proc = run("validate", "--root", root)
    lines = proc.stdout.splitlines()
    assert len(lines) >= 4
    for line in lines:
        assert TEXT_LINE.match(line), line


def test_text_format_paths_are_relative_to_the_root(registry):
    root = registry(BROKEN)
    proc = run("validate", "--root", root)
    assert str(root) not in proc.stdout
    assert str(root.resolve()) not in proc.stdout
    for line in proc.stdout.splitlines():
        file = TEXT_LINE.match(line)["file"]
        assert not file.startswith("/")
        assert (root / file).exists(), file


def test_json_paths_are_relative_posix_paths(registry):
    root = registry(BROKEN)
    _, rows = validate_json(root)
    for row in rows:
        assert not row["file"].startswith("/")
        assert "\\" not in row["file"]
        assert (root / row["file"]).is_file()


def test_text_format_keeps_each_problem_on_one_line(registry):
    # An editor's habit: `|` before a one-word value. The value then holds newlines,
    # and the message quoting it must not break the one-problem-a-line format.
    root = registry(
        {
            "registry/orgs/east.yaml": (
                "id: east\nname: 东村党支部\nkind: |\n  党支部\n  联合\nparent: town\ndomain: 农村\n"
                "secretary: m-east-sec\nbrand: red\n"
            )
        }
    )
    proc = run("validate", "--root", root)
    assert proc.returncode == 1
    for line in proc.stdout.splitlines():
        assert TEXT_LINE.match(line), line


def test_problems_are_sorted_by_file_line_and_column(registry):
    _, rows = validate_json(registry(BROKEN))
    keys = [(r["file"], r["line"], r["column"]) for r in rows]
    assert len(set(r["file"] for r in rows)) >= 3
    assert keys == sorted(keys)


def test_text_output_is_sorted_like_json(registry):
    root = registry(BROKEN)
    text = run("validate", "--root", root).stdout.splitlines()
    _, rows = validate_json(root)
    assert [(m["file"], int(m["line"]), int(m["column"])) for m in map(TEXT_LINE.match, text)] == [
        (r["file"], r["line"], r["column"]) for r in rows
    ]


# --- no traceback for any input -----------------------------------------------------------------


def _org(extra: str = "") -> str:
    return "id: west\nname: 西村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n" + extra


def _result(scores: str) -> str:
    return f"scheme: town-villages\nperiod: 2026-Q1\nscores:\n{scores}"


HUGE = "1" + "0" * 5000


def _symlink_outside(root: Path) -> None:
    outside = root.parent / "outside.yaml"
    outside.write_text(_org().replace("west", "north"), encoding="utf-8")
    (root / "registry/orgs/north.yaml").symlink_to(outside)


def _symlink_loop(root: Path) -> None:
    (root / "registry/orgs/loop.yaml").symlink_to("loop.yaml")


def _dangling_symlink(root: Path) -> None:
    (root / "registry/orgs/gone.yaml").symlink_to("nowhere.yaml")


def _directories_named_like_files(root: Path) -> None:
    (root / "registry/orgs/x.yaml").mkdir()
    (root / "content/stories/x.md").mkdir()
    (root / "content/stories/x.md/readme.txt").write_text("说明", encoding="utf-8")
    (root / "registry/orgs/x.yaml/y.yaml").write_bytes(b"")  # something to report, so the exit code is 1


def _unreadable(root: Path) -> None:
    path = root / "registry/orgs/west.yaml"
    path.chmod(0)


def _file_name_not_utf8(root: Path) -> None:
    with open(os.fsencode(root / "registry/orgs") + b"/\xff\xfe.yaml", "wb") as handle:
        handle.write(_org().encode("utf-8"))


NASTY: dict[str, dict[str, str | bytes] | Callable[[Path], None]] = {
    "binary-garbage": {"registry/orgs/garbage.yaml": bytes(range(256)) * 3 + b"\x00\xff\xfe"},
    "zero-byte-file": {"registry/orgs/west.yaml": b""},
    "zero-byte-story": {"content/stories/east-road.md": b""},
    "list-where-mapping-expected": {"registry/orgs/west.yaml": "- id: west\n- name: 西村党支部\n"},
    "mapping-where-list-expected": {"registry/members/west.yaml": "id: m-west-sec\nname: 陈西河\norg: west\n"},
    "number-where-mapping-expected": {"registry/site.yaml": "42\n"},
    "list-of-scalars-where-records-expected": {"registry/members/west.yaml": "- 陈西河\n- 5\n- [x]\n- ~\n"},
    "huge-integer-year": {
        "registry/members/west.yaml": (
            f"- id: m-west-sec\n  name: 陈西河\n  org: west\n  status: 正式党员\n  joined: 1988-05-04\n  born: {HUGE}\n"
        )
    },
    "huge-integer-score": {
        "registry/assessments/results/town-villages/2026-Q1.yaml": _result(
            f"  east: {{work: {HUGE}}}\n  west: {{work: 38.5}}\n"
        )
    },
    "huge-integer-stars": {"registry/site.yaml": f"title: 测试镇党建\nroot: town\nstars: {{5: {HUGE}, 4: {HUGE}0}}\n"},
    "huge-integer-headcount": {
        "registry/activities/town-2026.yaml": (
            "- id: a1\n  org: east\n  date: 2026-01-10\n  kind: 党课\n  title: 党课\n"
            f"  headcount: {HUGE}\n  attendees: m-east-a\n"
        )
    },
    "id-is-a-list": {
        "registry/orgs/west.yaml": "id: [a, b]\nname: 西村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"
    },
    "scores-is-a-number": {
        "registry/assessments/results/town-villages/2026-Q1.yaml": "scheme: town-villages\nperiod: 2026-Q1\nscores: 5\n"
    },
    "scores-values-are-lists": {
        "registry/assessments/results/town-villages/2026-Q1.yaml": _result("  east: [41]\n  west: {work: [38.5]}\n")
    },
    "rules-is-a-mapping": {"registry/points/rules.yaml": "base: 60\ncap: 100\nrules: {activity: 2}\n"},
    "story-front-matter-is-a-list": {"content/stories/east-road.md": "---\n- 东村\n- 路灯\n---\n正文。\n"},
    "story-front-matter-is-a-number": {"content/stories/east-road.md": "---\n2026\n---\n正文。\n"},
    "story-front-matter-unclosed": {
        "content/stories/east-road.md": "---\ntitle: 东村点亮回家路\ndate: 2026-04-02\n正文。\n"
    },
    "page-front-matter-is-broken": {"content/pages/about.md": "---\ntitle: [关于\n---\n正文。\n"},
    "alias-bomb-in-a-story": {
        "content/stories/east-road.md": "---\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(9))
        + "---\n"
    },
    "deep-nesting": {"registry/orgs/west.yaml": "id: " + "[" * 100_000 + "\n"},
    "yaml-tag-payload": {"registry/orgs/west.yaml": _org("summary: !!python/object/apply:os.system ['echo pwned']\n")},
    "asset-name-too-long": {
        "registry/brands/red.yaml": "id: red\nname: 红色先锋\nowner: town\nlogo: " + "a" * 5000 + ".svg\n"
    },
    "directory-named-like-a-file": _directories_named_like_files,
    "unreadable-file": _unreadable,
    "symlink-outside-the-root": _symlink_outside,
    "symlink-loop": _symlink_loop,
    "dangling-symlink": _dangling_symlink,
    "file-name-not-utf8": _file_name_not_utf8,
}


@pytest.mark.parametrize("case", sorted(NASTY))
def test_no_traceback_for_nasty_input(case: str, registry):
    if case == "unreadable-file" and os.geteuid() == 0:
        pytest.skip("root can read a chmod 000 file")
    spec = NASTY[case]
    if callable(spec):
        root = registry()
        spec(root)
    else:
        root = registry(spec)
    for fmt in ("json", "text"):
        proc = run("validate", "--root", root, "--format", fmt)
        assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert "Traceback" not in proc.stdout
        assert proc.returncode == 1, (proc.stdout[-2000:], proc.stderr[-2000:])
        if fmt == "json":
            rows = json.loads(proc.stdout)
            assert rows
            internal = [r for r in rows if "出错" in r["message"]]
            assert internal == [], internal


# --- schema -------------------------------------------------------------------------------------


def test_schema_writes_a_json_schema_per_record_type_and_the_field_reference(tmp_path: Path):
    out = tmp_path / "reference"
    proc = run("schema", "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    schemas = sorted(p.name for p in out.glob("*.schema.json"))
    assert schemas == sorted(f"{kind}.schema.json" for kind in RECORD_TYPES)
    assert "org.schema.json" in schemas and "story.schema.json" in schemas
    assert (out / "fields.md").is_file()
    assert sorted(p.name for p in out.iterdir()) == sorted(schemas + ["fields.md"])
    for name in schemas:
        schema = json.loads((out / name).read_text(encoding="utf-8"))
        assert schema["$schema"].startswith("https://json-schema.org/")
    assert "字段参考" in (out / "fields.md").read_text(encoding="utf-8")


def test_schema_without_out_exits_2(tmp_path: Path):
    proc = run("schema", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


# --- dangjian score: format 1.1 scores a member only from the year of admission ----------------


def test_score_of_an_early_year_lists_only_members_admitted_by_then():
    """The demo: m-wang-yiming joined 2016-01-14 and must not be scored for 2009."""
    from conftest import REPO
    from dangjian.validate import validate

    proc = run("score", "2009", "--root", REPO, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    listed = [row["member"] for row in json.loads(proc.stdout)]
    members = validate(REPO).registry.members
    assert listed, "some demo members joined by 2009"
    assert "m-wang-yiming" not in listed
    late = [m for m in listed if str(members[m]["joined"]) > "2009-12-31"]
    assert late == []
    admitted = sorted(
        m
        for m, r in members.items()
        if r.get("status") in ("预备党员", "正式党员") and str(r["joined"]) <= "2009-12-31"
    )
    assert listed == admitted


# --- Chinese on the command line: click's own words too -----------------------------------------


def _click_phrases() -> list[str]:
    """Every English phrase click passes through gettext (read from its source), as fixed fragments."""
    import ast

    import click

    phrases = []
    for module in ("core", "exceptions", "formatting", "decorators", "parser", "types"):
        path = Path(click.__file__).parent / f"{module}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        phrases += [part.strip(" .:?()") for part in re.split(r"\{[^}]*\}|%\([^)]*\)s", arg.value)]
    return sorted({p for p in phrases if len(p) >= 5 and re.search(r"[a-z]{3}", p)})


CLICK_PHRASES = _click_phrases()
ENGLISH_WORDS = re.compile(
    r"\b(Usage|Options|Commands|Error|Try|Missing|Show|default|required|DIRECTORY|TEXT|INTEGER|PATH)\b"
)


def _english_left(text: str) -> list[str]:
    return [p for p in CLICK_PHRASES if p in text] + ENGLISH_WORDS.findall(text)


def test_click_phrases_were_found():
    assert "Show this message and exit" in CLICK_PHRASES and "Missing argument" in CLICK_PHRASES


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["-h"],
        ["build", "--help"],
        ["validate", "--help"],
        ["rank", "--help"],
        ["serve", "--help"],
        ["new", "--help"],
        ["new", "member", "--help"],
        ["import", "roster", "--help"],
        ["synth", "--help"],
    ],
)
def test_help_is_chinese(args):
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("用法：dangjian"), proc.stdout
    assert _english_left(proc.stdout) == [], proc.stdout
    if args in (["--help"], ["-h"], ["new", "--help"]):
        assert "命令：" in proc.stdout
    assert "选项：" in proc.stdout and "显示这段帮助并退出" in proc.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["validate", "--root", MINIMAL, "--bogus"], ["没有选项 '--bogus'", "dangjian validate --help"]),
        (["validate", "--root", MINIMAL, "--format", "xml"], ["'xml'", "text"]),
        (["frobnicate"], ["没有命令 'frobnicate'"]),
        (["score", "--root", MINIMAL, "abc"], ["'abc'", "整数"]),
        (["score", "--root", MINIMAL, "1800"], ["1800", "1900"]),
        (["build", "--root", MINIMAL, "--out"], ["--out", "需要"]),
        (["schema", "--root", MINIMAL], ["--out"]),
    ],
)
def test_usage_errors_are_chinese(args, words):
    proc = run(*args)
    assert proc.returncode == 2
    assert "错误：" in proc.stderr, proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr
    assert _english_left(proc.stderr) == [], proc.stderr


def test_rank_without_a_scheme_lists_the_schemes_with_their_names():
    proc = run("rank", "--root", MINIMAL)
    assert proc.returncode == 2
    assert "town-villages" in proc.stderr and "测试镇村级党组织季度排位" in proc.stderr, proc.stderr
    assert "请指定排位方案" in proc.stderr
    assert _english_left(proc.stderr) == [], proc.stderr


def test_rank_with_an_unknown_scheme_lists_the_schemes_with_their_names():
    proc = run("rank", "--root", MINIMAL, "town-vilages")
    assert proc.returncode == 2
    assert "town-villages" in proc.stderr and "测试镇村级党组织季度排位" in proc.stderr, proc.stderr
    assert _english_left(proc.stderr) == [], proc.stderr


def test_rank_of_a_registry_without_schemes_says_so(registry):
    root = registry(
        {
            "registry/assessments/schemes/town-villages.yaml": None,
            "registry/assessments/results/town-villages/2026-Q1.yaml": None,
        }
    )
    proc = run("rank", "--root", root)
    assert proc.returncode == 2
    assert "还没有排位方案" in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "args, said",
    [
        (["score", "--root", MINIMAL], "错误：缺少参数 'YEAR'。"),
        (["synth"], "错误：缺少选项 '--scale'。可选："),
    ],
)
def test_a_missing_argument_is_a_chinese_sentence(args, said):
    proc = run(*args)
    assert proc.returncode == 2
    assert said in proc.stderr, proc.stderr


def test_a_cycle_is_annotated_on_every_file_of_it(registry):
    """In a pull request the annotation must land on the file it changed, whichever that is."""
    from conftest import BAD

    proc = run("validate", "--root", registry(BAD / "org-cycle"), "--format", "github")
    annotated = {
        m["file"] for line in proc.stdout.splitlines() if (m := GITHUB_LINE.match(line)) and "循环" in m["message"]
    }
    assert annotated == {"registry/orgs/east.yaml", "registry/orgs/west.yaml"}


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)//", 'https://example.org/"><script>alert(1)</script>', "ftp://example.org/"]
)
def test_merge_base_url_must_be_an_http_address(url, tmp_path: Path):
    proc = run("merge", "--root", MINIMAL, "--out", tmp_path / "merged", "--base-url", url, f"a={tmp_path / 'nowhere'}")
    assert proc.returncode == 2
    assert "--base-url" in proc.stderr and "不是可用的网址" in proc.stderr, proc.stderr
    assert not (tmp_path / "merged").exists()


# --- leaving ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 1, 3, None])
def test_a_command_s_end_leaves_at_once_with_its_output_flushed_and_its_status(code):
    """`cli._leave` ends the process without freeing its objects one by one: what was written and still buffered
    (more than a pipe holds) reaches the reader, and the status is the command's."""
    script = (
        "import sys\nfrom dangjian import cli\n"
        "sys.stdout.write('党' * 100_000)\nsys.stderr.write('✓ 完成')\n"
        f"cli._leave(SystemExit({code!r}))\nprint('not reached')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == (code or 0)
    assert proc.stdout == "党" * 100_000 and proc.stderr == "✓ 完成"


def test_a_status_that_is_a_message_ends_as_python_ends_it():
    script = "from dangjian import cli\ncli._leave(SystemExit('登记簿有问题'))\n"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 1 and "登记簿有问题" in proc.stderr and "Traceback" not in proc.stderr
