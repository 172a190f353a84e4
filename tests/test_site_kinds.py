"""The site's kind modules (`dangjian.site.kinds`): each kind's site-side code in one module, all of them
in `KINDS`, and every page the build writes made by one of them."""

from __future__ import annotations

import datetime
import importlib
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import REPO
from site_helpers import article, build_site
from dangjian.site import kinds
from dangjian.site.data import SiteData
from dangjian.site.kinds import BY_NAME, KINDS, SiteKind, SitePage
from dangjian.site.kinds.home import CHANGES
from dangjian.site.kinds.org import org_page
from dangjian.validate import validate

KINDS_DIR = Path(kinds.__file__).parent
NOT_KINDS = {"__init__", "base"}  # the registry and the shapes, not kinds
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def kind_modules(folder: Path) -> set[str]:
    """The kind modules in `folder`: every Python module but the package's own and base.py."""
    return {path.stem for path in folder.glob("*.py")} - NOT_KINDS


def registry_problems(folder: Path, registered: tuple[SiteKind, ...]) -> list[str]:
    """What is out of step between the kind modules in `folder` and the kinds the build iterates."""
    names = [kind.name for kind in registered]
    problems = [f"{name}.py is not in KINDS" for name in sorted(kind_modules(folder) - set(names))]
    problems += [f"KINDS names {name}, which has no module" for name in sorted(set(names) - kind_modules(folder))]
    problems += [f"{name} is in KINDS twice" for name in sorted({n for n in names if names.count(n) > 1})]
    return problems


def test_every_kind_module_is_iterated_by_the_build_and_every_kind_has_a_module():
    assert registry_problems(KINDS_DIR, KINDS) == []
    for kind in KINDS:  # KIND of module x is named x: the registry holds each module's own declaration
        assert importlib.import_module(f"dangjian.site.kinds.{kind.name}").KIND is kind


def test_a_kind_module_left_out_of_the_registry_is_found(tmp_path):
    for name in (*kind_modules(KINDS_DIR), "base", "__init__", "medal"):
        (tmp_path / f"{name}.py").write_text("", encoding="utf-8")
    assert registry_problems(tmp_path, KINDS) == ["medal.py is not in KINDS"]
    (tmp_path / "medal.py").unlink()
    (tmp_path / "story.py").unlink()
    assert registry_problems(tmp_path, KINDS) == ["KINDS names story, which has no module"]
    assert registry_problems(KINDS_DIR, (*KINDS, BY_NAME["org"])) == ["org is in KINDS twice"]


def owners(url: str) -> list[str]:
    """The kinds whose address patterns match `url` whole."""
    return [kind.name for kind in KINDS if any(re.fullmatch(pattern, url) for pattern in kind.urls)]


@pytest.fixture(scope="module")
def paged(tmp_path_factory) -> Path:
    """The demo built with long lists cut short, so that every kind of page (a year's projects, a month's
    second page) is written."""
    from dangjian.site.kinds import activity, project

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(project, "PROJECTS_ON_ONE_PAGE", 2)
        patch.setattr(activity, "ACTIVITIES_ON_ONE_PAGE", 1)
        return build_site(REPO, tmp_path_factory.mktemp("paged") / "site")


def test_every_page_the_build_writes_comes_from_a_kind_module(paged):
    written = sorted(str(p.parent.relative_to(paged)) + "/" for p in paged.rglob("index.html"))
    written = ["" if url == "./" else url for url in written]
    assert any(url.startswith("projects/by-year/") for url in written)
    assert any(re.fullmatch(r"activities/\d{4}-\d{2}/2/", url) for url in written)
    for url in written:
        found = owners(url)
        # A free page's address is any one folder: it shares its pattern with the sections' own lists.
        assert found and (len(found) == 1 or found[-1] == "page"), (url, found)


def test_each_kind_makes_pages_at_its_own_addresses_only_and_the_site_lists_them_in_the_kinds_order(paged):
    from dangjian.site.kinds import activity, project

    data = SiteData(validate(REPO).registry, datetime.date(2026, 1, 1))
    made: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(project, "PROJECTS_ON_ONE_PAGE", 2)
        patch.setattr(activity, "ACTIVITIES_ON_ONE_PAGE", 1)
        for kind in KINDS:
            urls = [page.url for page in kind.pages(data)]
            assert urls, kind.name  # the demo has records of every kind
            for url in urls:
                assert any(re.fullmatch(pattern, url) for pattern in kind.urls), (kind.name, url)
            made += urls
    assert len(made) == len(set(made))  # no two pages at one address
    sitemap = ElementTree.parse(paged / "sitemap.xml").getroot()
    listed = [loc.text.removeprefix(data.settings.get("base_url") or "/") for loc in sitemap.iter(SITEMAP + "loc")]
    assert listed == [*made, CHANGES]


