"""Chart geometry for server-rendered SVG: numbers in, rectangles and points out.

Pure functions, so a chart's shape is tested without a browser; the
templates only draw what these return (no JavaScript charting library, nothing
fetched from a CDN: the dashboard works offline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 200
#: Room for labels: left for the value axis, bottom for category labels.
PAD_LEFT = 36
PAD_BOTTOM = 28
PAD_TOP = 12


@dataclass(frozen=True)
class Bar:
    """One bar: its box, its label and value."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    text: str


@dataclass(frozen=True)
class Tick:
    """A value-axis gridline."""

    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A bar or line chart ready to draw."""

    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    points: str = ""  # SVG polyline points for line charts
    #: Show every n-th category label so they do not overlap.
    label_every: int = 1

    @property
    def dots(self) -> list[tuple[str, str]]:
        """The line's points as (x, y), each drawn as a marker: one day alone is no line."""
        return [(x, y) for x, _comma, y in (p.partition(",") for p in self.points.split())]

    @property
    def empty(self) -> bool:
        """Nothing to draw."""
        return not self.bars


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return float(top)
    return float(10 * magnitude)


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0f}%"
    return f"{value:.1f}{unit}" if value % 1 else f"{value:.0f}{unit}"


def bar_chart(items: Sequence[tuple[str, float]], *, unit: str = "",
              width: int = WIDTH, height: int = HEIGHT, top: float | None = None) -> Chart:
    """Vertical bars for *items* (label, value), scaled to the largest (or *top*)."""
    if not items:
        return Chart(width, height, [], [])
    peak = top if top is not None else _nice_max(max(v for _l, v in items))
    plot_w = width - PAD_LEFT
    plot_h = height - PAD_BOTTOM - PAD_TOP
    slot = plot_w / len(items)
    gap = min(slot * 0.2, 8)
    bars = []
    for i, (label, value) in enumerate(items):
        h = plot_h * (value / peak) if peak else 0
        bars.append(Bar(x=round(PAD_LEFT + i * slot + gap / 2, 2),
                        y=round(PAD_TOP + plot_h - h, 2), width=round(slot - gap, 2),
                        height=round(h, 2), label=label, value=value, text=_fmt(value, unit)))
    ticks = [Tick(y=round(PAD_TOP + plot_h * (1 - f), 2), text=_fmt(peak * f, unit))
             for f in (0, 0.5, 1)]
    every = max(1, len(items) // 12 + (1 if len(items) % 12 else 0)) if len(items) > 12 else 1
    return Chart(width, height, bars, ticks, label_every=every)


def line_chart(items: Sequence[tuple[str, float]], *, unit: str = "", low: float = 0,
               high: float | None = None, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """A line through *items*, on a fixed scale *low*..*high* (e.g. CSAT 1–5)."""
    base = bar_chart(items, unit=unit, width=width, height=height,
                     top=high if high is not None else None)
    if base.empty:
        return base
    top = high if high is not None else _nice_max(max(v for _l, v in items))
    plot_h = height - PAD_BOTTOM - PAD_TOP
    span = (top - low) or 1
    points = []
    for bar, (_label, value) in zip(base.bars, items, strict=True):
        x = bar.x + bar.width / 2
        y = PAD_TOP + plot_h * (1 - (value - low) / span)
        points.append(f"{x:.1f},{y:.1f}")
    ticks = [Tick(y=round(PAD_TOP + plot_h * (1 - f), 2), text=_fmt(low + span * f, unit))
             for f in (0, 0.5, 1)]
    return Chart(width, height, base.bars, ticks, " ".join(points), base.label_every)


#: Horizontal bars: room for category names on the left, one row per category.
LABEL_WIDTH = 190
ROW = 26


def hbar_chart(items: Sequence[tuple[str, float]], *, unit: str = "",
               width: int = WIDTH) -> Chart:
    """Horizontal bars, one row per item, for categories with long names (nodes, options)."""
    if not items:
        return Chart(width, ROW, [], [])
    peak = _nice_max(max(v for _l, v in items))
    plot_w = width - LABEL_WIDTH - 48  # room for the value after the bar
    bars = [Bar(x=LABEL_WIDTH, y=i * ROW + 4, width=round(plot_w * value / peak, 2),
                height=ROW - 8, label=label, value=value, text=_fmt(value, unit))
            for i, (label, value) in enumerate(items)]
    return Chart(width, ROW * len(items), bars, [])
