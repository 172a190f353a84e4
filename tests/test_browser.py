"""The demo site in headless Chromium: phone and desktop screenshots, and Chinese search in both scripts.

Needs Debian's chromium (`.ci/run` installs it). Screenshots go to test-artifacts/.
Set DANGJIAN_REQUIRE_BROWSER=1 (CI does) to fail instead of skipping without a browser.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading

import pytest

from conftest import REPO
from site_helpers import CHROMIUM, TRADITIONAL_STORY, build_site, launch_chromium

ARTIFACTS = REPO / "test-artifacts"

if not CHROMIUM:
    if os.environ.get("DANGJIAN_REQUIRE_BROWSER"):
        raise RuntimeError("chromium is required for the browser tests (apt-get install chromium)")
    pytest.skip("chromium is not installed", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


def demo_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser") / "root"
    shutil.copytree(REPO / "registry", root / "registry")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serving(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The demo plus a story in traditional characters, with Pagefind's search index (test_ownsearch_browser.py runs
    the search tests here again over the default, dangjian's own index)."""
    root = demo_copy(tmp_path_factory)
    (root / "content/stories/xinan-qingsao-fanti.md").write_text(TRADITIONAL_STORY, encoding="utf-8")
    with serving(build_site(root, root / "site", search=True, engine="pagefind")) as url:
        yield url


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo as it is, without the search index (the page checks do not search)."""
    root = demo_copy(tmp_path_factory)
    with serving(build_site(root, root / "site", search=False)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = launch_chromium(p)
        yield instance
        instance.close()


# One page of every kind the site has. Project: the one whose 评议 table has the longest 评语 (it was cut
# mid-sentence at 390 px); org: one with a rank history and a star distribution.
PAGE_KINDS = {
    "home": "",
    "org-tree": "orgs/",
    "org": "orgs/caota-shangyu/",
    "org-activities": "orgs/caota-shangyu/activities/",
    "member": "members/m-chen-haifeng/",
    "brands": "brands/",
    "brand": "brands/qicai/",
    "projects": "projects/",
    "project": "projects/caota-2015-chuntangdong-xuncha/",
    "stories": "stories/",
    "story": "stories/caota-longzhuli-gengzhong/",
    "activities": "activities/",
    "month": "activities/2015-06/",
    "rankings": "rankings/",
    "ranking-scheme": "rankings/caota-villages/",
    "ranking-period": "rankings/caota-villages/2015-Q2/",
    "changes": "changes/",
    "api": "api/",
    "honours": "honours/",
    "free-page": "about/",
    "404": "404.html",
}
WIDTHS = {"phone": (390, 844), "desktop": (1366, 900)}
SCREENSHOTS = ARTIFACTS / "screenshots"
# Serious or critical axe findings that are known, each with whose file holds it and the fix. Nothing else
# may appear; an entry that stops appearing fails too, so the list shrinks as they are fixed.
KNOWN_AXE: dict[tuple[str, str], str] = {}

# Everything the page-shape checks read, measured in the page in one call.
MEASURE = """() => {
  const inner = innerWidth, article = document.querySelector("article") || document.body;
  // A box that shows (display: contents has no box, whatever its overflow says) and scrolls sideways.
  const scrolls = el => getComputedStyle(el).display !== "contents" && \
["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const clips = el => getComputedStyle(el).display !== "contents" && \
["hidden", "clip"].includes(getComputedStyle(el).overflowX);
  const describe = el => el.tagName.toLowerCase() + \
(el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "")
    + ":" + (el.textContent || "").trim().slice(0, 20);
  // The visually-hidden idiom: a box of a pixel or two that hides what it holds (for screen readers only).
  const unseen = el => getComputedStyle(el).overflowX !== "visible" && el.clientWidth <= 2;
  // Elements past the right edge of the screen that no sideways scroller of theirs can bring into view.
  const sticking = [];
  for (const el of document.querySelectorAll("header *, article *")) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || r.right <= inner + 1) continue;
    let box = el.parentElement, held = false;
    while (box && box !== document.documentElement) {
      if (scrolls(box) && box.getBoundingClientRect().right <= inner + 1) { held = true; break; }
      if (unseen(box)) { held = true; break; }  // inside a box for screen readers only
      box = box.parentElement;
    }
    if (!held) sticking.push(describe(el) + " right=" + Math.round(r.right));
  }
  // Every table and the box that hides part of it: the nearest of itself and its ancestors that is narrower
  // than what it holds and does not let it overflow (none: the table fits, or sticks out past the screen).
  const hiding = el => getComputedStyle(el).display !== "contents" && getComputedStyle(el).overflowX !== "visible"
    && el.scrollWidth > el.clientWidth + 1;
  const tables = [...article.querySelectorAll("table")].map((table, index) => {
    let box = table;
    while (box !== article && !hiding(box)) box = box.parentElement;
    const wide = box !== article || table.getBoundingClientRect().right > inner + 1;
    return {index, wide: wide && !(box !== article && unseen(box)), \
scrolls: box !== article && scrolls(box), name: describe(table)};
  });
  const charts = [...article.querySelectorAll("svg text")].filter(t => t.getBoundingClientRect().width > 0).map(t => {
    const m = t.getScreenCTM(), r = t.getBoundingClientRect();
    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b),
            left: r.left, right: r.right};
  });
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: inner, sticking, tables, charts};
}"""


def table_box(page, index: int):
    """The box that hides part of table number `index` of the article (see MEASURE)."""
    return page.evaluate_handle(
        """index => {
      const hiding = el => getComputedStyle(el).display !== "contents" && getComputedStyle(el).overflowX !== "visible"
        && el.scrollWidth > el.clientWidth + 1;
      let box = document.querySelectorAll("article table")[index];
      while (!hiding(box)) box = box.parentElement;
      return box;
    }""",
        index,
    )


def edge_strip(page, box, scroll_to: str):
    """A picture of the last 12 px at the right edge of `box`, scrolled to its start or its end."""
    from io import BytesIO

    from PIL import Image

    box.evaluate("(el, to) => { el.scrollLeft = to === 'start' ? 0 : el.scrollWidth; }", scroll_to)
    box.scroll_into_view_if_needed()
    r = box.bounding_box()
    clip = {"x": r["x"] + r["width"] - 14, "y": r["y"] + 2, "width": 12, "height": max(r["height"] - 4, 1)}
    return Image.open(BytesIO(page.screenshot(clip=clip))).convert("RGB")


def difference(a, b) -> float:
    """Mean absolute difference of two same-sized pictures, per channel (0..255)."""
    from PIL import ImageChops, ImageStat

    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def without_cue(page, box, on: bool) -> None:
    """Paint `box` plain (no shadow, no cover) or give it back its own background."""
    box.evaluate("(el, on) => { el.style.background = on ? 'var(--md-default-bg-color)' : ''; }", on)


def cue_shows_what_is_hidden(page, box) -> tuple[float, float]:
    """How much the right edge changes when the cue is taken away: at the start (content hidden to the
    right: must show) and at the end (nothing more to the right: must not)."""
    shown = []
    for where in ("start", "end"):
        with_cue = edge_strip(page, box, where)
        without_cue(page, box, True)
        plain = edge_strip(page, box, where)
        without_cue(page, box, False)
        shown.append(difference(with_cue, plain))
    return shown[0], shown[1]


SETTLE = """async (top) => {
  if (top) window.scrollTo(0, 0);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const running = document.getAnimations().map(a => a.finished.catch(() => null));
  await Promise.race([Promise.all(running), new Promise(r => setTimeout(r, 5000))]);
}"""


class SettledAxe:
    """axe-core on a page at rest. Material fades its header tabs out when the page scrolls (a full-page
    screenshot or a table scrolled to see its cue is enough) and back in at the top; axe measuring a link
    mid-fade reads a contrast the page never shows at rest, on a loaded machine only (CI saw it twice,
    the test alone never). So: back to the top (unless `top=False`, e.g. with a lightbox open), then wait
    for every running CSS transition and animation to finish before axe looks."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self._axe = Axe()

    def run(self, page, options=None, *, top: bool = True):
        page.evaluate(SETTLE, top)
        return self._axe.run(page, options=options)

    def serious(self, page, *, top: bool = True) -> dict[str, dict]:
        """axe's serious and critical violations on the settled page, by rule id."""
        found = self.run(page, options={"resultTypes": ["violations"]}, top=top).response["violations"]
        return {v["id"]: v for v in found if v["impact"] in SERIOUS}

    def problems(self, page, *, top: bool = True) -> list[str]:
        """Each serious or critical violation as one line: impact, rule, help and its first three targets."""
        return [said(v) for v in self.serious(page, top=top).values()]


