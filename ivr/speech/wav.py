"""Prompt audio for AudioSocket: WAV files as 8 kHz mono 16-bit PCM."""

from __future__ import annotations

import warnings
import wave
from pathlib import Path

TELEPHONE_RATE = 8000


class AudioFormatError(ValueError):
    """The file is not a WAV we can turn into telephone audio."""


def read_pcm(path: Path, rate: int = TELEPHONE_RATE) -> bytes:
    """Read *path* and return 16-bit mono PCM at *rate* (converting when needed)."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, src_rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            data = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(f"{path}: {exc}") from exc
    if (channels, width, src_rate) == (1, 2, rate):
        return data
    with warnings.catch_warnings():
        # audioop is deprecated (gone in 3.13) but exact and present in our 3.11.
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

    if width != 2:
        data = audioop.lin2lin(data, width, 2)
    if channels == 2:
        data = audioop.tomono(data, 2, 0.5, 0.5)
    elif channels != 1:
        raise AudioFormatError(f"{path}: {channels} channels")
    if src_rate != rate:
        data, _ = audioop.ratecv(data, 2, 1, src_rate, rate, None)
    return data
