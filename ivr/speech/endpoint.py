"""Speech start / end detection on a telephone audio stream, sans-I/O.

Feed 16-bit little-endian mono PCM as it arrives; get :class:`SpeechStarted`
(for barge-in: stop the prompt) and :class:`SpeechEnded` (stop listening and
take the recogniser's final result) back. The decision is made from the audio
itself, frame by frame, so a turn ends as soon as the caller stops talking
rather than after a fixed wait. :class:`NoSpeech` reports that nobody spoke
within the no-input timeout.

The detector is energy-based with a noise floor seeded from the first frames
of the turn and tracked as the minimum of the last 1.5 s: a frame is voiced
when its RMS is well above that floor and above an absolute floor. Speech
starts only on an onset that looks like speech (energy above ~100 Hz, level
or spectrum changing), so a steady tone, hum or thump never barges in.
:class:`Pause` reports a short silence for early decisions. It costs
microseconds per frame, so it runs on the event loop for every call.
Measured against WebRTC's VAD on the same recordings: see docs/speech.md.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

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
class Pause:
    """The caller has been silent for ``pause_ms`` after speech (may still go on).

    The listener may end the turn here when the words so far already name
    exactly one option; otherwise the turn waits for :class:`SpeechEnded`.
    """

    at_ms: int
    speech_end_ms: int


@dataclass(frozen=True, slots=True)
class NoSpeech:
    """Nobody spoke within the no-input timeout."""

    at_ms: int


EndpointEvent = SpeechStarted | Pause | SpeechEnded | NoSpeech


def frame_rms(pcm: bytes) -> float:
    """Root-mean-square level of 16-bit little-endian samples (0 for empty input)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def zero_crossing_rate(pcm: bytes) -> float:
    """Share of adjacent 16-bit sample pairs that change sign (0 for fewer than two samples)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if len(samples) < 2:
        return 0.0
    crossings = sum(1 for a, b in pairwise(samples) if (a < 0) != (b < 0))
    return crossings / (len(samples) - 1)


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    """Tuning of :class:`Endpointer`; the defaults suit 8 kHz telephone audio."""

    end_silence_ms: int = 800
    #: Consecutive voiced time needed before speech counts as started (rejects clicks).
    start_ms: int = 80
    max_speech_ms: int = 10_000
    #: ``None`` disables the no-input timeout (e.g. while a prompt still plays).
    no_input_ms: int | None = 5_000
    #: Absolute RMS below which a frame is never voiced (about -50 dBFS).
    min_rms: float = 100.0
    #: A voiced frame must be this many times louder than the noise floor.
    floor_ratio: float = 3.0
    #: Silence after which :class:`Pause` is reported once, so the listener can
    #: decide early when the words so far already name one option; ``None``: never.
    #: Measured on the benchmark (docs/speech.md): 200, 250 and 300 ms gave the same
    #: outcomes; 250 leaves a caller who pauses between words a little more room.
    pause_ms: int | None = 250


@dataclass(frozen=True, slots=True)
class Frame:
    """What the detector needs to know about one 20 ms frame."""

    rms: float
    zcr: float

    @classmethod
    def of(cls, pcm: bytes) -> Frame:
        """Measure a frame of 16-bit PCM."""
        return cls(frame_rms(pcm), zero_crossing_rate(pcm))


#: Frames at the start of every turn that only seed the noise floor (never voiced).
SEED_FRAMES = 5
#: The floor is the quietest frame of this many recent ones (minimum statistics).
FLOOR_WINDOW_FRAMES = 75
#: Speech onsets have energy above ~100 Hz; a thump or breath burst almost none.
MIN_ONSET_ZCR = 0.05
#: An onset's frames must vary at least this much (max/min RMS), or in zero-crossing
#: rate by :data:`MIN_ONSET_ZCR_SPREAD`: a steady tone or hum does neither.
MIN_ONSET_SPREAD = 1.3
MIN_ONSET_ZCR_SPREAD = 0.05


class VoicingDetector:
    """Decides per frame whether it holds voice, against a tracked noise floor.

    The floor is seeded from the first frames of the turn (a line is never
    silent, so whatever is there before the caller speaks is the line's own
    noise) and then tracked continuously as the minimum of the last
    :data:`FLOOR_WINDOW_FRAMES` frames, voiced or not. Steady noise is
    therefore never voice for long, and a louder line lifts the floor within
    the window instead of counting as speech forever.
    """

    def __init__(
        self, min_rms: float = 100.0, floor_ratio: float = 3.0, floor: float | None = None
    ) -> None:
        self.min_rms = min_rms
        self.floor_ratio = floor_ratio
        self._recent: deque[float] = deque(maxlen=FLOOR_WINDOW_FRAMES)
        #: Frames still to seed the floor; none when the caller already knows it
        #: (a whole recording, whose first frames may be speech).
        self._seeding = SEED_FRAMES if floor is None else 0
        if floor is not None:
            self._recent.append(floor)

    @property
    def floor(self) -> float | None:
        """The current noise floor (RMS), ``None`` before the first frame."""
        return min(self._recent) if self._recent else None

    def voiced(self, rms: float) -> bool:
        """Classify one frame's RMS, then let it take part in the floor."""
        floor = self.floor
        self._recent.append(rms)
        if self._seeding or floor is None:
            self._seeding = max(0, self._seeding - 1)
            return False
        return rms >= self.min_rms and rms >= floor * self.floor_ratio


