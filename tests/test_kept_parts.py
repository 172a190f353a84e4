"""Each org's own parts of the counting kept between builds, for the orgs an edit did not touch (`site/keptparts.py`).

The property: after random edits of the members, the duty ledger and the activities (a day of admission moved, a
status changed, a member moved to another roll or given a dated history, from another branch or from the village
above, a member dropped, ledger entries added, dropped or given to another member, one or every entry of one member in
a file, attendees dropped or added, a public member's note added), the counting (`data.Counted`: every org's figures,
the rankings, the figure table and what suppression publishes), the public members' stars and duty records and the
reports' index, made with the parts the last build kept and the score book gathering events from the files naming a
member, are the ones made from nothing. And the parts kept are those of the orgs the edit did not touch: a member
edited touches the orgs they were and are on the roll of, and no other.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dangjian.model import Registry
from dangjian.site.persite import restored
from dangjian.recordtypes import SCORED_STATUSES
from dangjian.parts import Parts
from dangjian.scores import ScoreBook
from dangjian.site import data as data_module, duty, keptparts, reports, timelines
from dangjian.site.data import SiteData
from dangjian.site.kinds import member
from dangjian.synth import Synth
from dangjian.timeline import events
from dangjian.validate import validate
from conftest import REPO
from test_incremental import TINY
from test_kept import plain

TODAY = datetime.date(2026, 12, 1)
EDITS = (
    "joined",
    "admitted",
    "status",
    "move",
    "history",
    "history up",
    "drop member",
    "ledger add",
    "ledger drop",
    "ledger member",
    "ledger reassign",
    "attendee drop",
    "attendee add",
    "note",
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("parts") / "root"
    for _ in Synth(TINY, 7).write(root):  # three branches' rosters, ledgers and activities; a scheme averaging points
        pass
    return root


def counted(reg: Registry, parts: Parts | None) -> tuple[object, SiteData]:
    """The counting of `reg`, what public members' pages show of their scores (their stars and duty records) and the
    reports' index (each org's years, which its members' ledger entries date), with
    the parts kept for it (None: the score book gathers a member's events from the files naming them) or from nothing
    (a plain memo: the score book's full index)."""
    data = SiteData(reg, TODAY, reuse=True)
    if parts is not None:
        data.__dict__["parts"] = parts  # the cached property, given
    made = data._count()  # noqa: SLF001 - the counting itself, not a kept value of it
    views = {p.id: (member.own_stars(data, p.id), duty.view(data, p.id)) for p in data.public_members}
    index = reports._state(reports.Reports(data, reports.dated_apart(data)))  # noqa: SLF001 - the index itself
    counts = dict(vars(timelines.Histories(data, timelines.CountingSeen.of(made))), _data=None)  # 本年新发展党员…
    return plain((made, views, index, counts)), data


def _branches(root: Path) -> list[str]:
    return sorted(re.findall(r"^id: (\S+-b\d+)$", "\n".join(p.read_text("utf-8") for p in _files(root, "orgs")), re.M))


def _files(root: Path, folder: str) -> list[Path]:
    return sorted((root / "registry" / folder).rglob("*.yaml"))


def _member_ids(root: Path) -> list[str]:
    return sorted(re.findall(r"^- id: (m\d+)$", "\n".join(p.read_text("utf-8") for p in _files(root, "members")), re.M))


RESULT_EDITS = ("result score", "result drop")


def edit(root: Path, kind: str, n: int) -> Path | None:
    """Make one edit of `kind` (the `n`th file, member or entry it picks); the file edited, or None."""
    if kind in RESULT_EDITS:  # a score lowered (the ranking's order may change), or an org's scores dropped
        path = _files(root, "assessments/results")[n % len(_files(root, "assessments/results"))]
        text = path.read_text(encoding="utf-8")
        if kind == "result score":
            found = list(re.finditer(r"work: ([0-9.]+)", text))
            at = found[n % len(found)]
            text = text[: at.start(1)] + f"{float(at[1]) * (0.5 + n % 5 / 10):.2f}" + text[at.end(1) :]
        else:
            found = list(re.finditer(r"(?m)^  \S+:\n(?:    .*\n)+", text))
            if len(found) < 2:
                return None
            at = found[n % len(found)]
            text = text[: at.start()] + text[at.end() :]
        path.write_text(text, encoding="utf-8")
        return path
    if kind == "note":  # a 履责手记 of a public member (a secretary): their duty record shows it
        text = "\n".join(p.read_text("utf-8") for p in _files(root, "members"))
        public = re.findall(r'(?m)^- id: (m\d+)\n(?:  .*\n)*?  posts: \["书记"\]', text)
        notes = root / "registry" / "points" / "notes" / f"n{n % 2}.yaml"
        notes.parent.mkdir(parents=True, exist_ok=True)
        written = notes.read_text("utf-8") if notes.exists() else ""
        note = f"- member: {public[n % len(public)]}\n  date: 2025-0{1 + n % 9}-0{1 + n % 9}\n  text: 第{n}篇手记。\n"
        notes.write_text(written + note, encoding="utf-8")
        return notes
    folder = (
        "members"
        if kind in {"joined", "admitted", "status", "move", "history", "history up", "drop member"}
        else "points"
    )
    if kind.startswith("attendee"):
        folder = "activities"
    files = _files(root, folder)
    path = files[n % len(files)]
    text = path.read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=- )", text)
    head, items = blocks[0], blocks[1:]
    if not items:
        return None
    at = n % len(items)
    item = items[at]
    if kind == "joined" and (found := re.search(r"joined: (\d{4})-(\d\d)-(\d\d)", item)):
        year = int(found[1]) - 1 - n % 3
        item = item.replace(found[0], f"joined: {year}-{found[2]}-{min(int(found[3]), 28):02d}")
    elif kind == "admitted":  # every member of the roster with a day of admission, admitted this year: 本年新发展党员
        for at, each in enumerate(items):
            if (found := re.search(r"joined: \S+", each)) and "posts:" not in each:
                each = each.replace(found[0], f"joined: 2026-0{1 + (n + at) % 9}-01")
                items[at] = re.sub(r"status: \S+", 'status: "预备党员"', each)
        item = items[at]
    elif kind == "status" and "正式党员" in item:
        item = item.replace("正式党员", "预备党员", 1)
    elif kind == "status" and "预备党员" in item:
        item = item.replace("预备党员", "正式党员", 1)
    elif kind == "move" and (found := re.search(r"org: (\S+)", item)):
        others = [b for b in _branches(root) if b != found[1]]
        item = item.replace(found[0], f"org: {others[n % len(others)]}")
    elif kind == "history" and (found := re.search(r"org: (\S+)", item)) and "history:" not in item:
        others = [b for b in _branches(root) if b != found[1]]
        other = others[n % len(others)]
        moved = f"{2023 + n % 3}-0{1 + n % 9}-15"
        item = item.replace(found[0], f"org: {other}").rstrip("\n") + (
            f"\n  history:\n    - date: 2000-01-01\n      org: {found[1]}\n    - date: {moved}\n      org: {other}\n"
        )
    elif kind == "history up" and (found := re.search(r"org: (\S+-b\d+)\n", item)) and "history:" not in item:
        above = found[1].rsplit("-", 1)[0]  # the branch's village: on its roll until the branch was set up
        moved = f"{2023 + n % 3}-0{1 + n % 9}-15"
        item = item.rstrip("\n") + (
            f"\n  history:\n    - date: 2000-01-01\n      org: {above}\n    - date: {moved}\n      org: {found[1]}\n"
        )
    elif kind == "drop member":
        item = ""
    elif kind == "ledger add" and (found := re.search(r"date: (\d{4})-(\d\d-\d\d)", item)):
        item += item.replace(found[0], f"date: {int(found[1]) - 1 + 2 * (n % 2)}-{found[2]}")
    elif kind == "ledger drop":
        item = ""
    elif kind == "ledger member" and (found := re.search(r"member: (m\d+)", item)):
        members = _member_ids(root)
        item = item.replace(found[0], f"member: {members[n % len(members)]}")
    elif kind == "ledger reassign" and (found := re.search(r"member: (m\d+)", item)):
        members = [m for m in _member_ids(root) if m != found[1]]  # every entry of one member, given to another
        text = text.replace(f"member: {found[1]}\n", f"member: {members[n % len(members)]}\n")
        path.write_text(text, encoding="utf-8")
        return path
    elif kind == "attendee drop" and (found := re.search(r"attendees: \[([^\]]*)\]", item)) and found[1]:
        item = item.replace(found[0], f"attendees: [{', '.join(found[1].split(', ')[1:])}]")
    elif kind == "attendee add" and (found := re.search(r"attendees: \[([^\]]*)\]", item)):
        members = _member_ids(root)
        listed = [m for m in found[1].split(", ") if m]
        extra = [m for m in members if m not in listed]
        item = item.replace(found[0], f"attendees: [{', '.join([*listed, extra[n % len(extra)]])}]")
    else:
        return None
    items[at] = item
    path.write_text(head + "".join(items), encoding="utf-8")
    return path


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 10_000)), min_size=1, max_size=4))
def test_the_counting_made_with_kept_parts_is_the_one_made_from_nothing(
    generated: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, edits: list
) -> None:
    work = tmp_path_factory.mktemp("edits")
    root = work / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(work / "cache"))
    _, data = counted(validate(root).registry, None)
    data.keep_parts()
    for kind, n in edits:
        before = {p: p.read_bytes() for p in (root / "registry").rglob("*.yaml")}
        path = edit(root, kind, n)
        if path is None:
            continue
        result = validate(root)
        if not result.ok:  # an edit the registry refuses (a dropped member still in the ledger…): undone
            for p, body in before.items():
                p.write_bytes(body)
            continue
        made, data = counted(result.registry, None)
        parts = data.parts
        assert isinstance(parts, keptparts.KeptParts) and parts.touched is not None
        assert parts.orgs, "no org's parts kept"  # an edit names a few members: the other orgs' parts are kept
        fresh, _ = counted(result.registry, Parts())
        assert made == fresh, (kind, n)
        data.keep_parts()


