"""A small in-memory CallStore for the AGI session tests (the real stores have their own tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ivr.calls.record import CallRecord, TimelineEntry


class MemoryStore:
    """Keeps every call in a dict; same contract as ``ivr.calls.store.base.CallStore``."""

    def __init__(self) -> None:
        self.calls: dict[str, CallRecord] = {}
        self.timelines: dict[str, list[TimelineEntry]] = {}
        self.after: dict[str, tuple[str, str | None, float | None]] = {}

    async def begin(self, record: CallRecord) -> None:
        self.calls.setdefault(record.call_id, record)
        self.timelines.setdefault(record.call_id, [])

    async def append(self, call_id: str, entries: Sequence[TimelineEntry]) -> None:
        self.timelines[call_id].extend(entries)

    async def finish(self, record: CallRecord) -> None:
        self.calls[record.call_id] = record

    async def after_ivr(
        self, call_id: str, status: str, at: datetime, agent: str | None = None,
        wait_s: float | None = None, talk_s: float | None = None,
    ) -> None:
        self.after[call_id] = (status, agent, wait_s)

    async def get(self, call_id: str) -> CallRecord | None:
        return self.calls.get(call_id)

    async def close(self) -> None:
        return None
