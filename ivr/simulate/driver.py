"""Drive :class:`ivr.flows.engine.Call` from scripted or typed input.

This is an adapter like the FastAGI session: it carries out effects (prompts
become text, lookups are real HTTP requests, recordings are simulated) and
feeds the results back as events. ``run_flow`` is the harness tests use.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import (
    Event,
    Hangup,
    LookupDone,
    LookupFailed,
    PlaybackDone,
    QueueStatus,
    Recorded,
)
from ivr.flows.flowset import FlowSet
from ivr.simulate.inputs import InputError, parse_input

#: Asked for the caller's next input: (the pending Gather) -> text, or None when out of input.
InputSource = Callable[[fx.Gather], Awaitable[str | None]]
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
            "notes": self.notes,
        }


def scripted(inputs: Iterable[str]) -> InputSource:
    """An input source that replays *inputs* in order, then runs dry (the caller hangs up)."""
    queue = list(inputs)

    async def next_input(_gather: fx.Gather) -> str | None:
        return queue.pop(0) if queue else None

    return next_input


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
    source: InputSource,
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
    async with aiohttp.ClientSession() as http:
        effects = call.start(now)
        for _step in range(max_steps):
            for effect in effects:
                _show(effect, sim, on_prompt)
            if call.finished:
                return sim
            pending = call.pending
            assert pending is not None
            event = await _answer(pending, source, http, queues or {}, sim)
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
    source: InputSource,
    http: aiohttp.ClientSession,
    queues: dict[str, QueueStatus],
    sim: Simulation,
) -> Event:
    if isinstance(pending, fx.Play):
        return PlaybackDone()
    if isinstance(pending, fx.CheckQueue):
        return queues.get(pending.queue, QueueStatus(pending.queue, 1, 1, 0, 0.0, 0.0))
    if isinstance(pending, fx.Record):
        sim.notes.append(f"simulated a recording at {pending.node}")
        return Recorded(f"simulated/{pending.node}.wav", 5.0, reason="silence")
    if isinstance(pending, fx.Lookup):
        return await lookup(http, pending)
    while True:
        text = await source(pending)
        if text is None:
            sim.notes.append(f"inputs ran out at {pending.node}: the caller hung up")
            return Hangup()
        finish = pending.digits.finish_key if pending.digits else None
        try:
            return parse_input(text, finish)
        except InputError as exc:
            sim.notes.append(str(exc))


async def lookup(http: aiohttp.ClientSession, effect: fx.Lookup) -> Event:
    """Carry out a ``Lookup`` effect over real HTTP, honouring its timeout."""
    started = time.perf_counter()
    headers = dict(effect.headers)
    if effect.json_body is not None:
        headers.setdefault("Content-Type", "application/json")
    try:
        async with asyncio.timeout(effect.timeout_s):
            async with http.request(effect.method, effect.url, data=effect.json_body,
                                    headers=headers) as response:
                text = await response.text()
                latency = int((time.perf_counter() - started) * 1000)
                try:
                    data = json.loads(text) if text else None
                except ValueError:
                    return LookupFailed("reply is not JSON", latency)
                return LookupDone(response.status, data, latency)
    except TimeoutError:
        return LookupFailed(f"timed out after {effect.timeout_s} s",
                            int((time.perf_counter() - started) * 1000))
    except aiohttp.ClientError as exc:
        return LookupFailed(f"{type(exc).__name__}: {exc}",
                            int((time.perf_counter() - started) * 1000))


__all__ = ["Simulation", "lookup", "queue_statuses", "run_flow", "scripted"]
