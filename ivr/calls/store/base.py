"""The interface every call store implements, and that adapters write through.

Writes are incremental so a crash mid-call still leaves a record that says how
far the call got: ``begin`` when the call arrives, ``append`` as the journey
grows, ``finish`` once. Every method is idempotent on ``call_id`` so a retried
write never stores a call twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ivr.calls.record import CallRecord, TimelineEntry


class CallStore(Protocol):
    """Async call-record persistence."""

    async def begin(self, record: CallRecord) -> None:
        """Create the record of a call that just arrived (no-op if it exists)."""

    async def append(self, call_id: str, entries: Sequence[TimelineEntry]) -> None:
        """Add timeline entries to a call in progress."""

    async def finish(self, record: CallRecord) -> None:
        """Store the final state of a call (outcome, end time, path, variables)."""

    async def after_ivr(
        self,
        call_id: str,
        status: str,
        at: datetime,
        agent: str | None = None,
        wait_s: float | None = None,
        talk_s: float | None = None,
    ) -> None:
        """Record what happened after the IVR handed the call on (from AMI)."""

    async def get(self, call_id: str) -> CallRecord | None:
        """Load one call with its timeline."""

    async def close(self) -> None:
        """Flush pending writes and release connections."""
