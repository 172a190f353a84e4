"""The pinyin of names is computed once per set of public names and shared (issue 23, the cold build path).

Validation's rules and the build's privacy gate each make a `PrivateNames` over the same members; the
forms of every name come from one memo. A memo must never answer for other names: a member made public,
or another registry in the same process (`serve`, tests), gets tables of its own.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian import private
from dangjian.private import PrivateNames, pinyin_forms


def _fresh_table(names: PrivateNames) -> dict[str, str]:
    """The table as computed without any memo (the code before issue 23)."""
    public_forms = {form for name in names.public for form in pinyin_forms(name)}
    table: dict[str, str] = {}
    for name in names._pinyin_names:
        for form in pinyin_forms(name) - public_forms:
            table.setdefault(form, name)
    return table


def test_a_name_made_public_leaves_the_table() -> None:
    private._FORMS = None
    before = PrivateNames([("m-1", "杨长根", "a.yaml"), ("m-2", "王东", "b.yaml")], ["李小花"])
    assert before.pinyin_in("yang-chang-gen") == "杨长根"
    after = PrivateNames([("m-2", "王东", "b.yaml")], ["李小花", "杨长根"])
    assert after.pinyin_in("yang-chang-gen") is None
    assert after.pinyin_in("wang-dong") == "王东"


def test_a_public_name_sharing_a_form_is_seen_by_every_table() -> None:
    """王东 (wangdong) is public in the second registry: its form must leave the private name's forms."""
    private._FORMS = None
    first = PrivateNames([("m-1", "汪冬", "a.yaml")], ["李小花"])
    assert first.pinyin_in("wang-dong") == "汪冬"
    second = PrivateNames([("m-1", "汪冬", "a.yaml")], ["李小花", "王东"])
    assert second.pinyin_in("wang-dong") is None


_HAN = st.sampled_from("杨长根王东汪冬李小花张伟石坚实践曾乐行重")
_NAME = st.text(_HAN, min_size=2, max_size=3)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_NAME, st.booleans()), min_size=1, max_size=8),
    st.lists(st.tuples(_NAME, st.booleans()), min_size=1, max_size=8),
    st.sampled_from([2, 3]),
)
def test_shared_tables_equal_fresh_ones(first: list, second: list, syllables: int) -> None:
    """Two registries in turn, each with two `PrivateNames` (validation's, the gate's): every table equals
    the one computed without a memo."""
    for members in (first, second, first):
        private_ = [(f"m-{i}", name, f"{i}.yaml") for i, (name, public) in enumerate(members) if not public]
        public_ = [name for name, public in members if public]
        for minimum in (2, syllables):
            names = PrivateNames(private_, public_, minimum)
            assert names.pinyin_table() == _fresh_table(names)


def test_names_made_over_the_same_members_are_made_once_and_never_answer_for_others() -> None:
    members = [("m-1", "杨长根", "a.yaml"), ("m-2", "王东", "b.yaml")]
    first = PrivateNames(members, ["李小花"])
    again = PrivateNames(list(members), ["李小花"], 3)  # the gate's: fewer pinyin names, the same secrets
    assert again.automaton is first.automaton and again.secrets is first.secrets
    assert [n for n in again._pinyin_names] == ["杨长根"]
    made_public = PrivateNames(members[1:], ["李小花", "杨长根"])
    assert made_public.find("杨长根参加了") == []
    assert made_public.first_in("王东参加了") == "王东"
    moved = PrivateNames([("m-1", "杨长根", "c.yaml"), members[1]], ["李小花"])  # another file: another secret
    assert moved.secrets["杨长根"].file == "c.yaml"
    assert first.find("杨长根参加了") and PrivateNames(members, ["李小花"]).find("杨长根参加了")


def test_names_asked_of_pypinyin_in_forked_workers_get_the_forms_asked_in_turn(monkeypatch) -> None:
    """Many names not in the pack are shared out among forked workers (`private._made_forms`): the forms of each,
    in the names' order, are those `pinyin_forms` gives it here (polyphones, phrases and names of no Han)."""
    names = ["杨长根", "单于", "曾乐乐", "长孙无忌", "Anna", "重庆", "朴槿", "乐正", "解放军", "吕不韦"] * 3
    names = [f"{name}{'一二三四五六七八九十'[n % 10]}" if n >= 10 else name for n, name in enumerate(names)]
    monkeypatch.setenv("DANGJIAN_CACHE", "off")  # no pack: every name is asked
    monkeypatch.setattr(private, "_MEMO", {})
    monkeypatch.setattr(private, "PARALLEL_NAMES", 4)
    monkeypatch.setattr(private, "CHUNK_NAMES", 3)
    monkeypatch.setattr(private.parallel, "fork_workers", lambda items, minimum, most=4: 2 if items >= minimum else 1)
    pools = []
    fork_pool = private.parallel.fork_pool

    def counted_pool(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        pools.append(args)
        return fork_pool(*args, **kwargs)

    monkeypatch.setattr(private.parallel, "fork_pool", counted_pool)
    found = private.forms_of(names)
    assert pools, "the names were not shared out among workers"
    assert list(found) == list(dict.fromkeys(names))
    assert found == {name: frozenset(pinyin_forms(name)) for name in names}
    assert found["单于"] and found["Anna"] == frozenset()
