"""One call: the engine's effects carried out over a transport, its journey written to the store.

The loop is the contract in :mod:`ivr.flows.effects`: non-blocking effects in
order, then the blocking one, whose result goes back to the engine as one
event. A hang-up at any moment (:class:`CallerGone` from the transport: any AGI
command, the ``HANGUP`` line during a lookup, the simulated caller's ``hangup``)
becomes the engine's ``Hangup`` event, so the record ends as abandoned at the
node the caller was in; as interrupted when the hang-up was not the caller's
(:class:`LineLost`: Asterisk vanished or hung up on them itself). The record is
written incrementally and finished in every case, including engine bugs. The live
service, ``ivr simulate`` and ``ivr replay`` all run calls through here; only the
:class:`~ivr.interpreter.transport.Transport` differs, and what answers lookups and
queue checks (:class:`SessionDeps`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import aiohttp

from ivr.ami.client import AmiClient
from ivr.calls.outcome import HANDOFF, OutcomeKind
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.calls.store.base import CallStore
from ivr.flows import effects as fx
from ivr.flows.events import AdapterError, Event, Hangup, LookupDone, LookupFailed, QueueStatus
from ivr.interpreter.lookup import HttpLookups, LookupBackend
from ivr.interpreter.screen_pop import screen_pop, send_screen_pop
from ivr.interpreter.transport import (
    CallerGone,
    CallStopped,
    LineLost,
    Transport,
    TransportFailed,
)

log = logging.getLogger(__name__)


class EngineCall(Protocol):
    """What the session needs of ``ivr.flows.engine.Call``."""

    @property
    def record(self) -> CallRecord:
        """The call record as built so far."""

    @property
    def finished(self) -> bool:
        """True once the IVR part of the call is over."""

    def start(self, now: datetime) -> list[fx.Effect]:
        """Begin the flow; return the first effects."""

    def receive(self, event: Event, now: datetime) -> list[fx.Effect]:
        """Feed the answer to the last blocking effect; return the next effects."""

    def drain_timeline(self) -> list[TimelineEntry]:
        """Return the timeline entries added since the last drain."""


class CallbackTaker(Protocol):
    """Stores the callback request a ``callback`` outcome carries (``ivr.callbacks.intake``)."""

    async def take(self, finish: fx.Finish, record: CallRecord, now: datetime) -> None:
        """Store the request durably before the caller is let go."""


class QueueBoard(Protocol):
    """Answers a queue check from elsewhere than AMI (a replay: the state the call got)."""

    def queue_status(self, check: fx.CheckQueue) -> QueueStatus:
        """The state of ``check.queue`` as the call at ``check.node`` sees it."""


@dataclass
class SessionDeps:
    """What every call shares, whatever its transport: the optional live parts and the clock.

    A queue check is answered by ``board`` if given, else by ``queues`` (the simulator
    gives the states ``--queue`` describes), else by AMI's live board (unknown figures
    without AMI). A lookup is answered by ``lookups`` if given, else over HTTP with
    ``http``. The replay gives a board, a lookup backend and a clock that answer from
    the recorded call.
    """

    store: CallStore | None = None
    ami: AmiClient | None = None
    http: aiohttp.ClientSession | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    callbacks: CallbackTaker | None = None
    queues: Mapping[str, QueueStatus] | None = None
    board: QueueBoard | None = None
    lookups: LookupBackend | None = None

    def queue_status(self, check: fx.CheckQueue) -> QueueStatus:
        """The queue's state now, as far as this process knows it."""
        queue = check.queue
        if self.board is not None:
            return self.board.queue_status(check)
        if self.queues is not None:
            return self.queues.get(queue, QueueStatus(queue, 1, 1, 0, 0.0, 0.0))
        return self.ami.queue_status(queue) if self.ami is not None else QueueStatus(queue)


