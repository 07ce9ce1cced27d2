"""What a call session needs of the line the caller is on: the transport seam.

A transport answers the engine's blocking effects with events, in the caller's terms
(keys pressed, words said, silence). It raises :class:`CallerGone` when the caller hangs
up, at whatever moment, and :class:`TransportFailed` when the line refuses a command (the
engine then hears an ``AdapterError`` and takes its error path). A transport (or a lookup
backend or queue board of the session) that cannot go on at all raises :class:`CallStopped`
(a replay whose record holds no answer): the session stops where it is and lets it out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ivr.flows import effects as fx
from ivr.flows.events import Event

T = TypeVar("T")


class CallerGone(Exception):
    """The caller hung up (or the line to them is gone)."""


class LineLost(CallerGone):
    """The line went away without the caller hanging up (the PBX vanished or hung up itself)."""


class TransportFailed(Exception):
    """The line refused a command; ``__cause__`` is the transport's own error."""


class CallStopped(Exception):
    """No answer to the engine would be true (a replay past its record): stop the call here.

    Not a hang-up (the engine hears nothing more, so the record gets no outcome) and not a
    line failure (no error path is taken). :meth:`CallSession.run` re-raises it.
    """


@dataclass(frozen=True, slots=True)
class Line:
    """Who and where the call is, for the hand-off screen pop."""

    uniqueid: str
    channel: str
    caller: str | None


class Transport(Protocol):
    """The caller's line, as the interpreter drives it."""

    @property
    def line(self) -> Line:
        """The call's identity on the telephony side."""

    @property
    def hung_up(self) -> bool:
        """True once the caller is known to be gone."""

    async def answer(self) -> None:
        """Answer the call."""

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """Set hand-off variables (plain channel-variable names), as few round trips as may be."""

    async def hangup(self) -> None:
        """Hang up on the caller."""

    async def release(self) -> None:
        """The call is done with the line: hand it back (the dialplan goes on); send no more."""

    async def play(self, effect: fx.Play) -> Event:
        """Play prompts; ``Digits`` for the key that stopped them, else ``PlaybackDone``."""

    async def gather(self, effect: fx.Gather) -> Event:
        """Ask a question: ``Digits``, ``SpeechHeard`` or ``NoInput``."""

    async def record(self, effect: fx.Record, name: str) -> Event:
        """Play the recording prompt and record the caller into *name* (``Recorded``)."""

    async def wait(self, effect: fx.Lookup | fx.CheckQueue, work: Callable[[], Awaitable[T]]) -> T:
        """Run *work* while the caller waits (they may hang up; a lookup keeps their keys)."""

    async def hold(self, work: Awaitable[object]) -> None:
        """Store the last step (*work*); keys pressed meanwhile stay typed ahead."""
