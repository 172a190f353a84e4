"""The YAML loader: plain values, exact positions, and every unsafe or broken input as a problem."""

from __future__ import annotations

import codecs
from pathlib import Path

from dangjian.yamlfile import load_yaml, parse_yaml

FILE = "registry/orgs/east.yaml"


def load(text: str):
    return load_yaml(text.encode("utf-8"), FILE)


def codes(doc) -> list[str]:
    return [p.code for p in doc.problems]


# --- values -------------------------------------------------------------------------------------


def test_every_scalar_stays_text():
    doc = load("score: 41\nratio: 17.5\nyear: 2016\nweak: false\nfounded: 1956-04-01\nname: 溪南村党支部\n")
    assert doc.value == {
        "score": "41",
        "ratio": "17.5",
        "year": "2016",
        "weak": "false",
        "founded": "1956-04-01",
        "name": "溪南村党支部",
    }
    assert doc.problems == []


def test_plain_no_stays_text_and_is_marked_as_yaml11_bool():
    doc = load("slogan: no\nother: on\n")
    assert doc.value == {"slogan": "no", "other": "on"}
    assert doc.implicit[("slogan",)] == "bool"
    assert doc.implicit[("other",)] == "bool"


def test_quoted_no_is_not_marked_implicit():
    doc = load('slogan: "no"\n')
    assert doc.value == {"slogan": "no"}
    assert ("slogan",) not in doc.implicit


def test_plain_number_is_marked_with_its_yaml11_type():
    doc = load("score: 41\ncode: 010\n")
    assert doc.implicit[("score",)] == "int"
    assert doc.implicit[("code",)] == "int"


def test_plain_nulls_are_none():
    doc = load("a: ~\nb: null\nc:\nd: [~, x]\n")
    assert doc.value == {"a": None, "b": None, "c": None, "d": [None, "x"]}


def test_quoted_null_is_text():
    doc = load("a: '~'\nb: \"null\"\n")
    assert doc.value == {"a": "~", "b": "null"}


def test_value_hidden_by_a_comment_is_marked():
    doc = load("color: #c8102e\n")
    assert doc.value == {"color": None}
    assert doc.implicit[("color",)] == "comment"


# --- positions ----------------------------------------------------------------------------------


def test_marks_give_value_positions():
    doc = load("id: east\nname: 东村党支部\nlabels:\n  - 五好党支部\n")
    assert doc.marks[("id",)] == (1, 5)
    assert doc.marks[("name",)] == (2, 7)
    assert doc.marks[("labels", 0)] == (4, 5)
    assert doc.marks[()] == (1, 1)


def test_keys_give_key_positions():
    doc = load("id: east\nflow:\n  direction: out\n  place: 上海\n")
    assert doc.keys[("id",)] == (1, 1)
    assert doc.keys[("flow",)] == (2, 1)
    assert doc.keys[("flow", "direction")] == (3, 3)
    assert doc.keys[("flow", "place")] == (4, 3)


def test_columns_count_characters_not_bytes():
    doc = load("名称: 溪南村党支部\n类别: 党支部\n")
    assert doc.keys[("类别",)] == (2, 1)
    assert doc.marks[("名称",)] == (1, 5)
    assert doc.marks[("类别",)] == (2, 5)


def test_positions_inside_flow_collections_with_chinese_text():
    doc = load("a: {名称: 溪南, 类别: 党支部}\nb: [甲, 乙乙, 丙]\n")
    assert doc.keys[("a", "名称")] == (1, 5)
    assert doc.marks[("a", "名称")] == (1, 9)
    assert doc.keys[("a", "类别")] == (1, 13)
    assert doc.marks[("a", "类别")] == (1, 17)
    assert doc.marks[("b", 0)] == (2, 5)
    assert doc.marks[("b", 1)] == (2, 8)
    assert doc.marks[("b", 2)] == (2, 12)


def test_characters_outside_the_basic_plane_count_as_one_column():
    doc = load("c: [𠀀𠀁, 甲]\n")
    assert doc.marks[("c", 1)] == (1, 9)


def test_line_offset_shifts_lines_not_columns():
    doc = parse_yaml("title: 东村点亮回家路\ndate: 2026-04-02\n", "content/stories/east-road.md", line_offset=1)
    assert doc.marks[("title",)] == (2, 8)
    assert doc.keys[("date",)] == (3, 1)
    assert doc.marks[("date",)] == (3, 7)


def test_line_offset_shifts_problems_too():
    doc = parse_yaml("title: a\ntitle: b\n", "content/stories/x.md", line_offset=1)
    assert [(p.line, p.column) for p in doc.problems] == [(3, 1)]
    assert "第 2 行" in doc.problems[0].message


