"""``ivr demo``: the service on SQLite, a day of scripted calls over FastAGI, then the dashboard.

Everything is real except the callers: the FastAGI listener, the engine, the
HTTP self-service backend, prompt synthesis, the SQLite store and the
dashboard. No Asterisk is needed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ivr.config import Config
from ivr.demo import backend
from ivr.demo.callers import SCRIPT, DemoCall, place_call, uniqueid
from ivr.demo.queue import settle
from ivr.serve.service import IvrService
from ivr.serve.wiring import build_service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: calls placed and the service left running (if asked to)."""

    calls: int
    service: IvrService


#: Pretend seconds a demo caller spends per step of the call (a prompt heard, a key pressed).
SECONDS_PER_STEP = 2.5


def demo_clock(call: DemoCall, tz: ZoneInfo, now: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock for one demo call: its pretend start, then :data:`SECONDS_PER_STEP` per reading.

    A ``today`` call starts ``ago`` before *now* (never before today's midnight in *tz*).

    The scripted callers answer instantly; counting steps gives the records the
    durations a real caller would have, so the dashboard's timings mean something.
    """
    steps = itertools.count()
    if call.today:
        midnight = dt.datetime.combine(now.astimezone(tz).date(), dt.time(), tz)
        begin = max(now - call.ago, midnight)
        return lambda: begin + dt.timedelta(seconds=SECONDS_PER_STEP * next(steps))
    day = (now - call.ago).astimezone(tz)
    start = day.replace(hour=call.local_hour, minute=(7 * len(call.keys)) % 60, second=0,
                        microsecond=0)
    while start.weekday() >= 5:  # the demo office works weekdays; weekend calls move to Friday
        start -= dt.timedelta(days=1)
    return lambda: start + dt.timedelta(seconds=SECONDS_PER_STEP * next(steps))


async def _queue_end(service: IvrService, n: int, call: DemoCall) -> None:
    """Store how the queue call ended, if the IVR did hand the caller to a queue."""
    store = service.store
    if call.queue_end is None or store is None:
        return
    flush = getattr(store, "flush", None)  # the SQL store: what the call wrote is committed
    if flush is not None:
        await flush()
    record = await store.get(uniqueid(n))
    if record is None or record.outcome != "queue":
        log.warning("demo call %d did not reach a queue; no queue result stored", n)
        return
    await settle(store, uniqueid(n), call.queue_end, service.deps.clock())


async def place_demo_calls(config: Config, script: tuple[DemoCall, ...] = SCRIPT) -> DemoResult:
    """Start backend + service, place every scripted call in turn, and return the service."""
    runner = await backend.start()
    try:
        service = await build_service(config)
        await service.start()
        flowset = service.flows.current
        calendars = flowset.document.calendars
        tz = ZoneInfo(next(iter(calendars.values())).timezone) if calendars else ZoneInfo("UTC")
        now = dt.datetime.now(dt.UTC)
        for n, call in enumerate(script):
            service.deps.clock = demo_clock(call, tz, now)
            commands = await place_call(config.agi.host, service.server.port, n, call)
            log.info("demo call %d (%s): %d AGI commands", n, call.description, commands)
            await _queue_end(service, n, call)
            print(f"  call {n + 1:2}/{len(script)}: {call.description}")
        service.deps.clock = lambda: dt.datetime.now(dt.UTC)
        return DemoResult(len(script), service)
    finally:
        await runner.cleanup()
