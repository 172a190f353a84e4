"""The duty record (履责证) on the site: read on a public member's page as a reader does; private members' notes and
the ledger's internal notes published nowhere; no private member's score given away by difference."""

from __future__ import annotations

import datetime
import itertools
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import REPO
from reading import tables
from site_helpers import SEARCH_ENGINES, build_site, every_text, index_scanned
from dangjian.duty import DutyBook
from dangjian.figures import shown
from dangjian.model import is_public, is_scored
from dangjian.site import duty as site_duty
from dangjian.validate import validate


def _page(site: Path, url: str) -> BeautifulSoup:
    return BeautifulSoup((site / url / "index.html").read_text(encoding="utf-8"), "html.parser")


def _duty_tables(soup: BeautifulSoup) -> dict[str, object]:
    section = soup.select_one("section.dj-duty")
    return {} if section is None else {t.label: t for t in tables(section)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("demo") / "root"
    for part in ("registry", "content"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root, build_site(root, root.parent / "site")


def test_a_public_members_year_reads_under_its_headings(demo: tuple[Path, Path]) -> None:
    _, site = demo
    found = _duty_tables(_page(site, "members/m-xue-bingkun"))
    rules = {row["积分规则"]: row for row in found["2009 年度各项积分"].rows}
    assert rules["志愿服务"]["次数"] == "7" and rules["志愿服务"]["小计"] == "14"
    assert rules["志愿服务"]["年度上限"] == "12" and rules["志愿服务"]["计入"] == "12 已封顶"
    assert rules["逾期缴纳党费"]["每次"] == "-2" and rules["逾期缴纳党费"]["计入"] == "-2"
    summary = found["2009 年度得分"].facts
    assert summary["基础分"] == "60" and summary["年度得分"].startswith("85") and summary["星级"].endswith("4 星")
    events = found["2009 年度积分事项"].rows
    assert {"日期": "2009-10-24", "事项": "积分登记", "积分规则": "志愿服务", "分数": "2"} in events
    notes = _page(site, "members/m-xue-bingkun").select(".dj-duty__notes li")
    assert any("第一次夜间巡逻" in li.get_text() for li in notes)


def test_every_public_page_shows_what_the_duty_book_computes(demo: tuple[Path, Path]) -> None:
    root, site = demo
    reg = validate(root).registry
    duties = DutyBook(reg)
    checked = 0
    for member_id, member in reg.members.items():
        if not is_public(member):
            continue
        found = _duty_tables(_page(site, f"members/{member_id}"))
        for year in duties.years(member_id):
            summary = found.get(f"{year} 年度得分")
            if summary is None:  # withheld: then nothing of that year's figures is on the page
                assert not any(str(year) in label for label in found), (member_id, year)
                continue
            record = duties.record(member_id, year)
            assert summary.facts["年度得分"].split("（")[0].strip() == shown(record.total), (member_id, year)
            rows = found[f"{year} 年度各项积分"].rows
            assert [(r["积分规则"], r["次数"], r["计入"].split()[0]) for r in rows] == [
                (line.name, str(line.times), shown(line.counted)) for line in record.lines
            ]
            checked += 1
    assert checked > 20


LEDGER_SECRET = "账簿内部说明甲七"
PRIVATE_NOTE = "私人手记乙九号"
PUBLIC_NOTE = "公开手记丙三号"


@pytest.mark.parametrize("engine", SEARCH_ENGINES)
def test_private_notes_and_ledger_notes_are_published_nowhere(registry, tmp_path: Path, engine: str) -> None:
    root = registry(
        {
            "registry/points/ledger/notes.yaml": (
                f"- member: m-east-sec\n  date: 2026-03-01\n  rule: activity\n  note: {LEDGER_SECRET}\n"
            ),
            "registry/points/notes/east.yaml": (
                f"- member: m-east-a\n  date: 2026-03-02\n  title: {PRIVATE_NOTE}\n  text: {PRIVATE_NOTE}的正文\n"
                f"- member: m-east-sec\n  date: 2026-03-03\n  text: {PUBLIC_NOTE}\n"
            ),
        }
    )
    site = build_site(root, tmp_path / "site", search=True, engine=engine)
    texts = dict(every_text(site))
    assert index_scanned(texts), "the search index was scanned"
    assert [p for p, t in texts.items() if PUBLIC_NOTE in t and p.startswith("members/")], "the test can fail"
    for secret in (PRIVATE_NOTE, LEDGER_SECRET):
        assert [p for p, t in texts.items() if secret in t] == [], secret


# --- by difference -----------------------------------------------------------------------------------------

NORTH_ORG = "id: north\nname: 北村党支部\nkind: 党支部\nparent: town\ndomain: 农村\n"
NORTH = ["m-north-1", "m-north-2", "m-north-3", "m-north-4", "m-north-5"]


def _north(registry) -> Path:
    """An org of five scored members, four of them public, under the minimal town: the town's average less the
    public scores would give the private ones away (north's own average is withheld by suppression)."""
    roster = "".join(
        f"- id: {m}\n  name: 北{n}号\n  org: north\n  status: 正式党员\n  joined: 2000-01-01\n"
        + ("  public: true\n" if n < 5 else "")
        for n, m in enumerate(NORTH, 1)
    )
    ledger = "".join(
        f"- member: {m}\n  date: 2026-0{k}-01\n  rule: activity\n"
        for n, m in enumerate(NORTH, 1)
        for k in range(1, n + 1)
    )
    return registry(
        {
            "registry/orgs/north.yaml": NORTH_ORG,
            "registry/members/north.yaml": roster,
            "registry/points/ledger/north.yaml": ledger,
        }
    )


def _average(site: Path, org_id: str, year: int) -> str | None:
    """The org page's average score of `year` when it shows a number (not 少于5人 or —)."""
    for stat in _page(site, f"orgs/{org_id}").select(".dj-stat"):
        label, value = stat.select_one(".dj-stat__label"), stat.select_one(".dj-stat__value")
        if label is not None and value is not None and label.get_text(strip=True) == f"{year} 年平均积分":
            number = value.get_text(strip=True)
            return number if number.replace(".", "", 1).isdigit() else None
    return None


def _given_away(root: Path, site: Path, year: int) -> list[tuple[str, int]]:
    """(unit, n) for each set of 1–4 scored members whose sum of scores a reader gets from the pages: a published
    average less the scores shown on public members' pages, at each org and between an org and a child."""
    reg = validate(root).registry
    shown_total: dict[str, str] = {}
    for member_id, member in reg.members.items():
        if is_public(member) and (site / "members" / member_id).exists():
            facts = _duty_tables(_page(site, f"members/{member_id}")).get(f"{year} 年度得分")
            if facts is not None:
                shown_total[member_id] = facts.facts["年度得分"]
    averaged = []
    for org_id in reg.orgs:
        if _average(site, org_id, year) is not None:
            averaged.append(org_id)

    def unknown(org_id: str) -> set[str]:
        below = {org_id, *reg.descendants(org_id)}
        return {m for m, r in reg.members.items() if is_scored(r) and r.get("org") in below and m not in shown_total}

    found = [(org, len(unknown(org))) for org in averaged]
    found += [(f"{p}-{c}", len(unknown(p) - unknown(c))) for p in averaged for c in averaged if c in reg.descendants(p)]
    return [(unit, n) for unit, n in found if 0 < n < 5]


def test_no_private_score_is_given_away_by_difference(registry, tmp_path: Path) -> None:
    root = _north(registry)
    site = build_site(root, tmp_path / "site")
    assert _average(site, "town", 2026) is not None, "an average over the north's members is published"
    assert _given_away(root, site, 2026) == []
    assert "本年度的积分明细不在网站上公布" in _page(site, "members/m-north-1").get_text()


def test_without_the_guard_the_fifth_score_is_given_away(registry, tmp_path: Path, monkeypatch) -> None:
    """What the guard prevents: four public scores and the average name the private member's score."""
    monkeypatch.setattr(site_duty, "_withheld", lambda data, year: frozenset())
    root = _north(registry)
    site = build_site(root, tmp_path / "site")
    assert ("town", 3) in _given_away(root, site, 2026)  # m-east-a, m-west-sec (no events: no record), m-north-5


# --- the guard against any reader's arithmetic ------------------------------------------------------------


class _Published:
    """The part of SiteData the guard reads, over a registry built in memory."""

    def __init__(self, reg, published: set[str]) -> None:
        from dangjian.parts import Parts
        from dangjian.scores import ScoreBook

        self.reg = reg
        self.scores = ScoreBook(reg)
        self.rolls = self.scores.rolls  # SiteData's rolls are its score book's
        self.parts = Parts()  # nothing kept
        self.disclosure = type("Outcome", (), {"published": {(org, ("average", 2026)) for org in published}})()

    ranked: tuple = ()  # no ranking

    @property
    def public_members(self) -> list:
        from types import SimpleNamespace

        from dangjian.model import is_public

        return [SimpleNamespace(id=m) for m in sorted(self.reg.members) if is_public(self.reg.members[m])]


@st.composite
def _registries(draw: st.DrawFn):
    from dangjian.load import Record
    from dangjian.model import Registry

    def record(kind: str, data: dict) -> Record:
        return Record(kind, data, f"{kind}.yaml", (), None)  # type: ignore[arg-type]

    count = draw(st.integers(1, 6))
    orgs = [f"o{n}" for n in range(count)]
    records = [record("rulebook", {"base": 60, "cap": 100, "rules": [{"id": "r", "name": "r", "points": 1}]})]
    for n, org in enumerate(orgs):
        data = {"id": org, "name": org}
        if n:
            data["parent"] = orgs[draw(st.integers(0, n - 1))]
        records.append(record("org", data))
    people = draw(st.lists(st.tuples(st.sampled_from(orgs), st.booleans()), max_size=24))
    for n, (org, public) in enumerate(people):
        member = f"m-{n}"
        records.append(
            record(
                "member",
                {
                    "id": member,
                    "name": member,
                    "org": org,
                    "status": "正式党员",
                    "joined": datetime.date(2000, 1, 1),
                    "public": public,
                },
            )
        )
        records.append(record("ledger", {"member": member, "date": datetime.date(2026, 3, 1), "rule": "r"}))
    published = draw(st.sets(st.sampled_from(orgs)))
    return Registry.build(Path("."), records), published


@settings(max_examples=150, deadline=None)
@given(_registries())
def test_no_sum_of_published_figures_isolates_one_to_four_unknown_scores(case) -> None:
    """Brute force, independent of the guard's regions: every combination of the published averages' totals
    with coefficients -1, 0 or 1, less the shown scores, must not add up the scores of 1–4 unknown members."""
    reg, published = case
    units = sorted(published)
    below = {org: {org, *reg.descendants(org)} for org in units}
    # What suppression guarantees before any score is shown: no published count isolates 1–4 members
    assume(not _isolated(reg, units, below, sorted(reg.members)))
    withheld = site_duty.withheld_years(_Published(reg, published), 2026)
    shown = {m for m, r in reg.members.items() if is_public(r)} - withheld
    unknown = sorted(m for m in reg.members if m not in shown)
    assert _isolated(reg, units, below, unknown) == []


def _isolated(reg, units: list[str], below: dict[str, set[str]], members: list[str]) -> list[tuple]:
    """The combinations of the units' member sets (coefficients -1, 0, 1) that count 1–4 of `members`."""
    vectors = [[1 if reg.members[m]["org"] in below[u] else 0 for m in members] for u in units]
    found = []
    for coefficients in itertools.product((-1, 0, 1), repeat=len(units)):
        total = [sum(c * v[i] for c, v in zip(coefficients, vectors)) for i in range(len(members))]
        if all(x in (0, 1) for x in total) and 0 < sum(total) < 5:
            found.append(coefficients)
    return found