def quietest_frame_rms(pcm: bytes, rate: int = SAMPLE_RATE) -> float:
    """The RMS of the quietest whole 20 ms frame of *pcm*: a recording's own noise floor."""
    size = rate * FRAME_MS // 1000 * 2
    levels = [frame_rms(pcm[i : i + size]) for i in range(0, len(pcm) - size + 1, size)]
    return min(levels, default=0.0)


class VoicedFrames:
    """Collects the start times (ms) of voiced 20 ms frames of a stream."""

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        self._frame_bytes = rate * FRAME_MS // 1000 * 2
        self._buf = bytearray()
        self._t_ms = 0
        self._detector = VoicingDetector()
        self.starts_ms: list[int] = []
        #: RMS of the quietest whole frame so far: the line's own noise, since a turn's
        #: audio starts before the caller speaks (``None`` before the first frame).
        self.quietest_rms: float | None = None

    def feed(self, pcm: bytes) -> None:
        """Classify every whole frame of *pcm*."""
        self._buf += pcm
        n = len(self._buf) // self._frame_bytes * self._frame_bytes
        for i in range(0, n, self._frame_bytes):
            rms = frame_rms(bytes(self._buf[i : i + self._frame_bytes]))
            if self.quietest_rms is None or rms < self.quietest_rms:
                self.quietest_rms = rms
            if self._detector.voiced(rms):
                self.starts_ms.append(self._t_ms)
            self._t_ms += FRAME_MS
        del self._buf[:n]


def onset_like_speech(run: Sequence[Frame]) -> bool:
    """True when a run of voiced frames looks like a speech onset, not a tone, hum or thump."""
    if not run or any(f.zcr < MIN_ONSET_ZCR for f in run):
        return False
    levels = [f.rms for f in run]
    rates = [f.zcr for f in run]
    return (max(levels) >= MIN_ONSET_SPREAD * min(levels)
            or max(rates) - min(rates) >= MIN_ONSET_ZCR_SPREAD)


class Endpointer:
    """Incremental endpoint detector; one per listening turn."""

    def __init__(
        self,
        settings: EndpointSettings | None = None,
        rate: int = SAMPLE_RATE,
        noise_floor: float | None = None,
    ) -> None:
        """*noise_floor*: the line's known noise level (RMS); by default seeded from the turn."""
        self.settings = settings or EndpointSettings()
        self._frame_bytes = rate * FRAME_MS // 1000 * 2
        self._buf = bytearray()
        self._t_ms = 0
        self._detector = VoicingDetector(self.settings.min_rms, self.settings.floor_ratio,
                                         noise_floor)
        self._onset: list[Frame] = []
        self._silent_run = 0
        self._paused = False
        self._started_at: int | None = None
        self._last_voiced_end = 0
        self._no_input_from = 0
        self.done = False

    @property
    def started_at_ms(self) -> int | None:
        """Stream time speech started, or ``None`` before it does."""
        return self._started_at

    @property
    def last_voiced_end_ms(self) -> int:
        """Stream time the last voiced audio ended (0 before speech)."""
        return self._last_voiced_end

    @property
    def elapsed_ms(self) -> int:
        """Stream time consumed so far."""
        return self._t_ms

    @property
    def noise_floor(self) -> float | None:
        """The detector's current noise floor (RMS)."""
        return self._detector.floor

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
            event = self._frame(Frame.of(frame))
            if event is not None:
                events.append(event)
        return events

    def _frame(self, frame: Frame) -> EndpointEvent | None:
        s = self.settings
        start_t = self._t_ms
        self._t_ms += FRAME_MS
        voiced = self._detector.voiced(frame.rms)
        if self._started_at is None:
            return self._before_speech(frame, voiced, start_t)
        if voiced:
            self._silent_run = 0
            self._paused = False
            self._last_voiced_end = self._t_ms
        else:
            self._silent_run += 1
        silence_ms = self._silent_run * FRAME_MS
        if silence_ms >= s.end_silence_ms:
            self.done = True
            return SpeechEnded(self._t_ms, self._last_voiced_end, "silence")
        if self._t_ms - self._started_at >= s.max_speech_ms:
            self.done = True
            return SpeechEnded(self._t_ms, self._last_voiced_end, "max_speech")
        if s.pause_ms is not None and silence_ms >= s.pause_ms and not self._paused:
            self._paused = True
            return Pause(self._t_ms, self._last_voiced_end)
        return None

    def _before_speech(self, frame: Frame, voiced: bool, start_t: int) -> EndpointEvent | None:
        s = self.settings
        if voiced and frame.zcr >= MIN_ONSET_ZCR:
            self._onset.append(frame)
            del self._onset[:-FLOOR_WINDOW_FRAMES]
        else:
            self._onset.clear()
        if len(self._onset) * FRAME_MS >= s.start_ms and onset_like_speech(self._onset):
            self._started_at = start_t - (len(self._onset) - 1) * FRAME_MS
            self._last_voiced_end = self._t_ms
            return SpeechStarted(self._started_at)
        if s.no_input_ms is not None and self._t_ms - self._no_input_from >= s.no_input_ms:
            self.done = True
            return NoSpeech(self._t_ms)
        return None
