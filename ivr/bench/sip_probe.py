"""What ``ivr bench sip`` reads off the machine: CPU and memory from /proc, Asterisk's logs.

Key press to next prompt, measured the same way for both stacks from Asterisk's own
log lines (millisecond timestamps, ``dateformat = %F %T.%3q`` in logger.conf):

* the key: ``DTMF end 'N' received on <channel>`` (the ``dtmf`` log level, written to a
  logger channel the bench adds for the run). Asterisk acts on the end of a key, both
  for ``Background``/``WaitExten`` and for AGI's ``STREAM FILE``/``WAIT FOR DIGIT``;
* the next prompt starting on that channel: ``<channel> Playing '…'`` (verbose 3, from
  ``Background`` in file.c and from res_agi's ``STREAM FILE``), or, when the key led to
  the queue, the dialplan starting ``Queue()`` (``Executing [...] Queue("<channel>", …)``).

For the IVR stack the delay spans Asterisk handing the key to the service over FastAGI,
the service deciding and storing the step, and its next command arriving and starting
playback; for native dialplan it spans the PBX core finding the extension and starting
``Background``. The difference is what the service adds to what a caller hears.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\] (\w+)\[")
_DTMF = re.compile(r"DTMF end '(.)' received on (\S+?),")
_PLAYING = re.compile(r": <([^>]+)> Playing '")
_QUEUE = re.compile(r': Executing \[[^\]]*\] Queue\("([^"]+)"')
_ANSWER = re.compile(r': Executing \[[^\]]*\] Answer\("([^"]+)"')
#: Asterisk's warning that a task processor (the AMI event queue among them) fell behind.
BACKLOG = "task processor queue reached"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of *pid* (all its threads) and of its children it has waited for."""
    with open(f"/proc/{pid}/stat") as fh:
        # The command name may hold spaces: the fields we want follow its closing ')'.
        fields = fh.read().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / _TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory of *pid* now."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class ProcessProbe:
    """CPU used by a process between :meth:`start` and :meth:`stop`, and its peak RSS meanwhile."""

    pid: int
    cpu_s: float = 0.0
    peak_rss: int = 0
    _cpu0: float = 0.0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Take the CPU reading and start sampling memory every 0.25 s."""
        self._cpu0 = cpu_seconds(self.pid)
        self.peak_rss = rss_bytes(self.pid)
        self._task = asyncio.ensure_future(self._sample())

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self.peak_rss = max(self.peak_rss, rss_bytes(self.pid))

    async def stop(self) -> None:
        """Take the second CPU reading."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.cpu_s = cpu_seconds(self.pid) - self._cpu0
        self.peak_rss = max(self.peak_rss, rss_bytes(self.pid))


def _when(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")


def _timed(lines: Iterable[str]) -> Iterator[tuple[dt.datetime, str]]:
    """Each Asterisk log line with its timestamp (lines without one are skipped)."""
    for line in lines:
        if (head := _LINE.match(line)) is not None:
            yield _when(head.group(1)), line


#: What a caller hears next, as the delays are keyed: a prompt plays, or ``Queue()`` starts.
PROMPT_KINDS = ("menu", "queue")


def _prompt_started(line: str) -> tuple[str, str] | None:
    """``(kind, channel)`` when *line* starts what a caller hears next (:data:`PROMPT_KINDS`)."""
    if (play := _PLAYING.search(line)) is not None:
        return "menu", play.group(1)
    if (queue := _QUEUE.search(line)) is not None:
        return "queue", queue.group(1)
    return None


def key_to_prompt_ms(lines: Iterable[str]) -> dict[str, list[float]]:
    """Delays (ms) from each key press to the next prompt on the same channel.

    *lines* are Asterisk log lines of the run, from both the DTMF channel and the
    verbose one, in any order (each file is in order; the two are merged by time).
    Keyed by what started: ``menu`` (a prompt played) or ``queue`` (``Queue()`` ran).
    """
    # (when, order, channel, kind): a key (order 0) sorts before a prompt of the same ms.
    events: list[tuple[dt.datetime, int, str, str]] = []
    for at, line in _timed(lines):
        if (key := _DTMF.search(line)) is not None:
            events.append((at, 0, key.group(2), "key"))
        elif (prompt := _prompt_started(line)) is not None:
            kind, channel = prompt
            events.append((at, 1 + PROMPT_KINDS.index(kind), channel, kind))
    events.sort(key=lambda e: (e[0], e[1]))
    pressed: dict[str, dt.datetime] = {}
    delays: dict[str, list[float]] = {kind: [] for kind in PROMPT_KINDS}
    for at, _order, channel, kind in events:
        if kind == "key":
            pressed.setdefault(channel, at)  # repeated end packets of one key: the first counts
        elif (key_at := pressed.pop(channel, None)) is not None:
            delays[kind].append((at - key_at).total_seconds() * 1000)
    return delays


def speech_to_prompt_ms(lines: Iterable[str], speech_end_ms: int) -> dict[str, list[float]]:
    """Delays (ms) from the end of each caller's words to the next prompt on its channel.

    A speaking caller of ``ivr bench sip --speech`` starts its audio as the call is
    answered and its words end *speech_end_ms* later, so on Asterisk's clock they end
    at the channel's ``Answer()`` plus that. The prompt that answers them is the first
    ``Playing`` (or ``Queue()``) on the channel after then: the menu itself plays over
    AudioSocket, which logs no ``Playing``. sipp starts the audio when the 200 OK
    arrives, a fraction of a millisecond after ``Answer()`` on this machine.
    """
    answered: dict[str, dt.datetime] = {}
    delays: dict[str, list[float]] = {kind: [] for kind in PROMPT_KINDS}
    for at, line in _timed(lines):
        if (answer := _ANSWER.search(line)) is not None:
            answered[answer.group(1)] = at
            continue
        if (prompt := _prompt_started(line)) is None:
            continue
        kind, channel = prompt
        if (start := answered.get(channel)) is not None:
            delay = (at - start).total_seconds() * 1000 - speech_end_ms
            if delay >= 0:  # a prompt before the words ended does not answer them
                answered.pop(channel)
                delays[kind].append(delay)
    return delays


def backlog_warnings(lines: Iterable[str]) -> list[str]:
    """Asterisk's warnings that a task processor queue backed up (e.g. AMI events)."""
    return [line.strip() for line in lines if BACKLOG in line]


def queue_joins(lines: Iterable[str], prefix: str) -> dict[str, str]:
    """Callers whose number starts with *prefix* that entered a queue, from Asterisk's queue_log.

    ``time|uniqueid|queue|agent|ENTERQUEUE|url|callerid|position``: caller number -> queue.
    """
    joined: dict[str, str] = {}
    for line in lines:
        parts = line.rstrip("\n").split("|")
        if len(parts) >= 7 and parts[4] == "ENTERQUEUE" and parts[6].startswith(prefix):
            joined[parts[6]] = parts[2]
    return joined


def percentile(values: list[float], q: float) -> float:
    """The *q* quantile of *values* (nearest rank); NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class LogTail:
    """The lines a file gains from now on (Asterisk appends; nobody rotates during a run)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def read(self) -> list[str]:
        """Every complete line written since this tail was made (or last read)."""
        if not self.path.exists():
            return []
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        return data[:end].decode(errors="replace").splitlines()
