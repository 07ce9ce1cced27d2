"""Writes this instance's live state to the shared store about twice a second.

One row per instance in ``live_state`` (upserted), deleted when the service stops
cleanly; after a crash the row simply goes stale and the wallboard drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.calls.store import schema

log = logging.getLogger(__name__)

#: Seconds between two publications.
EVERY_S = 0.5


class LivePublisher:
    """Publishes ``sample()`` (a JSON-able payload) as *instance*'s row every *every_s*."""

    def __init__(self, engine: AsyncEngine, instance: str, sample: Callable[[], dict[str, Any]],
                 every_s: float = EVERY_S,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.engine = engine
        self.instance = instance
        self.sample = sample
        self.every_s = every_s
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def publish(self) -> None:
        """Write the current sample now."""
        values = {"instance": self.instance, "payload": self.sample(), "updated_at": self.clock()}
        table = schema.live_state
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(table).values(**values)
        upsert = insert.on_conflict_do_update(
            index_elements=[table.c.instance],
            set_={"payload": insert.excluded.payload, "updated_at": insert.excluded.updated_at})
        async with self.engine.begin() as conn:
            await conn.execute(upsert)

    async def _run(self) -> None:
        while True:
            try:
                await self.publish()
            except Exception:
                # The wallboard shows this instance as gone until the database is back.
                log.exception("publishing live state failed; trying again")
            # A poke (an agent's phone rang) publishes at once instead of at the next tick.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every_s)
            self._wake.clear()

    def poke(self) -> None:
        """Publish now rather than at the next tick (something an agent waits for changed)."""
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
