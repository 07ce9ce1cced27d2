"""Prompt test support: requiring the real synthesiser, reading WAVs back."""

from __future__ import annotations

import array
import math
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path

from ivr.prompts.tts import TtsError, voices
from tests.conftest import need


def need_tts() -> None:
    """Require espeak-ng (through pyttsx3) and sox: skip locally without them, fail in CI."""
    need(shutil.which("sox") is not None, "sox is not installed (Debian: sox)")
    try:
        voices()
    except TtsError as exc:
        need(False, str(exc))


@dataclass(frozen=True)
class WavInfo:
    """What a test checks about a prompt WAV."""

    rate: int
    channels: int
    sample_width: int
    seconds: float
    rms: float


def wav_info(path: Path) -> WavInfo:
    """Read *path* with the stdlib ``wave`` module (it accepts only plain PCM)."""
    with wave.open(str(path), "rb") as w:
        frames = w.readframes(w.getnframes())
        samples = array.array("h", frames)
        rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
        return WavInfo(
            rate=w.getframerate(), channels=w.getnchannels(), sample_width=w.getsampwidth(),
            seconds=w.getnframes() / w.getframerate(), rms=rms,
        )


def assert_telephone_speech(path: Path, text: str) -> None:
    """8 kHz mono 16-bit, as long as speaking *text* takes, and not silence."""
    info = wav_info(path)
    assert (info.rate, info.channels, info.sample_width) == (8000, 1, 2)
    words = len(text.split())
    # Speech runs at roughly 1-5 words a second; espeak adds a short pause at the end.
    assert words / 5 <= info.seconds <= words / 1 + 1.5, (info.seconds, text)
    assert info.rms > 300, f"{path} is (nearly) silent: rms {info.rms:.0f}"
