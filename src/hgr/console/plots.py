"""Scatter plots drawn on the server as SVG, for pages that must work without script.

An SVG is part of the page (no file, no script, no inline style: the console's
Content-Security-Policy allows none); colours are presentation attributes. Every plot carries
a title and a description for screen readers, and the page shows its figures in a table too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Point", "scatter"]

WIDTH, HEIGHT, MARGIN = 560, 320, 48
# Okabe-Ito colours, told apart by readers with any common colour-vision deficiency.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


@dataclass(frozen=True)
class Point:
    """One sample: where it sits, its group (a colour and a legend line), and its label."""

    x: float
    y: float
    group: str
    label: str


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    if high == low:
        return (start + end) / 2
    return start + (value - low) / (high - low) * (end - start)


def scatter(
    points: Sequence[Point],
    *,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    x_lines: Sequence[float] = (),
    y_lines: Sequence[float] = (),
) -> Markup:
    """An SVG scatter of ``points``, with dashed reference lines at ``x_lines``/``y_lines``
    (the QC thresholds)."""
    xs = [p.x for p in points] + list(x_lines)
    ys = [p.y for p in points] + list(y_lines)
    x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    y_low, y_high = (min(ys), max(ys)) if ys else (0.0, 1.0)
    pad_x, pad_y = (x_high - x_low) * 0.05 or 0.05, (y_high - y_low) * 0.05 or 0.05
    x_low, x_high, y_low, y_high = x_low - pad_x, x_high + pad_x, y_low - pad_y, y_high + pad_y

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            _scale(x, x_low, x_high, MARGIN, WIDTH - 12),
            _scale(y, y_low, y_high, HEIGHT - MARGIN, 12),
        )

    groups = sorted({p.group for p in points})
    colour = {g: COLOURS[n % len(COLOURS)] for n, g in enumerate(groups)}
    parts = [
        f'<svg class="plot" viewBox="0 0 {WIDTH} {HEIGHT + 16 * len(groups)}" role="img" '
        f'aria-labelledby="{_id(title)}-t {_id(title)}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
        f'<desc id="{_id(title)}-d">{escape(description)}</desc>',
        f'<rect x="{MARGIN}" y="12" width="{WIDTH - 12 - MARGIN}" '
        f'height="{HEIGHT - MARGIN - 12}" fill="#ffffff" stroke="#4a5260"/>',
    ]
    for value in x_lines:
        x, _ = at(value, y_low)
        parts.append(
            f'<line x1="{x:.1f}" y1="12" x2="{x:.1f}" y2="{HEIGHT - MARGIN}" '
            'stroke="#a11d1d" stroke-dasharray="4 3"/>'
        )
    for value in y_lines:
        _, y = at(x_low, value)
        parts.append(
            f'<line x1="{MARGIN}" y1="{y:.1f}" x2="{WIDTH - 12}" y2="{y:.1f}" '
            'stroke="#a11d1d" stroke-dasharray="4 3"/>'
        )
    for p in points:
        x, y = at(p.x, p.y)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour[p.group]}" '
            f'fill-opacity="0.8"><title>{escape(p.label)}</title></circle>'
        )
    for value, anchor in ((x_low + pad_x, "start"), (x_high - pad_x, "end")):
        x, _ = at(value, y_low)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - MARGIN + 14}" font-size="11" '
            f'text-anchor="{anchor}" fill="#1b1f24">{value:.3g}</text>'
        )
    for value in (y_low + pad_y, y_high - pad_y):
        _, y = at(x_low, value)
        parts.append(
            f'<text x="{MARGIN - 4}" y="{y:.1f}" font-size="11" text-anchor="end" '
            f'fill="#1b1f24">{value:.3g}</text>'
        )
    parts.append(
        f'<text x="{(WIDTH + MARGIN) / 2:.0f}" y="{HEIGHT - 10}" font-size="12" '
        f'text-anchor="middle" fill="#1b1f24">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text x="14" y="{HEIGHT / 2:.0f}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {HEIGHT / 2:.0f})" fill="#1b1f24">{escape(y_label)}</text>'
    )
    for n, group in enumerate(groups):
        y = HEIGHT + 4 + 16 * n
        parts.append(
            f'<circle cx="{MARGIN + 6}" cy="{y}" r="5" fill="{colour[group]}"/>'
            f'<text x="{MARGIN + 16}" y="{y + 4}" font-size="12" fill="#1b1f24">'
            f"{escape(group)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _id(title: str) -> str:
    return "plot-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
