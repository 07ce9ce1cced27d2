"""The dispatcher's decisions with an injected clock and a real queue board (no Asterisk).

The AMI client is real but never connected: its queue board is loaded from a
``QueueStatus`` snapshot like the one Asterisk sends after login, so the test
controls "an agent is free" exactly, and an attempt's Originate fails (not
connected), which must count as a failed attempt and be retried with back-off.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from ivr.ami.client import AmiClient
from ivr.callbacks.dispatcher import Dispatcher
from ivr.callbacks.model import CallbackRequest
from ivr.callbacks.store import CallbackStore
from ivr.config import CallbacksConfig
from tests.callbacks.requests import berlin, request


class Clock:
    """A settable clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _snapshot(available: bool) -> list[dict[str, str]]:
    return [{"event": "QueueParams", "queue": "billing", "calls": "0", "holdtime": "60"},
            {"event": "QueueMember", "queue": "billing", "name": "Alice", "location": "PJSIP/a",
             "status": "1" if available else "2", "incall": "0" if available else "1"}]


@pytest.fixture
async def dispatcher(callbacks: CallbackStore) -> tuple[Dispatcher, Clock]:
    clock = Clock(berlin(26, 19))
    ami = AmiClient(secret="unused")
    config = CallbacksConfig(backoff_s=120, poll_s=60)
    return Dispatcher(callbacks, None, ami, config, "test", clock), clock


async def _friday_ten(d: Dispatcher, clock: Clock, callbacks: CallbackStore,
                      *more: CallbackRequest) -> None:
    """Friday 10:00, one free agent, two requests made shortly before (and *more*)."""
    clock.now = berlin(27, 10)
    for r in (request(berlin(27, 9, 50)), request(berlin(27, 9, 55)), *more):
        await callbacks.add(r)
    d.ami.board.load_snapshot(_snapshot(available=True))


async def _settle(d: Dispatcher) -> None:
    while d._tasks:  # the attempts this pass started
        await asyncio.gather(*list(d._tasks), return_exceptions=True)


async def test_a_request_made_at_19_00_is_dialled_at_opening_and_only_with_a_free_agent(
    dispatcher: tuple[Dispatcher, Clock], callbacks: CallbackStore,
) -> None:
    d, clock = dispatcher
    made = request(berlin(26, 19))
    await callbacks.add(made)
    d.ami.board.load_snapshot(_snapshot(available=True))
    assert await d.tick() == []  # closed for the night
    clock.now = berlin(27, 8, 59)
    assert await d.tick() == []
    clock.now = berlin(27, 9, 0)
    d.ami.board.load_snapshot(_snapshot(available=False))
    assert await d.tick() == []  # open, but the only agent is on a call
    d.ami.board.load_snapshot(_snapshot(available=True))
    assert await d.tick() == [made.request_id]
    await _settle(d)
    # Originate could not be sent (AMI down): a failed attempt, retried after the back-off.
    got = await callbacks.get(made.request_id)
    assert got is not None
    assert (got.status, got.attempts, got.reason) == ("pending", 1, "failed")
    assert got.next_attempt_at == berlin(27, 9, 2)
    assert [(h.status, h.note) for h in got.history] == [
        ("pending", "requested"), ("dialling", "claimed"), ("dialling", "attempt 1"),
        ("pending", "failed")]


async def test_one_request_per_free_agent_and_expired_promises_are_settled(
    dispatcher: tuple[Dispatcher, Clock], callbacks: CallbackStore,
) -> None:
    d, clock = dispatcher
    stale = request(berlin(20, 10))  # made a week ago: its promise lapsed
    await _friday_ten(d, clock, callbacks, stale)
    claimed = await d.tick()
    assert len(claimed) == 1
    await _settle(d)
    got = await callbacks.get(stale.request_id)
    assert got is not None
    assert got.status == "expired"


async def test_a_callee_being_dialled_elsewhere_takes_the_free_agent(
    dispatcher: tuple[Dispatcher, Clock], callbacks: CallbackStore,
) -> None:
    d, clock = dispatcher
    await _friday_ten(d, clock, callbacks)
    # Another instance is ringing one of them: the queue's only agent is spoken for.
    assert len(await callbacks.claim(clock.now, "other", 60, limit=1)) == 1
    assert await d.tick() == []
    clock.now += dt.timedelta(seconds=61)  # its lease ran out: that agent is free again
    assert len(await d.tick()) == 1
    await _settle(d)


def test_a_bad_dial_string_or_a_lease_shorter_than_the_ring_is_refused() -> None:
    with pytest.raises(ValueError, match="must contain"):
        CallbacksConfig(dial="PJSIP/trunk")
    with pytest.raises(ValueError, match="must contain"):
        CallbacksConfig(dial="PJSIP/{number}@{trunk}")
    with pytest.raises(ValueError, match="must exceed ring_s"):
        CallbacksConfig(ring_s=60, lease_s=60)
    assert CallbacksConfig(dial="Local/{number}@out").dial == "Local/{number}@out"
