"""Issue 19's end-to-end flow, as one editor without a terminal would do it in the admin page.

In headless Chromium, Sveltia CMS (the copy shipped with dangjian) works on a copy of the demo in its
local workflow (an origin-private folder handed over as the picked folder, see test_cms.py). One chained
session creates a branch under 草塔镇党委, a new roster file with its two members, a new ledger with three
entries, a project with two milestones, and a story with an uploaded cover; a bad member is refused in the
form first. The files are then copied back to disk: `dangjian validate` passes on them, every file that
existed before is unchanged, the new ones are already canonical for `dangjian fmt`, and `dangjian build`
shows the new pages, read as a reader reads them. Screenshots of the admin at 390 and 1366 px wide go to
test-artifacts/cms/. Also: every record type opens as a form, and the demo's own built /admin/ works offline.
"""

from __future__ import annotations

import base64
import os
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from reading import tables, text
from site_helpers import CHROMIUM, launch_chromium, text_files
from test_cms import ALLOWED_OUTSIDE, DEMO, PACKAGE, Session, run, sveltia  # noqa: F401 (sveltia: the session fixture)

ARTIFACTS = DEMO / "test-artifacts" / "cms"
WIDTHS = (390, 1366)
EDITOR = '[aria-label^="编辑"] '  # the form pane ("编辑 _default 内容"), not the preview beside it

ORG = "registry/orgs/caota/caota-ceshi.yaml"
ROSTER = "registry/members/caota/caota-ceshi.yaml"
LEDGER = "registry/points/ledger/caota/caota-ceshi-2024.yaml"
PROJECT = "registry/projects/caota/caota-2024-ceshi-heqing.yaml"
STORY = "content/stories/caota-ceshi-qingli.md"
COVER = "content/assets/heqing.png"
PHOTO = "content/assets/hedao.jpg"
MEMBERS = [  # id, name, status, joined, born, posts
    ("m-ceshi-wang", "王测试", "预备党员", "2024-07-01", 1990, None),
    ("m-ceshi-li", "李测试", "正式党员", "2001-07-01", 1975, "书记"),
]
LEDGER_ENTRIES = [  # member, date, rule, note
    ("王测试", "2024-08-01", "参加党员活动日", "八月党员活动日"),
    ("李测试", "2024-08-15", "学习培训", "参加镇党校培训"),
    ("李测试", "2024-09-01", "志愿服务", "清理河道"),
]
MILESTONES = [("划分党员包干河段", "2024-08-31", "2024-08-20"), ("河道清理全覆盖", "2024-12-31", None)]

# Every file of the origin-private folder (the repository Sveltia wrote) but .git/, base64, so images come out too.
DUMP_FOLDER = """async () => {
  const out = {};
  async function walk(dir, prefix) {
    for await (const [name, handle] of dir.entries()) {
      if (handle.kind === 'directory') { if (name !== '.git') await walk(handle, prefix + name + '/'); continue; }
      const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      out[prefix + name] = btoa(binary);
    }
  }
  await walk(await navigator.storage.getDirectory(), '');
  return out;
}"""


needs_browser = pytest.mark.skipif(
    not (PACKAGE and CHROMIUM) and not os.environ.get("DANGJIAN_REQUIRE_BROWSER"),  # CI sets it: fail, never skip
    reason="needs chromium and the Sveltia CMS files (generator/dangjian/cms_vendor)",
)


