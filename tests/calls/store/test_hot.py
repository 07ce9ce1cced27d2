"""The writer's own connections, on both databases.

PostgreSQL's comes back after the link is cut and loses nothing. SQLite's commits on the
event loop while that cannot wait, in its thread when it must (another connection's lock,
a slow disk), and checkpoints off the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from ivr.calls.store import SqlStore, hot
from ivr.calls.store.hot import Plan, SqliteHot, Statement
from tests.calls.backends import pg_admin
from tests.calls.records import call, entry


# PostgreSQL only: SQLite has no link to cut.
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_a_cut_link_is_reconnected_and_the_write_is_kept(store: SqlStore) -> None:
    first = call("link.1")
    await store.begin(first)
    database = store.engine.url.database
    # What a restart or a network cut does to every connection of the service.
    await pg_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   f"WHERE datname = '{database}' AND pid <> pg_backend_pid()")
    # The writer either sees its connection closed and opens another, or fails the batch
    # on the dead one and retries it on a new one: in both cases nothing is lost.
    second = call("link.2")
    await asyncio.wait_for(store.begin(second), 10)
    await store.append("link.2", [entry(0, "call_started"), entry(1, "node_entered", "menu")])
    await asyncio.wait_for(store.flush(), 10)
    got = await store.get("link.2")
    assert got is not None
    assert got.outcome_node == "menu"
    assert [e.kind for e in got.timeline] == ["call_started", "node_entered"]
    assert await store.get("link.1") is not None


def _inserting(value: int, threads: list[str]) -> Plan:
    """A plan that inserts *value* into ``t`` and notes the thread it was planned in."""
    def plan(found: dict[str, int]) -> list[Statement]:
        threads.append(threading.current_thread().name)
        return [("INSERT INTO t VALUES (?)", [(value,)])]
    return plan


def _values(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT v FROM t ORDER BY v")]


@pytest.fixture(autouse=True)
def loop_keeps_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded test machine may run a timer late: only the test of that rule may see it."""
    monkeypatch.setattr(hot, "LOOP_LATE_MS", 60_000.0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "hot.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (v INTEGER)")
    return path


async def _three_batches(db: Path) -> tuple[SqliteHot, list[str]]:
    """Write three batches; the writer (closed) and the thread each batch was planned in."""
    writer = SqliteHot(str(db))
    threads: list[str] = []
    try:
        for value in range(3):
            await writer.run([], _inserting(value, threads))
    finally:
        await writer.close()
    return writer, threads


async def test_sqlite_batches_commit_on_the_loop_once_connected(db: Path) -> None:
    writer, threads = await _three_batches(db)
    # The first connects (in the thread); the next run where the loop runs.
    assert threads[0].startswith("store-writer")
    assert threads[1:] == [threading.current_thread().name] * 2
    assert (writer.threaded, writer.inline) == (1, 2)
    assert _values(db) == [0, 1, 2]


async def test_sqlite_waits_for_another_writer_in_its_thread_not_on_the_loop(db: Path) -> None:
    writer = SqliteHot(str(db))
    threads: list[str] = []
    other = sqlite3.connect(db, isolation_level=None)
    try:
        await writer.run([], _inserting(0, threads))
        # A connection this loop must serve holds the write lock (as the engine's may).
        other.execute("BEGIN IMMEDIATE")
        task = asyncio.create_task(writer.run([], _inserting(1, threads)))
        started = time.monotonic()
        await asyncio.sleep(0.3)
        # Waiting inline would hold the loop here for the whole busy timeout (10 s).
        assert time.monotonic() - started < 2
        assert not task.done()
        other.execute("COMMIT")
        await asyncio.wait_for(task, 5)
    finally:
        other.close()
        await writer.close()
    assert threads[-1].startswith("store-writer")
    assert _values(db) == [0, 1]


async def test_sqlite_slow_batch_sends_the_next_ones_to_the_thread(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hot, "INLINE_SLOW_MS", -1.0)  # every inline batch counts as slow
    _, threads = await _three_batches(db)
    assert threads[1] == threading.current_thread().name
    assert threads[2].startswith("store-writer")


async def test_sqlite_batches_go_to_the_thread_while_the_loop_runs_late(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hot, "LOOP_LATE_MS", 20.0)
    monkeypatch.setattr(hot, "LOOP_SAMPLE_S", 0.01)
    writer = SqliteHot(str(db))
    threads: list[str] = []
    try:
        await writer.run([], _inserting(0, threads))
        time.sleep(0.2)  # noqa: ASYNC251 - holds the loop up: its sampler fires ~190 ms late
        await asyncio.sleep(0.05)
        await writer.run([], _inserting(1, threads))
        await asyncio.sleep(hot.LOOP_BEHIND_S + 0.1)  # on time again for a while
        await writer.run([], _inserting(2, threads))
    finally:
        await writer.close()
    assert threads[1].startswith("store-writer")
    assert threads[2] == threading.current_thread().name
    assert _values(db) == [0, 1, 2]


async def test_sqlite_checkpoints_in_the_thread_never_at_a_commit(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hot, "CHECKPOINT_EVERY", 2)
    writer = SqliteHot(str(db))
    try:
        for value in range(4):
            await writer.run([], _inserting(value, []))
        await asyncio.sleep(0.2)  # the checkpoint is not awaited by the writes
        assert writer.checkpoints >= 1
        conn = writer._conn
        assert conn is not None
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    finally:
        await writer.close()
    assert _values(db) == [0, 1, 2, 3]
