"""Scripted callers for the demo: each one dials the service over real FastAGI.

They play Asterisk's part with :func:`ivr.bench.agi_peer.answer` (one key per
``WAIT FOR DIGIT``, keys that barge into ``STREAM FILE``), and for
``RECORD FILE`` they leave a real spoken message where Asterisk would, so the
dashboard has a voicemail to play.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

from ivr.agi.protocol import encode_request, split_like_asterisk
from ivr.bench.agi_peer import CallScript, answer
from ivr.demo.queue import QueueEnd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoCall:
    """One scripted caller: the flow, the keys pressed, when (for business hours), who."""

    flow: str
    keys: str
    caller: str
    #: Days and hours before now (demo calls are spread out so the metrics have a shape).
    ago: dt.timedelta
    hangup_at: int | None = None
    #: Hour of day (in the flows' calendar time zone) to pretend the call came in at.
    local_hour: int = 10
    description: str = ""
    #: Dated *ago* before the demo runs, not at local_hour: for calls no calendar decides,
    #: so Metrics → today has calls right after the demo at any hour.
    today: bool = False
    #: For a call the IVR hands to a queue: how the queue call ended (ivr.demo.queue).
    queue_end: QueueEnd | None = None


#: A small day at Harbor Telecom (see flows.yaml): every outcome appears at least once.
SCRIPT: tuple[DemoCall, ...] = (
    DemoCall("main", "11", "+15550101", dt.timedelta(days=2), local_hour=9,
             description="English, sales by key; an agent answers after 35 s",
             queue_end=QueueEnd(35, "Agent Alice", 240)),
    DemoCall("main", "12", "+15550102", dt.timedelta(days=2), local_hour=10,
             description="English, support (reason asked, no speech here); "
                         "gives up after 95 s in the queue",
             queue_end=QueueEnd(95)),
    DemoCall("main", "131234561" "4321#" "2", "+15550103", dt.timedelta(days=2), local_hour=11,
             description="English, balance self-service with account and PIN"),
    DemoCall("main", "131234561" "9999#", "+15550104", dt.timedelta(days=1), local_hour=9,
             description="English, wrong PIN, on to billing; answered after 20 s",
             queue_end=QueueEnd(20, "Agent Bruno", 300)),
    DemoCall("main", "24", "+15550105", dt.timedelta(days=1), local_hour=13,
             description="Spanish, billing; answered after 12 s",
             queue_end=QueueEnd(12, "Agent Bruno", 150)),
    DemoCall("main", "10", "+15550106", dt.timedelta(days=1), local_hour=15,
             description="English, front desk by 0; answered after 8 s",
             queue_end=QueueEnd(8, "Front desk", 60)),
    DemoCall("main", "1999", "+15550107", dt.timedelta(hours=20), local_hour=16,
             description="English, three wrong keys, operator after max attempts; "
                         "gives up after 140 s",
             queue_end=QueueEnd(140)),
    DemoCall("main", "1", "+15550108", dt.timedelta(hours=6), local_hour=10, hangup_at=5,
             description="hangs up during the main menu"),
    DemoCall("main", "1", "+15550109", dt.timedelta(hours=3), local_hour=21,
             description="after hours, leaves a voicemail"),
    DemoCall("csat", "5", "+15550103", dt.timedelta(minutes=2), today=True,
             description="survey after an agent call: 5"),
    DemoCall("csat", "3", "+15550101", dt.timedelta(minutes=1), today=True,
             description="survey after an agent call: 3"),
)


async def place_call(host: str, port: int, n: int, call: DemoCall) -> int:
    """Run one scripted call to its end over FastAGI; return the number of commands."""
    reader, writer = await asyncio.open_connection(host, port)
    script = CallScript(list(call.keys), call.hangup_at)
    count = 0
    try:
        writer.write(_header(call, n))
        while line := await asyncio.wait_for(reader.readline(), 60):
            count += 1
            words = split_like_asterisk(line.decode("utf-8", "replace"))
            if script.hangup_at is not None and count >= script.hangup_at:
                # As Asterisk does: the running command fails, HANGUP, then a dead channel.
                reply = "200 result=-1\nHANGUP" if count == script.hangup_at else "511 dead"
            else:
                reply = answer(words, script)
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
    return count


def uniqueid(n: int) -> str:
    """The channel Uniqueid (and so the call id) of the demo's *n*-th call."""
    return f"demo.{n}"


def _header(call: DemoCall, n: int) -> bytes:
    env = {
        "network": "yes", "network_script": call.flow,
        "request": f"agi://127.0.0.1/{call.flow}", "channel": f"PJSIP/demo-{n:08x}",
        "language": "en", "type": "PJSIP", "uniqueid": uniqueid(n), "version": "22.0.0",
        "callerid": call.caller, "calleridname": "Demo caller", "dnid": "5550100",
        "context": "ivr-inbound", "extension": "s", "priority": "2",
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
