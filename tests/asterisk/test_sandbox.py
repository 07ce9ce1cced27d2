"""The sandbox Asterisk reaches our FastAGI server: a Local/ call originated over AMI."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from tests.asterisk.fixtures import AmiObserver, Sandbox

pytestmark = [pytest.mark.asterisk]


async def test_local_call_reaches_fastagi_with_script_and_variables(
    asterisk: Sandbox, ami_observer: AmiObserver
) -> None:
    seen: asyncio.Queue[dict[str, object]] = asyncio.Queue()

    async def handler(channel: AgiChannel) -> None:
        await channel.answer()
        await channel.set_variable("IVR_OUTCOME", "hangup")
        await seen.put(
            {
                "script": channel.request.get("network_script"),
                "flow": channel.request.script,
                "answered": channel.request.answered,
                "uniqueid": channel.request.uniqueid,
                "probe": await channel.get_variable("TEST_PROBE"),
            }
        )

    async with AgiServer(handler, port=0) as server:
        channel_id = f"ivrtest-{uuid.uuid4().hex[:12]}"
        response = await asyncio.to_thread(
            ami_observer.action,
            "Originate",
            Channel="Local/s@ivr-test-entry",
            Context="ivr-test-caller",
            Exten="s",
            Priority="1",
            ChannelId=channel_id,
            OtherChannelId=f"{channel_id}-2",
            Async="true",
            Variable=(
                f"IVR_AGI_URL=agi://127.0.0.1:{server.port},IVR_FLOW=probe,"
                "TEST_PROBE=hello,TEST_HOLD=1"
            ),
        )
        assert response["Response"] == "Success", response
        got = await asyncio.wait_for(seen.get(), 20)
    # [ivr] answers before AGI() and says so: the service sends no ANSWER of its own.
    assert got["script"] == "probe?answered=yes"
    assert (got["flow"], got["answered"]) == ("probe", True)
    assert got["probe"] == "hello"
    # The IVR half of a Local/ call is ";2"; its Uniqueid is the OtherChannelId we chose.
    assert got["uniqueid"] == f"{channel_id}-2"
    hangup = await asyncio.to_thread(
        ami_observer.wait_for,
        lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == f"{channel_id}-2",
    )
    assert hangup["Channel"].startswith("Local/s@ivr-test-entry")
