"""FastAGI limits (issue 12): silent peers, the session cap, the peer allow-list, their logging."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Callable

import pytest
from pydantic import ValidationError

from ivr.agi.channel import AgiChannel
from ivr.agi.errors import ReplyTimeout
from ivr.agi.server import AgiLimits, AgiServer
from ivr.config import load_config
from ivr.flows.engine import Call
from ivr.interpreter.agi_transport import AgiTransport
from ivr.interpreter.session import CallSession, SessionDeps
from ivr.serve.service import agi_limits
from tests.agi.helpers import RECORDINGS, FakeAsterisk, flowset, header
from tests.agi.memstore import MemoryStore


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


async def refused(peer: FakeAsterisk) -> bool:
    """True when the server closed (or reset) the connection without a command."""
    try:
        return await asyncio.wait_for(peer.reader.read(), 5) == b""
    except ConnectionResetError:
        return True
    finally:
        peer.writer.close()
        with contextlib.suppress(OSError):
            await peer.writer.wait_closed()


@contextlib.asynccontextmanager
async def flows_server(limits: AgiLimits) -> AsyncIterator[tuple[AgiServer, MemoryStore]]:
    """The real engine and session behind a listener with *limits*; records in memory."""
    store = MemoryStore()
    deps = SessionDeps(store=store)
    flows = flowset()

    async def handler(channel: AgiChannel) -> None:
        request = channel.request
        call = Call(flows, request.script, call_id=request.uniqueid, caller=request.caller,
                    dnid=request.dnid)
        await CallSession(AgiTransport(channel, RECORDINGS), call, deps).run()

    async with AgiServer(handler, port=0, limits=limits) as server:
        yield server, store


async def test_a_silent_peer_ends_the_session_and_the_record_like_a_hang_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with flows_server(AgiLimits(reply_timeout_s=0.3)) as (server, store):
        peer = await FakeAsterisk.connect(server.port, uniqueid="silent.1")
        await peer.expect("ANSWER")
        command = await peer.command()
        assert command[:2] == ["STREAM", "FILE"]
        # ... and never a reply: the service must let go of the call by itself.
        assert await refused(peer)
        await until(lambda: server.active == 0)
    record = store.calls["silent.1"]
    assert (record.outcome, record.outcome_node) == ("abandoned", "menu")
    assert record.ended_at is not None
    lines = [r.getMessage() for r in caplog.records if "no reply" in r.getMessage()]
    assert lines == ["FastAGI call silent.1: no reply to STREAM FILE within 0.3 s; session ended"]


async def test_the_deadline_adds_what_the_command_itself_waits_for() -> None:
    """WAIT FOR DIGIT 200 may take its 200 ms plus the reply timeout, not less."""
    errors: list[BaseException] = []

    async def handler(channel: AgiChannel) -> None:
        try:
            await channel.wait_for_digit(200)
        except ReplyTimeout as exc:
            errors.append(exc)

    async with AgiServer(handler, port=0, limits=AgiLimits(reply_timeout_s=0.1)) as server:
        peer = await FakeAsterisk.connect(server.port)
        assert await peer.command() == ["WAIT", "FOR", "DIGIT", "200"]
        assert await refused(peer)
    assert [str(e) for e in errors] == ["no reply to WAIT FOR DIGIT within 0.3 s"]


async def test_the_session_cap_closes_extra_connections_with_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ivr.agi.server")
    release = asyncio.Event()
    served: list[str] = []

    async def handler(channel: AgiChannel) -> None:
        served.append(channel.request.uniqueid)
        await release.wait()

    async with AgiServer(handler, port=0, limits=AgiLimits(max_sessions=2)) as server:
        holding = [await FakeAsterisk.connect(server.port, uniqueid=f"in.{n}") for n in (1, 2)]
        await until(lambda: len(served) == 2)
        for n in range(20):
            assert await refused(await FakeAsterisk.connect(server.port, uniqueid=f"over.{n}"))
        assert served == ["in.1", "in.2"]
        assert server.rejections.counts["max_sessions"] == 20
        release.set()
        await until(lambda: server.active == 0)
        late = await FakeAsterisk.connect(server.port, uniqueid="late")
        await until(lambda: "late" in served)
        for peer in [*holding, late]:
            await peer.close()
    limit_lines = [r for r in caplog.records if "session limit reached" in r.getMessage()]
    assert len(limit_lines) == 1
    assert limit_lines[0].levelno == logging.WARNING
    assert "2 connections open ([agi] max_sessions)" in limit_lines[0].getMessage()
    assert any("below its session limit again" in r.getMessage() for r in caplog.records)


async def test_peers_outside_the_allow_list_are_closed_unread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    served: list[str] = []

    async def handler(channel: AgiChannel) -> None:
        served.append(channel.request.uniqueid)

    only_lan = AgiLimits(allow=(ipaddress.ip_network("10.0.0.0/8"),))
    async with AgiServer(handler, port=0, limits=only_lan) as server:
        for n in range(30):
            assert await refused(await FakeAsterisk.connect(server.port, uniqueid=f"x.{n}"))
        assert server.active == 0
        assert server.accepted == 0
        assert server.rejections.counts == {"allow": 30}
    assert served == []
    lines = [r.getMessage() for r in caplog.records if "allow" in r.getMessage()]
    assert lines == ["FastAGI connection from 127.0.0.1 refused: not in [agi] allow"]


async def test_the_default_allows_loopback_on_ipv6_too() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    served: list[str] = []

    async def handler(channel: AgiChannel) -> None:
        served.append(channel.request.uniqueid)

    try:
        server = AgiServer(handler, host="::1", port=0)
        await server.start()
    except OSError:
        pytest.skip("cannot bind ::1 here")
    try:
        reader, writer = await asyncio.open_connection("::1", server.port)
        writer.write(header(uniqueid="v6.1"))
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        await writer.wait_closed()
    finally:
        await server.close()
    assert served == ["v6.1"]


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        (("127.0.0.1", 40000), True),
        (("127.8.9.10", 40000), True),
        (("::1", 40000, 0, 0), True),
        (("::ffff:127.0.0.1", 40000, 0, 0), True),  # a dual-stack listener sees IPv4 this way
        (("10.1.2.3", 40000), False),
        (("::ffff:10.1.2.3", 40000, 0, 0), False),
        (("fe80::1%lo", 40000, 0, 1), False),
        (None, False),
        ("garbage", False),
        (("not an address", 1), False),
    ],
)
def test_default_allow_list_is_loopback_only(peer: object, allowed: bool) -> None:
    assert AgiLimits().allows(peer) is allowed


def test_limits_come_from_the_config_file_or_environment() -> None:
    config = load_config(environ={
        "IVR_AGI_ALLOW": "127.0.0.1, 10.0.0.0/8, 2001:db8::/32",
        "IVR_AGI_MAX_SESSIONS": "300",
        "IVR_AGI_REPLY_TIMEOUT_S": "45",
    })
    limits = agi_limits(config.agi)
    assert (limits.max_sessions, limits.reply_timeout_s) == (300, 45.0)
    assert limits.allows(("10.200.0.1", 1))
    assert limits.allows(("2001:db8::5", 1, 0, 0))
    assert not limits.allows(("127.0.0.2", 1))
    assert agi_limits(load_config(environ={}).agi) == AgiLimits()


@pytest.mark.parametrize(
    ("key", "value"),
    [("IVR_AGI_ALLOW", "10.0.0.1/8"), ("IVR_AGI_ALLOW", "asterisk.lan"),
     ("IVR_AGI_MAX_SESSIONS", "0"), ("IVR_AGI_REPLY_TIMEOUT_S", "-1")],
)
def test_bad_limits_are_refused_naming_the_setting(key: str, value: str) -> None:
    field = key.removeprefix("IVR_AGI_").lower()
    with pytest.raises(ValidationError, match=field):
        load_config(environ={key: value})
