"""The demo's 书记 ranking (a ranking of people) in headless Chromium, on a phone (390 px) and a desktop (1366 px):
the page never scrolls sideways, nothing is cut off, a wide table scrolls in its box with a visible cue, and axe
finds nothing serious. Reuses test_browser.py's server, browser and measurements.

Set DANGJIAN_REQUIRE_BROWSER=1 to fail instead of skipping without a browser (test_browser.py decides).
"""

from __future__ import annotations

import pytest

from test_browser import MEASURE, WIDTHS, axe, browser, cue_shows_what_is_hidden, demo_server, table_box  # noqa: F401

PAGES = {"period": "rankings/caota-secretaries/2015-Q2/", "history": "rankings/caota-secretaries/"}


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_the_secretaries_ranking_reads_on_a_phone_and_a_desktop(demo_server, browser, axe, name, width):  # noqa: F811
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    response = page.goto(demo_server + PAGES[name])
    assert response.status == 200
    assert "草塔镇村党组织书记季度排位" in page.locator("h1").first.inner_text()
    page.screenshot(path=f"/tmp/peoplerank-{name}-{w}.png", full_page=True)
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
    for text in m["charts"]:
        if text["px"] < 11 or text["left"] < -1 or text["right"] > m["innerWidth"] + 1:
            problems.append(f"chart label {text['text']!r} is too small or cut off")
    problems += axe.problems(page)
    if name == "period" and width == "phone":  # so the scroll and cue checks above did run on this table
        assert [t["name"] for t in m["tables"] if t["wide"]], "at 390 px the ranking table is wider than the phone"
    page.close()
    assert not problems, f"{PAGES[name]} at {w}px:\n" + "\n".join(problems)
