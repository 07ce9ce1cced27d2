"""The asyncio FastAGI listener: accepts Asterisk's connections and runs one handler per call.

Each connection reads the ``agi_*`` header block (with a deadline, so a peer
that never finishes it cannot hold a socket), hands an :class:`AgiChannel` to
the handler, and always closes the socket afterwards: Asterisk keeps it open
after a hang-up and relies on us to close it. Handler errors are logged, never
propagated into the event loop.

:class:`AgiLimits` bounds what a peer can hold: only allow-listed addresses get
past ``accept`` (default: loopback), at most ``max_sessions`` connections run at
once, and every command's reply has a deadline (see :meth:`AgiChannel.command`).
``[agi]`` in the config sets them (``ivr.serve.service.agi_limits``).
Refusals are logged through :class:`~ivr.ratelimit.RateLimitedLog`, so a flood
of them costs a few lines a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ivr.agi.channel import REPLY_TIMEOUT_S, AgiChannel
from ivr.agi.errors import ChannelHungUp
from ivr.agi.protocol import ProtocolError, RemoteProtocolError, RequestParser
from ivr.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)

Handler = Callable[[AgiChannel], Awaitable[None]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HEADER_TIMEOUT_S: Final = 10.0
LOOPBACK: Final = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


@dataclass(frozen=True, slots=True)
class AgiLimits:
    """What one FastAGI listener lets its peers hold (``[agi]`` in the config)."""

    #: Peer networks allowed to connect; any other peer is disconnected before a byte is read.
    allow: Sequence[Network] = LOOPBACK
    #: Connections served at once; more are closed at once (Asterisk's AGI() then fails over).
    max_sessions: int = 2000
    #: Seconds a reply may take beyond what the command itself waits for the caller.
    reply_timeout_s: float = REPLY_TIMEOUT_S
    #: Seconds a new connection has to send its whole header block.
    header_timeout_s: float = HEADER_TIMEOUT_S

    def allows(self, peer: object) -> bool:
        """True when *peer* (a socket's ``peername``) is inside one of the allowed networks."""
        address = peer_address(peer)
        return address is not None and any(address in network for network in self.allow)


def peer_address(peer: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address of a ``peername`` tuple; IPv4-mapped IPv6 (dual-stack) as IPv4."""
    if not isinstance(peer, tuple) or not peer or not isinstance(peer[0], str):
        return None
    try:
        address = ipaddress.ip_address(peer[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class AgiServer:
    """A FastAGI server; ``async with AgiServer(handler, port=0) as server: server.port``."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 4573,
        turnarounds: list[float] | None = None,
        limits: AgiLimits | None = None,
    ) -> None:
        self._handler = handler
        self.limits = limits or AgiLimits()
        #: When a list, every command's turnaround (reply in -> next command out) is appended.
        self.turnarounds = turnarounds
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        #: Connections accepted since start (the bench and tests read it).
        self.accepted = 0
        #: Connections closed early, counted by reason in ``.counts`` (``"allow"``,
        #: ``"max_sessions"``, ``"dropped"``) and logged at most once a minute per reason.
        self.rejections = RateLimitedLog(log)
        self._full = False

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        if self._server is None:
            raise RuntimeError("server not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def active(self) -> int:
        """Connections currently open."""
        return len(self._connections)

    async def start(self) -> None:
        """Bind and start accepting connections."""
        self._server = await asyncio.start_server(
            self._on_connect, self._host, self._port, backlog=4096, reuse_address=True
        )
        log.info("FastAGI listening on %s:%d", self._host, self.port)
        loopback_only = all(network.is_loopback for network in self.limits.allow)
        if loopback_only and not _is_loopback(self._host):
            log.warning(
                "FastAGI listens on %s but [agi] allow admits loopback peers only; "
                "add your Asterisk host's address to [agi] allow", self._host,
            )

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop accepting; give running calls *grace_s* to finish, then cancel them."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._connections:
            _done, pending = await asyncio.wait(set(self._connections), timeout=grace_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def __aenter__(self) -> AgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if not self.limits.allows(peer):
            # Not our Asterisk: no byte read, no byte sent, no session slot.
            writer.transport.abort()
            self.rejections.warning(
                "allow", "FastAGI connection from %s refused: not in [agi] allow", _shown(peer)
            )
            return
        if len(self._connections) >= self.limits.max_sessions:
            await self._refuse_busy(writer, peer)
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self.accepted += 1
        try:
            await self._serve(reader, writer)
        finally:
            self._connections.discard(task)
            if self._full and len(self._connections) < self.limits.max_sessions:
                self._full = False
                log.info("FastAGI below its session limit again; accepting connections")

    async def _refuse_busy(self, writer: asyncio.StreamWriter, peer: object) -> None:
        self._full = True
        self.rejections.warning(
            "max_sessions",
            "FastAGI session limit reached: %d connections open ([agi] max_sessions); "
            "closing new ones (this one from %s) until a call ends",
            self.limits.max_sessions, _shown(peer),
        )
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            parser = RequestParser()
            request = None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.limits.header_timeout_s):
                    while request is None:
                        data = await reader.read(4096)
                        if not data:
                            raise ChannelHungUp("closed before the AGI header ended")
                        request = parser.feed(data)
            if request is None:
                limit = self.limits.header_timeout_s
                raise RemoteProtocolError(f"no complete AGI header within {limit:g} s")
            channel = AgiChannel(
                request, reader, writer, initial=parser.leftover(), turnarounds=self.turnarounds,
                reply_timeout_s=self.limits.reply_timeout_s,
            )
            await self._handler(channel)
        except ChannelHungUp:
            pass
        except (ProtocolError, ConnectionError, OSError) as exc:
            self.rejections.warning("dropped", "FastAGI connection dropped: %s", exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("FastAGI handler failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


def _shown(peer: object) -> str:
    address = peer_address(peer)
    return str(address) if address is not None else repr(peer)[:60]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
