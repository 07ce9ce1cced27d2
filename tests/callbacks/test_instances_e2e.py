"""Two ``ivr serve`` instances on one PostgreSQL store dial each callback exactly once.

Requests are seeded straight into the store; both instances' dispatchers race for
them while a test agent serves the queue. Every Local/ channel the instances
originate is counted from an independent AMI observer (Asterisk's own events).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from ivr.callbacks.model import CallbackRequest
from ivr.callbacks.store import CallbackStore
from ivr.calls.store import open_store
from ivr.calls.store.schema import metadata
from ivr.calls.store.sql import engine_url
from tests.asterisk.fixtures import AmiObserver, Sandbox, eventually
from tests.callbacks.instances import start_instance
from tests.callbacks.live import agent_in, fresh_number
from tests.callbacks.requests import request
from tests.conftest import need

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
async def pg_store(pg_database: str | None) -> AsyncIterator[CallbackStore]:
    """Callback requests in an empty, migrated PostgreSQL store (wiped afterwards)."""
    need(pg_database is not None, "PostgreSQL is not reachable on 127.0.0.1:5432")
    assert pg_database is not None
    calls = await open_store(pg_database)
    try:
        yield CallbackStore(calls.engine)
    finally:
        await calls.close()
        engine = create_async_engine(engine_url(pg_database))
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await engine.dispose()


def _due(number: str) -> CallbackRequest:
    now = dt.datetime.now(dt.UTC)
    return request(now, calendar=None, number=number, queue="support", call_id=None)


def _legs(observer: AmiObserver, made: CallbackRequest) -> list[dict[str, str]]:
    """Every callback channel Asterisk created for *made* (one per real dial)."""
    prefix = f"cb-{made.request_id[:16]}-"
    return [e for e in observer.events if e.get("Event") == "Newchannel"
            and e.get("Uniqueid", "").startswith(prefix)]


async def test_two_instances_dial_each_request_exactly_once(
    asterisk: Sandbox, ami_observer: AmiObserver, tmp_path: Path, pg_store: CallbackStore,
    pg_database: str,
) -> None:
    made = [_due(fresh_number()) for _ in range(3)]
    for r in made:
        await pg_store.add(r)
    instances = [start_instance(tmp_path, name, pg_database) for name in ("a", "b")]
    try:
        async with agent_in(ami_observer):
            async def all_connected() -> bool:
                return {r.status for r in await pg_store.recent()} == {"connected"}
            await eventually(all_connected, within_s=120)
    finally:
        for instance in instances:
            instance.stop()
    for r in made:
        got = await pg_store.get(r.request_id)
        assert got is not None
        assert got.attempts == 1
        assert [h.note for h in got.history].count("claimed") == 1
        assert len(_legs(ami_observer, r)) == 1, r.number


async def test_a_killed_instance_loses_its_claim_and_the_other_calls_once_after_the_lease(
    asterisk: Sandbox, ami_observer: AmiObserver, tmp_path: Path, pg_store: CallbackStore,
    pg_database: str,
) -> None:
    made = _due(fresh_number("9"))  # the test callee lets the first call ring out
    await pg_store.add(made)
    async with agent_in(ami_observer):
        first = start_instance(tmp_path, "a", pg_database)
        try:
            async def ringing() -> bool:
                return len(_legs(ami_observer, made)) == 1
            await eventually(ringing, within_s=60)
            first.kill9()
        finally:
            first.stop()
        killed_at = dt.datetime.now(dt.UTC)
        claimed = await pg_store.get(made.request_id)
        assert claimed is not None
        assert (claimed.status, claimed.claimed_by) == ("dialling", "a")
        assert claimed.lease_until is not None
        second = start_instance(tmp_path, "b", pg_database)
        try:
            async def connected() -> bool:
                got = await pg_store.get(made.request_id)
                return got is not None and got.status == "connected"
            await eventually(connected, within_s=90)
        finally:
            second.stop()
    done = await pg_store.get(made.request_id)
    assert done is not None
    assert (done.attempts, done.claimed_by) == (2, "b")
    takeover = [h for h in done.history if h.note == "taken over after the lease ran out"]
    assert len(takeover) == 1
    assert takeover[0].at >= claimed.lease_until > killed_at - dt.timedelta(seconds=31)
    legs = _legs(ami_observer, made)
    assert len(legs) == 2  # the dead instance's unanswered ring, and the takeover's call
    first_leg, second_leg = (leg["Uniqueid"] for leg in legs)
    hung_up = await asyncio.to_thread(
        ami_observer.wait_for,
        lambda e: e.get("Event") == "Hangup" and e.get("Uniqueid") == first_leg, 5)
    # No double call: the first ring had ended before the takeover dialled.
    order = [id(e) for e in ami_observer.events]
    assert order.index(id(hung_up)) < order.index(id(legs[1]))
    assert second_leg.endswith("-2")
