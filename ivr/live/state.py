"""The live state one instance publishes, and the merge of every instance's (pure).

An instance's payload is JSON: the calls in its IVR now (flow and node) and the
queues as its AMI connection sees them. Queues live in Asterisk, so every
instance connected to the same Asterisk reports the same queue; the merge keeps
the freshest report of each queue rather than adding them up. Agents' rings
(:mod:`ivr.live.agents`) are Asterisk's too: per interface, the latest ring wins. Calls are each
instance's own, so they are added up. An instance whose row is older than the
timeout has stopped (or lost the database) and is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.ami.queues import QueueBoard
from ivr.calls.record import CallRecord
from ivr.live.agents import Ring, ring_from

#: An instance not heard from for this long is dropped from the wallboard.
STALE_AFTER = dt.timedelta(seconds=3)


def queue_figures(board: QueueBoard) -> dict[str, dict[str, float | int | None]]:
    """Per queue: callers waiting, longest wait, estimated wait, agents by state."""
    out: dict[str, dict[str, float | int | None]] = {}
    if not board.fresh:
        return out
    for name in board.queues():
        status = board.status(name)
        members = board.members(name)
        out[name] = {
            # Whole seconds: the wait grows all the time, and a publisher writes on change.
            "waiting": status.callers,
            "longest_s": round(status.longest_hold_s) if status.longest_hold_s is not None
            else None,
            "estimated_s": status.estimated_wait_s, "logged_in": status.logged_in,
            "free": status.available, "paused": sum(1 for m in members if m.paused),
            "busy": sum(1 for m in members if m.in_call),
        }
    return out


def where_now(record: CallRecord) -> tuple[str, str]:
    """The (flow, node) a call in progress is at: its last node entered."""
    for entry in reversed(record.timeline):
        if entry.kind == "node_entered" and entry.node is not None:
            return str(entry.data.get("flow", record.flow)), entry.node
    return record.flow, record.path[-1] if record.path else "(answering)"


def payload(calls: Iterable[tuple[str, str]],
            queues: Mapping[str, Mapping[str, float | int | None]],
            rings: Iterable[Ring] = ()) -> dict[str, Any]:
    """One instance's state to publish.

    *calls* are (flow, node) pairs, *queues* come from :func:`queue_figures`, *rings*
    say what agents' phones are doing.
    """
    return {"calls": [{"flow": f, "node": n} for f, n in calls],
            "queues": {name: dict(figures) for name, figures in queues.items()},
            "agents": [ring.to_json() for ring in rings]}


@dataclass
class Wallboard:
    """Every live instance merged."""

    instances: list[str] = field(default_factory=list)
    #: Calls in the IVR now, by flow then node.
    calls: dict[str, dict[str, int]] = field(default_factory=dict)
    queues: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    #: What each agent interface is being offered or talking to now.
    agents: dict[str, Ring] = field(default_factory=dict)

    @property
    def in_ivr(self) -> int:
        """Calls in the IVR now, over every flow."""
        return sum(sum(nodes.values()) for nodes in self.calls.values())


def merge(rows: Iterable[tuple[str, Mapping[str, Any], dt.datetime]], now: dt.datetime,
          stale_after: dt.timedelta = STALE_AFTER) -> Wallboard:
    """Merge (instance, payload, updated_at) rows; rows older than *stale_after* are left out."""
    board = Wallboard()
    seen: dict[str, dt.datetime] = {}
    for instance, data, updated in sorted(rows, key=lambda r: r[2]):
        if now - updated > stale_after:
            continue
        board.instances.append(instance)
        for call in data.get("calls", []):
            nodes = board.calls.setdefault(str(call.get("flow")), {})
            node = str(call.get("node"))
            nodes[node] = nodes.get(node, 0) + 1
        for name, figures in dict(data.get("queues", {})).items():
            # Oldest first: a fresher instance's view of a queue replaces an older one.
            if seen.get(name, updated) <= updated:
                board.queues[name] = dict(figures)
                seen[name] = updated
        for raw in data.get("agents", []):
            ring = ring_from(raw) if isinstance(raw, Mapping) else None
            known = board.agents.get(ring.interface) if ring else None
            if ring is not None and (known is None or known.since <= ring.since):
                board.agents[ring.interface] = ring
    board.instances.sort()
    return board
