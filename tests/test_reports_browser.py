"""Yearly reports in headless Chromium: an org's report, a 党委's, /reports/<year>/ and the print layout, on a
phone (390 px) and a desktop (1366 px), with the page-shape and accessibility checks of test_browser.py.

Screenshots go to /tmp/reports-<page>-<width>.png (for a person to look at) as well as test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_browser import (  # noqa: F401 - the fixtures are used by name
    SCREENSHOTS,
    WIDTHS,
    axe,
    browser,
    demo_server,
)
from test_honours_browser import shape_problems

PAGES = {
    "branch": "orgs/caota-xinan/2015/",  # a branch: activities, 三会一课, its stars, honours, rankings
    "town": "orgs/caota/2015/",  # a 党委: its branches added up
    "compare": "reports/2016/",  # the root's children side by side: 海安 and 湖州
}
PHONE_COLUMN = 358  # px of content at 390 px


@pytest.mark.parametrize("width", WIDTHS, ids=list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_reports_read_on_a_phone_and_a_desktop(demo_server, browser, axe, name, width):
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    response = page.goto(demo_server + PAGES[name])
    assert response.status == 200
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for target in (Path(f"/tmp/reports-{name}-{w}.png"), SCREENSHOTS / f"reports-{name}-{w}.png"):
        page.screenshot(path=str(target), full_page=True)
    # axe first, on the page as it loaded: the shape checks below scroll wide tables to see their edge cue, and
    # text under a table's scroll shadow (caught mid-scroll on a loaded machine) read as low contrast
    problems = axe.problems(page)
    problems += shape_problems(page)
    # every chart label drawn at 12 px or more (charts.py: a 340-unit viewBox at the column's width)
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.dj-report svg.dj-chart text')]
             .filter(t => t.getBoundingClientRect().height > 0)
             .map(t => t.getBoundingClientRect().height)"""
    )
    assert sizes, "no chart text drawn"
    problems += [f"chart label {s:.1f}px high" for s in sizes if s < 11.5]
    page.close()
    assert not problems, f"{PAGES[name]} at {w}px:\n" + "\n".join(problems)


def test_a_report_prints_on_a4_with_its_charts_and_tables(demo_server, browser):
    page = browser.new_page()
    page.goto(demo_server + PAGES["branch"])
    page.emulate_media(media="print")
    shown = page.evaluate(
        """() => ({
            header: getComputedStyle(document.querySelector('.md-header')).display,
            charts: [...document.querySelectorAll('.dj-report svg.dj-chart')]
                .filter(s => s.getBoundingClientRect().width > 0).length,
            tables: [...document.querySelectorAll('.dj-report table')]
                .filter(t => t.getBoundingClientRect().width > 0).length,
        })"""
    )
    pdf = page.pdf(format="A4")
    Path("/tmp/reports-print.pdf").write_bytes(pdf)
    page.close()
    assert shown["header"] == "none"
    assert shown["charts"] >= 3 and shown["tables"] >= 5, shown
    assert pdf.startswith(b"%PDF")
