"""No output file over a limit (issue 23): large open-data tables in numbered parts, long lists in pages.

The limit is a parameter (`exports.PART_BYTES`, `story.STORIES_ON_ONE_PAGE`): the demo is built once as it is
and once with small limits, so its tables split and its lists page, and the two are compared. A city reaches
the real limits (`bench/scale.py`); these tests check the rules that make it stay under them.
"""

from __future__ import annotations

import re

import csv
import io
import json
import posixpath
import shutil
from pathlib import Path

import frictionless
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from reading import tables
from site_helpers import article, build_site, page

from dangjian.site import exports, popolo
from dangjian.site.kinds import story as story_kind
from dangjian.site.kinds import tag as tag_kind

SMALL_PART = 4_000  # bytes: the demo's orgs and projects tables are larger
FEW_STORIES = 2  # a page of the stories list


# --- a table in parts: the rule, for any rows and any limit -------------------------------------------------

CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    # registry text: no control character but the line break and tab (text.py turns \r into \n, refuses others)
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n\t"), max_size=40),
    st.lists(st.text('党支部,"\n；ab', max_size=6), max_size=3),
)
COLUMNS = ["id", "name", "note"]
ROW = st.tuples(*[CELL] * len(COLUMNS)).map(lambda cells: dict(zip(COLUMNS, cells)))  # a table's columns, in order
ROWS = st.lists(ROW, max_size=40)


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(exports.BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8").removeprefix("\ufeff"), newline="")))


def _parts(files: dict[str, bytes], name: str, suffix: str) -> list[bytes]:
    return [files[f"{part}.{suffix}"] for part in exports.parts_of(files, name)]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, limit=st.integers(40, 4_000))
def test_parts_hold_the_table_in_order_and_each_fits(rows, limit):
    whole_json, whole_csv = exports._json(rows), exports._csv(rows)
    files = exports.table_files("api/t", rows, limit)
    if len(whole_json) <= limit and len(whole_csv) <= limit or not rows:
        assert files == {"api/t.json": whole_json, "api/t.csv": whole_csv}  # a table that fits keeps its address
        return
    names = exports.parts_of(files, "api/t")
    if len(rows) == 1:  # one row larger than the limit: no smaller part can hold it
        assert names == ["api/t"]
        return
    assert len(names) > 1 and names == [f"api/t-part{n}" for n in range(1, len(names) + 1)]
    assert set(files) == {f"{n}.{ext}" for n in names for ext in ("json", "csv")}
    json_parts = [json.loads(data) for data in _parts(files, "api/t", "json")]
    csv_parts = [_csv_rows(data) for data in _parts(files, "api/t", "csv")]
    assert [row for part in json_parts for row in part] == json.loads(whole_json)  # the parts, in order, are it
    whole = _csv_rows(whole_csv)
    assert all(part[0] == whole[0] for part in csv_parts)  # every part has the header
    assert [row for part in csv_parts for row in part[1:]] == whole[1:]
    for json_part, csv_part, name in zip(json_parts, csv_parts, names):
        assert json_part and len(json_part) == len(csv_part) - 1  # the same rows in both formats
        if len(json_part) > 1:  # a row larger than the limit is a part of its own; any other part fits
            assert len(files[f"{name}.json"]) <= limit and len(files[f"{name}.csv"]) <= limit, name


@given(rows=ROWS, limit=st.integers(40, 2_000))
def test_a_part_is_written_as_the_whole_table_would_be(rows, limit):
    """Each part's bytes are what `_json`/`_csv` write for its run of rows: the format does not change."""
    files = exports.table_files("api/t", rows, limit)
    start = 0
    for name in exports.parts_of(files, "api/t"):
        run = rows[start : start + len(json.loads(files[f"{name}.json"]))]
        assert files[f"{name}.json"] == exports._json(run) and files[f"{name}.csv"] == exports._csv(run), name
        start += len(run)
    assert start == len(rows)