def test_a_member_edited_touches_the_orgs_of_their_rolls_and_keeps_the_others(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member moved to another roll touches the two orgs (whose parts are made again) and no other: every other
    org's parts are the last build's, and the counting is the one made from nothing."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    reg = validate(root).registry
    _, data = counted(reg, None)
    data.keep_parts()
    before = {org: dict(parts) for org, parts in data.parts.orgs.items()}
    was = {m: r["org"] for m, r in reg.members.items()}
    assert edit(root, "move", 1) is not None
    reg = validate(root).registry
    moved = [(was[m], r["org"]) for m, r in reg.members.items() if r["org"] != was[m]]
    assert len(moved) == 1
    made, data = counted(reg, None)
    parts = data.parts
    assert isinstance(parts, keptparts.KeptParts) and parts.touched == set(moved[0])
    kept = set(before) - parts.touched
    assert kept and {org: parts.orgs[org] for org in kept} == {org: before[org] for org in kept}
    assert made == counted(reg, Parts())[0]


def test_a_ledger_entry_added_touches_its_member_s_org_alone(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    _, data = counted(validate(root).registry, None)
    data.keep_parts()
    path = edit(root, "ledger add", 0)
    assert path is not None
    reg = validate(root).registry
    member_id = re.search(r"member: (m\d+)", path.read_text("utf-8"))
    assert member_id is not None
    made, data = counted(reg, None)
    assert data.parts.touched is not None  # type: ignore[attr-defined]
    named = {e["member"] for e in reg.all("ledger") if e.file == path.relative_to(root).as_posix()}
    assert data.parts.touched == {reg.members[m]["org"] for m in named}  # type: ignore[attr-defined]
    assert made == counted(reg, Parts())[0]


def test_another_rulebook_keeps_no_part(generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    _, data = counted(validate(root).registry, None)
    data.keep_parts()
    rulebook = root / "registry" / "points" / "rules.yaml"
    text = rulebook.read_text("utf-8")
    found = re.search(r"points: (-?\d+)", text)
    assert found is not None
    rulebook.write_text(text.replace(found[0], f"points: {int(found[1]) + 1}", 1), encoding="utf-8")
    reg = validate(root).registry
    made, data = counted(reg, None)
    assert data.parts.touched is None  # type: ignore[attr-defined]
    assert made == counted(reg, Parts())[0]


def test_a_ledger_entry_of_a_member_with_a_history_touches_the_org_they_were_on_then(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member moved from one roll to another in 2024 (their history), then a ledger entry of theirs from before the
    move added: the org whose roll they were on then is touched (its part of the 2024-Q1 ranking's 党员积分 changes),
    though their record names only the org they are on now."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    reg = validate(root).registry
    ranked = {org for result in reg.all("result") for org in result["scores"]}
    member = next(
        r
        for r in reg.members.values()
        if r.get("status") == "正式党员"
        and not r.get("posts")
        and r["joined"] < datetime.date(2023, 1, 1)
        and reg.orgs[r["org"]].get("parent") in ranked
    )
    was, now = member["org"], next(b for b in _branches(root) if b != member["org"])
    path = root / member.file
    text = path.read_text("utf-8")
    block = re.search(rf"(?ms)^- id: {member.id}\n.*?(?=^- |\Z)", text)
    assert block is not None
    moved = block[0].replace(f"org: {was}", f"org: {now}").rstrip("\n") + (
        f"\n  history:\n    - date: 2000-01-01\n      org: {was}\n    - date: 2024-05-01\n      org: {now}\n"
    )
    path.write_text(text.replace(block[0], moved), encoding="utf-8")
    result = validate(root)
    assert result.ok, result.problems[:3]
    _, data = counted(result.registry, None)
    data.keep_parts()
    ledger = next(f for f in _files(root, "points/ledger") if f.stem not in {was, now})  # names neither org
    named = set(re.findall(r"member: (m\d+)", ledger.read_text("utf-8")))
    entry = f"- member: {member.id}\n  date: 2024-02-10\n  rule: absent\n"
    ledger.write_text(ledger.read_text("utf-8") + entry, encoding="utf-8")
    result = validate(root)
    assert result.ok, result.problems[:3]
    made, data = counted(result.registry, None)
    others = {result.registry.members[m]["org"] for m in named}
    assert was not in others
    assert data.parts.touched == others | {was, now}  # type: ignore[attr-defined]
    assert made == counted(result.registry, Parts())[0]


def test_ledger_entries_given_to_another_member_touch_the_org_of_the_one_they_named(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries of a member in another branch's ledger file, all given to someone else: the member they named before
    is touched (their org's figures change), though the file no longer names them."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    reg = validate(root).registry
    ledger = _files(root, "points/ledger")[0]
    here = {reg.members[m]["org"] for m in re.findall(r"member: (m\d+)", ledger.read_text("utf-8"))}
    member = next(r for r in reg.members.values() if r.get("status") == "正式党员" and r["org"] not in here)
    entries = "".join(f"- member: {member.id}\n  date: 2025-0{n}-10\n  rule: volunteer\n" for n in range(1, 4))
    ledger.write_text(ledger.read_text("utf-8") + entries, encoding="utf-8")
    result = validate(root)
    assert result.ok, result.problems[:3]
    _, data = counted(result.registry, None)
    data.keep_parts()
    someone = next(m for m in re.findall(r"member: (m\d+)", ledger.read_text("utf-8")) if m != member.id)
    ledger.write_text(ledger.read_text("utf-8").replace(f"member: {member.id}\n", f"member: {someone}\n"), "utf-8")
    result = validate(root)
    assert result.ok, result.problems[:3]
    made, data = counted(result.registry, None)
    assert member["org"] in data.parts.touched  # type: ignore[attr-defined,operator]
    assert made == counted(result.registry, Parts())[0]


@pytest.mark.parametrize("which", ["demo", "generated"])
def test_a_member_s_events_gathered_from_the_files_naming_them_are_the_full_index_s(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """`ScoreBook(naming=…)` gathers a member's events, ledger entries and activities from the files that name them:
    the same lists, in the same order, as the full index, for every member (and for an id nobody names)."""
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    reg = validate(REPO if which == "demo" else generated).registry
    parts = keptparts.open_parts(reg)
    assert isinstance(parts, keptparts.KeptParts)
    full = ScoreBook(reg)
    gathered = ScoreBook(reg, naming=parts.files_naming)
    assert full.events and any(full.attended.values())
    for member_id in [*reg.members, "m-nobody"]:
        for index in ("events", "ledger", "attended"):
            assert getattr(gathered, index).get(member_id, ()) == getattr(full, index).get(member_id, ()), index
    assert dict(gathered.events) == dict(full.events)  # read whole: the full index


def test_a_rebuild_after_a_ledger_entry_added_loads_that_ledger_file_alone(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger is loaded lazily (`dangjian build`): after one entry added, the counting, the member views, the
    reports' index and the counts over time read the edited file and the ledger files naming the members of the orgs it
    touched, not the whole ledger, and equal those made from nothing."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    _, data = counted(validate(root, lazy=frozenset({"ledger"})).registry, None)
    data.keep_parts()
    ledgers = _files(root, "points/ledger")
    path = edit(root, "ledger add", 0)
    assert path is not None and len(ledgers) > 2
    reg = validate(root, lazy=frozenset({"ledger"})).registry
    made, data = counted(reg, None)
    assert "ledger" in reg.deferred, "the whole ledger was loaded"
    loaded = set(reg.deferred_file["ledger"].__self__.loaded)  # type: ignore[attr-defined]
    assert path.relative_to(root).as_posix() in loaded and len(loaded) < len(ledgers)
    assert made == counted(validate(root).registry, Parts())[0]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 10_000)), min_size=0, max_size=3))
def test_own_parts_add_up_to_what_counting_every_member_once_gives(
    generated: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, edits: list
) -> None:
    """The own parts read org by org what a pass over every member reads once: the orgs whose year-end counts include a
    member counted from `joined`, the latest dated year, and each org's years of its members' ledger entries, each
    against that pass written out here (what the site computed before the parts); each org's ledger years and year-end
    counts made org by org (a rebuild's, for the orgs an edit touched) and all at once (a first build's)."""
    work = tmp_path_factory.mktemp("whole")
    root = work / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(work / "cache"))
    for kind, n in [("history up", 1), ("history", 2), *edits]:  # members moved in time: rolls by the day
        before = {p: p.read_bytes() for p in (root / "registry").rglob("*.yaml")}
        if edit(root, kind, n) is not None and not validate(root).ok:
            for p, body in before.items():
                p.write_bytes(body)
    reg = validate(root).registry
    data = SiteData(reg, TODAY)
    counts = timelines.Histories(data, timelines.CountingSeen.of(data.counted))
    index = reports.Reports(data, reports.dated_apart(data))
    rolls, orgs = data.rolls, reg.orgs
    timeless: set[str] = set()
    for member_id, record in reg.members.items():
        if member_id in rolls.dated_members or record.get("status") not in SCORED_STATUSES:
            continue
        unit = record.get("org")
        while unit in orgs and unit not in timeless:
            timeless.add(unit)
            unit = orgs[unit].get("parent")
    assert counts.timeless == timeless
    years = [
        value.year
        for record, names in [(r, ("joined",)) for r in reg.members.values()]
        + [(r, ("founded", "dissolved")) for r in orgs.values()]
        for value in [*(record.get(name) for name in names), *(e["date"] for _, e in events(record.data))]
        if isinstance(value, datetime.date)
    ]
    assert counts.latest == min(max(years, default=TODAY.year - 1), TODAY.year)
    dated: dict[str, set[int]] = {}
    for entry in reg.all("ledger"):
        org = rolls.on_roll(entry["member"], entry["date"])
        if org in orgs:
            dated.setdefault(org, set()).add(entry["date"].year)
    assert all(years <= index.dated.get(org, set()) for org, years in dated.items())
    ever = keptparts.ever_on(data)  # org by org, as a rebuild makes the parts of the orgs an edit touched
    assert dated == {org: set(ys) for org in orgs if (ys := reports._own_years(data, org, ever)())}  # noqa: SLF001
    assert reports._every_ledger_year(data) == {org: frozenset(dated.get(org, ())) for org in orgs}  # noqa: SLF001
    for year in counts.years:  # each org's own year-end count, org by org and all at once
        day = datetime.date(year, 12, 31)
        one_by_one = timelines._party(data, day)  # noqa: SLF001
        assert {org: one_by_one(org) for org in orgs} == counts._own_counts(day)  # noqa: SLF001


# --- the counts over time kept under what they read of the counting ------------------------------------------------


def _computed(kind: type, value: Callable[[], object]) -> tuple[object, bool]:
    """`value()`, and whether it made a `kind` (computed what a build could have kept)."""
    made: list[object] = []
    real = kind.__init__

    def spy(self: object, *args: object) -> None:
        made.append(self)
        real(self, *args)

    kind.__init__ = spy  # type: ignore[misc]
    try:
        return value(), bool(made)
    finally:
        kind.__init__ = real  # type: ignore[misc]


def _counts_over_time(reg: Registry, reuse: bool) -> tuple[object, bool]:
    """The counts over time as a build has them (kept, when `reuse`, under `HISTORIES`' key) as plain values, and
    whether they were computed (not kept)."""

    def counts() -> object:
        found = timelines.histories(SiteData(reg, TODAY, reuse=reuse))
        return plain((dict(vars(found), _data=None), [found.membership(o) for o in sorted(reg.orgs)]))

    return _computed(timelines.Histories, counts)


def _kept_equals_computed(
    generated: Path, work: Path, monkeypatch: pytest.MonkeyPatch, edits: list, value: Callable[[Registry, bool], tuple]
) -> None:
    """After each of `edits` of a copy of `generated` (undone when the registry refuses it), `value` as a build
    takes it (kept) is `value` computed."""
    root = work / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(work / "cache"))
    value(validate(root).registry, True)
    for kind, n in edits:
        before = {p: p.read_bytes() for p in (root / "registry").rglob("*.yaml")}
        if edit(root, kind, n) is None:
            continue
        result = validate(root)
        if not result.ok:
            for p, body in before.items():
                p.write_bytes(body)
            continue
        assert value(result.registry, True)[0] == value(result.registry, False)[0], (kind, n)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 10_000)), min_size=1, max_size=5))
