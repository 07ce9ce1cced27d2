"""Traffic drawn over a flow diagram: node fill by loss rate, edge pen width by share.

The figures come from :mod:`ivr.web.heatmap`; this module only turns an
:class:`Overlay` (plain numbers per node and per edge) into DOT attributes, so
the picture stays a pure function of its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ivr.flows.dot import Digraph, html, html_label
from ivr.flows.graph_path import Hop, match_edge

#: Fill for a node no caller reached in the period.
UNVISITED = "#f3f4f6"
#: From no loss (pale yellow) to a loss rate of LOSS_FULL or more (red).
_COOL = (0xFE, 0xF9, 0xC3)
_HOT = (0xEF, 0x44, 0x44)
LOSS_FULL = 0.5
#: Pen width of an edge no caller took, and of one every caller of its tail took.
PEN_MIN, PEN_MAX = 0.8, 9.0


@dataclass(frozen=True)
class NodeFigures:
    """What a node shows: its loss rate (colour) and one line of figures."""

    loss_rate: float | None
    text: str


@dataclass(frozen=True)
class Overlay:
    """Per node (by name) and per edge (tail, head, key as in graph_path) figures of one flow."""

    flow: str
    nodes: Mapping[str, NodeFigures] = field(default_factory=dict)
    #: Share of the tail's callers (0–1) and the label text, by (tail, head, key).
    edges: Mapping[tuple[str, str, str | None], tuple[float, str]] = field(default_factory=dict)


def loss_colour(rate: float | None) -> str:
    """Fill colour for a loss rate (None: nobody came)."""
    if rate is None:
        return UNVISITED
    t = min(max(rate / LOSS_FULL, 0.0), 1.0)
    r, g, b = (round(c + (h - c) * t) for c, h in zip(_COOL, _HOT, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def apply_overlay(graph: Digraph, keys: list[str | None],
                  drawn: Mapping[str, tuple[list[str], str]], overlay: Overlay) -> None:
    """Recolour *graph*'s nodes and widen its edges by *overlay* (in place)."""
    for name, (rows, _style) in drawn.items():
        if name not in graph.nodes or name.startswith(("flow:", "queue:", "(")):
            continue
        figures = overlay.nodes.get(name)
        extra = [] if figures is None else [
            f'<FONT POINT-SIZE="10" COLOR="#111827"><B>{html(figures.text)}</B></FONT>']
        graph.node(name, label=html_label("<BR/>".join(rows + extra)),
                   fillcolor=loss_colour(None if figures is None else figures.loss_rate),
                   tooltip=figures.text if figures else "no caller came here in this period")
    ends = [(tail, head) for tail, head, _attrs in graph.edges]
    for (tail, head, key), (share, text) in overlay.edges.items():
        index = match_edge(ends, keys, Hop(overlay.flow, tail, head, key))
        if index is None:
            continue
        attrs = graph.edges[index][2]
        attrs["penwidth"] = f"{PEN_MIN + (PEN_MAX - PEN_MIN) * share:.2f}"
        attrs["label"] = f"{attrs['label']}\n{text}" if attrs.get("label") else text
        attrs["class"] = "ivr-heat"
    for _tail, _head, attrs in graph.edges:
        attrs.setdefault("penwidth", f"{PEN_MIN:.2f}")
