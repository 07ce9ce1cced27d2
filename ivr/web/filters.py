"""Jinja filters: times in the dashboard's zone, durations, rates, outcome names."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import jinja2

from ivr.calls.journey import describe

OUTCOME_LABELS = {
    "self_service": "Self-service", "queue": "Queue", "transfer": "Transfer",
    "voicemail": "Voicemail", "callback": "Callback", "hangup": "Hung up by IVR",
    "abandoned": "Abandoned", "error": "Error", "interrupted": "Interrupted",
    "in_progress": "In progress",
}


def install(env: jinja2.Environment, tz: ZoneInfo) -> None:
    """Register the filters on *env*."""

    def when(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        return "" if value is None else value.astimezone(tz).strftime(fmt)

    env.filters["when"] = when
    env.filters["duration"] = duration
    env.filters["pct"] = pct
    env.filters["outcome"] = lambda o: OUTCOME_LABELS.get(o or "in_progress", str(o))
    env.filters["describe"] = describe
    env.globals["OUTCOME_LABELS"] = OUTCOME_LABELS
    env.globals["tz_name"] = str(tz)


def duration(seconds: float | None) -> str:
    """``75.2`` -> ``1:15``; None -> an en dash."""
    if seconds is None:
        return "–"
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"


def pct(rate: float | None) -> str:
    """``0.234`` -> ``23.4%``; None (nothing to divide) -> an en dash."""
    return "–" if rate is None else f"{rate * 100:.1f}%"
