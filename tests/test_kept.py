"""Aggregates kept between builds by the kinds they declare they read (`site/kept.py`, issue 23).

A kept aggregate is sound only if it reads nothing it did not declare. Three checks of each (`data.COUNTED`: the
figures, their suppression, the rankings, every org's stats; `timelines.HISTORIES`; `reports.REPORTS`), on the demo
registry and a generated one: computed from a registry that refuses every kind it did not declare; computed from
one without those kinds' records; and, over random edits of those records (and random build days, for one that
does not read the day: Hypothesis), the same value. Then what keeping does: a kept value is the computed one with
the registry's own records in it, read back only under the same key, and a key changes with every file of every
declared kind and with nothing else.
"""

from __future__ import annotations

import dataclasses
import pickle
import datetime
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import REPO
from dangjian.load import Record
from dangjian.model import Registry
from dangjian.site import data as data_module, datapackage, duty, incremental, kept, kinds, popolo, reports
from dangjian.site import calendars, images, keptpages, three_one, timelines
from dangjian.site.kinds import home, member, tag
from dangjian.site.data import COUNTED, Counted, SiteData
from dangjian.site.persite import restored
from dangjian.synth import Synth
from dangjian.validate import validate
from test_incremental import TINY

TODAY = datetime.date(2026, 12, 1)


def plain(value: Any) -> Any:
    """`value` as nested tuples of builtins, equal exactly when the values are (records by kind, file and id)."""
    if isinstance(value, Record):
        return ("record", value.kind, value.file, value.id)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = tuple((f.name, plain(getattr(value, f.name))) for f in dataclasses.fields(value))
        return (type(value).__name__, fields)
    if isinstance(value, dict):
        items = sorted(((repr(plain(k)), plain(v)) for k, v in value.items()), key=lambda item: item[0])
        return (type(value).__name__, tuple(items))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted((plain(v) for v in value), key=repr)))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(plain(v) for v in value))
    return (type(value).__name__, value)


def counted(reg: Registry, today: datetime.date = TODAY) -> Counted:
    return SiteData(reg, today)._count()


_SEEN: dict[tuple[Path, datetime.date], timelines.CountingSeen] = {}


def seen_of(root: Path, today: datetime.date) -> timelines.CountingSeen:
    """What the counts over time read of the counting, as the whole registry at `root` counts it: the registries the
    declaration's tests give them lack the kinds the counting reads (or hold them edited), and what they read of the
    counting is in their key apart (`HISTORIES`'s `given`), so it is held as it is here."""
    if (root, today) not in _SEEN:
        _SEEN[(root, today)] = timelines.CountingSeen.of(counted(validate(root).registry, today))
    return _SEEN[(root, today)]


def histories(reg: Registry, today: datetime.date = TODAY) -> dict[str, Any]:
    return dict(vars(timelines.Histories(SiteData(reg, today), seen_of(reg.root, today))), _data=None)


_HISTORIES: dict[tuple[Path, datetime.date], dict[str, Any]] = {}


def histories_shown(reg: Registry, today: datetime.date = TODAY) -> dict[int, set[str]]:
    """Which year-end counts may be published, given the years' trees and counts and today's counts of the whole
    registry at `reg.root` (`SHOWN`'s `given`), as `histories` is given the counting: the rules across years and
    regions read `reg`'s tree of today."""
    if (reg.root, today) not in _HISTORIES:
        _HISTORIES[(reg.root, today)] = histories(validate(reg.root).registry, today)
    data = SiteData(reg, today)
    return restored(timelines.Histories, data, _HISTORIES[(reg.root, today)])._suppressed()


def reports_index(reg: Registry, today: datetime.date = TODAY) -> dict[str, Any]:
    data = SiteData(reg, today)  # alive while the totals are made (the index holds it weakly)
    return reports._state(reports.Reports(data, reports.dated_apart(data)))


_DATED: dict[tuple[Path, datetime.date], tuple[dict[str, frozenset[int]], dict[int, str]]] = {}


def reports_dated(reg: Registry, today: datetime.date = TODAY) -> dict[str, Any]:
    """The reports' index given the years of the ledger entries and results, and the orgs the members' honours count
    under, of the whole registry at `reg.root` (`REPORTS_DATED`'s `given`), as `histories` is given the counting."""
    if (reg.root, today) not in _DATED:
        whole = SiteData(validate(reg.root).registry, today)
        _DATED[(reg.root, today)] = (reports.dated_apart(whole), reports.honour_rolls(whole))
    data = SiteData(reg, today)
    return reports._state(reports.Reports(data, *_DATED[(reg.root, today)]))


def report_years(reg: Registry, today: datetime.date = TODAY) -> dict[str, list[int]]:
    return reports_index(reg, today)["years"]


def report_years_dated(reg: Registry, today: datetime.date = TODAY) -> dict[str, list[int]]:
    return reports_dated(reg, today)["years"]


_RANKED: dict[tuple[Path, datetime.date], data_module.Ranked] = {}


def ranked_of(root: Path, today: datetime.date) -> data_module.Ranked:
    """The averages the rankings show, as the whole registry at `root` ranks them (the `given` of `COUNTED_APART` and
    `VIEWS_APART`: all they read of the results), as `histories` is given the counting."""
    if (root, today) not in _RANKED:
        _RANKED[(root, today)] = SiteData(validate(root).registry, today).ranked
    return _RANKED[(root, today)]


def counted_apart(reg: Registry, today: datetime.date = TODAY) -> data_module.Apart:
    return SiteData(reg, today).count_apart(ranked_of(reg.root, today))


def ranked_alone(reg: Registry, today: datetime.date = TODAY) -> SiteData:
    """A site of `reg` given the whole registry's ranked averages, and the counting made from them without any
    ranking: what reads more of the rankings than the averages they show fails, or differs from the whole."""
    data = SiteData(reg, today)
    data.__dict__["ranked"] = ranked = ranked_of(reg.root, today)
    data.__dict__["counted"] = data_module._counted({}, data.count_apart(ranked))  # noqa: SLF001 - no rankings
    return data


def member_views_apart(reg: Registry, today: datetime.date = TODAY) -> dict[str, Any]:
    data = ranked_alone(reg, today)
    return {p.id: (member.stars(data, p.id), duty.view(data, p.id)) for p in data.public_members}


def report_compliance(reg: Registry, today: datetime.date = TODAY) -> dict[int, Any]:
    return reports.compliance_tallies(SiteData(reg, today), (2023, 2024, 2025, 2026))


def member_views(reg: Registry, today: datetime.date = TODAY) -> dict[str, Any]:
    data = SiteData(reg, today)
    return {p.id: (member.stars(data, p.id), duty.view(data, p.id)) for p in data.public_members}


def three_one_shown(reg: Registry, today: datetime.date = TODAY) -> Any:
    data = SiteData(reg, today)
    return (three_one.overdue_rows(data), {org: three_one.three_one_view(data, org) for org in data.reg.orgs})


def export_tables(name: str) -> Any:
    def tables(reg: Registry, today: datetime.date = TODAY) -> list[datapackage.Table]:
        return datapackage.tables_of(SiteData(reg, today), kinds.BY_NAME[name])

    return tables


