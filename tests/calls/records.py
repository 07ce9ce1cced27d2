"""Building call records for store and metrics tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ivr.calls.record import CallRecord, TimelineEntry

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    """A time *seconds* after T0."""
    return T0 + dt.timedelta(seconds=seconds)


def entry(seconds: float, kind: Any, node: str | None = None, **data: Any) -> TimelineEntry:
    """A timeline entry *seconds* after T0."""
    return TimelineEntry(at(seconds), kind, node, data)


def call(call_id: str, start: float = 0, **fields: Any) -> CallRecord:
    """A call record starting *start* seconds after T0."""
    fields.setdefault("flow", "main")
    fields.setdefault("flow_version", "v1")
    return CallRecord(call_id=call_id, started_at=at(start), **fields)
