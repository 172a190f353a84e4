"""The private names' tables kept between runs (`namespack.py`, `names/` in dangjian's cache folder; issue 23).

A second run reads the folded names, the automaton and the pinyin table instead of making them; a member
renamed, made public or moved to another file reads other tables. The hostile side: an entry someone edited,
truncated, replaced by a link or made writable by others must never hide a private name: it is ignored and the
tables made again.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian import cache, namespack, private
from dangjian.normalise import fold
from dangjian.private import PrivateNames

PRIVATE = [("m-1", "杨长根", "a.yaml"), ("m-2", "王东", "b.yaml"), ("M-3", "李 四", "c.yaml")]
PUBLIC = ["李小花", "王东方"]


def _forget() -> None:
    """A new process: no table in memory."""
    private._FORMS = None
    private._BUILT = None


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    _forget()
    return tmp_path / "cache"


def _names(private_: list[tuple[str, str, str]] = PRIVATE, public: list[str] = PUBLIC) -> PrivateNames:
    names = PrivateNames(private_, public)
    names.pinyin_table()
    return names


def _entry(folder: Path, suffix: str = "names") -> Path:
    (entry,) = (folder / namespack.PART).glob(f"*.{suffix}")
    return entry


def _finds_every_secret(names: PrivateNames) -> None:
    assert names.first_in("据杨长根介绍") == "杨长根"
    assert names.first_in("王東在村里") == "王东"  # 繁體
    assert names.first_in("王东方在村里") is None  # a public name covering a private one
    assert names.first_in("编号 m-1 的党员") == "m-1"
    assert names.first_in("编号 m-10 的党员") is None
    assert names.first_in("编号 m-3 的党员") == "m-3"  # an id folds to lower case
    assert names.pinyin_in("yang-chang-gen") == "杨长根"
    assert names.secrets["杨长根"] == private.Secret("name", "m-1", "a.yaml")
    assert names.secrets["m-3"] == private.Secret("id", "M-3", "c.yaml")


def test_a_second_run_reads_the_tables(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _names()
    assert {p.suffix for p in (folder / namespack.PART).iterdir()} == {".names", ".secrets", ".pinyin2"}
    _forget()
    monkeypatch.setattr(private, "_make_tables", lambda *args: pytest.fail("the tables were made again"))
    monkeypatch.setattr(private.PrivateNames, "_make_pinyin", lambda self: pytest.fail("the pinyin made again"))
    second = _names()
    _finds_every_secret(second)
    assert dict(second.secrets) == dict(first.secrets) and second.pinyin_table() == first.pinyin_table()
    assert second.covering == first.covering and second.public == first.public


def test_the_gates_table_of_three_syllables_is_kept_beside(folder: Path) -> None:
    _names()
    three = PrivateNames(PRIVATE, PUBLIC, min_syllables=3)
    assert three.pinyin_in("yang-chang-gen") == "杨长根" and three.pinyin_in("wang-dong") is None
    assert _entry(folder, "pinyin3").is_file()


@pytest.mark.parametrize(
    "changed",
    [
        ([("m-1", "杨常根", "a.yaml"), *PRIVATE[1:]], PUBLIC),  # renamed
        (PRIVATE[1:], [*PUBLIC, "杨长根"]),  # made public
        ([("m-1", "杨长根", "z.yaml"), *PRIVATE[1:]], PUBLIC),  # moved to another file
        ([*PRIVATE, ("m-4", "赵大年", "d.yaml")], PUBLIC),  # a new member
    ],
    ids=["renamed", "made-public", "moved", "added"],
)
def test_changed_members_read_other_tables(folder: Path, changed: tuple) -> None:
    _names()
    _forget()
    names = _names(*changed)
    assert len(list((folder / namespack.PART).glob("*.names"))) == 2
    fresh = private._make_tables(*changed)
    assert dict(names.secrets) == dict(fresh[1]) and names.public == fresh[0]


def test_no_cache_folder_means_no_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    monkeypatch.chdir(tmp_path)
    _forget()
    _finds_every_secret(_names())
    assert list(tmp_path.iterdir()) == []


def test_the_entries_are_a_part_trim_and_clean_know(folder: Path) -> None:
    _names()
    PrivateNames(PRIVATE, PUBLIC, min_syllables=3).pinyin_table()
    found = sorted(entry.name for entry in cache.scan(folder).entries if entry.part == namespack.PART)
    assert found == sorted(p.name for p in (folder / namespack.PART).iterdir()) and len(found) == 4
    assert cache.scan(folder).foreign == 0
    cache.clean(folder)
    assert not list((folder / namespack.PART).glob("*"))


def test_an_entry_is_this_users_alone(folder: Path) -> None:
    _names()
    for entry in (folder / namespack.PART).iterdir():
        assert entry.stat().st_mode & 0o077 == 0


# --- hostile entries: ignored, never trusted ------------------------------------------------------------------


def _body(entry: Path) -> tuple:
    head, _, body = entry.read_bytes().partition(b"\n")
    return pickle.loads(body)


def _emptied(entry: Path) -> tuple:
    """The entry as someone who wants 杨长根 unseen would make it: no secrets and an automaton finding nothing, or a
    pinyin table finding nothing."""
    import ahocorasick

    name, value = _body(entry)
    if entry.suffix == ".names":
        public, _, _, _, covering = value
        empty = ({}, [], [], [])
        return name, (public, 0, private.secrets_token(empty), ahocorasick.Automaton(), covering)
    if entry.suffix == ".secrets":  # its token kept: columns naming no one (or another member) for the automaton's
        token, (rows, kinds, members, files) = value
        return name, (token, (rows, kinds, ["m-0"] * len(members), files))
    return name, ({}, set())


def _without_the_name(entry: Path) -> None:
    """Emptied, its length right and the digest of what it held before."""
    digest = entry.read_bytes().partition(b"\n")[0].split(b" ")[2]
    body = pickle.dumps(_emptied(entry))
    entry.write_bytes(namespack.FORMAT + b" " + digest + f" {len(body)}\n".encode() + body)


def _redigested(entry: Path) -> None:
    body = pickle.dumps(_emptied(entry))
    entry.write_bytes(namespack._header(body) + body)


def _group_writable(entry: Path) -> None:
    _redigested(entry)
    os.chmod(entry, 0o664)


def _linked(entry: Path) -> None:
    elsewhere = entry.parent.parent / "elsewhere.names"
    _redigested(entry)
    os.replace(entry, elsewhere)
    os.symlink(elsewhere, entry)


def _truncated(entry: Path) -> None:
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])


def _garbage(entry: Path) -> None:
    entry.write_bytes(b"\x80\x81 not an entry \xff" * 50)


def _a_folder(entry: Path) -> None:
    entry.unlink()
    entry.mkdir()


def _other_shape(entry: Path) -> None:
    name, _ = _body(entry)
    body = pickle.dumps((name, ({"杨长根"}, "columns", None, [])))
    entry.write_bytes(namespack._header(body) + body)


def _another_registrys(entry: Path) -> None:
    """Another registry's entry (no secrets), copied under this one's name with a matching digest."""
    _, value = _emptied(entry)
    body = pickle.dumps(("0" * 32, value))
    entry.write_bytes(namespack._header(body) + body)


TAMPERINGS = [_without_the_name, _group_writable, _linked, _truncated, _garbage, _a_folder, _other_shape]
TAMPERINGS += [_another_registrys]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda tamper: tamper.__name__.strip("_"))
@pytest.mark.parametrize("suffix", ["names", "secrets", "pinyin2"])
def test_a_tampered_entry_never_hides_a_private_name(folder: Path, tamper, suffix: str) -> None:
    _names()
    tamper(_entry(folder, suffix))
    _forget()
    _finds_every_secret(_names())


def test_an_entry_with_the_right_digest_is_used(folder: Path) -> None:
    """The other side of the tamper tests: the checks accept the entry dangjian writes (else nothing is kept)."""
    names = _names()
    _forget()
    assert namespack.read(folder, names._key, "names") is not None
    assert namespack.read(folder, names._key, "secrets") is not None
    assert namespack.read(folder, names._key, "pinyin2") is not None


def test_a_scan_finding_nothing_reads_no_secrets(folder: Path) -> None:
    """The secrets' columns are read when a secret is found (to say whose it is), not to scan: a city's 13.5 MB."""
    _names()
    _forget()
    names = PrivateNames(PRIVATE, PUBLIC)
    assert len(names.secrets) == 6 and names.secrets
    assert names.first_in("村里修了一条路") is None
    assert names.secrets._columns is None
    _finds_every_secret(names)
    assert names.secrets._columns is not None


def test_the_secrets_of_other_tables_are_never_paired(folder: Path) -> None:
    """Another registry's secrets entry, sealed and of the right shape, copied beside these tables: not used."""
    _names([("m-7", "钱七", "z.yaml"), ("m-8", "孙八", "z.yaml"), ("m-9", "周九", "z.yaml")], [])  # as many secrets
    (other,) = (folder / namespack.PART).glob("*.secrets")
    _forget()
    names = _names()
    mine = folder / namespack.PART / f"{names.key}.secrets"
    os.replace(other, mine)  # sealed under the other key's name: renamed, its own name inside no longer matches
    name, value = _body(mine)
    body = pickle.dumps((mine.stem + ".secrets", value))
    mine.write_bytes(namespack._header(body) + body)
    _forget()
    _finds_every_secret(_names())


