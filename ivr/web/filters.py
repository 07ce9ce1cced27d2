"""Jinja filters: times in the dashboard's zone, durations, rates, outcome names."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import jinja2

from ivr.calls.journey import describe
from ivr.calls.outcome import OutcomeKind
from ivr.calls.query import IN_PROGRESS

OUTCOME_LABELS: dict[str, str] = {
    OutcomeKind.SELF_SERVICE: "Self-service", OutcomeKind.QUEUE: "Queue",
    OutcomeKind.TRANSFER: "Transfer", OutcomeKind.VOICEMAIL: "Voicemail",
    OutcomeKind.CALLBACK: "Callback", OutcomeKind.HANGUP: "Hung up by IVR",
    OutcomeKind.ABANDONED: "Abandoned", OutcomeKind.ERROR: "Error",
    OutcomeKind.INTERRUPTED: "Interrupted", IN_PROGRESS: "In progress",
}


def install(env: jinja2.Environment, tz: ZoneInfo) -> None:
    """Register the filters on *env*."""

    def when(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        return "" if value is None else value.astimezone(tz).strftime(fmt)

    env.filters["when"] = when
    env.filters["duration"] = duration
    env.filters["pct"] = pct
    env.filters["outcome"] = lambda o: OUTCOME_LABELS.get(o or IN_PROGRESS, str(o))
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
