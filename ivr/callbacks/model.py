"""A callback request and its status history (plain data; the rules live in ``rules``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from ivr.flows.parts import Calendar

Status = Literal["pending", "dialling", "queued", "connected", "failed", "cancelled", "expired"]

#: Statuses in which the promise is still open (a new call from the number cancels these).
OPEN: tuple[Status, ...] = ("pending", "dialling", "queued")
#: Every status, in the order a request normally moves through them.
STATUSES: tuple[Status, ...] = (
    "pending", "dialling", "queued", "connected", "failed", "cancelled", "expired"
)


@dataclass(frozen=True, slots=True)
class Policy:
    """How hard the service tries: attempts, back-off between them, how long a promise lasts."""

    max_attempts: int = 3
    backoff_s: float = 300.0
    backoff_factor: float = 2.0
    max_backoff_s: float = 3600.0
    expiry_s: float = 24 * 3600.0
    #: Dial when an agent is free, or when the estimated wait is below this many seconds.
    wait_below_s: float = 30.0


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change of status (``note`` says why: ``no_answer``, ``busy``, ``admin:alice`` …)."""

    at: dt.datetime
    status: Status
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CallbackRequest:
    """A promise to call *number* back and hand them to *queue* at *priority*."""

    request_id: str
    number: str
    queue: str
    created_at: dt.datetime
    #: Earliest moment the caller wants the call ("after 18:00"); the calendar may push it later.
    not_before: dt.datetime
    next_attempt_at: dt.datetime
    expires_at: dt.datetime
    call_id: str | None = None
    priority: int = 0
    flow: str | None = None
    #: What the call was about, spoken to the callee ("returning your call about billing").
    topic: str | None = None
    calendar: Calendar | None = None
    #: path, variables (non-sensitive, shown to the agent), transcript of the original call.
    context: dict[str, Any] = field(default_factory=dict)
    max_attempts: int = 3
    attempts: int = 0
    status: Status = "pending"
    reason: str | None = None
    claimed_by: str | None = None
    lease_until: dt.datetime | None = None
    #: Uniqueid of the channel of the latest attempt (set before dialling).
    channel: str | None = None
    agent: str | None = None
    connected_at: dt.datetime | None = None
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """True while the service still owes the caller a call."""
        return self.status in OPEN

    def waited(self, now: dt.datetime) -> float:
        """Seconds the caller has waited for the callback (to the connection, or to *now*)."""
        end = self.connected_at or now
        return max(0.0, (end - self.created_at).total_seconds())