def kind_pages(name: str) -> Any:
    """A kind's pages as a build keeps them: address, title, description, template, sources and the digest of the
    context (what the page's key digests besides its revisions), the lookups read while it was made (`SitePage.
    made_reads`), with the digest of its part (`SiteKind.parts`: what it reads beyond the kind's declaration, page by
    page) or None."""

    def made(reg: Registry, today: datetime.date = TODAY) -> list[tuple]:
        canon = incremental.Canon()
        kind, data = kinds.BY_NAME[name], SiteData(reg, today)
        columns = [
            {url: canon.digest(value) for url, value in kind.parts[name].values(data).items()}
            for name in sorted(kind.parts)
        ]
        parts = {url: tuple(column.get(url) for column in columns) for column in columns for url in column}
        pages = []
        for page in incremental.made_noting(kind.pages(data)):
            try:
                context = canon.digest(page.context)
            except incremental.Volatile:
                context = "volatile"
            made_reads = page.made_reads  # the lookups read while it was made (`incremental.made_noting`)
            pages.append(
                (
                    page.url,
                    page.title,
                    page.description,
                    page.template,
                    page.sources,
                    context,
                    made_reads,
                    parts.get(page.url),
                )
            )
        return pages

    return made


def popolo_orgs(reg: Registry, today: datetime.date = TODAY) -> list[dict[str, Any]]:
    return popolo.organizations_of(SiteData(reg, today))


def popolo_people(reg: Registry, today: datetime.date = TODAY) -> dict[str, Any]:
    return popolo.people_of(SiteData(reg, today))


def org_figures(reg: Registry, today: datetime.date = TODAY) -> Any:
    return SiteData(reg, today)._org_figures()


def topics(reg: Registry, today: datetime.date = TODAY) -> Any:
    return tag._topics(SiteData(reg, today))


def calendar_keys(reg: Registry, today: datetime.date = TODAY) -> Any:
    return calendars._keys(SiteData(reg, today), {f"orgs/{org}/": datetime.date(2026, 1, 2) for org in reg.orgs})


def calendar_activities(reg: Registry, today: datetime.date = TODAY) -> Any:
    return calendars._activity_digests(SiteData(reg, today), incremental.Canon())


def linked_of(kind: kinds.SiteKind, link: str) -> Any:
    return lambda reg, today=TODAY: SiteData(reg, today).linked_of(kind, link)


# Each kept aggregate, and what is kept of it computed afresh (no cache: `SiteData` without `reuse`).
AGGREGATES = {
    "counted": (COUNTED, counted),
    "countedapart": (data_module.COUNTED_APART, counted_apart),
    "orgfigures": (data_module.ORG_FIGURES, org_figures),
    "histories": (timelines.HISTORIES, histories),
    "historiesshown": (timelines.SHOWN, histories_shown),
    "reports": (reports.REPORTS, reports_index),
    "reportsdated": (reports.REPORTS_DATED, reports_dated),
    "reportyears": (reports.REPORT_YEARS, report_years),
    "reportyearsdated": (reports.REPORT_YEARS_DATED, report_years_dated),
    "reportcompliance": (reports.REPORT_COMPLIANCE, report_compliance),
    "members": (member.VIEWS, member_views),
    "membersapart": (member.VIEWS_APART, member_views_apart),
    "threeone": (three_one.THREE_ONE, three_one_shown),
    "popoloorgs": (popolo.POPOLO_ORGS, popolo_orgs),
    "popolopeople": (popolo.POPOLO_PEOPLE, popolo_people),
    "calendarkeys": (calendars.CALENDAR_KEYS, calendar_keys),
    "calendaractivities": (calendars.CALENDAR_ACTIVITIES, calendar_activities),
    "topics": (tag.TOPICS, topics),
    "homecounts": (home.COUNTS, lambda reg, today=TODAY: home.counts(reg)),
    "photosused": (images.USED, lambda reg, today=TODAY: images._used(SiteData(reg, today))),
    "publicmembers": (data_module.PUBLIC_MEMBERS, lambda reg, today=TODAY: SiteData(reg, today)._public_members()),
    **{
        f"{kind.name}table": (kind.exported, export_tables(kind.name))
        for kind in kinds.KINDS
        if kind.exported is not None
    },
    **{f"{kind.name}pages": (kind.reads, kind_pages(kind.name)) for kind in kinds.KINDS if kind.reads is not None},
    **{
        f"linked{link}{kind.name}": (data_module.linked_aggregate(kind, link), linked_of(kind, link))
        for kind in kinds.KINDS
        if kind.record is not None
        for link in kind.links
    },
}
PAGES = {f"{kind.name}pages" for kind in kinds.KINDS if kind.reads is not None}


def test_every_kind_with_an_export_declares_what_it_reads() -> None:
    assert [kind.name for kind in kinds.KINDS if kind.export is not None and kind.exported is None] == []


@pytest.fixture(params=sorted(AGGREGATES))
def aggregate(request: pytest.FixtureRequest) -> tuple[kept.Aggregate, Any]:
    return AGGREGATES[request.param]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kept") / "root"
    for _ in Synth(TINY, 7).write(root):  # with a scheme averaging members' points
        pass
    return root


@pytest.fixture(scope="module", params=["demo", "generated"])
def registry(request: pytest.FixtureRequest, generated: Path) -> Registry:
    root = REPO if request.param == "demo" else generated
    result = validate(root)
    assert result.ok, result.problems[:3]
    return result.registry


def records_of(reg: Registry) -> list[Record]:
    """Every record, in the order `Registry.build` was given them (kinds in order of first appearance)."""
    return [record for records in reg.records.values() for record in records]


def rebuilt(reg: Registry, records: list[Record]) -> Registry:
    return Registry.build(reg.root, records)


# --- the declaration holds ------------------------------------------------------------------------------------------


