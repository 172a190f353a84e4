"""A field declared `page=True` (recordtypes.py) is on its record's page, read as a reader does: under its
label where the page has one (a row of the facts table, a section's heading, a `标签：` line), and
elsewhere in the page's own text (badges, the title, the date line) only where the page gives it no
heading, which UNLABELLED lists. Built from the demo registry, every record of each kind."""

from __future__ import annotations

import dataclasses
import datetime
import re
import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

from conftest import REPO
from reading import tables, text
from site_helpers import article, build_site
from dangjian.figures import shown
from dangjian.model import Registry, is_public
from dangjian.recordtypes import RECORD_TYPES
from dangjian.schema import Asset, Bool, Date, Field, FieldType, List, Number, Object, Ref, Text
from dangjian.site import kinds as site_kinds
from dangjian.site.markdown import render
from dangjian.validate import validate

# Page-shown fields the page shows without a heading of their own: the title, badges, the date line.
UNLABELLED = {
    "project": {"title", "category", "status", "year"},
    "org": {"name", "kind", "domain", "labels", "weak", "dissolved", "summary", "parent"},
    "brand": {"name", "slogan", "logo", "summary"},
    "story": {"title", "date", "org", "brand", "cover"},
    "member": {"name"},
}
TITLE = {"name", "title"}  # a kind not listed above: its name or title is its page's title, with no heading
# Kinds with a page per record (public members only), as their site kind declares it (`SiteKind.url_of`):
# a new kind's `page=True` fields are checked once its site module says where its pages are.
ADDRESS: dict[str, Callable[[Any], str]] = {k.record: k.url_of for k in site_kinds.KINDS if k.record and k.url_of}
# Kinds with page fields but no page per record of their own, checked by the site's own tests; any other
# kind with page fields must declare `url_of`.
PAGES_ELSEWHERE = {
    "activity": "listed by month and by org",
    "scheme": "shown on its rankings' pages",
    "page": "a free page: its title",
    "site": "the site settings",
    "honour": "listed on /honours/ and on its recipient's page (tests/test_honours_site.py reads them there)",
}


