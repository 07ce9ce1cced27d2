"""Writes this instance's live state to the shared store when it changes, and every second.

One row per instance in ``live_state`` (upserted), deleted when the service stops
cleanly; after a crash the row simply goes stale and the wallboard drops it. The
state is sampled (in memory) every :data:`WATCH_S` and written as soon as it
differs from what was last written (at most every :data:`MIN_GAP_S` unless
poked), so a caller reaching a node shows up on the wallboard within a fraction
of a second and one dashboard poll; an unchanged state is still
rewritten every :data:`EVERY_S`, which is how the wallboard knows the instance lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.calls.store import schema
from ivr.calls.store.upsert import upsert

log = logging.getLogger(__name__)

#: Seconds between two publications of an unchanged state (the instance's heartbeat): the
#: wallboard drops an instance after 3 s (``ivr.live.state.STALE_AFTER``), two missed beats.
#: Each write costs ~1 ms of CPU, so an idle instance paid 2 ms a second at 0.5 s.
EVERY_S = 1.0
#: Seconds between two looks at the state (cheap: no database unless it changed).
WATCH_S = 0.05
#: Seconds at least between two writes of a changed state (unless poked): under load the
#: state changes at every look, and a write per look (20/s) cost ~1 ms of CPU per call.
MIN_GAP_S = 0.2


class LivePublisher:
    """Publishes ``sample()`` (a JSON-able payload) as *instance*'s row when it changes.

    Unchanged, the row is still rewritten every *every_s*; *watch_s* is how often
    ``sample()`` is looked at.
    """

    def __init__(self, engine: AsyncEngine, instance: str, sample: Callable[[], dict[str, Any]],
                 every_s: float = EVERY_S,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 watch_s: float = WATCH_S, min_gap_s: float = MIN_GAP_S) -> None:
        self.engine = engine
        self.instance = instance
        self.sample = sample
        self.every_s = every_s
        self.watch_s = min(watch_s, every_s)
        self.min_gap_s = min(min_gap_s, every_s)
        self._poked = False
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def publish(self, state: dict[str, Any] | None = None) -> None:
        """Write *state* (default: the current sample) now."""
        values = {"instance": self.instance, "payload": self.sample() if state is None else state,
                  "updated_at": self.clock()}
        async with self.engine.begin() as conn:
            await upsert(conn, schema.live_state, "instance", values)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last: dict[str, Any] | None = None
        written = -math.inf
        while True:
            since = loop.time() - written
            # Sampled only when what it shows could be written: under load the state changes
            # at every look, and building it for hundreds of calls 20 times a second only to
            # drop three samples of four cost more CPU than the writes themselves.
            if self._poked or since >= self.min_gap_s:
                self._poked = False
                state = self.sample()
                if state != last or since >= self.every_s:
                    try:
                        await self.publish(state)
                        last, written = state, loop.time()
                    except Exception:
                        # The wallboard shows this instance as gone until the database is back.
                        log.exception("publishing live state failed; trying again")
                        await asyncio.sleep(self.every_s)
            # A poke (an agent's phone rang) looks again at once; otherwise the next look is
            # when a write may follow: the gap's end, or the next tick once it has passed.
            wait = max(self.watch_s, self.min_gap_s - (loop.time() - written))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()

    def poke(self) -> None:
        """Publish now rather than at the next tick (something an agent waits for changed)."""
        self._poked = True
        self._wake.set()

    def start(self) -> None:
        """Start publishing in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="live-state")

    async def close(self) -> None:
        """Stop publishing and remove this instance's row (its calls leave the wallboard now)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with contextlib.suppress(Exception):
            async with self.engine.begin() as conn:
                await conn.execute(delete(schema.live_state)
                                   .where(schema.live_state.c.instance == self.instance))
