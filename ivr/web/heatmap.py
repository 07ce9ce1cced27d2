"""Traffic over one flow's diagram: where callers go, get confused, spend time and give up.

Figures cover the calls a :class:`CallFilter` selects (its ``flow`` is ignored:
the flow drawn is *flow*, and a call counts when it entered any node of it, also
through a ``goto`` from another flow). Definitions, per node of *flow*:

- *visits*: times a caller entered the node; *callers*: calls that entered it;
- *lost*: calls that ended ``abandoned`` or ``interrupted`` while in the node;
  *loss rate* = lost / callers;
- *no-match rate*, *no-input rate*: ``no_match`` / ``no_input`` events in the
  node per visit (a visit with two wrong answers counts two);
- *mean time*: from entering the node to entering the next one (or the call's end),
  averaged over visits.

Per ``split`` node, :func:`split_shares` sets each branch's configured percentage beside
the share of the node's callers who were placed in it (its edge's calls / the node's
callers), and the callers sent to ``else`` outside the split's dates.

Per edge (identified as in :mod:`ivr.flows.graph_path`: tail, head and key), the
*share* is calls that took it / callers of its tail node. The edges are read with
the same :func:`~ivr.flows.graph_path.hops` that lights a single call's diagram, so
the two pictures never disagree about which edge a caller took.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from ivr.calls.outcome import LOST
from ivr.calls.query import CallFilter, conditions
from ivr.calls.record import TimelineEntry
from ivr.calls.store import schema
from ivr.calls.store.sql import SqlStore
from ivr.flows import nodes as n
from ivr.flows.graph import ENTRY
from ivr.flows.graph_heat import NodeFigures, Overlay
from ivr.flows.graph_path import hops

#: At most this many calls (the newest) are read for one map; ``HeatMap.capped`` says so.
MAX_CALLS = 20_000
#: Outcomes that mean the caller gave up inside the IVR.
_KINDS = ("node_entered", "option_chosen", "lookup", "no_input", "no_match", "retry", "outcome",
          "split")


@dataclass
class NodeHeat:
    """Figures of one node (see the module docstring)."""

    visits: int = 0
    callers: int = 0
    lost: int = 0
    no_match: int = 0
    no_input: int = 0
    seconds: float = 0.0

    @property
    def loss_rate(self) -> float | None:
        """Lost / callers."""
        return self.lost / self.callers if self.callers else None

    @property
    def no_match_rate(self) -> float | None:
        """No-match events per visit."""
        return self.no_match / self.visits if self.visits else None

    @property
    def no_input_rate(self) -> float | None:
        """No-input events per visit."""
        return self.no_input / self.visits if self.visits else None

    @property
    def mean_s(self) -> float | None:
        """Mean seconds per visit."""
        return self.seconds / self.visits if self.visits else None


@dataclass
class HeatMap:
    """One flow's figures over the selected calls."""

    flow: str
    calls: int = 0
    capped: bool = False
    nodes: dict[str, NodeHeat] = field(default_factory=dict)
    #: Calls that took each edge, by (tail, head, key); ENTRY is the tail of the start edge.
    edges: dict[tuple[str, str, str | None], int] = field(default_factory=dict)

    def edge_share(self, tail: str, head: str, key: str | None) -> float | None:
        """Calls that took the edge / calls that reached its tail (ENTRY: calls in the flow)."""
        whole = self.calls if tail == ENTRY else self.nodes.get(tail, NodeHeat()).callers
        return self.edges.get((tail, head, key), 0) / whole if whole else None

    def hot_spots(self, limit: int = 10) -> list[tuple[str, NodeHeat]]:
        """Nodes that lose or confuse callers, worst first (lost calls, then confusion)."""
        spots = [(name, h) for name, h in self.nodes.items() if h.lost or h.no_match or h.no_input]
        spots.sort(key=lambda s: (-s[1].lost, -(s[1].no_match + s[1].no_input), s[0]))
        return spots[:limit]


@dataclass
class _Call:
    outcome: str | None
    end: dt.datetime | None
    entries: list[TimelineEntry] = field(default_factory=list)


