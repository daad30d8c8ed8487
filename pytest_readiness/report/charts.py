"""Inline SVG charts: the category scorecard as bars, scores over time as lines.

Plain SVG text, no script and no external font, so a report that embeds it
opens offline and prints. Every label passes through ``escape.html``: category
names come from the user's config and are treated as untrusted like the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_readiness.escape import html as escape
from pytest_readiness.scoring import Scorecard

BAR_HEIGHT = 22
LABEL_WIDTH = 120
PLOT_WIDTH = 320
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def score_colour(score: float | None, ready: float = 90.0, conditional: float = 70.0) -> str:
    """Green at or above the ready threshold, amber above conditional, red below."""
    if score is None:
        return "#9e9e9e"
    if score >= ready:
        return "#2e7d32"
    if score >= conditional:
        return "#f9a825"
    return "#c62828"


def scorecard_bars(card: Scorecard) -> str:
    """One horizontal bar per assessed category, with its score written beside it."""
    rows = [c for c in card.categories if c.score is not None or c.counts]
    height = BAR_HEIGHT * (len(rows) + 1) + 10
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart scorecard-chart" '
             f'role="img" aria-label="Score per category" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">']
    for index, cat in enumerate(rows):
        y = 5 + index * BAR_HEIGHT
        length = 0.0 if cat.score is None else PLOT_WIDTH * max(0.0, min(cat.score, 100.0)) / 100
        colour = score_colour(cat.score, card.policy.ready, card.policy.conditional)
        shown = "n/a" if cat.score is None else f"{cat.score:.1f}"
        parts.append(
            f'<g class="bar" data-category="{escape(cat.name)}">'
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{escape(cat.name)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{PLOT_WIDTH}" height="{BAR_HEIGHT - 6}" '
            f'fill="#eeeeee"/>'
            f'<rect class="score-bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT - 6}" fill="{colour}"/>'
            f'<text class="score-value" x="{LABEL_WIDTH + PLOT_WIDTH + 6}" y="{y + 15}">'
            f'{shown}</text></g>')
    y = 5 + len(rows) * BAR_HEIGHT
    for mark in (card.policy.conditional, card.policy.ready):
        x = LABEL_WIDTH + PLOT_WIDTH * mark / 100
        parts.append(f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{y}" stroke="#555" '
                     f'stroke-dasharray="3,3"/><text x="{x:.1f}" y="{y + 14}" '
                     f'text-anchor="middle" font-size="10">{mark:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[float | None]  # one per run, None where the category was absent


def trend_lines(labels: Sequence[str], series: Sequence[Series], width: int = 560,
                height: int = 220) -> str:
    """Score (0..100) over runs: one polyline per series, a legend, run labels on the x axis."""
    left, right, top, bottom = 36, 130, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(value, 100.0)) / 100)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend-chart" role="img" '
             f'aria-label="Scores over time" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">']
    for tick in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}" stroke="#ddd"/><text x="{left - 4}" '
                     f'y="{y(tick) + 4:.1f}" text-anchor="end" font-size="10">{tick}</text>')
    for i, label in enumerate(labels):
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                     f'font-size="9">{escape(label)}</text>')
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        width_px = 3 if index == 0 else 1.5
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.points)
                          if v is not None)
        parts.append(f'<g class="series" data-series="{escape(line.name)}">'
                     f'<polyline fill="none" stroke="{colour}" stroke-width="{width_px}" '
                     f'points="{points}"/>')
        parts += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}"/>'
                  for i, v in enumerate(line.points) if v is not None]
        ly = top + 14 * index + 8
        parts.append(f'<rect x="{width - right + 8}" y="{ly - 8}" width="10" height="10" '
                     f'fill="{colour}"/><text x="{width - right + 22}" y="{ly + 1}" '
                     f'font-size="11">{escape(line.name)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def series_from_history(runs: Sequence[Mapping[str, object]]) -> tuple[list[str], list[Series]]:
    """Labels and series (overall first) from history entries (see history.py)."""
    labels = [str(r.get("label", "")) for r in runs]
    overall = Series("overall", [_num(r.get("overall")) for r in runs])
    names: list[str] = []
    for run in runs:
        for name in dict(run.get("categories", {}) or {}):  # type: ignore[call-overload]
            if name not in names:
                names.append(name)
    per_category = [
        Series(name, [_num(dict(r.get("categories", {}) or {}).get(name))  # type: ignore[call-overload]
                      for r in runs])
        for name in names
    ]
    return labels, [overall, *[s for s in per_category if any(v is not None for v in s.points)]]


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
