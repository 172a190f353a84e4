"""Ids: one rule (lowercase letters, digits, `-`, at most 64 characters) for every id of every record type."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.editing.checks import id_problem
from dangjian.recordtypes import RECORD_TYPES
from dangjian.schema import INVALID, MAX_ID_LENGTH, Checker, Id, List, Mapping, Object
from dangjian.yamlfile import YamlDoc

ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_A\n é"


def accepted(raw: str) -> bool:
    check = Checker(YamlDoc("x.yaml", value={"id": raw}, _marks={(): (1, 1)}))
    return Id().convert(raw, ("id",), check) is not INVALID and not check.problems


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ID_CHARS, min_size=1, max_size=80) | st.text(alphabet="a-", min_size=60, max_size=70))
def test_an_id_is_accepted_exactly_when_it_follows_the_rule(raw: str):
    rule = re.fullmatch(r"[a-z0-9][a-z0-9-]*", raw) is not None and len(raw) <= MAX_ID_LENGTH
    assert accepted(raw) is rule
    assert (id_problem(raw) is None) is rule  # `dangjian new` asks with the same rule


def test_the_limit_is_64_and_a_trailing_newline_is_not_an_id():
    assert accepted("a" * 64)
    assert not accepted("a" * 65)
    assert not accepted("m-east\n")
    assert "太长" in id_problem("m-" + "x" * 300)


def _ids(field_type, where: str):
    """Every Id-typed place inside a field type (lists, mappings and nested objects included)."""
    if isinstance(field_type, Id):
        yield where, field_type
    elif isinstance(field_type, List):
        yield from _ids(field_type.item, where + "[]")
    elif isinstance(field_type, Mapping):
        yield from _ids(field_type.key, where + "{key}")
        yield from _ids(field_type.value, where + "{value}")
    elif isinstance(field_type, Object):
        for field in field_type.fields:
            yield from _ids(field.type, f"{where}.{field.name}")


def test_every_id_field_of_every_record_type_is_an_id_with_the_limit():
    places = [(where, t) for kind, rt in RECORD_TYPES.items() for where, t in _ids(rt.schema, kind)]
    for kind, rt in RECORD_TYPES.items():
        for field in rt.schema.fields:
            if field.name == "id":
                assert isinstance(field.type, Id), kind
    assert len(places) > 20
    for where, field_type in places:
        assert field_type.json_schema()["maxLength"] == MAX_ID_LENGTH, where
