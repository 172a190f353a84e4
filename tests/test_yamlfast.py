"""The fast YAML path answers only when its answer is the reference loader's answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dangjian import yamlfast
from dangjian.text import decode, normalize_breaks
from dangjian.yamlfile import parse_yaml

pytestmark = pytest.mark.skipif(yamlfast.yaml_rs is None, reason="yaml-rs is not installed")

REPO = Path(__file__).resolve().parents[1]


def same_as_reference(text: str) -> bool:
    """Whether the fast path answered; when it did, assert it agrees with the reference."""
    fast = yamlfast.parse(text, "f.yaml")
    if fast is None:
        return False
    reference = parse_yaml(text, "f.yaml")
    assert reference.problems == [], text
    assert fast.value == reference.value, text
    assert fast.implicit == reference.implicit, text
    assert fast.marks == reference.marks and fast.keys == reference.keys  # read again on demand
    return True


def test_plain_registry_file_takes_the_fast_path_with_exact_number_text():
    text = "id: a-1\nscore: 92.50\ncount: 007\nok: true\nname: 东村\ndate: 2026-01-05\nlist:\n  - 1.0\n  - '是'\n"
    assert same_as_reference(text)
    doc = yamlfast.parse(text, "f.yaml")
    assert doc.value["score"] == "92.50" and doc.value["count"] == "007" and doc.value["ok"] == "true"
    assert doc.implicit == {("score",): "float", ("count",): "int", ("ok",): "bool", ("list", 0): "float"}


@pytest.mark.parametrize(
    "text",
    [
        "a: yes\n",  # YAML 1.1 boolean read as text by yaml-rs
        "a: 'yes'\nb: yes\n",
        "a: 1_000\n",  # YAML 1.1 integer
        "a: 12:30\n",  # sexagesimal
        "a: 0x1F\n",  # hexadecimal: the text cannot be kept
        "a: 1e3\n",
        "a: .5\n",
        "a: +5\n",
        "a:\n",  # a null
        "a: ~\n",
        "a: !!python/object:os.system x\n",
        "a: &x 1\nb: *x\n",
        "a: [1, 2]\n",  # a number in a flow sequence: declined
        "a: [b, c]\n",
        "a: [b, 'c', \"d\"]\n",
        "- a: []\n  b: [x y, z]\n",
        "a: [b, [c]]\n",
        "a: [yes, no]\n",
        "a: b[c]\n",
        "a: {b: 1}\n",
        "a: |\n  text\n",
        "a: >\n  text\n",
        'a: "x\\ty"\n',
        "a: 1\na: 2\n",  # duplicate key
        "a: b\n  c\n",  # a multi-line plain scalar
        "a: 'b\n  c'\n",
        "--- \na: 1\n",
        "a: 1\n---\nb: 2\n",
        "? a\n: 1\n",
        "<<: {a: 1}\n",
        "1: a\n",  # a number as a key
        "yes: a\n",
        "- 1\n- a: 2\n- - 3\n",
        "just text\n",
        "",
        "a: b: c\n",
        "a:\tb\n",
        # slips of a Chinese keyboard: the reference reports them, the fast path must not answer otherwise
        "abc：def: x\n",
        "- name：a: b\n",
        "a: 1\n\u3000b: 2\n",
        "a:\u3000b\n",
        "说明：备注: x\n",
        "a: 东村：党支部\nb: \u3000东\n",
    ],
)
def test_unusual_files_are_declined_or_agree(text):
    same_as_reference(text)


def test_rosters_with_one_line_lists_take_the_fast_path():
    text = '- id: m1\n  name: "王东"\n  posts: ["书记", 委员]\n- id: m2\n  attendees: []\n  tags: [a b, \'c\']\n'
    assert same_as_reference(text)
    assert yamlfast.parse(text, "f.yaml").value[0]["posts"] == ["书记", "委员"]


def test_files_that_must_be_declined():
    for text in (
        "a: yes\n",
        "a: 0x1F\n",
        "a:\n",
        "a: 1\na: 2\n",
        "a: !!str x\n",
        "a: b\n  c\n",
        "1: a\n",
        "a: [1, 2]\n",
        "a: [yes]\n",
        "a: [b, [c]]\n",
        "a: [b,\n  c]\n",
        "a: {b: c}\n",
    ):
        assert yamlfast.parse(text, "f.yaml") is None, text


def test_demo_registry_and_fixtures_agree():
    answered = 0
    for path in sorted([*REPO.glob("registry/**/*.yaml"), *REPO.glob("tests/fixtures/**/*.yaml")]):
        text, _ = decode(path.read_bytes(), str(path))
        if text is not None:
            answered += same_as_reference(normalize_breaks(text))
    assert answered > 50


# Pieces of lines, chosen to sit on the edges of the plain subset and of YAML 1.1 vs 1.2.
_KEYS = st.sampled_from(
    [
        "id",
        "name",
        "a",
        "b b",
        "'q'",
        '"d"',
        "yes",
        "1",
        "k-1",
        "东村",
        "x:y",
        "on",
        "-a",
        "null",
        "a：b",
        "\u3000a",
        "a\u3000b",
        "说明：x",
    ]
)
_VALUES = st.sampled_from(
    [
        "1",
        "-1",
        "007",
        "1.0",
        "1.50",
        "-0.5",
        "1e3",
        ".5",
        "+1",
        "0o17",
        "0x1f",
        "1_0",
        "12:30",
        "2026-01-05",
        "true",
        "True",
        "TRUE",
        "false",
        "yes",
        "No",
        "on",
        "off",
        "y",
        "n",
        "null",
        "~",
        "Null",
        "",
        "''",
        '""',
        "'yes'",
        '"1"',
        "'it''s'",
        "text",
        "东村 党支部",
        "a #b",
        "a#b",
        "a: b",
        "a:b",
        "http://x",
        "-",
        "- x",
        "--x",
        "? x",
        ":x",
        "x:",
        "'unterminated",
        '"x',
        "x'y",
        "a  b",
        "#c",
        ".inf",
        ".NaN",
        "1.",
        "0",
        "-0",
        "00",
        # one-line flow sequences, and text that looks like one
        "[]",
        "[ ]",
        "[a]",
        "[a, b]",
        "[a,b]",
        "[ a , b ]",
        "[书记, 副书记]",
        "['x', \"y\"]",
        "['it''s']",
        "[a b, c]",
        "[1, 2]",
        "[a, 1.5]",
        "[yes]",
        "[on, x]",
        "['yes']",
        "[~]",
        "[null]",
        "[a, [b]]",
        "[a",
        "a]",
        "[a,]",
        "[,a]",
        "[a: b]",
        "[a:b]",
        "[a #b]",
        "[a, b] # c",
        "[a]b",
        "a[b]",
        "a, [b]",
        "[-a]",
        "[a-b]",
        "[a, -]",
        "['a', 'b'",
        '["a#b"]',
        "[a'b]",
        "[?a]",
        "[x, 2026-01-05]",
        "[0]",
        "[true]",
        "东村：党支部",
        "\u3000东村",
        "a：b",
        "[a：b]",
    ]
)


@st.composite
def yaml_texts(draw):
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        indent = " " * draw(st.sampled_from([0, 0, 0, 2, 4, 1]))
        dash = draw(st.sampled_from(["", "", "- ", "- - "]))
        if draw(st.booleans()):
            value = draw(_VALUES)
            lines.append(
                f"{indent}{dash}{draw(_KEYS)}:{' ' + value if value else ''}"
                f"{draw(st.sampled_from(['', '', ' # c', '  ']))}"
            )
        else:
            lines.append(f"{indent}{dash or '- '}{draw(_VALUES)}")
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", "# note", "  ", "---", "  more text"])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_texts())
def test_generated_files_are_declined_or_agree(text):
    same_as_reference(text)


_BAD_LINE = re.compile(rf"^(?!{yamlfast._LINE}$).*$", re.MULTILINE)  # the line check as one pattern


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_texts())
def test_the_line_check_with_its_memory_is_the_pattern(text):
    for _ in range(2):  # the second time, the good lines are remembered
        assert yamlfast._has_bad_line(text) == bool(_BAD_LINE.search(text)), text


def _problems(root: Path) -> list:
    from dangjian.validate import validate

    return [(p.file, p.line, p.column, p.message, p.hint) for p in validate(root).problems]


def test_validation_gives_the_same_problems_with_either_parser(tmp_path, monkeypatch):
    """Every bad case and the demo: the fast path changes nothing a user sees."""
    from conftest import BAD, apply_overlay, copy_minimal

    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    roots = [REPO] + [apply_overlay(copy_minimal(tmp_path / case.name), case) for case in sorted(BAD.iterdir())]
    for root in roots:
        monkeypatch.delenv("DANGJIAN_PARSER", raising=False)
        fast = _problems(root)
        monkeypatch.setenv("DANGJIAN_PARSER", "pyyaml")
        assert _problems(root) == fast, root
