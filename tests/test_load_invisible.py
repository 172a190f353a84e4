"""Invisible characters: each file's text is scanned once, and an escape is reported where it is written.

load.load_source scans a file's whole text (YAML, or Markdown with its front matter) for controls and
bidi overrides; the YAML parser it calls does not scan the same text again, and no problem is
filtered out afterwards by its code. Escapes (`"\\u202e"`) that put such a character in a value are
noted by the parser at the scalar that holds them.
"""

from __future__ import annotations

import pytest

from dangjian import load, yamlfile
from dangjian.load import load_source


@pytest.fixture(params=["fast", "pyyaml"])
def parser(request, monkeypatch) -> str:
    monkeypatch.setenv("DANGJIAN_PARSER", "pyyaml" if request.param == "pyyaml" else "")
    return request.param


@pytest.fixture
def scans(monkeypatch) -> list[str]:
    """Every text the invisible-character scan reads while loading."""
    seen: list[str] = []
    for module in (load, yamlfile):
        real = module.invisible_characters
        monkeypatch.setattr(
            module, "invisible_characters", lambda text, file, real=real: seen.append(text) or real(text, file)
        )
    return seen


ORG = "registry/orgs/east.yaml"
STORY = "content/stories/east-road.md"


def problems(text: str, path: str = ORG, kind: str = "org") -> list[tuple[int, int, str]]:
    loaded = load_source(text.encode("utf-8"), path, kind)
    return sorted((p.line, p.column, p.message) for p in loaded.problems if p.code == "invisible-char")


@pytest.mark.parametrize(
    "text",
    [
        "id: east\nname: 东村\u202e党支部\nkind: 党支部\n",  # the fast path declines: the reference parser reads it
        "id: east\nname: 东村党支部\nkind: 党支部\n",
        "id: east\nname: [\n",  # a syntax error beside nothing invisible
        "id: east\nname: [\u202e\n",  # the invisible character, not the syntax, is the clearer cause
    ],
)
def test_a_yaml_file_is_scanned_once(text, parser, scans):
    load_source(text.encode("utf-8"), ORG, "org")
    assert len(scans) == 1


def test_a_story_is_scanned_once(parser, scans):
    text = "---\ntitle: 东村\u2067点亮回家路\ndate: 2026-04-02\n---\n\n正文\u202e。\n"
    found = problems(text, STORY, "story")
    assert len(scans) == 1
    assert [(line, column) for line, column, _ in found] == [(2, 10), (6, 3)]


def test_each_invisible_character_is_reported_once_at_its_place(parser):
    assert problems("id: east\nname: 东村\u202e党支部\nkind: 党支部  # 备注\x07\n") == [
        (2, 9, "不允许的双向文字控制字符 U+202E"),
        (3, 16, "不允许的控制字符 U+0007"),
    ]


def test_the_syntax_problem_gives_way_to_an_invisible_character(parser):
    loaded = load_source("id: east\nname: [\u202e\n".encode("utf-8"), ORG, "org")
    assert [p.code for p in loaded.problems] == ["invisible-char"]


def test_an_escape_is_reported_though_the_same_character_is_raw_elsewhere(parser):
    """A raw override in a comment once hid an escaped one in a value (the escape's character was 'seen')."""
    text = 'id: east\nname: "东村\\u202e花小李"\nkind: 党支部  # 备注\u202e\n'
    assert problems(text) == [
        (2, 7, "不允许的双向文字控制字符 U+202E（写成了转义）"),
        (3, 16, "不允许的双向文字控制字符 U+202E"),
    ]


def test_an_escape_beside_a_raw_one_in_the_same_value_is_one_problem(parser):
    text = 'id: east\nname: "东村\u202e花 \\u202e"\nkind: 党支部\n'
    assert problems(text) == [(2, 10, "不允许的双向文字控制字符 U+202E")]


@pytest.mark.parametrize(
    "written,code_point",
    [("\\x0b", "000B"), ("\\u2067", "2067"), ("\\U0000202E", "202E"), ("\\e", "001B"), ("\\L", "2028")],
)
def test_each_escape_form_is_reported_at_its_value(written, code_point, parser):
    found = problems(f'id: east\nname: "东村{written}"\nkind: 党支部\n')
    assert [(line, column) for line, column, _ in found] == [(2, 7)]
    assert f"U+{code_point}（写成了转义）" in found[0][2]


@pytest.mark.parametrize("text", ['name: "东村\\\\u202e"\n', "name: '东村\\u202e'\n", "name: 东村\\u202e\n"])
def test_a_backslash_that_is_not_an_escape_is_not_reported(text, parser):
    """An escaped backslash, and backslashes in single-quoted or plain scalars, are text."""
    assert problems("id: east\n" + text + "kind: 党支部\n") == []


def test_an_escaped_key_is_reported(parser):
    found = problems('id: east\nname: 东村党支部\n"kind\\u202e": 党支部\n')
    assert [message for _, _, message in found] == ["不允许的双向文字控制字符 U+202E（写成了转义）"]
