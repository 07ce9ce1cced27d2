"""A real SIP call (sipp) pressing RFC 4733 keys reaches our FastAGI session as digits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from ivr.bench.sipp import sip_call, sipp_available
from tests.asterisk.fixtures import AmiObserver, Sandbox
from tests.conftest import need

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


async def test_rfc4733_keys_arrive_and_call_lands_in_queue(
    asterisk: Sandbox, ami_observer: AmiObserver, tmp_path: Path
) -> None:
    ok, why = sipp_available()
    need(ok, why)
    got: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    async def handler(channel: AgiChannel) -> None:
        await channel.answer()
        keys = ""
        while len(keys) < 2:
            key = await channel.wait_for_digit(10_000)
            if key is None:
                break
            keys += key
        await got.put((channel.request.uniqueid, keys))
        await channel.set_variable("IVR_OUTCOME", "queue")
        await channel.set_variable("IVR_QUEUE", "support" if keys == "21" else "sales")

    async with AgiServer(handler, port=0) as server:
        call = asyncio.create_task(
            sip_call(tmp_path, f"agi://127.0.0.1:{server.port}", keys="21", hold_ms=4000)
        )
        waiter = asyncio.ensure_future(got.get())
        await asyncio.wait({waiter, call}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        assert waiter.done(), call.result()[1][:3000] if call.done() else "no FastAGI request"
        uniqueid, keys = waiter.result()
        assert keys == "21"
        joined = await asyncio.to_thread(
            ami_observer.wait_for,
            lambda e: e.get("Event") == "QueueCallerJoin" and e.get("Uniqueid") == uniqueid,
        )
        assert joined["Queue"] == "support"
        assert joined["Channel"].startswith("PJSIP/sipp-")
        code, output = await call
    assert code == 0, output
