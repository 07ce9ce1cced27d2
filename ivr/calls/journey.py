"""A call's timeline told as sentences a supervisor reads at a glance.

Used by ``ivr calls show`` and the dashboard's call page, so both tell the
journey the same way. Sensitive entries only ever say that something was given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ivr.calls.record import TimelineEntry


def _digits(d: dict[str, Any]) -> str:
    if d.get("sensitive"):
        return f"entered {d.get('length', '?')} digits (sensitive, not stored)"
    if d.get("interrupted"):
        return f"pressed {d.get('digits')} to skip the prompt"
    return f"pressed {d.get('digits')}"


def _speech(d: dict[str, Any]) -> str:
    confidence = d.get("confidence")
    shown = f" ({float(confidence):.0%} sure)" if isinstance(confidence, int | float) else ""
    option = d.get("option")
    heard = f'said "{d.get("text", "")}"{shown}'
    return f"{heard} → {option}" if option else f"{heard}, which matched nothing"


def _prompt(d: dict[str, Any]) -> str:
    return f'heard "{d["text"]}"' if d.get("text") else f"heard recording {d.get('file')}"


def _clock(seconds: Any) -> str:
    """``6.4`` -> ``0:06``: whole seconds, as the browser's audio player shows a length."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return "unknown length"
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _lookup(d: dict[str, Any]) -> str:
    if "queue" in d and "url" not in d:
        # A queue node's check of AMI's live state before offering a callback.
        wait = d.get("wait_s")
        waits = f"{int(wait) // 60}:{int(wait) % 60:02d}" if wait is not None else "unknown"
        free = d.get("available")
        return (f"checked queue {d['queue']}: {'?' if free is None else free} agent(s) free, "
                f"estimated wait {waits}")
    result = "answered" if d.get("ok") else "failed"
    status = f" (HTTP {d['status']})" if d.get("status") else ""
    return f"looked up {d.get('url')}: {result}{status} in {d.get('latency_ms', '?')} ms"


def _outcome(d: dict[str, Any]) -> str:
    kind = str(d.get("kind"))
    where = d.get("queue") or d.get("target")
    because = f" ({d['reason']})" if d.get("reason") else ""
    return f"ended: {kind.replace('_', ' ')}{' → ' + str(where) if where else ''}{because}"


def _after(d: dict[str, Any]) -> str:
    status = d.get("status")
    wait = d.get("wait_s")
    waited = f" after {float(wait):.0f} s in queue" if isinstance(wait, int | float) else ""
    if status == "answered":
        return f"answered by {d.get('agent') or 'an agent'}{waited}"
    return f"{status} in queue{waited}"


_SAY: dict[str, Callable[[dict[str, Any]], str]] = {
    "call_started": lambda d: f"call from {d.get('caller') or 'unknown'} to flow {d.get('flow')}",
    "node_entered": lambda d: f"entered ({d.get('kind', 'node')})",
    "prompt": _prompt,
    "digits": _digits,
    "speech": _speech,
    "no_input": lambda d: f"said and pressed nothing (attempt {d.get('attempt', '?')})",
    "no_match": lambda d: f"input not understood (attempt {d.get('attempt', '?')})",
    "retry": lambda d: f"asked again: {d.get('reason', '')} (attempt {d.get('attempt', '?')})",
    "option_chosen": lambda d: f"chose {d.get('option')} by {d.get('via', 'key')}",
    "lookup": _lookup,
    "variable_set": lambda d: f"set {d.get('name')} = {d.get('value')}",
    "language_set": lambda d: f"language is now {d.get('language')}",
    "recorded": lambda d: f"left a message of {_clock(d.get('duration_s'))}",
    "survey": lambda d: f"rated {d.get('score')} ({d.get('kind')})",
    "outcome": _outcome,
    "hangup": lambda d: "the caller hung up" if d.get("by") == "caller" else "the IVR hung up",
    "after_ivr": _after,
    "error": lambda d: f"error: {d.get('reason')}",
    "split": lambda d: (f"A/B split: branch {d.get('branch')} ({d.get('percent')}%)"
                        if d.get("branch") else "A/B split: outside its dates, default way"),
    "callback": lambda d: f"callback {d.get('step')} (attempt {d.get('attempt', 0)})"
                          + (f": {d['note']}" if d.get("note") else ""),
}


def describe(entry: TimelineEntry) -> str:
    """One sentence for *entry* (unknown kinds are shown as their data)."""
    say = _SAY.get(entry.kind)
    if say is None:
        return f"{entry.kind}: {entry.data}"
    try:
        return say(entry.data)
    except (KeyError, TypeError, ValueError):
        return f"{entry.kind}: {entry.data}"
