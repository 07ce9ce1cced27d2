"""SIP callers with sipp: RFC 4733 keys (or speech) into an Asterisk, one call or a load level.

Used by ``ivr bench sip`` and by the tests that place real SIP calls into the sandbox.
sipp replays the key presses from a pcap with raw sockets, so it needs root.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ivr.ports import free_udp_port

SCENARIO = Path(__file__).with_name("sipp_call.xml")
SIP_PORT = 5060

_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}


def sipp_available() -> tuple[bool, str]:
    """Whether sipp is installed (it replays our RTP with raw sockets: needs root)."""
    if shutil.which("sipp") is None:
        return False, "sipp is not installed (Debian sip-tester)"
    return True, ""


#: One RTP packet of a pcap: (send time µs, payload type, marker, sequence, timestamp, payload).
Packet = tuple[int, int, bool, int, int, bytes]


def rtp_pcap(path: Path, packets: list[Packet], ssrc: int) -> None:
    """Write *packets* as RTP over UDP over IPv4 in a pcap file, the form sipp replays.

    sipp's ``play_pcap_audio`` rewrites addresses and ports and keeps the RTP header,
    so only the RTP fields and the send times matter; the rest is a fixed frame.
    """
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for at, payload_type, marker, seq, timestamp, payload in packets:
        rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, seq & 0xFFFF,
                          timestamp & 0xFFFFFFFF, ssrc) + payload
        udp = struct.pack("!HHHH", 10000, 20000, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
        frame = b"\x00" * 12 + b"\x08\x00" + ip
        out.append(struct.pack("<IIII", at // 1_000_000, at % 1_000_000, len(frame),
                               len(frame)) + frame)
    path.write_bytes(b"".join(out))


def dtmf_pcap(path: Path, keys: str, gap_ms: int) -> None:
    """Write RFC 4733 packets pressing *keys*, *gap_ms* apart, as a pcap sipp can replay.

    sipp's own dtmf_2833_N.pcap files all carry the same RTP timestamp, and a
    receiver (rightly) takes a second event with that timestamp for a
    retransmission of the first, so each key here gets its own timestamp.
    """
    packets: list[Packet] = []
    seq = 1000
    for index, key in enumerate(keys):
        timestamp = 8000 + index * gap_ms * 8
        t_us = index * gap_ms * 1000
        for n in range(10):
            end = n >= 7
            duration = min(n + 1, 8) * 160 - 160 if n < 7 else 8 * 160
            payload = struct.pack("!BBH", _EVENTS[key], (0x80 if end else 0) | 10, duration)
            at = t_us + min(n, 7) * 20_000 + (n - 7 if n > 7 else 0) * 40
            packets.append((at, 101, n == 0, seq, timestamp, payload))
            seq += 1 if n < 8 else 0
    rtp_pcap(path, packets, 0x1234ABCD)


def speech_pcap(path: Path, ulaw: bytes) -> None:
    """Write G.711 µ-law audio (8 kHz) as 20 ms PCMU packets (payload type 0) for sipp."""
    packets: list[Packet] = [
        (n * 20_000, 0, n == 0, 2000 + n, n * 160, ulaw[n * 160:(n + 1) * 160])
        for n in range(len(ulaw) // 160)
    ]
    rtp_pcap(path, packets, 0x5EEC0001)


@dataclass(frozen=True)
class Caller:
    """What each caller of a scenario does: keys, *gap_ms* apart, after *first_ms*; then holds.

    With *speech* (8 kHz G.711 µ-law) the caller sends that audio after the keys (or,
    without keys, after *first_ms*) as PCMU RTP: a spoken answer, silence around it.
    """

    agi_url: str = ""
    flow: str = "main"
    keys: str = ""
    first_ms: int = 2000
    gap_ms: int = 1200
    hold_ms: int = 3000
    #: The caller number; sipp replaces ``[call_number]`` in it with the call's (1, 2, …).
    caller: str = "0212345678"
    speech: bytes = field(default=b"", repr=False)


def scenario(caller: Caller, pcap: Path, speech: Path | None = None) -> str:
    """The sipp scenario for *caller*, replaying the key presses in *pcap*, then *speech*."""
    steps = [f'  <pause milliseconds="{caller.first_ms}"/>']
    plays = [(pcap, len(caller.keys) * caller.gap_ms)] if caller.keys else []
    if speech is not None and caller.speech:
        plays.append((speech, len(caller.speech) // 8))
    for file, play_ms in plays:
        # play_pcap_audio returns at once: the pause lets the packets go before what follows.
        steps += [f'  <nop><action><exec play_pcap_audio="{file}"/></action></nop>',
                  f'  <pause milliseconds="{play_ms}"/>']
    text = SCENARIO.read_text()
    for marker, value in (("@AGI@", caller.agi_url), ("@FLOW@", caller.flow),
                          ("@CALLER@", caller.caller), ("@KEYS@", "\n".join(steps)),
                          ("@HOLD_MS@", str(caller.hold_ms))):
        text = text.replace(marker, value)
    return text


def _write(workdir: Path, caller: Caller) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    pcap = workdir / "keys.pcap"
    dtmf_pcap(pcap, caller.keys, caller.gap_ms)
    speech = workdir / "speech.pcap"
    speech_pcap(speech, caller.speech)
    path = workdir / "call.xml"
    path.write_text(scenario(caller, pcap, speech))
    return path


async def sip_call(
    workdir: Path, agi_url: str, flow: str = "main", keys: str = "", first_ms: int = 2000,
    gap_ms: int = 1200, hold_ms: int = 3000, number: str = "1000",
) -> tuple[int, str]:
    """Place one call with sipp; return its exit code and output (0 = the call completed)."""
    path = _write(workdir, Caller(agi_url, flow, keys, first_ms, gap_ms, hold_ms))
    process = await asyncio.create_subprocess_exec(
        "sipp", f"127.0.0.1:{SIP_PORT}", "-sf", str(path), "-s", number, "-m", "1",
        "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(free_udp_port() & ~1),
        "-timeout", "60s", "-nostdin", "-trace_err", "-error_file", str(workdir / "sipp.err"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=workdir,
    )
    out, _ = await process.communicate()
    errors = (workdir / "sipp.err").read_text() if (workdir / "sipp.err").exists() else ""
    return process.returncode or 0, out.decode(errors="replace")[-3000:] + errors[-3000:]


@dataclass(frozen=True)
class LoadResult:
    """What sipp counted for one load level."""

    attempted: int
    completed: int
    failed: int
    exit_code: int
    errors: str


async def sip_load(workdir: Path, caller: Caller, number: str, calls: int, concurrency: int,
                   rate: float, timeout_s: float, target: str = f"127.0.0.1:{SIP_PORT}"
                   ) -> LoadResult:
    """Place *calls* calls to *number*, at most *concurrency* at once, *rate* new calls a second.

    One sipp process places every call (one per call would cost more CPU than the
    calls themselves); its statistics file gives the counts.
    """
    path = _write(workdir, caller)
    stats = workdir / "stats.csv"
    errors = workdir / "sipp.err"
    process = await asyncio.create_subprocess_exec(
        "sipp", target, "-sf", str(path), "-s", number, "-m", str(calls),
        "-l", str(concurrency), "-r", str(max(1, round(rate * 10))),
        "-rp", "10000", "-i", "127.0.0.1", "-p", str(free_udp_port()),
        "-mp", str(free_udp_port() & ~1), "-timeout", f"{int(timeout_s)}s",
        "-timeout_error", "-max_socket", str(max(1024, concurrency * 4)), "-nostdin",
        "-trace_stat", "-stf", str(stats), "-fd", "1", "-trace_err", "-error_file", str(errors),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, cwd=workdir,
    )
    _, err = await process.communicate()
    attempted = completed = failed = 0
    if stats.exists():
        rows = list(csv.DictReader(stats.read_text().splitlines(), delimiter=";"))
        if rows:
            last = rows[-1]
            attempted = int(last.get("TotalCallCreated") or 0)
            completed = int(last.get("SuccessfulCall(C)") or 0)
            failed = int(last.get("FailedCall(C)") or 0)
    text = err.decode(errors="replace")[-2000:]
    if errors.exists():
        text += errors.read_text(errors="replace")[-2000:]
    return LoadResult(attempted, completed, failed, process.returncode or 0, text)