def test_pos_falls_back_to_the_nearest_ancestor():
    doc = load("flow:\n  place: 上海\n")
    assert doc.pos(("flow", "place", "missing")) == (2, 10)
    assert doc.pos(("flow", "place"), key=True) == (2, 3)


def test_crlf_line_endings_keep_positions():
    doc = load("id: east\r\nname: 东村\r\n")
    assert doc.value == {"id": "east", "name": "东村"}
    assert doc.marks[("name",)] == (2, 7)


def test_unicode_line_separator_does_not_shift_later_lines():
    # U+2028 inside a quoted value is not a line break for editors, git or GitHub:
    # `kind` is on the file's 2nd line and must be reported there.
    doc = load('name: "东村\u2028党支部"\nkind: 支部\n')
    assert doc.marks[("kind",)] == (2, 7)


# --- duplicate keys -----------------------------------------------------------------------------


def test_duplicate_key_is_reported_at_the_second_key_naming_the_first_line():
    doc = load("id: east\nname: 东村党支部\nkind: 党支部\nname: 西村党支部\n")
    [problem] = doc.problems
    assert problem.code == "duplicate-key"
    assert (problem.line, problem.column) == (4, 1)
    assert "`name`" in problem.message
    assert "第 2 行" in problem.message
    assert problem.hint


def test_duplicate_key_keeps_the_first_value():
    doc = load("name: 东村\nname: 西村\n")
    assert doc.value == {"name": "东村"}


def test_duplicate_key_in_a_nested_flow_mapping():
    doc = load("scores:\n  east: {work: 41, work: 42}\n")
    [problem] = doc.problems
    assert problem.code == "duplicate-key"
    assert (problem.line, problem.column) == (2, 20)
    assert "第 2 行" in problem.message


def test_same_key_in_different_mappings_is_fine():
    doc = load("- id: a\n  name: 甲\n- id: b\n  name: 乙\n")
    assert doc.problems == []


# --- tags: never executed -----------------------------------------------------------------------


def test_python_tag_is_a_problem_and_never_runs(tmp_path: Path):
    target = tmp_path / "pwned"
    doc = load(f'name: !!python/object/apply:os.system ["touch {target}"]\n')
    assert "tag" in codes(doc)
    assert not target.exists()


def test_python_tag_at_the_root_never_runs(tmp_path: Path):
    target = tmp_path / "pwned"
    doc = load(f'!!python/object/apply:os.system ["touch {target}"]\n')
    assert codes(doc) == ["tag"]
    assert (doc.problems[0].line, doc.problems[0].column) == (1, 1)
    assert not target.exists()


def test_python_open_tag_never_writes_a_file(tmp_path: Path):
    target = tmp_path / "written.txt"
    doc = load(f"x: !!python/object/apply:builtins.open ['{target}', 'w']\n")
    assert "tag" in codes(doc)
    assert not target.exists()


def test_python_object_new_tag_never_runs(tmp_path: Path):
    target = tmp_path / "pwned"
    doc = load(f"x: !!python/object/new:subprocess.Popen\n  args: [[touch, {target}]]\n")
    assert "tag" in codes(doc)
    assert not target.exists()


def test_str_tag_is_a_problem():
    doc = load("name: !!str 41\n")
    [problem] = doc.problems
    assert problem.code == "tag"
    assert (problem.line, problem.column) == (1, 7)
    assert "tag:yaml.org,2002:str" in problem.message


def test_custom_tag_is_a_problem():
    doc = load("name: !custom 东村\n")
    [problem] = doc.problems
    assert problem.code == "tag"
    assert "`!custom`" in problem.message


def test_tag_on_a_key_is_a_problem():
    doc = load("!!str name: 东村\n")
    assert codes(doc) == ["tag"]


def test_tag_on_a_mapping_is_a_problem():
    doc = load("flow: !!map {direction: out}\n")
    assert codes(doc) == ["tag"]


# --- documents, empty files ---------------------------------------------------------------------


def test_several_documents_are_a_problem():
    doc = load("id: east\n---\nid: west\n")
    [problem] = doc.problems
    assert problem.code == "multi-doc"
    assert (problem.line, problem.column) == (2, 1)


def test_one_document_with_an_explicit_start_is_fine():
    doc = load("---\nid: east\n")
    assert doc.problems == []
    assert doc.value == {"id": "east"}


def test_empty_file_is_a_problem():
    doc = load_yaml(b"", FILE)
    assert codes(doc) == ["empty"]
    assert (doc.problems[0].line, doc.problems[0].column) == (1, 1)
    assert doc.value is None