class Refusing(dict):
    """A mapping that refuses any key not allowed, and being read whole: a registry's index by kind (what is refused:
    a kind not declared), or a record's fields (a field not declared; its id is always allowed)."""

    def __init__(self, data: dict, allowed: Iterable[str], what: str) -> None:
        super().__init__(data)
        self.allowed, self.what = frozenset(allowed), what

    def _check(self, key: object) -> None:
        if key not in self.allowed:
            raise AssertionError(f"read {key!r}, {self.what} not declared")

    def __getitem__(self, key: object) -> Any:
        self._check(key)
        return super().__getitem__(key)

    def get(self, key: object, default: Any = None) -> Any:
        self._check(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._check(key)
        return super().__contains__(key)

    def _whole(self, *_: object) -> Any:
        raise AssertionError(f"read every {self.what}")

    __iter__ = keys = items = values = _whole  # type: ignore[assignment]


def only_declared_fields(registry: Registry, declared: kept.Aggregate, *, strip: bool = False) -> list[Record]:
    """Every record, those of a kind declared field by field with only those fields readable (or only those kept,
    when `strip`). A kind a kind's pages read field by field in their key and whole page by page (an org page's own
    record: `SiteKind.parts`) is whole here: what a page reads of the others is checked by the edits of one record at
    a time (`test_one_record_read_page_by_page_edited_changes_no_other_page`)."""
    found = []
    for record in records_of(registry):
        names = declared.fields.get(record.kind)
        if names is not None and record.kind not in declared.by_page:  # read whole page by page: see below
            data = record.data
            viewed = declared.viewed.get(record.kind, ())  # read as lookups (not digested; noted where read)
            fields = (
                {k: v for k, v in data.items() if k in (*names, *viewed, "id")}
                if strip
                else Refusing(data, (*names, *viewed, "id"), f"field of a {record.kind}")
            )
            record = dataclasses.replace(record, data=fields)
        found.append(record)
    return found


def test_an_aggregate_reads_no_kind_or_field_it_does_not_declare(registry: Registry, aggregate: tuple) -> None:
    declared, compute = aggregate
    narrowed = rebuilt(registry, only_declared_fields(registry, declared))
    refusing = dataclasses.replace(
        narrowed,
        records=Refusing(narrowed.records, declared.kinds | declared.by_page, "kind"),
        by_id=Refusing(narrowed.by_id, declared.kinds | declared.by_page, "kind"),
    )
    assert plain(compute(refusing)) == plain(compute(registry))


def test_the_registries_have_records_of_kinds_not_declared_and_counts_to_keep(registry: Registry) -> None:
    """What the other tests rely on: something undeclared to change, and a count that is not empty."""
    present = {r.kind for r in records_of(registry)}
    assert all(present - a.kinds >= ({"member"} if "story" in a.kinds else {"story"}) for a, _ in AGGREGATES.values())
    count = counted(registry)
    assert count.histories and any(h for h in count.histories.values()) and count.org_stats
    assert count.disclosure.published


def test_what_reads_the_rankings_only_as_the_averages_they_show_is_the_same_given_those(registry: Registry) -> None:
    """The values kept apart from the results (`COUNTED_APART`, `VIEWS_APART`) made from the averages the rankings
    show and no ranking are the ones made from the rankings: they read nothing else of them. This fails with the
    duty records reading a ranking's rows."""
    count = counted(registry)
    assert plain(data_module._counted(count.histories, counted_apart(registry))) == plain(count)  # noqa: SLF001
    assert plain(member_views_apart(registry)) == plain(member_views(registry))
    assert ranked_of(registry.root, TODAY), "no ranked average to read"


def test_without_the_kinds_it_does_not_declare_an_aggregate_is_the_same(registry: Registry, aggregate: tuple) -> None:
    declared, compute = aggregate
    records = only_declared_fields(registry, declared, strip=True)
    alone = rebuilt(registry, [r for r in records if r.kind in declared.kinds | declared.by_page])
    assert plain(compute(alone)) == plain(compute(registry))


EDITS = ("delete", "duplicate", "field", "new field")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(EDITS), st.text(max_size=8)), max_size=6),
    days=st.integers(-800, 800),
)
def test_edits_of_undeclared_kinds_and_another_day_leave_an_aggregate_as_it_was(
    registry: Registry, aggregate: tuple, edits: list[tuple[int, str, str]], days: int
) -> None:
    declared, compute = aggregate
    records = records_of(registry)
    # records of a kind not read, and (their undeclared fields only) records of a kind read field by field
    undeclared = [n for n, r in enumerate(records) if r.kind not in declared.kinds or r.kind in declared.fields]
    for position, edit, text in edits:
        n = undeclared[position % len(undeclared)]
        record = records[n]
        if record is None:
            continue
        names = declared.fields.get(record.kind)
        if names is not None:  # a kind read field by field: change, add or drop a field it does not read
            # (one read as a lookup is read: `test_fields_read_as_lookups_edited_change_no_page` edits it)
            read = (*names, *declared.viewed.get(record.kind, ()), "id")
            free = sorted(k for k in record.data if k not in read)
            name = free[position % len(free)] if edit != "new field" and free else f"x{text}"
            if name in read:
                continue
            data = {k: v for k, v in record.data.items() if k != name}
            records[n] = dataclasses.replace(record, data=data if edit == "delete" else {**data, name: text})
        elif edit == "delete":
            records[n] = None  # type: ignore[call-overload]
        elif edit == "duplicate":
            records.append(record)
        else:
            names_here = sorted(k for k in record.data if k != "id")
            name = names_here[position % len(names_here)] if edit == "field" and names_here else f"x{text}"
            value: Any = text
            if record.kind in declared.by_page and name in record.data:  # read: a value the loader could give
                value = _like(record.data[name], text)
                if value is None:
                    continue
            records[n] = dataclasses.replace(record, data={**record.data, name: value}, body=record.body + text)
    edited = rebuilt(registry, [r for r in records if r is not None])
    later = TODAY if declared.today else TODAY + datetime.timedelta(days=days)
    assert_same(declared, compute(edited, later), compute(registry))


def _constants() -> frozenset[str]:
    """Every string the record types list as a choice (statuses, posts, kinds…): not free text."""
    from dangjian import recordtypes

    found: set[str] = set()
    for value in vars(recordtypes).values():
        if isinstance(value, (tuple, list, frozenset, set)):
            found |= {v for v in value if isinstance(v, str)}
        elif isinstance(value, dict):
            found |= {v for v in value if isinstance(v, str)}
    return frozenset(found)


CHOICES = _constants()


def _free_text(value: Any, text: str) -> Any:
    """`value` with its free text changed (Chinese text that is no choice of the record types), its dates moved, its
    flags turned (a member made public or private): what an editor changes in a valid record; anything else as it
    is."""
    if isinstance(value, str):
        return value + text if value not in CHOICES and any("\u4e00" <= c <= "\u9fff" for c in value) else value
    if isinstance(value, bool):
        return not value  # a member made public or private
    if isinstance(value, datetime.date):
        return value + datetime.timedelta(days=1)
    if isinstance(value, list):
        return [_free_text(v, text) for v in value]
    if isinstance(value, dict):
        return {k: _free_text(v, text) for k, v in value.items()}
    return value


def _like(value: Any, text: str) -> Any:
    """Another value of `value`'s type made from `text` (None: not one of a record's plain types)."""
    if isinstance(value, str):
        return text
    if isinstance(value, datetime.date):
        return value + datetime.timedelta(days=len(text) + 1)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [*value, text] if text else value[1:]
    return None


def assert_same(declared: kept.Aggregate, edited: Any, value: Any) -> None:
    """The same value; of pages reading some kinds page by page (`by_page`), the same addresses, and every page whose
    part is the same (the last of its fields) the same page."""
    if not declared.by_page:
        assert plain(edited) == plain(value)
        return
    urls, urls_before = [page[0] for page in edited], [page[0] for page in value]
    if urls != urls_before:
        # A page gained or lost (a member's moved admission day dates a report year): the build finds it by the parts,
        # and makes the kind whole (`keptpages`: a part for a page the last build did not make, or a page whose part
        # is gone and that cannot be made alone). So every page gained has a part and every page lost had one, and
        # the pages both list come in the same order.
        gained, lost = set(urls) - set(urls_before), set(urls_before) - set(urls)
        assert gained or lost, "the same pages in another order"
        assert all(page[-1] is not None for page in edited if page[0] in gained), "a page gained without a part"
        assert all(page[-1] is not None for page in value if page[0] in lost), "a page lost without a part"
        assert [u for u in urls if u not in gained] == [u for u in urls_before if u not in lost]
        return
    for page, before in zip(edited, value):
        if page[-1] == before[-1]:
            assert page == before, f"{page[0]} changed, and its part did not"


