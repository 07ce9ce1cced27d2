"""Callback requests are stored durably and claimed exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from ivr.callbacks.store import CallbackStore
from ivr.calls.store import open_store
from tests.callbacks.requests import OFFICE, T0, berlin, request


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


async def test_a_request_round_trips_with_calendar_context_and_history(
    callbacks: CallbackStore,
) -> None:
    made = request(T0)
    await callbacks.add(made)
    got = await callbacks.get(made.request_id)
    assert got is not None
    assert (got.number, got.queue, got.priority, got.status) == (
        "+4930123456", "billing", 5, "pending")
    assert got.calendar == OFFICE
    assert got.context["variables"] == {"account": "1234"}
    assert got.next_attempt_at == T0
    assert [(h.status, h.note) for h in got.history] == [("pending", "requested")]
    assert [r.request_id for r in await callbacks.recent()] == [made.request_id]
    assert await callbacks.recent(["failed"]) == []


async def test_only_due_requests_are_claimed_and_each_once(callbacks: CallbackStore) -> None:
    now_due, evening = request(T0), request(berlin(26, 19))
    await callbacks.add(now_due)
    await callbacks.add(evening)
    claimed = await callbacks.claim(_at(1), "a", lease_s=60)
    assert [r.request_id for r in claimed] == [now_due.request_id]
    assert (claimed[0].status, claimed[0].attempts, claimed[0].claimed_by) == ("dialling", 1, "a")
    assert await callbacks.claim(_at(2), "b", lease_s=60) == []
    assert await callbacks.change(now_due.request_id, "connected", _at(30))
    morning = await callbacks.claim(berlin(27, 9), "b", lease_s=60)
    assert [r.request_id for r in morning] == [evening.request_id]


async def test_an_expired_lease_is_taken_over_and_a_live_one_renewed(
    callbacks: CallbackStore,
) -> None:
    made = request(T0)
    await callbacks.add(made)
    assert len(await callbacks.claim(_at(0), "a", lease_s=30)) == 1
    assert await callbacks.renew(made.request_id, "a", _at(60))
    assert await callbacks.claim(_at(45), "b", lease_s=30) == []
    taken = await callbacks.claim(_at(61), "b", lease_s=30)
    assert [(r.claimed_by, r.attempts) for r in taken] == [("b", 2)]
    assert not await callbacks.renew(made.request_id, "a", _at(120))  # a lost its claim
    got = await callbacks.get(made.request_id)
    assert got is not None
    assert [h.note for h in got.history] == [
        "requested", "claimed", "taken over after the lease ran out"]


async def test_status_changes_are_conditional(callbacks: CallbackStore) -> None:
    made = request(T0)
    await callbacks.add(made)
    assert not await callbacks.change(made.request_id, "connected", _at(1), expect=("queued",))
    assert await callbacks.change(made.request_id, "cancelled", _at(2), "admin:alice")
    assert not await callbacks.change(made.request_id, "dialling", _at(3))
    got = await callbacks.get(made.request_id)
    assert got is not None
    assert got.status == "cancelled"
    assert await callbacks.counts() == {"cancelled": 1}


async def test_a_new_call_cancels_only_the_pending_requests_of_that_number(
    callbacks: CallbackStore,
) -> None:
    mine, dialling, other = request(T0), request(T0), request(T0, number="+4930999")
    for r in (mine, dialling, other):
        await callbacks.add(r)
    await callbacks.change(dialling.request_id, "dialling", _at(1))
    cancelled = await callbacks.cancel_for_number("+4930123456", _at(2), "reached an agent")
    assert cancelled == [mine.request_id]
    statuses = {r.request_id: r.status for r in await callbacks.recent()}
    assert statuses == {mine.request_id: "cancelled", dialling.request_id: "dialling",
                        other.request_id: "pending"}


# Row locks are PostgreSQL's; SQLite has one writer, so only the PostgreSQL store runs this.
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_two_concurrent_claimers_on_postgresql_each_get_disjoint_requests(
    store_url: str,
) -> None:
    first, second = await open_store(store_url), await open_store(store_url)
    try:
        a, b = CallbackStore(first.engine), CallbackStore(second.engine)
        made = [request(T0) for _ in range(20)]
        for r in made:
            await a.add(r)
        rounds = [await asyncio.gather(a.claim(_at(1), "a", 60, limit=3),
                                       b.claim(_at(1), "b", 60, limit=3)) for _ in range(5)]
        got = [r.request_id for pair in rounds for claims in pair for r in claims]
        assert len(got) == len(set(got)) == 20
        assert all(r.attempts == 1 for pair in rounds for claims in pair for r in claims)
    finally:
        await first.close()
        await second.close()