def test_file_of_only_comments_is_empty():
    doc = load("# 东村党支部\n# 待补充\n")
    assert codes(doc) == ["empty"]
    assert doc.value is None


def test_file_of_only_whitespace_is_empty():
    doc = load("\n   \n\n")
    assert codes(doc) == ["empty"]


def test_file_holding_only_null_is_empty():
    doc = load("~\n")
    assert codes(doc) == ["empty"]


# --- syntax -------------------------------------------------------------------------------------


def test_tab_in_indentation_is_a_problem():
    doc = load("id: east\nflow:\n\tdirection: out\n")
    [problem] = doc.problems
    assert problem.code == "tab"
    assert (problem.line, problem.column) == (3, 1)
    assert "Tab" in problem.message


def test_tab_after_spaces_in_indentation_is_reported_at_the_tab():
    doc = load("flow:\n  \tdirection: out\n")
    assert [(p.code, p.line, p.column) for p in doc.problems] == [("tab", 2, 3)]


def test_tab_inside_a_value_is_not_an_indentation_problem():
    doc = load("name: 东村\t党支部\n")
    assert doc.problems == []


def test_unclosed_bracket_gives_a_chinese_message_at_the_line_it_is_noticed():
    doc = load("id: east\nlabels: [五好党支部, 先进党组织\nkind: 党支部\n")
    [problem] = doc.problems
    assert problem.code == "syntax"
    assert problem.line == 3
    assert "方括号" in problem.message
    assert "`[`" in problem.hint


def test_unclosed_brace_gives_a_chinese_message():
    doc = load("scores:\n  east: {work: 41\n  west: {work: 38}\n")
    [problem] = doc.problems
    assert problem.code == "syntax"
    assert problem.line == 3
    assert "花括号" in problem.message


def test_syntax_error_leaves_no_value():
    doc = load("a: [x\n")
    assert doc.value is None
    assert codes(doc) == ["syntax"]


def test_unknown_syntax_error_still_has_a_chinese_message_and_hint():
    doc = load('name: "东村\n')
    [problem] = doc.problems
    assert problem.code == "syntax"
    assert problem.message.startswith("YAML 格式错误")
    assert problem.hint


def test_complex_key_is_a_problem():
    doc = load("? [a, b]\n: x\n")
    assert codes(doc) == ["complex-key"]


# --- aliases ------------------------------------------------------------------------------------


