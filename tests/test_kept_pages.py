"""A kind's pages kept between builds by what they read (`site/keptpages.py`, `SiteKind.reads`).

tests/test_kept.py checks each kind's declaration (its pages computed from a registry refusing what it did not
declare, and after random edits of that); here, what a build does with it: a story edited leaves the pages of the
kinds that do not read stories unmade, and the site is a cold build's; a kept page that must be rendered after all
(tampered with in the output) has its kind's pages made again; a page whose revisions changed is made again; the
photos a kind reads are part of its key.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from dangjian.history import History, Revision
from dangjian.model import is_public
from dangjian.site import images, kept, kinds, reports as reports_module
from dangjian.site.build import build
from dangjian.site.data import SiteData
from dangjian.synth import emit
from dangjian.validate import validate
from test_incremental import EPOCH, assert_same_tree, story_body
from test_ownsearch_incremental import small  # noqa: F401 - the fixture: a tiny registry with its own cache


@pytest.fixture
def root(small: Path) -> Path:
    """A tiny generated registry, with its own cache (the kept pages live there) and a fixed day."""
    return small


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How many times each kind's pages were made (its `pages` called)."""
    calls: Counter = Counter()

    def counting(kind: kinds.SiteKind) -> kinds.SiteKind:
        def pages(data: SiteData) -> list[kinds.SitePage]:
            calls[kind.name] += 1
            return list(kind.pages(data))

        return dataclasses.replace(kind, pages=pages)

    counted = tuple(counting(kind) for kind in kinds.KINDS)
    monkeypatch.setattr(kinds, "KINDS", counted)
    monkeypatch.setattr(kinds, "BY_NAME", {kind.name: kind for kind in counted})
    return calls


def make(root: Path, out: Path, history: History | None = None, cold: bool = False):
    return build(root, out, with_search=False, history=history or History.empty(), cold=cold)


KEPT_FOR_A_STORY = {kind.name for kind in kinds.KINDS if kind.reads is not None and "story" not in kind.reads.kinds}


def test_kinds_that_do_not_read_stories_are_there_to_keep() -> None:
    assert KEPT_FOR_A_STORY >= {"report", "activity", "project", "ranking"}