def test_the_counts_over_time_kept_are_the_ones_computed_after_any_edit(
    generated: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, edits: list
) -> None:
    """Kept under the digest of what they read of the counting (`CountingSeen`), beside the orgs' and members' fields
    they read: after ledger entries, results, attendances and members edited, what a build takes is what it would
    compute. They decide which counts are withheld: one kept when it should have been made again could publish a
    count that suppression now withholds."""
    _kept_equals_computed(generated, tmp_path_factory.mktemp("counts"), monkeypatch, edits, _counts_over_time)


def test_the_counts_published_over_years_are_kept_only_for_the_same_counts_trees_and_today(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which year-end counts may be published is kept under the years' trees and counts and today's counts
    (`timelines.SHOWN`'s `given`): the same ones keep it, any one of them changed makes it again (today's counts weigh
    the rule across years: 7 at the year's end and 9 today withholds the 7)."""
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    data = SiteData(validate(generated).registry, TODAY, reuse=True)
    made = timelines.Histories(data, timelines.CountingSeen.of(data.counted))  # computed, and kept
    computed: list[str] = []  # what is made again is only noted: the inputs changed here need not make sense
    monkeypatch.setattr(timelines.Histories, "_suppressed", lambda self: computed.append("made") or {})
    state = dict(vars(made), _data=None)
    assert timelines.shown_over_years(data, restored(timelines.Histories, data, state)) == made.shown
    assert computed == []  # the same inputs: kept
    org, last = sorted(made.raw[made.years[-1]])[0], made.years[-1]
    parent = next(p for p, children in sorted(made.trees[last].items(), key=repr) if p is not None and children)
    changed = {
        "years": made.years[1:],
        "trees": {**made.trees, last: {**made.trees[last], parent: made.trees[last][parent][:-1]}},  # a child cut off
        "raw": {**made.raw, made.years[-1]: {**made.raw[made.years[-1]], org: made.raw[made.years[-1]][org] + 1}},
        "now": {**made.now, org: made.now.get(org, 0) + 2},
    }
    for name, value in changed.items():
        timelines.shown_over_years(data, restored(timelines.Histories, data, {**state, name: value}))
        assert computed == ["made"], name
        computed.clear()
        timelines.shown_over_years(data, restored(timelines.Histories, data, state))  # the same again, for the next
        computed.clear()


def test_a_points_entry_publishing_the_same_cells_keeps_the_counts_over_time(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A points entry moves a member's score, not who is counted where: when suppression publishes the same cells, the
    counts over time are not computed again (a city's second of every such rebuild); a member's status changed is."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    _, made = _counts_over_time(validate(root).registry, reuse=True)
    assert made
    kept = 0
    for n in range(6):
        seen = timelines.CountingSeen.of(SiteData(validate(root).registry, TODAY)._count())  # noqa: SLF001
        if edit(root, "ledger add", n) is None:  # an item with no date to copy
            continue
        reg = validate(root).registry
        counts, made = _counts_over_time(reg, reuse=True)
        same = timelines.CountingSeen.of(SiteData(reg, TODAY)._count()).digest() == seen.digest()  # noqa: SLF001
        assert made != same, n  # kept exactly when what they read of the counting is the same
        assert counts == _counts_over_time(reg, reuse=False)[0]
        kept += not made
    assert kept, "no points entry kept them"
    edit(root, "status", 1)
    assert _counts_over_time(validate(root).registry, reuse=True)[1]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(0, 10_000), part=st.sampled_from(["published", "by_status", "parent", "links"]))
def test_any_change_of_what_they_read_of_the_counting_changes_their_key(generated: Path, pick: int, part: str) -> None:
    """Equal digests, equal counts over time: every part of `CountingSeen` changed in one place changes its digest
    (the key's `given`), and what a reader could count changes the counts themselves (a published cell gone)."""
    reg = validate(generated).registry
    data = SiteData(reg, TODAY)
    seen = timelines.CountingSeen.of(data.counted)
    org = sorted(seen.by_status)[pick % len(seen.by_status)]
    if part == "published":
        cells = sorted(seen.published, key=repr)
        changed = dataclasses.replace(seen, published=seen.published - {cells[pick % len(cells)]})
    elif part == "by_status":
        counts = dict(seen.by_status[org])
        counts["正式党员"] = counts.get("正式党员", 0) + 1 + pick % 3
        changed = dataclasses.replace(seen, by_status={**seen.by_status, org: counts})
    elif part == "parent":
        others = sorted(o for o in seen.parent if o not in {org, seen.parent[org]})
        changed = dataclasses.replace(seen, parent={**seen.parent, org: others[pick % len(others)]})
    else:
        dims = tuple(dataclasses.replace(d, links=()) if d.links else d for d in seen.dimensions)
        assert dims != seen.dimensions
        changed = dataclasses.replace(seen, dimensions=dims)
    assert changed.digest() != seen.digest()


def test_a_cell_published_changes_the_counts_over_time(generated: Path) -> None:
    """The other side: what they read of the counting matters (the test above would pass for a value that read none).
    An org whose 预备党员 and 正式党员 are both published has today's members countable by a reader: the counts over
    time take today's count into account (and withhold the year-end counts it would give away)."""
    reg = validate(generated).registry
    data = SiteData(reg, TODAY)
    seen = timelines.CountingSeen.of(data.counted)
    counts = timelines.Histories(data, seen)
    org = next(o for o in sorted(seen.by_status) if o not in counts.now)
    more = dataclasses.replace(
        seen, published=seen.published | {(org, ("status", "预备党员")), (org, ("status", "正式党员"))}
    )
    assert more.digest() != seen.digest()
    assert org in timelines.Histories(data, more).now


# --- the counting and the members' views kept apart from the results --------------------------------------------


def _counting(reg: Registry, reuse: bool) -> tuple[object, bool]:
    """The counting and the public members' views as a build has them (kept, when `reuse`), as plain values, and
    whether the part the results do not change was computed (the figures, their suppression, the views)."""
    made: list[str] = []
    count, view = SiteData.count_apart, duty.view

    def counting(self: SiteData, ranked: data_module.Ranked) -> data_module.Apart:
        made.append("counted")
        return count(self, ranked)

    def viewing(data: SiteData, member_id: str) -> list:
        made.append("viewed")
        return view(data, member_id)

    SiteData.count_apart, duty.view = counting, viewing  # type: ignore[method-assign]
    try:
        data = SiteData(reg, TODAY, reuse=reuse)
        value = plain((data.counted, member.views(data)))
    finally:
        SiteData.count_apart, duty.view = count, view  # type: ignore[method-assign]
    return value, bool(made)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(EDITS + RESULT_EDITS + RESULT_EDITS), st.integers(0, 10_000)), min_size=1, max_size=5
    )
)
def test_the_counting_kept_is_the_one_computed_after_any_edit(
    generated: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, edits: list
) -> None:
    """Kept under every file it reads, or, the rankings computed, under the others and the averages the rankings
    show (`COUNTED_APART`, `VIEWS_APART`): what a build takes after results, members and ledger entries edited is
    what it would compute. The figures decide what is withheld: one kept when it should have been made again could
    publish a count that suppression now withholds."""
    _kept_equals_computed(generated, tmp_path_factory.mktemp("counting"), monkeypatch, edits, _counting)