# --- tables from entries equal tables made fresh, over runs of random registries ----------------------------

_HAN = st.sampled_from("杨长根王东汪冬李小花張伟石坚实践曾乐行重")
_NAME = st.text(_HAN, min_size=1, max_size=3)
_ID = st.text(st.sampled_from("mM0123-_."), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(_ID, _NAME, st.booleans(), st.sampled_from("ab")), min_size=1, max_size=6),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([2, 3]),
)
def test_tables_from_entries_equal_fresh_ones(tmp_path_factory: pytest.TempPathFactory, runs: list, syllables) -> None:
    """Registries in turn, each run a new process reading what the runs before it kept: every table equals the one
    made without any memo or entry, and finds what a plain scan finds."""
    folder = tmp_path_factory.mktemp("names")
    before = os.environ.get("DANGJIAN_CACHE")
    os.environ["DANGJIAN_CACHE"] = str(folder)
    try:
        for members in runs + runs:
            _forget()
            private_ = [(member, name, f"{file}.yaml") for member, name, public, file in members if not public]
            public_ = [name for _, name, public, _ in members if public]
            names = PrivateNames(private_, public_, syllables)
            names.pinyin_table()
            os.environ["DANGJIAN_CACHE"] = "off"
            _forget()
            fresh = PrivateNames(private_, public_, syllables)
            os.environ["DANGJIAN_CACHE"] = str(folder)
            assert dict(names.secrets) == dict(fresh.secrets) and names.public == fresh.public
            assert names.covering == fresh.covering and names.pinyin_table() == fresh.pinyin_table()
            text = "，".join(name for _, name, _, _ in members) + "，" + "，".join(m for m, _, _, _ in members)
            assert names.find(fold(text)) == fresh.find(fold(text))
    finally:
        if before is None:
            del os.environ["DANGJIAN_CACHE"]
        else:
            os.environ["DANGJIAN_CACHE"] = before
