"""Demo callers who speak: Korean phrases over a phone line, sent as Asterisk's AudioSocket does.

A speech question on the FastAGI path runs ``EXEC AudioSocket <uuid>,<host>:<port>``
(:mod:`ivr.speech.gather`). Asterisk then connects to that address, sends the
UUID and streams the caller's audio until the service sends the hang-up frame.
:func:`speak_turn` plays that part for a demo caller: the phrase is spoken by
espeak-ng and passed through a telephone channel (mostly a PSTN one: G.711, 300-3400 Hz,
line noise; one caller on a SIP phone's G.711; :mod:`ivr.speech.channels`), so the
service's endpointer and the Vosk recogniser decide what was heard, with what confidence,
exactly as on a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import uuid
from pathlib import Path

from ivr.speech.audiosocket.protocol import (
    FRAME_BYTES,
    AudioFrame,
    FrameParser,
    HangupFrame,
    UuidFrame,
    encode,
    split_pcm,
)
from ivr.speech.channels import Voice, channel, speak, tools_available
from ivr.speech.wav import read_pcm

log = logging.getLogger(__name__)

#: The line before the caller speaks and after (the endpointer needs the silence after).
LEAD_MS, TAIL_MS = 500, 1500
#: How long a turn may take before the demo caller gives up on the service.
TURN_LIMIT_S = 30.0


def phrase_audio(text: str, seed: int = 0, line: str = "phone") -> bytes | None:
    """*text* in espeak-ng's Korean voice over *line* (8 kHz PCM); None without the tools."""
    if not tools_available():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        wav = speak(text, Voice("ko"), Path(tmp) / "phrase.wav")
        return channel(read_pcm(wav), line, seed=seed, lead_ms=LEAD_MS, tail_ms=TAIL_MS)


def _address(args: str) -> tuple[uuid.UUID, str, int]:
    """``<uuid>,<host>:<port>`` (the AudioSocket application's arguments)."""
    call_uuid, _, address = args.partition(",")
    host, _, port = address.rpartition(":")
    return uuid.UUID(call_uuid), host, int(port)


async def speak_turn(args: str, pcm: bytes) -> int:
    """Connect as AudioSocket would and say *pcm*; return when the service hangs up the turn.

    The words go out at once (a caller who knows the menu speaks over the prompt, and the
    demo does not wait out every prompt in real time); after them the line stays open with
    silence at the real pace, as a phone line would, until the service decides.
    """
    call_uuid, host, port = _address(args)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(encode(UuidFrame(call_uuid)))
        for frame in split_pcm(pcm):
            writer.write(encode(AudioFrame(frame)))
        await writer.drain()
        async with asyncio.timeout(TURN_LIMIT_S):
            silence = asyncio.create_task(_silence(writer))
            try:
                await _until_hangup(reader)
            finally:
                silence.cancel()
                await asyncio.gather(silence, return_exceptions=True)
    except TimeoutError:
        log.warning("demo speech turn: the service did not end the turn in %s s", TURN_LIMIT_S)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return 0


async def _silence(writer: asyncio.StreamWriter) -> None:
    quiet = encode(AudioFrame(bytes(FRAME_BYTES)))
    while True:
        writer.write(quiet)
        await writer.drain()
        await asyncio.sleep(0.02)


async def _until_hangup(reader: asyncio.StreamReader) -> None:
    parser = FrameParser()
    while data := await reader.read(4096):
        if any(isinstance(frame, HangupFrame) for frame in parser.feed(data)):
            return
