"""The writer's own database connection: plain driver calls, no SQLAlchemy on the hot path.

Profiling ``ivr bench agi --store`` at 100 concurrent calls showed the store's
CPU going to SQLAlchemy's per-transaction machinery (pool check-out and
pre-ping, statement cache keys, result objects) and, on SQLite, to aiosqlite
hopping to its thread for every cursor, statement and commit: ~80 hops per
call. Here one transaction is at most one hop: SQLite runs the whole batch on
one ``sqlite3`` connection (same pragmas as the engine's connections), on the
event loop itself while that is quick (:class:`SqliteHot`); PostgreSQL runs it
on one ``asyncpg`` connection with prepared statements. Reads and the rest of
the application keep using the SQLAlchemy engine.

A transaction is given as the timeline numbers it must learn first (calls
this process has not numbered yet) and a function that turns what was
learnt into statements (:class:`ivr.calls.store.batch.Tx` builds both).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import asyncpg

log = logging.getLogger(__name__)

#: One statement and the rows it runs for (executemany).
Statement = tuple[str, list[tuple[Any, ...]]]
#: Given the highest stored timeline seq of each asked call, the statements to run.
Plan = Callable[[dict[str, int]], list[Statement]]

_MAX_SEQ = "SELECT call_id, MAX(seq) FROM call_timeline WHERE call_id IN ({}) GROUP BY call_id"


class HotConnection(Protocol):
    """One transaction at a time, committed before :meth:`run` returns."""

    dialect: str

    async def run(self, unknown: Sequence[str], plan: Plan) -> None:
        """Learn the max seq of *unknown*, run ``plan(found)``, commit; roll back on error."""

    async def close(self) -> None:
        """Release the connection."""


def encode_time(value: dt.datetime | None, dialect: str) -> Any:
    """A call time as each database stores it (UTC; SQLAlchemy's text format on SQLite)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: call times must carry a time zone")
    utc = value.astimezone(dt.UTC)
    return utc.replace(tzinfo=None).isoformat(" ", "microseconds") if dialect == "sqlite" else utc


def encode_json(value: Any) -> str:
    """JSON columns take text on both drivers."""
    return json.dumps(value)


#: How long (ms) a transaction run in the writer thread waits for another connection's lock.
BUSY_MS = 10_000
#: An inline transaction slower than this (ms) sends the next ones to the thread for
#: :data:`INLINE_PAUSE_S`: the disk or the machine is slow, and the event loop serves every call.
INLINE_SLOW_MS = 20.0
INLINE_PAUSE_S = 5.0
#: Every LOOP_SAMPLE_S a timer notes how late the event loop runs it; later than LOOP_LATE_MS
#: means the loop is the bottleneck (the machine is out of CPU), and batches go to the thread
#: for LOOP_BEHIND_S, where SQLite's C code runs beside the loop instead of adding to it.
LOOP_SAMPLE_S = 0.05
LOOP_LATE_MS = 5.0
LOOP_BEHIND_S = 1.0
#: The WAL is checkpointed in the thread after this many commits: the hot connection never
#: checkpoints at a commit, which would wait for the disk (fsync) on the event loop.
CHECKPOINT_EVERY = 200


_LOCK_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class _Locked(Exception):
    """Another connection holds the write lock: an inline ``BEGIN`` would have to wait."""


class SqliteHot:
    """One ``sqlite3`` connection: a batch runs on the event loop, or in a thread if it must wait.

    With WAL and ``synchronous=NORMAL`` a commit writes to the page cache and
    waits for no disk, so a batch takes a fraction of a millisecond: run inline,
    it costs less than the hop to a thread and back (``ivr bench sip`` at 400
    callers, alternated with the thread-only writer: the service's CPU a call
    5.9 / 7.8 / 7.0 ms against 7.9 / 8.8 / 8.3, and a shorter wait for the
    step's commit before the next prompt). What would make the loop wait, or
    would add to a loop that is already the bottleneck, goes to the thread:
    the first connect; a write lock held by another connection (``BEGIN``
    inline never waits: the holder may be an aiosqlite connection that needs
    this very loop to finish); every batch for a while after one ran slow, or
    while the loop runs late (at 800 callers on two saturated cores, always
    inline lost callers' keys that the thread kept, since there SQLite's C code
    runs beside the loop); and the WAL checkpoints (on a connection of their
    own, since the hot one may be in use on the loop meanwhile).
    """

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._conn: sqlite3.Connection | None = None
        self._busy_ms = BUSY_MS
        self._inline_paused_until = float("-inf")
        self._closed = False
        self._commits = 0
        self._checkpointer: sqlite3.Connection | None = None
        self._checkpointing: asyncio.Future[None] | None = None
        self._sampler: asyncio.TimerHandle | None = None
        self._sample_due = 0.0
        #: Batches run inline and in the thread, and checkpoints made (the tests read them).
        self.inline = 0
        self.threaded = 0
        self.checkpoints = 0

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            # As the engine's connections (sql._sqlite_pragmas), and for the same reasons;
            # checkpoints are made by _checkpoint, never at one of this connection's commits.
            for pragma in ("journal_mode=WAL", f"busy_timeout={BUSY_MS}", "foreign_keys=ON",
                           "synchronous=NORMAL", "wal_autocheckpoint=0"):
                conn.execute(f"PRAGMA {pragma}")
            self._conn = conn
            self._busy_ms = BUSY_MS
        return self._conn

    def _transaction(self, unknown: Sequence[str], plan: Plan, busy_ms: int = BUSY_MS) -> None:
        conn = self._connect()
        if busy_ms != self._busy_ms:
            conn.execute(f"PRAGMA busy_timeout={busy_ms}")
            self._busy_ms = busy_ms
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            # The primary code: extended ones (SQLITE_BUSY_RECOVERY …) carry it in the low byte.
            if busy_ms == 0 and exc.sqlite_errorcode & 0xFF in _LOCK_CODES:
                raise _Locked from exc
            raise
        try:
            found: dict[str, int] = {}
            if unknown:
                sql = _MAX_SEQ.format(",".join("?" * len(unknown)))
                found = {row[0]: int(row[1]) for row in conn.execute(sql, list(unknown))}
            for sql, params in plan(found):
                conn.executemany(sql, params)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def run(self, unknown: Sequence[str], plan: Plan) -> None:
        """Run the batch inline when that cannot wait, else in the writer thread."""
        keys = list(unknown)
        if self._sampler is None and not self._closed:
            self._sample()
        if self._conn is not None and time.monotonic() >= self._inline_paused_until:
            started = time.perf_counter()
            try:
                self._transaction(keys, plan, busy_ms=0)
            except _Locked:
                pass  # the lock's holder may need this loop: wait for it in the thread
            else:
                if (time.perf_counter() - started) * 1000 > INLINE_SLOW_MS:
                    self._pause(INLINE_PAUSE_S)
                self.inline += 1
                self._committed()
                return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._transaction, keys, plan, BUSY_MS)
        self.threaded += 1
        self._committed()

    def _sample(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._sampler is not None and (now - self._sample_due) * 1000 > LOOP_LATE_MS:
            self._pause(LOOP_BEHIND_S)
        self._sample_due = now + LOOP_SAMPLE_S
        self._sampler = loop.call_at(self._sample_due, self._sample)

    def _pause(self, seconds: float) -> None:
        self._inline_paused_until = max(self._inline_paused_until, time.monotonic() + seconds)

    def _committed(self) -> None:
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0 and (
                self._checkpointing is None or self._checkpointing.done()):
            future = asyncio.get_running_loop().run_in_executor(self._thread, self._checkpoint)
            future.add_done_callback(_checkpoint_done)
            self._checkpointing = future

    def _checkpoint(self) -> None:
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(self._path, isolation_level=None,
                                                 check_same_thread=False)
            self._checkpointer.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        # PASSIVE: copies what no reader still needs, and never blocks a writer.
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self.checkpoints += 1

    async def close(self) -> None:
        """Close the connections in the thread, then the thread (a second close does nothing)."""
        if self._closed:
            return
        self._closed = True
        if self._sampler is not None:
            self._sampler.cancel()

        def shut() -> None:
            for conn in (self._conn, self._checkpointer):
                if conn is not None:
                    conn.close()
            self._conn = self._checkpointer = None
        await asyncio.get_running_loop().run_in_executor(self._thread, shut)
        self._thread.shutdown(wait=True)


def _checkpoint_done(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        # The WAL only grows until the next one works: nothing is lost.
        log.warning("call store: WAL checkpoint failed: %s", exc)


def _numbered(sql: str) -> str:
    """``?`` placeholders (written once for both) as PostgreSQL's ``$1, $2, …``."""
    counter = iter(range(1, 1000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


class PostgresHot:
    """One ``asyncpg`` connection, opened on first use and again after it was lost."""

    dialect = "postgresql"

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None

    async def run(self, unknown: Sequence[str], plan: Plan) -> None:
        """Run the batch in one transaction."""
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._dsn, timeout=10)
        conn = self._conn
        try:
            async with conn.transaction():
                found: dict[str, int] = {}
                if unknown:
                    rows = await conn.fetch(
                        "SELECT call_id, MAX(seq) FROM call_timeline "
                        "WHERE call_id = ANY($1::varchar[]) GROUP BY call_id", list(unknown))
                    found = {row[0]: int(row[1]) for row in rows}
                for sql, params in plan(found):
                    await conn.executemany(_numbered(sql), params)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                asyncpg.exceptions.OperatorInterventionError):
            # The link is gone or going (a restart): the next attempt connects afresh.
            await self.close()
            raise

    async def close(self) -> None:
        """Close the connection (quietly if it is already broken)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 5)
            except (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresError):
                conn.terminate()


def is_transient(exc: BaseException) -> bool:
    """True for failures of the hot connection that a retry can cure."""
    if isinstance(exc, sqlite3.OperationalError):
        return True  # locked, busy, disk I/O: the next attempt may succeed
    return isinstance(exc, OSError | TimeoutError | asyncpg.PostgresConnectionError
                      | asyncpg.InterfaceError | asyncpg.exceptions.OperatorInterventionError
                      | asyncpg.exceptions.CannotConnectNowError)