def channel_variables(finish: fx.Finish, record: CallRecord) -> dict[str, str]:
    """Return the engine's hand-off variables as channel variables (asterisk_conf/extensions.conf).

    Flow variable names may hold dots (``balance.amount``); channel variable
    names may not, so anything outside ``[A-Za-z0-9_]`` becomes ``_``.
    """
    values = {channel_name(name): value for name, value in finish.variables.items()}
    values.setdefault("IVR_CALL_ID", record.call_id)
    return {name: value for name, value in values.items() if value != ""}


def channel_name(name: str) -> str:
    """Turn a variable name into a plain channel-variable name (``a.b`` -> ``a_b``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)[:80] or "_"


class CallSession:
    """Drives one call from ``Call.start`` to ``Finish`` (or the caller hanging up)."""

    def __init__(self, transport: Transport, call: EngineCall, deps: SessionDeps) -> None:
        self.transport = transport
        self.call = call
        self.deps = deps
        #: The screen-pop UserEvent of a hand-off, sent once the line is released.
        self._screen_pop: dict[str, object] | None = None

    async def run(self) -> CallRecord:
        """Run the call to its end and return the finished record."""
        record = self.call.record
        effects = self.call.start(self.deps.clock())  # stamps started_at before the first write
        try:
            # The call's row and its first steps are handed over together (begin first: tasks
            # start in order), so they share one commit: one transaction fewer per call, and
            # still on disk before the caller hears anything.
            if self.deps.store is None:
                # Nothing to store (a replay): no tasks either, so a replayed session runs to
                # its end without an event loop ever having to wait.
                await self._flush()
            else:
                # Dialplan may have answered already, so keys pressed now are kept as well.
                await self.transport.hold(asyncio.gather(
                    self._store("begin", lambda store: store.begin(record)), self._flush()))
            while True:
                event = await self._carry_out(effects)
                if event is None:
                    break
                if isinstance(event, Hangup):
                    # Transports raise CallerGone on a hang-up (FastAGI's speech turn turns
                    # AudioSocket's hang-up frame into that, asking Asterisk whose it was);
                    # one that answers with Hangup instead still ends the call as a hang-up,
                    # never as the engine's answer to the question.
                    raise CallerGone("hung up during the turn")
                effects = self.call.receive(event, self.deps.clock())
                # Stored before the effects run, so a crash while the caller listens still
                # leaves the node they were in; the line keeps the keys pressed meanwhile.
                await self.transport.hold(self._flush())
        except LineLost:
            # Asterisk vanished, or hung up on the caller itself (a shutdown, an administrator):
            # not the caller's doing, so the call is recorded as cut off where it was, as a
            # restart does after our own crash.
            await self._hung_up()
            record.outcome = OutcomeKind.INTERRUPTED
        except CallerGone:
            await self._hung_up()
        except CallStopped:
            raise  # the transport's caller (a replay) says why; the record has no outcome
        except Exception:
            log.exception("call %s failed", record.call_id)
            record.outcome = record.outcome or OutcomeKind.ERROR
            if not self.transport.hung_up:
                await self._try_set("IVR_OUTCOME", "error")
        finally:
            record.ended_at = record.ended_at or self.deps.clock()
            # The last writes are handed to the store first (tasks start in order), then the
            # line goes back to the dialplan at once: a caller handed to a queue enters it
            # without waiting for these commits or the screen-pop's round trip. A crash now
            # leaves what a crash after the variables always left: a record at the hand-off's
            # node, closed as interrupted, with the caller in the queue.
            # Without a store (a replay) no task is made, as at the start.
            writes = asyncio.gather(
                self._flush(), self._store("finish", lambda store: store.finish(record))
            ) if self.deps.store is not None else None
            await self.transport.release()
            await self._send_screen_pop()
            if writes is not None:
                await writes
        return record

    async def _hung_up(self) -> None:
        if self.call.finished:
            return  # the caller hung up while we set the hand-off variables
        try:
            # The engine records the hang-up; its effects are not carried out: the line is
            # gone, and nothing is handed off.
            self.call.receive(Hangup(), self.deps.clock())
        except Exception:
            log.exception("engine failed on hang-up of %s", self.call.record.call_id)

    async def _carry_out(self, effects: Sequence[fx.Effect]) -> Event | None:
        for effect in effects:
            if isinstance(effect, fx.Answer):
                await self.transport.answer()
            elif isinstance(effect, fx.SetVariable):
                await self.transport.set_variables({effect.name: effect.value})
            elif isinstance(effect, fx.Finish):
                await self._finish(effect)
                return None
            else:
                return await self._blocking(effect)
        raise RuntimeError("engine returned effects without a blocking or final one")

    async def _blocking(self, effect: fx.Blocking) -> Event:
        transport = self.transport
        try:
            if isinstance(effect, fx.Play):
                return await transport.play(effect)
            if isinstance(effect, fx.Gather):
                return await transport.gather(effect)
            if isinstance(effect, fx.Lookup):
                lookup = effect
                return await transport.wait(effect, lambda: self._lookup(lookup))
            if isinstance(effect, fx.Record):
                name = f"voicemail/{_file_safe(self.call.record.call_id)}-{effect.node}"
                return await transport.record(effect, name)
            if isinstance(effect, fx.CheckQueue):
                check = effect
                return await transport.wait(effect, lambda: self._queue(check))
        except (TransportFailed, FileNotFoundError, ValueError) as exc:
            kind = type(effect).__name__
            log.warning("call %s: %s failed: %s", self.call.record.call_id, kind, exc)
            cause = exc.__cause__ if isinstance(exc, TransportFailed) and exc.__cause__ else exc
            return AdapterError(reason=type(cause).__name__, details={"error": str(exc)[:200]})
        raise TypeError(f"unknown effect {effect!r}")

    async def _lookup(self, effect: fx.Lookup) -> LookupDone | LookupFailed | AdapterError:
        backend = self.deps.lookups
        if backend is None:
            if self.deps.http is None:
                return AdapterError(reason="no HTTP client configured")
            backend = HttpLookups(self.deps.http)
        return await backend.lookup(effect)

    async def _queue(self, check: fx.CheckQueue) -> QueueStatus:
        return self.deps.queue_status(check)

    async def _finish(self, finish: fx.Finish) -> None:
        if finish.outcome.callback is not None and self.deps.callbacks is not None:
            # Stored first: the caller was promised a call even if they hang up right now.
            try:
                await self.deps.callbacks.take(finish, self.call.record, self.deps.clock())
            except Exception:
                log.exception("callback request of %s NOT stored", self.call.record.call_id)
        await self.transport.set_variables(channel_variables(finish, self.call.record))
        if finish.outcome.kind == OutcomeKind.HANGUP:
            await self.transport.hangup()
        self._follow(finish)

    def _follow(self, finish: fx.Finish) -> None:
        """Follow a handed-off call in AMI, before the line is released and it joins a queue."""
        ami = self.deps.ami
        if ami is None or finish.outcome.kind not in HANDOFF:
            return
        line = self.transport.line
        ami.follow_after_ivr(line.uniqueid, self.call.record.call_id)
        self._screen_pop = screen_pop(line.uniqueid, line.channel, line.caller or "",
                                      channel_variables(finish, self.call.record))

    async def _send_screen_pop(self) -> None:
        if self._screen_pop is not None and self.deps.ami is not None:
            await send_screen_pop(self.deps.ami, self._screen_pop)

    async def _flush(self) -> None:
        entries = self.call.drain_timeline()
        if entries and self.deps.store is not None:
            call_id = self.call.record.call_id
            await self._store("append", lambda store: store.append(call_id, entries))

    async def _store(self, what: str, write: Callable[[CallStore], Awaitable[None]]) -> None:
        store = self.deps.store
        if store is None:
            return
        try:
            await write(store)
        except Exception:
            # A failing store must not hang up on the caller; the error is logged loudly.
            log.exception("call store %s failed for %s", what, self.call.record.call_id)

    async def _try_set(self, name: str, value: str) -> None:
        with contextlib.suppress(CallerGone, TransportFailed):
            await self.transport.set_variables({name: value})


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80]