@pytest.mark.parametrize("name", sorted(kind.name for kind in kinds.KINDS if kind.parts))
def test_every_record_read_page_by_page_edited_leaves_each_page_whose_parts_are_the_same_as_it_was(
    registry: Registry, name: str
) -> None:
    """Of each kind a kind's pages read page by page, every record's every plain field changed at once (and its
    body): a page whose parts are the same is the same page; something read outside the parts changes one."""
    kind = kinds.BY_NAME[name]
    assert kind.reads is not None
    compute = kind_pages(name)
    value = compute(registry)
    for by_page in sorted(kind.reads.by_page):
        keyed = kind.reads.fields.get(by_page, ()) if by_page in kind.reads.kinds else ()  # in the key: not edited

        def edited(record: Record, n: int) -> Record:
            text = f"改{n}"
            data = {k: _free_text(v, text) if k != "id" and k not in keyed else v for k, v in record.data.items()}
            return dataclasses.replace(record, data=data, body=record.body + text)

        records = records_of(registry)
        every = compute(rebuilt(registry, [edited(r, n) if r.kind == by_page else r for n, r in enumerate(records)]))
        assert_same(kind.reads, every, value)
        if [page[0] for page in every] == [page[0] for page in value]:
            continue
        # Every record at once changed the pages there are (a member's dates: a report year), which makes the kind
        # whole: read page by page, some records edited alone, where the same pages are listed.
        positions = [n for n, r in enumerate(records) if r.kind == by_page]
        named = _named_by_others(records, by_page)  # an honour's holder, a project's leader: what other pages show
        listed_alike = 0
        for n in sorted({*positions[:: max(1, len(positions) // 12)], positions[-1], *named[:12]}):
            alone = compute(rebuilt(registry, [*records[:n], edited(records[n], n), *records[n + 1 :]]))
            assert_same(kind.reads, alone, value)
            listed_alike += [page[0] for page in alone] == [page[0] for page in value]
        assert listed_alike, f"no {by_page} record edited alone kept the {name} pages listed"


@pytest.mark.parametrize("name", sorted(kind.name for kind in kinds.KINDS if kind.parts))
def test_one_record_read_page_by_page_edited_changes_no_other_page(registry: Registry, name: str) -> None:
    """A kind whose key reads some fields of a kind and whose pages read the rest page by page (an org page's own
    record): one record's other fields edited (its summary, address, secretary, labels…) changes no page but those
    whose parts changed. Records chosen where a page reads others (`_chosen`)."""
    kind = kinds.BY_NAME[name]
    assert kind.reads is not None
    compute = kind_pages(name)
    value = compute(registry)
    for by_page in sorted(kind.reads.by_page & kind.reads.kinds):
        keyed = kind.reads.fields[by_page]
        records = records_of(registry)
        chosen = _chosen(registry, [n for n, r in enumerate(records) if r.kind == by_page])
        assert chosen
        for n in chosen:
            record = records[n]
            text = f"改{n}"
            data = {k: _free_text(v, text) if k != "id" and k not in keyed else v for k, v in record.data.items()}
            assert data != record.data, record.id
            edited = [*records[:n], dataclasses.replace(record, data=data), *records[n + 1 :]]
            assert_same(kind.reads, compute(rebuilt(registry, edited)), value)


COUNTED_BY_PAGE = sorted(kind.name for kind in kinds.KINDS if kind.reads is not None and "ledger" in kind.reads.by_page)
COUNTED_EDITS = ("entry", "drop", "rule", "score", "unscored", "points")


def test_kinds_reading_the_ledger_page_by_page_are_those_counted_edits_keep() -> None:
    """What the next test checks is there: the kinds whose pages read the ledger and the results page by page."""
    assert {"member", "report"} <= set(COUNTED_BY_PAGE)


@pytest.mark.parametrize("name", COUNTED_BY_PAGE)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(COUNTED_EDITS), st.integers(0, 10_000)), min_size=1, max_size=4))
def test_counted_edits_leave_each_page_whose_parts_are_the_same_as_it_was(
    registry: Registry, name: str, edits: list[tuple[str, int]]
) -> None:
    """A kind whose pages read the ledger, the results and the rule book page by page (a report's average score and
    ranks, a member's stars and duty record): what an editor changes there (a points entry added or removed, another
    rule, a result's score changed or dropped, a rule's points) leaves every page whose parts are the same as it was.
    `test_every_record_read_page_by_page_edited_…` edits their text and dates, never a number; a part leaving out a
    figure the counting gives (whether a year's 人次 is shown, the year a score is of) fails here."""
    kind = kinds.BY_NAME[name]
    assert kind.reads is not None
    compute = kind_pages(name)
    value = compute(registry)
    records = records_of(registry)
    at = {k: [n for n, r in enumerate(records) if r.kind == k] for k in ("ledger", "result", "rulebook", "member")}
    rules = [r["id"] for n in at["rulebook"] for r in records[n].data.get("rules", [])]
    for edit, n in edits:
        if edit in ("entry", "drop", "rule"):
            position = at["ledger"][n % len(at["ledger"])]
            entry = records[position]
            if edit == "entry":
                member_id = records[at["member"][n % len(at["member"])]].id
                day = entry["date"].replace(year=entry["date"].year + n % 3 - 1, month=1 + n % 12, day=1)
                added = {"member": member_id, "date": day, "rule": rules[n % len(rules)]}
                records.append(dataclasses.replace(entry, data=added))
            elif edit == "drop":
                records[position] = dataclasses.replace(entry, data={**entry.data, "member": "m-nobody"})
            else:
                records[position] = dataclasses.replace(entry, data={**entry.data, "rule": rules[n % len(rules)]})
        elif edit in ("score", "unscored") and at["result"]:
            position = at["result"][n % len(at["result"])]
            result = records[position]
            scores = dict(result.data.get("scores") or {})
            if not scores:
                continue
            key = sorted(scores)[n % len(scores)]
            if edit == "unscored":
                del scores[key]
            else:
                scores[key] = {k: v / 2 + n % 7 for k, v in scores[key].items()}
            records[position] = dataclasses.replace(result, data={**result.data, "scores": scores})
        elif edit == "points" and at["rulebook"]:
            position = at["rulebook"][0]
            book = records[position]
            changed = [dict(r) for r in book.data["rules"]]
            changed[n % len(changed)]["points"] = changed[n % len(changed)]["points"] + 1 + n % 3
            records[position] = dataclasses.replace(book, data={**book.data, "rules": changed})
    edited = compute(rebuilt(registry, records))
    if [page[0] for page in edited] != [page[0] for page in value]:
        return  # other pages: the kind is made whole (a page with a part the last build had none for, or gone)
    for page, before in zip(edited, value):
        if page[-1] == before[-1]:
            assert page == before, f"{page[0]} changed, and its part did not"


VIEWING = sorted(name for name, (declared, _) in AGGREGATES.items() if declared.viewed)


def test_kinds_reading_org_names_as_lookups_are_the_pages_that_show_orgs() -> None:
    """What the next test checks is there: the kinds whose pages show orgs' names only as lookups."""
    assert {"memberpages", "projectpages", "activitypages"} <= set(VIEWING)


@pytest.mark.parametrize("name", VIEWING)
@pytest.mark.parametrize("how", ["shuffled", "suffixed", "emptied"])
def test_fields_read_as_lookups_edited_change_no_page(registry: Registry, name: str, how: str) -> None:
    """A kind's pages read some fields only as lookups (`Aggregate.viewed`: an org's name, of a `data.OrgView`, noted
    while a page renders and checked at the next build): every record's such fields changed at once (given another
    record's value, in another order: a page sorting by them would differ; each one's with text added; emptied)
    leaves every page as it was: its address, title, description and context's digest (what its key and the kind's
    kept page list hold), but a page that noted a read of one of them while it was made (`incremental.made_noting`:
    a report titled with its org's name), made again when it changes; one record at a time, only the pages that
    noted a read of that one may change. A name read outside a lookup (a list sorted by it, a title made of an org's
    record) fails here.

    Of a kind whose pages also read those records page by page (an org page: its own record), one record at a time,
    where pages read others (`_chosen`): every page whose parts are the same is the same page."""
    declared, compute = AGGREGATES[name]
    value = compute(registry)
    records = records_of(registry)
    lookups = {"org": data_module.NAMES}  # the global each viewed kind's fields are noted as read of
    noted_at: set[str | None] = set()  # the records whose such fields all changed at once
    for kind, fields in declared.viewed.items():
        positions = [n for n, r in enumerate(records) if r.kind == kind]
        assert len(positions) > 2
        edits: dict[int, dict[str, Any]] = {}
        for field_name in fields:
            given = [records[n].data.get(field_name) for n in positions]
            given = given[1:] + given[:1]  # each one another's: the order between them changes
            for n, other in zip(positions, given):
                data = edits.setdefault(n, dict(records[n].data))
                if how == "emptied":
                    data[field_name] = ""
                elif how == "shuffled":
                    data[field_name] = other
                else:
                    data[field_name] = f"{data.get(field_name)}改{n}"
        if kind not in declared.by_page:
            for n in _chosen(registry, positions):  # one record at a time: only the pages that noted it may change
                edited = [*records[:n], dataclasses.replace(records[n], data=edits[n]), *records[n + 1 :]]
                for page, before in zip(compute(rebuilt(registry, edited)), value):
                    assert page == before or _noted(before, lookups[kind], {records[n].id}), page[0]
            for n, data in edits.items():
                records[n] = dataclasses.replace(records[n], data=data)
            noted_at |= {records[n].id for n in positions}
            continue
        site_kind = kinds.BY_NAME[name.removesuffix("pages")]
        groups = sorted(site_kind.parts)
        reading = [i for i, group in enumerate(groups) if kind in site_kind.parts[group].reads.kinds]
        for n in _chosen(registry, positions):
            edited = [*records[:n], dataclasses.replace(records[n], data=edits[n]), *records[n + 1 :]]
            pages = compute(rebuilt(registry, edited))
            assert [page[0] for page in pages] == [page[0] for page in value]
            for page, before in zip(pages, value):
                if _noted(before, lookups[kind], {records[n].id}):
                    continue  # made again when that record's name changes, as if its rendering read it
                if before[-1] is None or all(page[-1][i] == before[-1][i] for i in reading):
                    assert page == before, f"{page[0]} changed, and its parts reading {kind} records did not"
                else:  # its own record's part changed (its own name): its other parts may not
                    others = [i for i in range(len(groups)) if i not in reading]
                    assert [page[-1][i] for i in others] == [before[-1][i] for i in others], page[0]
    pages = compute(rebuilt(registry, records))
    assert [page[0] for page in pages] == [page[0] for page in value]
    for page, before in zip(pages, value):
        if not any(_noted(before, lookups[k], noted_at) for k in declared.viewed if k not in declared.by_page):
            assert page == before, f"{page[0]} changed, and noted no read of what changed while it was made"


def _noted(page: tuple, lookup: str, keys: set[str | None]) -> bool:
    """Whether a page (`kind_pages`) read one of these keys of the global `lookup` while it was made (or read one
    that cannot be kept: made at every build)."""
    made = page[-2]
    return made is None or any(name == lookup and key in keys for name, key in made)


def _named_by_others(records: list[Record], kind: str) -> list[int]:
    """The positions of the records of `kind` whose id a record of another kind names in one of its fields."""
    named: set[str] = set()
    for record in records:
        if record.kind != kind:
            named |= {v for v in record.data.values() if isinstance(v, str)}
    return [n for n, r in enumerate(records) if r.kind == kind and r.id in named]


def _chosen(registry: Registry, positions: list[int]) -> list[int]:
    """Some of these records, where pages read others: the first and last, and orgs with children, a pairing, a
    brand, a secretary, recurring plans (which the orgs below list)."""
    records = records_of(registry)
    picked = {positions[0], positions[-1]}
    below = {n: len(registry.children.get(records[n].id or "", [])) for n in positions}
    for wanted in ("brand", "secretary", "benchmark", "weak", "summary", "recurring"):  # the one most pages read
        picked |= set(sorted((n for n in positions if wanted in records[n].data), key=lambda n: -below[n])[:1])
    parents = {records[n].data.get("parent") for n in positions}
    picked |= set([n for n in positions if records[n].id in parents][:2])
    return sorted(picked)


def test_a_kind_s_parts_read_the_kinds_it_reads_page_by_page_and_no_other() -> None:
    """What `test_kept` allows a kind's pages to read page by page (`Aggregate.by_page`) is what its parts declare,
    and none of it is in the kind's own key; a part reading some fields only declares those the kind declares (the
    declaration tests refuse the others to the kind's pages and their parts alike)."""
    for kind in kinds.KINDS:
        declared = [part.reads for part in kind.parts.values()]
        by_page = frozenset().union(*(part.kinds for part in declared))
        assert (kind.reads.by_page if kind.reads is not None else frozenset()) == by_page, kind.name
        # a kind in both: its key reads some fields of every record, a page the rest of its own (`own_records`)
        assert kind.reads is None or all(k in kind.reads.fields for k in by_page & kind.reads.kinds), kind.name
        assert all(not part.assets for part in declared), kind.name
        for part in declared:
            assert kind.reads is not None and part.fields.items() <= kind.reads.fields.items(), kind.name
            assert all(
                part_kind not in part.fields or part.fields[part_kind] == kind.reads.fields.get(part_kind)
                for part_kind in part.kinds
            ), kind.name


def test_a_page_made_alone_is_the_one_its_kind_makes(registry: Registry) -> None:
    """`SiteKind.alone`: it makes every page of its kind alone (a page whose part changed, `SiteKind.parts`, or whose
    lookup did), each one its kind's page (address, title, context…), and no address its kind does not make."""
    _made_alone_as_made(registry)


def test_a_page_of_a_long_list_made_alone_is_the_one_its_kind_makes(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with the lists cut into pages of two (a city's months of activities and years of projects)."""
    from dangjian.site.kinds import activity, project

    monkeypatch.setattr(activity, "ACTIVITIES_ON_ONE_PAGE", 2)
    monkeypatch.setattr(project, "PROJECTS_ON_ONE_PAGE", 2)
    made = _made_alone_as_made(registry)
    assert any(url.count("/") == 3 for url in made["activity"]), "no month in pages"
    assert any(url.startswith("projects/by-year/") for url in made["project"]), "no year of projects in pages"


def _made_alone_as_made(registry: Registry) -> dict[str, list[str]]:
    """Every page each kind with `alone` makes, compared with the one it makes alone; {kind: the pages made alone}."""
    canon = incremental.Canon()
    data = SiteData(registry, TODAY)
    alone_kinds = [kind for kind in kinds.KINDS if kind.alone is not None]
    assert {kind.name for kind in alone_kinds} >= {"org", "member", "activity", "project"}
    assert all(kind.alone is not None for kind in kinds.KINDS if kind.parts), "a kind with parts makes pages alone"
    made_alone: dict[str, list[str]] = {}
    for kind in alone_kinds:
        assert kind.alone is not None
        if kind.parts:
            assert kind.reads is not None and kind.reads.by_page
        parts = {url: value for part in kind.parts.values() for url, value in part.values(data).items()}
        made = {page.url: page for page in incremental.made_noting(kind.pages(data))}
        assert made and parts.keys() <= made.keys()
        made_alone[kind.name] = []
        for url, page in made.items():
            alone = keptpages._made_alone(kind, data, url)  # as a build makes it alone
            assert alone is not None, f"{url} cannot be made alone"
            made_alone[kind.name].append(url)
            assert (alone.url, alone.title, alone.description, alone.template, alone.sources) == (
                page.url,
                page.title,
                page.description,
                page.template,
                page.sources,
            )
            assert canon.digest(alone.context) == canon.digest(page.context)
            # the names it read while it was made (a report's title), noted alone as in its kind's list
            assert page.made_reads is not None and alone.made_reads is not None
            assert set(page.made_reads) <= set(alone.made_reads), url
        nowhere = (
            "orgs/nowhere/",
            "members/nobody/",
            f"{next(iter(made))}x/",
            "orgs/",
            "activities/2025-13/",
            "activities/1999-01/",
            "activities/2025-01/99/",
            "activities/2025-01x/",
            "projects/by-year/2025/99/",
            "projects/by-year/",
            "projects/nowhere/",
            "../",
        )
        for url in nowhere:
            assert url in made or kind.alone(data, url) is None, f"{kind.name} made {url} alone"
    return made_alone


# --- keeping ----------------------------------------------------------------------------------------------------


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DANGJIAN_CACHE", str(folder))
    return folder


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a `SiteData` counts (ranks, the first thing it computes)."""
    computed: list[int] = []
    rank = SiteData._rank  # noqa: SLF001

    def recorded(self: SiteData) -> dict[str, list]:
        computed.append(1)
        return rank(self)

    monkeypatch.setattr(SiteData, "_rank", recorded)
    return computed


def test_a_kept_count_is_the_computed_one_holding_the_registry_s_own_records(
    generated: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = _counting(monkeypatch)
    first = SiteData(validate(generated).registry, TODAY, reuse=True).counted
    assert computed == [1] and list((own_cache / kept.PART).iterdir())
    reg = validate(generated).registry  # another registry object: records loaded again
    again = SiteData(reg, TODAY, reuse=True).counted
    assert computed == [1], "the kept count was computed again"
    assert plain(again) == plain(first)
    rankings = [ranking for history in again.histories.values() for ranking in history]
    assert rankings
    for ranking in rankings:  # the registry's own records, not copies
        assert ranking.scheme is reg.schemes[ranking.scheme.id]
        assert any(ranking.result is r for r in reg.all("result"))
    assert SiteData(reg, TODAY, reuse=False).counted is not again and computed == [1, 1]  # a cold build's


def _touch(root: Path, file: str) -> None:
    path = root / file
    path.write_bytes(path.read_bytes() + b"\n# \xe6\x94\xb9\n" if file.endswith(".yaml") else path.read_bytes() + b"\n")


def test_every_file_of_a_declared_kind_changes_the_key_and_no_other_file_does(
    generated: Path, tmp_path: Path, own_cache: Path
) -> None:
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    reg = validate(root).registry
    assert reg.memo is not None
    files = reg.memo.kinds
    before = kept.key(reg, COUNTED, TODAY)
    assert before is not None and kept.key(reg, COUNTED, TODAY + datetime.timedelta(days=1)) == before
    by_kind: dict[str, str] = {}
    for file, kind in sorted(files.items()):
        by_kind.setdefault(kind, file)
    assert set(by_kind) >= COUNTED.kinds | {"story"}
    for kind, file in sorted(by_kind.items()):
        _touch(root, file)
        changed = validate(root)
        assert changed.ok, changed.problems[:3]
        now = kept.key(changed.registry, COUNTED, TODAY)
        # a kind read field by field: a file's bytes changed, its fields not (a comment added), the same key
        assert (now != before) == (kind in COUNTED.kinds and kind not in COUNTED.fields), (kind, file)
        before = now


def test_an_org_s_summary_or_name_changed_keeps_the_key_and_its_founding_day_does_not(
    generated: Path, tmp_path: Path
) -> None:
    """The counting reads neither an org's summary nor its name (its rankings are named when published)."""
    assert not {"summary", "name"} & set(COUNTED.fields["org"]) and "founded" in COUNTED.fields["org"]
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    before = kept.key(validate(root).registry, COUNTED, TODAY)
    org = sorted((root / "registry" / "orgs").rglob("*.yaml"))[1]
    text = org.read_text(encoding="utf-8")
    assert "summary:" in text and "name:" in text and "founded:" not in text
    org.write_text(text.replace("summary: ", "summary: 又一句。", 1).replace("name: ", "name: 新", 1), encoding="utf-8")
    changed = validate(root)
    assert changed.ok and kept.key(changed.registry, COUNTED, TODAY) == before
    org.write_text(text + "founded: 1990-01-01\n", encoding="utf-8")
    changed = validate(root)
    assert changed.ok, changed.problems[:3]
    assert kept.key(changed.registry, COUNTED, TODAY) != before


MEMBER_DECLARED = {name: declared for name, (declared, _) in AGGREGATES.items() if "member" in declared.fields}


def _member_file(root: Path) -> Path:
    return sorted((root / "registry" / "members").rglob("*.yaml"))[1]


def test_a_member_s_birth_year_or_gender_keeps_every_key_and_their_admission_day_does_not(
    generated: Path, tmp_path: Path, own_cache: Path
) -> None:
    """No aggregate or page reads a member's birth year or gender (`kept.MEMBER_FIELDS`): one corrected keeps every
    key that declares members field by field (the counting, the member pages, Popolo…); their admission day is
    counted."""
    assert {"counted", "members", "popolopeople", "orgpages", "memberpages"} <= set(MEMBER_DECLARED)
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    reg = validate(root).registry
    before = {name: kept.key(reg, declared, TODAY) for name, declared in MEMBER_DECLARED.items()}
    path = _member_file(root)
    text = path.read_text(encoding="utf-8")
    assert "born: " in text and "gender: " in text and "joined: " in text
    year = re.search(r"born: (\d{4})", text)
    assert year is not None
    born = f"{text[: year.start(1)]}{int(year[1]) + 1}{text[year.end(1) :]}".replace('gender: "男"', 'gender: "女"', 1)
    assert born != text and 'gender: "女"' in born
    path.write_text(born, encoding="utf-8")
    changed = validate(root)
    assert changed.ok, changed.problems[:3]
    assert {name: kept.key(changed.registry, declared, TODAY) for name, declared in MEMBER_DECLARED.items()} == before
    path.write_text(text.replace("joined: 19", "joined: 18", 1), encoding="utf-8")
    changed = validate(root)
    assert changed.ok, changed.problems[:3]
    assert kept.key(changed.registry, COUNTED, TODAY) != before["counted"]
    # what other records' pages and tables show of a member they name (`kept.MEMBER_SHOWN`) is not counted: kept
    now = {name: kept.key(changed.registry, declared, TODAY) for name, declared in MEMBER_DECLARED.items()}
    showing = {name for name, declared in MEMBER_DECLARED.items() if "joined" not in declared.fields["member"]}
    assert {"projectpages", "projecttable", "orgtable", "activitypages"} <= showing
    by_page = {name for name, declared in MEMBER_DECLARED.items() if "member" in declared.by_page}  # org pages' parts
    assert {name for name in MEMBER_DECLARED if now[name] == before[name]} == showing | by_page


def test_an_org_s_summary_keeps_the_key_of_every_aggregate_but_its_own_kind_s_and_its_name_only_what_names_it(
    generated: Path, tmp_path: Path, own_cache: Path
) -> None:
    """The pages of other records show an org as a `data.OrgView` (its name, kind and parent: `kept.ORG_SHOWN`) and an
    org page reads its own record page by page: an org's summary edited keeps the key of every aggregate but the org
    export's (its calendar reads its name, parent and plans alone); its name changes the keys of what shows it
    otherwise than as a lookup (the kinds showing it as a view read it as one: `kept.ORG_VIEWED`)."""
    own = {"orgtable"}  # its export (its own page reads it page by page; its calendar, its name and plans alone)
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    reg = validate(root).registry
    before = {name: kept.key(reg, declared, TODAY) for name, (declared, _) in AGGREGATES.items()}
    path = sorted((root / "registry" / "orgs").rglob("*.yaml"))[1]
    text = path.read_text(encoding="utf-8")
    assert "summary: " in text
    path.write_text(text.replace("summary: ", "summary: 又一句。", 1), encoding="utf-8")
    changed = validate(root)
    assert changed.ok, changed.problems[:3]
    after = {name: kept.key(changed.registry, declared, TODAY) for name, (declared, _) in AGGREGATES.items()}
    moved = {name for name in after if after[name] != before[name]}
    assert moved == {name for name in own if "org" in AGGREGATES[name][0].kinds}, moved
    path.write_text(text.replace("name: ", "name: 新", 1), encoding="utf-8")
    renamed = validate(root)
    assert renamed.ok, renamed.problems[:3]
    named = {
        name
        for name, (declared, _) in AGGREGATES.items()
        if kept.key(renamed.registry, declared, TODAY) != before[name]
    }
    # what publishes its name as data, or shows it made into text (the rankings' rows); the reports note it as a
    # lookup where their titles and charts are made of it (`incremental.made_noting`)
    assert {"popoloorgs", "rankingpages", "calendarkeys"} <= named
    # the pages showing it as a `data.OrgView` read its name as a lookup: their kinds keep their key
    viewing = {name for name, (declared, _) in AGGREGATES.items() if declared.viewed}
    assert {"activitypages", "projectpages", "memberpages", "orgpages", "reportpages"} <= viewing
    assert not named & viewing


MEMBER_EDITS = ("born", "joined", "name", "drop", "new file", "delete file")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 1000), st.sampled_from(MEMBER_EDITS)), min_size=1, max_size=4))
def test_a_fields_digest_kept_file_by_file_is_the_one_made_afresh(
    generated: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, edits: list
) -> None:
    """`kept._fields_digest` keeps each file's digest under its content key and reads again only the files that
    changed: after random edits of the rosters (a field changed, a member dropped, a roster added or deleted), the key
    it gives is the one a run without anything kept gives, and it changes exactly when a declared field did."""
    work = tmp_path_factory.mktemp("fields")
    root = work / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(work / "cache"))
    declared = member.VIEWS

    def shown(reg: Registry) -> list:
        return [(r.file, r.id, [(n, r.data.get(n)) for n in kept.MEMBER_FIELDS]) for r in reg.all("member")]

    reg = validate(root).registry
    last_key, last_shown = kept.key(reg, declared, TODAY), shown(reg)
    for position, edit in edits:
        files = sorted((root / "registry" / "members").rglob("*.yaml"))
        path = files[position % len(files)]
        text = path.read_text(encoding="utf-8")
        if edit == "born" and (year := re.search(r"born: (\d{4})", text)):
            text = f"{text[: year.start(1)]}{int(year[1]) + (1 if int(year[1]) < 2000 else -1)}{text[year.end(1) :]}"
        elif edit == "joined":
            text = text.replace("joined: 19", "joined: 18", 1)
        elif edit == "name":
            text = text.replace('name: "', 'name: "欧阳', 1)
        elif edit == "drop" and text.count("\n- id:") >= 1:
            text = text[: text.rindex("\n- id:") + 1]
        if edit == "new file":
            (path.parent / f"z{position}.yaml").write_text("[]\n", encoding="utf-8")
        elif edit == "delete file" and len(files) > 1:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")
        result = validate(root)
        if not result.ok:  # an edit the registry refuses (a secretary dropped…): undone
            path.write_text(path.read_text(encoding="utf-8") if path.exists() else text, encoding="utf-8")
            continue
        key = kept.key(result.registry, declared, TODAY)
        monkeypatch.setenv("DANGJIAN_CACHE", str(work / f"fresh{position}{edit}"))
        fresh = validate(root).registry
        assert kept.key(fresh, declared, TODAY) == key
        monkeypatch.setenv("DANGJIAN_CACHE", str(work / "cache"))
        now_shown = shown(result.registry)
        assert key != last_key or now_shown == last_shown, edit  # a declared field changed: another key
        assert key == last_key or edit != "born", edit  # a birth year alone: the same
        last_key, last_shown = key, now_shown


