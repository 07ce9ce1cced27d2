"""A test stand-in for Asterisk's AudioSocket application, speaking the real framing.

It connects, sends the UUID frame, streams the caller's audio paced at 20 ms
per 320-byte frame (then silence), optionally presses keys, records every
audio frame it receives with its arrival time, and returns 0 when the server
sends the hang-up frame: what ``EXEC AudioSocket`` does on a real channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field

from ivr.speech.audiosocket.protocol import (
    AudioFrame,
    DtmfFrame,
    FrameParser,
    HangupFrame,
    UuidFrame,
    encode,
    split_pcm,
)


@dataclass
class CallerSide:
    """What the fake caller sends and what it heard."""

    audio: bytes = b""
    #: (seconds after connect, key)
    keys: tuple[tuple[float, str], ...] = ()
    #: Hang up (close) after this many seconds.
    hang_up_after_s: float | None = None
    max_s: float = 20.0
    t0: float = 0.0
    received: list[tuple[float, int]] = field(default_factory=list)
    got_hangup: bool = False
    sent_frames: int = 0

    def heard_prompt_ms(self) -> int:
        return sum(n for _, n in self.received) // 16

    def last_prompt_frame_s(self) -> float | None:
        return self.received[-1][0] - self.t0 if self.received else None


async def run_audiosocket(host: str, port: int, call_uuid: uuid.UUID, caller: CallerSide) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    caller.t0 = time.monotonic()
    writer.write(encode(UuidFrame(call_uuid)))
    frames = split_pcm(caller.audio) if caller.audio else []
    done = asyncio.Event()

    async def send() -> None:
        start = time.monotonic()
        i = 0
        keys = list(caller.keys)
        while not done.is_set():
            now = time.monotonic() - start
            if caller.hang_up_after_s is not None and now >= caller.hang_up_after_s:
                break
            while keys and keys[0][0] <= now:
                writer.write(encode(DtmfFrame(keys.pop(0)[1])))
            pcm = frames[i] if i < len(frames) else bytes(320)
            writer.write(encode(AudioFrame(pcm)))
            caller.sent_frames += 1
            i += 1
            await writer.drain()
            await asyncio.sleep(max(0.0, start + i * 0.02 - time.monotonic()))
        writer.close()

    async def receive() -> None:
        parser = FrameParser()
        while True:
            data = await reader.read(4096)
            if not data:
                return
            for frame in parser.feed(data):
                if isinstance(frame, AudioFrame):
                    caller.received.append((time.monotonic(), len(frame.pcm)))
                elif isinstance(frame, HangupFrame):
                    caller.got_hangup = True
                    return

    sender = asyncio.create_task(send())
    try:
        async with asyncio.timeout(caller.max_s):
            await receive()
    finally:
        done.set()
        with contextlib.suppress(Exception):
            await sender
        writer.close()
    return 0
