"""Honours in headless Chromium: /honours/, an org's and a public member's page with honours, on a phone
(390 px) and a desktop (1366 px), with the page-shape and accessibility checks of test_browser.py.

Screenshots go to /tmp/honours-<page>-<width>.png (for a person to look at) as well as test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_browser import (  # noqa: F401 - the fixtures are used by name
    MEASURE,
    SCREENSHOTS,
    WIDTHS,
    axe,
    browser,
    cue_shows_what_is_hidden,
    demo_server,
    table_box,
)

PAGES = {
    "honours": "honours/",
    "org": "orgs/caota-xinan/",  # its 五好党支部, beside its ranking and star chart
    "member": "members/m-yang-xiaoyan/",  # a public member's 党员先锋岗
}


def shape_problems(page) -> list[str]:
    """What test_browser's page check finds: sideways scrolling, text cut off, wide tables without a cue."""
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
            problems.append(f"table {table['name']} is wider than its box with no visible cue")
    return problems


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_honours_read_on_a_phone_and_a_desktop(demo_server, browser, axe, name, width):
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    response = page.goto(demo_server + PAGES[name])
    assert response.status == 200
    assert page.locator("h2", has_text="表彰与创评").count() or name == "honours"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for target in (Path(f"/tmp/honours-{name}-{w}.png"), SCREENSHOTS / f"honours-{name}-{w}.png"):
        page.screenshot(path=str(target), full_page=True)
    # axe first, on the page as it loaded: the shape checks below scroll wide tables to see their edge cue, and
    # text under a table's scroll shadow (caught mid-scroll on a loaded machine) read as low contrast
    problems = axe.problems(page)
    problems += shape_problems(page)
    page.close()
    assert not problems, f"{PAGES[name]} at {w}px:\n" + "\n".join(problems)
