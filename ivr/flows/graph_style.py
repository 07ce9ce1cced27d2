"""How the flow diagram looks: each node kind's shape and colours, and the highlight colours.

Kept apart from :mod:`ivr.flows.graph`, which decides what is drawn, so a change of
look never touches the structure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Look:
    """How a kind of node is drawn: Graphviz shape, fill and line colours, style."""

    shape: str
    fill: str
    line: str
    style: str = "filled"


#: Each node kind's look (``missing``: a name no node has).
LOOKS: dict[str, Look] = {
    "menu": Look("box", "#dbeafe", "#1d4ed8", "rounded,filled"),
    "collect": Look("box", "#fef3c7", "#b45309", "rounded,filled"),
    "survey": Look("box", "#fce7f3", "#be185d", "rounded,filled"),
    "play": Look("note", "#f9fafb", "#4b5563"),
    "record": Look("box", "#f3e8ff", "#7e22ce", "rounded,filled"),
    "branch": Look("diamond", "#ede9fe", "#6d28d9"),
    "split": Look("diamond", "#fef9c3", "#a16207"),
    "lookup": Look("cylinder", "#cffafe", "#0e7490"),
    "set": Look("box", "#f3f4f6", "#6b7280"),
    "goto": Look("folder", "#e5e7eb", "#374151", "filled,dashed"),
    # Outcomes: each its own shape and colour, so exits stand out at a glance.
    "queue": Look("box", "#dcfce7", "#15803d", "filled,bold"),
    "transfer": Look("cds", "#ffedd5", "#c2410c"),
    "voicemail": Look("tab", "#f5d0fe", "#a21caf"),
    "callback": Look("box", "#e0f2fe", "#0369a1", "rounded,filled,bold"),
    "hangup": Look("octagon", "#fee2e2", "#b91c1c"),
    "self_service": Look("octagon", "#ccfbf1", "#0f766e"),
    "missing": Look("box", "#ffffff", "#dc2626", "dashed"),
}

#: A call's path, lit over the diagram.
VISITED_FILL = "#fde047"
VISITED_LINE = "#ea580c"
#: Notes and fall-through edges; failures and warnings.
MUTED = "#6b7280"
FAIL = "#b91c1c"
