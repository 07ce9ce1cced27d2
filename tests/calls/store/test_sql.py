"""The call store keeps each call's journey exactly once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from ivr.calls.outcome import OutcomeKind
from ivr.calls.store import SqlStore, StoreUrlError, open_store
from ivr.calls.store.schema import calls, timeline
from ivr.calls.store.sql import engine_url
from tests.calls.records import at, call, entry


async def _count(store: SqlStore, table: Table = calls) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_call_round_trips_with_its_timeline_in_order(store: SqlStore) -> None:
    rec = call("1700000000.1", caller="+15551230001", dnid="100", linkedid="1700000000.0",
               language="en", instance="a")
    await store.begin(rec)
    first = [entry(0, "call_started", None, flow="main"), entry(1, "node_entered", "menu"),
             entry(2, "prompt", "menu", text="Press 1 for sales")]
    await store.append(rec.call_id, first)
    said = entry(5, "speech", "menu", text="Billing please", confidence=0.91, option="billing")
    await store.append(rec.call_id, [said, entry(5, "option_chosen", "menu", option="billing")])
    rec.timeline = [*first, said]
    rec.ended_at, rec.outcome, rec.queue = at(9), OutcomeKind.QUEUE, "billing"
    rec.path, rec.variables = ["menu", "to_billing"], {"account": "123456"}
    await store.finish(rec)
    await store.flush()

    got = await store.get(rec.call_id)
    assert got is not None
    assert (got.caller, got.dnid, got.linkedid, got.language) == ("+15551230001", "100",
                                                                  "1700000000.0", "en")
    assert got.started_at == at(0)
    assert got.ended_at == at(9)
    assert got.started_at.tzinfo is not None
    assert (got.outcome, got.queue, got.path) == ("queue", "billing", ["menu", "to_billing"])
    assert got.variables == {"account": "123456"}
    assert [e.kind for e in got.timeline] == ["call_started", "node_entered", "prompt",
                                              "speech", "option_chosen"]
    assert got.timeline[3].data == {"text": "Billing please", "confidence": 0.91,
                                    "option": "billing"}
    assert await store.get("no-such-call") is None


async def test_each_call_is_stored_once_when_writes_are_repeated(store: SqlStore) -> None:
    rec = call("dup.1")
    rec.timeline = [entry(0, "call_started"), entry(1, "node_entered", "menu")]
    await store.begin(rec)
    await store.begin(rec)
    await store.append(rec.call_id, rec.timeline)
    rec.outcome, rec.ended_at = OutcomeKind.HANGUP, at(3)
    await store.finish(rec)
    await store.finish(rec)  # a retried finish adds no timeline entries
    await store.flush()
    assert await _count(store) == 1
    assert await _count(store, timeline) == 2


async def test_finish_alone_stores_the_whole_journey(store: SqlStore) -> None:
    # Drivers that do not stream (the simulator) hand over the record once at the end.
    rec = call("only-finish", outcome="self_service", ended_at=at(4))
    rec.timeline = [entry(0, "call_started"), entry(2, "lookup", "balance", ok=True)]
    await store.finish(rec)
    await store.flush()
    got = await store.get("only-finish")
    assert got is not None
    assert [e.kind for e in got.timeline] == ["call_started", "lookup"]


async def test_an_unfinished_call_says_where_the_caller_was(store_url: str) -> None:
    first = await open_store(store_url)
    rec = call("crash.1", instance="host-a:4573")
    await first.begin(rec)
    await first.append(rec.call_id, [entry(0, "call_started"), entry(1, "node_entered", "menu"),
                                     entry(4, "node_entered", "pin")])
    await first.flush()
    # No finish: the service died. A fresh process reads what was committed.
    await first.engine.dispose()
    second = await open_store(store_url)
    try:
        got = await second.get("crash.1")
        assert got is not None
        assert got.outcome is None
        assert got.outcome_node == "pin"
        assert await second.close_interrupted("other-instance", at(60)) == 0
        assert await second.close_interrupted("host-a:4573", at(60)) == 1
        closed = await second.get("crash.1")
        assert closed is not None
        assert (closed.outcome, closed.outcome_node, closed.ended_at) == ("interrupted", "pin",
                                                                          at(4))
    finally:
        await second.close()


async def test_after_ivr_result_is_kept_as_columns_and_timeline(store: SqlStore) -> None:
    rec = call("q.1", outcome="queue", queue="sales", ended_at=at(30))
    await store.finish(rec)
    await store.after_ivr("q.1", "answered", at(52), agent="PJSIP/agent1", wait_s=22.0,
                          talk_s=180.0)
    await store.after_ivr("unknown-call", "abandoned", at(52))
    await store.flush()
    got = await store.get("q.1")
    assert got is not None
    assert (got.after_ivr_status, got.agent, got.queue_wait_s) == ("answered", "PJSIP/agent1",
                                                                   22.0)
    assert got.timeline[-1].kind == "after_ivr"
    assert got.timeline[-1].data["talk_s"] == 180.0
    assert await _count(store) == 1


async def test_naive_times_are_refused_rather_than_guessed(store: SqlStore) -> None:
    rec = call("naive")
    rec.started_at = dt.datetime(2026, 1, 1, 9, 0)
    with pytest.raises(ValueError, match="time zone"):
        await store.begin(rec)
    with pytest.raises(ValueError, match="time zone"):
        await store.after_ivr("naive", "answered", dt.datetime(2026, 1, 1, 9, 5))
    await store.flush()
    assert await store.get("naive") is None


async def test_a_write_returns_only_once_it_is_committed(store_url: str) -> None:
    store = await open_store(store_url)
    other = await open_store(store_url)  # another process's view: sees only what is committed
    try:
        rec = call("durable.1")
        await store.begin(rec)
        await store.append(rec.call_id, [entry(0, "call_started"),
                                         entry(1, "node_entered", "menu")])
        # No flush: what returned is already visible to another connection.
        seen = await other.get("durable.1")
        assert seen is not None
        assert seen.outcome_node == "menu"
    finally:
        await other.close()
        await store.close()


async def test_many_calls_share_one_commit(store: SqlStore) -> None:
    before = store.commits
    await asyncio.gather(*(store.begin(call(f"group.{n}")) for n in range(40)))
    assert await _count(store) == 40
    assert 0 < store.commits - before < 40  # writes that waited together committed together


async def test_a_locked_database_holds_a_call_for_commit_wait_s_at_most(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    store = await open_store(f"sqlite:///{path}", commit_wait_s=0.2)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        # The caller's call waits a little for the disk, then goes on; the write is kept.
        await asyncio.wait_for(store.begin(call("while-locked")), 2)
        assert store.late_commits == 1
        assert store.pending() == 1
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await asyncio.wait_for(store.flush(), 15)
    assert await store.get("while-locked") is not None
    await store.close()


def test_store_urls_map_to_async_drivers_and_bad_ones_say_how_to_fix() -> None:
    assert engine_url("sqlite:///ivr-data/calls.sqlite3") == "sqlite+aiosqlite:///ivr-data/calls.sqlite3"
    assert engine_url("postgresql://ivr@db/ivr") == "postgresql+asyncpg://ivr@db/ivr"
    with pytest.raises(StoreUrlError, match="IVR_STORE_URL"):
        engine_url("mysql://x/y")


async def test_get_many_loads_calls_in_the_order_asked_across_chunks(store: SqlStore) -> None:
    records = []
    for i in range(1203):  # three chunks of ids
        record = call(f"m{i:04d}", start=i, outcome="hangup", ended_at=at(i + 5))
        record.timeline = [entry(i, "call_started", flow="main"),
                           entry(i + 1, "node_entered", f"n{i}", flow="main")]
        records.append(record)
    await asyncio.gather(*(store.finish(r) for r in records))
    await store.flush()
    wanted = [f"m{i:04d}" for i in range(1202, -1, -3)] + ["nosuch"]
    loaded = await store.get_many(wanted)
    assert [r.call_id for r in loaded] == wanted[:-1]
    one = await store.get("m0602")
    assert one is not None
    assert next(r for r in loaded if r.call_id == "m0602") == one
    assert [e.node for e in one.timeline] == [None, "n602"]
    assert await store.get_many([]) == []


async def test_callers_do_not_wait_on_a_database_that_is_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A restarting PostgreSQL refuses every write for seconds. Before, each step of each
    # call waited commit_wait_s for it and keys pressed meanwhile went unheard; now the
    # first failure releases the waiters, and nobody waits until the database answers.
    store = await open_store(f"sqlite:///{tmp_path / 'down.sqlite3'}", commit_wait_s=60)
    hot = store._hot
    real_run = hot.run
    down = asyncio.Event()
    down.set()

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        if down.is_set():
            raise ConnectionRefusedError("the database is restarting")
        return await real_run(*args, **kwargs)

    monkeypatch.setattr(hot, "run", unreachable)
    try:
        await asyncio.wait_for(store.begin(call("during.1")), 5)
        await asyncio.wait_for(store.begin(call("during.2")), 5)
        assert store.late_commits == 2
        assert store.pending() == 2
        down.clear()  # back: the kept writes are committed, and commits are waited for again
        await asyncio.wait_for(store.flush(), 15)
        assert await store.get("during.1") is not None
        assert await store.get("during.2") is not None
        await asyncio.wait_for(store.begin(call("after.1")), 5)
        assert store.late_commits == 2
    finally:
        await store.close()
