"""Text to telephone audio: pyttsx3 (espeak-ng driver), then sox to 8 kHz mono 16-bit WAV.

Asterisk plays 8 kHz signed-linear WAV without transcoding. espeak-ng speaks
at 22,050 Hz; the rate change is sox's job (a proper anti-alias filter), not
hand-written DSP. Everything here blocks: call it from a worker thread
(:func:`ivr.prompts.audio.ensure_audio` does).

espeak-ng runs in a child process (:mod:`ivr.prompts.tts_worker`) that is
restarted when it dies: it has crashed the process it ran in. pyttsx3's driver is
not thread-safe, so one lock serialises synthesis. Files appear atomically (temp
file in the same directory, then rename), so a reader never sees half a WAV.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import wave
from pathlib import Path
from typing import Any

#: What Asterisk plays natively.
SAMPLE_RATE = 8000
CHANNELS = 1
SAMPLE_WIDTH = 2
#: Words per minute; espeak's default (175-200) is hurried on a phone line.
RATE_WPM = 165
#: Part of every audio name: change it whenever the audio for the same text would change.
SYNTH_VERSION = f"pyttsx3-espeak-ng/{RATE_WPM}wpm/sox-8k-s16-mono/1"
#: Seconds sox, or espeak-ng, may take for one prompt.
SOX_TIMEOUT = 60.0
SPEAK_TIMEOUT = 60.0

log = logging.getLogger(__name__)
#: Serialises requests to the one espeak-ng process (and its start and restart).
_lock = threading.Lock()
_worker: _Worker | None = None
_WORKER_COMMAND = [sys.executable, "-m", "ivr.prompts.tts_worker"]


class TtsError(RuntimeError):
    """Synthesis failed (unknown voice, nothing to say, sox missing …)."""


class _WorkerGone(Exception):
    """The espeak-ng process ended or stopped answering."""


class _Worker:
    """The child process that runs espeak-ng (:mod:`ivr.prompts.tts_worker`).

    espeak-ng has crashed with a segmentation fault inside pyttsx3 in a long-running
    process; in the service that would end every call the process holds. In a child
    process a crash costs one restart.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            _WORKER_COMMAND,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            # Not ours to show: espeak-ng's own chatter, and nothing of a prompt's text.
            stderr=subprocess.DEVNULL)
        self._pending = b""
        ready = self._reply()
        if not ready.get("ok"):
            self.close()
            raise TtsError(f"{ready.get('error', 'espeak-ng did not start')}; "
                           "install Debian packages espeak-ng and libespeak-ng1")
        self.voices = frozenset(str(v) for v in ready["voices"])

    def speak(self, text: str, voice: str, raw: Path) -> None:
        """Have espeak-ng write *text* in *voice* to *raw* (its own rate, 16-bit WAV)."""
        request = {"op": "speak", "text": text, "voice": voice, "rate": RATE_WPM,
                   "path": str(raw)}
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerGone(self._why()) from exc
        self._reply()

    def _reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._pending:
            ready, _, _ = select.select([fd], [], [], SPEAK_TIMEOUT)
            if not ready:
                self.close()
                raise _WorkerGone(f"no answer in {SPEAK_TIMEOUT:g} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _WorkerGone(self._why())
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _why(self) -> str:
        code = self.proc.wait(timeout=5)
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def close(self) -> None:
        """Stop the process (it exits when its stdin closes; kill it if it hangs)."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _running() -> _Worker:
    global _worker
    if _worker is None:
        _worker = _Worker()
    return _worker


def _restart() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


@atexit.register
def _stop() -> None:
    with _lock:
        _restart()


def voices() -> frozenset[str]:
    """Names espeak-ng accepts for a voice: file ids (``roa/es``), their basenames, languages."""
    with _lock:
        return _running().voices


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


def _speak(text: str, voice: str, raw: Path) -> None:
    # Never the text itself in a log line or an error: a readback prompt holds the
    # caller's digits (a PIN). Its length and voice say enough.
    what = f"a {len(text)}-character prompt in voice {voice}"
    with _lock:
        # espeak-ng silently keeps the previous voice for a name it does not know.
        if voice.lower() not in _running().voices:
            raise TtsError(f"espeak-ng has no voice {voice!r}; list them with: espeak-ng --voices")
        for attempt in (1, 2):
            try:
                _running().speak(text, voice, raw)
            except _WorkerGone as exc:
                _restart()
                if attempt == 2:
                    raise TtsError(f"espeak-ng failed twice on {what} ({exc})") from exc
                log.warning("espeak-ng's process ended (%s) during %s; "
                            "synthesising it in a fresh process", exc, what)
                continue
            if _frames(raw) or attempt == 2:
                break
            # pyttsx3's driver keeps state between utterances and, rarely and only in a
            # long-running process, writes an empty file; a new process has none of it.
            log.warning("espeak-ng wrote no audio for %s; synthesising it in a fresh process",
                        what)
            _restart()
    try:
        frames = _frames(raw, strict=True)
    except (OSError, EOFError, wave.Error) as exc:
        raise TtsError(f"espeak-ng wrote no usable audio for {what}: {exc}") from exc
    if frames == 0:
        raise TtsError(f"espeak-ng produced no audio for {what}")


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
