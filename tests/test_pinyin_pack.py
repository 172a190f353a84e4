"""The pinyin of names kept between runs (`pinyinpack.py`, `pinyin/` in dangjian's cache folder; issue 23).

A second run reads each name's forms from the pack instead of asking pypinyin again; a run in the same process
(`serve`) asks neither. The hostile side: a pack someone edited, truncated, replaced by a link, made writable by
others, or written for another pypinyin must never hide a private name: it is ignored and the forms computed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian import cache, namespack, pinyinpack, private, provenance
from dangjian.private import PrivateNames, pinyin_forms

PRIVATE = [("m-1", "杨长根", "a.yaml"), ("m-2", "王东", "b.yaml")]
PUBLIC = ["李小花"]


def _forget() -> None:
    """A new process: no memo of any kind in memory; and no private-name tables kept in the cache folder
    (`namespack`: they keep the pinyin tables made from the pack, so the pack would not be read)."""
    private._FORMS = None
    private._BUILT = None
    private._MEMO.clear()
    if os.environ.get("DANGJIAN_CACHE", "off") != "off":
        shutil.rmtree(Path(os.environ["DANGJIAN_CACHE"]) / namespack.PART, ignore_errors=True)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    _forget()
    return tmp_path / "cache"


def _table(private_: list[tuple[str, str, str]] = PRIVATE, public: list[str] = PUBLIC) -> PrivateNames:
    names = PrivateNames(private_, public)
    names.pinyin_table()
    return names


def _pack(folder: Path) -> Path:
    (pack,) = (folder / pinyinpack.PART).glob("*.pack")
    return pack


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names pypinyin is asked about from now on."""
    asked: list[str] = []

    def counted(name: str) -> set[str]:
        asked.append(name)
        return pinyin_forms(name)

    monkeypatch.setattr(private, "pinyin_forms", counted)
    return asked


def test_a_second_run_asks_pypinyin_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _table()
    assert _pack(folder).is_file()
    _forget()
    asked = _counting(monkeypatch)
    second = _table()
    assert asked == []
    assert second.pinyin_table() == first.pinyin_table()
    assert second.pinyin_in("yang-chang-gen") == "杨长根"


