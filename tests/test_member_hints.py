"""An unknown member id never gets a 'did you mean' pointing at a different person.

Member ids are customarily `m-` plus the pinyin of the name: `m-wang-xiaoming` (王晓明) is
not a misspelling of `m-wang-yiming` (王一鸣). A member is suggested only when its name's
pinyin matches what was typed; otherwise close ids are listed with their org, as
candidates, and a private member's name is never printed (a CI annotation on a public
repository is public).
"""

from __future__ import annotations

import pytest

from dangjian.validate import validate

ROSTER = """- id: m-west-sec
  name: 陈西河
  org: west
  status: 正式党员
  joined: 1988-05-04
  posts: [副书记]
- id: m-wang-yiming
  name: 王一鸣
  org: west
  status: 正式党员
  joined: 2016-01-14
"""
PUBLIC_ROSTER = ROSTER + "  public: true\n"


def _hint(registry, attendee: str, roster: str = ROSTER):
    activity = (
        f"- id: west-2026-03-01\n  org: west\n  date: 2026-03-01\n  kind: 主题党日\n  title: 学习\n"
        f"  attendees: [{attendee}]\n"
    )
    root = registry({"registry/members/west.yaml": roster, "registry/activities/west-2026.yaml": activity})
    problems = [p for p in validate(root).problems if p.code == "unknown-ref"]
    assert [p.message for p in problems] == [f"找不到党员 `{attendee}`"]
    summarised = [p for p in validate(root, full=False).problems if p.code == "unknown-ref"]
    assert summarised == problems  # `dangjian validate` (bulk files as summaries) words it the same
    return problems[0].hint


def test_a_different_name_is_not_suggested_as_the_same_person(registry):
    hint = _hint(registry, "m-wang-xiaoming")
    assert "是不是" not in hint
    assert "`m-wang-yiming`（西村党支部）" in hint  # a candidate to check, with its org
    assert "不一定是同一个人" in hint
    assert "王一鸣" not in hint  # a private member's name is not printed


def test_a_typo_of_the_same_name_is_suggested_with_its_org(registry):
    hint = _hint(registry, "m-wang-yimng")
    assert hint == "是不是想写 `m-wang-yiming`（西村党支部）？"


def test_a_public_member_is_suggested_with_name_and_org(registry):
    hint = _hint(registry, "m-wang-yimng", PUBLIC_ROSTER)
    assert hint == "是不是想写 `m-wang-yiming`（王一鸣，西村党支部）？"


def test_nothing_close_says_to_check_or_add(registry):
    hint = _hint(registry, "m-zhou-dafu")
    assert hint == "检查拼写，或先添加这个党员"


def test_other_kinds_keep_their_did_you_mean(registry):
    root = registry(
        {"registry/orgs/west.yaml": "id: west\nname: 西村党支部\nkind: 党支部\nparent: towm\ndomain: 农村\n"}
    )
    problems = [p for p in validate(root).problems if p.code == "unknown-ref"]
    assert [p.hint for p in problems] == ["是不是想写 `town`？"]


def _osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap neighbours), the slow way."""
    d = [[max(i, j) if min(i, j) == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abn", max_size=7), st.text(alphabet="abn", max_size=7))
def test_within_one_edit_is_distance_at_most_one(a: str, b: str):
    from dangjian.rules.references import _within_one_edit

    assert _within_one_edit(a, b) is (_osa_distance(a, b) <= 1)


def test_dangjian_new_asks_the_same_way_with_names_at_the_editors_terminal(registry):
    from dangjian.editing.asking import AnswerError
    from dangjian.editing.checks import reference

    root = registry({"registry/members/west.yaml": ROSTER})
    reg = validate(root).registry
    check = reference("member")
    for typed, wanted, unwanted in (
        ("m-wang-xiaoming", "不一定是同一个人", "是不是"),
        ("m-wang-yimng", "是不是想写 `m-wang-yiming`（王一鸣，西村党支部）？", "不一定"),
    ):
        try:
            check(typed, {}, reg)
        except AnswerError as err:
            assert wanted in str(err) and unwanted not in str(err)
        else:
            raise AssertionError("an unknown id was accepted")


NAMESAKES = """- id: m-west-sec
  name: 陈西河
  org: west
  status: 正式党员
  joined: 1988-05-04
  posts: [副书记]
- id: m-wang-yiming
  name: 王一鸣
  org: west
  status: 正式党员
  joined: 2016-01-14
- id: m-wang-xiaoming
  name: 王晓明
  org: west
  status: 正式党员
  joined: 2016-01-14
  public: true
- id: m-wang-yiming-2
  name: 汪一明
  org: west
  status: 预备党员
  joined: 2020-01-14
- id: m-li-ming
  name: 李明
  org: west
  status: 入党申请人
"""


@pytest.fixture(scope="module")
def namesakes(tmp_path_factory):
    import shutil

    from conftest import MINIMAL, apply_overlay

    root = tmp_path_factory.mktemp("namesakes") / "root"
    shutil.copytree(MINIMAL, root)
    apply_overlay(root, {"registry/members/west.yaml": NAMESAKES})
    result = validate(root)
    assert result.problems == []
    return result.registry


_SYLLABLES = st.sampled_from(["wang", "wan", "yi", "ming", "min", "xiao", "li", "ling", "chen", "xi", "he", "2", "-"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_SYLLABLES, min_size=1, max_size=4).map(lambda parts: "m-" + "-".join(parts)))
def test_hints_never_print_a_private_name_and_suggest_only_a_namesake(namesakes, typed: str):
    from dangjian.rules.references import _letters, _pinyin, _within_one_edit, member_hint

    if typed in namesakes.members:
        return
    hint = member_hint(namesakes, typed)
    for name in ("王一鸣", "汪一明", "李明"):  # the private members (王晓明 is public, 陈西河 public by post)
        assert name not in hint, (typed, hint)
    if hint.startswith("是不是想写"):
        suggested = hint.split("`")[1]
        sound = _pinyin(namesakes.members[suggested]["name"])
        spelled = _letters(typed[2:])
        assert sound in spelled or _within_one_edit(spelled, sound), (typed, hint)
