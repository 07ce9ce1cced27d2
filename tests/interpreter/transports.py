"""Run one caller through each transport and return the call record it leaves.

``over_simulator`` is ``ivr simulate``; ``over_fastagi`` is the live FastAGI service's
call session answering :class:`~tests.interpreter.agi_phone.AgiPhone` on real sockets.
Both see the same caller (the simulator's input words) and the same clock, so their
records must agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import aiohttp

from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from ivr.calls.record import CallRecord
from ivr.flows.engine import Call
from ivr.flows.flowset import FlowSet
from ivr.interpreter.agi_transport import AgiTransport
from ivr.interpreter.session import CallSession, SessionDeps
from ivr.simulate.driver import run_flow, scripted
from tests.agi.helpers import RECORDINGS
from tests.interpreter.agi_phone import AgiPhone

AT = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Journey:
    """What the differential tests compare of a call record."""

    path: tuple[str, ...]
    outcome: str | None
    kinds: tuple[str, ...]
    variables: dict[str, Any]
    lookups: tuple[tuple[str | None, Any, Any], ...]

    @classmethod
    def of(cls, record: CallRecord) -> Journey:
        lookups = tuple((e.node, e.data.get("ok"), e.data.get("error"))
                        for e in record.timeline if e.kind == "lookup" and "url" in e.data)
        return cls(tuple(record.path), record.outcome,
                   tuple(e.kind for e in record.timeline),
                   dict(record.variables), lookups)


async def over_simulator(flowset: FlowSet, flow: str, words: list[str],
                         at: dt.datetime = AT) -> Journey:
    """The journey ``ivr simulate FLOW -i WORD …`` takes."""
    sim = await run_flow(flowset, flow, scripted(words), at=at, caller="0212345678",
                         dnid="1000", call_id="diff.1")
    return Journey.of(sim.call.record)


async def simulate(flowset: FlowSet, flow: str, words: list[str],
                   like: CallRecord) -> Journey:
    """The journey ``ivr simulate`` gives for the call *like* (same id, caller, time)."""
    sim = await run_flow(flowset, flow, scripted(words), at=like.started_at,
                         caller=like.caller, dnid=like.dnid, call_id=like.call_id)
    return Journey.of(sim.call.record)


async def over_fastagi(flowset: FlowSet, flow: str, words: list[str],
                       at: dt.datetime = AT) -> Journey:
    """The journey the FastAGI service takes for a caller saying *words* on Asterisk."""
    records: list[CallRecord] = []
    async with aiohttp.ClientSession() as http:
        deps = SessionDeps(http=http, clock=lambda: at, queues={})

        async def handler(channel: AgiChannel) -> None:
            request = channel.request
            call = Call(flowset, request.script, call_id=request.uniqueid,
                        caller=request.caller, dnid=request.dnid)
            records.append(await CallSession(AgiTransport(channel, RECORDINGS), call, deps).run())

        async with AgiServer(handler, port=0) as server:
            await AgiPhone(words).call(server.port, flow, "diff.1")
    (record,) = records
    return Journey.of(record)
