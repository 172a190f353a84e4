"""Notices (工作提示/通知) on the built site, read as a reader does: /notices/ (current first, then 已过期 by year),
each notice's page, the current ones under 通知 on every org page they reach and on no other, the Atom feed
against RFC 4287, expiry judged on the build's day (SOURCE_DATE_EPOCH fixes it), and hostile bodies rendered
through the stories' sanitiser."""

from __future__ import annotations

import datetime
import shutil
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup, Tag
from defusedxml import ElementTree
from hypothesis import given
from hypothesis import strategies as st

from reading import tables, text
from site_helpers import article, build_site
from test_feeds import ATOM, BASE, atom_problems
from dangjian import diff
from dangjian.site.kinds.notice import reaching, split
from dangjian.validate import validate

TODAY = datetime.date(2026, 3, 15)


def notice(title: str, date: str, until: str, body: str = "请各支部按时完成。", audience: str | None = None) -> str:
    to = f"audience: {audience}\n" if audience else ""
    return f"---\ntitle: '{title}'\ndate: {date}\nfrom: town\n{to}until: {until}\ntags: [工作提示]\n---\n{body}\n"


NOTICES = {
    "content/notices/town-all.md": notice("全镇三月工作提示", "2026-03-01", "2026-03-31"),
    # Its last day is the build's day: still current.
    "content/notices/town-east.md": notice("东村河渠清理提示", "2026-03-10", "2026-03-15", audience="east"),
    "content/notices/town-ended.md": notice("二月工作提示", "2026-02-01", "2026-03-14"),
    "content/notices/town-old.md": notice("去年五月工作提示", "2025-05-01", "2025-05-31"),
}


def epoch(day: datetime.date) -> str:
    return str(int(datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.timezone.utc).timestamp()))


@pytest.fixture
def site_on(registry, tmp_path, monkeypatch):
    def make(day: datetime.date, overlay: dict[str, str] | None = None):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(day))
        root = registry(overlay if overlay is not None else NOTICES)
        return build_site(root, tmp_path / f"site-{day.isoformat()}")

    return make


def section(body: Tag, heading: str, level: str = "h2") -> list[Tag]:
    """The elements after the heading named `heading` up to the next heading of its level or higher."""
    stop = {"h2"} if level == "h2" else {"h2", "h3"}
    found = next((h for h in body.find_all(level) if text(h) == heading), None)
    if found is None:
        return []
    parts = []
    for sibling in found.find_next_siblings():
        if sibling.name in stop:
            break
        parts.append(sibling)
    return parts


def titles(parts: list[Tag]) -> list[str]:
    """The notice titles listed in a section: each list item's first link."""
    return [text(li.find("a")) for part in parts for li in part.find_all("li")]


def test_the_list_shows_current_notices_first_then_the_expired_by_year(site_on):
    body = article(site_on(TODAY), "notices/")
    assert titles(section(body, "有效的通知")) == ["东村河渠清理提示", "全镇三月工作提示"]
    assert titles(section(body, "2026 年", "h3")) == ["二月工作提示"]
    assert titles(section(body, "2025 年", "h3")) == ["去年五月工作提示"]
    years = [text(h) for h in body.find_all("h3")]
    assert years == ["2026 年", "2025 年"]
    assert [text(h) for h in body.find_all("h2")] == ["有效的通知", "已过期"]


@pytest.mark.parametrize(
    ("org", "expected"),
    [
        ("town", ["全镇三月工作提示"]),  # the east-only notice does not reach its sender
        ("east", ["东村河渠清理提示", "全镇三月工作提示"]),
        ("west", ["全镇三月工作提示"]),
    ],
)
def test_an_org_page_lists_the_current_notices_that_reach_it(site_on, org, expected):
    body = article(site_on(TODAY), f"orgs/{org}/")
    assert titles(section(body, "通知")) == expected


