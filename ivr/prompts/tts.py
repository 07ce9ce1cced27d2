"""Text to telephone audio: pyttsx3 (espeak-ng driver), then sox to 8 kHz mono 16-bit WAV.

Asterisk plays 8 kHz signed-linear WAV without transcoding. espeak-ng speaks
at 22,050 Hz; the rate change is sox's job (a proper anti-alias filter), not
hand-written DSP. Everything here blocks: call it from a worker thread
(:func:`ivr.prompts.audio.ensure_audio` does).

espeak-ng is one process-wide C library and pyttsx3's driver is not
thread-safe, so one lock serialises synthesis. Files appear atomically (temp
file in the same directory, then rename), so a reader never sees half a WAV.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from pathlib import Path
from typing import Any

import pyttsx3

#: What Asterisk plays natively.
SAMPLE_RATE = 8000
CHANNELS = 1
SAMPLE_WIDTH = 2
#: Words per minute; espeak's default (175-200) is hurried on a phone line.
RATE_WPM = 165
#: Part of every audio name: change it whenever the audio for the same text would change.
SYNTH_VERSION = f"pyttsx3-espeak-ng/{RATE_WPM}wpm/sox-8k-s16-mono/1"
#: Seconds sox may take for one prompt.
SOX_TIMEOUT = 60.0

log = logging.getLogger(__name__)
_lock = threading.Lock()
_engine: Any = None
_voices: frozenset[str] = frozenset()


class TtsError(RuntimeError):
    """Synthesis failed (unknown voice, nothing to say, sox missing …)."""


def voices() -> frozenset[str]:
    """Names espeak-ng accepts for a voice: file ids (``roa/es``), their basenames, languages."""
    with _lock:
        _ensure_engine()
        return _voices


def synthesize(text: str, voice: str, dest: Path) -> None:
    """Speak *text* with espeak-ng *voice* into *dest* as 8 kHz mono 16-bit WAV.

    Blocks (run it in a thread). *dest* is replaced atomically; its directory
    is created when missing.
    """
    if not text.strip():
        raise TtsError("nothing to say: the prompt text is empty")
    sox = shutil.which("sox")
    if sox is None:
        raise TtsError("sox was not found on PATH; install it (Debian: apt-get install sox)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The temp dir sits beside dest so the final rename never crosses filesystems.
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".tts-") as tmp:
        raw = Path(tmp) / "espeak.wav"
        out = Path(tmp) / "8k.wav"
        _speak(text, voice, raw)
        _resample(sox, raw, out)
        os.replace(out, dest)


def _ensure_engine() -> Any:
    global _engine, _voices
    if _engine is None:
        try:
            engine = pyttsx3.init("espeak")
        except Exception as exc:  # pyttsx3 raises bare RuntimeError/OSError from ctypes
            raise TtsError(
                f"cannot start espeak-ng through pyttsx3 ({exc}); "
                "install Debian packages espeak-ng and libespeak-ng1"
            ) from exc
        names: set[str] = set()
        for v in engine.getProperty("voices"):
            names.update({v.id, v.id.rsplit("/", 1)[-1], *(v.languages or [])})
        engine.setProperty("rate", RATE_WPM)
        _prime(engine)
        _engine, _voices = engine, frozenset(n.lower() for n in names if n)
    return _engine


def _prime(engine: Any) -> None:
    """Synthesise a word once, to a throw-away file, before any real prompt.

    pyttsx3 2.99's espeak driver loses the very first utterance of a process
    when it is long (seen with Korean: espeak-ng is still loading its data when
    the driver's loop gives up, and no file is written). Anything synthesised
    first avoids it, so the engine starts with a short word nobody hears.
    """
    with tempfile.TemporaryDirectory(prefix="ivr-tts-prime-") as tmp:
        engine.save_to_file("ready", str(Path(tmp) / "prime.wav"))
        with contextlib.redirect_stdout(io.StringIO()):
            engine.runAndWait()


#: A fresh process for a prompt the shared engine failed on: pyttsx3's espeak driver keeps
#: state between utterances and, rarely and only in long-running processes, writes an
#: empty file; a new process has none of that state. Slower (~0.3 s), so only a fallback.
_FRESH_PROCESS = """
import contextlib, io, sys
import pyttsx3
engine = pyttsx3.init("espeak")
engine.setProperty("voice", sys.argv[2])
engine.setProperty("rate", int(sys.argv[3]))
engine.save_to_file(sys.stdin.read(), sys.argv[4])
with contextlib.redirect_stdout(io.StringIO()):
    engine.runAndWait()
"""


def _speak(text: str, voice: str, raw: Path) -> None:
    with _lock:
        engine = _ensure_engine()
        # espeak-ng silently keeps the previous voice for a name it does not know.
        if voice.lower() not in _voices:
            raise TtsError(f"espeak-ng has no voice {voice!r}; list them with: espeak-ng --voices")
        engine.setProperty("voice", voice)
        engine.setProperty("rate", RATE_WPM)
        engine.save_to_file(text, str(raw))
        # pyttsx3's espeak driver prints "Audio saved to …" on stdout, which is ours.
        with contextlib.redirect_stdout(io.StringIO()):
            engine.runAndWait()
    if not _frames(raw):
        # Never the text itself, here or in the errors below: a readback prompt holds the
        # caller's digits (a PIN) and must not reach a log. For the same reason the fresh
        # process reads the text from its stdin, not from its command line (`ps` shows that).
        log.warning("espeak-ng wrote no audio for a %d-character prompt in voice %s; "
                    "synthesising it in a fresh process", len(text), voice)
        done = subprocess.run(
            [sys.executable, "-c", _FRESH_PROCESS, "-", voice, str(RATE_WPM), str(raw)],
            input=text.encode("utf-8"), capture_output=True, timeout=SOX_TIMEOUT, check=False)
        if done.returncode != 0:
            log.warning("fresh-process synthesis failed: %s",
                        done.stderr.decode("utf-8", "replace").strip()[-500:])
    try:
        frames = _frames(raw, strict=True)
    except (OSError, EOFError, wave.Error) as exc:
        raise TtsError(f"espeak-ng wrote no usable audio for a {len(text)}-character prompt "
                       f"in voice {voice}: {exc}") from exc
    if frames == 0:
        raise TtsError(f"espeak-ng produced no audio for a {len(text)}-character prompt "
                       f"in voice {voice}")


def _frames(path: Path, strict: bool = False) -> int:
    """Frames in the WAV at *path*; 0 when it is missing or unreadable (unless *strict*)."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes()
    except (OSError, EOFError, wave.Error):
        if strict:
            raise
        return 0


def _resample(sox: str, raw: Path, out: Path) -> None:
    args = [
        sox, "-G", "-q", str(raw),
        "-r", str(SAMPLE_RATE), "-c", str(CHANNELS), "-b", str(SAMPLE_WIDTH * 8),
        "-e", "signed-integer", "-t", "wav", str(out),
    ]
    try:
        done = subprocess.run(args, capture_output=True, timeout=SOX_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise TtsError(f"sox took longer than {SOX_TIMEOUT:g} s") from exc
    if done.returncode != 0:
        raise TtsError("sox failed: " + done.stderr.decode("utf-8", "replace").strip())
