"""Record-then-recognise, for PBXs without AudioSocket.

The AGI session plays the prompt itself (``STREAM FILE``), then calls
:func:`record_and_recognise`: ``RECORD FILE`` with silence detection writes
the caller's answer into a directory both Asterisk and the service see,
and the file is recognised once it is complete. A key pressed during the
recording ends it and wins, as in the streaming path. File names are random,
never derived from caller input, and the audio is deleted after recognition.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from ivr.config import SpeechConfig
from ivr.flows.effects import Gather
from ivr.flows.events import Digits, NoInput
from ivr.speech.endpoint import (
    Endpointer,
    EndpointSettings,
    SpeechStarted,
    quietest_frame_rms,
)
from ivr.speech.gather import make_recognizer
from ivr.speech.listen import Turn, TurnTiming
from ivr.speech.models import ModelRegistry
from ivr.speech.recognition import Recognition
from ivr.speech.recognizer import Recognizer, recognition_pool
from ivr.speech.wav import AudioFormatError, read_pcm


class RecordingResult(Protocol):
    """What ``RECORD FILE`` reports (``ivr.agi.channel.Recording`` fits)."""

    @property
    def reason(self) -> str:
        """``silence``, ``timeout`` or ``dtmf``."""

    @property
    def digit(self) -> str | None:
        """The key that ended the recording, if one did."""


class RecordsFiles(Protocol):
    """The part of an AGI channel this module needs (``AgiChannel`` fits)."""

    async def record_file(
        self,
        file: str,
        fmt: str = ...,
        escape_digits: str = ...,
        timeout_ms: int = ...,
        beep: bool = ...,
        silence_s: int | None = ...,
    ) -> RecordingResult:
        """Run ``RECORD FILE``."""


@dataclass(frozen=True, slots=True)
class RecordPaths:
    """The shared directory as the service sees it and as Asterisk sees it."""

    local: Path
    asterisk: PurePosixPath | None = None

    @classmethod
    def from_config(cls, config: SpeechConfig) -> RecordPaths:
        """Paths from ``[speech] record_dir`` / ``record_dir_asterisk``."""
        theirs = config.record_dir_asterisk
        # Absolute: Asterisk would resolve a relative path against its own directories.
        local = config.record_dir.resolve()
        return cls(local, PurePosixPath(theirs) if theirs is not None else None)

    def for_asterisk(self, name: str) -> str:
        """Path (without extension) to give ``RECORD FILE``."""
        base = self.asterisk if self.asterisk is not None else PurePosixPath(self.local.resolve())
        return str(base / name)


def has_speech(pcm: bytes) -> bool:
    """Whether a recording holds speech.

    The floor comes from the whole file's quietest frame, not from its first
    frames as in a live turn: a caller may speak from the first sample of a
    recording, and a floor seeded from that speech hides it.
    """
    ep = Endpointer(EndpointSettings(no_input_ms=None), noise_floor=quietest_frame_rms(pcm))
    return any(isinstance(e, SpeechStarted) for e in ep.feed(pcm))


def recognise_file(rec: Recognizer, path: Path) -> Recognition | None:
    """Recognise the WAV at *path* with *rec*; ``None`` when unreadable or without speech."""
    try:
        pcm = read_pcm(path)
    except (OSError, AudioFormatError):
        return None
    if not has_speech(pcm):
        return None
    rec.accept(pcm)
    return rec.final_sync()


async def record_and_recognise(
    channel: RecordsFiles,
    effect: Gather,
    models: ModelRegistry,
    paths: RecordPaths,
    silence_s: int = 2,
    keep: bool = False,
) -> Turn:
    """Record the caller's answer to *effect* and recognise it; ``turn.event`` is the answer."""
    if effect.speech is None:
        raise ValueError("record fallback needs a Gather with speech")
    rec = await make_recognizer(models, effect.speech)
    name = f"asr-{uuid.uuid4().hex}"
    paths.local.mkdir(parents=True, exist_ok=True)
    keys = effect.digits.valid_keys if effect.digits is not None else ""
    timeout_ms = round((effect.speech.max_speech_s + silence_s + 5) * 1000)
    result = await channel.record_file(
        paths.for_asterisk(name), "wav", keys, timeout_ms, False, silence_s
    )
    local = paths.local / f"{name}.wav"
    try:
        if result.reason == "dtmf" and result.digit:
            return Turn(Digits(result.digit, None), TurnTiming(0, 0))
        recognition = await asyncio.get_running_loop().run_in_executor(
            recognition_pool(), recognise_file, rec, local
        )
    finally:
        if not keep:
            with contextlib.suppress(OSError):
                local.unlink()
    if recognition is None:
        return Turn(NoInput(), TurnTiming(0, 0))
    return Turn(recognition.to_event(), TurnTiming(0, 0), recognition)