def test_expiry_follows_the_build_s_day(site_on):
    site = site_on(datetime.date(2026, 4, 1))
    body = article(site, "notices/")
    assert titles(section(body, "有效的通知")) == []
    assert "目前没有有效的通知" in text(body)
    assert titles(section(body, "2026 年", "h3")) == ["东村河渠清理提示", "全镇三月工作提示", "二月工作提示"]
    for org in ("town", "east", "west"):
        assert section(article(site, f"orgs/{org}/"), "通知") == []


def test_a_notice_page_reads_its_facts_under_their_labels(site_on):
    site = site_on(TODAY)
    body = article(site, "notices/town-east/")
    facts = next(t.facts for t in tables(body) if t.label == "基本信息")
    assert facts["发出日期"] == "2026年3月10日"
    assert facts["发文组织"] == "测试镇党委"
    assert facts["发送范围"].replace(" ", "") == "东村党支部及其下级组织"
    assert facts["有效期至"] == "2026年3月15日"
    assert "有效" in text(body.select_one(".dj-badges"))
    assert "已过期" in text(article(site, "notices/town-ended/").select_one(".dj-badges"))
    # No audience written: the sender's own tree.
    whole = next(t.facts for t in tables(article(site, "notices/town-all/")) if t.label == "基本信息")
    assert whole["发送范围"].replace(" ", "") == "测试镇党委及其下级组织"


def test_the_feed_meets_rfc4287_and_reads_back(site_on):
    site = site_on(TODAY)
    document = (site / "notices/feed.xml").read_bytes()
    assert atom_problems(document, BASE + "notices/feed.xml") == []
    feed = ElementTree.fromstring(document)
    entries = feed.findall(ATOM + "entry")
    assert [e.findtext(ATOM + "title") for e in entries] == [
        "东村河渠清理提示",
        "全镇三月工作提示",
        "二月工作提示",
        "去年五月工作提示",
    ]
    assert entries[0].findtext(ATOM + "id") == BASE + "notices/town-east/"
    assert entries[0].find(ATOM + "link").get("href") == BASE + "notices/town-east/"
    assert "请各支部按时完成" in entries[0].findtext(ATOM + "content")
    assert feed.find(ATOM + "author").findtext(ATOM + "name") == "测试镇党建"


def test_no_notices_no_section(registry, tmp_path):
    site = build_site(registry(), tmp_path / "site")
    assert not (site / "notices").exists()
    assert section(article(site, "orgs/east/"), "通知") == []


HOSTILE = (
    "正文开头。\n\n<script>alert('x')</script>\n\n<iframe src=\"https://evil.example/\"></iframe>\n\n"
    '[点这里](javascript:alert(1)) 和 <img src=x onerror=alert(2)> 和 <a href="jav&#x61;script:alert(3)">链接</a>\n'
)


def test_a_hostile_notice_body_is_sanitised_on_its_page_and_in_the_feed(site_on):
    overlay = {"content/notices/hostile.md": notice('<b>标题</b> & "引号"', "2026-03-01", "2026-03-31", HOSTILE)}
    site = site_on(TODAY, overlay)
    body = article(site, "notices/hostile/")
    assert body.find("script") is None and body.find("iframe") is None
    assert not [a for a in body.find_all("a") if "javascript" in a.get("href", "").lower()]
    assert not [tag for tag in body.find_all(True) if any(k.lower().startswith("on") for k in tag.attrs)]
    assert text(body.find("h1")) == '<b>标题</b> & "引号"'  # the title stays text
    assert "正文开头" in text(body)
    content = (
        ElementTree.fromstring((site / "notices/feed.xml").read_bytes()).find(ATOM + "entry").findtext(ATOM + "content")
    )
    parsed = BeautifulSoup(content, "html.parser")
    assert parsed.find("script") is None and parsed.find("iframe") is None
    assert "javascript" not in content.lower() and "onerror" not in content.lower()
    # The org page lists it by title, as text.
    listed = section(article(site, "orgs/east/"), "通知")
    assert titles(listed) == ['<b>标题</b> & "引号"']


