"""What an adapter tells the engine: the caller's input and the results of effects.

Every blocking effect (``Play``, ``Gather``, ``Lookup``, ``Record``, ``CheckQueue``) is answered
by exactly one of these events. ``Hangup`` may answer any of them. Events are
frozen so a recorded session can be replayed verbatim in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PlaybackDone:
    """A ``Play`` effect finished without interruption."""


@dataclass(frozen=True, slots=True)
class Digits:
    """The caller pressed keys (answers ``Gather``, or interrupts ``Play``).

    ``digits`` excludes the finish key; ``terminated_by`` is the finish key if
    one ended entry, else ``None`` (max digits or inter-digit timeout).
    """

    digits: str
    terminated_by: str | None = None


@dataclass(frozen=True, slots=True)
class SpeechHeard:
    """A speech recogniser produced a final result for a ``Gather``.

    The engine, not the adapter, maps ``text`` to a menu option, so the
    matching rules are the same in the simulator and on a real call.
    ``evidence`` is what the adapter saw on the way (words heard, N-best,
    decision and why, speech times, latency); the engine only records it.
    ``narrowband``: the words came over a line with no low band (an analogue
    or PSTN leg), where the recogniser's confident picks are least reliable;
    a menu confirms them (``confirm_narrowband``).
    """

    text: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()
    recognition_ms: int | None = None
    evidence: dict[str, Any] | None = field(default=None, compare=False)
    narrowband: bool = False


@dataclass(frozen=True, slots=True)
class NoInput:
    """A ``Gather`` timed out with nothing heard or pressed."""


@dataclass(frozen=True, slots=True)
class LookupDone:
    """A ``Lookup`` HTTP call returned. ``data`` is the decoded JSON body."""

    status: int
    data: Any = None
    latency_ms: int | None = None


@dataclass(frozen=True, slots=True)
class LookupFailed:
    """A ``Lookup`` timed out, could not connect, or returned non-JSON."""

    reason: str
    latency_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """A ``Record`` effect finished; ``file`` is relative to the recordings directory."""

    file: str
    duration_s: float
    reason: str = "silence"  # silence | dtmf | timeout | hangup


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """Live state of a queue (answers ``CheckQueue``). ``None`` fields are unknown."""

    queue: str
    logged_in: int | None = None
    available: int | None = None
    callers: int | None = None
    longest_hold_s: float | None = None
    estimated_wait_s: float | None = None


@dataclass(frozen=True, slots=True)
class Hangup:
    """The caller hung up. Ends the call as abandoned at the current node."""


@dataclass(frozen=True, slots=True)
class AdapterError:
    """The adapter could not carry out the pending effect (e.g. a dialplan app is missing)."""

    reason: str
    details: dict[str, str] = field(default_factory=dict)


Event = (
    PlaybackDone
    | Digits
    | SpeechHeard
    | NoInput
    | LookupDone
    | LookupFailed
    | Recorded
    | QueueStatus
    | Hangup
    | AdapterError
)
