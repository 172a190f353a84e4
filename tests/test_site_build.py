"""`dangjian build` on the demo: every page kind at its stable address, checked structurally."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import MINIMAL, REPO
from site_helpers import article, build_site, page
from dangjian.site.build import InvalidRegistry, build


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return build_site(REPO, tmp_path_factory.mktemp("demo") / "site")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "orgs/",
        "orgs/caota-shangyu/",
        "orgs/caota-shangyu/activities/",
        "members/m-yang-weigen/",
        "brands/",
        "brands/qicai/",
        "projects/",
        "rankings/",
        "rankings/caota-villages/",
        "rankings/caota-villages/2015-Q2/",
        "stories/",
        "activities/",
        "api/",
        "about/",
    ],
)
def test_page_kinds_exist_in_chinese(demo, url):
    soup = page(demo, url)
    assert soup.html["lang"].startswith("zh")
    assert soup.select_one("h1#dj-title").get_text(strip=True)
    assert soup.select_one('meta[name="viewport"]') is not None


def test_every_record_has_its_page(demo):
    from dangjian.validate import validate

    reg = validate(REPO).registry
    for org in reg.orgs:
        assert (demo / "orgs" / org / "index.html").is_file()
    for kind, folder in (("brand", "brands"), ("project", "projects")):
        for record in reg.all(kind):
            assert (demo / folder / record.id / "index.html").is_file()
    for story in reg.all("story"):
        assert (demo / "stories" / story.slug / "index.html").is_file()


def test_org_page_shows_pairing_in_both_directions(demo):
    weak = article(demo, "orgs/caota-shangyu/")
    assert weak.find("a", href="../../orgs/caota-longzhuli/") is not None
    assert "薄弱组织" in weak.get_text()
    benchmark = article(demo, "orgs/caota-longzhuli/")
    assert benchmark.find("a", href="../../orgs/caota-shangyu/") is not None


def test_org_page_has_breadcrumbs_rank_history_and_suppressed_small_figures(demo):
    body = article(demo, "orgs/caota-shangyu/")
    crumbs = [a.get_text() for a in body.select(".dj-crumbs a")]
    assert crumbs[-1] == "诸暨市草塔镇党委"
    ranks = [a.get_text() for a in body.select('a[href*="rankings/caota-villages/2015"]')]
    assert ranks == ["第 5 名", "第 3 名", "第 2 名"]
    assert "少于5人" in body.get_text()


def test_ranking_page_lists_rank_change_total_and_adjustments(demo):
    body = article(demo, "rankings/caota-villages/2015-Q2/")
    rows = body.select("tbody tr")
    first = [td.get_text(" ", strip=True) for td in rows[0].find_all("td")]
    assert (
        first[0].startswith("1") and first[2] == "龙珠里村党支部" and first[3] == "96.61"
    )  # total beside the name, for phones
    shangyu = next(r for r in rows if "上余村" in r.get_text())
    assert "▲2" in shangyu.get_text()
    assert "坚持每周二民情分析会" in body.get_text()


def test_ranking_history_has_an_inline_svg_chart(demo):
    body = article(demo, "rankings/caota-villages/")
    svg = body.select_one("svg.dj-chart")
    assert svg is not None and len(svg.select("circle")) == 15  # 5 villages × 3 periods


def test_project_page_has_timeline_progress_and_reviews(demo):
    from dangjian.validate import validate

    project = next(p for p in validate(REPO).registry.all("project") if p.get("milestones") and p.get("reviews"))
    body = article(demo, f"projects/{project.id}/")
    assert len(body.select(".dj-timeline li")) == len(project["milestones"])
    assert body.select_one('[role="progressbar"]') is not None
    assert len(body.select("table")[-1].select("tbody tr")) == len(project["reviews"])


def test_exports_are_valid_json_and_csv(demo):
    orgs = json.loads((demo / "api/orgs.json").read_text(encoding="utf-8"))
    assert {o["id"] for o in orgs} >= {"caota", "caota-shangyu"}
    ranking = json.loads((demo / "api/rankings/caota-villages/2015-Q2.json").read_text(encoding="utf-8"))
    assert [r["rank"] for r in ranking] == [1, 2, 3, 4, 5] and ranking[0]["total"] == 96.61
    assert (demo / "api/orgs.csv").read_bytes().startswith("\ufeffid,name".encode())


def test_sitemap_feed_and_404(demo):
    sitemap = (demo / "sitemap.xml").read_text(encoding="utf-8")
    assert "orgs/caota-shangyu/" in sitemap
    feed = (demo / "stories/feed.xml").read_text(encoding="utf-8")
    assert feed.count("<entry>") == len(list((REPO / "content/stories").glob("*.md")))
    assert "页面不存在" in (demo / "404.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("engine, index", [("own", "djsearch"), ("pagefind", "pagefind")])
def test_builds_are_reproducible(tmp_path, monkeypatch, engine, index):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first = build_site(MINIMAL, tmp_path / "a", search=True, engine=engine)
    second = build_site(MINIMAL, tmp_path / "b", search=True, engine=engine)
    assert (first / index).is_dir()
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def _left_beside(out: Path) -> list[str]:
    """What is beside the output: the staging area's entries (any other hidden name fails the test)."""
    hidden = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert hidden in ([], [".dangjian-staging"]), hidden
    return sorted(p.name for p in (out.parent / ".dangjian-staging").iterdir()) if hidden else []


