"""The process that runs espeak-ng (through pyttsx3) for :mod:`ivr.prompts.tts`.

espeak-ng is a C library loaded into whatever process calls it, and pyttsx3's driver
has been seen to crash it with a segmentation fault in a long-running process. In the
service that would end every call the process holds, so the library lives here, in a
child process the parent restarts when it dies.

Protocol: one JSON object per line on stdin, one JSON reply per line on the process's
original stdout. First the process says ``{"ok": true, "voices": [...]}`` (or
``{"ok": false, "error": "..."}`` when espeak-ng cannot start); then each request
``{"op": "speak", "text", "voice", "rate", "path"}`` gets ``{"ok": true}`` once the file
is written. Any failure ends the process, which the parent sees and handles.
The text arrives on stdin, never the command line, because a readback prompt holds a
caller's digits and ``ps`` shows command lines.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any


def _start() -> tuple[Any, list[str]]:
    import pyttsx3

    engine = pyttsx3.init("espeak")
    names: set[str] = set()
    for v in engine.getProperty("voices"):
        names.update({v.id, v.id.rsplit("/", 1)[-1], *(v.languages or [])})
    # pyttsx3 2.99's espeak driver loses the very first utterance of a process when it is
    # long (espeak-ng is still loading its data when the driver's loop gives up): speak a
    # short word nobody hears before any real prompt.
    with tempfile.TemporaryDirectory(prefix="ivr-tts-prime-") as tmp:
        engine.save_to_file("ready", str(Path(tmp) / "prime.wav"))
        engine.runAndWait()
    return engine, sorted(n.lower() for n in names if n)


def _serve(replies: IO[str]) -> None:
    def reply(**fields: Any) -> None:
        replies.write(json.dumps(fields) + "\n")
        replies.flush()

    try:
        engine, voices = _start()
    except Exception as exc:  # pyttsx3 raises bare RuntimeError/OSError from ctypes
        reply(ok=False, error=f"cannot start espeak-ng through pyttsx3 ({exc})")
        return
    reply(ok=True, voices=voices)
    for line in sys.stdin:
        request = json.loads(line)
        engine.setProperty("voice", request["voice"])
        engine.setProperty("rate", int(request["rate"]))
        engine.save_to_file(request["text"], request["path"])
        engine.runAndWait()
        reply(ok=True)


def main() -> None:
    """Serve requests until stdin closes."""
    # Replies go to a copy of stdout; fd 1 itself is sent to /dev/null, because pyttsx3's
    # driver prints "Audio saved to …" there and must not break the protocol.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as we do
    _serve(replies)


if __name__ == "__main__":
    main()
