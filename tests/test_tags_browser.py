"""The topic pages of the demo in Chromium at 390 and 1366 px: nothing scrolls sideways or is cut off, a wide
table scrolls, no serious or critical axe finding; the share metadata is what the browser's head holds.
(test_browser.py's fixtures and measurements; it lists the other page kinds.)"""

from __future__ import annotations

import pytest

from test_browser import MEASURE, WIDTHS, axe, browser, demo_server  # noqa: F401 - fixtures used by name

TOPIC_PAGES = {"tags": "tags/", "topic": "tags/hong-se-xing-qi-liu/", "busy-topic": "tags/cao-ta-zhen/"}


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
@pytest.mark.parametrize("name", TOPIC_PAGES)
def test_topic_pages_read_on_a_phone_and_a_desktop(demo_server, browser, axe, name, width):  # noqa: F811
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    response = page.goto(demo_server + TOPIC_PAGES[name])
    assert response.status == 200 and page.locator("h1").first.inner_text().startswith("专题")
    page.screenshot(path=f"/tmp/tags-{name}-{w}.png", full_page=True)
    m = page.evaluate(MEASURE)
    problems = []
    if m["scrollWidth"] > m["innerWidth"]:
        problems.append(f"the page scrolls sideways: {m['scrollWidth']} > {m['innerWidth']}")
    problems += [f"cut off at the right edge: {s}" for s in m["sticking"][:5]]
    problems += [f"table {t['name']} is wider than its box" for t in m["tables"] if t["wide"]]
    problems += axe.problems(page)
    shared = page.evaluate(
        "() => Object.fromEntries([...document.head.querySelectorAll('meta[property^=\"og:\"]')]"
        ".map(m => [m.getAttribute('property'), m.content]))"
    )
    page.close()
    assert not problems, f"{TOPIC_PAGES[name]} at {w}px:\n" + "\n".join(problems)
    assert shared["og:title"].startswith("专题") and shared["og:locale"] == "zh_CN"
    assert shared["og:image"].endswith("assets/share/tags.png")
