"""The asyncio FastAGI listener: accepts Asterisk's connections and runs one handler per call.

Each connection reads the ``agi_*`` header block (with a deadline, so a peer
that never finishes it cannot hold a socket), hands an :class:`AgiChannel` to
the handler, and always closes the socket afterwards: Asterisk keeps it open
after a hang-up and relies on us to close it. Handler errors are logged, never
propagated into the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from ivr.agi.channel import AgiChannel, ChannelHungUp
from ivr.agi.protocol import ProtocolError, RequestParser

log = logging.getLogger(__name__)

Handler = Callable[[AgiChannel], Awaitable[None]]

HEADER_TIMEOUT_S: Final = 10.0


class AgiServer:
    """A FastAGI server; ``async with AgiServer(handler, port=0) as server: server.port``."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 4573,
        turnarounds: list[float] | None = None,
    ) -> None:
        self._handler = handler
        #: When a list, every command's turnaround (reply in -> next command out) is appended.
        self.turnarounds = turnarounds
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        #: Connections accepted since start (the bench and tests read it).
        self.accepted = 0

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
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self.accepted += 1
        try:
            await self._serve(reader, writer)
        finally:
            self._connections.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            parser = RequestParser()
            async with asyncio.timeout(HEADER_TIMEOUT_S):
                request = None
                while request is None:
                    data = await reader.read(4096)
                    if not data:
                        raise ChannelHungUp("closed before the AGI header ended")
                    request = parser.feed(data)
            channel = AgiChannel(
                request, reader, writer, initial=parser.leftover(), turnarounds=self.turnarounds
            )
            await self._handler(channel)
        except ChannelHungUp:
            pass
        except (ProtocolError, TimeoutError, ConnectionError, OSError) as exc:
            log.warning("FastAGI connection dropped: %s", exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("FastAGI handler failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
