"""Speech start / end detection on a telephone audio stream, sans-I/O.

Feed 16-bit little-endian mono PCM as it arrives; get :class:`SpeechStarted`
(for barge-in: stop the prompt) and :class:`SpeechEnded` (stop listening and
take the recogniser's final result) back. The decision is made from the audio
itself, frame by frame, so a turn ends as soon as the caller stops talking
rather than after a fixed wait. :class:`NoSpeech` reports that nobody spoke
within the no-input timeout.

The detector is energy-based with an adaptive noise floor: a frame is voiced
when its RMS is well above the quietest recent frames and above an absolute
floor. That is robust for 8 kHz telephone audio and costs microseconds per
frame, so it can run on the event loop for every call.
"""

from __future__ import annotations

import math
import sys
from array import array
from dataclasses import dataclass, replace

SAMPLE_RATE = 8000
FRAME_MS = 20


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Speech began at ``at_ms`` (stream time of the first voiced frame)."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    """Speech ended: decided at ``at_ms``; ``speech_end_ms`` is the end of the last voiced audio.

    ``reason`` is ``silence`` (the caller stopped) or ``max_speech`` (too long).
    """

    at_ms: int
    speech_end_ms: int
    reason: str = "silence"


@dataclass(frozen=True, slots=True)
class NoSpeech:
    """Nobody spoke within the no-input timeout."""

    at_ms: int


EndpointEvent = SpeechStarted | SpeechEnded | NoSpeech


def frame_rms(pcm: bytes) -> float:
    """Root-mean-square level of 16-bit little-endian samples (0 for empty input)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    """Tuning of :class:`Endpointer`; the defaults suit 8 kHz telephone audio."""

    end_silence_ms: int = 800
    #: Consecutive voiced time needed before speech counts as started (rejects clicks).
    start_ms: int = 60
    max_speech_ms: int = 10_000
    #: ``None`` disables the no-input timeout (e.g. while a prompt still plays).
    no_input_ms: int | None = 5_000
    #: Absolute RMS below which a frame is never voiced (about -50 dBFS).
    min_rms: float = 100.0
    #: A voiced frame must be this many times louder than the noise floor.
    floor_ratio: float = 3.0


class VoicingDetector:
    """Decides per frame whether it holds voice, against an adaptive noise floor."""

    def __init__(self, min_rms: float = 100.0, floor_ratio: float = 3.0) -> None:
        self.min_rms = min_rms
        self.floor_ratio = floor_ratio
        self.floor: float | None = None

    def voiced(self, rms: float) -> bool:
        """Classify one frame's RMS and update the floor from unvoiced frames."""
        floor = self.floor
        voiced = rms >= self.min_rms and (floor is None or rms >= floor * self.floor_ratio)
        if not voiced:
            # Track the floor quickly downwards and slowly upwards so speech never raises it.
            if floor is None or rms < floor:
                self.floor = rms if floor is None else 0.5 * floor + 0.5 * rms
            else:
                self.floor = 0.98 * floor + 0.02 * rms
        return voiced


class VoicedFrames:
    """Collects the start times (ms) of voiced 20 ms frames of a stream."""

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        self._frame_bytes = rate * FRAME_MS // 1000 * 2
        self._buf = bytearray()
        self._t_ms = 0
        self._detector = VoicingDetector()
        self.starts_ms: list[int] = []

    def feed(self, pcm: bytes) -> None:
        """Classify every whole frame of *pcm*."""
        self._buf += pcm
        n = len(self._buf) // self._frame_bytes * self._frame_bytes
        for i in range(0, n, self._frame_bytes):
            if self._detector.voiced(frame_rms(bytes(self._buf[i : i + self._frame_bytes]))):
                self.starts_ms.append(self._t_ms)
            self._t_ms += FRAME_MS
        del self._buf[:n]


class Endpointer:
    """Incremental endpoint detector; one per listening turn."""

    def __init__(self, settings: EndpointSettings | None = None, rate: int = SAMPLE_RATE) -> None:
        self.settings = settings or EndpointSettings()
        self._frame_bytes = rate * FRAME_MS // 1000 * 2
        self._buf = bytearray()
        self._t_ms = 0
        self._detector = VoicingDetector(self.settings.min_rms, self.settings.floor_ratio)
        self._voiced_run = 0
        self._silent_run = 0
        self._started_at: int | None = None
        self._last_voiced_end = 0
        self._no_input_from = 0
        self.done = False

    @property
    def started_at_ms(self) -> int | None:
        """Stream time speech started, or ``None`` before it does."""
        return self._started_at

    @property
    def elapsed_ms(self) -> int:
        """Stream time consumed so far."""
        return self._t_ms

    def restart_no_input_timer(self, no_input_ms: int | None) -> None:
        """Start (or disable) the no-input timeout from now, e.g. when the prompt ends."""
        self.settings = replace(self.settings, no_input_ms=no_input_ms)
        self._no_input_from = self._t_ms

    def feed(self, pcm: bytes) -> list[EndpointEvent]:
        """Consume audio; return the events it caused (at most one start and one end)."""
        if self.done:
            return []
        self._buf += pcm
        events: list[EndpointEvent] = []
        while len(self._buf) >= self._frame_bytes and not self.done:
            frame = bytes(self._buf[: self._frame_bytes])
            del self._buf[: self._frame_bytes]
            event = self._frame(frame_rms(frame))
            if event is not None:
                events.append(event)
        return events

    def _voiced(self, rms: float) -> bool:
        return self._detector.voiced(rms)

    def _frame(self, rms: float) -> EndpointEvent | None:
        s = self.settings
        start_t = self._t_ms
        self._t_ms += FRAME_MS
        voiced = self._voiced(rms)
        if self._started_at is None:
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run * FRAME_MS >= s.start_ms:
                self._started_at = start_t - (self._voiced_run - 1) * FRAME_MS
                self._last_voiced_end = self._t_ms
                return SpeechStarted(self._started_at)
            if s.no_input_ms is not None and self._t_ms - self._no_input_from >= s.no_input_ms:
                self.done = True
                return NoSpeech(self._t_ms)
            return None
        if voiced:
            self._silent_run = 0
            self._last_voiced_end = self._t_ms
        else:
            self._silent_run += 1
        if self._silent_run * FRAME_MS >= s.end_silence_ms:
            self.done = True
            return SpeechEnded(self._t_ms, self._last_voiced_end, "silence")
        if self._t_ms - self._started_at >= s.max_speech_ms:
            self.done = True
            return SpeechEnded(self._t_ms, self._last_voiced_end, "max_speech")
        return None
