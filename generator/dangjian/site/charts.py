"""Rank history drawn as inline SVG at build time: no script, no network."""

from __future__ import annotations

from markupsafe import Markup, escape

from ..rankings import Ranking

PALETTE = ("#c62828", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#4e342e", "#558b2f", "#283593")


def rank_chart(history: list[Ranking]) -> Markup:
    """A line per org: its rank (1 at the top) in each period; gaps where it was not ranked."""
    if not history:
        return Markup("")
    labels = [r.period.label for r in history]
    orgs = sorted({row.org: row.name for r in history for row in r.rows}.items())
    worst = max((row.rank for r in history for row in r.rows), default=1)
    width, left, right, top, row_h = 640, 36, 150, 20, 26
    height = top * 2 + row_h * max(worst - 1, 1)
    step = (width - left - right) / max(len(labels) - 1, 1)
    x = lambda i: left + i * step  # noqa: E731
    y = lambda rank: top + (rank - 1) * row_h  # noqa: E731
    parts = [f'<svg class="dj-chart" viewBox="0 0 {width} {height}" role="img" aria-label="历次排名变化">']
    for rank in range(1, worst + 1):
        parts.append(f'<text x="4" y="{y(rank) + 4:.1f}">第{rank}</text>')
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(rank):.1f}" y2="{y(rank):.1f}" stroke="currentColor" stroke-opacity=".08"/>')
    for i, label in enumerate(labels):
        parts.append(f'<text x="{x(i):.1f}" y="{height - 2}" text-anchor="middle">{escape(label)}</text>')
    for n, (org, name) in enumerate(orgs):
        colour = PALETTE[n % len(PALETTE)]
        points = [(i, next((row.rank for row in r.rows if row.org == org), None)) for i, r in enumerate(history)]
        segment: list[str] = []
        for i, rank in points + [(len(points), None)]:
            if rank is None:
                if len(segment) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(segment)}"/>')
                segment = []
            else:
                segment.append(f"{x(i):.1f},{y(rank):.1f}")
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(rank):.1f}" r="3.5" fill="{colour}"><title>{escape(name)} {escape(labels[i])}：第{rank}名</title></circle>')
        last = next(((i, rank) for i, rank in reversed(points) if rank is not None), None)
        if last:
            parts.append(f'<text x="{x(last[0]) + 8:.1f}" y="{y(last[1]) + 4:.1f}" fill="{colour}" style="fill:{colour}">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
