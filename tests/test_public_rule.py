"""The privacy rule (`model.is_public`) as the contract states it, over any record, and the site's list of public
members (`SiteData.public_members`) as exactly the members it calls public, by id."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.load import Record
from dangjian.model import is_public
from dangjian.site.data import SiteData
from dangjian.validate import validate

REPO = Path(__file__).resolve().parents[1]

POSTS = ["书记", "副书记", "组织委员", "宣传委员", "书", "记", "副 书记", "书记 ", "总书记", ""]
# what a `public:` field may hold once loaded: only `true` itself makes a member public
PUBLIC_VALUES = [True, False, None, "true", "True", 1, 0, "是", [], [True]]


def _as_written(data: dict[str, Any]) -> bool:
    """The rule in the contract's words: `public: true` is public, any other `public:` is not; without one, holding
    the post 书记 or 副书记 (exactly) is."""
    if "public" in data:
        return data["public"] is True
    return "书记" in list(data.get("posts", [])) or "副书记" in list(data.get("posts", []))


def _member(data: dict[str, Any]) -> Record:
    record = object.__new__(Record)
    record.kind, record.data = "member", data
    return record


@settings(max_examples=400, deadline=None)
@given(
    public=st.one_of(st.just("absent"), st.sampled_from(PUBLIC_VALUES)),
    posts=st.one_of(
        st.just("absent"),
        st.lists(st.sampled_from(POSTS), max_size=4),
        st.tuples(st.sampled_from(POSTS)),
        st.sampled_from(POSTS),  # a string where a list belongs: its characters are no posts
    ),
)
def test_is_public_is_the_contract_s_rule(public: Any, posts: Any) -> None:
    data: dict[str, Any] = {"id": "m1", "name": "某某"}
    if public != "absent":
        data["public"] = public
    if posts != "absent":
        data["posts"] = posts
    assert is_public(_member(data)) is _as_written(data)


@pytest.mark.parametrize("root", [REPO], ids=["demo"])
def test_public_members_are_exactly_the_members_the_rule_calls_public(root: Path) -> None:
    reg = validate(root).registry
    data = SiteData(reg, datetime.date(2026, 6, 30))
    public = data.public_members
    assert [p.id for p in public] == sorted(m for m, record in reg.members.items() if is_public(record))
    assert public == [data.person(p.id) for p in public]
    assert any(not is_public(record) for record in reg.members.values())  # the demo has private members