SERIOUS = ("serious", "critical")


def said(violation: dict) -> str:
    """One axe violation as a test failure line."""
    targets = [" ".join(node["target"]) for node in violation["nodes"]][:3]
    return f"axe {violation['impact']} {violation['id']}: {violation['help']} at {targets}"


@pytest.fixture(scope="module")
def axe():
    return SettledAxe()


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_every_page_kind_reads_on_a_phone_and_a_desktop(demo_server, browser, axe, kind, width):
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    response = page.goto(demo_server + PAGE_KINDS[kind])
    assert response.status == 200 and page.locator("h1").first.inner_text().strip()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{kind}-{w}.png"), full_page=True)
    m = page.evaluate(MEASURE)
    problems = []
    if m["scrollWidth"] > m["innerWidth"]:
        problems.append(f"the page scrolls sideways: {m['scrollWidth']} > {m['innerWidth']}")
    problems += [f"cut off at the right edge: {s}" for s in m["sticking"][:5]]
    for table in (t for t in m["tables"] if t["wide"]):
        if not table["scrolls"]:
            problems.append(f"table {table['name']} is wider than its box and cannot scroll")
            continue
        at_start, at_end = cue_shows_what_is_hidden(page, table_box(page, table["index"]))
        if at_start < 4 or at_end > at_start / 3:
            problems.append(
                f"table {table['name']} is wider than its box with no visible cue "
                f"(edge changes by {at_start:.1f} with hidden columns, {at_end:.1f} without)"
            )
    for text in m["charts"]:
        if text["px"] < 11:
            problems.append(f"chart label {text['text']!r} is {text['px']:.1f}px")
        if text["left"] < -1 or text["right"] > m["innerWidth"] + 1:
            problems.append(f"chart label {text['text']!r} is cut off")
    found = axe.serious(page)
    problems += [said(violation) for rule, violation in found.items() if (kind, rule) not in KNOWN_AXE]
    problems += [
        f"known axe finding {rule} no longer appears: take it off KNOWN_AXE"
        for k, rule in KNOWN_AXE
        if k == kind and rule not in found
    ]
    page.close()
    assert not problems, f"{PAGE_KINDS[kind] or 'home'} at {w}px:\n" + "\n".join(problems)


