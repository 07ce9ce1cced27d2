"""Which edges of the flow diagrams a call took, read from its timeline (pure).

A node path alone cannot tell three parallel edges apart (key 1, key 2 and
"after 2 failed tries" may all lead to the same node), and it loses the flow a
``goto`` entered. The timeline keeps both: ``node_entered`` names the flow, and
what happened in the node before it (``option_chosen``, a ``lookup`` result,
``no_input``/``no_match`` without a following ``retry``) names the edge.

A :class:`Hop` says: in *flow*, from *tail* towards *head*, by edge *key*.
Keys match the ones :mod:`ivr.flows.graph` gives its edges: ``start``,
``next``, ``option:NAME``, ``ok``, ``error``, ``retry``, ``failure``,
``on_no_input``, ``on_no_match``, ``case:N``, ``split:BRANCH``, ``else``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ivr.calls.record import TimelineEntry

#: Head of a hop that left the flow without entering a node (e.g. the default operator queue).
NOWHERE = ""


@dataclass(frozen=True, slots=True)
class Hop:
    """One move of the caller: *head* is a node name, ``flow:NAME`` for another flow, or NOWHERE."""

    flow: str
    tail: str
    head: str
    #: The edge's key, or None when the timeline does not say (then a sole candidate is taken).
    key: str | None


@dataclass
class _Segment:
    """What happened in the node the caller is in, since it entered."""

    flow: str
    node: str
    key: str | None = None


def hops(timeline: Iterable[TimelineEntry], entry: str) -> list[Hop]:
    """The caller's moves in order; *entry* is the diagram's synthetic start node ID."""
    out: list[Hop] = []
    here: _Segment | None = None
    failed_at_end = False  # the last thing in the node was a failed try, not retried
    for e in timeline:
        d = e.data
        if e.kind == "node_entered" and e.node is not None:
            flow = str(d.get("flow", here.flow if here else ""))
            if here is None:
                out.append(Hop(flow, entry, e.node, "start"))
            elif flow != here.flow:
                out.append(Hop(here.flow, here.node, f"flow:{flow}", here.key))
                out.append(Hop(flow, entry, e.node, "start"))
            else:
                out.append(Hop(flow, here.node, e.node, here.key))
            here = _Segment(flow, e.node)
            failed_at_end = False
        elif here is None:
            continue
        elif e.kind == "option_chosen" and d.get("option"):
            here.key = f"option:{d['option']}"
        elif e.kind == "split":
            # The branch names its edge; outside the split's dates callers take "else".
            here.key = f"split:{d['branch']}" if d.get("branch") else "else"
        elif e.kind == "lookup" and "url" in d:
            here.key = "ok" if d.get("ok") else "error"
        elif e.kind in ("no_input", "no_match"):
            here.key, failed_at_end = f"on_{e.kind}", True
        elif e.kind == "retry":
            out.append(Hop(here.flow, here.node, here.node, "retry"))
            here.key, failed_at_end = None, False
        elif (e.kind == "outcome" and failed_at_end
              and str(d.get("reason", "")).startswith("max_attempts")):
            # Tries ran out and no node was entered: the default failure exit (operator or
            # hang-up). A caller who hangs up after a wrong answer took no edge at all.
            out.append(Hop(here.flow, here.node, NOWHERE, here.key))
    return out


def flows_entered(steps: Iterable[Hop]) -> list[str]:
    """The flows the caller went through, in the order first entered."""
    seen: list[str] = []
    for hop in steps:
        if hop.key == "start" and hop.flow not in seen:
            seen.append(hop.flow)
    return seen


def taken_edges(
    edges: Sequence[tuple[str, str]], keys: Sequence[str | None], flow: str, steps: Iterable[Hop],
) -> tuple[dict[int, list[int]], list[str]]:
    """Match *steps* in *flow* to drawn *edges* (``(tail, head)`` with their *keys*).

    Returns the step numbers (1-based, counted over this flow's hops) of each taken
    edge by its index, and the node IDs visited. Among parallel edges the hop's key
    decides; a failure without its own ``on_no_…`` exit takes the ``failure`` edge;
    a hop with no key takes ``next``, or the only candidate. Otherwise (a ``branch``
    whose cases share a target: the timeline does not say which case matched) no edge
    is lit rather than a wrong one.
    """
    taken: dict[int, list[int]] = {}
    visited: list[str] = []
    number = 0
    for hop in steps:
        if hop.flow != flow:
            continue
        number += 1
        for node_id in (hop.tail, hop.head):
            if node_id and node_id not in visited:
                visited.append(node_id)
        found = match_edge(edges, keys, hop)
        if found is not None:
            taken.setdefault(found, []).append(number)
            if hop.head == NOWHERE or hop.head.startswith("flow:"):
                head = edges[found][1]
                if head not in visited:
                    visited.append(head)
    return taken, visited


def match_edge(
    edges: Sequence[tuple[str, str]], keys: Sequence[str | None], hop: Hop,
) -> int | None:
    """The index of the drawn edge *hop* took, or None when the timeline cannot tell."""
    def reaches(head: str) -> bool:
        if hop.head == NOWHERE:
            return True
        if hop.head.startswith("flow:"):
            return head == hop.head or head.startswith(hop.head + ":")
        return head == hop.head

    candidates = [i for i, (tail, head) in enumerate(edges) if tail == hop.tail and reaches(head)]
    if hop.head == NOWHERE:
        # Only a failure exit leaves without entering a node.
        candidates = [i for i in candidates if keys[i] in ("failure", hop.key)]
    wanted = [hop.key] if hop.key else ["next"]
    if hop.key in ("on_no_input", "on_no_match"):
        wanted.append("failure")
    for key in wanted:
        for i in candidates:
            if keys[i] == key:
                return i
    return candidates[0] if len(candidates) == 1 and hop.key is None else None
