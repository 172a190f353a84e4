"""Ledger files in their plain shape read without a YAML parser (`fastrows`): the same records and no problem, exactly
as the reference path (PyYAML, the schema, the scan for personal numbers) gives them, or declined."""

from __future__ import annotations

import datetime
import pickle
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dangjian import fastrows
from dangjian.load import Loaded, load_source
from dangjian.recordtypes import RECORD_TYPES

LEDGER = RECORD_TYPES["ledger"]
PATH = "registry/points/ledger/c000/c000-t00-v00.yaml"


def entry(member: str, date: str, rule: str, note: str = "") -> str:
    return f"- member: {member}\n  date: {date}\n  rule: {rule}\n" + (f"  note: {note}\n" if note else "")


PLAIN = entry("m0003875", "2024-10-04", "volunteer") + entry("m0007764", "2025-05-16", "absent")
NOTED = entry("m-cheng-minghua", "2009-03-31", "dues", "第1季度党费") + entry(
    "m2", "2009-02-13", "help", "结对帮扶 困难家庭"
)


def reference(text: str, monkeypatch: pytest.MonkeyPatch) -> Loaded:
    with monkeypatch.context() as patched:
        patched.setenv("DANGJIAN_PARSER", "pyyaml")  # neither fast path
        return load_source(text.encode("utf-8"), PATH, "ledger")


def shown(loaded: Loaded) -> tuple:
    """Everything a `Loaded` holds, its documents' text and problems, and a position read from each (what a rule
    reporting a problem at a record asks)."""
    rows = pickle.loads(pickle.dumps(loaded)).records  # through `Loaded.__reduce__`, as the parse cache keeps it
    records = [
        (
            r.kind,
            r.data,
            r.file,
            r.base,
            [(x.kind, x.id, x.path) for x in r.refs],
            r.assets,
            r.slug,
            r.body,
            r.body_line,
        )
        for r in rows
    ]
    docs = [
        (r.doc.file, r.doc.source, r.doc.problems, r.doc.value, r.pos("rule"), r.pos("date")) for r in loaded.records
    ]
    return records, loaded.problems, loaded.shadows, docs


def test_a_plain_ledger_is_read_by_the_fast_path_as_the_reference_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fastrows.rows(PLAIN, PATH, LEDGER) is not None
    fast = load_source(PLAIN.encode("utf-8"), PATH, "ledger")
    assert shown(fast) == shown(reference(PLAIN, monkeypatch))
    assert [r.data for r in fast.records] == [
        {"member": "m0003875", "date": datetime.date(2024, 10, 4), "rule": "volunteer"},
        {"member": "m0007764", "date": datetime.date(2025, 5, 16), "rule": "absent"},
    ]
    assert fast.records[1].pos("rule") == (6, 9)
    assert fastrows.rows(NOTED, PATH, LEDGER) is not None
    noted = load_source(NOTED.encode("utf-8"), PATH, "ledger")
    assert shown(noted) == shown(reference(NOTED, monkeypatch))
    assert noted.records[0].data["note"] == "第1季度党费" and noted.records[1].pos("note") == (8, 9)


DECLINED = [
    PLAIN.rstrip("\n"),  # no final line break
    PLAIN + "\n",  # a blank line
    "# 积分\n" + PLAIN,  # a comment
    NOTED.replace("第1季度党费", "电话 138 1234 5678"),  # a number in a note
    NOTED.replace("第1季度党费", "一三八一二三四五六七八"),  # in Chinese numerals
    NOTED.replace("第1季度党费", "党费：第1季度"),  # a full-width colon (a keyboard slip where it starts a line)
    NOTED.replace("第1季度党费", "党费: 第1季度"),  # a key
    NOTED.replace("第1季度党费", "党费 #1"),  # a comment
    NOTED.replace("第1季度党费", "第1季度党费 "),  # a space at the end
    NOTED.replace("第1季度党费", "'第1季度党费'"),
    NOTED.replace("第1季度党费", "yes"),
    NOTED.replace("第1季度党费", "12"),
    NOTED.replace("第1季度党费", "第1季度\u200b党费"),  # an invisible character
    PLAIN.replace("date: 2024-10-04", "date: 2024-02-30"),  # no such day
    PLAIN.replace("date: 2024-10-04", "date: '2024-10-04'"),  # quoted
    PLAIN.replace("m0003875", "m13812345678"),  # eleven digits: a mobile number
    PLAIN.replace("m0003875", "m-138-1234-5678"),
    PLAIN.replace("m0003875", "a110101199003077777"),
    PLAIN.replace("volunteer", "yes"),  # YAML 1.1 reads a boolean
    PLAIN.replace("volunteer", "on"),
    PLAIN.replace("m0003875", "123"),  # a number
    PLAIN.replace("m0003875", "0x1f"),
    PLAIN.replace("m0003875", "m" * 65),  # too long an id
    PLAIN.replace("m0003875", "M0003875"),  # not an id
    PLAIN.replace("  rule", "\trule"),
    PLAIN.replace("\n  date", "\n   date"),
    entry("m1", "2024-01-01", "study").replace("rule: study\n", "rule: study\n  rule: study\n"),  # a key twice
    "",
]


