"""AudioSocket framing, sans-I/O: bytes in, frames out; frames in, bytes out.

A frame is ``kind`` (1 byte) + payload length (2 bytes, big-endian) + payload.
Asterisk sends the call's UUID first (``0x01``, 16 raw bytes), then signed
linear audio (``0x10``: 8 kHz, 16-bit little-endian, normally 320 bytes per
20 ms), DTMF (``0x03``: one ASCII byte, Asterisk 22.4+) and, on trouble, an
error frame (``0xff``). Either side may send hang-up (``0x00``); ours makes
``EXEC AudioSocket`` return to the AGI session.

The parser never raises on bad input from the peer: it returns a
:class:`ProtocolError` event and stops (a *remote* error). Encoding invalid
frames ourselves is a *local* error and raises :class:`LocalProtocolError`.
"""

from __future__ import annotations

import uuid as uuid_mod
from dataclasses import dataclass

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_SLIN = 0x10
KIND_ERROR = 0xFF

#: Sample rates of the higher-rate signed-linear kinds (chan_audiosocket, Asterisk 22.7+).
SLIN_RATES: dict[int, int] = {
    KIND_SLIN: 8000,
    0x11: 12000,
    0x12: 16000,
    0x13: 24000,
    0x14: 32000,
    0x15: 44100,
    0x16: 48000,
    0x17: 96000,
    0x18: 192000,
}

MAX_PAYLOAD = 0xFFFF
#: 20 ms of 8 kHz 16-bit mono: the frame size Asterisk sends and expects.
FRAME_BYTES = 320
FRAME_MS = 20
HEADER_BYTES = 3
DTMF_KEYS = frozenset("0123456789*#ABCD")


class LocalProtocolError(ValueError):
    """We tried to encode something AudioSocket cannot carry."""


@dataclass(frozen=True, slots=True)
class HangupFrame:
    """The peer ended the stream (or, when we send it, we end it)."""


@dataclass(frozen=True, slots=True)
class UuidFrame:
    """Identifies the call; the first frame Asterisk sends."""

    uuid: uuid_mod.UUID


@dataclass(frozen=True, slots=True)
class DtmfFrame:
    """One key pressed by the caller."""

    digit: str


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """Signed-linear 16-bit little-endian mono audio at ``rate`` Hz."""

    pcm: bytes
    rate: int = 8000


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    """Asterisk reported an error; ``code`` is its payload (may be empty)."""

    code: bytes = b""


@dataclass(frozen=True, slots=True)
class UnknownFrame:
    """A kind this parser does not know; kept so callers can log it."""

    kind: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """The peer sent bytes that are not valid AudioSocket; the stream is unusable."""

    reason: str


Frame = HangupFrame | UuidFrame | DtmfFrame | AudioFrame | ErrorFrame | UnknownFrame


def _decode(kind: int, payload: bytes) -> Frame | ProtocolError:
    if kind == KIND_HANGUP:
        return HangupFrame()
    if kind == KIND_UUID:
        if len(payload) != 16:
            return ProtocolError(f"uuid frame with {len(payload)} bytes, expected 16")
        return UuidFrame(uuid_mod.UUID(bytes=payload))
    if kind == KIND_DTMF:
        digit = payload[:1].decode("ascii", "replace")
        if len(payload) != 1 or digit not in DTMF_KEYS:
            return ProtocolError("dtmf frame must carry one key of 0-9*#A-D")
        return DtmfFrame(digit)
    if kind in SLIN_RATES:
        if len(payload) % 2:
            return ProtocolError("audio frame with an odd number of bytes")
        return AudioFrame(payload, SLIN_RATES[kind])
    if kind == KIND_ERROR:
        return ErrorFrame(payload)
    return UnknownFrame(kind, payload)


class FrameParser:
    """Incremental parser: :meth:`feed` bytes as they arrive, get whole frames back.

    After a :class:`ProtocolError` the parser is dead and ignores further input,
    because framing cannot be recovered once a length is wrong.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._dead = False

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a whole frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame | ProtocolError]:
        """Consume *data*; return every frame it completes, in order."""
        if self._dead:
            return []
        self._buf += data
        out: list[Frame | ProtocolError] = []
        while len(self._buf) >= HEADER_BYTES:
            kind = self._buf[0]
            length = int.from_bytes(self._buf[1:3], "big")
            end = HEADER_BYTES + length
            if len(self._buf) < end:
                break
            payload = bytes(self._buf[HEADER_BYTES:end])
            del self._buf[:end]
            frame = _decode(kind, payload)
            out.append(frame)
            if isinstance(frame, ProtocolError):
                self._dead = True
                self._buf.clear()
                break
        return out


def encode_frame(kind: int, payload: bytes = b"") -> bytes:
    """Frame *payload* as *kind*; raises :class:`LocalProtocolError` if it cannot fit."""
    if not 0 <= kind <= 0xFF:
        raise LocalProtocolError(f"kind {kind} is not one byte")
    if len(payload) > MAX_PAYLOAD:
        raise LocalProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return bytes((kind,)) + len(payload).to_bytes(2, "big") + payload


def encode(frame: Frame) -> bytes:
    """Encode one frame (used by our server for audio/hang-up and by test clients)."""
    if isinstance(frame, HangupFrame):
        return encode_frame(KIND_HANGUP)
    if isinstance(frame, UuidFrame):
        return encode_frame(KIND_UUID, frame.uuid.bytes)
    if isinstance(frame, DtmfFrame):
        if frame.digit not in DTMF_KEYS or len(frame.digit) != 1:
            raise LocalProtocolError(f"not a DTMF key: {frame.digit!r}")
        return encode_frame(KIND_DTMF, frame.digit.encode("ascii"))
    if isinstance(frame, AudioFrame):
        kinds = [k for k, r in SLIN_RATES.items() if r == frame.rate]
        if not kinds:
            raise LocalProtocolError(f"no AudioSocket kind for {frame.rate} Hz")
        if len(frame.pcm) % 2:
            raise LocalProtocolError("16-bit audio needs an even number of bytes")
        return encode_frame(kinds[0], frame.pcm)
    if isinstance(frame, ErrorFrame):
        return encode_frame(KIND_ERROR, frame.code)
    return encode_frame(frame.kind, frame.payload)


def split_pcm(pcm: bytes, frame_bytes: int = FRAME_BYTES) -> list[bytes]:
    """Cut *pcm* into *frame_bytes* chunks, padding the last with silence."""
    if frame_bytes <= 0 or frame_bytes % 2:
        raise LocalProtocolError("frame size must be a positive even number of bytes")
    chunks = [pcm[i : i + frame_bytes] for i in range(0, len(pcm), frame_bytes)]
    if chunks and len(chunks[-1]) < frame_bytes:
        chunks[-1] = chunks[-1] + bytes(frame_bytes - len(chunks[-1]))
    return chunks
