"""Several instances: when the first FastAGI address is unreachable, the standby runs the call.

``asterisk_conf/extensions.conf`` tries ``IVR_AGI_STANDBY`` when ``AGI()`` ends with
``AGISTATUS=FAILURE`` and no outcome, so a dead instance costs the caller nothing.
"""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from tests.agi.live import Running, queue_join
from tests.asterisk.fixtures import AmiObserver

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens here once the socket is closed


async def test_a_dead_first_instance_hands_the_call_to_the_standby(
    running: Running, ami_observer: AmiObserver
) -> None:
    caller_id = f"standby-{uuid.uuid4().hex[:10]}"
    ivr_id = f"{caller_id}-2"
    response = await asyncio.to_thread(
        ami_observer.action, "Originate", Channel="Local/s@ivr-test-entry",
        Context="ivr-test-caller", Exten="s", Priority="1", Async="true",
        ChannelId=caller_id, OtherChannelId=ivr_id,
        Variable=(f"IVR_AGI_URL=agi://127.0.0.1:{_closed_port()},"
                  f"IVR_AGI_STANDBY={running.url},IVR_FLOW=main,TEST_DTMF=1,"
                  "TEST_WAIT=2,TEST_HOLD=3"),
    )
    assert response["Response"] == "Success", response
    assert (await queue_join(ami_observer, ivr_id))["Queue"] == "sales"
    record = await running.stored(ivr_id)
    assert (record.outcome, record.queue) == ("queue", "sales")