@pytest.mark.parametrize("text", DECLINED)
def test_what_is_not_plain_is_declined_and_the_reference_decides(text: str) -> None:
    assert fastrows.rows(text, PATH, LEDGER) is None


def test_only_ledger_files_take_the_fast_path() -> None:
    assert fastrows.rows(PLAIN, "registry/points/notes/n0.yaml", RECORD_TYPES["note"]) is None


_ID_CHARS = "abcdmnotyfe0123456789-"


@st.composite
def national_ids(draw: st.DrawFn) -> str:
    """An ID number with its check digit, as `personal` finds one (lowercase `x`: ids are lowercase)."""
    born = r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|1[0-9]|2[0-8])"
    head = draw(st.from_regex(rf"[1-9][0-9]{{5}}{born}[0-9]{{3}}", fullmatch=True))
    total = sum(
        int(digit) * weight for digit, weight in zip(head, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))
    )
    return head + "10x98765432"[total % 11]


# What a personal number hidden in an id may look like: whole, in groups, after letters or a dash.
NUMBERS = st.tuples(
    st.sampled_from(["", "m", "m-", "a-b"]),
    st.one_of(
        st.from_regex(r"1[3-9][0-9](-?)[0-9]{4}\1[0-9]{4}", fullmatch=True),
        st.from_regex(r"861[3-9][0-9]{9}", fullmatch=True),
        national_ids(),
        st.from_regex(r"[0-9]{9,12}", fullmatch=True),
    ),
    st.sampled_from(["", "-1", "a"]),
).map("".join)
IDS = st.one_of(
    st.from_regex(r"m[0-9]{7}", fullmatch=True),
    NUMBERS,
    st.text(_ID_CHARS, min_size=1, max_size=66),
    st.sampled_from(["yes", "no", "y", "n", "on", "off", "true", "false", "null", "1e5", "0o17", "1_0", "study"]),
)
DATES = st.one_of(
    st.dates(datetime.date(1990, 1, 1), datetime.date(2030, 12, 31)).map(datetime.date.isoformat),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
)
SLIPS = st.sampled_from(["", "", "", "\n", " ", "#", "\t", "'", ":", "。", "\r", "-", "：", "\u3000", "1"])
_NUMERALS = str.maketrans("0123456789", "〇一二三四五六七八九")
NOTES = st.one_of(
    st.just(""),
    st.sampled_from(["yes", "No", "on", "OFF", "Y", "n", "true", "12", "1e3", "0x1F", "第1季度党费"]),
    st.from_regex(r"电话1[3-9][0-9]( ?)[0-9]{4}\1[0-9]{4}", fullmatch=True),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True).map(lambda number: "电话" + number.translate(_NUMERALS)),
    st.text("党费第季度结对帮扶学习㐀 YyesNo0123456789一三八（），。“”：:#-", max_size=14),
    NUMBERS.map(lambda number: "电话" + number),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(st.tuples(IDS, DATES, IDS, NOTES), min_size=1, max_size=6),
    slip=SLIPS,
    at=st.integers(0, 10_000),
)
def test_generated_ledgers_are_declined_or_read_as_the_reference_reads_them(
    monkeypatch: pytest.MonkeyPatch, entries: list[tuple[str, str, str, str]], slip: str, at: int
) -> None:
    """Ids of every kind (numbers, YAML 1.1 booleans, too long, holding a mobile number), dates real or not, notes of
    words, signs and numbers, and one character slipped in somewhere: the fast path answers exactly as the reference,
    or not at all."""
    text = "".join(entry(*one) for one in entries)
    if slip:
        at %= len(text) + 1
        text = text[:at] + slip + text[at:]
    answered = fastrows.rows(text, PATH, LEDGER) is not None
    fast = load_source(text.encode("utf-8"), PATH, "ledger")
    ref = reference(text, monkeypatch)
    assert shown(fast) == shown(ref)
    if answered:
        assert not ref.problems and len(ref.records) == len(entries)


