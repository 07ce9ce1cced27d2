"""The AudioSocket listener under a flood of connections nobody expects (issue 12)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import pytest

from ivr.speech.audiosocket.protocol import (
    DtmfFrame,
    FrameParser,
    HangupFrame,
    UuidFrame,
    encode,
    encode_frame,
)
from ivr.speech.audiosocket.server import AudioSocketServer

#: What a peer might open with instead of a UUID it was told to use.
BAD_OPENINGS = [
    encode(UuidFrame(uuid.uuid4())),  # a well-formed UUID no turn is waiting for
    encode(DtmfFrame("1")),  # not a UUID frame first
    encode_frame(0x01, b"short"),  # a UUID frame of the wrong size
    b"GET / HTTP/1.1\r\n\r\n",  # not AudioSocket at all
    b"",  # nothing, then EOF
]


async def _reject_one(port: int, opening: bytes) -> list[object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(opening)
    writer.write_eof()  # a half frame then EOF must not wait for the UUID timeout
    await writer.drain()
    try:
        data = await asyncio.wait_for(reader.read(), 10)
    except ConnectionResetError:
        data = b""
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return list(FrameParser().feed(data))


async def test_a_flood_of_rejected_connections_logs_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    try:
        heard = [await _reject_one(server.port, BAD_OPENINGS[n % len(BAD_OPENINGS)])
                 for n in range(300)]
        expected = server.expect(uuid.uuid4())  # a real turn still gets its stream afterwards
        assert not expected.done()
    finally:
        await server.close()
    assert server.rejected == 300
    assert all(frames in ([HangupFrame()], []) for frames in heard)
    assert heard[0] == [HangupFrame()]
    warnings = [r for r in caplog.records
                if r.name == "ivr.speech.audiosocket.server" and r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "audiosocket connection rejected: first frame UuidFrame"
    ]
