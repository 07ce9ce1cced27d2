"""Callback figures for a period (the metrics page and the Callbacks page show them).

Definitions, over requests *made* in the period:

- *requested*: requests made; *connected*: the callee was answered by an agent;
- *failed*: attempts or promise ran out (``failed`` + ``expired``); *cancelled*: by a
  supervisor or because the caller reached an agent on a new call; *open*: still owed;
- *completion rate*: connected / (connected + failed), the promises settled either way;
- *time to callback*: from the request to the agent answering, mean and longest;
- *abandonment avoided*: connected requests: callers who would have waited on hold
  (or hung up) and were served by a callback instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.callbacks.model import OPEN
from ivr.calls.store import schema


@dataclass(frozen=True, slots=True)
class CallbackMetrics:
    """The callback figures of one period."""

    requested: int
    connected: int
    failed: int
    cancelled: int
    open: int
    completion_rate: float | None
    avg_time_to_callback_s: float | None
    max_time_to_callback_s: float | None
    attempts_per_connection: float | None

    @property
    def abandonment_avoided(self) -> int:
        """Callers served by a callback instead of waiting on hold."""
        return self.connected


async def callback_metrics(engine: AsyncEngine, since: dt.datetime | None = None,
                           until: dt.datetime | None = None) -> CallbackMetrics:
    """Compute the figures for requests made in ``[since, until)``."""
    t = schema.callbacks.c
    query = select(t.status, t.created_at, t.connected_at, t.attempts)
    if since is not None:
        query = query.where(t.created_at >= since)
    if until is not None:
        query = query.where(t.created_at < until)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    statuses = [r.status for r in rows]
    connected = [r for r in rows if r.status == "connected" and r.connected_at is not None]
    waits = [(r.connected_at - r.created_at).total_seconds() for r in connected]
    failed = sum(s in ("failed", "expired") for s in statuses)
    settled = len(connected) + failed
    return CallbackMetrics(
        requested=len(rows), connected=len(connected), failed=failed,
        cancelled=statuses.count("cancelled"), open=sum(s in OPEN for s in statuses),
        completion_rate=len(connected) / settled if settled else None,
        avg_time_to_callback_s=sum(waits) / len(waits) if waits else None,
        max_time_to_callback_s=max(waits, default=None),
        attempts_per_connection=(sum(r.attempts for r in connected) / len(connected)
                                 if connected else None),
    )
