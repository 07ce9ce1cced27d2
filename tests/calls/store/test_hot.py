"""The writer's own PostgreSQL connection comes back after the link is cut, and loses nothing."""

from __future__ import annotations

import asyncio

import pytest

from ivr.calls.store import SqlStore
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
