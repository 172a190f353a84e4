"""An org's name as a lookup (`data.OrgView`, `data.NAMES`): what the pages of other records show of an org is
digested without its name, and every read of the name while a page renders is noted, to be checked at the next build
(`incremental.note_read`, `incremental.reads_hold`)."""

from __future__ import annotations

import pickle
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment

from dangjian.site import incremental
from dangjian.site.data import NAMES, OrgNames, OrgView, OrgViews


def org(org_id: str, name: str, kind: str = "村党支部", parent: str = "town") -> Any:
    """What `OrgViews` and `OrgNames` read of an org's record: its fields."""
    return SimpleNamespace(data={"id": org_id, "name": name, "kind": kind, "parent": parent})


def test_a_view_is_digested_without_its_name_and_with_everything_else() -> None:
    canon = incremental.Canon()
    view = OrgView("a", {"name": "甲村党支部", "kind": "村党支部", "parent": "town"})
    assert canon.digest(view) == canon.digest(
        OrgView("a", {"name": "乙村党支部", "kind": "村党支部", "parent": "town"})
    )
    for other in (
        OrgView("b", {"name": "甲村党支部", "kind": "村党支部", "parent": "town"}),
        OrgView("a", {"name": "甲村党支部", "kind": "社区党支部", "parent": "town"}),
        OrgView("a", {"name": "甲村党支部", "kind": "村党支部", "parent": "city"}),
        OrgView("a", {"name": "甲村党支部", "kind": "村党支部"}),
    ):
        assert canon.digest(other) != canon.digest(view)


@pytest.mark.parametrize(
    "template",
    [
        "{{ org.data.name }}",
        "{{ org.name }}",
        "{{ org['name'] }}",
        "{{ org.get('name') }}",
        "{% for k in org %}{{ k }}{% endfor %}",
        "{{ org.data | dictsort }}",
        "{{ [org] | sort(attribute='data.name') | map(attribute='id') | join }}",
        "{{ org == org }}",
    ],
)
def test_every_way_a_template_reads_the_name_is_noted_and_checked_against_the_names(template: str) -> None:
    """Whatever a template does with a view that reads its name notes it: the next build's `reads_hold` holds while
    that org's name is the one the last build kept (`data.NAMES`'s table); renamed or gone, it fails."""
    orgs = {"a": org("a", "甲村党支部")}
    view = OrgViews(orgs)["a"]
    with incremental.recording() as reads:
        Environment().from_string(template).render(org=view)
    assert reads.tabled == {NAMES: {"a"}} and reads.seen == {}
    entries = reads.as_list()
    canon = incremental.Canon()
    kept = {NAMES: dict(OrgNames(orgs))}  # the table the build keeps with the manifest
    for now, holds in (
        (orgs, True),
        ({**orgs, "b": org("b", "乙村党支部")}, True),  # another org added: not read here
        ({"a": org("a", "乙村党支部")}, False),  # renamed
        ({}, False),  # gone
    ):
        changed = incremental.changed_keys(kept, {NAMES: OrgNames(now)})
        assert incremental.reads_hold(entries, {}, canon, changed) is holds
    assert not incremental.reads_hold(entries, {}, canon, {})  # no table kept: rendered again
    assert not incremental.reads_hold(entries, {}, canon)


def test_reading_its_kind_or_id_notes_no_name() -> None:
    view = OrgViews({"a": org("a", "甲村党支部")})["a"]
    with incremental.recording() as reads:
        Environment().from_string("{{ org.id }}{{ org.data.kind }}{{ org['parent'] }}{% if org %}x{% endif %}").render(
            org=view
        )
    assert reads.seen == {} and reads.tabled == {}


def test_a_view_without_a_name_renders_none_as_a_dict_would() -> None:
    view = OrgView("a", {"kind": "村党支部"})
    assert Environment().from_string("[{{ org.data.name }}]").render(org=view) == "[]"


def test_a_view_is_never_kept() -> None:
    """An aggregate's key reads no org's name: a value holding a view cannot be pickled, so it is never kept."""
    with pytest.raises(TypeError):
        pickle.dumps({"org": OrgView("a", {"name": "甲村党支部"})})


KEYS = st.sampled_from(["a", "b", "c", "d", "c000-t01"])
VALUES = st.one_of(st.none(), st.sampled_from(["甲村", "乙村", "", "1"]), st.integers(0, 1), st.booleans())


@settings(max_examples=300, deadline=None)
@given(
    before=st.dictionaries(KEYS, VALUES),
    now=st.dictionaries(KEYS, VALUES),
    read=st.sets(KEYS, min_size=1),
)
def test_a_tabled_read_holds_exactly_when_every_key_read_has_the_same_value(
    before: dict[str, Any], now: dict[str, Any], read: set[str]
) -> None:
    """Over random tables and keys read: a page's read of a tabled global holds exactly when each key it read is in
    both tables with the same value of the same type (1 is not True, a name gone is not None)."""
    reads = incremental.Reads()
    reads.tabled[NAMES] = set(read)
    changed = incremental.changed_keys({NAMES: before}, {NAMES: now})
    same = all(k in before and k in now and type(before[k]) is type(now[k]) and before[k] == now[k] for k in read)
    assert incremental.reads_hold(reads.as_list(), {}, incremental.Canon(), changed) is same


def test_a_key_that_cannot_be_joined_makes_the_page_volatile() -> None:
    with incremental.recording() as reads:
        incremental.note_read(NAMES, "a\x1fb")
    assert reads.volatile
