"""A topic's Atom feed renders only the entries it keeps, and keeps exactly the ones it kept when it rendered all.

`tag.feed_entries` used to render the Markdown of every story and project carrying a tag (thousands of them at
city scale, on every build) and then keep the newest FEED_ENTRIES. The reference below is that code, as it was."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian.load import Record
from dangjian.site import feeds
from dangjian.site.kinds import tag
from dangjian.site.markdown import render


def record(kind: str, data: dict, slug: str | None = None, body: str = "") -> Record:
    return Record(kind, data, f"{kind}.yaml", (), None, slug=slug, body=body)  # type: ignore[arg-type]


def reference(topic: tag.Topic) -> list[feeds.FeedEntry]:
    """`feed_entries` before it cut first and rendered after (commit 0e227ba)."""
    entries = [
        feeds.FeedEntry(s["title"], f"stories/{s.slug}/", s["date"], render(s.body), tuple(s.get("tags", [])))
        for s in topic.stories
    ]
    entries += [
        feeds.FeedEntry(
            p["title"], f"projects/{p.id}/", tag._project_day(p), render(p["goal"]), tuple(p.get("tags", []))
        )
        for p in topic.projects
    ]
    entries += [
        feeds.FeedEntry(
            a["title"],
            f"activities/{a['date'].strftime('%Y-%m')}/",
            a["date"],
            render(a.get("summary", "")) or "",
            tuple(a.get("tags", [])),
        )
        for a in topic.activities[: feeds.FEED_ENTRIES]
    ]
    return sorted(entries, key=lambda e: (e.published, e.path), reverse=True)[: feeds.FEED_ENTRIES]


days = st.dates(datetime.date(2020, 1, 1), datetime.date(2020, 3, 31))  # few days: many ties on the date
texts = st.sampled_from(["", "一段*正文*", "# 标题\n\n正文", "<script>x</script>", "[链接](../x/)"])


@st.composite
def topics(draw) -> tag.Topic:
    stories = [
        record("story", {"title": f"事迹{i}", "date": draw(days), "tags": ["乡村振兴"]}, f"s{i:03d}", draw(texts))
        for i in range(draw(st.integers(0, 70)))
    ]
    projects = []
    for i in range(draw(st.integers(0, 70))):
        updates = [{"date": draw(days)} for _ in range(draw(st.integers(0, 2)))]
        data = {"id": f"p{i:03d}", "title": f"项目{i}", "year": 2020, "goal": draw(texts), "updates": updates}
        projects.append(record("project", data))
    activities = [
        record("activity", {"title": f"活动{i}", "date": draw(days), "summary": draw(texts)})
        for i in range(draw(st.integers(0, 70)))
    ]
    return tag.Topic("乡村振兴", "xiang-cun-zhen-xing", stories, projects, activities)


@settings(max_examples=60, deadline=None)
@given(topics())
def test_the_entries_kept_are_the_ones_kept_when_every_entry_was_rendered(topic):
    assert tag.feed_entries(topic) == reference(topic)


def test_only_the_entries_kept_are_rendered(monkeypatch):
    day = datetime.date(2020, 1, 1)
    topic = tag.Topic(
        "乡村振兴",
        "xiang-cun-zhen-xing",
        [record("story", {"title": "事迹", "date": day + datetime.timedelta(i)}, f"s{i}", "正文") for i in range(300)],
        [record("project", {"id": f"p{i}", "title": "项目", "year": 2020, "goal": "目标"}) for i in range(300)],
        [],
    )
    rendered: list[str] = []
    monkeypatch.setattr(tag, "render", lambda text: rendered.append(text) or render(text))
    entries = tag.feed_entries(topic)
    assert len(entries) == feeds.FEED_ENTRIES
    assert len(rendered) == feeds.FEED_ENTRIES  # 600 before
    assert entries[0].path == "stories/s299/"  # the newest story comes first