def test_the_split_is_made_once_a_build_and_a_kept_split_follows_the_limit(monkeypatch, tmp_path):
    from dangjian.site import datapackage, popolo
    from dangjian.site.data import SiteData
    from dangjian.validate import validate
    import datetime

    monkeypatch.setenv("DANGJIAN_CACHE", str(tmp_path / "cache"))  # the tables kept between builds (`kept`)

    def site() -> SiteData:
        return SiteData(validate(REPO).registry, datetime.date(2026, 1, 1), reuse=True)

    data = site()
    assert datapackage.export_files(data) is datapackage.export_files(data)
    assert "api/projects.json" in datapackage.export_files(data) and "api/popolo.json" in popolo.popolo_files(data)
    monkeypatch.setattr(exports, "PART_BYTES", SMALL_PART)  # the default is read at each call
    small = site()  # the same registry, its tables kept with the other limit: split again
    assert "api/projects-part1.json" in datapackage.export_files(small)
    assert "api/popolo-part1.json" in popolo.popolo_files(small)


# --- the demo, split and paged ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whole_site(tmp_path_factory) -> Path:
    return build_site(REPO, tmp_path_factory.mktemp("whole") / "site")


@pytest.fixture(scope="module")
def split_site(tmp_path_factory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(exports, "PART_BYTES", SMALL_PART)
        patch.setattr(story_kind, "STORIES_ON_ONE_PAGE", FEW_STORIES)
        patch.setattr(tag_kind, "STORIES_SHOWN", FEW_STORIES)
        return build_site(REPO, tmp_path_factory.mktemp("split") / "site")


def _package(site: Path) -> dict:
    return json.loads((site / "api/datapackage.json").read_text(encoding="utf-8"))


def _paths(resource: dict) -> list[str]:
    return [resource["path"]] if isinstance(resource["path"], str) else resource["path"]


def _frictionless_errors(site: Path) -> list[str]:
    report = frictionless.validate(str(site / "api/datapackage.json"))
    return [f"{task.name}: {error.message}" for task in report.tasks for error in task.errors] + [
        error.message for error in report.errors
    ]


def test_large_tables_are_split_and_small_ones_keep_their_address(whole_site, split_site):
    split = {r["name"]: _paths(r) for r in _package(split_site)["resources"]}
    assert split["projects"] == [f"projects-part{n}.csv" for n in range(1, len(split["projects"]) + 1)]
    assert len(split["projects"]) > 1 and len(split["orgs"]) > 1
    assert not (split_site / "api/projects.json").exists() and not (split_site / "api/projects.csv").exists()
    assert split["venues"] == ["venues.csv"] and split["rankings-haian-towns-2016"] == ["rankings/haian-towns/2016.csv"]
    whole = {r["name"]: _paths(r) for r in _package(whole_site)["resources"]}
    assert set(whole) == set(split) and all(len(paths) == 1 for paths in whole.values())


def test_no_export_file_is_over_the_limit_unless_it_is_one_row(split_site):
    for path in sorted((split_site / "api").rglob("*")):
        if path.suffix not in (".json", ".csv") or path.name in ("datapackage.json", "popolo.json"):
            continue
        if path.stat().st_size > SMALL_PART:
            rows = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            assert len(rows) == 1, path


def test_the_parts_together_are_the_whole_table(whole_site, split_site):
    whole = {r["name"]: _paths(r) for r in _package(whole_site)["resources"]}
    for resource in _package(split_site)["resources"]:
        [single] = whole[resource["name"]]
        csvs = [_csv_rows((split_site / "api" / p).read_bytes()) for p in _paths(resource)]
        expected = _csv_rows((whole_site / "api" / single).read_bytes())
        assert [csvs[0][0], *(row for part in csvs for row in part[1:])] == expected, resource["name"]
        jsons = [json.loads((split_site / "api" / p).with_suffix(".json").read_bytes()) for p in _paths(resource)]
        expected_json = json.loads((whole_site / "api" / single).with_suffix(".json").read_bytes())
        assert [row for part in jsons for row in part] == expected_json, resource["name"]


def test_the_split_data_package_is_valid(split_site):
    assert _frictionless_errors(split_site) == []


def test_the_check_reads_every_part(split_site, tmp_path):
    """A row of the first part repeated in the last: only a check that reads the parts as one table sees it."""
    copy = shutil.copytree(split_site / "api", tmp_path / "api")
    paths = _paths(next(r for r in _package(split_site)["resources"] if r["name"] == "projects"))
    first, last = copy / paths[0], copy / paths[-1]
    row = first.read_text(encoding="utf-8").splitlines(keepends=True)[1]  # its id is the primary key
    last.write_text(last.read_text(encoding="utf-8") + row, encoding="utf-8")
    errors = _frictionless_errors(tmp_path)
    assert any("primary" in e.lower() for e in errors), errors


def test_the_api_page_lists_every_part_under_its_table(split_site):
    body = article(split_site, "api/")
    heading = next(h for h in body.find_all("h2") if "（projects）" in h.get_text())
    download = heading.find_next_sibling("p")
    note = download.find_next_sibling("p")
    paths = _paths(next(r for r in _package(split_site)["resources"] if r["name"] == "projects"))
    links = [_from_api(a["href"]) for a in download.find_all("a")]
    assert links == [f"api/{p.removesuffix('.csv')}.{ext}" for p in paths for ext in ("json", "csv")]
    assert "分成了" in note.get_text() and "4 KB" in note.get_text()
    labels = [f"{p.removesuffix('.csv')}（JSON，CSV）" for p in paths]
    assert download.get_text() == "下载：" + "、".join(labels)  # each part named before its two links
    files = next(t for t in tables(body) if t.label == "可下载的文件").cells("文件")
    assert {f"api/{p}" for p in paths} <= set(files) and "api/projects.csv" not in files
    for f in files:
        assert (split_site / f).is_file(), f


def _from_api(href: str) -> str:
    """A link on /api/ as an address from the site's root."""
    return posixpath.normpath(posixpath.join("api/", href))


def test_an_unsplit_table_has_no_note(whole_site):
    body = article(whole_site, "api/")
    assert "分成了" not in body.get_text()


# --- long lists in pages --------------------------------------------------------------------------------------


def _story_links(site: Path, url: str) -> list[str]:
    """The stories a list page links to, as their addresses from the site's root."""
    body = article(site, url)
    return [posixpath.normpath(posixpath.join(url, a["href"])) + "/" for a in body.select("ul.dj-list > li > a")]


def test_every_story_is_listed_on_exactly_one_page(whole_site, split_site):
    everything = _story_links(whole_site, "stories/")
    assert len(everything) > FEW_STORIES  # the demo's list is long enough to page
    pages = sorted(
        p.parent.relative_to(split_site).as_posix() + "/" for p in (split_site / "stories/by-year").rglob("index.html")
    )
    listed = [s for url in pages for s in _story_links(split_site, url)]
    assert sorted(listed) == sorted(everything) and len(set(listed)) == len(listed)
    for url in pages:
        assert 0 < len(_story_links(split_site, url)) <= FEW_STORIES, url
    ordered = sorted(pages, key=lambda u: (-int(u.split("/")[2]), int(u.split("/")[3] or 1)))
    assert [s for url in ordered for s in _story_links(split_site, url)] == everything  # newest first


def test_the_list_links_every_year_and_every_page(split_site):
    first = article(split_site, "stories/")
    years = first.select_one('nav[aria-label="按年份查看"]')
    assert years is not None
    shown = {a.get_text().split("（")[0]: a["href"] for a in years.find_all("a")}
    current = years.find("strong").get_text().split("（")[0]
    built = sorted(p.name for p in (split_site / "stories/by-year").iterdir())
    assert sorted([*shown, current]) == built
    for year, href in shown.items():
        assert (split_site / "stories" / href / "index.html").resolve().is_file(), href
    newest = _story_links(split_site, f"stories/by-year/{current}/")
    assert _story_links(split_site, "stories/") == newest and current == max(built)  # the newest year's first page
    for year_dir in (split_site / "stories/by-year").iterdir():
        chunks = sorted(p for p in year_dir.iterdir() if p.is_dir())
        if not chunks:
            continue
        body = article(split_site, f"stories/by-year/{year_dir.name}/")
        pager = body.select_one('nav[aria-label$="年的分页"]')
        assert pager is not None and [a.get_text() for a in pager.find_all("a")] == [c.name for c in chunks]
        assert pager.find("strong", attrs={"aria-current": "page"}).get_text() == "1"
        # and again after the last story, where a reader who scrolled the list arrives
        end = body.select_one('nav[aria-label$="年的分页（列表末尾）"]')
        assert end is not None and [a.get_text() for a in end.find_all("a")] == [c.name for c in chunks]
        assert not end.find_all_next("a", href=re.compile(r"^(\.\./)*stories/s"))  # no story after it


def test_a_short_list_is_one_page(whole_site):
    assert not (whole_site / "stories/by-year").exists()
    assert page(whole_site, "stories/").select_one('nav[aria-label="按年份查看"]') is None


# --- Popolo in parts ------------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),  # line breaks, quotes, any character
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
ITEM = st.fixed_dictionaries(
    {"id": st.text("abc-0123", min_size=1, max_size=8), "name": st.text(max_size=30)},
    optional={"other_names": st.lists(st.fixed_dictionaries({"name": st.text(max_size=8)}), max_size=2), "x": JSON},
)


@settings(max_examples=200)
@given(
    whole=st.tuples(*[st.lists(ITEM, max_size=15)] * 3).map(lambda lists: dict(zip(popolo.KEYS, lists))),
    limit=st.integers(60, 3_000),
)
def test_popolo_parts_join_into_the_document(whole, limit):
    files = popolo.split(whole, limit)
    written = (json.dumps(whole, ensure_ascii=False, indent=1) + "\n").encode()
    if len(written) <= limit or sum(map(len, whole.values())) <= 1:  # it fits, or cannot be cut
        assert files == {"api/popolo.json": written}
        return
    names = list(files)
    assert names == [f"api/popolo-part{n}.json" for n in range(1, len(names) + 1)]
    parts = [json.loads(files[name]) for name in names]
    assert all(list(part) == list(popolo.KEYS) for part in parts)  # each part is a Popolo document
    for name, part in zip(names, parts):  # written as the whole is (put together from items written once)
        assert files[name] == (json.dumps(part, ensure_ascii=False, indent=1) + "\n").encode(), name
    assert {key: [item for part in parts for item in part[key]] for key in popolo.KEYS} == whole
    for name, part in zip(names, parts):
        if sum(len(part[key]) for key in popolo.KEYS) > 1:
            assert len(files[name]) <= limit, name


def test_popolo_parts_of_the_demo_are_its_document(whole_site, split_site):
    whole = json.loads((whole_site / "api/popolo.json").read_text(encoding="utf-8"))
    names = sorted(
        (split_site / "api").glob("popolo-part*.json"), key=lambda p: int(p.stem.removeprefix("popolo-part"))
    )
    assert len(names) > 1 and not (split_site / "api/popolo.json").exists()
    parts = [json.loads(p.read_text(encoding="utf-8")) for p in names]
    assert {key: [item for part in parts for item in part[key]] for key in popolo.KEYS} == whole
    note = next(li for li in article(split_site, "api/").select("ul.dj-notes > li") if "Popolo" in li.get_text())
    assert [_from_api(a["href"]) for a in note.find_all("a")][:-1] == [f"api/{p.name}" for p in names]


def test_a_table_reads_back_whole_from_its_parts(whole_site, split_site, tmp_path):
    """`exports.read_table` (for `dangjian merge`'s count of a city's orgs) reads one file or the parts alike."""
    whole = exports.read_table(whole_site, "api/orgs")
    assert whole and exports.read_table(split_site, "api/orgs") == whole
    assert not (split_site / "api/orgs.json").exists()
    assert exports.read_table(tmp_path, "api/orgs") is None  # nothing there
    (tmp_path / "api").mkdir()
    (tmp_path / "api/orgs.json").write_text('{"not": "a table"}', encoding="utf-8")
    assert exports.read_table(tmp_path, "api/orgs") is None


PRIVATE = """
- id: m-east-hidden-unique
  name: 隐秘独特名
  org: east
  status: 正式党员
  joined: 2001-07-01
  public: false
  posts: [组织委员]
"""


def test_no_part_names_a_private_member(registry, tmp_path, monkeypatch):
    """Cut into parts of a few hundred bytes, the open data still holds no trace of a private member."""
    root = registry()
    members = root / "registry/members/east.yaml"
    members.write_text(members.read_text(encoding="utf-8") + PRIVATE, encoding="utf-8")
    monkeypatch.setattr(exports, "PART_BYTES", 300)
    site = build_site(root, tmp_path / "site")
    parts = sorted((site / "api").glob("*-part*.json"))
    assert any(p.name.startswith("popolo-part") for p in parts) and any(p.name.startswith("orgs-part") for p in parts)
    for path in (site / "api").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "隐秘独特名" not in text and "m-east-hidden-unique" not in text, path
    persons = [p for path in parts if path.name.startswith("popolo") for p in json.loads(path.read_text())["persons"]]
    assert persons and "m-east-hidden-unique" not in {p["id"] for p in persons}


def test_a_tags_stories_are_each_on_exactly_one_of_its_pages(whole_site, split_site):
    paged = 0
    for folder in sorted((whole_site / "stories/tags").iterdir()):
        url = f"stories/tags/{folder.name}/"
        everything = _story_links(whole_site, url)
        extra = sorted((split_site / url).iterdir(), key=lambda p: p.name)
        urls = [url] + [f"{url}{p.name}/" for p in extra if p.is_dir()]
        assert len(urls) == max(1, -(-len(everything) // FEW_STORIES)), url  # as many pages as needed, no more
        listed = [s for u in urls for s in _story_links(split_site, u)]
        assert listed == everything, url  # each once, newest first, across the pages in order
        if len(urls) > 1:
            paged += 1
            lead = article(split_site, url).select_one("p.dj-lead").get_text()
            assert f"共 {len(everything)} 篇" in lead
            pager = article(split_site, urls[-1]).select_one("nav.dj-years")
            hrefs = [posixpath.normpath(posixpath.join(urls[-1], a["href"])) + "/" for a in pager.find_all("a")]
            assert hrefs == urls[:-1]  # the last page links to every other
    assert paged  # the demo has a tag with more stories than a page holds


def test_a_topic_page_shows_the_newest_stories_and_links_to_the_rest(whole_site, split_site):
    cut = 0
    for folder in sorted((whole_site / "tags").iterdir()):
        if not folder.is_dir():
            continue
        url = f"tags/{folder.name}/"
        heading = next((h for h in article(whole_site, url).find_all("h2") if h.get_text() == "典型事迹"), None)
        if heading is None:
            continue
        everything = [
            posixpath.normpath(posixpath.join(url, a["href"])) + "/"
            for a in heading.find_next_sibling("ul").select("li > a")
        ]
        heading = next(h for h in article(split_site, url).find_all("h2") if h.get_text() == "典型事迹")
        shown = [
            posixpath.normpath(posixpath.join(url, a["href"])) + "/"
            for a in heading.find_next_sibling("ul").select("li > a")
        ]
        assert shown == everything[:FEW_STORIES], url  # the newest
        note = heading.find_next_sibling("ul").find_next_sibling()
        if len(everything) > FEW_STORIES:
            cut += 1
            assert note.name == "p" and f"另有 {len(everything) - FEW_STORIES} 篇" in note.get_text(), url
            target = posixpath.normpath(posixpath.join(url, note.find("a")["href"])) + "/"
            assert target.startswith("stories/tags/") and _story_links(split_site, target)[:FEW_STORIES] == shown
        else:
            assert note is None or "另有" not in note.get_text()
    assert cut  # the demo has a topic with more stories than shown


def test_a_registry_without_brands_or_projects_has_a_valid_data_package(registry, tmp_path):
    """A table with no rows is left out (as honours and venues are): an empty CSV has no header to describe,
    and the Data Package standard refuses it (a generated town or city has no brands)."""
    root = registry({"registry/brands/red.yaml": None, "registry/projects/east-2026-road.yaml": None})
    for path in (root / "registry/orgs/east.yaml", root / "content/stories/east-road.md"):
        lines = path.read_text(encoding="utf-8").splitlines(True)
        path.write_text("".join(line for line in lines if not line.startswith("brand:")), encoding="utf-8")
    site = build_site(root, tmp_path / "site")
    names = {r["name"] for r in _package(site)["resources"]}
    assert "orgs" in names and not names & {"brands", "projects"}
    assert not list((site / "api").glob("brands*")) and not list((site / "api").glob("projects*"))
    assert _frictionless_errors(site) == []


# A value of an exported row: every JSON type, and the row shapes the C encoder's fast path takes or leaves.
_ROW_VALUES = st.one_of(
    st.text(),
    st.text(alphabet='\n\r\t"\\\u2028\u3000,: {}[]甲乙'),  # what could pass for the indentation or a separator
    st.integers(),
    st.integers(min_value=2**63),
    st.floats(),
    st.booleans(),
    st.none(),
    st.just([]),
    st.lists(st.text(max_size=3), min_size=1, max_size=3),  # a list with items: written by the Python encoder
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.one_of(st.dictionaries(st.text(), _ROW_VALUES, max_size=6), _ROW_VALUES), max_size=4))
def test_each_row_is_written_as_the_indented_json_writes_it(rows: list) -> None:
    """`exports._json_items` writes a row of plain values with the C encoder, its separators the indentation: byte for
    byte what `json.dumps(indent=1)` writes for the rows, whatever the row holds."""
    assert exports._json_array(exports._json_items(rows)) == exports._json(rows)
