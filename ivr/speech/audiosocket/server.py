"""The AudioSocket TCP server the service hosts; Asterisk connects to it per listening turn.

The AGI session registers the turn's UUID with :meth:`AudioSocketServer.expect`
and then runs ``EXEC AudioSocket <uuid>,<host>:<port>``; Asterisk connects,
sends the UUID frame, and the waiting turn gets an :class:`AudioSocketSession`.
Unknown UUIDs are hung up at once. Outgoing audio is paced at real time
(20 ms per 320-byte frame) because Asterisk plays whatever arrives without
re-timing, and pacing is also what lets a prompt stop the moment the caller
speaks: nothing is queued ahead on the Asterisk side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid as uuid_mod
from collections.abc import Sequence

from ivr.ratelimit import RateLimitedLog
from ivr.speech.audiosocket.protocol import (
    FRAME_MS,
    KIND_SLIN,
    Frame,
    FrameParser,
    HangupFrame,
    ProtocolError,
    UuidFrame,
    encode,
    encode_frame,
)

log = logging.getLogger(__name__)

#: How long a fresh connection may take to send its UUID frame.
UUID_TIMEOUT_S = 5.0

#: What the session's frame queue yields: a frame, a remote error, or ``None`` at EOF.
Incoming = Frame | ProtocolError | None


class AudioSocketSession:
    """One connected AudioSocket stream: frames in, paced audio and hang-up out."""

    def __init__(
        self, call_uuid: uuid_mod.UUID, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
        parser: FrameParser, early: Sequence[Frame | ProtocolError] = (),
    ) -> None:
        self.uuid = call_uuid
        self._reader = reader
        self._writer = writer
        self._parser = parser
        self.frames: asyncio.Queue[Incoming] = asyncio.Queue()
        for frame in early:
            self.frames.put_nowait(frame)
        self.closed = False
        self.frames_sent = 0
        self._read_task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                data = await self._reader.read(4096)
                if not data:
                    break
                for frame in self._parser.feed(data):
                    self.frames.put_nowait(frame)
        except (ConnectionError, OSError) as exc:
            log.info("audiosocket %s read failed: %s", self.uuid, exc)
        finally:
            self.frames.put_nowait(None)

    async def play(self, frames: Sequence[bytes], stop: asyncio.Event) -> int:
        """Send 20 ms *frames* at real time until done or *stop* is set; return frames sent.

        Pacing follows the loop clock from the first frame, so a late wake-up
        sends the next frame sooner instead of drifting.
        """
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = 0
        for i, pcm in enumerate(frames):
            if stop.is_set() or self.closed:
                break
            delay = start + i * FRAME_MS / 1000 - loop.time()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                if stop.is_set():
                    break
            try:
                self._writer.write(encode_frame(KIND_SLIN, pcm))
                await self._writer.drain()
            except (ConnectionError, OSError):
                break
            sent += 1
            self.frames_sent += 1
        return sent

    async def hangup(self) -> None:
        """Send the hang-up frame (``EXEC AudioSocket`` returns) and close the socket."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(ConnectionError, OSError):
            self._writer.write(encode(HangupFrame()))
            await self._writer.drain()
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
        self._read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._read_task


class AudioSocketServer:
    """Accepts Asterisk's AudioSocket connections and hands each to the turn expecting it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9092) -> None:
        self.host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._waiting: dict[uuid_mod.UUID, asyncio.Future[AudioSocketSession]] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self.rejected = 0
        #: A peer can open connections as fast as it likes: one line a minute says so.
        self._rejections = RateLimitedLog(log)

    @property
    def port(self) -> int:
        """The bound port (the real one when configured as 0)."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._accept, self.host, self._port)

    async def close(self) -> None:
        """Stop listening, fail waiting turns and end open handshakes."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for fut in self._waiting.values():
            if not fut.done():
                fut.cancel()
        self._waiting.clear()
        for task in list(self._handlers):
            task.cancel()

    def expect(self, call_uuid: uuid_mod.UUID) -> asyncio.Future[AudioSocketSession]:
        """Register a turn's UUID; the future resolves when Asterisk connects with it."""
        fut: asyncio.Future[AudioSocketSession] = asyncio.get_running_loop().create_future()
        self._waiting[call_uuid] = fut
        return fut

    def forget(self, call_uuid: uuid_mod.UUID) -> None:
        """Stop waiting for *call_uuid* (the turn ended without a connection)."""
        fut = self._waiting.pop(call_uuid, None)
        if fut is not None and not fut.done():
            fut.cancel()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._handshake(reader, writer))
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parser = FrameParser()
        frames: list[Frame | ProtocolError] = []
        try:
            async with asyncio.timeout(UUID_TIMEOUT_S):
                while not frames:
                    data = await reader.read(4096)
                    if not data:
                        break
                    frames = parser.feed(data)
        except (TimeoutError, ConnectionError, OSError):
            frames = []
        first = frames[0] if frames else None
        fut = self._waiting.pop(first.uuid, None) if isinstance(first, UuidFrame) else None
        if first is None or fut is None or fut.done():
            # Not a turn we started (or it gave up): end the stream so the channel moves on.
            self.rejected += 1
            self._rejections.warning(
                "rejected", "audiosocket connection rejected: first frame %s",
                type(first).__name__,
            )
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(encode(HangupFrame()))
                await writer.drain()
            writer.close()
            return
        assert isinstance(first, UuidFrame)
        fut.set_result(AudioSocketSession(first.uuid, reader, writer, parser, frames[1:]))