class Form:
    """The entry form of the open page, field by field (`data-key-path`: `id`, `records.1.born`, …)."""

    def __init__(self, session: Session):
        self.session, self.page = session, session.page

    def field(self, path: str):
        """The field's section in the form pane; Sveltia renders long forms as they scroll into view, so
        scroll to the last rendered field nearest to it (same list item, same list, the form) until it is."""
        found = self.page.locator(f'{EDITOR}section[data-key-path="{path}"]').first
        parts = path.split(".")
        nearest = [f'section[data-key-path^="{".".join(parts[:cut])}."]' for cut in range(len(parts) - 1, 0, -1)]
        for _ in range(50):
            if found.count():
                return found
            for rendered in [*nearest, "section[data-key-path]"]:
                last = self.page.locator(EDITOR + rendered)
                if last.count():
                    last.last.evaluate("e => e.scrollIntoView({block: 'start'})")
                    break
            self.page.wait_for_timeout(200)
        raise AssertionError(f"no form field {path}")

    def type(self, path: str, value: str) -> None:
        self.field(path).locator("input").first.fill(value)

    def date(self, path: str, value: str) -> None:
        self.field(path).locator("input[type=date]").fill(value)

    def pick(self, path: str, name: str) -> None:
        """A relation or long select: open it, pick the option starting with `name` (a Chinese name)."""
        self.field(path).get_by_role("combobox").click()
        option = self.page.get_by_role("option", name=re.compile("^" + re.escape(name))).first
        option.wait_for(timeout=10_000)
        option.click()  # (no Escape to close anything: Escape leaves the editor)

    def choose(self, path: str, value: str) -> None:
        """A short enum is shown as radio buttons, a long one as a select."""
        radio = self.field(path).get_by_role("radio", name=value, exact=True)
        if radio.count():
            radio.check()
        else:
            self.pick(path, value)

    def markdown(self, path: str, value: str) -> None:
        self.field(path).locator("[contenteditable=true]").click()
        self.page.keyboard.type(value)

    def add(self, path: str, label: str) -> None:
        """The list's "添加 <label>" button (the last one: a list shows it above and below its items)."""
        self.page.get_by_role("button", name=re.compile(f"添加.*{label}")).last.click()
        self.page.wait_for_timeout(200)

    def folder(self, collection_title: str, subfolder: str) -> None:
        """The parent folder of a new entry (the town's subfolder), from the folder tree."""
        self.page.locator("button", has_text="bookmark_manager").filter(has_text=collection_title).last.click()
        for _ in range(3):  # on a loaded machine a click can land before the tree listens: the dialog stays open
            self.page.get_by_role("treeitem", name=subfolder).last.click()
            try:
                self.page.locator("dialog[open]").first.wait_for(state="hidden", timeout=10_000)
                return
            except Exception:  # noqa: BLE001 - still open: click the folder again
                continue

    def file_name(self, name: str) -> None:
        """The new file's name (its slug), in the side panel "Slug"."""
        panel = self.page.get_by_role("radio", name="Slug")
        if panel.get_attribute("aria-checked") != "true":
            panel.click()
        self.page.get_by_role("button", name="编辑别名").click()
        box = self.page.locator(".editable-text input")
        box.fill(name)
        box.press("Enter")
        self.page.get_by_text(name, exact=True).first.wait_for(timeout=5_000)

    def save(self) -> None:
        """Save; once the entry is written Sveltia goes back to the collection's list (wait for that, or it
        would undo the next navigation)."""
        editing = self.page.url
        self.page.get_by_role("button", name="保存").first.click()
        try:
            self.page.wait_for_function("url => location.href !== url", arg=editing, timeout=60_000)
        except Exception:  # what the form showed instead (a refusal, an error): an artifact to look at
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(ARTIFACTS / "save-not-done.png"), full_page=True)
            raise


def shoot(form: Form, name: str, focus: str | None = None) -> None:
    """Screenshots of the open page at each width (with the field `focus` in view); at phone width the
    page is no wider than the screen."""
    page = form.page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
        page.wait_for_timeout(600)
        if focus is not None:  # found again: a resized form is rendered again
            form.field(focus).evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(300)


def create_org(session: Session, form: Form) -> None:
    session.open("org/new")
    form.folder("组织", "caota")
    form.type("id", "caota-ceshi")
    form.type("name", "测试村党支部")
    form.choose("kind", "党支部")
    form.choose("domain", "农村")
    form.pick("parent", "诸暨市草塔镇党委")
    form.save()
    session.saved(ORG, "caota-ceshi")


def create_roster(session: Session, form: Form) -> None:
    """A new roster file in the town's folder; the second member is first entered wrong and refused."""
    session.open("member/filter/caota")  # the town's folder of rosters, then 新建: the new file goes there
    session.page.get_by_text("caota/caota chuntangdong").wait_for(timeout=30_000)
    session.page.get_by_role("button", name="创建新条目").first.click()
    assert session.page.url.endswith("/collections/member/new?path=caota")
    form.file_name("caota-ceshi")
    for index, (member_id, name, status, joined, born, post) in enumerate(MEMBERS):
        form.add("records", "党员")
        item = f"records.{index}"
        form.type(f"{item}.id", member_id)
        if index == 0:
            form.type(f"{item}.name", name)
        form.pick(f"{item}.org", "测试村党支部")
        form.choose(f"{item}.status", status)
        form.date(f"{item}.joined", joined)
        if post:
            form.pick(f"{item}.posts", post)
        form.type(f"{item}.born", str(born if index == 0 else 1800))
    # The second member has no name and a birth year below the bound: refused in the form, in Chinese,
    # each message under its own field, and nothing is written.
    session.page.get_by_role("button", name="保存").first.click()
    name_field, born_field = form.field("records.1.name"), form.field("records.1.born")
    name_field.get_by_text("此字段为必填项").wait_for(timeout=10_000)
    born_field.get_by_text(re.compile("值必须大于或等于 1,?900")).wait_for(timeout=10_000)  # shown as "1,900"
    session.page.wait_for_timeout(1000)
    assert session.read(ROSTER) == ""
    shoot(form, "roster-refused", focus="records.1.born")
    form.type("records.1.name", MEMBERS[1][1])
    form.type("records.1.born", str(MEMBERS[1][4]))
    shoot(form, "roster-form")
    form.save()
    session.saved(ROSTER, "m-ceshi-li")


