"""Drive :class:`ivr.flows.engine.Call` from scripted or typed input.

A simulated call runs through the live service's own interpreter
(:class:`ivr.interpreter.session.CallSession`) over the scripted transport
(:mod:`ivr.simulate.transport`): prompts become text, lookups are real HTTP requests
made by the same code as on the phone, recordings are simulated. The caller's side
(type-ahead, partial entries, hang-ups at any moment) is :class:`ivr.simulate.phone.Phone`.
``run_flow`` is the harness tests use.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ivr.flows.engine import Call
from ivr.flows.events import QueueStatus
from ivr.flows.flowset import FlowSet
from ivr.interpreter.session import CallSession, SessionDeps
from ivr.interpreter.transport import Line
from ivr.simulate.phone import Ask, Phone, Words
from ivr.simulate.transport import PromptSink, ScriptedTransport


@dataclass
class Simulation:
    """What happened on a simulated call (``ivr simulate --json`` prints this)."""

    call: Call
    prompts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The JSON object ``ivr simulate --json`` prints."""
        outcome = self.call.outcome
        return {
            "outcome": outcome.kind if outcome else None,
            "node": outcome.node if outcome else None,
            "queue": outcome.queue if outcome else None,
            "target": outcome.target if outcome else None,
            "reason": outcome.reason if outcome else None,
            "path": list(self.call.record.path),
            "variables": self.call.variables,
            "prompts": self.prompts,
            "language": self.call.record.language,
            "survey_score": self.call.record.survey_score,
            "lookups": self.lookups(),
            "notes": self.notes,
        }

    def lookups(self) -> list[dict[str, Any]]:
        """Every HTTP lookup of the call: node, URL (no query), status, ok and why it failed."""
        return [
            {"node": e.node, "url": e.data.get("url"), "status": e.data.get("status"),
             "ok": e.data.get("ok"), "error": e.data.get("error"),
             "latency_ms": e.data.get("latency_ms")}
            for e in self.call.record.timeline
            if e.kind == "lookup" and "url" in e.data
        ]


def scripted(inputs: Iterable[str]) -> Words:
    """The caller's inputs from a script; when they run out, the caller hangs up."""
    return Words.scripted(inputs)


def interactive(ask: Ask) -> Words:
    """The caller's inputs typed when a question needs one."""
    return Words.interactive(ask)


def queue_statuses(specs: Iterable[str]) -> dict[str, QueueStatus]:
    """Parse ``NAME:available=N,wait=S,callers=C`` options into queue states."""
    out: dict[str, QueueStatus] = {}
    for spec in specs:
        name, _sep, rest = spec.partition(":")
        values: dict[str, float] = {}
        for pair in filter(None, rest.split(",")):
            key, _eq, value = pair.partition("=")
            values[key.strip()] = float(value)
        out[name] = QueueStatus(
            name,
            available=int(values.get("available", 1)),
            logged_in=int(values.get("logged_in", values.get("available", 1))),
            callers=int(values.get("callers", 0)),
            estimated_wait_s=values.get("wait", 0.0),
        )
    return out


async def run_flow(
    flowset: FlowSet,
    flow: str,
    source: Words,
    *,
    caller: str | None = None,
    dnid: str | None = None,
    call_id: str | None = None,
    at: dt.datetime | None = None,
    queues: dict[str, QueueStatus] | None = None,
    on_prompt: PromptSink | None = None,
    max_steps: int = 500,
) -> Simulation:
    """Run one simulated call to its end and return what happened."""
    now = at or dt.datetime.now(dt.UTC)
    call_id = call_id or f"sim-{time.time_ns()}"
    call = Call(flowset, flow, call_id=call_id, caller=caller, dnid=dnid)
    sim = Simulation(call)
    line = Line(call_id, "simulated", caller)
    transport = ScriptedTransport(Phone(source, sim.notes), line, sim.prompts, on_prompt,
                                  max_steps)
    async with aiohttp.ClientSession() as http:
        deps = SessionDeps(http=http, clock=lambda: now, queues=queues or {})
        await CallSession(transport, call, deps).run()
    return sim


__all__ = ["Simulation", "interactive", "queue_statuses", "run_flow", "scripted"]
