"""Building callback requests and calendars for the callback tests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ivr.callbacks.model import CallbackRequest, Policy
from ivr.callbacks.rules import window
from ivr.flows.parts import Calendar

#: Harbor Telecom's office: weekdays 09:00-17:30, Saturday mornings, Berlin time.
OFFICE = Calendar(timezone="Europe/Berlin",
                  weekly={"mon-fri": "09:00-17:30", "sat": "10:00-13:00"},
                  holidays=[dt.date(2026, 12, 25)])
BERLIN = dt.timezone(dt.timedelta(hours=1))  # November: CET, no daylight saving
#: Thursday 26 November 2026, 10:00 in Berlin.
T0 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN)


def berlin(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    """A Berlin wall-clock time in late 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def request(created: dt.datetime = T0, *, calendar: Calendar | None = OFFICE,
            policy: Policy | None = None, **fields: Any) -> CallbackRequest:
    """A pending request made at *created*, scheduled by the real rules."""
    policy = policy or Policy()
    not_before = fields.pop("not_before", None)
    win = window(created, not_before, calendar, policy)
    values: dict[str, Any] = {
        "request_id": uuid.uuid4().hex, "number": "+4930123456", "queue": "billing",
        "created_at": created, "not_before": not_before or created,
        "next_attempt_at": win.first_attempt, "expires_at": win.expires,
        "calendar": calendar, "max_attempts": policy.max_attempts, "priority": 5,
        "call_id": "1700000000.1", "topic": "billing",
        "context": {"path": ["menu", "billing_queue"], "variables": {"account": "1234"},
                    "transcript": "billing please"},
    }
    values.update(fields)
    return CallbackRequest(**values)
