"""Rank history drawn as inline SVG at build time: no script, no network.

Sized for phones first. A chart's viewBox is WIDTH units wide and the stylesheet draws it at the
column's width, at most 480 px (dangjian.css, `.dj-chart`): on a 390 px phone the column is
358 px, so a unit is drawn at 358 / 340 ≥ 1 px and a label of FONT units is 12.6 px; on a desktop
it is 480 / 340 × 12 = 17 px, about the size of the body text. Org names do not go inside the
drawing (they would squeeze it, or shrink with it): they are an HTML legend under it, with the
line's colour and marker, so they wrap and stay at the page's text size.
"""

from __future__ import annotations

from math import ceil

from markupsafe import Markup, escape

from ..rankings import Ranking
from .withheld import hidden

PALETTE = ("#c62828", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#4e342e", "#558b2f", "#283593")
WIDTH = 340  # viewBox units; see the module's docstring
FONT = 12  # label size in viewBox units
TALLEST = 360  # the plot's height stops growing here; rank labels thin out instead


# A chart's elements one per line: with markup stripped (as the privacy gate reads a page) neighbouring labels
# stay apart. Joined with nothing, a value, the next year and a withheld year's dash (`160` `2018` `—` `2020`)
# read as one number split by dashes: a mobile number to the gate (tests/test_chart_numbers.py).
_LINES = "\n"


def text_width(text: str, size: float = FONT) -> float:
    """A generous estimate of a label's drawn width: CJK characters are 1 em, others 0.62 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.62 for ch in text)


def every_nth(count: int, room: float, label_width: float) -> int:
    """Show every n-th of `count` evenly spaced labels so that neighbours do not overlap."""
    if count <= 1:
        return 1
    step = room / (count - 1)
    return max(1, ceil((label_width + FONT * 0.5) / step)) if step > 0 else count


def shown_labels(count: int, nth: int) -> list[int]:
    """The indexes of labels drawn: every n-th counted from the last (the newest period always shows)."""
    return sorted(i for i in range(count) if (count - 1 - i) % nth == 0)


def rank_chart(history: list[Ranking]) -> Markup:
    """A line per org: its rank (1 at the top) in each period; gaps where it was not ranked.

    Under the drawing, an ordered legend (by the latest rank) names each line with its colour.
    """
    if not history:
        return Markup("")
    labels = [r.period.label for r in history]
    orgs = sorted({row.org: row.name for r in history for row in r.rows}.items())
    colours = {org: PALETTE[n % len(PALETTE)] for n, (org, _) in enumerate(orgs)}
    worst = max((row.rank for r in history for row in r.rows), default=1)
    rank_labels = [f"第{rank}" for rank in range(1, worst + 1)]
    label_w = max(text_width(label) for label in labels)
    left = max(text_width(rank_labels[-1]) + 10, label_w / 2 + 2)
    right = label_w / 2 + 2
    top, bottom = FONT, FONT * 2 + 6
    row_h = min(24.0, TALLEST / max(worst - 1, 1))
    height = top + bottom + row_h * max(worst - 1, 1)
    room = WIDTH - left - right
    step = room / max(len(labels) - 1, 1)
    x = lambda i: left + i * step if len(labels) > 1 else left + room / 2  # noqa: E731
    y = lambda rank: top + (rank - 1) * row_h  # noqa: E731
    parts = [
        f'<figure class="dj-figure"><svg class="dj-chart" viewBox="0 0 {WIDTH} {height:.0f}" font-size="{FONT}" '
        f'role="img" aria-label="历次排名变化图，具体名次见下表">'
    ]
    for level in shown_labels(worst, max(1, ceil((FONT + 2) / row_h))):
        level += 1
        parts.append(
            f'<text class="dj-chart__axis" x="{left - 8:.1f}" y="{y(level) + FONT * 0.35:.1f}" '
            f'text-anchor="end">第{level}</text>'
        )
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right:.1f}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            'stroke="currentColor" stroke-opacity=".12"/>'
        )
    for i in shown_labels(len(labels), every_nth(len(labels), room, label_w)):
        parts.append(
            f'<text class="dj-chart__axis" x="{x(i):.1f}" y="{height - 6:.1f}" '
            f'text-anchor="middle">{escape(labels[i])}</text>'
        )
    for org, name in orgs:
        colour = colours[org]
        points = [(i, next((row.rank for row in r.rows if row.org == org), None)) for i, r in enumerate(history)]
        segment: list[str] = []
        for i, rank in points + [(len(points), None)]:
            if rank is None:
                if len(segment) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(segment)}"/>'
                    )
                segment = []
            else:
                segment.append(f"{x(i):.1f},{y(rank):.1f}")
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(rank):.1f}" r="3.5" fill="{colour}">'
                    f"<title>{escape(name)} {escape(labels[i])}：第{rank}名</title></circle>"
                )
    parts.append("</svg>")
    parts.append(_legend(history, orgs, colours))
    parts.append("</figure>")
    return Markup(_LINES.join(parts))


def _legend(history: list[Ranking], orgs: list[tuple[str, str]], colours: dict[str, str]) -> str:
    """The lines' names, best latest rank first (orgs not in the latest period after, by id)."""
    latest = {row.org: row.rank for row in history[-1].rows}
    ordered = sorted(orgs, key=lambda item: (latest.get(item[0], 10**6), item[0]))
    items = []
    for org, name in ordered:
        swatch = (
            f'<svg class="dj-chart__swatch" viewBox="0 0 20 10" aria-hidden="true"><line x1="0" x2="20" y1="5" y2="5" '
            f'stroke="{colours[org]}" stroke-width="2"/><circle cx="10" cy="5" r="3.5" fill="{colours[org]}"/></svg>'
        )
        rank = f"（{escape(history[-1].period.label)} 第{latest[org]}名）" if org in latest else ""
        items.append(f'<li>{swatch}{escape(name)}<span class="dj-chart__note">{rank}</span></li>')
    return f'<figcaption><ol class="dj-chart__legend" aria-label="图例">{"".join(items)}</ol></figcaption>'


# --- Party members over time (issue 20; site/timelines.py computes and suppresses the counts) -----------------
def membership_chart(points: list[tuple[str, int]], name: str) -> Markup:
    """Columns of an org's party members at each year's end (and today's), oldest first.

    `points`: (label, count) where a count may be a stand-in (withheld.py): a 少于5人 year is a gap with that
    label written in it (upright when the column is wide enough, else turned), a withheld one (—) a gap with a
    dash; neither is ever drawn as a length. Values are written above the columns (thinned like the year
    labels when they would touch); every value is in the aria-label and in the table the page keeps with it.
    """
    if not points:
        return Markup("")
    numbers = [v for _, v in points if not _stand_in(v)]
    most = max(numbers, default=1) or 1
    top, plot, pad = FONT + 8, 110.0, 4.0
    base = top + plot
    height = base + FONT + 10
    step = (WIDTH - 2 * pad) / len(points)
    bar = min(step * 0.7, 40.0)
    x = lambda i: pad + step * i + step / 2  # noqa: E731
    years = shown_labels(len(points), every_nth(len(points), WIDTH - 2 * pad - step, max_label(points)))
    values = _fitting([i for i, (_, v) in enumerate(points) if not _stand_in(v)], step, [str(v) for _, v in points])
    spoken = "，".join(f"{label} {value if _stand_in(value) else f'{value}人'}" for label, value in points)
    parts = [
        f'<svg class="dj-chart dj-chart--small dj-chart--members" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'font-size="{FONT}" role="img" aria-label="{escape(name)}历年党员人数：{escape(spoken)}">',
        f'<line x1="{pad}" x2="{WIDTH - pad}" y1="{base}" y2="{base}" stroke="currentColor" stroke-opacity=".25"/>',
    ]
    for i, (label, value) in enumerate(points):
        if _stand_in(value):
            parts.append(_gap(x(i), base, step, str(value)))
        else:
            tall = plot * value / most
            parts.append(
                f'<rect class="dj-chart__column" x="{x(i) - bar / 2:.1f}" y="{base - tall:.1f}" width="{bar:.1f}" '
                f'height="{tall:.1f}" rx="2"><title>{escape(label)}：{value}人</title></rect>'
            )
            if i in values:
                parts.append(
                    f'<text class="dj-chart__value" x="{x(i):.1f}" y="{base - tall - 4:.1f}" '
                    f'text-anchor="middle">{value}</text>'
                )
        if i in years:
            parts.append(
                f'<text class="dj-chart__axis" x="{x(i):.1f}" y="{height - 4:.1f}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup(_LINES.join(parts))


def _fitting(indexes: list[int], step: float, labels: list[str]) -> set[int]:
    """Of the columns at `indexes`, those whose label fits beside the next one labelled, newest first."""
    kept: set[int] = set()
    right = None
    for i in reversed(indexes):
        if right is None or (right - i) * step >= (text_width(labels[i]) + text_width(labels[right])) / 2 + 4:
            kept.add(i)
            right = i
    return kept


def max_label(points: list[tuple[str, int]]) -> float:
    return max(text_width(label) for label, _ in points)


def _stand_in(value: int) -> bool:
    return hidden(value)  # a Small or Withheld: its mark is written, never its 0


def _gap(centre: float, base: float, step: float, mark: str) -> str:
    """A suppressed column: its mark at the foot, upright if it fits the column, else turned to read upwards."""
    if text_width(mark) + 4 <= step or len(mark) == 1:
        return (
            f'<text class="dj-chart__axis dj-chart__gap" x="{centre:.1f}" y="{base - 6:.1f}" '
            f'text-anchor="middle">{escape(mark)}</text>'
        )
    return (
        f'<text class="dj-chart__axis dj-chart__gap" x="{centre + FONT * 0.35:.1f}" y="{base - 4:.1f}" '
        f'transform="rotate(-90 {centre + FONT * 0.35:.1f} {base - 4:.1f})">{escape(mark)}</text>'
    )


# --- Yearly reports (issue 21; site/reports.py computes, pages/report*.html keeps a table beside each chart) ------
def month_columns(rows: list[tuple[int, list[int]]], kinds: list[str], name: str) -> Markup:
    """A year's activities: a column per month (1–12), stacked by kind, the month's total written above it.

    `rows`: (month, a count per kind in `kinds`' order). Kinds are told apart by colour and named in an HTML
    legend under the drawing; every month's figures are in the aria-label and in the table beside the chart.
    """
    if not rows or not kinds:
        return Markup("")
    totals = [sum(counts) for _, counts in rows]
    most = max(totals, default=0) or 1
    top, plot, pad = FONT + 8, 120.0, 4.0
    base = top + plot
    height = base + FONT + 10
    step = (WIDTH - 2 * pad) / len(rows)
    bar = min(step * 0.7, 30.0)
    x = lambda i: pad + step * i + step / 2  # noqa: E731
    spoken = "，".join(f"{month}月 {total}次" for (month, _), total in zip(rows, totals))
    parts = [
        f'<figure class="dj-figure"><svg class="dj-chart dj-chart--small dj-chart--months" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-size="{FONT}" role="img" '
        f'aria-label="{escape(name)}各月活动次数：{escape(spoken)}">',
        f'<line x1="{pad}" x2="{WIDTH - pad}" y1="{base}" y2="{base}" stroke="currentColor" stroke-opacity=".25"/>',
    ]
    labels = shown_labels(len(rows), every_nth(len(rows), WIDTH - 2 * pad - step, text_width("12月")))
    values = _fitting([i for i, t in enumerate(totals) if t], step, [str(t) for t in totals])
    for i, (month, counts) in enumerate(rows):
        y = base
        for k, count in enumerate(counts):
            if not count:
                continue
            tall = plot * count / most
            y -= tall
            parts.append(
                f'<rect x="{x(i) - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{tall:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{month}月 {escape(kinds[k])}：{count}次</title></rect>'
            )
        if i in values:
            parts.append(
                f'<text class="dj-chart__value" x="{x(i):.1f}" y="{y - 4:.1f}" text-anchor="middle">{totals[i]}</text>'
            )
        if i in labels:
            parts.append(
                f'<text class="dj-chart__axis" x="{x(i):.1f}" y="{height - 4:.1f}" '
                f'text-anchor="middle">{month}月</text>'
            )
    parts.append("</svg>")
    items = "".join(
        f'<li><svg class="dj-chart__swatch" viewBox="0 0 20 10" aria-hidden="true"><rect width="20" height="10" '
        f'fill="{PALETTE[k % len(PALETTE)]}"/></svg>{escape(kind)}</li>'
        for k, kind in enumerate(kinds)
    )
    parts.append(f'<figcaption><ul class="dj-chart__legend" aria-label="图例">{items}</ul></figcaption></figure>')
    return Markup(_LINES.join(parts))


def labelled_bars(items: list[tuple[str, float | None, str]], name: str, most: float | None = None) -> Markup:
    """Horizontal bars, one per item, its label on a line above it (labels never squeeze the bars, and stay
    12 units at a phone's width): (label, length or None, text written at the bar's end). An item whose length
    is None (a figure not published) has no bar: only its text is written. `most`: the full length (default:
    the largest); `name`: the chart's aria-label, which also holds every item's text."""
    if not items:
        return Markup("")
    lengths = [v for _, v, _ in items if v is not None]
    full = most if most else (max(lengths, default=0) or 1)
    row = FONT * 2 + 12
    room = WIDTH - 4 - max(text_width(t) for _, _, t in items) - 8
    spoken = "，".join(f"{label} {text}" for label, _, text in items)
    parts = [
        f'<svg class="dj-chart dj-chart--small dj-chart--bars" viewBox="0 0 {WIDTH} {row * len(items) + 4:.0f}" '
        f'font-size="{FONT}" role="img" aria-label="{escape(name)}：{escape(spoken)}">'
    ]
    for i, (label, value, text) in enumerate(items):
        y = row * i + 2
        parts.append(f'<text class="dj-chart__axis" x="0" y="{y + FONT:.1f}">{escape(_clip(label, WIDTH))}</text>')
        length = 0.0 if value is None else room * min(max(value / full, 0.0), 1.0)
        if value is not None:
            parts.append(
                f'<rect class="dj-chart__bar" x="0" y="{y + FONT + 4:.1f}" width="{length:.1f}" height="{FONT:.0f}" '
                f'rx="2"><title>{escape(label)}：{escape(text)}</title></rect>'
            )
        parts.append(
            f'<text class="{"dj-chart__value" if value is not None else "dj-chart__axis dj-chart__gap"}" '
            f'x="{length + (4 if value is not None else 0):.1f}" y="{y + FONT * 2 + 3:.1f}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup(_LINES.join(parts))


def _clip(label: str, room: float) -> str:
    """`label` cut to fit `room` units, with … (the full name is in the table beside the chart)."""
    if text_width(label) <= room:
        return label
    while label and text_width(label + "…") > room:
        label = label[:-1]
    return label + "…"
