"""Drive :class:`ivr.flows.engine.Call` from scripted or typed input.

This is an adapter like the FastAGI session: it carries out effects (prompts
become text, lookups are real HTTP requests made by the live service's own
:func:`ivr.serve.lookup.run_lookup`, recordings are simulated) and feeds the
results back as events. The caller's side (type-ahead, partial entries, hang-ups
at any moment) is :class:`ivr.simulate.phone.Phone`. ``run_flow`` is the harness
tests use.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import Event, Hangup, QueueStatus, Recorded
from ivr.flows.flowset import FlowSet
from ivr.serve.lookup import run_lookup
from ivr.simulate.phone import Ask, Phone, Words

#: Told each prompt as it is "played".
PromptSink = Callable[[str], None]


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
    at: dt.datetime | None = None,
    queues: dict[str, QueueStatus] | None = None,
    on_prompt: PromptSink | None = None,
    max_steps: int = 500,
) -> Simulation:
    """Run one simulated call to its end and return what happened."""
    now = at or dt.datetime.now(dt.UTC)
    call = Call(flowset, flow, call_id=f"sim-{time.time_ns()}", caller=caller)
    sim = Simulation(call)
    phone = Phone(source, sim.notes)
    async with aiohttp.ClientSession() as http:
        effects = call.start(now)
        for _step in range(max_steps):
            for effect in effects:
                _show(effect, sim, on_prompt)
            if call.finished:
                return sim
            pending = call.pending
            assert pending is not None
            event = await _answer(pending, phone, http, queues or {})
            effects = call.receive(event, now)
    sim.notes.append(f"stopped after {max_steps} steps")
    call.receive(Hangup(), now)
    return sim


def _show(effect: fx.Effect, sim: Simulation, on_prompt: PromptSink | None) -> None:
    prompts: tuple[fx.Prompt, ...] = ()
    if isinstance(effect, fx.Play | fx.Gather | fx.Record):
        prompts = effect.prompts
    for p in prompts:
        text = "[sensitive]" if p.sensitive else (p.text if p.text is not None else f"<{p.file}>")
        sim.prompts.append(text)
        if on_prompt:
            on_prompt(text)


async def _answer(
    pending: fx.Blocking,
    phone: Phone,
    http: aiohttp.ClientSession,
    queues: dict[str, QueueStatus],
) -> Event:
    if isinstance(pending, fx.Gather):
        return await phone.gather(pending)
    if isinstance(pending, fx.Play):
        return phone.play(pending)
    if phone.hangs_up_now():
        return Hangup()
    if isinstance(pending, fx.CheckQueue):
        return queues.get(pending.queue, QueueStatus(pending.queue, 1, 1, 0, 0.0, 0.0))
    if isinstance(pending, fx.Record):
        phone.lose_keys(pending.node, "the recording prompt")
        phone.notes.append(f"simulated a recording at {pending.node}")
        return Recorded(f"simulated/{pending.node}.wav", 5.0, reason="silence")
    phone.lose_keys(pending.node, "the lookup")
    return await run_lookup(pending, http)


__all__ = ["Simulation", "interactive", "queue_statuses", "run_flow", "scripted"]
