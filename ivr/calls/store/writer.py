"""One background task that applies call-store writes in order, in batches (group commit).

A write handed over returns a future that completes when the transaction
holding it has committed, so a call can wait until what it just did is on
disk before the caller hears the next thing. Writes that arrive while a batch
commits are committed together in the next transaction: many calls share one
commit, which keeps SQLite (one writer) fast under load. A failed batch is
retried with back-off rather than dropped: the journey of a call is what
supervisors come for. Only a write that fails for a reason no retry can cure
(*transient* says which) is logged and dropped, alone, so one bad write
cannot stall every call behind it; its future then carries the error.
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
        self._queue: asyncio.Queue[tuple[Write[C], asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._uncommitted = 0
        #: Done from the database's first failure until it answers again (then replaced).
        self._outage: asyncio.Future[None] | None = None
        #: Transactions committed so far (writes per commit shows group commit at work).
        self.commits = 0

    def submit(self, write: Write[C]) -> asyncio.Future[None]:
        """Queue *write*; it is applied after every write submitted before it.

        The returned future is done once the write is committed (or, for a write
        that can never be applied, carries that error). Nobody has to await it:
        the write is committed either way.
        """
        if self._closed:
            raise WriterClosed("the call store is closed")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put_nowait((write, done))
        self._uncommitted += 1
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="store-writer")
        return done

    def outage(self) -> asyncio.Future[None]:
        """A future that is done while the database is unavailable (from its first failure).

        Whoever waits for a commit waits for this too: during an outage nobody should wait
        for the database, since every write is kept and retried anyway.
        """
        if self._outage is None:
            self._outage = asyncio.get_running_loop().create_future()
        return self._outage

    @property
    def pending(self) -> int:
        """Writes not yet committed (queued or in the transaction now running)."""
        return self._uncommitted

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
                for _, done in batch:
                    self._uncommitted -= 1
                    self._queue.task_done()
                    if not done.done():  # cancelled while committing: a waiter learns it
                        done.set_exception(WriterClosed("the call store closed mid-commit"))
                        done.exception()  # retrieved: nobody is obliged to await a write

    async def _commit(self, batch: list[tuple[Write[C], asyncio.Future[None]]]) -> None:
        if await self._retrying([write for write, _ in batch]) is None:
            for _, done in batch:
                done.set_result(None)
            return
        # Some write is bad (a bug, not an outage): apply the others, drop only that one.
        for write, done in batch:
            error = await self._retrying([write])
            if error is None:
                done.set_result(None)
            else:
                log.error("call store dropped a write it can never apply (see the error above)")
                done.set_exception(error)
                done.exception()  # retrieved here: nobody is obliged to await a write

    async def _retrying(self, batch: list[Write[C]]) -> Exception | None:
        """Commit *batch*, retrying while the database is unavailable; the error if it cannot be."""
        delay = RETRY_FIRST_S
        while True:
            try:
                await self._transaction(batch)
                self.commits += 1
                if self._outage is not None and self._outage.done():
                    self._outage = None  # answering again: waiters wait for commits again
                return None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._transient(exc):
                    log.warning("call store write failed: %r", exc)
                    return exc
                outage = self.outage()
                if not outage.done():
                    outage.set_result(None)
                log.warning("call store unavailable (%s); retrying %d changes in %.2fs",
                            exc, len(batch), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
