"""``ivr demo``: the service on SQLite, a day of scripted calls over FastAGI, then the dashboard.

Everything is real except the callers and the telephony around them: the FastAGI
listener, the engine, speech recognition (the packaged Korean Vosk model), the HTTP
self-service backend, prompt synthesis, callback scheduling and dialling, the SQLite
store and the dashboard. No Asterisk is needed: the callers play its part
(:mod:`ivr.demo.line`), and :mod:`ivr.demo.callbacks` stands in for AMI.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ivr.calls.store import SqlStore
from ivr.config import Config
from ivr.demo import backend
from ivr.demo.callbacks import DemoCallbacks, Rings
from ivr.demo.callers import SCRIPT, DemoCall, place_call, uniqueid
from ivr.demo.queue import settle
from ivr.demo.report import heard, rang
from ivr.demo.voice import phrase_audio
from ivr.serve.service import IvrService
from ivr.serve.wiring import build_service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: calls placed and the service left running (if asked to)."""

    calls: int
    service: IvrService
    #: Seconds spent synthesising the speech callers' words (espeak-ng + sox).
    voice_s: float = 0.0


#: Pretend seconds a demo caller spends per step of the call (a prompt heard, a key pressed).
SECONDS_PER_STEP = 2.5
#: Pretend time between a callback request and the dispatcher's pass that dials it.
CALLBACK_AFTER = dt.timedelta(minutes=4)


def demo_clock(call: DemoCall, tz: ZoneInfo, now: dt.datetime,
               shown_in: dt.tzinfo | None = None) -> Callable[[], dt.datetime]:
    """A clock for one demo call: its pretend start, then :data:`SECONDS_PER_STEP` per reading.

    A ``today`` call starts ``ago`` before *now*, never before today's midnight in *tz* (the
    office's zone) nor in *shown_in* (the dashboard's, ``web.timezone``): Metrics → today
    counts by the dashboard's day, which starts up to a day apart from the office's.

    The scripted callers answer instantly; counting steps gives the records the
    durations a real caller would have, so the dashboard's timings mean something.
    """
    if call.today:
        midnights = (dt.datetime.combine(now.astimezone(zone).date(), dt.time(), zone)
                     for zone in (tz, shown_in or tz))
        return _steps_from(max(now - call.ago, *midnights))
    # Whole days back are counted in the office's working days, so the calls keep the
    # script's order on every day of the week: counted in calendar days, a Monday moved
    # both "two days ago at 11:00" and "a day ago at 9:00" to Friday, the later one first,
    # and what lists calls oldest first (ivr replay, docs/tools.md) changed with the weekday.
    day = (now - (call.ago - dt.timedelta(days=call.ago.days))).astimezone(tz)
    for _ in range(call.ago.days):
        day -= dt.timedelta(days=1)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
    start = day.replace(hour=call.local_hour, minute=(7 * len(call.keys)) % 60, second=0,
                        microsecond=0)
    # A call never starts in the future (early in the day, "3 hours ago at 21:00" is yesterday),
    # and the demo office works weekdays: weekend calls move to Friday.
    while start > now or start.weekday() >= 5:
        start -= dt.timedelta(days=1)
    return _steps_from(start)


def _steps_from(start: dt.datetime) -> Callable[[], dt.datetime]:
    steps = itertools.count()
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


async def _voices(script: tuple[DemoCall, ...]) -> tuple[dict[int, list[bytes]] | None, float]:
    """Each speaking caller's words as phone audio (None when espeak-ng or sox is missing).

    Also the seconds it took. The same words make the same audio in every position of
    the script (one noise seed), so what the recogniser hears does not depend on order.
    """
    started = time.monotonic()
    voices: dict[int, list[bytes]] = {}
    for n, call in enumerate(script):
        said = [await asyncio.to_thread(phrase_audio, text, 0, call.line) for text in call.says]
        if any(audio is None for audio in said):
            return None, time.monotonic() - started
        voices[n] = [audio for audio in said if audio is not None]
    return voices, time.monotonic() - started


def _demo_callbacks(config: Config, service: IvrService,
                    script: tuple[DemoCall, ...]) -> DemoCallbacks | None:
    """Callbacks dialled by the product's dispatcher with the demo's telephony (SQL store only)."""
    store = service.store
    if not isinstance(store, SqlStore):
        return None
    callees = {call.caller: call.callee for call in script if call.callee is not None}
    demo = DemoCallbacks(config, store, store.engine, service.instance or "demo",
                         lambda: (config.agi.host, service.server.port), callees,
                         lambda: service.deps.clock())
    service.callbacks = demo.callbacks
    service.deps.callbacks = demo.callbacks.intake
    return demo


async def _call_back(service: IvrService, demo: DemoCallbacks | None) -> Rings | None:
    """A few minutes after the caller asked, the dispatcher's next pass dials them."""
    if demo is None:
        return None
    flush = getattr(service.store, "flush", None)
    if flush is not None:
        await flush()
    service.deps.clock = _steps_from(service.deps.clock() + CALLBACK_AFTER)
    return await demo.dial_due()


async def _place(config: Config, service: IvrService, n: int, call: DemoCall,
                 voice: list[bytes], callbacks: DemoCallbacks | None) -> None:
    """One scripted call, what its telephony reports after it, and a line of printout."""
    service.deps.queues = {q.queue: q for q in call.board} if call.board else None
    try:
        line = await place_call(config.agi.host, service.server.port, n, call, voice)
        await service.until_idle()
    finally:
        service.deps.queues = None
    log.info("demo call %d (%s): %d AGI commands", n, call.description, line.commands)
    await _queue_end(service, n, call)
    print(f"  call {n + 1:2}: {call.description}")
    if call.says and service.store is not None:
        print(await heard(service.store, uniqueid(n)))
    if call.callee is not None:
        print(rang(await _call_back(service, callbacks)))


async def place_demo_calls(config: Config, script: tuple[DemoCall, ...] = SCRIPT) -> DemoResult:
    """Start backend + service, place every scripted call in turn, and return the service."""
    config.speech.audiosocket_port = 0  # any free port: the demo's callers are told where
    # The callers' words are synthesised while the service starts (and loads the model).
    speaking = asyncio.create_task(_voices(script))
    runner = await backend.start()
    try:
        service = await build_service(config)
        callbacks = _demo_callbacks(config, service, script)
        await service.start()
        voices, voice_s = await speaking
        if voices is None or service.speech is None:
            print("  (no espeak-ng, sox or speech model: the callers who speak are left out)")
        tz, shown_in = _zone(service), ZoneInfo(config.web.timezone)
        now = dt.datetime.now(dt.UTC)
        placed = 0
        for n, call in enumerate(script):
            if call.says and (voices is None or service.speech is None):
                continue
            service.deps.clock = demo_clock(call, tz, now, shown_in)
            await _place(config, service, n, call, (voices or {}).get(n, []), callbacks)
            placed += 1
        service.deps.clock = lambda: dt.datetime.now(dt.UTC)
        return DemoResult(placed, service, voice_s)
    finally:
        speaking.cancel()
        await runner.cleanup()


def _zone(service: IvrService) -> ZoneInfo:
    """The flows' calendar time zone (the demo's office hours are in it)."""
    calendars = service.flows.current.document.calendars
    return ZoneInfo(next(iter(calendars.values())).timezone) if calendars else ZoneInfo("UTC")
