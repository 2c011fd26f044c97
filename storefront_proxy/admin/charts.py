"""Charts for the Insights page as inline SVG, drawn on the server: no script, no CDN, no dependencies.

Each chart has a fixed ``viewBox`` and ``width="100%"``, so it scales with its container. For screen readers it
is one image (``role="img"``) named by its ``<title>`` and described by its ``<desc>``, which states the numbers
in words; every bar also carries its own ``<title>`` and a visible text label. All text is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from storefront_proxy.cancellations.insights import DayCount

WIDTH = 720
FONT = 'font-family="system-ui, -apple-system, \'Segoe UI\', sans-serif" font-size="12"'
REQUESTS_COLOR = "#2c6ecb"
CANCELLATIONS_COLOR = "#b98900"
BAR_COLOR = "#2c6ecb"
TEXT_COLOR = "#202223"
AXIS_COLOR = "#8c9196"
# Day labels under the x axis: at most this many, so they never overlap.
MAX_DAY_LABELS = 8
ROW_HEIGHT = 28
LABEL_WIDTH = 220


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open_svg(chart_id: str, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{_text(chart_id)}-title {_text(chart_id)}-desc" {FONT}>',
        f'<title id="{_text(chart_id)}-title">{_text(title)}</title>',
        f'<desc id="{_text(chart_id)}-desc">{_text(desc)}</desc>',
    ]


def per_day_chart(days: Sequence[DayCount], *, chart_id: str = "per-day", title: str | None = None) -> str:
    """Grouped vertical bars: requests and cancellations for each day."""
    title = title or "Requests and cancellations per day"
    total_requests = sum(day.requests for day in days)
    total_cancellations = sum(day.cancellations for day in days)
    span = f"from {days[0].day.isoformat()} to {days[-1].day.isoformat()}" if days else "with no days"
    busiest = max(days, key=lambda day: day.requests, default=None)
    desc = f"{total_requests} requests and {total_cancellations} cancellations {span}."
    if busiest is not None and busiest.requests:
        desc += f" The busiest day was {busiest.day.isoformat()} with {busiest.requests} requests."

    height = 260
    left, right, top, bottom = 44, 12, 34, 30
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    peak = max([1, *(max(day.requests, day.cancellations) for day in days)])
    parts = _open_svg(chart_id, height, title, desc)

    # Legend, as text, so the colours are never the only cue.
    parts += [
        f'<rect x="{left}" y="8" width="12" height="12" fill="{REQUESTS_COLOR}"/>',
        f'<text x="{left + 18}" y="18" fill="{TEXT_COLOR}">Requests</text>',
        f'<rect x="{left + 100}" y="8" width="12" height="12" fill="{CANCELLATIONS_COLOR}"/>',
        f'<text x="{left + 118}" y="18" fill="{TEXT_COLOR}">Cancellations</text>',
    ]
    # Axes and the y scale (0, half, peak).
    baseline = top + plot_height
    parts.append(f'<line x1="{left}" y1="{baseline}" x2="{left + plot_width}" y2="{baseline}" stroke="{AXIS_COLOR}"/>')
    for tick in sorted({0, math.ceil(peak / 2), peak}):
        y = baseline - plot_height * tick / peak
        parts.append(
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" fill="{TEXT_COLOR}">{_text(tick)}</text>'
        )
        if tick:
            parts.append(
                f'<line x1="{left}" y1="{_num(y)}" x2="{left + plot_width}" y2="{_num(y)}" '
                f'stroke="{AXIS_COLOR}" stroke-opacity="0.3"/>'
            )

    slot = plot_width / max(len(days), 1)
    bar = max(slot * 0.4, 0.5)
    label_every = max(1, math.ceil(len(days) / MAX_DAY_LABELS))
    for index, day in enumerate(days):
        x = left + index * slot + (slot - 2 * bar) / 2
        parts.append(
            f"<g><title>{_text(day.day.isoformat())}: {day.requests} requests, "
            f"{day.cancellations} cancellations</title>"
        )
        for offset, count, color in ((0, day.requests, REQUESTS_COLOR), (bar, day.cancellations, CANCELLATIONS_COLOR)):
            bar_height = plot_height * count / peak
            parts.append(
                f'<rect x="{_num(x + offset)}" y="{_num(baseline - bar_height)}" width="{_num(bar)}" '
                f'height="{_num(bar_height)}" fill="{color}"/>'
            )
        parts.append("</g>")
        if index % label_every == 0:
            parts.append(
                f'<text x="{_num(left + index * slot + slot / 2)}" y="{baseline + 18}" text-anchor="middle" '
                f'fill="{TEXT_COLOR}">{_text(day.day.strftime("%m-%d"))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def breakdown_chart(items: Sequence[tuple[str, int]], *, chart_id: str = "breakdown", title: str = "Breakdown") -> str:
    """Horizontal bars, one row per (label, count), with the label left and the count right of each bar."""
    rows = [(label, count) for label, count in items]
    total = sum(count for _, count in rows)
    if rows:
        desc = "; ".join(f"{label}: {count}" for label, count in rows) + f". {total} in all."
    else:
        desc = "No data for this range."
    top, bottom = 8, 8
    height = top + bottom + ROW_HEIGHT * max(len(rows), 1)
    parts = _open_svg(chart_id, height, title, desc)
    if not rows:
        parts.append(f'<text x="{WIDTH / 2}" y="{top + 18}" text-anchor="middle" fill="{TEXT_COLOR}">No data</text>')
    peak = max([1, *(count for _, count in rows)])
    # Room on the right for the count.
    bar_space = WIDTH - LABEL_WIDTH - 60
    for index, (label, count) in enumerate(rows):
        y = top + index * ROW_HEIGHT
        length = bar_space * count / peak
        parts += [
            f"<g><title>{_text(label)}: {count}</title>",
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" fill="{TEXT_COLOR}">{_text(label)}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y + 5}" width="{_num(length)}" height="{ROW_HEIGHT - 10}" '
            f'fill="{BAR_COLOR}"/>',
            f'<text x="{_num(LABEL_WIDTH + length + 6)}" y="{y + 18}" fill="{TEXT_COLOR}">{count}</text>',
            "</g>",
        ]
    parts.append("</svg>")
    return "".join(parts)
