"""The call store on SQLAlchemy's asyncio engine: SQLite (aiosqlite) or PostgreSQL (asyncpg).

Writes go through one :class:`BackgroundWriter` (group commit) and return once
their transaction has committed, so a call that goes on after ``begin`` or
``append`` knows its step is on disk: a crash at any moment leaves each call's
record at the node the caller was in. If the database cannot commit within
``commit_wait_s`` (an outage, a lock), the call goes on anyway and the write
stays queued and retried: a caller is never held up for long by the database.
Reads use their own connections and never wait for the writer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.calls.store import hot, rows, schema
from ivr.calls.store.batch import AfterIvr, Tx
from ivr.calls.store.migrations import migrate
from ivr.calls.store.writer import BackgroundWriter, Write, WriterClosed
from ivr.ratelimit import RateLimitedLog
from ivr.redact import redact_url

log = logging.getLogger(__name__)

#: Call ids per query when loading many calls (within what both databases accept in IN).
_CHUNK = 500
#: How long a call waits for its write to commit before it goes on regardless.
COMMIT_WAIT_S = 2.0
#: Seconds between two warnings that commits are late.
LATE_LOG_EVERY_S = 10.0

class StoreUrlError(ValueError):
    """``store.url`` names no database this release can use."""


def engine_url(url: str) -> str:
    """Map ``sqlite:///path`` / ``postgresql://…`` to SQLAlchemy's async driver URLs."""
    for prefix, driver in (("sqlite://", "sqlite+aiosqlite://"),
                           ("postgresql://", "postgresql+asyncpg://"),
                           ("postgres://", "postgresql+asyncpg://")):
        if url.startswith(prefix):
            return driver + url[len(prefix):]
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return url
    raise StoreUrlError(
        f"store.url {redact_url(url)!r} is neither sqlite:///PATH nor "
        "postgresql://USER@HOST/DB; "
        "fix store.url in the config (or IVR_STORE_URL)"
    )


#: PostgreSQL error codes a retry cures: class 08 (connection exceptions) and 57P01-57P03
#: (shut down by an administrator or a crash, or not accepting connections yet). A restarting
#: server answers "the database system is shutting down" (57P03), which the driver reports
#: as a plain DBAPIError: taken for a permanent error, the write was dropped, and every later
#: write of that call failed its foreign key (found by tests/cluster/test_faults.py).
_PG_RETRY = ("08", "57P01", "57P02", "57P03")


def is_transient(exc: BaseException) -> bool:
    """True for failures a retry can cure: a locked or unreachable database, a dropped link."""
    if isinstance(exc, DBAPIError):
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if exc.connection_invalidated or (isinstance(code, str) and code.startswith(_PG_RETRY)):
            return True
    # The writer's own connection (hot.py) raises the drivers' errors, not SQLAlchemy's.
    return isinstance(exc, OperationalError | InterfaceError) or hot.is_transient(exc)