def test_a_run_in_the_same_process_reads_no_pack(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _table()
    private._FORMS = private._BUILT = None  # another registry's tables in between: the names' memo stays
    monkeypatch.setattr(pinyinpack, "read", lambda *args: pytest.fail("the pack was read again"))
    assert _table().pinyin_in("yang-chang-gen") == "杨长根"


def test_a_new_name_is_computed_and_kept(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _table()
    _forget()
    asked = _counting(monkeypatch)
    renamed = [("m-1", "杨常根", "a.yaml"), PRIVATE[1]]
    assert _table(renamed).pinyin_in("yang-chang-gen") == "杨常根"
    assert asked == ["杨常根"]
    _forget()
    asked.clear()
    _table(renamed)
    assert asked == []


def test_no_cache_folder_means_no_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    monkeypatch.chdir(tmp_path)
    _forget()
    assert _table().pinyin_in("yang-chang-gen") == "杨长根"
    assert list(tmp_path.iterdir()) == []


def test_the_pack_is_a_part_trim_and_clean_know(folder: Path) -> None:
    _table()
    found = [entry for entry in cache.scan(folder).entries if entry.part == pinyinpack.PART]
    assert [entry.name for entry in found] == [_pack(folder).name]
    assert cache.scan(folder).foreign == 0
    cache.clean(folder)
    assert not list((folder / pinyinpack.PART).glob("*"))


def test_another_pypinyin_reads_another_pack(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _table()
    before = _pack(folder)
    _forget()
    monkeypatch.setattr(provenance, "library", lambda name: f"{name} 99.0")
    pinyinpack.pack_key.cache_clear()
    try:
        asked = _counting(monkeypatch)
        _table()
        assert sorted(asked) == sorted(["杨长根", "王东", "李小花"])
        assert {p.name for p in (folder / pinyinpack.PART).glob("*.pack")} - {before.name}
    finally:
        pinyinpack.pack_key.cache_clear()


# --- hostile packs: ignored, never trusted ---------------------------------------------------------------------


def _without_the_name(pack: Path) -> None:
    """The pack as someone who wants 杨长根's pinyin unseen would edit it (its digest left as it was)."""
    head, _, body = pack.read_bytes().partition(b"\n")
    value = json.loads(body)
    value["forms"]["杨长根"] = []
    pack.write_bytes(head + b"\n" + json.dumps(value, ensure_ascii=False).encode())


def _redigested(pack: Path) -> None:
    """The same edit, with a digest that matches it."""
    head, _, body = pack.read_bytes().partition(b"\n")
    value = json.loads(body)
    value["forms"]["杨长根"] = []
    body = json.dumps(value, ensure_ascii=False).encode()
    pack.write_bytes(pinyinpack.header(body) + body)


def _group_writable(pack: Path) -> None:
    _redigested(pack)
    os.chmod(pack, 0o664)


def _linked(pack: Path) -> None:
    """The pack replaced by a link to a file that would hide the name."""
    elsewhere = pack.parent.parent / "elsewhere.pack"
    _redigested(pack)
    os.replace(pack, elsewhere)
    os.symlink(elsewhere, pack)


def _truncated(pack: Path) -> None:
    data = pack.read_bytes()
    pack.write_bytes(data[: len(data) // 2])


def _garbage(pack: Path) -> None:
    pack.write_bytes(b"\x80\x81 not a pack \xff" * 50)


def _a_folder(pack: Path) -> None:
    pack.unlink()
    pack.mkdir()


def _other_types(pack: Path) -> None:
    body = json.dumps({"key": pack.stem, "forms": {"杨长根": "yangchanggen", "王东": [1]}}).encode()
    pack.write_bytes(pinyinpack.header(body) + body)


def _another_key(pack: Path) -> None:
    head, _, body = pack.read_bytes().partition(b"\n")
    value = json.loads(body)
    value["key"] = "0" * 32
    value["forms"]["杨长根"] = []
    body = json.dumps(value, ensure_ascii=False).encode()
    pack.write_bytes(pinyinpack.header(body) + body)


TAMPERINGS = [_without_the_name, _group_writable, _linked, _truncated, _garbage, _a_folder, _other_types, _another_key]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda tamper: tamper.__name__.strip("_"))
def test_a_tampered_pack_never_hides_a_private_name(folder: Path, tamper) -> None:
    _table()
    tamper(_pack(folder))
    _forget()
    names = _table()
    assert names.pinyin_in("yang-chang-gen") == "杨长根"
    assert names.pinyin_in("wang-dong") == "王东"


def test_a_pack_read_with_the_right_digest_is_used(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side of the tamper tests: the checks accept the pack dangjian writes (else nothing is saved)."""
    _table()
    _forget()
    assert pinyinpack.read(folder)["杨长根"] == frozenset(pinyin_forms("杨长根"))


_HAN = st.sampled_from("杨长根王东汪冬李小花张伟石坚实践曾乐行重")
_NAME = st.text(_HAN, min_size=2, max_size=3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(_NAME, st.booleans()), min_size=1, max_size=6), min_size=1, max_size=4))
def test_tables_from_packs_equal_fresh_ones(tmp_path_factory: pytest.TempPathFactory, runs: list) -> None:
    """Registries in turn, each run a new process reading the last run's pack: every table equals the one made
    without any memo or pack."""
    folder = tmp_path_factory.mktemp("pinyin")
    before = os.environ.get("DANGJIAN_CACHE")
    os.environ["DANGJIAN_CACHE"] = str(folder)
    try:
        for members in runs:
            _forget()
            private_ = [(f"m-{i}", name, f"{i}.yaml") for i, (name, public) in enumerate(members) if not public]
            public_ = [name for name, public in members if public]
            names = PrivateNames(private_, public_)
            public_forms = {form for name in names.public for form in pinyin_forms(name)}
            fresh: dict[str, str] = {}
            for name in names._pinyin_names:
                for form in pinyin_forms(name) - public_forms:
                    fresh.setdefault(form, name)
            assert names.pinyin_table() == fresh
    finally:
        if before is None:
            del os.environ["DANGJIAN_CACHE"]
        else:
            os.environ["DANGJIAN_CACHE"] = before


# --- names folded by one translation ------------------------------------------------------------------------------


def test_a_name_of_unified_ideographs_folds_as_fold_does_for_every_such_character() -> None:
    """`private.fold_name` translates a name of CJK unified ideographs in one step: equal to `normalise.fold` on
    each of those characters (every one), and on names mixing them with anything else (then `fold` itself)."""
    from dangjian.normalise import fold

    chars = [chr(code) for low, high in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF)) for code in range(low, high + 1)]
    assert [private.fold_name(char) for char in chars] == [fold(char) for char in chars]
    assert private.fold_name("".join(chars)) == fold("".join(chars))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.one_of(
            st.characters(min_codepoint=0x3400, max_codepoint=0x9FFF),
            st.sampled_from("杨長根 \u200b<&%\\ＡＢａ１·・()"),
            st.sampled_from("aZm09-_.*~`"),  # ids: ASCII letters, digits and hyphens fold to lower case alone
            st.characters(),
        ),
        max_size=8,
    )
)
def test_fold_name_equals_fold(name: str) -> None:
    from dangjian.normalise import fold

    assert private.fold_name(name) == fold(name)
