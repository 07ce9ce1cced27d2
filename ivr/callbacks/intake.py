"""Turn a finished call's ``callback`` outcome into a stored request (the session calls this)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from zoneinfo import ZoneInfo

from ivr.callbacks.model import CallbackRequest, Policy
from ivr.callbacks.rules import window
from ivr.callbacks.store import CallbackStore
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.calls.store.base import CallStore
from ivr.calls.store.rows import transcripts
from ivr.flows import effects as fx

log = logging.getLogger(__name__)


def shared_variables(finish: fx.Finish) -> dict[str, str]:
    """The flow variables the agent is shown (``IVR_VAR_*``), by their flow names."""
    return {name[len("IVR_VAR_"):]: value for name, value in finish.variables.items()
            if name.startswith("IVR_VAR_")}


def not_before(ask: fx.CallbackAsk, created: dt.datetime) -> dt.datetime | None:
    """``after: "18:00"``: that time today in the calendar's zone (UTC without a calendar)."""
    if ask.after is None:
        return None
    zone = ZoneInfo(ask.calendar.timezone) if ask.calendar else dt.UTC
    hours, minutes = (int(p) for p in ask.after.split(":"))
    local = created.astimezone(zone)
    moment = local.replace(hour=hours % 24, minute=minutes, second=0, microsecond=0)
    return moment if moment > local else None


def build_request(finish: fx.Finish, record: CallRecord, created: dt.datetime,
                  policy: Policy) -> CallbackRequest:
    """The durable request for a finished call whose outcome carries a callback promise."""
    outcome = finish.outcome
    ask = outcome.callback
    assert ask is not None
    after = not_before(ask, created)
    win = window(created, after, ask.calendar, policy)
    return CallbackRequest(
        request_id=uuid.uuid4().hex, call_id=record.call_id, number=ask.number,
        queue=outcome.queue or "", priority=outcome.priority or 0, flow=record.flow,
        topic=ask.topic, calendar=ask.calendar, created_at=created,
        not_before=after or created, next_attempt_at=win.first_attempt, expires_at=win.expires,
        max_attempts=policy.max_attempts,
        context={"path": list(record.path), "variables": shared_variables(finish),
                 "transcript": transcripts(record.timeline), "language": record.language},
    )


class CallbackIntake:
    """Stores callback requests and notes them in the original call's journey."""

    def __init__(self, store: CallbackStore, calls: CallStore | None, policy: Policy) -> None:
        self.store, self.calls, self.policy = store, calls, policy

    async def take(self, finish: fx.Finish, record: CallRecord, now: dt.datetime) -> None:
        """Store the request carried by *finish* (the call ended with outcome ``callback``)."""
        request = build_request(finish, record, now, self.policy)
        await self.store.add(request)
        log.info("callback %s requested for call %s (queue %s, first try %s)",
                 request.request_id, record.call_id, request.queue,
                 request.next_attempt_at.isoformat())
        await journey(self.calls, request, now, "requested",
                      {"first_attempt_at": request.next_attempt_at.isoformat()})


async def journey(calls: CallStore | None, request: CallbackRequest, at: dt.datetime,
                  step: str, data: dict[str, object] | None = None) -> None:
    """Add a ``callback`` entry (requested, attempt, connected …) to the call's journey."""
    if calls is None or request.call_id is None:
        return
    entry = TimelineEntry(at, "callback", None, {"step": step, "request": request.request_id,
                                                 "attempt": request.attempts, **(data or {})})
    try:
        await calls.append(request.call_id, [entry])
    except Exception:
        log.exception("could not add callback %s to call %s", step, request.call_id)