def set_secretary(session: Session, form: Form) -> None:
    """The new org's secretary, picked from the new roster by name: an edit of a saved entry."""
    session.open("org/entries/caota/caota-ceshi")
    form.pick("secretary", "李测试")
    shoot(form, "org-form", focus="secretary")
    form.save()
    session.saved(ORG, "secretary: m-ceshi-li")


def create_ledger(session: Session, form: Form) -> None:
    session.open("ledger/new")
    form.folder("积分记录", "caota")
    form.file_name("caota-ceshi-2024")
    for index, (member, day, rule, note) in enumerate(LEDGER_ENTRIES):
        form.add("records", "积分记录")
        form.pick(f"records.{index}.member", member)
        form.date(f"records.{index}.date", day)
        form.pick(f"records.{index}.rule", rule)
        form.type(f"records.{index}.note", note)
    shoot(form, "ledger-form")
    form.save()
    session.saved(LEDGER, "清理河道")


def create_project(session: Session, form: Form, photo: Path) -> None:
    session.open("project/new")
    form.folder("书记项目", "caota")
    form.type("id", "caota-2024-ceshi-heqing")
    form.type("title", "河道清洁行动")
    form.pick("org", "测试村党支部")
    form.choose("category", "创新性")
    form.type("year", "2024")
    form.choose("status", "推进中")
    form.pick("lead", "李测试")
    form.markdown("problem", "村里河道垃圾多，群众反映强烈。")
    form.markdown("goal", "党员分段包干，每月清理一次。")
    for index, (title, due, done) in enumerate(MILESTONES):
        form.field("milestones").get_by_role("button", name=re.compile("添加")).last.click()
        form.type(f"milestones.{index}.title", title)
        form.date(f"milestones.{index}.due", due)
        if done:
            form.date(f"milestones.{index}.done", done)
    form.field("images").get_by_role("button", name=re.compile("添加")).last.click()  # a photo, uploaded
    form.field("images.0.file").locator("input[type=file]").first.set_input_files(str(photo))
    form.field("images.0.file").get_by_text(photo.name).first.wait_for(timeout=10_000)
    form.type("images.0.alt", "党员分段清理河道")
    form.type("images.0.caption", "八月的第一次清理")
    form.save()
    session.saved(PROJECT, "党员分段清理河道")


def create_story(session: Session, form: Form, image: Path) -> None:
    session.open("story/new")
    form.file_name("caota-ceshi-qingli")
    form.type("title", "测试村党员清理河道")
    form.date("date", "2024-09-02")
    form.pick("org", "测试村党支部")
    form.field("cover").locator("input[type=file]").first.set_input_files(str(image))
    form.field("cover").get_by_text(image.name).first.wait_for(timeout=10_000)
    form.markdown("body", "九月二日，测试村党支部组织党员清理河道。")
    form.save()
    session.saved(STORY, "清理河道。")


def copy_out(session: Session) -> dict[str, bytes]:
    """Every file of the repository Sveltia wrote, written over the copy on disk; the files by path."""
    written = {path: base64.b64decode(data) for path, data in session.page.evaluate(DUMP_FOLDER).items()}
    for path, data in written.items():
        (session.repo / path).parent.mkdir(parents=True, exist_ok=True)
        (session.repo / path).write_bytes(data)
    return written


def read_page(site: Path, address: str) -> BeautifulSoup:
    return BeautifulSoup((site / address / "index.html").read_text(encoding="utf-8"), "html.parser")


def under_heading(page: BeautifulSoup, heading: str):
    """The elements after the `<h2>` named `heading`, up to the next `<h2>`."""
    (found,) = [h for h in page.find_all("h2") if text(h) == heading]
    for sibling in found.find_next_siblings():
        if sibling.name == "h2":
            return
        yield sibling