def test_a_result_edited_keeps_the_figures_and_views_when_the_same_averages_are_ranked(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A score changed ranks the same orgs in the same periods: the figures, their suppression and the members' views
    are not computed again (a city's 1.5 s of every such rebuild), only the rankings; an org's scores dropped from a
    period is ranked no more there, and they are."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    _, made = _counting(validate(root).registry, reuse=True)
    assert made
    for n in range(3):
        before = SiteData(validate(root).registry, TODAY).ranked
        assert edit(root, "result score", n) is not None
        reg = validate(root).registry
        value, made = _counting(reg, reuse=True)
        assert not made and SiteData(reg, TODAY).ranked == before, n
        assert value == _counting(reg, reuse=False)[0]
    assert edit(root, "result drop", 1) is not None
    value, made = _counting(validate(root).registry, reuse=True)
    assert made and value == _counting(validate(root).registry, reuse=False)[0]


# --- the reports kept under the years they read of the ledger and the results --------------------------------------


def _reports_index(reg: Registry, reuse: bool) -> tuple[object, bool]:
    """The reports' index as a build has it (kept, when `reuse`), as plain values, and whether it was computed."""
    data = SiteData(reg, TODAY, reuse=reuse)
    return _computed(reports.Reports, lambda: plain(reports._state(reports.reports(data))))  # noqa: SLF001


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 10_000)), min_size=1, max_size=5))
def test_the_reports_kept_are_the_ones_computed_after_any_edit(
    generated: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, edits: list
) -> None:
    """Kept under every file they read, or under the files they read whole and the years of the ledger entries and
    results (`REPORTS_DATED`): what a build takes after any edit is what it would compute."""
    _kept_equals_computed(generated, tmp_path_factory.mktemp("reports"), monkeypatch, edits, _reports_index)