def test_a_story_edited_leaves_the_other_kinds_pages_unmade_and_the_site_a_cold_build_s(
    root: Path, tmp_path: Path, made: Counter
) -> None:
    out = tmp_path / "site"
    make(root, out)
    assert set(made) >= KEPT_FOR_A_STORY  # nothing kept yet
    made.clear()
    story_body(root, 1)
    report = make(root, out)
    assert not set(made) & KEPT_FOR_A_STORY, made
    assert made["story"] == 1 and report.reused > 0
    made.clear()
    story_body(root, 2)  # kept twice in a row: what a kept kind keeps for the next build is its pages as kept
    make(root, out)
    assert not set(made) & KEPT_FOR_A_STORY, made
    make(root, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")
    made.clear()
    make(root, out, cold=True)  # a cold build makes every kind's pages
    assert set(made) >= KEPT_FOR_A_STORY


@pytest.fixture
def alone(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses of the pages made alone (a kept kind's page whose part changed: `SiteKind.alone`)."""
    urls: list[str] = []

    def counting(kind: kinds.SiteKind) -> kinds.SiteKind:
        make = kind.alone
        if make is None:
            return kind

        def counted(data: SiteData, url: str) -> kinds.SitePage | None:
            urls.append(url)
            return make(data, url)

        return dataclasses.replace(kind, alone=counted)

    counted = tuple(counting(kind) for kind in kinds.KINDS)
    monkeypatch.setattr(kinds, "KINDS", counted)
    monkeypatch.setattr(kinds, "BY_NAME", {kind.name: kind for kind in counted})
    return urls


def test_a_story_edited_makes_the_pages_of_its_org_and_members_alone(
    root: Path, tmp_path: Path, alone: list[str]
) -> None:
    out = tmp_path / "site"
    make(root, out)
    assert alone == []
    for n in (1, 2):
        (path,) = story_body(root, n)
        data = SiteData(validate(root).registry, datetime.date(2026, 12, 1))
        (story,) = [s for s in data.reg.all("story") if (root / s.file) == path]
        named = {p.id for p in data.public_members} & set(story.get("members", []))
        expected = {f"orgs/{story['org']}/"} | {f"members/{m}/" for m in named}
        alone.clear()
        make(root, out)
        assert sorted(alone) == sorted(expected)
    # a story moved to an org that had none: the page of the org it left and of the one it joined, made alone
    reg = validate(root).registry
    story = reg.all("story")[0]
    bare = sorted(set(reg.orgs) - {s["org"] for s in reg.all("story")})[0]
    path = root / story.file
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"org: {story['org']}\n", f"org: {bare}\n", 1), encoding="utf-8")
    alone.clear()
    make(root, out)
    assert {f"orgs/{story['org']}/", f"orgs/{bare}/"} <= set(alone) and not any(u.startswith("stories/") for u in alone)
    make(root, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_an_org_page_made_alone_reads_its_report_years_not_the_reports_index(
    root: Path, tmp_path: Path, alone: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A story edited makes its org's page alone, which links the org's reports by year: it reads those years, kept
    apart (`reports.report_years`), and neither makes nor unpickles the reports' whole index."""
    out = tmp_path / "site"
    make(root, out)
    index: list[str] = []
    restored, made_index = reports_module.restored, reports_module.Reports
    with monkeypatch.context() as patched:
        patched.setattr(reports_module, "restored", lambda *args: index.append("restored") or restored(*args))
        patched.setattr(reports_module, "Reports", lambda *args: index.append("made") or made_index(*args))
        story_body(root, 1)
        alone.clear()
        make(root, out)
    assert any(url.startswith("orgs/") for url in alone) and index == []
    make(root, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_kept_page_tampered_with_in_the_output_is_made_again(
    root: Path, tmp_path: Path, made: Counter, alone: list[str], no_prekeep: None
) -> None:
    out = tmp_path / "site"
    first = make(root, out)
    page = sorted(out.glob("orgs/*/20*/index.html"))[0]  # a yearly report: a kept kind's page
    text = page.read_text(encoding="utf-8")
    page.unlink()  # not through the link a previous build may share with it
    page.write_text(text.replace("</h1>", "</h1><p>有人改了输出</p>", 1), encoding="utf-8")
    made.clear()
    alone.clear()
    again = make(root, out)
    assert made["report"] == 0 and alone == [page.parent.relative_to(out).as_posix() + "/"]  # kept, that one made
    assert again.reused == first.pages - 1
    assert "有人改了输出" not in page.read_text(encoding="utf-8")
    make(root, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_page_whose_revisions_changed_is_made_again(
    root: Path, tmp_path: Path, made: Counter, alone: list[str]
) -> None:
    out = tmp_path / "site"
    project = sorted((root / "registry" / "projects").rglob("*.yaml"))[0].relative_to(root).as_posix()
    pages = [f"projects/{p.id}/" for p in validate(root).registry.all("project") if p.file == project]
    make(root, out)
    made.clear()
    commit = Revision("a" * 40, datetime.date(2026, 5, 1), "更新项目进度", (project,))
    history = History([commit])
    make(root, out, history)
    assert made["project"] == 0 and made["report"] == 0 and alone == pages  # its page shows the commit now, alone
    assert "更新项目进度" in (out / pages[0] / "index.html").read_text(encoding="utf-8")
    make(root, tmp_path / "cold", history, cold=True)
    assert_same_tree(out, tmp_path / "cold")
    alone.clear()
    make(root, out, History([dataclasses.replace(commit, subject="另一说明")]))
    assert alone == pages  # the same commit shown otherwise (a subject cleared of a name): made again


def test_the_photos_are_in_the_key_of_a_kind_that_shows_them(tmp_path: Path) -> None:
    copy = tmp_path / "root"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".git", "site", ".venv", "node_modules"))
    reg = validate(copy).registry
    today = datetime.date(2026, 12, 1)
    showing = [kind.reads for kind in kinds.KINDS if kind.reads is not None and kind.reads.assets]
    blind = [kind.reads for kind in kinds.KINDS if kind.reads is not None and not kind.reads.assets]
    assert showing and blind
    before = {a.name: kept.key(reg, a, today) for a in showing + blind}
    photo = sorted(p for p in (copy / "content" / "assets").rglob("*") if p.suffix in (".jpg", ".png", ".webp"))[0]
    photo.write_bytes(photo.read_bytes())  # the same bytes written again: another modification time
    after = {a.name: kept.key(reg, a, today) for a in showing + blind}
    assert all(after[a.name] != before[a.name] for a in showing)
    assert all(after[a.name] == before[a.name] for a in blind)


def test_a_kind_that_does_not_declare_the_photos_never_reads_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(data: SiteData) -> images.Photos:
        raise AssertionError("a photo read by a kind that does not declare them")

    data = SiteData(validate(REPO).registry, datetime.date(2026, 12, 1))
    monkeypatch.setattr(images, "photos_of", refused)
    for kind in kinds.KINDS:
        if kind.reads is not None and not kind.reads.assets:
            list(kind.pages(data))


def test_a_secretary_made_private_leaves_their_org_s_kept_page_without_their_name(
    root: Path, tmp_path: Path, made: Counter, alone: list[str]
) -> None:
    """Org pages read their secretary page by page (the figures' part): a secretary made private makes that org's
    page alone, without the name; the kind's other pages stay kept, and the site is a cold build's."""
    out = tmp_path / "site"
    make(root, out)
    make(root, out)
    reg = validate(root).registry
    named = "".join(p.read_text(encoding="utf-8") for p in (root / "content").rglob("*.md"))
    org = next(
        o
        for o in sorted(reg.orgs.values(), key=lambda o: o.id)
        if o.get("secretary")
        and o["secretary"] in reg.members
        and o["secretary"] not in named
        and reg.members[o["secretary"]].get("public", True) is not False
    )
    secretary = reg.members[org["secretary"]]
    assert secretary["name"] in (out / "orgs" / org.id / "index.html").read_text(encoding="utf-8")
    path = root / secretary.file
    rows = yaml.safe_load(path.read_bytes())
    for row in rows:
        if row["id"] == secretary.id:
            row["public"] = False
    path.write_text(emit(rows), encoding="utf-8")
    made.clear()
    alone.clear()
    make(root, out)
    assert made["org"] == 0 and f"orgs/{org.id}/" in alone
    assert secretary["name"] not in (out / "orgs" / org.id / "index.html").read_text(encoding="utf-8")
    make(root, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_an_org_s_summary_edited_makes_its_own_page_alone_and_no_other_kind(
    root: Path, tmp_path: Path, made: Counter, alone: list[str]
) -> None:
    """An org page reads its own record whole page by page (`org.own_records`) and every other page shows an org as
    a `data.OrgView`: an org's summary edited makes that org's page alone, no kept kind's pages are made, and the site
    is a cold build's (the new summary on the page)."""
    out = tmp_path / "site"
    make(root, out)
    make(root, out)
    reg = validate(root).registry
    org = next(o for o in sorted(reg.orgs.values(), key=lambda o: o.id) if o.get("summary") and reg.children.get(o.id))
    path = root / org.file
    text = path.read_text(encoding="utf-8")
    assert "summary: " in text
    path.write_text(text.replace("summary: ", "summary: 本支部新近修订了议事规则。", 1), encoding="utf-8")
    made.clear()
    alone.clear()
    make(root, out)
    kept = {kind.name for kind in kinds.KINDS if kind.reads is not None}  # the others are made at every build
    assert {"org", "activity", "project", "member", "report", "venue"} <= kept and not set(made) & kept, made
    assert alone == [f"orgs/{org.id}/"]
    assert "本支部新近修订了议事规则" in (out / "orgs" / org.id / "index.html").read_text(encoding="utf-8")
    make(root, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_an_org_renamed_makes_the_pages_showing_it_alone_and_the_site_a_cold_build_s(
    root: Path, tmp_path: Path, made: Counter, alone: list[str]
) -> None:
    """Pages of other records show an org as a `data.OrgView`, whose name they read as a lookup (`data.NAMES`): an org
    renamed keeps the org, member, activity, project and report kinds (no page list made), makes alone its own two
    pages and each page of those kinds that showed its name (the org above it, its members', the months of its
    activities, its reports, titled with its name: `incremental.made_noting`), and the site is a cold build's, the
    new name on them."""
    out = tmp_path / "site"
    make(root, out)
    make(root, out)
    reg = validate(root).registry
    member = next(
        m for _, m in sorted(reg.members.items()) if is_public(m) and reg.orgs[m["org"]].get("parent") in reg.orgs
    )
    org = reg.orgs[member["org"]]
    parent = org["parent"]  # its page lists its children by name
    path = root / org.file
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^name: .*$", "name: 改了名的党委", text, count=1, flags=re.MULTILINE), encoding="utf-8")
    assert validate(root).registry.orgs[org.id]["name"] == "改了名的党委"
    made.clear()
    alone.clear()
    make(root, out)
    assert made["org"] == made["member"] == made["activity"] == made["project"] == made["report"] == 0, made
    reports = {f"orgs/{org.id}/{path.name}/" for path in (out / "orgs" / org.id).iterdir() if path.name.isdigit()}
    assert reports and reports <= set(alone)  # titled with its name: made alone
    assert {f"orgs/{org.id}/", f"orgs/{org.id}/activities/", f"orgs/{parent}/", f"members/{member.id}/"} <= set(alone)
    months = {a["date"].strftime("activities/%Y-%m/") for a in reg.all("activity") if a.get("org") == org.id}
    assert months and months <= set(alone)  # the months listing its activities, each made alone
    assert len(alone) == len(set(alone))
    for page in (f"orgs/{org.id}/", f"orgs/{parent}/", f"members/{member.id}/", "orgs/", *reports):
        assert "改了名的党委" in (out / page / "index.html").read_text(encoding="utf-8"), page
    make(root, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


def test_a_points_entry_makes_alone_the_page_of_its_member_and_no_other_member_s(
    root: Path, tmp_path: Path, made: Counter, alone: list[str]
) -> None:
    """A member page reads the ledger, the results, the schemes, the rule book and the notes page by page (its stars
    and duty record: `member.VIEWS_READ`): a points entry for a public member makes their page alone, with its new
    duty record, and no other member's page; the kind stays kept, and the site is a cold build's."""
    out = tmp_path / "site"
    make(root, out)
    make(root, out)
    reg = validate(root).registry
    public = {m.id for m in reg.all("member") if is_public(m) and m.get("status") == "正式党员"}
    ledgers = sorted((root / "registry/points/ledger").rglob("*.yaml"))
    path, member = next(
        (p, e["member"]) for p in ledgers for e in yaml.safe_load(p.read_bytes()) if e["member"] in public
    )
    page = out / "members" / member / "index.html"
    before = page.read_bytes()
    path.write_text(path.read_text("utf-8") + f"- member: {member}\n  date: 2026-05-11\n  rule: volunteer\n", "utf-8")
    made.clear()
    alone.clear()
    make(root, out)
    assert made["member"] == 0, made
    assert [url for url in alone if url.startswith("members/")] == [f"members/{member}/"]
    assert page.read_bytes() != before  # its duty record counts the entry
    make(root, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo registry (report years over two years, and 人次 shown where five or more are members),
    with its own cache and a fixed day."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))
    copy = tmp_path / "demo"
    for folder in ("registry", "content"):
        shutil.copytree(REPO / folder, copy / folder)
    shutil.copy(REPO / "mkdocs.yml", copy / "mkdocs.yml")
    return copy


def _no_headcount(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports_module.Reports, "headcount_shown", lambda self, org_id, year: False)


def _scored_a_year_later(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = SiteData.shown_stats

    def later(self: SiteData, org_id: str) -> dict:
        stats = shown(self, org_id)
        return {**stats, "year": stats["year"] + 1} if isinstance(stats.get("year"), int) else stats

    monkeypatch.setattr(SiteData, "shown_stats", later)


@pytest.mark.parametrize("counting", [_no_headcount, _scored_a_year_later])
def test_what_a_report_reads_of_the_counting_changed_makes_its_page_again(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: Counter, counting
) -> None:
    """A report page reads the counting page by page (`report.counted`): whether its year's 人次 is shown (the counts
    over time, which weigh what suppression publishes) and the year its org's published average score is of (which
    the reports of the other years name). The counting changed so beside a points entry in a year already reported
    (here by hand: a points entry seldom moves what suppression publishes) makes those pages again, the kind's other
    pages kept, and the site is a cold build's."""
    out = tmp_path / "site"
    make(demo, out)
    make(demo, out)
    counting(monkeypatch)
    path = sorted((demo / "registry/points/ledger").rglob("*.yaml"))[0]
    member = yaml.safe_load(path.read_bytes())[0]["member"]
    path.write_text(path.read_text("utf-8") + f"- member: {member}\n  date: 2015-05-11\n  rule: volunteer\n", "utf-8")
    made.clear()
    make(demo, out)
    assert made["report"] == 0, made
    make(demo, tmp_path / "cold", cold=True)
    assert_same_tree(out, tmp_path / "cold")