def billion_laughs(levels: int) -> str:
    lines = ["a0: &a0 [哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈, 哈]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_a_problem():
    doc = load(billion_laughs(9))
    assert codes(doc) == ["alias-bomb"]
    assert doc.value is None
    assert doc.problems[0].hint


def test_deeper_alias_bomb_is_a_problem():
    doc = load(billion_laughs(30))
    assert codes(doc) == ["alias-bomb"]


def test_moderate_aliases_work_and_are_copied():
    doc = load("base: &b {kind: 党支部, labels: [五好]}\neast: *b\nwest: *b\n")
    assert doc.problems == []
    assert doc.value["east"] == {"kind": "党支部", "labels": ["五好"]}
    assert doc.value["west"] == doc.value["base"]
    assert doc.value["east"] is not doc.value["base"]
    assert doc.value["east"]["labels"] is not doc.value["west"]["labels"]


def test_scalar_alias_works():
    doc = load("a: &x 东村\nb: *x\n")
    assert doc.value == {"a": "东村", "b": "东村"}


def test_alias_position_is_the_alias():
    doc = load("a: &x 东村\nb: *x\n")
    assert doc.marks[("b",)] == (2, 4)


def test_undefined_alias_is_a_problem():
    doc = load("id: east\nname: *nope\n")
    [problem] = doc.problems
    assert problem.code == "alias"
    assert (problem.line, problem.column) == (2, 7)
    assert "*nope" in problem.message


# --- depth --------------------------------------------------------------------------------------


def test_flow_nesting_100000_deep_is_a_depth_problem():
    doc = load("[" * 100_000 + "]" * 100_000 + "\n")
    assert codes(doc) == ["depth"]


def test_unbalanced_flow_nesting_100000_deep_is_a_depth_problem():
    doc = load("a: " + "{b: " * 100_000 + "\n")
    assert codes(doc) == ["depth"]


def test_moderate_flow_nesting_past_the_limit_is_a_depth_problem():
    doc = load("[" * 50 + "]" * 50 + "\n")
    assert codes(doc) == ["depth"]


def test_block_nesting_1000_deep_is_a_depth_problem():
    text = "".join("  " * i + f"k{i}:\n" for i in range(1000)) + "  " * 1000 + "x\n"
    doc = load(text)
    assert codes(doc) == ["depth"]
    assert doc.value is None


def test_block_list_nesting_1000_deep_is_a_depth_problem():
    text = "".join("  " * i + "-\n" for i in range(1000)) + "  " * 1000 + "x\n"
    doc = load(text)
    assert codes(doc) == ["depth"]


def test_nesting_within_the_limit_is_fine():
    doc = load("[" * 30 + "x" + "]" * 30 + "\n")
    assert doc.problems == []


def test_many_shallow_flow_lists_are_not_deep():
    text = "".join(f"k{i}: [甲, 乙]\n" for i in range(2000))
    doc = load(text)
    assert doc.problems == []
    assert doc.value["k1999"] == ["甲", "乙"]


# --- encodings and invisible characters ---------------------------------------------------------


def test_utf8_bom_is_accepted():
    doc = load_yaml(codecs.BOM_UTF8 + "id: east\nname: 东村党支部\n".encode("utf-8"), FILE)
    assert doc.problems == []
    assert doc.value == {"id": "east", "name": "东村党支部"}
    assert doc.keys[("id",)] == (1, 1)


def test_utf16_with_bom_is_rejected():
    doc = load_yaml("id: east\nname: 东村党支部\n".encode("utf-16"), FILE)
    [problem] = doc.problems
    assert problem.code == "encoding"
    assert "UTF-16" in problem.message
    assert "UTF-8" in problem.hint
    assert doc.value is None


def test_utf16_big_endian_with_bom_is_rejected():
    doc = load_yaml(codecs.BOM_UTF16_BE + "id: east\n".encode("utf-16-be"), FILE)
    assert codes(doc) == ["encoding"]


def test_gbk_is_rejected_with_a_hint_to_resave_as_utf8():
    doc = load_yaml("id: east\nname: 东村党支部\n".encode("gbk"), FILE)
    [problem] = doc.problems
    assert problem.code == "encoding"
    assert "GBK" in problem.message
    assert "UTF-8" in problem.hint
    assert "重新保存" in problem.hint
    assert (problem.line, problem.column) == (2, 7)


def test_invalid_bytes_that_are_not_gbk_are_rejected():
    doc = load_yaml(b"id: east\nname: \xff\xfe\xfd\n", FILE)
    [problem] = doc.problems
    assert problem.code == "encoding"
    assert "UTF-8" in problem.hint


def test_right_to_left_override_is_reported_with_code_point_and_position():
    doc = load("id: east\nname: 东村\u202e部支党\n")
    [problem] = doc.problems
    assert problem.code == "invisible-char"
    assert "U+202E" in problem.message
    assert (problem.line, problem.column) == (2, 9)


def test_bell_control_character_is_reported_with_code_point_and_position():
    doc = load("id: east\nname: 东村党支部\x07\n")
    [problem] = doc.problems
    assert "U+0007" in problem.message
    assert (problem.line, problem.column) == (2, 12)


def test_invisible_character_in_a_comment_is_reported():
    doc = load("id: east  # 备注\u200f\n")
    assert [(p.code, p.line, p.column) for p in doc.problems] == [("invisible-char", 1, 15)]


def test_bom_in_the_middle_is_reported():
    doc = load("id: east\nname: 东\ufeff村\n")
    assert [(p.code, p.line, p.column) for p in doc.problems] == [("invisible-char", 2, 8)]


def test_invisible_character_positions_respect_line_offset():
    doc = parse_yaml("title: 东\u202e村\n", "content/stories/x.md", line_offset=1)
    assert [(p.line, p.column) for p in doc.problems] == [(2, 9)]


def test_many_invisible_characters_are_all_reported_with_a_hint():
    doc = load("name: 东村" + "\x07" * 30 + "\n")
    assert 1 <= len(doc.problems) <= 21
    assert all(p.code == "invisible-char" for p in doc.problems)
    assert all(p.hint for p in doc.problems), "every problem carries a hint"


# --- slips of a Chinese keyboard: full-width colon, full-width spaces -----------------------------

ELEVEN_LINES = (
    "id: east\nname: 东村党支部\nkind: 党支部\nparent: town\ndomain: 农村\nfounded: 1956-04-01\n"
    "secretary: m-east-sec\nbrand: red\nlabels: [五好党支部]\nweak: false\nsummary：一段简介\n"
)


def _only(doc):
    [problem] = doc.problems
    assert problem.code == "syntax"
    assert doc.value is None
    return problem


def _lines(text: str) -> int:
    return text.rstrip("\n").count("\n") + 1


def _no_english(message: str) -> bool:
    import re

    prose = re.sub(r"`[^`]*`", "", message).replace("YAML", "")  # what the editor wrote may be quoted
    return re.search(r"[A-Za-z]{4,}", prose) is None


def test_full_width_colon_on_the_last_line_is_named_at_its_line():
    problem = _only(load(ELEVEN_LINES))
    assert (problem.line, problem.column) == (11, 8)  # the line of the slip, at the `：`; not line 12
    assert problem.line <= _lines(ELEVEN_LINES)
    assert "全角冒号" in problem.message and "summary" in problem.message
    assert "半角冒号" in problem.hint and "summary: " in problem.hint
    assert _no_english(problem.message)


def test_full_width_colon_in_the_middle_of_a_file():
    problem = _only(load("id: east\nsummary：一段简介\nname: 东村党支部\n"))
    assert (problem.line, problem.column) == (2, 8)
    assert "全角冒号" in problem.message


def test_full_width_colon_on_the_first_line_is_found_where_it_is_not_where_libyaml_stops():
    problem = _only(load("id：east\nname: 东村党支部\n"))  # libyaml complains about line 2
    assert (problem.line, problem.column) == (1, 3)
    assert "全角冒号" in problem.message


def test_full_width_colon_in_a_list_item_and_a_nested_mapping():
    problem = _only(load("- id: m-a\n  name：李四\n  org: east\n"))
    assert (problem.line, problem.column) == (2, 7)
    problem = _only(load("id: east\nflow:\n  direction：out\n  place: 上海\n"))
    assert (problem.line, problem.column) == (3, 12)
    problem = _only(load("id: east\nname ：东村\norg: x\n"))  # a space before it too
    assert problem.line == 2 and "全角冒号" in problem.message


def test_full_width_space_after_a_colon():
    problem = _only(load("id: east\nname:\u3000东村党支部\nkind: 党支部\n"))
    assert problem.line == 2
    assert "全角空格" in problem.message and "半角空格" in problem.hint


def test_full_width_spaces_as_indentation():
    doc = load("id: east\n\u3000kind: 党支部\n")  # libyaml reads a key `\u3000kind`: no error of its own
    [problem] = doc.problems
    assert (problem.line, problem.column) == (2, 1)
    assert "全角空格" in problem.message and "半角空格" in problem.hint
    assert doc.value is None  # the tree is not what the editor meant: no follow-on problems
    problem = _only(load("methods:\n  - name: a\n  \u3000summary: b\n"))
    assert (problem.line, problem.column) == (3, 3)
    assert "全角空格" in problem.message
    doc = load("- id: m-a\n\u3000 name: 李四\n")
    assert [(p.line, p.column) for p in doc.problems] == [(2, 1)] and "全角空格" in doc.problems[0].message


def test_full_width_characters_inside_values_are_text():
    doc = load("name: 东村：党支部\nsummary: |\n  \u3000\u3000本村位于 APP：下载\n")
    assert doc.problems == []
    assert doc.value["name"] == "东村：党支部"


def test_syntax_messages_are_chinese_only():
    for text in (
        'name: "东村\n',
        "a: [x\n",
        "id: east\nlabels: [五好党支部, 先进党组织\nkind: 党支部\n",
        "a: b: c\n",
        "- a\nb: c\n",
    ):
        problem = _only(load(text))
        assert _no_english(problem.message), problem.message
        assert problem.line <= _lines(text), (text, problem)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ORG_LINES = ELEVEN_LINES.replace("summary：", "summary: ").rstrip("\n").split("\n")


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(_ORG_LINES) - 1), st.sampled_from(["：", "： ", " ：", "：\u3000", ":\u3000", "indent"]))
def test_a_slip_on_any_line_is_reported_on_that_line(index: int, slip: str):
    lines = list(_ORG_LINES)
    if slip == "indent":
        lines[index] = "\u3000" + lines[index]
    else:
        lines[index] = lines[index].replace(": ", slip, 1)
    doc = load("\n".join(lines) + "\n")
    [problem] = doc.problems
    assert problem.line == index + 1, (lines, problem)
    assert "全角" in problem.message and _no_english(problem.message)


def test_a_full_width_colon_in_text_far_above_an_error_is_not_blamed():
    # libyaml's context here is the whole top-level mapping (from line 1); the slip-like text is on line 3
    text = "id: east\nsummary: |\n  APP：下载\n  说明\nname: 东\nkind: 党支部\nparent: town\n- domain: x\n"
    problem = _only(load(text))
    assert "全角" not in problem.message and problem.line == 8, problem
