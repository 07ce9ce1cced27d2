"""One background task that applies call-store writes in order, in batches.

Callers hand over a write and return at once, so a slow or locked database
never holds up a caller's call. Writes that arrive while a batch commits are
committed together in the next transaction, which keeps SQLite (one writer)
fast under load. A failed batch is retried with back-off rather than dropped:
the journey of a call is what supervisors come for. Only a write that fails
for a reason no retry can cure (*transient* says which) is logged and dropped,
alone, so one bad write cannot stall every call behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

C = TypeVar("C")
#: A write: given an open transaction's connection, apply one change.
Write = Callable[[C], Awaitable[None]]

#: Writes applied per transaction at most.
BATCH = 200
#: Back-off after a failed batch, doubling up to the maximum.
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 5.0


class WriterClosed(RuntimeError):
    """A write was handed over after :meth:`BackgroundWriter.close`."""


class BackgroundWriter(Generic[C]):
    """Applies :data:`Write` callables through *transaction*, in submission order."""

    def __init__(
        self,
        transaction: Callable[[list[Write[C]]], Awaitable[None]],
        transient: Callable[[BaseException], bool],
    ) -> None:
        self._transaction = transaction
        self._transient = transient
        self._queue: asyncio.Queue[Write[C]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def submit(self, write: Write[C]) -> None:
        """Queue *write*; it is applied after every write submitted before it."""
        if self._closed:
            raise WriterClosed("the call store is closed")
        self._queue.put_nowait(write)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="store-writer")

    @property
    def pending(self) -> int:
        """Writes not yet committed."""
        return self._queue.qsize()

    async def flush(self) -> None:
        """Wait until everything submitted so far is committed."""
        await self._queue.join()

    async def close(self) -> None:
        """Commit what is queued, then stop taking writes."""
        self._closed = True
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit(self, batch: list[Write[C]]) -> None:
        if await self._retrying(batch):
            return
        # Some write is bad (a bug, not an outage): apply the others, drop only that one.
        for write in batch:
            if not await self._retrying([write]):
                log.error("call store dropped a write it can never apply (see the error above)")

    async def _retrying(self, batch: list[Write[C]]) -> bool:
        """Commit *batch*, retrying while the database is unavailable; False if it cannot be."""
        delay = RETRY_FIRST_S
        while True:
            try:
                await self._transaction(batch)
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._transient(exc):
                    log.warning("call store write failed: %r", exc)
                    return False
                log.warning("call store unavailable (%s); retrying %d changes in %.2fs",
                            exc, len(batch), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
