"""The load generator's side of FastAGI: it answers commands the way Asterisk does.

:func:`answer` is the pure rule (command words + the call's remaining keys ->
reply lines); :func:`run_calls` opens *concurrency* simultaneous sessions and
drives *calls* calls through a service, counting anything Asterisk would not
accept as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field

from ivr.agi.protocol import HANGUP_SOURCE_PROBE, encode_request, split_like_asterisk


@dataclass
class CallScript:
    """What one simulated caller does: keys to press, and maybe hang up at a command."""

    keys: list[str]
    hangup_at: int | None = None


@dataclass
class PeerStats:
    """Totals over all calls."""

    calls: int = 0
    commands: int = 0
    hangups: int = 0
    errors: list[str] = field(default_factory=list)


def answer(words: list[str], script: CallScript) -> str:
    """Return the reply Asterisk sends to one command (keys are consumed from *script*)."""
    command = " ".join(words[:3]).upper()
    if command.startswith("STREAM FILE") or command.startswith("CONTROL STREAM FILE"):
        escape = words[3] if len(words) > 3 else ""
        if script.keys and script.keys[0] in escape:
            return f"200 result={ord(script.keys.pop(0))} endpos=1600"
        return "200 result=0 endpos=8000"
    if command.startswith("WAIT FOR DIGIT"):
        return f"200 result={ord(script.keys.pop(0))}" if script.keys else "200 result=0"
    if command.startswith("GET DATA"):
        keys, script.keys = "".join(script.keys), []
        return f"200 result={keys}" if keys else "200 result= (timeout)"
    if command.startswith("RECORD FILE"):
        return "200 result=0 (timeout) endpos=16000"
    if command.startswith(("GET FULL VARIABLE", "GET VARIABLE")):
        return "200 result=0"
    if command.startswith(("SET VARIABLE", "VERBOSE", "NOOP", "HANGUP")):
        return "200 result=1"
    if command.startswith(("ANSWER", "EXEC", "SAY ")):
        return "200 result=0"
    return "510 Invalid or unknown command"


def hangup_source_reply(source: str) -> str:
    """The reply Asterisk gives to the hang-up question on a channel with hang-up source *source*.

    The question is ``GET FULL VARIABLE`` :data:`~ivr.agi.protocol.HANGUP_SOURCE_PROBE`, the
    length of ``CHANNEL(hangupsource)``: empty (``0``) when Asterisk hung the channel up itself.
    """
    return f"200 result=1 ({len(source)})"


def dead_answer(words: list[str], source: str) -> str:
    """What Asterisk answers once the caller has hung up (res_agi's dead mode).

    The caller's channel driver has named the channel (*source*) as the hang-up source, so
    the hang-up question gets its length; a command that needs a live channel gets 511.
    """
    if words[:3] == ["GET", "FULL", "VARIABLE"] and words[3:4] == [HANGUP_SOURCE_PROBE]:
        return hangup_source_reply(source)
    return "511 Command Not Permitted on a dead channel or intercept routine"


def header(script_name: str, n: int) -> bytes:
    """Build the ``agi_*`` block of call number *n*."""
    return encode_request({
        "network": "yes", "network_script": script_name,
        "request": f"agi://127.0.0.1/{script_name}", "channel": f"PJSIP/bench-{n:08x}",
        "language": "en", "type": "PJSIP", "uniqueid": f"bench.{n}", "version": "22.0.0",
        "callerid": f"555{n % 10000:04d}", "calleridname": "Bench", "dnid": "1000",
        "context": "ivr-inbound", "extension": "s", "priority": "2",
    })


#: Commands during which a real caller listens or thinks (paced by ``pace_s``).
_PACED = ("STREAM FILE", "CONTROL STREAM", "WAIT FOR DIGIT", "GET DATA", "RECORD FILE")


async def one_call(host: str, port: int, script_name: str, n: int, script: CallScript,
                   stats: PeerStats, pace_s: float = 0.0) -> None:
    """Run one call to its end (the service closes the socket when the flow is done).

    With *pace_s*, each prompt or wait lasts that long before its reply, as a
    played prompt does: calls then overlap the way a deployment's do, and the
    store's group commit sees as few writes per commit as it would there.
    """
    reader, writer = await asyncio.open_connection(host, port)
    hung_up = False
    try:
        writer.write(header(script_name, n))
        count = 0
        while True:
            line = await asyncio.wait_for(reader.readline(), 30)
            if not line:
                break
            if not line.endswith(b"\n"):
                stats.errors.append(f"call {n}: partial command {line[:40]!r}")
                break
            count += 1
            words = split_like_asterisk(line.decode("utf-8", "replace"))
            if script.hangup_at is not None and count >= script.hangup_at:
                # What Asterisk does: the running command fails, then HANGUP; dead channel after.
                if count == script.hangup_at:
                    writer.write(b"200 result=-1 endpos=0\nHANGUP\n")
                    stats.hangups += 1
                    hung_up = True
                else:
                    writer.write(dead_answer(words, f"PJSIP/bench-{n:08x}").encode() + b"\n")
                continue
            if pace_s and " ".join(words[:2]).upper().startswith(_PACED):
                await asyncio.sleep(pace_s * random.uniform(0.5, 1.5))
            reply = answer(words, script)
            if reply.startswith("510"):
                stats.errors.append(f"call {n}: unknown command {words[:3]}")
            writer.write(reply.encode() + b"\n")
        stats.commands += count
        stats.calls += 1
    except ConnectionResetError:
        # After a hang-up the service closes with our HANGUP line unread: the kernel resets.
        if not hung_up:
            stats.errors.append(f"call {n}: connection reset mid-call")
        stats.calls += 1
    except (OSError, TimeoutError) as exc:
        stats.errors.append(f"call {n}: {type(exc).__name__}: {exc}")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def run_calls(
    host: str,
    port: int,
    script_name: str,
    calls: int,
    concurrency: int,
    keys: str,
    hangup_ratio: float,
    seed: int = 1,
    pace_s: float = 0.0,
) -> PeerStats:
    """Drive *calls* calls with *concurrency* open at once; return the totals."""
    rng = random.Random(seed)
    stats = PeerStats()
    numbers = iter(range(calls))

    async def worker() -> None:
        for n in numbers:
            hangup_at = rng.randint(1, 6) if rng.random() < hangup_ratio else None
            await one_call(host, port, script_name, n, CallScript(list(keys), hangup_at), stats,
                           pace_s)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return stats
