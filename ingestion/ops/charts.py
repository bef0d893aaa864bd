"""A run-history chart as inline SVG, written on the server: no JavaScript, no build step.

Records written per run are dots joined by a line (blue); the duration of each run is a grey
line on its own scale. Each dot carries a <title>, so hovering shows the run. Every value
placed in the markup is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .status import ChartPoint

WIDTH, HEIGHT, PAD = 120, 32, 4


def run_chart(points: Sequence[ChartPoint]) -> SafeString:
    """An SVG of the runs, oldest on the left; one <circle class="run"> per run."""
    if not points:
        return mark_safe('<span class="no-runs">no runs in 30 days</span>')
    xs = _spread(len(points))
    written = _scale([p.written for p in points])
    seconds = _scale([p.seconds for p in points])
    parts = [
        f'<svg class="run-chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{len(points)} runs: records written and duration">',
        f'<rect class="frame" x="0" y="0" width="{WIDTH}" height="{HEIGHT}"/>',
        _polyline("duration", xs, seconds),
        _polyline("written", xs, written),
    ]
    parts += [_dot(point, x, y) for point, x, y in zip(points, xs, written, strict=True)]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # safe: built from numbers and escaped text


def _spread(count: int) -> list[float]:
    if count == 1:
        return [WIDTH / 2]
    step = (WIDTH - 2 * PAD) / (count - 1)
    return [PAD + i * step for i in range(count)]


def _scale(values: list[float]) -> list[float]:
    """Heights on the chart: the largest value at the top, zero at the bottom."""
    top = max(values) or 1
    return [HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top for value in values]


def _polyline(name: str, xs: list[float], ys: list[float]) -> str:
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return f'<polyline class="{name}" points="{points}"/>'


def _dot(point: ChartPoint, x: float, y: float) -> str:
    title = (f"{point.started_at:%Y-%m-%d %H:%M} {point.mode} {point.status}: "
             f"{point.written:,} written, {point.seconds:.1f} s")
    return (f'<circle class="run {escape(point.status)}" cx="{x:.1f}" cy="{y:.1f}" r="2">'
            f"<title>{escape(title)}</title></circle>")