def test_an_invalid_registry_builds_nothing_and_keeps_the_site(registry, tmp_path):
    root = registry()
    out = build_site(root, tmp_path / "site")
    before = (out / "index.html").read_bytes()
    (root / "registry/orgs/west.yaml").write_text("id: west\nname: [\n", encoding="utf-8")
    with pytest.raises(InvalidRegistry):
        build(root, out, with_search=False)
    assert (out / "index.html").read_bytes() == before
    assert _left_beside(out) in ([], ["site.kept"])  # at most the first build's kept folder (`output.prekeep`)


def test_a_failed_build_keeps_the_previous_site(registry, tmp_path, monkeypatch):
    root = registry()
    out = build_site(root, tmp_path / "site")
    listing = sorted(p.relative_to(out) for p in out.rglob("*"))
    from dangjian.site import build as build_module

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "export_files", broken)
    with pytest.raises(OSError):
        build(root, out, with_search=False)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == listing
    # it took the first build's kept folder (`output.prekeep`) as its staging folder: what it moved out of it is
    # removed by a detached process, and then nothing is left beside the site
    for _ in range(300):
        if [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []:
            break
        time.sleep(0.1)
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_a_build_leaves_nothing_frozen_out_of_the_collector_however_it_ends(registry, tmp_path, monkeypatch):
    """`serve` builds again and again in one process: what a build froze (`parallel.gc_paused`) is given back to the
    collector when it ends, having published or failed."""
    import gc

    root = registry()
    build(root, tmp_path / "site", with_search=True, search_engine="own")
    assert gc.get_freeze_count() == 0
    from dangjian.site import build as build_module

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "export_files", broken)
    with pytest.raises(OSError):
        build(root, tmp_path / "site", with_search=False)
    assert gc.get_freeze_count() == 0


def test_the_preview_survives_an_invalid_registry(registry, tmp_path):
    from dangjian.site.serve import rebuild

    root = registry()
    said: list[str] = []
    assert rebuild(root, tmp_path / "site", False, said.append)
    (root / "registry/orgs/west.yaml").write_text("id: west\n", encoding="utf-8")
    assert not rebuild(root, tmp_path / "site", False, said.append)
    assert any("缺少必填的键" in line for line in said)
    assert (tmp_path / "site/index.html").is_file()