def stat(page: BeautifulSoup, label: str) -> str:
    (found,) = [s for s in page.select(".dj-stat") if text(s.select_one(".dj-stat__label")) == label]
    return text(found.select_one(".dj-stat__value"))


@needs_browser
def test_an_editor_adds_a_branch_with_its_members_points_project_and_story(sveltia, tmp_path):
    from PIL import Image

    session, form = sveltia, Form(sveltia)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    session.open("member/filter/caota")  # a town's rosters, listed by file name
    session.page.get_by_text("caota/caota chuntangdong").wait_for(timeout=30_000)
    shoot(form, "collection-list")

    image, photo = tmp_path / "heqing.png", tmp_path / "hedao.jpg"
    Image.new("RGB", (64, 48), (200, 16, 46)).save(image)
    Image.new("RGB", (320, 240), (30, 120, 200)).save(photo, quality=85)
    create_org(session, form)
    create_roster(session, form)
    set_secretary(session, form)
    create_ledger(session, form)
    create_project(session, form, photo)
    create_story(session, form, image)
    written = copy_out(session)

    # What the CMS wrote: exactly the new files, in the town's subfolders; nothing else touched.
    new = {STORY, COVER, PHOTO, ORG, ROSTER, LEDGER, PROJECT}
    assert set(written) - set(session.files) == new
    for path, before in session.files.items():
        after = written[path].decode("utf-8")
        if path.endswith(".yaml"):  # the records, their order and values (then every byte)
            assert yaml.safe_load(after) == yaml.safe_load(before), path
        assert after == before, path
    assert written[COVER] == image.read_bytes() and written[PHOTO] == photo.read_bytes()
    assert yaml.safe_load(written[ORG]) == {
        "id": "caota-ceshi",
        "name": "测试村党支部",
        "kind": "党支部",
        "domain": "农村",
        "parent": "caota",
        "secretary": "m-ceshi-li",
    }
    roster = yaml.safe_load(written[ROSTER])
    assert [(m["id"], m["name"], m["org"], m["status"], m["born"]) for m in roster] == [
        (i, n, "caota-ceshi", s, b) for i, n, s, _, b, _ in MEMBERS
    ]
    assert [m.get("posts") for m in roster] == [None, ["书记"]]
    assert [(e["member"], e["rule"]) for e in yaml.safe_load(written[LEDGER])] == [
        ("m-ceshi-wang", "activity-day"),
        ("m-ceshi-li", "study"),
        ("m-ceshi-li", "volunteer"),
    ]
    project_record = yaml.safe_load(written[PROJECT])
    assert project_record["milestones"][1] == {"title": "河道清理全覆盖", "due": date(2024, 12, 31)}
    assert project_record["images"] == [{"file": "hedao.jpg", "alt": "党员分段清理河道", "caption": "八月的第一次清理"}]
    assert (
        written[STORY]
        .decode("utf-8")
        .startswith("---\ntitle: 测试村党员清理河道\ndate: 2024-09-02\norg: caota-ceshi\ncover: heqing.png\n---\n")
    )

    checked = run("validate", "--root", session.repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # What the CMS writes is already the registry's canonical layout: `dangjian fmt` would change nothing.
    canonical = run(
        "fmt", "--root", session.repo, "--check", *(session.repo / path for path in sorted(new - {COVER, PHOTO}))
    )
    assert canonical.returncode == 0, canonical.stdout + canonical.stderr

    site = tmp_path / "site"
    built = run("build", "--root", session.repo, "--out", site, "--no-search")
    assert built.returncode == 0, built.stdout + built.stderr

    org = read_page(site, "orgs/caota-ceshi")
    assert text(org.h1) == "测试村党支部"
    (facts,) = [t.facts for t in tables(org) if t.label == "基本信息"]
    assert facts["书记"] == "李测试"
    assert stat(org, "在册人数") == "少于5人"  # two members: the count is shown suppressed, as the format says
    assert [text(a) for part in under_heading(org, "书记项目") for a in part.find_all("a")][:1] == ["河道清洁行动"]
    assert "测试村党员清理河道" in [text(a) for part in under_heading(org, "典型事迹") for a in part.find_all("a")]
    (town_facts,) = [t.facts for t in tables(read_page(site, "orgs/caota")) if t.label == "基本信息"]
    assert "测试村党支部" in [name.strip() for name in town_facts["下级组织"].split("、")]

    project = read_page(site, "projects/caota-2024-ceshi-heqing")
    (facts,) = [t.facts for t in tables(project) if t.label == "基本信息"]
    assert (facts["承担组织"], facts["领办书记"]) == ("测试村党支部", "李测试")
    (timeline,) = [part for part in under_heading(project, "进度") if "dj-timeline" in part.get("class", [])]
    steps = [(text(li.strong), li.get("class")) for li in timeline.find_all("li")]
    assert steps == [("划分党员包干河段", ["dj-done"]), ("河道清理全覆盖", steps[1][1])]
    assert steps[1][1] != ["dj-done"]
    (heading,) = [h for h in project.find_all("h2") if text(h) == "图片"]  # the photo, in the section so named
    gallery = heading.find_parent("section")
    (shown,) = [img for img in gallery.select("li img") if img.get("alt") == "党员分段清理河道"]
    assert (site / "projects/caota-2024-ceshi-heqing" / shown["src"]).resolve().is_file()
    assert [text(caption) for caption in gallery.select(".dj-gallery__caption")] == ["八月的第一次清理"]

    story = read_page(site, "stories/caota-ceshi-qingli")
    assert text(story.h1) == "测试村党员清理河道"
    assert "九月二日，测试村党支部组织党员清理河道。" in text(story)
    (cover,) = [img for img in story.select("article img") if "heqing" in img.get("src", "")]
    assert (site / "stories/caota-ceshi-qingli" / cover["src"]).resolve().is_file()

    assert (site / "members/m-ceshi-li/index.html").is_file()  # the secretary is public by post
    for path in text_files(site):  # the other new member holds no post: private, nowhere on the site
        content = path.read_text(encoding="utf-8", errors="replace")
        assert "王测试" not in content and "m-ceshi-wang" not in content, path


@needs_browser
def test_the_demo_sites_admin_page_works_offline(tmp_path):
    """The demo's site.yaml sets `cms:`, so its built site has /admin/: with every request outside the
    local server blocked, it opens in Chinese with its icons, and its config names no one."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    site = tmp_path / "site"
    built = run("build", "--root", DEMO, "--out", site, "--no-search")
    assert built.returncode == 0, built.stdout + built.stderr
    config = (site / "admin/config.yml").read_text(encoding="utf-8")
    assert (
        yaml.safe_load(config)["backend"]["repo"]
        == yaml.safe_load((DEMO / "registry/site.yaml").read_text(encoding="utf-8"))["cms"]["repo"]
    )
    for roster in (DEMO / "registry/members").rglob("*.yaml"):  # public or private, no member is in the config
        for member in yaml.safe_load(roster.read_text(encoding="utf-8")):
            assert member["name"] not in config and member["id"] not in config

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    outside: set[str] = set()
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})

            def route(request_route):
                url = request_route.request.url
                if url.startswith(base):
                    return request_route.continue_()
                outside.add(url.split("?")[0])
                return request_route.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.goto(base + "/admin/")
            page.get_by_role("button", name=re.compile("使用.*GitHub.*登录")).wait_for(
                timeout=30_000
            )  # strings served locally
            page.get_by_role("button", name="使用本地仓库").wait_for()
            assert page.evaluate(
                "document.fonts.ready.then(() => document.fonts.check('24px \"Material Symbols Outlined\"'))"
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "demo-admin-login-390.png"))
            browser.close()
    finally:
        server.shutdown()
    assert outside <= ALLOWED_OUTSIDE, outside


@needs_browser
def test_every_kind_has_a_form_in_the_browser(sveltia):
    """Every record type of recordtypes.py (those added later too) opens as a form in Sveltia: a new entry
    for each entry collection, the file itself for site.yaml and the rulebook; its first field is the
    first declared one (a list file's is the list)."""
    from dangjian import cms
    from dangjian.recordtypes import RECORD_TYPES

    form = Form(sveltia)
    opened = []
    for collection in cms.collections():
        addresses = [(f"{collection['name']}/entries/{f['name']}", f["name"]) for f in collection.get("files", [])]
        addresses = addresses or [(f"{collection['name']}/new", collection["name"])]
        for address, kind in addresses:
            # from the list, as an editor does: straight from site.yaml's editor, the rulebook did not open
            sveltia.open(collection["name"])
            sveltia.page.wait_for_timeout(300)
            sveltia.open(address)
            first = "records" if RECORD_TYPES[kind].layout == "list" else RECORD_TYPES[kind].schema.fields[0].name
            form.field(first).wait_for(timeout=30_000)
            assert sveltia.page.get_by_text("CMS 配置中存在错误").count() == 0, kind
            opened.append(kind)
    assert sorted(opened) == sorted(RECORD_TYPES)