def test_a_file_s_entries_hold_each_id_and_their_empty_assets_once_through_the_parse_cache() -> None:
    """A city holds a million ledger entries: a member's entries in one file share one id string, the rules theirs, and
    the entries one empty list of assets; the entries at one position of any file share their paths. Read fresh and
    through the parse cache's pickle alike (893 -> 575 bytes an entry). The values are the reference's (above); this is
    how many objects hold them."""
    text = "".join(entry(f"m{n % 3}", f"2024-01-{n + 1:02d}", ("study", "dues")[n % 2]) for n in range(12))
    for loaded in (fast := load_source(text.encode("utf-8"), PATH, "ledger"), pickle.loads(pickle.dumps(fast))):
        records = loaded.records
        assert len(records) == 12
        assert len({id(r.data["member"]) for r in records}) == 3
        assert len({id(r.data["rule"]) for r in records}) == 2
        assert {id(r.refs[0].id) for r in records} == {id(r.data["member"]) for r in records}
        assert len({id(r.assets) for r in records}) == 1 and records[0].assets == []
    other = load_source(PLAIN.encode("utf-8"), PATH.replace("v00", "v01"), "ledger")
    for one, two in ((fast, other), (pickle.loads(pickle.dumps(fast)), pickle.loads(pickle.dumps(other)))):
        for first, second in zip(one.records, two.records):  # an entry's paths: the same tuples at its position
            assert first.base is second.base and first.base == (one.records.index(first),)
            assert [x.path for x in first.refs] == [(first.base[0], "member"), (first.base[0], "rule")]
            assert all(x.path is y.path for x, y in zip(first.refs, second.refs))


_IDS = st.sampled_from(["m1", "m2", "study", "dues", "x"])
_VALUES = st.one_of(_IDS, st.none(), st.integers(0, 3), st.dates(datetime.date(2020, 1, 1), datetime.date(2020, 1, 3)))


@st.composite
def _ledger_records(draw: st.DrawFn) -> list:
    """Ledger records of any shape: the plain one (member, date, rule, maybe a text note, references at their paths)
    and each way of being almost it (fields reordered or missing, a note of None, a reference of another kind, id or
    path, assets, a slug, a body, a base that is no position)."""
    from dangjian.load import Record
    from dangjian.schema import Reference
    from dangjian.yamlfile import YamlDoc

    doc = YamlDoc(PATH)
    records = []
    for at in range(draw(st.integers(0, 6))):
        member, rule = draw(_IDS), draw(_IDS)
        data = {"member": member, "date": draw(_VALUES), "rule": rule}
        if draw(st.booleans()):
            data["note"] = draw(st.one_of(st.text(max_size=3), _VALUES))
        if draw(st.booleans()):
            data = dict(draw(st.permutations(list(data.items()))))
        if draw(st.booleans()):
            data[draw(st.sampled_from(["member", "rule"]))] = draw(_VALUES)
        refs = [Reference("member", member, (at, "member")), Reference("rule", rule, (at, "rule"))]
        if draw(st.booleans()):
            spoilt = draw(st.integers(0, 1))
            kind, ref_id, path = draw(
                st.sampled_from([("rule", None, None), (None, "zz", None), (None, None, (9, "x"))])
            )
            old = refs[spoilt]
            other = "member" if old.kind == "rule" else "rule"  # the other reference's kind
            refs[spoilt] = Reference(other if kind else old.kind, ref_id or old.id, path or old.path)
        refs = refs[: draw(st.integers(0, 2))] if draw(st.booleans()) else refs
        base = draw(st.sampled_from([(at,), (at,), ("x",), (at, "y")]))
        assets = draw(st.sampled_from([[], [], [("a.png", (at, "photo"))]]))
        slug, body, line = draw(
            st.sampled_from([(None, "", 1), (None, "", 1), ("s", "", 1), (None, "b", 1), (None, "", 2)])
        )
        records.append(Record("ledger", data, PATH, base, doc, refs, assets, slug, body, line))
    return records


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ledger_records())
def test_any_ledger_record_comes_back_from_the_parse_cache_as_it_went(records: list) -> None:
    """The parse cache keeps a plain entry as its values alone and makes its paths again (shared tuples): every record,
    plain or almost, comes back with the same fields in the same order, of the same types, the same references and
    the rest."""

    def everything(record: Any) -> tuple:
        return (
            record.kind,
            list(record.data.items()),
            [type(value) for value in record.data.values()],
            record.file,
            record.base,
            [(x.kind, x.id, x.path) for x in record.refs],
            record.assets,
            record.slug,
            record.body,
            record.body_line,
        )

    back = pickle.loads(pickle.dumps(Loaded(records)))
    assert [everything(r) for r in back.records] == [everything(r) for r in records]
