"""Synthetic callers over telephone channels, for benchmarks and tests.

espeak-ng speaks a phrase (voice variant, speed, pitch); sox turns it into
what a telephone line delivers: 8 kHz 16-bit, optionally a G.711 µ-law round
trip, the 300–3400 Hz band and pink line noise at a chosen SNR. The noise
runs before and after the words too, because a real line is never silent
around them. Non-speech sounds (tone, clicks, a cough-like burst) are made
the same way. Everything is deterministic for the same arguments (sox noise
is seeded), so a benchmark's test set is the same on every run.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path

from ivr.speech.wav import read_pcm

RATE = 8000

#: Channel name -> (µ-law round trip, band-pass, noise SNR dB or None).
CHANNELS: dict[str, tuple[bool, bool, float | None]] = {
    "clean": (False, False, None),
    "ulaw": (True, False, None),
    "bandpass": (False, True, None),
    "noise15": (False, False, 15.0),
    "noise15-ulaw": (True, False, 15.0),
    "phone": (True, True, 15.0),
}


class ToolsMissing(RuntimeError):
    """espeak-ng or sox is not installed."""


def tools_available() -> bool:
    """True when espeak-ng and sox are on PATH."""
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, capture_output=True)


@dataclass(frozen=True, slots=True)
class Voice:
    """An espeak-ng speaker: variant, words per minute, pitch."""

    name: str = "ko"
    speed: int = 160
    pitch: int = 50

    @property
    def label(self) -> str:
        """Short name for tables, e.g. ``ko+f3/160/50``."""
        return f"{self.name}/{self.speed}/{self.pitch}"


def speak(text: str, voice: Voice, out: Path) -> Path:
    """Write *text* spoken by *voice* to *out* as 8 kHz mono 16-bit WAV."""
    if not tools_available():
        raise ToolsMissing("needs espeak-ng and sox")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        _run(["espeak-ng", "-v", voice.name, "-s", str(voice.speed), "-p", str(voice.pitch),
              "-w", str(raw), "--", text])
        # -R: sox dithers when it writes 16 bits after resampling, from a fresh random seed
        # unless told to repeat; the same phrase then differed in every run (measured: all
        # 42 quick-bench recordings), and so did borderline decodes of it.
        _run(["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", "-e",
              "signed-integer", str(out)])
    return out


def pcm_rms(pcm: bytes) -> float:
    """RMS of 16-bit little-endian PCM."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def active_rms(pcm: bytes, frame: int = 160) -> float:
    """RMS of the louder half of 20 ms frames: the speech level, ignoring pauses."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    energies = sorted(
        (sum(s * s for s in samples[i : i + frame]) / frame
         for i in range(0, len(samples) - frame + 1, frame)),
        reverse=True,
    )
    top = energies[: max(1, len(energies) // 2)]
    return math.sqrt(sum(top) / len(top)) if top else 0.0


def pink_noise(ms: int, rms: float, seed: int, out: Path) -> Path:
    """Pink noise of *ms* at about *rms* (16-bit scale), deterministic per *seed*."""
    with tempfile.TemporaryDirectory() as tmp:
        unit = Path(tmp) / "n.wav"
        _run(["sox", "-R", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-n",
              str(unit), "synth", f"{ms / 1000}", "pinknoise", "vol", "0.3"])
        # sox -R alone is seeded per run; mixing in *seed* as an offset keeps sets varied.
        pcm = read_pcm(unit)
        shift = (seed * 997 * 2) % max(2, len(pcm))
        shift -= shift % 2
        pcm = pcm[shift:] + pcm[:shift]
        level = pcm_rms(pcm) or 1.0
        write_pcm(out, scale(pcm, rms / level))
    return out


def scale(pcm: bytes, gain: float) -> bytes:
    """Multiply 16-bit samples by *gain*, clipping."""
    samples = array("h")
    samples.frombytes(pcm)
    return array("h", (max(-32768, min(32767, round(s * gain))) for s in samples)).tobytes()


def mix(a: bytes, b: bytes) -> bytes:
    """Sample-wise sum of two 16-bit streams (the shorter is zero-padded), clipping."""
    x, y = array("h"), array("h")
    x.frombytes(a)
    y.frombytes(b)
    n = max(len(x), len(y))
    x.extend([0] * (n - len(x)))
    y.extend([0] * (n - len(y)))
    return array("h", (max(-32768, min(32767, p + q)) for p, q in zip(x, y, strict=True))).tobytes()


def write_pcm(path: Path, pcm: bytes) -> Path:
    """Write 8 kHz mono 16-bit PCM as WAV."""
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return path


def channel(
    speech: bytes, name: str, seed: int = 0, lead_ms: int = 600, tail_ms: int = 1200
) -> bytes:
    """Pass *speech* (8 kHz PCM) through telephone channel *name* with silence/noise around it.

    The noise level is set against the speech's active level (the louder half
    of its frames), so 15 dB means 15 dB below the words, not below the pauses.
    """
    ulaw, bandpass, snr = CHANNELS[name]
    pad = bytes(RATE * 2 * lead_ms // 1000)
    pcm = pad + speech + bytes(RATE * 2 * tail_ms // 1000)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        if snr is not None:
            level = active_rms(speech) / (10 ** (snr / 20))
            noise = read_pcm(pink_noise(len(pcm) // 16, level, seed, d / "noise.wav"))
            pcm = mix(pcm, noise)
        if bandpass:
            write_pcm(d / "in.wav", pcm)
            _run(["sox", "-R", str(d / "in.wav"), str(d / "bp.wav"), "sinc", "300-3400"])
            pcm = read_pcm(d / "bp.wav")
        if ulaw:
            write_pcm(d / "in.wav", pcm)
            _run(["sox", "-R", str(d / "in.wav"), "-e", "u-law", "-t", "wav", str(d / "mu.wav")])
            _run(["sox", "-R", str(d / "mu.wav"), "-e", "signed-integer", "-b", "16",
                  str(d / "o.wav")])
            pcm = read_pcm(d / "o.wav")
    return pcm


def ulaw(pcm: bytes) -> bytes:
    """G.711 µ-law bytes of 8 kHz 16-bit PCM: what a phone puts in PCMU RTP packets."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.ul"
        _run(["sox", "-R", "-D", str(write_pcm(Path(tmp) / "in.wav", pcm)), "-t", "raw", "-e",
              "u-law", "-b", "8", str(out)])
        return out.read_bytes()


def line_noise(ms: int, dbfs: float = -35.0, seed: int = 0) -> bytes:
    """Steady pink line noise at *dbfs* (RMS relative to full scale)."""
    with tempfile.TemporaryDirectory() as tmp:
        return read_pcm(pink_noise(ms, 32768 * 10 ** (dbfs / 20), seed, Path(tmp) / "n.wav"))


def non_speech(kind: str, ms: int = 300) -> bytes:
    """A non-speech sound: ``tone`` (1 kHz), ``click`` (three clicks), ``burst`` (brown noise)."""
    n = RATE * ms // 1000
    if kind == "tone":
        return array("h", (round(8000 * math.sin(2 * math.pi * 1000 * i / RATE))
                           for i in range(n))).tobytes()
    if kind == "click":
        samples = [0] * n
        for at in (0, n // 3, 2 * n // 3):
            for k in range(8):
                samples[at + k] = 20000 if k % 2 == 0 else -20000
        return array("h", samples).tobytes()
    if kind == "burst":
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "b.wav"
            _run(["sox", "-R", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
                  "-n", str(out), "synth", f"{ms / 1000}", "brownnoise", "vol", "0.5"])
            return read_pcm(out)
    raise ValueError(f"unknown non-speech sound {kind!r}")