def test_a_renamed_org_keeps_the_counting_and_its_rankings_show_the_new_name(
    generated: Path, tmp_path: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    computed = _counting(monkeypatch)
    data = SiteData(validate(root).registry, TODAY, reuse=True)
    ranked = {row.org for history in data.histories.values() for ranking in history for row in ranking.rows}
    org_id = sorted(ranked & set(data.reg.orgs))[0]
    path = root / data.reg.orgs[org_id].file
    path.write_text(path.read_text(encoding="utf-8").replace("name: ", "name: 改名后的", 1), encoding="utf-8")
    again = SiteData(validate(root).registry, TODAY, reuse=True)
    new_name = again.reg.orgs[org_id]["name"]
    assert new_name.startswith("改名后的") and computed == [1], "the counting was made again for a new name"
    rows = [row for history in again.histories.values() for ranking in history for row in ranking.rows]
    assert {row.name for row in rows if row.org == org_id} == {new_name}
    assert all(row.name == again.reg.orgs[row.org]["name"] for row in rows if row.org in again.reg.orgs)


def test_a_value_holding_a_record_of_a_kind_not_declared_is_not_kept(generated: Path, own_cache: Path) -> None:
    reg = validate(generated).registry
    story = reg.all("story")[0]
    holder = kept.Aggregate("stories", frozenset({"org"}))
    assert kept.value(reg, holder, TODAY, lambda: [story]) == [story]
    assert not (own_cache / kept.PART).exists() or not list((own_cache / kept.PART).iterdir())
    declaring = kept.Aggregate("storiez", frozenset({"story"}))
    kept.value(reg, declaring, TODAY, lambda: [story])
    assert kept.value(reg, declaring, TODAY, lambda: []) == [story]  # kept, and the registry's own record
    assert kept.value(reg, declaring, TODAY, lambda: [])[0] is story


def test_an_entry_that_is_not_what_dangjian_wrote_is_computed_again(generated: Path, own_cache: Path) -> None:
    reg = validate(generated).registry
    aggregate = kept.Aggregate("numbers", frozenset({"org"}))
    assert kept.value(reg, aggregate, TODAY, lambda: 1) == 1
    (entry,) = (own_cache / kept.PART).iterdir()
    entry.write_bytes(entry.read_bytes()[:-1] + b"x")
    assert kept.value(reg, aggregate, TODAY, lambda: 2) == 2
    assert kept.value(reg, aggregate, TODAY, lambda: 3) == 2


def test_without_a_cache_nothing_is_kept(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_CACHE", "off")
    reg = validate(generated).registry
    aggregate = kept.Aggregate("numbers", frozenset({"org"}))
    assert kept.value(reg, aggregate, TODAY, lambda: 1) == 1
    assert kept.value(reg, aggregate, TODAY, lambda: 2) == 2


def test_a_cold_build_computes_every_aggregate(monkeypatch: pytest.MonkeyPatch, generated: Path, tmp_path: Path):
    from dangjian.history import History
    from dangjian.site.build import build

    reused: list[bool] = []
    asked: list[str] = []  # the values `kept.value` was asked for, by name
    real, cutoff, apart = kept.value, kept.value_or_cutoff, kept.value_apart

    def spy(*args: Any, reuse: bool = True, **kwargs: Any) -> Any:
        reused.append(reuse)
        asked.append(args[1].name)
        return real(*args, reuse=reuse, **kwargs)

    def cutoff_spy(*args: Any, reuse: bool = True, **kwargs: Any) -> Any:
        reused.extend([reuse, reuse])  # two aggregates: every file, then fewer and a digest (`then`)
        return cutoff(*args, reuse=reuse, **kwargs)

    def apart_spy(*args: Any, reuse: bool = True, **kwargs: Any) -> Any:
        reused.extend([reuse, reuse])  # the whole and its part apart from what `then` leaves out
        return apart(*args, reuse=reuse, **kwargs)

    monkeypatch.setattr(data_module.kept, "value", spy)
    monkeypatch.setattr(data_module.kept, "value_or_cutoff", cutoff_spy)
    monkeypatch.setattr(data_module.kept, "value_apart", apart_spy)
    build(generated, tmp_path / "site", with_search=False, history=History.empty(), cold=True)
    cold, reused[:] = list(reused), []
    linked = [name for name in asked if name.startswith("linked")]
    build(generated, tmp_path / "site", with_search=False, history=History.empty())
    # the pages' are keyed by `keptpages`, never kept; a kind's records grouped by a link are asked for when a page
    # shows them so (a registry without brands makes no brand page)
    values = [name for name in AGGREGATES if name not in PAGES and not name.startswith("linked")]
    assert linked and len(set(linked)) == len(linked) and set(linked) <= set(AGGREGATES)
    assert len(cold) == len(values) + len(linked) and not any(cold)
    assert reused and all(reused)  # what it asks for (the kept pages' kinds ask for none of their values)


def test_kept_aggregates_answer_as_computed_ones(
    generated: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What pages ask of the counts over time and of the reports, from a kept one and a computed one."""

    def answers(data: SiteData) -> Any:
        counts, index, views = timelines.histories(data), reports.reports(data), member.views(data)
        orgs = sorted(data.reg.orgs)
        years = sorted({y for found in index.years.values() for y in found})
        assert orgs and years
        return plain(
            (
                [counts.membership(org) for org in orgs],
                counts.new_rows(),
                index.years,
                [index.totals(year) for year in years],
                [(index.headcount_shown(org, year), index.scores(org, year)) for org in orgs for year in years],
                views,
                three_one.shown(data),
            )
        )

    first = SiteData(validate(generated).registry, TODAY, reuse=True)
    computed = answers(first)
    made: list[str] = []
    for kind in (timelines.Histories, reports.Reports):
        monkeypatch.setattr(kind, "__init__", lambda self, data, kind=kind: made.append(kind.__name__))
    monkeypatch.setattr(duty, "view", lambda data, member_id: made.append("duty view"))
    monkeypatch.setattr(three_one, "three_one_view", lambda data, org_id: made.append("三会一课"))
    again = SiteData(validate(generated).registry, TODAY, reuse=True)
    assert answers(again) == computed
    assert made == [], "computed again, not kept"
    assert "scores" not in vars(again), "the score book was made (a build keeping everything needs none)"


@pytest.mark.parametrize("reuse", [False, True])
def test_a_site_data_is_freed_without_the_collector(generated: Path, own_cache: Path, reuse: bool) -> None:
    """Nothing computed or kept holds its SiteData in a cycle: a build lets it go and its memory returns at once (a
    cycle left the whole site's data to the collector, 0.3 s at county)."""
    import gc
    import weakref

    reg = validate(generated).registry
    SiteData(reg, TODAY, reuse=True).counted  # kept for the second case  # noqa: B018
    gc.collect()
    gc.disable()
    try:
        data = SiteData(reg, TODAY, reuse=reuse)
        for org in data.reg.orgs:
            data.stats(org)
        assert data.book.scores is not None and data.histories and member.views(data)
        index = reports.reports(data)
        for year in {y for found in index.years.values() for y in found}:
            index.totals(year)
        timelines.histories(data).new_rows()
        site = weakref.ref(data)
        del data, index
        assert site() is None, "a SiteData in a reference cycle"
    finally:
        gc.enable()


def _two_keys(tmp_path: Path, first: str, then: str) -> tuple[Path, kept.Aggregate, kept.Aggregate]:
    """A tiny generated registry, and two aggregates named `first` (its orgs and stories) and `then` (its orgs)."""
    root = tmp_path / "root"
    for _ in Synth(TINY, 7).write(root):
        pass
    return root, kept.Aggregate(first, frozenset({"org", "story"})), kept.Aggregate(then, frozenset({"org"}))


def _bodies(cache: Path) -> dict[str, bytes]:
    """Each kept entry's body (the value's bytes, as kept under its key), by its aggregate's name."""
    return {
        p.name.split("-")[0]: pickle.loads(p.read_bytes().partition(b"\n")[2])[1][1]
        for p in (cache / kept.PART).iterdir()
    }


def test_a_value_kept_under_the_cutoff_key_answers_when_the_first_misses(tmp_path: Path, own_cache: Path) -> None:
    """`kept.value_or_cutoff`: the first key reads every file of its kinds; when it misses, the cutoff key (fewer kinds
    whole, a digest of what it reads of the others) answers, and what it answers is kept under the first key too, the
    same bytes; `given` is made only when the first key misses, and another `given` computes the value again."""
    root, first, then = _two_keys(tmp_path, "testfirst", "testthen")
    asked: list[str] = []

    def value(given: str, compute: Any) -> Any:
        def made() -> str:
            asked.append(given)
            return given

        return kept.value_or_cutoff(validate(root).registry, first, then, TODAY, made, compute)

    assert value("a", lambda: [1, 2]) == [1, 2] and asked == ["a"]
    assert value("a", lambda: pytest.fail("computed again")) == [1, 2] and asked == ["a"]  # the first key: no given
    story = sorted((root / "content" / "stories").rglob("*.md"))[0]
    story.write_text(story.read_text(encoding="utf-8") + "\n又一句。\n", encoding="utf-8")
    assert value("a", lambda: pytest.fail("computed again")) == [1, 2] and asked == ["a", "a"]  # the cutoff key
    entries = _bodies(own_cache)
    assert entries["testfirst"] == entries["testthen"]  # the same bytes kept
    assert value("a", lambda: pytest.fail("computed again")) == [1, 2] and asked == ["a", "a"]  # under the first
    story.write_text(story.read_text(encoding="utf-8") + "\n再一句。\n", encoding="utf-8")
    assert value("b", lambda: [3]) == [3]  # another digest of what the cutoff reads: computed


def test_a_value_apart_keeps_its_rest_under_what_it_reads_of_the_head(tmp_path: Path, own_cache: Path) -> None:
    """`kept.value_apart`: the whole is kept under the first key; when that misses, the head is computed again and
    the rest is taken from what was kept under the cutoff key, given what it reads of the head (`seen`); another
    `seen` computes the rest again. Nothing but the whole's key is asked when the first key holds."""
    root, first, then = _two_keys(tmp_path, "testwhole", "testrest")
    made: list[str] = []

    def value(head: tuple[int, str]) -> tuple:
        def compute_head() -> tuple[int, str]:
            made.append("head")
            return head

        def rest(seen: str) -> list[str]:
            made.append("rest")
            return [seen, "rest"]

        reg = validate(root).registry
        return kept.value_apart(reg, first, then, TODAY, compute_head, lambda h: h[1], rest, lambda h, r: (h, r))

    story = sorted((root / "content" / "stories").rglob("*.md"))[0]
    assert value((1, "a")) == ((1, "a"), ["a", "rest"]) and made == ["head", "rest"]
    entries = _bodies(own_cache)
    assert kept._unpair(entries["testwhole"])[0] == entries["testrest"]  # noqa: SLF001 - the rest pickled once
    assert value((2, "a")) == ((1, "a"), ["a", "rest"]) and made == ["head", "rest"]  # the whole, kept
    story.write_text(story.read_text(encoding="utf-8") + "\n又一句。\n", encoding="utf-8")
    assert value((2, "a")) == ((2, "a"), ["a", "rest"]) and made == ["head", "rest", "head"]  # the rest, kept
    assert value((3, "a")) == ((2, "a"), ["a", "rest"]) and made == ["head", "rest", "head"]  # the new whole
    story.write_text(story.read_text(encoding="utf-8") + "\n再一句。\n", encoding="utf-8")
    assert value((4, "b")) == ((4, "b"), ["b", "rest"]) and made[3:] == ["head", "rest"]  # another `seen`
