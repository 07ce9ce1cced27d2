"""The writer's own database connection: plain driver calls, no SQLAlchemy on the hot path.

Profiling ``ivr bench agi --store`` at 100 concurrent calls showed the store's
CPU going to SQLAlchemy's per-transaction machinery (pool check-out and
pre-ping, statement cache keys, result objects) and, on SQLite, to aiosqlite
hopping to its thread for every cursor, statement and commit: ~80 hops per
call. Here one transaction is one hop: SQLite runs the whole batch in a
thread of its own (``sqlite3``, same pragmas as the engine's connections);
PostgreSQL runs it on one ``asyncpg`` connection with prepared statements.
Reads and the rest of the application keep using the SQLAlchemy engine.

A transaction is given as the timeline numbers it must learn first (calls
this process has not numbered yet) and a function that turns what was
learnt into statements (:class:`ivr.calls.store.batch.Tx` builds both).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import asyncpg

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


class SqliteHot:
    """A ``sqlite3`` connection living in one worker thread; a batch is one hop to it."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            # As the engine's connections (sql._sqlite_pragmas), and for the same reasons.
            for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON",
                           "synchronous=NORMAL"):
                conn.execute(f"PRAGMA {pragma}")
            self._conn = conn
        return self._conn

    def _transaction(self, unknown: Sequence[str], plan: Plan) -> None:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
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
        """Run the batch in the writer thread."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._transaction, list(unknown), plan)

    async def close(self) -> None:
        """Close the connection in its thread, then the thread (a second close does nothing)."""
        if self._closed:
            return
        self._closed = True

        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        await asyncio.get_running_loop().run_in_executor(self._thread, shut)
        self._thread.shutdown(wait=True)


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