DAYS = st.dates(datetime.date(2020, 1, 1), datetime.date(2030, 12, 31))


@given(
    st.lists(st.tuples(DAYS, st.integers(0, 400)), max_size=20),
    DAYS,
)
def test_split_keeps_every_notice_once_and_archives_only_the_expired(spans, today):
    notices = [{"date": d, "until": d + datetime.timedelta(days=n)} for d, n in spans]
    current, archive = split(notices, today)  # type: ignore[arg-type]
    archived = [n for _, items in archive for n in items]
    assert len(current) + len(archived) == len(notices)
    assert all(n["until"] >= today for n in current)
    assert all(n["until"] < today and n["date"].year == year for year, items in archive for n in items)
    assert [year for year, _ in archive] == sorted({n["date"].year for n in archived}, reverse=True)


def test_dangjian_diff_tells_notices_and_venues_in_words(registry, tmp_path):
    venue = "id: town-hall\nname: 测试镇党群服务中心\nkind: 党群服务中心\norg: town\naddress: 测试镇\n"
    old = registry({**NOTICES, "registry/venues/town-hall.yaml": venue})
    new = tmp_path / "new"
    shutil.copytree(old, new)
    (new / "content/notices/town-all.md").write_text(
        notice("全镇三月工作提示", "2026-03-01", "2026-04-15"), encoding="utf-8"
    )
    (new / "content/notices/town-old.md").unlink()
    (new / "content/notices/town-new.md").write_text(notice("四月提示", "2026-04-01", "2026-04-30"), encoding="utf-8")
    (new / "registry/venues/town-hall.yaml").write_text(venue + "hours: 工作日\n", encoding="utf-8")
    found = {s.key: s.lines for s in diff.sections_of(validate(old).registry, validate(new).registry) if s.lines}
    assert found["notices"] == [
        "新增《四月提示》（2026-04-01 发出，有效期至 2026-04-30）",
        "删除《去年五月工作提示》",
        "修改《全镇三月工作提示》：有效期至 2026-03-31 → 2026-04-15",
    ]
    assert found["venues"] == ["修改 测试镇党群服务中心（`town-hall`）"]


class _Tree:
    """The little of a Registry that `reaching` reads: orgs by id and the orgs below one."""

    def __init__(self, parents: dict[str, str | None]) -> None:
        self.orgs = {o: {"parent": p} for o, p in parents.items()}
        self.parents = parents

    def descendants(self, org_id: str):
        return [o for o in self.parents if o != org_id and org_id in _chain(self.parents, o)]


def _chain(parents: dict[str, str | None], org_id: str) -> list[str]:
    """The org and every org above it, walking up the parents."""
    chain = [org_id]
    while parents.get(chain[-1]) is not None:
        chain.append(parents[chain[-1]])  # type: ignore[arg-type]
    return chain


class _Notice(dict):
    slug = "n"


@given(
    st.lists(st.integers(0, 1_000), min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), DAYS), max_size=8),
    DAYS,
)
def test_an_org_gets_exactly_the_current_notices_sent_to_it_or_above_it(parent_picks, sent, today):
    """Oracle: a notice reaches an org when its audience is on the org's way up to the top, and is current."""
    orgs = [f"o{i}" for i in range(len(parent_picks))]
    parents = {o: (orgs[pick % i] if i else None) for i, (o, pick) in enumerate(zip(orgs, parent_picks))}
    notices = []
    for sender, to, day in sent:
        notice_ = _Notice(
            title="t", date=day, until=day + datetime.timedelta(days=30), **{"from": orgs[sender % len(orgs)]}
        )
        notice_["audience"] = orgs[to % len(orgs)]
        notices.append(notice_)
    data = SimpleNamespace(reg=_Tree(parents), today=today)
    found = reaching(data, notices)  # type: ignore[arg-type]
    for org in orgs:
        expected = [n for n in notices if n["until"] >= today and n["audience"] in _chain(parents, org)]
        assert found.get(org, []) == expected, org
