"""The floor rendering sets under a cold build on this machine: every page of a registry rendered with the site's
templates (Jinja2: the kinds' templates, then Material's layout around them) from contexts made beforehand, and
nothing else (no validation, aggregates, exports, search index, privacy gate or history), CPU step by step; and that
CPU spread evenly over every core, the least wall time any build rendering these pages with these templates could
take here. Beside it, the peer's figures of a `bench/scale.py` run on the same registry (`--peer`), and the targets.

    DANGJIAN_CACHE=... .venv/bin/python bench/floors.py ROOT [--peer bench/results/town-county-r38.json --scale county]

Validation and the pages' contexts are made once, outside the timings (the contexts are timed apart: they are what
a build computes for the pages, not rendering). Each page is written under a temporary folder, as a build writes
it. Figures only: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from dangjian.parallel import cores
from dangjian.site import keptpages, search
from dangjian.site.build import build_date, content_environment, relative
from dangjian.site.data import SiteData
from dangjian.site.incremental import Canon, Made
from dangjian.site.pages import nav_entries
from dangjian.site.theme import MaterialTheme, NavEntry, PageSpec
from dangjian.validate import LAZY_KINDS, validate
from markupsafe import escape

# The targets for a cold build: ≤ 1.0 × Hugo + Pagefind with search, ≤ 3 × Hugo without.
TARGETS = {"build_cold": ("peer_hugo_pagefind", 1.0), "build_cold_no_search": ("peer_hugo", 3.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--peer", type=Path, help="a bench/scale.py --json result holding this registry's scale")
    parser.add_argument("--scale", default="county", help="which scale of --peer (town, county, city)")
    args = parser.parse_args()

    data = SiteData(validate(args.root, lazy=LAZY_KINDS).registry, build_date())
    site = data.settings
    theme = MaterialTheme(
        args.root / "mkdocs.yml",
        site_name=site.get("title", "基层党建"),
        description=site.get("description", ""),
        site_url=site.get("base_url"),
        nav=[NavEntry(title, url) for title, url in nav_entries(data)],
    )
    env = content_environment(data, Canon())
    started = time.process_time()
    pages = keptpages.Pages(data, {}, lambda sources: [], Canon()).all()
    for page in pages:
        if isinstance(page.context, Made):
            page.context.made()
    contexts = time.process_time() - started

    steps = {"templates": 0.0, "search copy": 0.0, "layout": 0.0, "write": 0.0}
    with tempfile.TemporaryDirectory(prefix="dangjian-floor-") as folder:
        for page in pages:
            begin = time.process_time()
            rel = lambda target, url=page.url: relative(target, url)  # noqa: E731
            body = env.get_template(page.template).render(page.context, rel=rel)
            content = f'<h1 id="dj-title">{escape(page.title)}</h1>\n{body}'
            templated = time.process_time()
            copy = search.simplified_copy(content)
            copied = time.process_time()
            html = theme.render(PageSpec(page.url, page.title, f"<div data-pagefind-body>{content}</div>")).encode()
            laid = time.process_time()
            path = Path(folder) / page.url / "index.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(html)
            steps["templates"] += templated - begin
            steps["search copy"] += copied - templated
            steps["layout"] += laid - copied
            steps["write"] += time.process_time() - laid
            del copy

    spread = cores()
    rendering = sum(steps.values())
    without_copy = rendering - steps["search copy"]
    print(f"{len(pages):,} pages of {args.root}; their contexts made beforehand: {contexts:.2f} s CPU")
    for step, taken in steps.items():
        print(f"  {step:12} {taken:7.2f} s CPU  ({taken / len(pages) * 1000:.2f} ms a page)")
    print(f"  {'rendering':12} {rendering:7.2f} s CPU; over {spread} cores at best {rendering / spread:.2f} s wall")
    print(f"  without the search copy {without_copy:.2f} s CPU; over {spread} cores {without_copy / spread:.2f} s wall")
    if args.peer is None:
        return
    record = next(s for s in json.loads(args.peer.read_text())["scales"] if s["scale"] == args.scale)
    figures = record["figures"]
    floors = {"build_cold": rendering / spread, "build_cold_no_search": without_copy / spread}
    print(f"beside {args.peer} ({args.scale}, {record['pages']:,} pages; the peer {record['peer_pages']:,}):")
    for name, (peer, target) in TARGETS.items():
        ours, theirs = figures[name]["wall_s"], figures[peer]["wall_s"]
        floor = floors[name]
        print(
            f"  {figures[name]['label']}: {ours:.2f} s = ×{ours / theirs:.2f} {figures[peer]['label']}"
            f" ({theirs:.2f} s);"
            f" rendering alone at best {floor:.2f} s = ×{floor / theirs:.2f} (target ≤ ×{target:g}:"
            f" {'out of reach while rendering costs this' if floor / theirs > target else 'within reach'})"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
