"""The AMI client against the real Asterisk: live queue state, and reconnect after a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ivr.ami.client import AmiAuthError, AmiClient
from ivr.ami.messages import AmiError, action
from tests.asterisk.fixtures import SERVICE_USER, AmiObserver, Sandbox, eventually

pytestmark = [pytest.mark.asterisk]


@pytest.fixture
async def client(asterisk: Sandbox) -> AsyncIterator[AmiClient]:
    ami = AmiClient(
        asterisk.ami_host, asterisk.ami_port, SERVICE_USER[0], SERVICE_USER[1],
        min_backoff_s=0.1, max_backoff_s=1.0,
    )
    await ami.start()
    async with asyncio.timeout(20):
        await ami.wait_connected()
    yield ami
    await ami.close()


async def test_wrong_secret_never_connects(asterisk: Sandbox) -> None:
    ami = AmiClient(asterisk.ami_host, asterisk.ami_port, "ivr", "wrong", min_backoff_s=0.1)
    await ami.start()
    # A refused login is final (no retry) and the error says what to fix and where.
    with pytest.raises(AmiAuthError, match=r"manager\.conf.*IVR_AMI_SECRET"):
        async with asyncio.timeout(10):
            await ami.wait_connected()
    assert ami.gave_up.is_set()
    assert ami.logins == 0
    with pytest.raises(AmiError):
        await ami.send(action("Ping"))
    await ami.close()


async def test_queue_state_follows_members(
    client: AmiClient, ami_observer: AmiObserver
) -> None:
    assert {"sales", "support"} <= set(client.board.queues())
    interface = "Local/4001@ivr-test-agent/n"
    try:
        added = await asyncio.to_thread(
            ami_observer.action, "QueueAdd", Queue="support", Interface=interface,
            MemberName="Agent Smith",
        )
        assert added["Response"] == "Success", added
        members = client.board.members
        await eventually(lambda: any(m.interface == interface for m in members("support")))
        status = client.queue_status("support")
        assert status.logged_in is not None
        assert status.logged_in >= 1
        assert [m.name for m in client.board.members("support") if m.interface == interface] == [
            "Agent Smith"
        ]
    finally:
        await asyncio.to_thread(
            ami_observer.action, "QueueRemove", Queue="support", Interface=interface
        )
    await eventually(lambda: all(m.interface != interface for m in client.board.members("support")))


async def test_reconnects_after_asterisk_restart_with_fresh_state(
    client: AmiClient, asterisk: Sandbox
) -> None:
    interface = "Local/4002@ivr-test-agent/n"
    # A member added from the CLI exists only in this Asterisk process's memory.
    asterisk.cli(f"queue add member {interface} to sales")
    await eventually(lambda: any(m.interface == interface for m in client.board.members("sales")))
    logins = client.logins
    await asyncio.to_thread(asterisk.script, "restart")
    await eventually(lambda: client.logins > logins and client.connected.is_set(), within_s=60)
    assert client.board.fresh
    assert all(m.interface != interface for m in client.board.members("sales"))
    assert client.queue_status("sales").logged_in == 0
    reply = await client.send(action("Ping"))
    assert reply[0]["response"] == "Success"
