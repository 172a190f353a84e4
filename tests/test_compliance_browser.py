"""三会一课 in headless Chromium on the demo: a branch's year grid, a 党委's list of branches, the org tree's
flags and the home page's list, on a phone (390 px) and a desktop (1366 px), with test_browser.py's page-shape
and accessibility checks (honours' `shape_problems`).

Screenshots go to /tmp/compliance-<page>-<width>.png (for a person to look at) as well as test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_browser import SCREENSHOTS, WIDTHS, axe, browser, demo_server  # noqa: F401 - fixtures used by name
from test_honours_browser import shape_problems

PAGES = {
    "grid": ("orgs/caota-xinan/", "#three-one"),  # 溪南村: its 2015 grid, two meetings missing
    "below": ("orgs/caota/", "#three-one"),  # 草塔镇党委: the villages with a meeting missing
    "tree": ("orgs/", ".dj-tree"),
    "home": ("", "h2:has-text('三会一课未按期召开')"),
}


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_three_one_reads_on_a_phone_and_a_desktop(demo_server, browser, axe, name, width):
    w, h = WIDTHS[width]
    url, anchor = PAGES[name]
    page = browser.new_page(viewport={"width": w, "height": h})
    assert page.goto(demo_server + url).status == 200
    section = page.locator(anchor).first
    assert section.count(), f"{url}: no {anchor}"
    section.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for target in (Path(f"/tmp/compliance-{name}-{w}.png"), SCREENSHOTS / f"compliance-{name}-{w}.png"):
        page.screenshot(path=str(target))
    problems = shape_problems(page)
    if name == "grid":  # the grid itself fits: no sideways scrolling inside its box either
        box = page.evaluate(
            "() => { const t = [...document.querySelectorAll('table')].find("
            "x => x.caption && x.caption.textContent.includes('三会一课召开情况'));"
            " const article = document.querySelector('article');"
            " return [t.getBoundingClientRect().right, article.getBoundingClientRect().right] }"
        )
        if box[0] > box[1]:
            problems.append(f"the grid ends at {box[0]} px, beyond the text's right edge at {box[1]} px")
    problems += axe.problems(page)
    page.close()
    assert not problems, f"{url} at {w}px:\n" + "\n".join(problems)