async def heat_map(store: SqlStore, flt: CallFilter, flow: str) -> HeatMap:
    """Compute *flow*'s heat map over the calls *flt* selects."""
    c, t = schema.calls.c, schema.timeline.c
    where = conditions(replace(flt, flow=None))
    touched = (select(t.call_id).select_from(schema.timeline.join(schema.calls,
                                                                  t.call_id == c.call_id))
               .where(*where, t.kind == "node_entered", t.data["flow"].as_string() == flow)
               .group_by(t.call_id).order_by(t.call_id.desc()).limit(MAX_CALLS + 1))
    async with store.engine.connect() as conn:
        ids = [row[0] for row in (await conn.execute(touched)).all()]
        capped = len(ids) > MAX_CALLS
        ids = ids[:MAX_CALLS]
        calls: dict[str, _Call] = {}
        # Chunks keep the IN list within what both databases accept.
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for call_id, outcome, ended, last in (await conn.execute(
                    select(c.call_id, c.outcome, c.ended_at, c.last_event_at)
                    .where(c.call_id.in_(chunk)))).all():
                calls[call_id] = _Call(outcome, ended or last)
            for call_id, at, kind, node, data in (await conn.execute(
                    select(t.call_id, t.at, t.kind, t.node, t.data)
                    .where(t.call_id.in_(chunk), t.kind.in_(_KINDS))
                    .order_by(t.call_id, t.seq))).all():
                calls[call_id].entries.append(TimelineEntry(at, kind, node, dict(data or {})))
    heat = HeatMap(flow, calls=len(calls), capped=capped)
    for call in calls.values():
        _add_call(heat, call)
    return heat


def _add_call(heat: HeatMap, call: _Call) -> None:
    nodes = heat.nodes
    entered = [e for e in call.entries if e.kind == "node_entered" and e.node is not None]
    # Each visit lasts until the next node is entered, the last one until the call's end.
    leaves = [e.at for e in entered[1:]] + [call.end]
    reached: set[str] = set()
    here: tuple[str, str] | None = None
    visit = 0
    for e in call.entries:
        if e.kind == "node_entered" and e.node is not None:
            here = (str(e.data.get("flow", "")), e.node)
            until = leaves[visit]
            visit += 1
            if here[0] == heat.flow:
                node = nodes.setdefault(e.node, NodeHeat())
                node.visits += 1
                reached.add(e.node)
                if until is not None:
                    node.seconds += max(0.0, (until - e.at).total_seconds())
        elif e.kind in ("no_match", "no_input") and here is not None and here[0] == heat.flow:
            node = nodes.setdefault(here[1], NodeHeat())
            setattr(node, e.kind, getattr(node, e.kind) + 1)
    for name in reached:
        nodes[name].callers += 1
    if call.outcome in LOST and here is not None and here[0] == heat.flow:
        nodes[here[1]].lost += 1
    taken = {(h.tail, h.head, h.key) for h in hops(call.entries, ENTRY) if h.flow == heat.flow}
    for edge in taken:
        heat.edges[edge] = heat.edges.get(edge, 0) + 1


@dataclass(frozen=True)
class BranchShare:
    """One arm of a split as configured and as callers were placed in the period."""

    split: str
    branch: str
    #: Configured percentage (None for the "outside dates" way).
    configured: float | None
    calls: int
    #: Share of the split node's callers (0–1), None when nobody reached it.
    share: float | None


def split_shares(heat: HeatMap, nodes: Mapping[str, n.Node]) -> list[BranchShare]:
    """Every split node of the flow with its branches' configured and actual shares."""
    out: list[BranchShare] = []
    for name, node in nodes.items():
        if not isinstance(node, n.Split):
            continue
        callers = heat.nodes.get(name, NodeHeat()).callers
        arms: list[tuple[str, float | None, str, str]] = [
            (arm.name, arm.percent, arm.next, f"split:{arm.name}") for arm in node.branches]
        if node.default is not None:
            arms.append(("outside dates", None, node.default, "else"))
        for branch, percent, head, key in arms:
            calls = heat.edges.get((name, head, key), 0)
            out.append(BranchShare(name, branch, percent, calls,
                                   calls / callers if callers else None))
    return out


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def node_text(h: NodeHeat) -> str:
    """The figures line drawn in a node's box."""
    mean = "–" if h.mean_s is None else f"{h.mean_s:.0f} s"
    return (f"{h.visits} visits · {_pct(h.loss_rate)} lost · {_pct(h.no_match_rate)} no match"
            f" · {_pct(h.no_input_rate)} no input · {mean}")


def overlay(heat: HeatMap) -> Overlay:
    """The heat map as figures for the diagram (:mod:`ivr.flows.graph_heat`)."""
    edges: dict[tuple[str, str, str | None], tuple[float, str]] = {}
    for (tail, head, key), count in heat.edges.items():
        share = heat.edge_share(tail, head, key) or 0.0
        edges[(tail, head, key)] = (min(share, 1.0), f"{share:.0%} ({count})")
    return Overlay(
        heat.flow,
        {name: NodeFigures(h.loss_rate, node_text(h)) for name, h in heat.nodes.items()},
        edges,
    )