CHECKS_SEE = """<!doctype html><html style="overflow-x: hidden"><body style="margin: 0"><header></header><article>
<div id="wide" style="width: 600px">一段比手机屏幕还宽的文字</div>
<div style="overflow-x: auto"><table style="width: 800px">\
<tr><th>甲</th><th>乙</th></tr><tr><td>1</td><td>2</td></tr></table></div>
<div style="overflow: hidden; width: 200px"><table style="width: 500px"><tr><td>被裁掉的表格</td></tr></table></div>
<svg viewBox="0 0 640 80" style="width: 100%" font-size="11"><text x="4" y="20">第1</text></svg>
</article></body></html>"""


def test_the_page_checks_see_what_they_look_for(browser):
    """The measurements the page-kind test relies on, on a page made to fail each of them."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.set_content(CHECKS_SEE)
    m = page.evaluate(MEASURE)
    assert any(s.startswith("div:") and "right=600" in s for s in m["sticking"])
    assert [(t["wide"], t["scrolls"]) for t in m["tables"]] == [(True, True), (True, False)]
    at_start, at_end = cue_shows_what_is_hidden(page, table_box(page, 0))
    assert at_start < 4  # a plain scrolling box shows nothing at its cut edge
    assert [round(t["px"], 1) for t in m["charts"]] == [round(11 * 390 / 640, 1)]
    page.close()


def results(browser, server, query: str) -> list[str]:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=" + query)
    page.wait_for_selector(".dj-search__result-link", timeout=20000)
    titles = [link.inner_text() for link in page.query_selector_all(".dj-search__result-link")]
    page.close()
    return titles


def test_a_chinese_query_finds_the_page(server, browser):
    assert "上余村：每周二的民情分析会" in results(browser, server, "民情分析会")


def test_a_traditional_query_finds_a_simplified_page(server, browser):
    assert "上余村：每周二的民情分析会" in results(browser, server, "民情分析會")


def test_a_simplified_query_finds_a_traditional_page(server, browser):
    assert "溪南村黨員義務清掃河道" in results(browser, server, "义务清扫河道")


def test_more_results_are_shown_on_request(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=党员")
    page.wait_for_selector(".dj-search__result-link", timeout=20000)
    status = page.inner_text(".dj-search__status")
    found = int("".join(ch for ch in status if ch.isdigit()))
    assert found > 5, status
    assert len(page.query_selector_all(".dj-search__result")) == 5
    page.click(".dj-search__more")
    page.wait_for_function("document.querySelectorAll('.dj-search__result').length > 5", timeout=20000)
    assert len(page.query_selector_all(".dj-search__result")) == min(10, found)
    page.close()


def test_a_query_with_no_match_says_so(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=量子引力")
    page.wait_for_function("document.querySelector('.dj-search__status').textContent.length > 0", timeout=20000)
    assert "没有找到" in page.inner_text(".dj-search__status")
    assert not page.query_selector_all(".dj-search__result")
    page.close()


def test_excerpts_hold_text_and_marks_only(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server + "?q=民情分析会")
    page.wait_for_selector(".dj-search__excerpt mark", timeout=20000)
    tags = page.evaluate("[...document.querySelectorAll('.dj-search__excerpt *')].map(node => node.tagName)")
    assert set(tags) == {"MARK"}
    page.close()


def test_a_search_fetches_no_worker_and_nothing_missing(server, browser):
    fetched = []
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.on("response", lambda response: fetched.append((response.url, response.status)))
    page.goto(server + "?q=民情分析会")
    page.wait_for_selector(".dj-search__result-link", timeout=20000)
    page.close()
    assert [url for url, status in fetched if status >= 400] == []
    assert any(url.endswith("dangjian-search.json") for url, _ in fetched)
    assert not any("pagefind-worker" in url for url, _ in fetched)


# --- Keyboard access to tables wider than their box (assets/dangjian/tables.js) --------------------------

# Every box that could scroll a table sideways (not a wrapper flattened with display: contents, not a box kept
# for screen readers only), with what a keyboard and a screen reader get from it.
TABLE_BOXES = """() => [...document.querySelectorAll("article .md-typeset__scrollwrap")].filter(box => {
    const style = getComputedStyle(box);
    return style.display !== "contents" && ["auto", "scroll"].includes(style.overflowX) && box.clientWidth > 2;
  }).map(box => {
    const caption = box.querySelector("table caption");
    return {wide: box.scrollWidth > box.clientWidth + 1, tabindex: box.getAttribute("tabindex"),
            role: box.getAttribute("role"), label: box.getAttribute("aria-label") || "",
            caption: caption ? caption.textContent.trim() : ""};
  })"""
NARROWEST = (320, 700)


def wide_box_problems(boxes: list[dict]) -> list[str]:
    """What is wrong with the boxes: a wide one the keyboard cannot reach or that has no name, a narrow one
    that is a tab stop for nothing."""
    problems = []
    for n, box in enumerate(boxes):
        if box["wide"] and (box["tabindex"] != "0" or box["role"] != "region" or not box["label"].strip()):
            problems.append(f"box {n} is wider than its column but not a named, focusable region: {box}")
        if box["wide"] and box["caption"] and not box["label"].startswith(box["caption"]):
            problems.append(f"box {n} is not named after its table's caption: {box}")
        if not box["wide"] and box["tabindex"] is not None:
            problems.append(f"box {n} fits its column but is still a tab stop: {box}")
    return problems


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_every_wide_table_box_is_a_named_tab_stop_at_320px(demo_server, browser, axe, kind):
    """axe's scrollable-region-focusable asks it only of boxes without a link inside; a keyboard user
    needs it of every box that hides columns, and a screen reader user needs to know what it holds."""
    page = browser.new_page(viewport={"width": NARROWEST[0], "height": NARROWEST[1]})
    page.goto(demo_server + PAGE_KINDS[kind])
    page.wait_for_load_state("load")
    problems = wide_box_problems(page.evaluate(TABLE_BOXES))
    results = axe.run(page, options={"runOnly": ["scrollable-region-focusable"], "resultTypes": ["violations"]})
    problems += [f"axe {v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]
    page.close()
    assert not problems, f"{PAGE_KINDS[kind] or 'home'} at 320px:\n" + "\n".join(problems)


def test_a_wide_ranking_table_scrolls_from_the_keyboard_and_stops_being_a_tab_stop_when_it_fits(demo_server, browser):
    page = browser.new_page(viewport={"width": NARROWEST[0], "height": NARROWEST[1]})
    page.goto(demo_server + PAGE_KINDS["ranking-period"])
    page.wait_for_load_state("load")
    boxes = page.evaluate(TABLE_BOXES)
    assert any(box["wide"] for box in boxes), "the period's ranking table should not fit 320px"
    focusable = page.locator("article .md-typeset__scrollwrap[tabindex='0']").first
    focusable.focus()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    before = focusable.evaluate("box => box.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("box => box.scrollLeft > 0", arg=focusable.element_handle(), timeout=5000)
    assert focusable.evaluate("box => box.scrollLeft") > before
    page.set_viewport_size({"width": 1366, "height": 900})
    page.wait_for_function(
        """() => [...document.querySelectorAll("article .md-typeset__scrollwrap")].every(box =>
        box.scrollWidth > box.clientWidth + 1 || !box.hasAttribute("tabindex"))""",
        timeout=5000,
    )
    assert not wide_box_problems(page.evaluate(TABLE_BOXES))
    page.close()


NAMING = """<!doctype html><html><body><article class="md-typeset">
<h1>页面</h1>
<h2>甲表</h2>
<div class="md-typeset__scrollwrap" id="heading" style="overflow-x: auto">\
<div class="md-typeset__table"><table style="width: 900px"><tr><td>1</td></tr></table></div></div>
<div class="md-typeset__scrollwrap" id="caption" style="overflow-x: auto"><div class="md-typeset__table">\
<table style="width: 900px"><caption>乙表</caption><tr><td>1</td></tr></table></div></div>
<div class="md-typeset__scrollwrap" id="narrow" style="overflow-x: auto">\
<div class="md-typeset__table"><table><tr><td>1</td></tr></table></div></div>
<div class="md-typeset__scrollwrap" id="unseen" style="overflow: hidden; width: 1px; height: 1px">\
<div class="md-typeset__table"><table style="width: 900px"><tr><td>1</td></tr></table></div></div>
<div class="md-typeset__scrollwrap" id="own" tabindex="-1" aria-label="自己的名字" style="overflow-x: auto">\
<div class="md-typeset__table"><table><tr><td>1</td></tr></table></div></div>
</article></body></html>"""


def test_table_boxes_are_named_after_their_caption_or_the_heading_before_them(browser):
    """tables.js alone, on a page made for it: the name's two sources, and boxes it must leave alone."""
    page = browser.new_page(viewport={"width": 400, "height": 700})
    page.set_content(NAMING)
    page.add_script_tag(path=str(REPO / "site_templates/overrides/assets/dangjian/tables.js"))
    page.wait_for_function("document.getElementById('caption').hasAttribute('tabindex')", timeout=5000)
    attrs = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(".md-typeset__scrollwrap")]\
