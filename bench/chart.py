"""Draw the scaling chart from `bench/scale.py` results: build time against pages.

    .venv/bin/python bench/chart.py bench/results/scale.json [more.json ...] [--out docs/bench-scaling.svg]
                                    [--markdown bench/results/table.md]

Two series, one point per scale (town, county, city): `dangjian build` cold with search,
and its peer on the same number of pages, Hugo then Pagefind (median wall seconds of
the same run). When a scale appears in several files, the last file wins, so a city
run can be added to an earlier town + county run. The x axis (pages) is logarithmic;
the y axis too when the times span more than a factor of 20. Plain SVG: no scripts,
no external fonts, a viewBox that scales to a phone's width. `--markdown` also writes
the figures as a Markdown table, one column per scale (county and city side by side), and
the targets each scale met.

`--before OLD.json ...` adds an earlier measurement (for example the commit a round of work
started from): the chart draws its cold builds as a third series, and the table gives each
scale two columns, before and now.

    .venv/bin/python bench/chart.py bench/results/town-county.json bench/results/city.json \
        --before bench/results/before-issue23/town-county.json bench/results/before-issue23/city.json \
        --out docs/bench-scaling.svg --markdown bench/results/table.md
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IN = REPO / "bench" / "results" / "scale.json"
DEFAULT_OUT = REPO / "docs" / "bench-scaling.svg"
ORDER = ("town", "county", "city", "province")
NAMES = {"town": "镇 town", "county": "县 county", "city": "市 city", "province": "省 province"}
OURS_COLOR = "#b71c1c"
BEFORE_COLOR = "#c9898a"
LEGEND_ORDER = ("ours", "before", "peer")
PEER_COLOR = "#1f4e99"
FONT = "system-ui,-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif"
WIDTH, HEIGHT = 440, 362
LEFT, RIGHT, TOP, BOTTOM = 52, 18, 70, 94  # plot margins


@dataclass
class Point:
    """One scale: its pages and the two median build times, seconds."""

    scale: str
    pages: int
    ours: float | None
    peer: float | None

    @property
    def ratio(self) -> float | None:
        return self.ours / self.peer if self.ours is not None and self.peer else None


TIME = "wall_s"  # which median the chart and tables show: wall_s, or cpu_s (`--cpu`)


def points_of(result: dict) -> list[Point]:
    """The points of one `scale.py` JSON result."""
    out = []
    for record in result.get("scales", []):
        figures = record.get("figures", {})
        ours = (figures.get("build_cold") or {}).get(TIME)
        peer = (figures.get("peer_hugo_pagefind") or {}).get(TIME)
        if record.get("pages"):
            out.append(Point(record["scale"], int(record["pages"]), ours, peer))
    return out


def load_points(paths: list[Path]) -> list[Point]:
    """The points of every file, by scale (a later file replaces an earlier one's scale), fewest pages first."""
    by_scale: dict[str, Point] = {}
    for path in paths:
        for point in points_of(json.loads(Path(path).read_text(encoding="utf-8"))):
            by_scale[point.scale] = point
    rank = {name: n for n, name in enumerate(ORDER)}
    return sorted(by_scale.values(), key=lambda p: (p.pages, rank.get(p.scale, 99)))


def load_records(paths: list[Path]) -> list[dict]:
    """The scale records of every file, one per scale (a later file wins), fewest pages first."""
    by_scale: dict[str, dict] = {}
    for path in paths:
        for record in json.loads(Path(path).read_text(encoding="utf-8")).get("scales", []):
            by_scale[record["scale"]] = record
    return sorted(by_scale.values(), key=lambda r: r.get("pages") or 0)


TABLE_ROWS = (
    ("validate, cold cache", "validate_cold"),
    ("validate, warm cache", "validate_warm"),
    ("validate, one file changed", "validate_touched"),
    ("build, cold", "build_cold"),
    ("build, cold, `--no-search` (÷ Hugo)", "build_cold_no_search"),
    ("build, one org changed", "build_org"),
    ("build, one roster changed (a birth year)", "build_roster"),
    ("build, one member's admission day changed", "build_member"),
    ("build, one points entry added", "build_ledger"),
    ("build, one result changed", "build_result"),
    ("build, one story changed", "build_story"),
    ("build, nothing changed (the floor of a rebuild)", "build_none"),
    ("Python started, dangjian imported", "python_import"),
    ("`serve`: save → browser", "serve_reload"),
    ("peer: Hugo", "peer_hugo"),
    ("peer: Hugo + Pagefind", "peer_hugo_pagefind"),
)


def _time_cell(record: dict, key: str) -> str:
    figure = (record.get("figures") or {}).get(key) or {}
    wall = figure.get(TIME)
    share = ((record.get("ratios") or {}).get(key) or {}).get(TIME.removesuffix("_s"))
    return "-" if wall is None else _seconds(wall) + (f" (×{share:.1f})" if share is not None else "")


def _build_peak(record: dict) -> str:
    """The largest memory of one of our builds: its process tree's sampled PSS or its largest process's RSS."""
    values = [
        max(f.get("peak_mib") or 0, f.get("tree_mib") or 0)
        for k, f in (record.get("figures") or {}).items()
        if k.startswith("build")
    ]
    return f"{max(values):,.0f} MiB" if values and max(values) else "-"


def _site_cell(record: dict, cell) -> str:  # noqa: ANN001 (a small formatter)
    site = record.get("site")
    return cell(site) if site else "-"


def _search_cell(record: dict) -> str:
    search = record.get("search")
    if not search or search.get("bytes") is None:
        return "-"
    return f"{search['bytes'] / 1e3:.0f} KB ({search['gzip_bytes'] / 1e3:.0f} KB)"


def columns_of(records: list[dict], before: list[dict] | None) -> list[tuple[str, dict]]:
    """(heading, record) per column: one per scale, or before and now side by side for a scale measured in both."""
    earlier = {r["scale"]: r for r in before or []}
    now = {r["scale"]: r for r in records}
    rank = {name: n for n, name in enumerate(ORDER)}
    out = []
    for scale in sorted(set(now) | set(earlier), key=lambda name: rank.get(name, 99)):
        name = NAMES.get(scale, scale)
        if scale in earlier:
            out.append((f"{name}, before", earlier[scale]))
            out.append((f"{name}, now", now.get(scale, {"scale": scale})))  # not measured yet: every cell "-"
        else:
            out.append((name, now[scale]))
    return out


def markdown_table(records: list[dict], before: list[dict] | None = None) -> str:
    """The README's table: one column per scale (two, before and now, with `before`); times as
    `median s (× peer)`, then memory, sizes and the search."""
    if not records:
        return ""
    columns = columns_of(records, before)
    lines = ["| | " + " | ".join(heading for heading, _ in columns) + " |", "| --- |" + " ---: |" * len(columns)]

    def row(label: str, cell) -> None:  # noqa: ANN001
        lines.append(f"| {label} | " + " | ".join(cell(record) for _, record in columns) + " |")

    row("pages 页", lambda r: f"{r['pages']:,}" if r.get("pages") else "-")
    row("records 条记录", lambda r: f"{r['records']:,}" if r.get("records") else "-")
    for label, key in TABLE_ROWS:
        if any((r.get("figures") or {}).get(key) for _, r in columns):
            row(label, lambda r, key=key: _time_cell(r, key))
    row("peak memory of a build", _build_peak)
    row(
        "output / average page",
        lambda r: _site_cell(r, lambda s: f"{s['total_bytes'] / 1e6:,.0f} MB / {s['average_html_bytes'] / 1e3:.1f} KB"),
    )
    row(
        "largest file",
        lambda r: _site_cell(
            r,
            lambda s: f"{s['largest_bytes'] / 1e3:,.0f} KB",  # its name: in the targets' table
        ),
    )
    row("search download (gzip)", _search_cell)
    return "\n".join(lines) + "\n"


def targets_table(records: list[dict]) -> str:
    """The targets of issue 23 as `bench/scale.py` judged them: one row per target, one column per scale."""
    judged = [r for r in records if any("wanted" in t for t in r.get("targets") or [])]
    if not judged:
        return ""
    names = [t["target"] for t in judged[-1]["targets"]]
    lines = [
        "| target | wanted | " + " | ".join(NAMES.get(r["scale"], r["scale"]) for r in judged) + " |",
        "| --- | --- |" + " --- |" * len(judged),
    ]
    for name in names:
        found = [next((t for t in r["targets"] if t["target"] == name), None) for r in judged]
        wanted = " / ".join(dict.fromkeys(t["wanted"] for t in found if t))
        cells = []
        for target in found:
            if target is None:
                cells.append("-")
            elif target["met"] is None:
                cells.append("not measured")
            else:
                floor = f"; floor {target['floor_s']:.2f} s" if target.get("floor_s") is not None else ""
                cells.append(f"{'met' if target['met'] else '**not met**'} ({target['shown']}{floor})")
        lines.append(f"| {name} | {wanted} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def nice_ticks(low: float, high: float, log: bool) -> list[float]:
    """Tick values within [low, high]: 1-2-5 steps on a log axis, about five round steps on a linear one."""
    if log:
        exponents = range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
        for mantissas in ((1, 2, 5), (1, 3), (1,)):
            ticks = [m * 10**e for e in exponents for m in mantissas if low <= m * 10**e <= high]
            if len(ticks) <= 8:
                break
        return [round(t, 10) for t in ticks]
    span = high - low
    raw = span / 5 if span > 0 else 1
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [round(first + k * step, 10) for k in range(int((high - first) / step) + 1)]


def _seconds(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f} s"
    if value >= 10:
        return f"{value:.0f} s"
    return f"{value:.1f} s"


def _tick_label(value: float) -> str:
    return f"{value:g}"


def render_svg(
    points: list[Point], before: list[Point] | None = None, title: str = "Build time vs pages · 生成用时与页数"
) -> str:
    """The chart as an SVG document; `before`: an earlier measurement's cold builds, drawn as a third series."""
    before = [p for p in before or [] if p.ours]
    times = [t for p in points for t in (p.ours, p.peer) if t] + [p.ours for p in before if p.ours]
    if not points or not times:
        raise ValueError("no build times to draw")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    pages = [p.pages for p in points + before]
    x_low, x_high = min(pages) / 1.8, max(pages) * 1.8

    def x(value: float) -> float:
        return LEFT + plot_w * (math.log10(value) - math.log10(x_low)) / (math.log10(x_high) - math.log10(x_low))

    log_y = max(times) / min(times) > 20
    if log_y:
        y_low, y_high = min(times) / 2.2, max(times) * 1.8
    else:
        y_low, y_high = 0.0, max(times) * 1.2
    y_ticks = nice_ticks(y_low, y_high, log_y)

    def y(value: float) -> float:
        if log_y:
            share = (math.log10(value) - math.log10(y_low)) / (math.log10(y_high) - math.log10(y_low))
        else:
            share = (value - y_low) / (y_high - y_low)
        return TOP + plot_h * (1 - share)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'style="max-width:{WIDTH * 1.6:.0f}px;height:auto" role="img" aria-labelledby="t d" '
        f'font-family="{FONT}" font-size="13">',
        f'<title id="t">{escape(title)}</title>',
        '<desc id="d">'
        + escape(
            "; ".join(
                f"{p.scale} {p.pages} pages: dangjian {_seconds(p.ours) if p.ours else '-'}, "
                f"Hugo + Pagefind {_seconds(p.peer) if p.peer else '-'}"
                for p in points
            )
        )
        + "</desc>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text x="{WIDTH / 2}" y="38" text-anchor="middle" font-size="11" fill="#555">'
        + (
            "median wall time of a cold build · 冷启动生成，墙钟时间中位数"
            if TIME == "wall_s"
            else "median CPU time of a cold build · 冷启动生成，CPU 时间中位数"
        )
        + "</text>",
    ]
    # grid and y axis
    for tick in y_ticks:
        ty = y(tick)
        out.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="#444">{_tick_label(tick)}</text>')
    out.append(
        f'<text x="14" y="{TOP + plot_h / 2:.0f}" text-anchor="middle" fill="#444" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.0f})">seconds 秒{" (log)" if log_y else ""}</text>'
    )
    out.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#888"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888"/>')
    # x ticks: one per scale, with its pages and the ratio
    for p in points:
        px = x(p.pages)
        out.append(f'<line x1="{px:.1f}" y1="{TOP + plot_h}" x2="{px:.1f}" y2="{TOP + plot_h + 5}" stroke="#888"/>')
        out.append(
            f'<text x="{px:.1f}" y="{TOP + plot_h + 19}" text-anchor="middle">'
            f"{escape(NAMES.get(p.scale, p.scale))}</text>"
        )
        out.append(f'<text x="{px:.1f}" y="{TOP + plot_h + 34}" text-anchor="middle" fill="#444">{p.pages:,} 页</text>')
        if p.ratio is not None:
            out.append(
                f'<text x="{px:.1f}" y="{TOP + plot_h + 49}" text-anchor="middle" fill="{OURS_COLOR}" '
                f'font-weight="bold">×{p.ratio:.1f}</text>'
            )
        earlier = next((b for b in before if b.scale == p.scale and b.ratio is not None), None)
        if earlier is not None:
            out.append(
                f'<text x="{px:.1f}" y="{TOP + plot_h + 63}" text-anchor="middle" fill="{BEFORE_COLOR}" '
                f'font-size="11">was ×{earlier.ratio:.1f}</text>'
            )
    measured_now = {p.scale for p in points}
    for p in before:  # a scale measured before only: its tick in the earlier series' colour
        if p.scale in measured_now:
            continue
        px = x(p.pages)
        out.append(f'<line x1="{px:.1f}" y1="{TOP + plot_h}" x2="{px:.1f}" y2="{TOP + plot_h + 5}" stroke="#888"/>')
        out.append(
            f'<text x="{px:.1f}" y="{TOP + plot_h + 19}" text-anchor="middle" fill="{BEFORE_COLOR}">'
            f"{escape(NAMES.get(p.scale, p.scale))}</text>"
        )
        out.append(
            f'<text x="{px:.1f}" y="{TOP + plot_h + 34}" text-anchor="middle" fill="{BEFORE_COLOR}">'
            f"{p.pages:,} 页</text>"
        )
        if p.ratio is not None:
            out.append(
                f'<text x="{px:.1f}" y="{TOP + plot_h + 63}" text-anchor="middle" fill="{BEFORE_COLOR}" '
                f'font-size="11">was ×{p.ratio:.1f}</text>'
            )
    out.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle" fill="#444" font-size="11">'
        f"pages (log) 页数 · ×: dangjian ÷ (Hugo + Pagefind)</text>"
    )
    # series: the earlier measurement first (underneath), then ours now and the peer
    series = (
        ("before", "dangjian before", BEFORE_COLOR, ' stroke-dasharray="2 3"', -9),
        ("ours", "dangjian" if before else "dangjian build (search)", OURS_COLOR, "", -9),
        ("peer", "Hugo + Pagefind", PEER_COLOR, ' stroke-dasharray="6 4"', 17),
    )
    if not before:
        series = series[1:]
    for key, label, color, dash, offset in series:
        chosen, attribute = (before, "ours") if key == "before" else (points, key)
        located = [
            (x(p.pages), y(getattr(p, attribute)), getattr(p, attribute), p) for p in chosen if getattr(p, attribute)
        ]
        if len(located) > 1:
            path = " ".join(f"{'M' if n == 0 else 'L'}{px:.1f},{py:.1f}" for n, (px, py, _, _) in enumerate(located))
            out.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2.5"{dash}/>')
        for px, py, value, p in located:
            if key == "before":
                out.append(
                    f'<circle class="point {key}" data-scale="{escape(p.scale)}" cx="{px:.1f}" cy="{py:.1f}" '
                    f'r="4.5" fill="#fff" stroke="{color}" stroke-width="2"/>'
                )
            elif key == "ours":
                out.append(
                    f'<circle class="point {key}" data-scale="{escape(p.scale)}" cx="{px:.1f}" cy="{py:.1f}" '
                    f'r="5" fill="{color}"/>'
                )
            else:
                out.append(
                    f'<rect class="point {key}" data-scale="{escape(p.scale)}" x="{px - 4.5:.1f}" y="{py - 4.5:.1f}" '
                    f'width="9" height="9" fill="{color}"/>'
                )
            label_x, anchor, label_y = px, "middle", py + offset
            if label_y > TOP + plot_h - 3 or label_y < TOP + 12:  # keep it inside the plot: the other side
                label_y = py - 9 if offset > 0 else py + 17
            if key == "before":  # beside its point, on the left (never under the new point's label), or below it
                wide = 7 * len(_seconds(value))  # at font-size 12
                if px - 8 - wide > LEFT + 4:
                    label_x, anchor, label_y = px - 8, "end", py + 4
                else:  # no room left of the axis: under the point
                    label_y = py + 19
            out.append(
                f'<text x="{label_x:.1f}" y="{label_y:.1f}" text-anchor="{anchor}" fill="{color}" '
                f'font-size="12">{_seconds(value)}</text>'
            )
    # legend
    legend_y, lx = 56, float(LEFT)
    for key, label, color, dash, _ in sorted(series, key=lambda item: LEGEND_ORDER.index(item[0])):
        out.append(
            f'<line x1="{lx:.0f}" y1="{legend_y}" x2="{lx + 22:.0f}" y2="{legend_y}" stroke="{color}" '
            f'stroke-width="2.5"{dash}/>'
        )
        out.append(f'<text x="{lx + 27:.0f}" y="{legend_y + 4}" fill="{color}" font-size="12">{escape(label)}</text>')
        lx += 27 + 6.6 * len(label) + 10  # the label's width at 12 px, about (Latin letters)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "results", nargs="*", type=Path, help=f"scale.py JSON files (default {DEFAULT_IN.relative_to(REPO)})"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"the SVG to write (default {DEFAULT_OUT.relative_to(REPO)})"
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        help="also write the figures as a Markdown table (one column per scale) and the targets' table",
    )
    parser.add_argument(
        "--before", nargs="+", type=Path, default=[], help="scale.py JSON files of an earlier measurement, to compare"
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="CPU time (user + system, children included) instead of wall time: steadier on a loaded machine",
    )
    args = parser.parse_args(argv)
    global TIME
    TIME = "cpu_s" if args.cpu else "wall_s"
    paths = args.results or [DEFAULT_IN]
    points = load_points(paths)
    if not points:
        print("no scale with pages in the results", file=sys.stderr)
        return 1
    before = load_points(args.before) if args.before else []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_svg(points, before), encoding="utf-8")
    for p in before:
        ratio = f"×{p.ratio:.2f}" if p.ratio is not None else "-"
        print(f"before {p.scale:<8}{p.pages:>9,} pages  dangjian {p.ours or float('nan'):8.2f} s  {ratio}")
    for p in points:
        ratio = f"×{p.ratio:.2f}" if p.ratio is not None else "-"
        print(
            f"{p.scale:<8}{p.pages:>9,} pages  dangjian {p.ours or float('nan'):8.2f} s  "
            f"Hugo + Pagefind {p.peer or float('nan'):8.2f} s  {ratio}"
        )
    print(f"wrote {args.out}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        records = load_records(paths)
        earlier = load_records(args.before) if args.before else None
        goals = targets_table(records)
        lead = (
            "Targets of issue 23 as `bench/scale.py` judged them (its county limits up to county scale, "
            "its city limits above):\n\n"
        )
        text = markdown_table(records, earlier) + ("\n" + lead + goals if goals else "")
        args.markdown.write_text(text, encoding="utf-8")
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
