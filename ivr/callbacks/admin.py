"""What a supervisor may do to a callback request (dashboard and CLI share these).

Each action is one conditional status change with a history entry naming who did
it, so an action racing the dispatcher either wins cleanly or reports that the
request had already moved on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ivr.callbacks.model import CallbackRequest
from ivr.callbacks.store import CallbackStore

ACTIONS = ("cancel", "call_now", "reschedule")


class AdminError(ValueError):
    """The action cannot be applied (unknown request, or its status does not allow it)."""


@dataclass(frozen=True, slots=True)
class Done:
    """The request after the action."""

    request: CallbackRequest
    message: str


async def apply(store: CallbackStore, request_id: str, action: str, by: str, now: dt.datetime,
                when: dt.datetime | None = None) -> Done:
    """Cancel, call now, or reschedule to *when*; raise :class:`AdminError` with the reason."""
    request = await store.get(request_id)
    if request is None:
        raise AdminError(f"no callback request {request_id!r}")
    if action == "cancel":
        ok = await store.change(request_id, "cancelled", now, f"cancelled by {by}",
                                expect=("pending",), reason=f"cancelled by {by}"[:128])
        message = "cancelled"
    elif action in ("call_now", "reschedule"):
        at = now if action == "call_now" else when
        if at is None or at.tzinfo is None:
            raise AdminError("reschedule needs a date and time with a time zone")
        # A failed or lapsed promise can be reopened: it gets a fresh set of attempts.
        lapse = max(request.expires_at, at + (request.expires_at - request.next_attempt_at))
        note = "call now" if action == "call_now" else f"rescheduled to {at.isoformat()}"
        ok = await store.change(request_id, "pending", now, f"{note} by {by}",
                                expect=("pending", "failed", "expired"), next_attempt_at=at,
                                expires_at=lapse if lapse > at else at + dt.timedelta(hours=24),
                                attempts=0 if request.status != "pending" else request.attempts)
        message = "will be called as soon as an agent is free" if action == "call_now" \
            else f"rescheduled to {at:%Y-%m-%d %H:%M %Z}"
    else:
        raise AdminError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    if not ok:
        raise AdminError(f"the request is {request.status}; {action.replace('_', ' ')} "
                         "is not possible now")
    after = await store.get(request_id)
    assert after is not None
    return Done(after, message)