.map(box =>
        [box.id, [box.getAttribute("tabindex"), box.getAttribute("role"), box.getAttribute("aria-label")]]))""")
    assert attrs["heading"] == ["0", "region", "甲表，可左右滑动"]
    assert attrs["caption"] == ["0", "region", "乙表，可左右滑动"]
    assert attrs["narrow"] == [None, None, None]
    assert attrs["unseen"] == [None, None, None]  # a box for screen readers only is no tab stop
    assert attrs["own"] == ["-1", None, "自己的名字"]  # a template's own attributes are kept
    page.set_viewport_size({"width": 1400, "height": 700})
    page.evaluate("document.querySelector('#caption table').style.width = '100px'")
    page.wait_for_function("!document.getElementById('caption').hasAttribute('tabindex')", timeout=5000)
    assert page.evaluate("document.getElementById('caption').getAttribute('aria-label')") is None
    page.close()


def test_an_org_tree_toggle_opens_its_branch_and_is_named_after_its_org(demo_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(demo_server + "orgs/")
    closed = page.query_selector(".dj-tree details:not([open]) > summary")  # a handle: stays on this one
    org = closed.evaluate("summary => summary.parentElement.parentElement.querySelector(':scope > a').textContent")
    assert closed.get_attribute("aria-label") == f"{org}的下级组织"
    child = closed.evaluate_handle("summary => summary.parentElement.querySelector('a')")
    assert not child.is_visible()
    closed.focus()
    page.keyboard.press("Enter")
    assert child.is_visible()
    page.close()