def _honoured_in_2025(reg: Registry) -> set[str]:
    """The orgs with an honour of 2025 of their own in the reports' index as a build takes it (kept, if it was)."""
    data = SiteData(reg, TODAY, reuse=True)
    return {org for org, year in reports.reports(data).own.get(2025, {}).items() if year.honours}


def test_a_public_member_s_honour_counts_where_they_are_in_the_reports_kept(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public member's honour counts under their roll on 31 December of its year (`reports.honour_rolls`), which is
    all the reports' index reads of the members (`REPORTS_DATED` reads no member file): the member moved to another
    branch takes it along in the index kept, and an admission day moved keeps the index. Fails with the honours' orgs
    left out of the index's `given`."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    rosters = {path: path.read_text("utf-8") for path in _files(root, "members")}
    path, block = next(
        (path, found[0])
        for path, text in rosters.items()
        if (found := re.search(r'(?m)^- id: (m\d+)\n(?:  .*\n)*?  posts: \["书记"\]\n(?:  .*\n)*', text))
    )
    member = re.match(r"- id: (m\d+)", block)[1]  # a secretary: public
    honours = root / "registry" / "honours" / "h.yaml"
    honours.parent.mkdir(parents=True, exist_ok=True)
    honours.write_text(f"- name: 优秀共产党员\n  level: 县\n  year: 2025\n  giver: 县委\n  member: {member}\n", "utf-8")
    reg = validate(root).registry
    assert validate(root).ok
    index, made = _reports_index(reg, reuse=True)
    assert made
    assert _honoured_in_2025(reg) == {re.search(r"org: (\S+)", block)[1]}

    moved = re.search(r"org: (\S+)", block)
    other = next(b for b in _branches(root) if b != moved[1])
    path.write_text(rosters[path].replace(block, block.replace(moved[0], f"org: {other}")), "utf-8")
    reg = validate(root).registry
    index, made = _reports_index(reg, reuse=True)
    assert made and index == _reports_index(reg, reuse=False)[0]
    assert _honoured_in_2025(reg) == {other}

    day = re.search(r"joined: (\d{4})-(\d\d)-(\d\d)", block)  # moved by a day, in the same year: the index kept
    assert day is not None and int(day[3]) > 1, block
    text = path.read_text("utf-8")
    path.write_text(text.replace(day[0], f"joined: {day[1]}-{day[2]}-{int(day[3]) - 1:02d}", 1), "utf-8")
    reg = validate(root).registry
    index, made = _reports_index(reg, reuse=True)
    assert not made and index == _reports_index(reg, reuse=False)[0]


def test_a_points_entry_in_a_year_already_dated_keeps_the_reports(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reports read the ledger and the results only for the years they date: an entry added in a year its org
    already has keeps them (a city's 0.8 s), one in another year is computed again."""
    root = tmp_path / "root"
    shutil.copytree(generated, root)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    _, made = _reports_index(validate(root).registry, reuse=True)
    assert made
    outcomes = set()
    for n in range(8):
        before = reports.dated_apart(SiteData(validate(root).registry, TODAY))
        if edit(root, "ledger add", n) is None:
            continue
        reg = validate(root).registry
        index, made = _reports_index(reg, reuse=True)
        assert made == (reports.dated_apart(SiteData(reg, TODAY)) != before), n
        assert index == _reports_index(reg, reuse=False)[0]
        outcomes.add(made)
    assert outcomes == {True, False}, "no entry kept them, or none in a year not dated before"
