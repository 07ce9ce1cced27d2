"""AMI messages, sans I/O: safe action encoding and typed views of the events the IVR uses.

AMI is ``Key: Value`` lines ended by a blank line, so a value carrying a line
break would start a new header (or a new action). Every value we send passes
through :func:`safe_value`. Received messages are normalised to lower-case keys
(:func:`fields_from`) before any other code looks at them, so header spelling
differences between Asterisk versions (``Location``/``Interface``) stay here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

Fields = Mapping[str, str]

#: Asterisk reads AMI lines into a 1024-byte buffer; keep header lines well below it.
MAX_VALUE_CHARS: Final = 900
_HEADER_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_LINE_BREAKS: Final = re.compile(r"[\r\n\x00]+")
#: Device states (AST_DEVICE_*) in which Asterisk counts a member as available.
_AVAILABLE_STATES: Final = frozenset({0, 1})


class AmiError(Exception):
    """An AMI action failed or AMI is not connected."""


def safe_value(value: object) -> str:
    """Render *value* as one header value: line breaks become spaces, length is capped."""
    text = _LINE_BREAKS.sub(" ", str(value))
    return text[:MAX_VALUE_CHARS]


def action(name: str, **headers: object) -> dict[str, str]:
    """Build an action as a header dict; names are checked, values made safe."""
    out = {"Action": _header_name(name)}
    for key, value in headers.items():
        out[_header_name(key)] = safe_value(value)
    return out


def user_event(name: str, headers: Mapping[str, object]) -> dict[str, str]:
    """Build a ``UserEvent`` action (Asterisk re-broadcasts it to every AMI listener)."""
    out = action("UserEvent", UserEvent=_header_name(name))
    for key, value in headers.items():
        out[_header_name(key)] = safe_value(value)
    return out


def _header_name(name: str) -> str:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"not an AMI header name: {name!r}")
    return name


def fields_from(message: Mapping[str, object]) -> dict[str, str]:
    """Normalise a received message: lower-case keys, the last value of repeated headers."""
    out: dict[str, str] = {}
    for key, value in message.items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        out[str(key).lower()] = str(value)
    return out


def _int(fields: Fields, key: str, default: int = 0) -> int:
    raw = fields.get(key, "")
    try:
        return int(raw)
    except ValueError:
        return default


@dataclass(frozen=True, slots=True)
class Member:
    """One queue member (agent) as AMI reports it."""

    queue: str
    interface: str
    name: str
    status: int
    paused: bool
    in_call: bool

    @property
    def available(self) -> bool:
        """Free to take a call now (the same rule Asterisk's ``QueueSummary`` uses)."""
        return not self.paused and not self.in_call and self.status in _AVAILABLE_STATES


def member_from(fields: Fields) -> Member:
    """Parse a member from ``QueueMember`` (status reply) or ``QueueMember*`` events."""
    interface = fields.get("interface") or fields.get("location") or fields.get("stateinterface")
    return Member(
        queue=fields.get("queue", ""),
        interface=interface or "",
        name=fields.get("membername") or fields.get("name") or interface or "",
        status=_int(fields, "status"),
        paused=fields.get("paused", "0") == "1",
        in_call=fields.get("incall", "0") == "1",
    )


@dataclass(frozen=True, slots=True)
class QueueParams:
    """A queue's counters from ``QueueParams`` (average hold time in seconds)."""

    queue: str
    calls: int
    holdtime_s: int
    talktime_s: int
    completed: int
    abandoned: int


def params_from(fields: Fields) -> QueueParams:
    """Parse a ``QueueParams`` message."""
    return QueueParams(
        queue=fields.get("queue", ""),
        calls=_int(fields, "calls"),
        holdtime_s=_int(fields, "holdtime"),
        talktime_s=_int(fields, "talktime"),
        completed=_int(fields, "completed"),
        abandoned=_int(fields, "abandoned"),
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """A caller waiting in a queue."""

    queue: str
    uniqueid: str
    position: int
    wait_s: int


def entry_from(fields: Fields) -> Entry:
    """Parse a ``QueueEntry`` message or a ``QueueCallerJoin`` event."""
    return Entry(
        queue=fields.get("queue", ""),
        uniqueid=fields.get("uniqueid", ""),
        position=_int(fields, "position"),
        wait_s=_int(fields, "wait"),
    )
