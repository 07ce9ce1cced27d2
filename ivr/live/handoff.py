"""What an agent sees when a queue call rings: the caller's journey so far (pure).

Built from the stored call record, which never holds a sensitive value (the
engine writes ``{"sensitive": True, "length": N}`` or ``[sensitive]`` instead);
this summary shows those as "given, hidden" and drops any variable marked so,
so nothing sensitive reaches the agent's screen even from an older record.
Variables are limited to the queue node's ``share`` list when it has one, the
same rule as the ``IvrHandoff`` screen-pop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from ivr.calls.record import CallRecord
from ivr.flows.context import SENSITIVE
from ivr.live.agents import Ring

#: Flow variables every call has; the agent sees them elsewhere on the page.
_BUILTIN = frozenset({"caller", "dnid", "call_id", "language"})


@dataclass(frozen=True)
class Step:
    """One thing the caller did or got, at a node."""

    node: str
    text: str


@dataclass
class Handoff:
    """The hand-off page's content for one ring."""

    ring: Ring
    found: bool = False
    #: The caller's number as the IVR stored it (else as Asterisk reported it to the queue).
    caller: str = ""
    language: str | None = None
    flow: str | None = None
    chose: list[Step] = field(default_factory=list)
    said: list[Step] = field(default_factory=list)
    entered: list[Step] = field(default_factory=list)
    results: list[Step] = field(default_factory=list)
    shared: dict[str, str] = field(default_factory=dict)
    trouble: list[Step] = field(default_factory=list)
    reason: str | None = None
    #: Seconds from the IVR handing the caller to the queue until this agent was rung.
    waited_s: float | None = None
    callback: bool = False


def _waited(record: CallRecord, ring: Ring) -> float | None:
    if ring.hold_s is not None:
        return ring.hold_s
    handed = next((e.at for e in reversed(record.timeline) if e.kind == "outcome"),
                  record.ended_at)
    try:
        rung = dt.datetime.fromisoformat(ring.since)
    except ValueError:
        return None
    return max(0.0, (rung - handed).total_seconds()) if handed else None


def summarize(record: CallRecord | None, ring: Ring,
              share: Collection[str] | None = None) -> Handoff:
    """The hand-off for *ring*; *record* is the caller's stored call (None if unknown)."""
    out = Handoff(ring, caller=ring.caller if ring.caller != "<unknown>" else "")
    if record is None:
        return out
    out.found, out.language, out.flow = True, record.language, record.flow
    out.caller = record.caller or out.caller
    tries: dict[str, int] = {}
    for entry in record.timeline:
        data, node = entry.data, entry.node or ""
        if entry.kind == "option_chosen":
            out.chose.append(Step(node, f"{data.get('option')} (by {data.get('via', 'key')})"))
        elif entry.kind == "speech" and data.get("text") and data.get("text") != SENSITIVE:
            match = f" → {data['option']}" if data.get("option") else " (not understood)"
            out.said.append(Step(node, f"“{data.get('text')}”{match}"))
        elif entry.kind == "digits":
            hidden = data.get("sensitive") or data.get("digits") == SENSITIVE
            out.entered.append(Step(node, f"{data.get('length', '?')} digits, hidden"
                                    if hidden else str(data.get("digits"))))
        elif entry.kind == "lookup":
            out.results.append(Step(node, "found" if data.get("ok") else "lookup failed"))
        elif entry.kind in ("no_match", "no_input"):
            tries[node] = tries.get(node, 0) + 1
        elif entry.kind == "outcome" and data.get("reason"):
            out.reason = str(data["reason"])
        elif entry.kind == "callback":
            out.callback = True
    out.callback = out.callback or record.outcome == "callback"
    # A key pressed at a menu is already told as the choice it made.
    out.entered = [s for s in out.entered if s.node not in {c.node for c in out.chose}]
    out.trouble = [Step(n, f"{k} failed attempt{'s' if k > 1 else ''}") for n, k in tries.items()]
    names = set(record.variables) - _BUILTIN if share is None else set(share)
    out.shared = {n: v for n, v in sorted(record.variables.items())
                  if n in names and v != SENSITIVE}
    out.waited_s = _waited(record, ring)
    return out
