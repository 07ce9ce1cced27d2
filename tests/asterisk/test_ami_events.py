"""Against the real Asterisk 22: the service's AMI user gets the events it uses and no others.

A Local call is placed and hung up; an observer without filters (the test user)
sees its Newchannel, Newexten and Hangup. The service's client, logged in as
the ``ivr`` user of asterisk_conf/manager.conf (with its ``eventfilter`` lines)
and asking for its classes only, must see the Hangup and none of the others,
counted as they arrive, before the client's own drop.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from ivr.ami.client import AmiClient
from tests.asterisk.fixtures import SERVICE_USER, AmiObserver, Sandbox, eventually

pytestmark = [pytest.mark.asterisk]

#: Events every call produces that the service never uses.
UNWANTED = ("newchannel", "newexten", "newstate", "varset", "dialbegin", "localbridge")


def _of_call(name: str, channel_id: str) -> Callable[[dict[str, str]], bool]:
    return lambda e: e.get("Event") == name and e.get("Uniqueid", "").startswith(channel_id)


@pytest.fixture
async def client(asterisk: Sandbox) -> AsyncIterator[AmiClient]:
    ami = AmiClient(asterisk.ami_host, asterisk.ami_port, SERVICE_USER[0], SERVICE_USER[1],
                    min_backoff_s=0.1, max_backoff_s=1.0)
    await ami.start()
    async with asyncio.timeout(20):
        await ami.wait_connected()  # FullyBooted and the QueueStatus snapshot got through
    yield ami
    await ami.close()


async def test_a_call_s_hangup_arrives_and_its_channel_events_do_not(
        client: AmiClient, ami_observer: AmiObserver) -> None:
    heard: list[tuple[str, str]] = []
    client.listeners.append(lambda f: heard.append((f.get("event", ""), f.get("uniqueid", ""))))
    channel_id = f"ivrfilter-{uuid.uuid4().hex[:12]}"
    response = await asyncio.to_thread(
        ami_observer.action, "Originate", Channel="Local/100@ivr-test-agent",
        Application="Wait", Data="1", ChannelId=channel_id,
        OtherChannelId=f"{channel_id}-2", Async="true")
    assert response["Response"] == "Success", response
    # The unfiltered observer sees the whole life of the call...
    for event in ("Newchannel", "Newexten", "Hangup"):
        await asyncio.to_thread(ami_observer.wait_for, _of_call(event, channel_id))
    # ...the service's user only its end (the events_seen count is taken before our own drop).
    await eventually(lambda: any(kind == "Hangup" and uid.startswith(channel_id)
                                 for kind, uid in heard))
    assert {name: client.events_seen[name] for name in UNWANTED} == dict.fromkeys(UNWANTED, 0)
    assert client.events_seen["hangup"] >= 1


def test_declined_messages_are_not_even_made(ami_observer: AmiObserver) -> None:
    """asterisk_conf/stasis.conf: a Set() makes no VarSet for anyone, the test user included.

    The observer has no filters and reads every class, so it sees the call's Newexten; a
    VarSet would reach it too if Asterisk still created the message (it did, 35 per IVR
    call, each built into an AMI event while the service is connected).
    """
    channel_id = f"ivrdecline-{uuid.uuid4().hex[:12]}"
    response = ami_observer.action(
        "Originate", Channel="Local/100@ivr-test-agent", Application="Set",
        Data="IVR_DECLINE_PROBE=1", ChannelId=channel_id, OtherChannelId=f"{channel_id}-2",
        Async="true")
    assert response["Response"] == "Success", response
    ami_observer.wait_for(_of_call("Newexten", channel_id))
    ami_observer.wait_for(_of_call("Hangup", channel_id))
    names = {e.get("Event") for e in ami_observer.events
             if e.get("Uniqueid", "").startswith(channel_id)}
    assert "VarSet" not in names, names
