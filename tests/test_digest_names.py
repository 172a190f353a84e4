"""Names dangjian makes of digests and publishes hold no digit the privacy gate could read as a personal number.

The gate reads a run of digits with the digits beside it across dashes and dots, as in any text: a search-index file
named `b17949608192.gz` stopped a county build (found by a benchmark's rebuilds), and so would a photo whose digest
ends in digits joined by the dash to its width (`…1794960-1280.jpg`), or a calendar id ending in such digits. Each
test finds, by trying, a digest that did this, and shows the name made of it now reads clean; the property tests
that no such name holds a digit at all."""

from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import copy_minimal
from dangjian.personal import find_identifiers, lettered
from dangjian.site import calendars, images, ownsearch
from dangjian.site.privacy import Gate
from dangjian.validate import validate
from test_gallery import png

HOST = "dangjian.example.org"


def _first(made, trips) -> object:
    """The first of `made(0), made(1), …` for which `trips` holds (a digest reading as a number)."""
    for n in itertools.count():
        value = made(n)
        if trips(value):
            return value
        assert n < 200_000, "no such digest found: the search is wrong"
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    return Gate(validate(copy_minimal(tmp_path_factory.mktemp("gate") / "root")).registry)


def _path_leaks(gate: Gate, rel: str) -> list:
    return gate.scan_path(rel)


def test_an_index_chunk_whose_digest_reads_as_a_mobile_number_is_named_in_letters(gate: Gate) -> None:
    data = _first(
        lambda n: f"chunk {n}".encode(),
        lambda data: bool(_path_leaks(gate, f"djsearch/c/{hashlib.sha256(data).hexdigest()[:12]}.gz")),
    )
    name = ownsearch._name(data)
    assert _path_leaks(gate, f"djsearch/c/{name}.gz") == []
    assert re.fullmatch("[a-p]{12}", name)


def test_a_photo_whose_digest_joins_its_width_into_a_mobile_number_is_named_in_letters(gate: Gate) -> None:
    """`photos/<digest>-<width>.<suffix>`: the dash joins the digest's last digits to the width."""
    hexdigest = _first(
        lambda n: hashlib.sha256(f"photo {n}".encode()).hexdigest()[:16],
        lambda digest: bool(_path_leaks(gate, f"{images.FOLDER}/{digest}-1280.jpg")),
    )
    made = images.Rendition("a.jpg", "jpeg", lettered(hexdigest), (1600, 1200), (640, 1280))
    assert all(_path_leaks(gate, made.url(width, fmt)) == [] for width in made.widths for fmt in ("jpeg", "webp"))


def test_a_real_photo_is_published_under_a_name_without_digits_but_its_width(tmp_path: Path, gate: Gate) -> None:
    root = copy_minimal(tmp_path / "root")
    folder = root / "content/assets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lake.png").write_bytes(png((1600, 1200)))
    made = images.Photos(root).rendition("lake.png")
    assert re.fullmatch("[a-p]{16}", made.digest)
    for width in made.widths:
        url = made.url(width, "webp")
        assert re.fullmatch(rf"{images.FOLDER}/[a-p]{{16}}-{width}\.webp", url)
        assert _path_leaks(gate, url) == []


def _plan(org: str, title: str) -> calendars.Plan:
    import datetime

    return calendars.Plan(org, title, "主题党日", "month", None, None, 1, None, datetime.date(2025, 1, 1), None)


def test_a_calendar_id_reading_as_a_number_is_spelled_in_letters_and_every_other_stays_as_it_was() -> None:
    org = "c000-t00-v00-b00"

    def old(title: str) -> str:
        digest = hashlib.sha256((org + "\0" + title).encode()).hexdigest()[:16]
        return f"plan-{org}-{digest}@{HOST}"

    title = _first(lambda n: f"主题党日{n}", lambda title: any(find_identifiers(old(title))))
    uid = _plan(org, title).uid(HOST)
    assert uid != old(title) and not any(find_identifiers(uid))
    assert re.fullmatch(rf"plan-{org}-[a-p]{{16}}@{re.escape(HOST)}", uid)
    for n in range(50):  # the ids calendars already hold: unchanged
        if not any(find_identifiers(old(f"固定活动{n}"))):
            assert _plan(org, f"固定活动{n}").uid(HOST) == old(f"固定活动{n}")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.text(alphabet="0123456789abcdef", min_size=1, max_size=64))
def test_a_lettered_digest_has_no_digit_and_tells_digests_apart(data: bytes, hexdigest: str) -> None:
    assert not any(c.isdigit() for c in ownsearch._name(data))
    assert not any(c.isdigit() for c in lettered(hexdigest))
    assert len(lettered(hexdigest)) == len(hexdigest)
    assert lettered(hexdigest).translate(str.maketrans("abcdefghijklmnop", "0123456789abcdef")) == hexdigest