def test_what_the_site_indexes_by_org_brand_and_member_is_what_each_record_names():
    data = SiteData(validate(REPO).registry, datetime.date(2026, 1, 1))
    for org_id in data.reg.orgs:
        own = data.by_org.get(org_id, {})
        assert own.get("projects", []) == [p for p in data.projects if p.get("org") == org_id]
        assert own.get("stories", []) == [s for s in data.stories if s.get("org") == org_id]
        assert own.get("activities", []) == [a for a in data.activities if a.get("org") == org_id]
    for brand in data.brands:
        linked = data.by_brand.get(brand.id, {})
        assert linked.get("projects", []) == [p for p in data.projects if p.get("brand") == brand.id]
        assert linked.get("orgs", []) == [o for o in data.listed("org") if o.get("brand") == brand.id]
    for member_id in data.reg.members:
        mine = data.by_member.get(member_id, {})
        named = [p for p in data.projects if member_id in (p.get("lead"), *p.get("team", []))]
        assert mine.get("projects", []) == named
        assert mine.get("stories", []) == [s for s in data.stories if member_id in s.get("members", [])]
    assert any(data.by_member.values()) and any(data.by_brand.values()) and any(data.by_org.values())


@pytest.mark.parametrize(
    "first",
    [
        "dangjian.site.data",
        "dangjian.site.pages",
        "dangjian.site.build",
        "dangjian.site.exports",
        "dangjian.site.withheld",
    ]
    + [f"dangjian.site.kinds.{kind.name}" for kind in KINDS],
)
def test_any_site_module_can_be_imported_first(first):
    """data.py imports the kinds: a kind module that imported data.py back would fail when loaded first."""
    subprocess.run([sys.executable, "-c", f"import {first}"], check=True, cwd=REPO)


def test_a_new_kind_is_one_module_added_to_kinds(registry, tmp_path, monkeypatch):
    """What a kind module declares reaches every part of the build with no other site module changed: its
    pages (in the sitemap, in the kinds' order), its nav entry, its Jinja filters, its files and its links."""
    from dangjian.site import build as build_module
    from dangjian.site.kinds.base import section

    def pages(data: SiteData):
        for org in data.listed("org"):
            activities = data.linked("echo").get(org.id, {}).get("echoes", [])
            yield SitePage(
                f"echo/{org.id}/", f"回声 {org['name']}", "org_activities.html", {"org": org, "activities": activities}
            )

    echo = SiteKind(
        name="echo",
        urls=(r"echo/[^/]+/",),
        pages=pages,
        record="activity",  # the registry's activities again, under a second kind (a registry has no "echo")
        plural="echoes",
        listed=lambda reg: sorted(reg.all("activity"), key=lambda a: a.id),
        links={"echo": lambda a: [a["org"]], "org": lambda a: [a["org"]]},
        nav=section("回声", "echo/town/"),
        filters={"echo_mark": lambda text: f"（{text}）"},
        files=lambda data, changed: {"echo/count.txt": str(len(data.listed("org"))).encode()},
    )
    monkeypatch.setattr(kinds, "KINDS", (*KINDS[:-2], echo, *KINDS[-2:]))  # before api/ and the free pages
    root = registry()
    site = build_module.build(root, tmp_path / "site", with_search=False).out
    data = SiteData(validate(root).registry, datetime.date(2026, 1, 1))
    orgs = sorted(data.reg.orgs)
    assert (site / "echo/count.txt").read_text(encoding="utf-8") == str(len(orgs))
    sitemap = [loc.text for loc in ElementTree.parse(site / "sitemap.xml").getroot().iter(SITEMAP + "loc")]
    echoes = [url for url in sitemap if "/echo/" in url]
    assert echoes == [f"https://example.org/echo/{org_id}/" for org_id in orgs]
    assert sitemap.index(echoes[-1]) < sitemap.index("https://example.org/api/")  # where KINDS puts it
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "回声" in home and 'href="echo/town/"' in home
    east, town = (article(site, f"echo/{org_id}/") for org_id in ("east", "town"))
    assert "集中学习" in east.get_text() and "还没有登记活动" in town.get_text()  # each org's own, through its link
    assert build_module.content_environment(data).filters["echo_mark"]("回声") == "（回声）"
    # An org's page hands its template the new kind's records too (org.html would list them)
    assert [a.id for a in org_page(data, "east").context["linked"]["echoes"]] == ["east-2026-01-10"]
