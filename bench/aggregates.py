"""CPU of the site's aggregates (SiteData's figures, suppression, rankings, duty book, timelines, reports,
the Data Package), each timed in the order a build first asks for it, over a fresh SiteData each run.

    .venv/bin/python bench/aggregates.py ROOT [RUNS]

Validation runs once, outside the timings (it has its own bench). Prints each part's median CPU seconds
(process time) over RUNS runs, and their sum. Figures only: nothing here is asserted.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dangjian.site import datapackage, duty, reports, timelines
from dangjian.site.build import build_date
from dangjian.site.data import SiteData
from dangjian.validate import validate


def _parts(data: SiteData) -> list[tuple[str, Callable[[], Any]]]:
    members = [p.id for p in data.public_members]
    orgs = sorted(data.reg.orgs)
    return [
        ("unsafe_rankings (figures, suppression, rankings)", lambda: data.unsafe_rankings),
        ("histories (published rankings)", lambda: data.histories),
        ("org stats shown", lambda: [data.shown_stats(o) for o in orgs]),
        ("duty views (public members)", lambda: [duty.view(data, m) for m in members]),
        ("timelines.histories", lambda: [timelines.histories(data).membership(o) for o in orgs]),
        (
            "reports (every org's years)",
            lambda: [reports.reports(data).year(o, y) for o in orgs for y in reports.reports(data).years.get(o, [])],
        ),
        ("datapackage.descriptor x2", lambda: (datapackage.descriptor(data), datapackage.descriptor(data))),
    ]


def main(argv: list[str]) -> int:
    root, runs = Path(argv[0]), int(argv[1]) if len(argv) > 1 else 3
    result = validate(root)
    if not result.ok:
        print("registry invalid", file=sys.stderr)
        return 1
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        started = time.process_time()
        data = SiteData(result.registry, build_date())
        times.setdefault("SiteData (scores, rankings books)", []).append(time.process_time() - started)
        for name, part in _parts(data):
            started = time.process_time()
            part()
            times.setdefault(name, []).append(time.process_time() - started)
    print("  first   later  (CPU seconds; first: this process's first run, as a build's; later: the median of")
    print("                  the others, whose module-level memos are warm, as a long-running serve's)")
    first = later = 0.0
    for name, spent in times.items():
        rest = statistics.median(spent[1:]) if len(spent) > 1 else float("nan")
        first, later = first + spent[0], later + rest
        print(f"{spent[0]:7.3f} {rest:7.3f}  {name}")
    print(f"{first:7.3f} {later:7.3f}  in all ({runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