def hot_connection(engine: AsyncEngine) -> hot.HotConnection:
    """The writer's own connection to the database *engine* reads from."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            # The writer's connection would hold a database of its own that no read sees.
            raise StoreUrlError("store.url sqlite:///:memory: cannot be shared by the writer "
                                "and the readers; name a file (sqlite:///PATH)")
        return hot.SqliteHot(url.database)
    return hot.PostgresHot(url.set(drivername="postgresql").render_as_string(
        hide_password=False))


def _aware(*times: dt.datetime | None) -> None:
    # Refused at hand-over, in the caller's stack, rather than later in the writer.
    for when in times:
        if when is not None and when.tzinfo is None:
            raise ValueError(f"naive datetime {when!r}: call times must carry a time zone")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the dashboard read while the service writes; busy_timeout waits
    # out another process's write instead of failing; foreign keys cascade deletes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SqlStore:
    """A :class:`~ivr.calls.store.base.CallStore` backed by SQLite or PostgreSQL."""

    def __init__(self, engine: AsyncEngine, commit_wait_s: float = COMMIT_WAIT_S) -> None:
        self.engine = engine
        #: 0 hands writes over without waiting (``ivr bench agi`` compares both).
        self.commit_wait_s = commit_wait_s
        #: Writes a call stopped waiting for (the database was slower than ``commit_wait_s``).
        self.late_commits = 0
        #: Told how long each call step waited for its commit (the caller hears nothing
        #: meanwhile): the service's metrics set it, so an operator sees the disk's share.
        self.observe_wait: Callable[[float], None] | None = None
        # One line per interval, not one per step of every call (the rest are counted).
        self._late_log = RateLimitedLog(log, interval_s=LATE_LOG_EVERY_S)
        self._writer: BackgroundWriter[Tx] = BackgroundWriter(self._apply, is_transient)
        self._hot = hot_connection(engine)
        #: Next timeline seq per call in progress (learned from the database when unknown).
        self._next_seq: dict[str, int] = {}

    @classmethod
    async def open(cls, url: str, commit_wait_s: float = COMMIT_WAIT_S) -> SqlStore:
        """Connect to *url* and bring its schema up to date."""
        engine = create_async_engine(engine_url(url), pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        store = cls(engine, commit_wait_s)
        async with engine.begin() as conn:
            await conn.run_sync(migrate)
        return store

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    # Writes (committed before they return, within commit_wait_s) ----------------------

    async def begin(self, record: CallRecord) -> None:
        """Create the call's row (no-op when it exists)."""
        _aware(record.started_at)
        first = dataclasses.replace(record, timeline=[], path=[], variables={})

        async def write(tx: Tx) -> None:
            # The timeline arrives through append (or finish), never twice.
            tx.add_call(first)

        await self._committed(self._writer.submit(write))

    async def append(self, call_id: str, entries: Sequence[TimelineEntry]) -> None:
        """Add timeline entries and move the call's ``last_node`` forward."""
        batch = list(entries)
        _aware(*(e.at for e in batch))

        async def write(tx: Tx) -> None:
            tx.add_timeline(call_id, batch)

        await self._committed(self._writer.submit(write))

    async def finish(self, record: CallRecord) -> None:
        """Store the outcome; timeline entries not yet appended are added first."""
        _aware(record.started_at, record.ended_at, *(e.at for e in record.timeline))
        final = dataclasses.replace(record, path=list(record.path),
                                    variables=dict(record.variables))
        entries = list(record.timeline)

        async def write(tx: Tx) -> None:
            tx.finish(final, entries)

        await self._committed(self._writer.submit(write))

    async def after_ivr(self, call_id: str, status: str, at: dt.datetime,
                        agent: str | None = None, wait_s: float | None = None,
                        talk_s: float | None = None) -> None:
        """Record what AMI saw after the hand-off, as columns and a timeline entry."""
        _aware(at)
        entry = TimelineEntry(at, "after_ivr", None, {"status": status, "agent": agent,
                                                       "wait_s": wait_s, "talk_s": talk_s})
        after = AfterIvr(call_id, status, agent, wait_s, talk_s, entry)

        async def write(tx: Tx) -> None:
            tx.after_ivr(after)

        # Nobody listens to the IVR any more: AMI handling need not wait for the disk.
        self._writer.submit(write)

    async def _committed(self, done: asyncio.Future[None]) -> None:
        """Wait until *done* is committed: at most ``commit_wait_s``, not at all in an outage.

        While the database is down the write stays queued and is retried, and a caller must
        not wait on it (their keys would go unheard meanwhile).
        """
        if self.commit_wait_s <= 0:
            return
        started = time.monotonic()
        try:
            outage = self._writer.outage()
            if not outage.done():
                await asyncio.wait((done, outage), timeout=self.commit_wait_s,
                                   return_when=asyncio.FIRST_COMPLETED)
            if done.done():
                error = done.exception()
                if isinstance(error, WriterClosed):
                    raise error
                # Committed, or a write that can never be applied: the writer logged it and
                # dropped it alone.
                return
            self.late_commits += 1
            self._late_log.warning("late-commit", "call store did not commit within %.1fs or "
                                   "is unavailable; calls go on and their writes are kept and "
                                   "retried", self.commit_wait_s)
        finally:
            if self.observe_wait is not None:
                self.observe_wait(time.monotonic() - started)

    @property
    def commits(self) -> int:
        """Transactions the writer has committed (fewer than writes: group commit)."""
        return self._writer.commits

    def pending(self) -> int:
        """Writes handed over and not yet committed (a backlog means a slow database)."""
        return self._writer.pending

    async def flush(self) -> None:
        """Wait until every write handed over so far is committed."""
        await self._writer.flush()

    async def close(self) -> None:
        """Commit pending writes and release connections."""
        await self._writer.close()
        await self._hot.close()
        await self.engine.dispose()

    # Reads ----------------------------------------------------------------------------

    async def get(self, call_id: str) -> CallRecord | None:
        """Load one call with its timeline."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(
                select(schema.calls).where(schema.calls.c.call_id == call_id))).mappings().first()
            if row is None:
                return None
            entries = (await conn.execute(
                select(schema.timeline).where(schema.timeline.c.call_id == call_id)
                .order_by(schema.timeline.c.seq))).mappings().all()
        return rows.record_from_rows(row, entries)

    async def get_many(self, call_ids: Sequence[str]) -> list[CallRecord]:
        """Load calls with their timelines in the order of *call_ids* (unknown ids left out).

        Two queries per chunk of ids instead of two per call: replaying a period reads
        thousands of calls.
        """
        out: list[CallRecord] = []
        c, t = schema.calls.c, schema.timeline.c
        async with self.engine.connect() as conn:
            for i in range(0, len(call_ids), _CHUNK):
                chunk = list(call_ids[i:i + _CHUNK])
                found = {row["call_id"]: row for row in (await conn.execute(
                    select(schema.calls).where(c.call_id.in_(chunk)))).mappings()}
                entries: dict[str, list[Any]] = {}
                for entry in (await conn.execute(
                        select(schema.timeline).where(t.call_id.in_(chunk))
                        .order_by(t.call_id, t.seq))).mappings():
                    entries.setdefault(entry["call_id"], []).append(entry)
                out.extend(rows.record_from_rows(found[call_id], entries.get(call_id, []))
                           for call_id in chunk if call_id in found)
        return out

    async def close_interrupted(self, instance: str, at: dt.datetime) -> int:
        """Mark calls this *instance* left unfinished (it crashed) as ended where they were.

        Returns how many calls were closed. The outcome is ``interrupted`` and
        the node is the last one the call reached.
        """
        c = schema.calls.c
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(schema.calls)
                .where(c.instance == instance, c.outcome.is_(None))
                .values(outcome=OutcomeKind.INTERRUPTED, outcome_node=c.last_node,
                        ended_at=func.coalesce(c.last_event_at, c.started_at))
            )
        return int(done.rowcount or 0)

    # Internals ------------------------------------------------------------------------

    async def _apply(self, batch: list[Write[Tx]]) -> None:
        tx = Tx(self._hot.dialect, self._next_seq)
        for write in batch:
            await write(tx)
        try:
            await self._hot.run(tx.unknown(), tx.plan)
        except BaseException:
            # The rolled-back batch may have advanced seq counters; relearn them.
            self._next_seq.clear()
            raise
