"""The privacy threshold and the scored statuses are written once; everything else reads them.

`suppression.THRESHOLD` (5) and its mark `withheld.SUPPRESSED` ("少于5人"), `recordtypes.SCORED_STATUSES`.
A second spelling would drift: a threshold raised to 10 in one place and still 5 on a page is a leak.
"""

from __future__ import annotations

import ast
import re

from conftest import REPO

PACKAGE = REPO / "generator/dangjian"
TEMPLATES = REPO / "site_templates/pages"


def _literals(path) -> list[tuple[int, str]]:
    """String constants of a module, docstrings left out (prose may say "少于5人")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def _modules():
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "cms_vendor" not in p.parts]


def test_the_suppressed_mark_is_spelled_once():
    found = [
        f"{path.relative_to(REPO)}:{line}"
        for path in _modules()
        for line, text in _literals(path)
        if re.search(r"少于\s*5\s*人", text)
    ]
    assert found == [], "write f'少于{THRESHOLD}人' or use withheld.SUPPRESSED"


def test_templates_read_the_threshold_from_the_environment():
    found = []
    for path in sorted(TEMPLATES.glob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)  # comments are prose
        for match in re.finditer(r"少于\s*5\s*人|[<>]=?\s*5\b", text):
            found.append(f"{path.name}: {match.group(0)}")
    assert found == [], "templates use SUPPRESSED and THRESHOLD (build.content_environment's globals)"


def test_the_scored_statuses_are_listed_once():
    found = []
    for path in _modules():
        if path.name == "recordtypes.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if {"预备党员", "正式党员"} <= values:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert found == [], "read recordtypes.SCORED_STATUSES (or MEMBER_STATUSES)"


def test_the_checks_can_fail(tmp_path):
    """Each check above finds what it looks for."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""少于5人 in prose is fine."""\nMARK = "少于5人"\nPAIR = ("预备党员", "正式党员")\n', encoding="utf-8"
    )
    assert [text for _, text in _literals(sample)] == ["少于5人", "预备党员", "正式党员"]


# A CJK ideograph range in a character class: its bounds as escapes in a raw string, or as characters
# written as a range (一 alone is a word, "一-" or "-鿿" a range).
_HAN_RANGE = re.compile(r"\\u(?:3400|4e00|9fff)|[\u3400\u4e00]-|-\u9fff")


def test_the_han_ranges_are_written_once():
    """normalise.HAN_RANGES (and HAN) is the one spelling of "a Chinese character": the gate, validation, the
    editors' checks and the field labels must agree on what a name is written in."""
    found = [
        f"{path.relative_to(REPO)}:{line}"
        for path in _modules()
        if path.name != "normalise.py"
        for line, text in _literals(path)
        if _HAN_RANGE.search(text)
    ]
    assert found == [], "use normalise.HAN or normalise.HAN_RANGES"


def test_the_han_check_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'import re\nA = re.compile(r"[\\u4e00-\\u9fff]")\nB = "[\u3400-\u4dbf]"\nC = "一项"\n', encoding="utf-8"
    )
    assert sorted(line for line, text in _literals(sample) if _HAN_RANGE.search(text)) == [2, 3]
