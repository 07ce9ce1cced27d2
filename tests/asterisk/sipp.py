"""Run one SIP call with sipp: RFC 4733 key presses into the sandbox Asterisk."""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
from pathlib import Path

SCENARIO = Path(__file__).with_name("sipp") / "dtmf_call.xml"
SIP_PORT = 5060


def sipp_available() -> tuple[bool, str]:
    """Whether sipp is installed (it replays our RTP with raw sockets: needs root)."""
    if shutil.which("sipp") is None:
        return False, "sipp is not installed (Debian sip-tester)"
    return True, ""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}


def dtmf_pcap(path: Path, keys: str, gap_ms: int) -> None:
    """Write RFC 4733 packets pressing *keys*, *gap_ms* apart, as a pcap sipp can replay.

    sipp's own dtmf_2833_N.pcap files all carry the same RTP timestamp, and a
    receiver (rightly) takes a second event with that timestamp for a
    retransmission of the first, so each key here gets its own timestamp.
    """
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    seq, t_us = 1000, 0
    for index, key in enumerate(keys):
        timestamp = 8000 + index * gap_ms * 8
        t_us = index * gap_ms * 1000
        for n in range(10):
            end = n >= 7
            duration = min(n + 1, 8) * 160 - 160 if n < 7 else 8 * 160
            payload = struct.pack("!BBH", _EVENTS[key], (0x80 if end else 0) | 10, duration)
            rtp = struct.pack("!BBHII", 0x80, (0x80 if n == 0 else 0) | 101, seq, timestamp,
                              0x1234ABCD) + payload
            seq += 1 if n < 8 else 0
            udp = struct.pack("!HHHH", 10000, 20000, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
            frame = b"\x00" * 12 + b"\x08\x00" + ip
            at = t_us + min(n, 7) * 20_000 + (n - 7 if n > 7 else 0) * 40
            out.append(struct.pack("<IIII", at // 1_000_000, at % 1_000_000, len(frame),
                                   len(frame)) + frame)
    path.write_bytes(b"".join(out))


def scenario(
    agi_url: str, flow: str, pcap: Path, first_ms: int, play_ms: int, hold_ms: int
) -> str:
    """The caller scenario: wait *first_ms*, replay *pcap* (lasting *play_ms*), stay *hold_ms*."""
    steps = [
        f'  <pause milliseconds="{first_ms}"/>',
        f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>',
        f'  <pause milliseconds="{play_ms}"/>',
    ]
    text = SCENARIO.read_text()
    for marker, value in (("@AGI@", agi_url), ("@FLOW@", flow), ("@KEYS@", "\n".join(steps)),
                          ("@HOLD_MS@", str(hold_ms))):
        text = text.replace(marker, value)
    return text


async def sip_call(
    workdir: Path, agi_url: str, flow: str = "main", keys: str = "", first_ms: int = 2000,
    gap_ms: int = 1200, hold_ms: int = 3000, number: str = "1000",
) -> tuple[int, str]:
    """Place one call with sipp; return its exit code and output (0 = the call completed)."""
    path = workdir / "dtmf_call.xml"
    pcap = workdir / "keys.pcap"
    dtmf_pcap(pcap, keys, gap_ms)
    play_ms = len(keys) * gap_ms
    path.write_text(scenario(agi_url, flow, pcap, first_ms, play_ms, hold_ms))
    process = await asyncio.create_subprocess_exec(
        "sipp", f"127.0.0.1:{SIP_PORT}", "-sf", str(path), "-s", number, "-m", "1",
        "-i", "127.0.0.1", "-p", str(_free_udp_port()), "-mp", str(_free_udp_port() & ~1),
        "-timeout", "60s", "-nostdin", "-trace_err", "-error_file", str(workdir / "sipp.err"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=workdir,
    )
    out, _ = await process.communicate()
    errors = (workdir / "sipp.err").read_text() if (workdir / "sipp.err").exists() else ""
    return process.returncode or 0, out.decode(errors="replace")[-3000:] + errors[-3000:]