def test_build_command_exit_codes(registry, tmp_path):
    import subprocess
    import sys

    dangjian = Path(sys.executable).parent / "dangjian"
    ok = subprocess.run(
        [str(dangjian), "build", "--root", str(MINIMAL), "--out", str(tmp_path / "ok"), "--no-search"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "✓ 已生成" in ok.stderr
    root = registry({"registry/orgs/west.yaml": "id: west\n"})
    bad = subprocess.run(
        [str(dangjian), "build", "--root", str(root), "--out", str(tmp_path / "bad")], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "registry/orgs/west.yaml:1:1:" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_a_rebuild_replaces_the_site_and_keeps_only_the_old_tree(registry, tmp_path):
    """The replaced site is kept for the next build to reuse (`output.KEPT`); nothing else is left beside the output."""
    import time

    from dangjian.site.output import KEPT, STAGING

    root = registry()
    out = build_site(root, tmp_path / "site")
    (root / "registry/orgs/west.yaml").write_text(
        (root / "registry/orgs/west.yaml").read_text(encoding="utf-8").replace("name: ", "name: 新", 1),
        encoding="utf-8",
    )
    build(root, out, with_search=False)
    assert "新" in (out / "orgs/west/index.html").read_text(encoding="utf-8")

    def left() -> list[str]:
        return sorted(p.name for p in (out.parent / STAGING).iterdir())

    for _ in range(300):  # what a build moved out is removed by a detached process
        if left() == ["site" + KEPT]:
            break
        time.sleep(0.1)
    assert left() == ["site" + KEPT]
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == [STAGING]


def test_no_source_maps_and_no_file_over_one_megabyte(registry, tmp_path):
    out = build_site(registry(), tmp_path / "site", search=True)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name.startswith("bundle.") and p.suffix == ".js" for p in files)
    assert [p.name for p in files if p.suffix == ".map"] == []
    assert not (out / "assets/javascripts/lunr").exists()  # Material's own search is not used
    assert max(p.stat().st_size for p in files) <= 1_000_000


def test_pages_rendered_on_every_core_match_pages_rendered_on_one(tmp_path, monkeypatch):
    """Pages rendered by forked workers, each renewed after a few pages, are the pages rendered in turn."""
    from dangjian import parallel as parallel_module
    from dangjian.site import build as build_module

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setattr(build_module, "_PARALLEL_FROM", 10**9)
    serial = build_site(REPO, tmp_path / "serial")
    monkeypatch.setattr(build_module, "_PARALLEL_FROM", 1)
    monkeypatch.setattr(build_module, "_CHUNK", 7)
    monkeypatch.setattr(build_module, "fork_workers", lambda items, minimum: 2)  # even on a one-core runner
    monkeypatch.setattr(parallel_module, "RENEW_ITEMS", 14)  # a worker renders two spans, then another takes its place
    pids = tmp_path / "pids"
    write = build_module._Renderer.write

    def logged(self, page, revisions):
        with pids.open("a") as log:
            log.write(f"{os.getpid()}\n")
        return write(self, page, revisions)

    monkeypatch.setattr(build_module._Renderer, "write", logged)
    reports = []
    build(REPO, tmp_path / "parallel", with_search=False, progress=lambda step, done, total: reports.append(done))
    parallel = tmp_path / "parallel"
    rendered = pids.read_text().split()
    assert str(os.getpid()) not in rendered and len(set(rendered)) >= len(rendered) // 14  # workers renewed
    files = sorted(p.relative_to(serial) for p in serial.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(parallel) for p in parallel.rglob("*") if p.is_file())
    for rel in files:
        assert (serial / rel).read_bytes() == (parallel / rel).read_bytes(), rel
    pages = sum(1 for rel in files if rel.name == "index.html" and rel.parts[0] != "admin")  # /admin/: the CMS's
    assert reports[-1] == pages and reports == sorted(reports)


def test_a_page_that_fails_in_a_worker_fails_the_build_and_keeps_the_site(registry, tmp_path, monkeypatch):
    from dangjian.site import build as build_module

    root = registry()
    out = build_site(root, tmp_path / "site")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    monkeypatch.setattr(build_module, "_PARALLEL_FROM", 1)
    monkeypatch.setattr(build_module, "fork_workers", lambda items, minimum: 2)

    def broken(self, page, revisions):
        raise OSError("disk full")

    monkeypatch.setattr(build_module._Renderer, "write", broken)
    with pytest.raises(OSError, match="disk full"):
        build(root, out, with_search=False, cold=True)  # cold: an incremental build would carry every page over
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert _left_beside(out) in ([], ["site.kept"])  # at most the first build's kept folder (`output.prekeep`)


@pytest.mark.parametrize(
    "engine, said, folder, entry",
    [(None, "own", "djsearch/", "meta.gz"), ("pagefind", None, "pagefind/", "pagefind.js")],
)
def test_a_site_built_alone_lists_its_own_search_bundle(tmp_path, engine, said, folder, entry):
    site = build_site(MINIMAL, tmp_path / "site", search=True, engine=engine)
    config = json.loads((site / "dangjian-search.json").read_text(encoding="utf-8"))
    assert config.get("engine") == said  # the default is the own index; a Pagefind site's config says nothing
    assert [bundle["bundle"] for bundle in config["bundles"]] == [folder]
    assert (site / config["bundles"][0]["bundle"] / entry).is_file()
    assert not (build_site(MINIMAL, tmp_path / "bare") / "dangjian-search.json").exists()


def test_a_long_project_list_is_split_by_year_into_short_pages(tmp_path, monkeypatch):
    from dangjian.site.kinds import project

    monkeypatch.setattr(project, "PROJECTS_ON_ONE_PAGE", 2)
    site = build_site(REPO, tmp_path / "site")
    projects = sorted(p.stem for p in (REPO / "registry/projects").rglob("*.yaml"))
    listed = []
    year_pages = sorted((site / "projects/by-year").rglob("index.html"))
    assert len(year_pages) > 1
    for path in year_pages:
        rows = page(site, str(path.parent.relative_to(site)) + "/").select("#dj-projects tbody tr a[href*='projects/']")
        assert 0 < len(rows) <= 2, path
        listed += [a["href"].rstrip("/").rsplit("/", 1)[-1] for a in rows]
        for link in page(site, str(path.parent.relative_to(site)) + "/").select(".dj-years a"):
            assert (path.parent / link["href"] / "index.html").resolve().is_file(), (path, link["href"])
    assert sorted(listed) == projects  # every project on exactly one page
    newest = max(int(p.name) for p in (site / "projects/by-year").iterdir())
    first = page(site, f"projects/by-year/{newest}/").select("#dj-projects tbody tr")
    assert [str(r) for r in page(site, "projects/").select("#dj-projects tbody tr")] == [
        str(r).replace('href="../../../', 'href="../') for r in first
    ]


def test_a_short_project_list_stays_on_one_page(demo):
    assert not (demo / "projects/by-year").exists()
    assert "按年份分页" not in page(demo, "projects/").get_text()


def test_a_large_org_tree_shows_its_upper_levels_and_every_org_stays_reachable(tmp_path, monkeypatch):
    from dangjian.site.kinds import org

    full = page(build_site(REPO, tmp_path / "full"), "orgs/")
    everyone = {a["href"] for a in full.select(".dj-tree a")}
    assert "只列出上面几级" not in full.get_text()
    monkeypatch.setattr(org, "ORGS_IN_TREE", 3)
    site = build_site(REPO, tmp_path / "cut")
    tree = page(site, "orgs/")
    shown = {a["href"] for a in tree.select(".dj-tree a")}
    assert "只列出上面几级" in tree.get_text() and shown < everyone
    assert any("下设" in kind.get_text() for kind in tree.select(".dj-leaf .dj-kind"))
    reached, todo = set(shown), [href.split("/")[-2] for href in shown]
    while todo:  # follow each org page's list of children
        for link in page(site, f"orgs/{todo.pop()}/").select("th:-soup-contains('下级组织') + td a"):
            org_id = link["href"].rstrip("/").split("/")[-1]
            if f"../orgs/{org_id}/" not in reached:
                reached.add(f"../orgs/{org_id}/")
                todo.append(org_id)
    assert reached == everyone


def test_a_busy_month_of_activities_is_split_into_short_pages(tmp_path, monkeypatch):
    from dangjian.site.kinds import activity

    whole = build_site(REPO, tmp_path / "whole")
    monkeypatch.setattr(activity, "ACTIVITIES_ON_ONE_PAGE", 1)
    site = build_site(REPO, tmp_path / "split")
    for month in sorted(p.parent.name for p in (whole / "activities").glob("*-*/index.html")):
        before = [
            li.get_text(" ", strip=True)
            for li in article(whole, f"activities/{month}/").select("ul.dj-timeline:not(.dj-planned) > li")
        ]
        after, n = [], 1
        while (site / "activities" / month / (f"{n}/" if n > 1 else "") / "index.html").is_file():
            url = f"activities/{month}/" + (f"{n}/" if n > 1 else "")
            body = article(site, url)
            for link in body.select("nav.dj-years a"):
                assert (site / url / link["href"] / "index.html").resolve().is_file(), (url, link["href"])
            after += [li.get_text(" ", strip=True) for li in body.select("ul.dj-timeline:not(.dj-planned) > li")]
            n += 1
        assert after == before and n - 1 == max(1, len(before)), month
