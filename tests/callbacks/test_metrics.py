"""Callback figures from seeded requests are exact (both backends)."""

from __future__ import annotations

import datetime as dt

from ivr.callbacks.metrics import callback_metrics
from ivr.callbacks.store import CallbackStore
from tests.callbacks.requests import T0
from tests.callbacks.seed import seed_callbacks


async def test_seeded_requests_give_exact_figures(callbacks: CallbackStore) -> None:
    await seed_callbacks(callbacks)
    m = await callback_metrics(callbacks.engine)
    assert (m.requested, m.connected, m.failed, m.cancelled, m.open) == (5, 2, 1, 1, 1)
    assert m.completion_rate == 2 / 3
    # done waited 10 minutes, late 25 minutes.
    assert m.avg_time_to_callback_s == 17.5 * 60
    assert m.max_time_to_callback_s == 25 * 60
    assert m.attempts_per_connection == 1.5
    assert m.abandonment_avoided == 2
    # Only requests made in the period count: from T0+4 min, "late" and "waiting".
    later = await callback_metrics(callbacks.engine, T0 + dt.timedelta(minutes=4))
    assert (later.requested, later.connected, later.open) == (2, 1, 1)
    empty = await callback_metrics(callbacks.engine, T0 + dt.timedelta(days=1))
    assert (empty.requested, empty.completion_rate, empty.avg_time_to_callback_s) == (0, None,
                                                                                       None)
