"""One demo phone line: Asterisk's side of a FastAGI session, answered without Asterisk.

Keys go as :func:`ivr.bench.agi_peer.answer` answers them (one key per ``WAIT FOR
DIGIT``, keys that barge into ``STREAM FILE``); a speech question's AudioSocket turn
is spoken by :mod:`ivr.demo.voice`; ``RECORD FILE`` gets a real spoken message
where Asterisk would write the caller's voice, so the dashboard has a voicemail to play.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import shutil
import subprocess
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ivr.agi.assign import read_packed
from ivr.agi.protocol import encode_request, split_like_asterisk
from ivr.bench.agi_peer import CallScript, answer, dead_answer
from ivr.demo.voice import speak_turn

log = logging.getLogger(__name__)


@dataclass
class Conversation:
    """What one demo line did: AGI commands answered, speech turns spoken, variables set."""

    commands: int = 0
    spoken: int = 0
    variables: dict[str, str] = field(default_factory=dict)


async def converse(host: str, port: int, header: bytes, script: CallScript,
                   voice: Sequence[bytes] = (),
                   channel_variables: Mapping[str, str] | None = None) -> Conversation:
    """Play Asterisk's side of one FastAGI session: keys, speech turns, a spoken message.

    *channel_variables* answer ``GET FULL VARIABLE`` (as the dialplan or an Originate set them).
    """
    reader, writer = await asyncio.open_connection(host, port)
    said = list(voice)
    done = Conversation()
    try:
        writer.write(header)
        while line := await asyncio.wait_for(reader.readline(), 60):
            done.commands += 1
            count = done.commands
            words = split_like_asterisk(line.decode("utf-8", "replace"))
            if script.hangup_at is not None and count >= script.hangup_at:
                # As Asterisk does: the running command fails, HANGUP, then a dead channel.
                reply = ("200 result=-1\nHANGUP" if count == script.hangup_at
                         else dead_answer(words, "PJSIP/demo-caller"))
            elif [w.upper() for w in words[:2]] == ["EXEC", "AUDIOSOCKET"] and len(words) > 2:
                # A speech question: the caller says the next phrase (silence when none is left).
                reply = f"200 result={await speak_turn(words[2], said.pop(0) if said else b'')}"
                done.spoken += 1
            elif words[:3] == ["GET", "FULL", "VARIABLE"] and len(words) > 3:
                reply = _variable(words[3], channel_variables or {})
            else:
                reply = answer(words, script)
                if words[:2] == ["SET", "VARIABLE"] and len(words) > 3:
                    done.variables.update(read_packed(words[2], words[3]))
                if words[:2] == ["RECORD", "FILE"] and len(words) > 2:
                    frames = await asyncio.to_thread(_leave_message, Path(f"{words[2]}.wav"))
                    if frames is not None:
                        # As Asterisk does: endpos is where the file ends, in samples, so
                        # the journey's length is the one the player shows.
                        reply = f"200 result=0 (timeout) endpos={frames}"
            writer.write(reply.encode() + b"\n")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return done


def _variable(expression: str, values: Mapping[str, str]) -> str:
    """Answer ``GET FULL VARIABLE ${BASE64_ENCODE(${NAME})}`` as Asterisk would."""
    match = re.fullmatch(r"\$\{BASE64_ENCODE\(\$\{(\w+)\}\)\}", expression)
    value = values.get(match.group(1), "") if match else ""
    if not value:
        return "200 result=0"
    return f"200 result=1 ({base64.b64encode(value.encode()).decode()})"


def agi_header(script: str, call_uniqueid: str, channel: str, caller: str,
               context: str = "ivr-inbound") -> bytes:
    """The ``agi_*`` block Asterisk sends when its dialplan runs ``AGI(agi://…/script)``."""
    env = {
        "network": "yes", "network_script": script,
        "request": f"agi://127.0.0.1/{script}", "channel": channel,
        "language": "en", "type": "PJSIP", "uniqueid": call_uniqueid, "version": "22.0.0",
        "callerid": caller, "calleridname": "Demo caller", "dnid": "5550100",
        "context": context, "extension": "s", "priority": "2",
    }
    return encode_request(env)


def _leave_message(target: Path) -> int | None:
    """Speak a short message into *target* (8 kHz WAV), standing in for the caller's voice.

    Returns the message's length in samples, or None when no message could be made.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    espeak = shutil.which("espeak-ng")
    text = "Hi, this is Sam from Elm Street. My internet has been down since this morning. " \
           "Please call me back."
    if espeak is None:
        log.warning("espeak-ng missing: the demo voicemail stays silent")
        return None
    raw = target.with_suffix(".raw.wav")
    subprocess.run([espeak, "-w", str(raw), text], check=True, capture_output=True)
    sox = shutil.which("sox")
    if sox:
        subprocess.run([sox, str(raw), "-r", "8000", "-c", "1", "-b", "16", str(target)],
                       check=True, capture_output=True)
        raw.unlink()
    else:
        raw.replace(target)
    with wave.open(str(target), "rb") as message:
        # In 8 kHz samples, as Asterisk counts endpos (espeak writes 22 kHz when sox is missing).
        return round(message.getnframes() * 8000 / message.getframerate())