# Fields the demo registry never fills, written into one record of a copy so they are checked too.
FILLED = {
    "org": "founded: 1998-07-01\ndissolved: 2020-12-31\nlabels: [五好党支部]\n",
    "brand": "founded: 2012-05-04\n",
    "story": "cover: brands/qicai-hongse.svg\n",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Registry, Path]:
    root = tmp_path_factory.mktemp("demo") / "registry"
    for part in ("registry", "content"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    reg = validate(root).registry
    for kind, line in FILLED.items():
        first = reg.ids(kind)[min(reg.ids(kind))]
        for key in re.findall(r"(?m)^(\w+):", line):
            assert key not in first.data, f"the demo fills {kind}.{key} now: drop it from FILLED"
        path = root / first.file
        source = path.read_text(encoding="utf-8")
        if path.suffix == ".md":  # into the front matter, after its opening `---`
            opening, rest = source.split("\n", 1)
            path.write_text(f"{opening}\n{line}{rest}", encoding="utf-8")
        else:
            path.write_text(source + line, encoding="utf-8")
    site = build_site(root, root.parent / "site")
    filled = validate(root)
    assert not filled.problems, filled.problems
    return filled.registry, site


def _date(value: datetime.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _plain(markdown: str) -> str:
    return text(BeautifulSoup(str(render(markdown)), "html.parser"))


def _person(reg: Registry, member_id: str) -> str | None:
    member = reg.members.get(member_id)
    return member["name"] if member is not None and is_public(member) else None


def readings(reg: Registry, kind: FieldType, value: Any) -> list[str]:
    """What a reader sees of a value: each text that must be on the page."""
    if isinstance(kind, List):
        return [t for item in value for t in readings(reg, kind.item, item)]
    if isinstance(kind, Object) and isinstance(value.get("date"), datetime.date) and "date" in kind.by_name:
        return [_date(value["date"])]  # a dated event (history:): its date heads its line of the timeline
    if isinstance(kind, Object) and "alt" in kind.by_name:  # a photo: its caption (its file and alt: test_gallery.py)
        return [value["caption"]] if "caption" in value else []
    if isinstance(kind, Object):  # an item with fields of its own: its name, title or note
        key = next(k for k in ("name", "title", "kind", "note") if k in value)
        return readings(reg, kind.by_name[key].type, value[key])
    if isinstance(kind, Ref):
        if kind.kind == "member":
            name = _person(reg, value)
            return [name] if name else []
        return [reg.ids(kind.kind)[value]["name"]]
    if isinstance(kind, Date):
        return [_date(value)]
    if isinstance(kind, Number):  # as the site's `num` filter writes it: 12.5 reads 12.50
        return [shown(Fraction(value))]
    if isinstance(kind, Text) and kind.markdown:
        return [_plain(value)]
    if isinstance(kind, Text):
        return [value]
    raise AssertionError(f"no reading for {type(kind).__name__}")


def _facts(body: Tag) -> dict[str, str]:
    found = [t.facts for t in tables(body) if t.label == "基本信息" and t.facts]
    return found[0] if found else {}


def _section(body: Tag, heading: str) -> str | None:
    """The text between the `<h2>` named `heading` and the next `<h2>`."""
    h2 = next((h for h in body.find_all("h2") if text(h) == heading), None)
    if h2 is None:
        return None
    parts = []
    for sibling in h2.find_next_siblings():
        if sibling.name == "h2":
            break
        parts.append(text(sibling))
    return " ".join(parts)


def _line(body: Tag, label: str) -> str | None:
    """A paragraph that starts `label：`, such as 标签： or 来源：."""
    for paragraph in body.find_all("p"):
        if text(paragraph).replace(" ", "").startswith(f"{label}："):
            return text(paragraph)
    return None


def where(body: Tag, kind: str, spec: Field) -> str:
    """The text a reader reads the field in: under its label, or (for UNLABELLED fields) the whole page."""
    facts = _facts(body)
    if spec.label in facts:
        return facts[spec.label]
    for found in (_section(body, spec.label), _line(body, spec.label)):
        if found is not None:
            return found
    unlabelled = UNLABELLED.get(kind, TITLE)
    assert spec.name in unlabelled, f"{kind}.{spec.name}: no heading 「{spec.label}」 on the page"
    return text(body)


def _squash(value: str) -> str:
    return re.sub(r"\s+", "", value)


def _records(reg: Registry, site: Path, kind: str) -> list[tuple[Any, str]]:
    out = []
    for key, record in sorted(reg.ids(kind).items()):
        address = ADDRESS[kind](record)
        if (site / address / "index.html").is_file():
            out.append((record, address))
    return out


@pytest.mark.parametrize("kind", sorted(ADDRESS))
def test_page_fields_are_on_the_page_under_their_label(demo: tuple[Registry, Path], kind: str) -> None:
    check_pages(*demo, kind)


def _declare(monkeypatch: pytest.MonkeyPatch, kind: str, name: str, **options: Any) -> None:
    schema = RECORD_TYPES[kind].schema
    fields = tuple(dataclasses.replace(f, **options) if f.name == name else f for f in schema.fields)
    monkeypatch.setattr(schema, "fields", fields)
    monkeypatch.setattr(schema, "by_name", {f.name: f for f in fields})


@pytest.mark.parametrize(
    ("kind", "name", "options"),
    [
        ("project", "lead", {"label": "负责人"}),  # a label the page does not use as its heading
        ("brand", "color", {"page": True}),  # a field the page does not show
        ("story", "tags", {"label": "关键词"}),
    ],
)
def test_the_check_fails_for_a_wrong_declaration(
    demo: tuple[Registry, Path], monkeypatch: pytest.MonkeyPatch, kind: str, name: str, options: dict
) -> None:
    _declare(monkeypatch, kind, name, **options)
    with pytest.raises(AssertionError):
        check_pages(*demo, kind)


def check_pages(reg: Registry, site: Path, kind: str) -> None:
    """Every page-shown field of every `kind` record with a page, read where a reader reads it."""
    records = _records(reg, site, kind)
    page_fields = [spec.name for spec in RECORD_TYPES[kind].schema.fields if spec.page]
    assert reg.all(kind), (
        f"the demo registry has no {kind} record: add demo records of {kind} "
        f"({RECORD_TYPES[kind].location}) that fill its page=True fields {page_fields}"
    )
    assert records, f"the demo has no {kind} page at the addresses its site kind's url_of gives"
    shown = {spec.name: 0 for spec in RECORD_TYPES[kind].schema.fields if spec.page}
    for record, address in records:
        body = article(site, address)
        for spec in RECORD_TYPES[kind].schema.fields:
            value = record.get(spec.name)
            if not spec.page or value is None:
                continue
            if isinstance(spec.type, Asset):
                assert body.find("img", src=re.compile(re.escape(value) + "$")), (address, spec.name)
            elif isinstance(spec.type, Bool):
                if value:
                    assert spec.label in where(body, kind, spec), (address, spec.name)
            else:
                place = _squash(where(body, kind, spec))
                for reading in readings(reg, spec.type, value):
                    assert _squash(reading) in place, (address, spec.name, reading)
            shown[spec.name] += 1
    # every declared field is met at least once in the demo, so none of them is checked by nothing
    assert all(shown.values()), (kind, {k: n for k, n in shown.items() if not n})


def test_every_kind_with_page_fields_says_where_its_pages_are() -> None:
    """A kind whose fields are declared page=True has its pages checked above, or is known to show them elsewhere."""
    for kind, record_type in RECORD_TYPES.items():
        if any(spec.page for spec in record_type.schema.fields) and kind not in PAGES_ELSEWHERE:
            assert kind in ADDRESS, (
                f"{kind} has page=True fields but no page per record is known: give its SiteKind "
                f"(site/kinds/) `url_of=` the address of a record's page"
            )


def test_a_private_member_referenced_by_a_page_field_is_not_on_the_page(demo: tuple[Registry, Path]) -> None:
    reg, site = demo
    checked = 0
    for kind in ADDRESS:
        for record, address in _records(reg, site, kind):
            page = text(article(site, address))
            for spec in RECORD_TYPES[kind].schema.fields:
                inner = spec.type.item if isinstance(spec.type, List) else spec.type
                if not (spec.page and isinstance(inner, Ref) and inner.kind == "member"):
                    continue
                ids = record.get(spec.name) or []
                for member_id in ids if isinstance(ids, list) else [ids]:
                    member = reg.members.get(member_id)
                    if member is not None and not is_public(member):
                        assert member["name"] not in page, (address, spec.name)
                        checked += 1
    assert checked, "the demo references no private member from a page field: this test checks nothing"


def test_only_public_members_have_a_page(demo: tuple[Registry, Path]) -> None:
    reg, site = demo
    with_page = {m for m, member in reg.members.items() if (site / ADDRESS["member"](member) / "index.html").is_file()}
    assert with_page == {m for m, member in reg.members.items() if is_public(member)}
