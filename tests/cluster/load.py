"""Callers for the cluster tests: groups of real SIP calls (sipp) sent to Kamailio."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from ivr.bench.sipp import dtmf_pcap
from ivr.ports import free_udp_port

SCENARIO = Path(__file__).with_name("sipp") / "caller.xml"
#: Kamailio, the cluster's SIP front door (scripts/cluster).
FRONT_DOOR = "127.0.0.4:5060"


@dataclass(frozen=True)
class Group:
    """Callers that all do the same: wait *first_ms*, press *keys*, stay *hold_ms*, hang up.

    Caller numbers are *prefix* followed by sipp's call number (1, 2, …), so every call
    can be found in the store by its number.
    """

    prefix: str
    calls: int
    keys: str
    #: The queue the flow must hand these callers to.
    queue: str
    first_ms: int = 2000
    hold_ms: int = 4000
    rate: float = 10.0
    gap_ms: int = 1200

    def callers(self) -> list[str]:
        """Every caller number of the group."""
        return [f"{self.prefix}{n}" for n in range(1, self.calls + 1)]


@dataclass
class GroupRun:
    """What sipp saw of a group's calls."""

    group: Group
    code: int
    successful: int
    failed: int
    output: str


def _count(label: str, output: str) -> int:
    # The last screen sipp prints: "Successful call | <periodic> | <cumulative>".
    found = re.findall(rf"{label}\s*\|\s*\d+\s*\|\s*(\d+)", output)
    return int(found[-1]) if found else 0


def scenario(group: Group, pcap: Path) -> str:
    """The sipp scenario of *group*, pressing its keys from *pcap*."""
    steps = [f'  <pause milliseconds="{group.first_ms}"/>']
    if group.keys:
        steps += [f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>',
                  f'  <pause milliseconds="{len(group.keys) * group.gap_ms}"/>']
    text = SCENARIO.read_text()
    for marker, value in (("@PREFIX@", group.prefix), ("@KEYS@", "\n".join(steps)),
                          ("@HOLD_MS@", str(group.hold_ms))):
        text = text.replace(marker, value)
    return text


async def run_group(workdir: Path, group: Group) -> GroupRun:
    """Place every call of *group* through Kamailio; return when sipp is done."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    pcap = workdir / "keys.pcap"
    dtmf_pcap(pcap, group.keys or "1", group.gap_ms)
    path = workdir / "caller.xml"
    path.write_text(scenario(group, pcap))
    errors = workdir / "sipp.err"
    process = await asyncio.create_subprocess_exec(
        "sipp", FRONT_DOOR, "-sf", str(path), "-s", "1000", "-m", str(group.calls),
        "-l", str(group.calls), "-r", str(group.rate), "-i", "127.0.0.1",
        "-p", str(free_udp_port()), "-mp", str(free_udp_port() & ~1),
        "-timeout", "180s", "-nostdin", "-trace_err", "-error_file", str(errors),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=workdir,
    )
    out, _ = await process.communicate()
    text = out.decode(errors="replace")
    if errors.exists():
        text += "\n--- sipp errors ---\n" + errors.read_text()[-4000:]
    return GroupRun(group, process.returncode or 0, _count("Successful call", text),
                    _count("Failed call", text), text[-6000:])
