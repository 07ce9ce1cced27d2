"""When a callback may be dialled, and what happens after each attempt. Pure: the clock is a value.

Business hours come from the flow's calendar (:func:`ivr.flows.hours.is_open`), so
"we'll call you when we open" means the same opening hours the flow's ``branch``
nodes use. A request with no calendar may be dialled at any time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from ivr.callbacks.model import CallbackRequest, Policy, Status
from ivr.flows.events import QueueStatus
from ivr.flows.hours import is_open
from ivr.flows.parts import Calendar, Holiday

#: How far ahead :func:`next_open` looks for an opening (a calendar closed longer is broken).
HORIZON_DAYS = 21

Decision = Literal["dial", "not_due", "closed", "agents_busy", "expired", "not_pending"]
#: How an attempt ended. ``later``: the callee pressed 2; ``abandoned``: left the queue unserved.
Result = Literal["no_answer", "busy", "congestion", "failed", "voicemail", "later", "abandoned"]


def next_open(calendar: Calendar | None, at: dt.datetime) -> dt.datetime | None:
    """Return the first moment at or after *at* when *calendar* is open (None: not within weeks).

    Candidates are *at* itself and every opening time the calendar names, on each
    local day ahead; :func:`is_open` decides, so holidays and overnight ranges
    behave exactly as they do for the flow.
    """
    if at.tzinfo is None:
        raise ValueError("next_open needs an aware datetime")
    if calendar is None or is_open(calendar, at):
        return at
    zone = ZoneInfo(calendar.timezone)
    starts = sorted(_starts(calendar))
    day = at.astimezone(zone).date()
    for offset in range(HORIZON_DAYS + 1):
        date = day + dt.timedelta(days=offset)
        for start in starts:
            moment = dt.datetime.combine(date, start, tzinfo=zone)
            if moment > at and is_open(calendar, moment):
                return moment.astimezone(dt.UTC)
    return None


def _starts(calendar: Calendar) -> set[dt.time]:
    texts: list[str] = []
    for ranges in calendar.weekly.values():
        texts.extend([ranges] if isinstance(ranges, str) else ranges)
    for holiday in calendar.holidays:
        if isinstance(holiday, Holiday):
            texts.extend(holiday.hours)
    out = set()
    for text in texts:
        hours, minutes = text.split("-")[0].split(":")
        out.add(dt.time(int(hours) % 24, int(minutes)))
    return out


@dataclass(frozen=True, slots=True)
class Window:
    """When a new request is first dialled and when the promise lapses."""

    first_attempt: dt.datetime
    expires: dt.datetime


def window(created: dt.datetime, not_before: dt.datetime | None, calendar: Calendar | None,
           policy: Policy) -> Window:
    """Schedule a new request: the later of *created* and *not_before*, moved into opening hours.

    The promise lasts ``policy.expiry_s`` from that first opening, so a Friday-night
    request is still good on Monday morning.
    """
    earliest = max(created, not_before or created)
    first = next_open(calendar, earliest) or earliest
    return Window(first, first + dt.timedelta(seconds=policy.expiry_s))


def decide(request: CallbackRequest, now: dt.datetime, queue: QueueStatus,
           policy: Policy) -> Decision:
    """Say whether the dispatcher may dial *request* at *now*, given its queue's live state."""
    if request.status != "pending":
        return "not_pending"
    if now >= request.expires_at:
        return "expired"
    if now < request.next_attempt_at:
        return "not_due"
    if request.calendar is not None and not is_open(request.calendar, now):
        return "closed"
    free = queue.available is not None and queue.available > 0 and \
        (queue.callers or 0) < queue.available
    short = queue.estimated_wait_s is not None and queue.logged_in and \
        queue.estimated_wait_s < policy.wait_below_s
    return "dial" if free or short else "agents_busy"


def backoff(attempt: int, policy: Policy) -> float:
    """Seconds to wait after failed attempt number *attempt* (1-based), growing, capped."""
    delay = policy.backoff_s * policy.backoff_factor ** max(0, attempt - 1)
    return float(min(delay, policy.max_backoff_s))


@dataclass(frozen=True, slots=True)
class Change:
    """What to store after an attempt: the new status, the next try, why."""

    status: Status
    next_attempt_at: dt.datetime | None
    note: str


def after_attempt(request: CallbackRequest, now: dt.datetime, result: Result,
                  policy: Policy) -> Change:
    """Retry with back-off (inside opening hours) until the attempts or the promise run out.

    ``later`` (the callee asked to be called later) does not use up an attempt's
    failure budget: it only needs the promise to still be open.
    """
    if result != "later" and request.attempts >= request.max_attempts:
        return Change("failed", None, f"{result}; no attempts left")
    delay = policy.backoff_s if result == "later" else backoff(request.attempts, policy)
    retry = next_open(request.calendar, now + dt.timedelta(seconds=delay))
    if retry is None or retry >= request.expires_at:
        return Change("expired", None, f"{result}; the promise lapsed before the next try")
    return Change("pending", retry, result)


def originate_result(reason: str | None) -> Result:
    """Map an ``OriginateResponse`` Reason code (Asterisk's AST_CONTROL_*) to an attempt result.

    1 hung up, 3 rang without answer, 5 busy, 8 congestion; 0 or anything else: failed.
    """
    results: dict[str, Result] = {"1": "no_answer", "3": "no_answer", "5": "busy",
                                  "8": "congestion"}
    return results.get((reason or "").strip(), "failed")
