"""Supervisor actions on callback requests: cancel, call now, reschedule (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.callbacks.admin import AdminError, apply
from ivr.callbacks.store import CallbackStore
from tests.callbacks.requests import T0, berlin
from tests.callbacks.seed import seed_callbacks


async def test_cancel_only_a_pending_request(callbacks: CallbackStore) -> None:
    ids = await seed_callbacks(callbacks)
    done = await apply(callbacks, ids["waiting"], "cancel", "alice", T0)
    assert done.request.status == "cancelled"
    assert done.request.history[-1].note == "cancelled by alice"
    with pytest.raises(AdminError, match="the request is connected"):
        await apply(callbacks, ids["done"], "cancel", "alice", T0)
    with pytest.raises(AdminError, match="no callback request"):
        await apply(callbacks, "nope", "cancel", "alice", T0)


async def test_a_failed_request_can_be_reopened_now_or_later(callbacks: CallbackStore) -> None:
    ids = await seed_callbacks(callbacks)
    now = T0 + dt.timedelta(hours=2)
    reopened = await apply(callbacks, ids["failed"], "call_now", "alice", now)
    assert (reopened.request.status, reopened.request.attempts) == ("pending", 0)
    assert reopened.request.next_attempt_at == now
    assert reopened.request.expires_at > now
    monday = berlin(30, 9, 30)
    later = await apply(callbacks, ids["failed"], "reschedule", "bob", now, monday)
    assert later.request.next_attempt_at == monday
    assert later.request.history[-1].note.startswith("rescheduled to 2026-11-30T09:30")
    with pytest.raises(AdminError, match="time zone"):
        await apply(callbacks, ids["waiting"], "reschedule", "bob", now, None)
    with pytest.raises(AdminError, match="unknown action"):
        await apply(callbacks, ids["waiting"], "explode", "bob", now)
