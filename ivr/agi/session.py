"""One call: the engine's effects carried out as AGI commands, its journey written to the store.

The loop is the contract in :mod:`ivr.flows.effects`: non-blocking effects in
order, then the blocking one, whose result goes back to the engine as one
event. A hang-up at any moment (:class:`ChannelHungUp` from any command, or
the ``HANGUP`` line during a lookup) becomes the engine's ``Hangup`` event, so
the record ends as abandoned at the node the caller was in. The record is
written incrementally and finished in every case, including engine bugs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from ivr.agi.channel import AgiChannel, AgiCommandError, ChannelHungUp
from ivr.agi.media import KeyRules, collect_digits, play, prompt_files, record
from ivr.agi.protocol import LocalProtocolError
from ivr.ami.client import AmiClient
from ivr.ami.messages import AmiError
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.calls.store.base import CallStore
from ivr.flows import effects as fx
from ivr.flows.events import AdapterError, Digits, Event, Hangup, PlaybackDone, QueueStatus
from ivr.serve.lookup import run_lookup

log = logging.getLogger(__name__)

#: Outcomes after which the dialplan puts the caller in front of a person.
HANDOFF_OUTCOMES = frozenset({"queue", "transfer", "voicemail", "callback", "error"})


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


class SpeechGather(Protocol):
    """``ivr.speech.gather`` bound to the process's speech service."""

    async def __call__(self, effect: fx.Gather, channel: AgiChannel, files: Sequence[Path]) -> Any:
        """Run one listening turn; the result has ``.event``."""

    def hears(self, language: str) -> bool:
        """True when a speech model for *language* is available."""


class CallbackTaker(Protocol):
    """Stores the callback request a ``callback`` outcome carries (``ivr.callbacks.intake``)."""

    async def take(self, finish: fx.Finish, record: CallRecord, now: datetime) -> None:
        """Store the request durably before the caller is let go."""


@dataclass
class SessionDeps:
    """What every call shares: where audio lives, and the optional live parts."""

    recordings_dir: Path
    store: CallStore | None = None
    ami: AmiClient | None = None
    http: aiohttp.ClientSession | None = None
    speech: SpeechGather | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    callbacks: CallbackTaker | None = None


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


def handoff_header(name: str) -> str:
    """Name the UserEvent header for a channel variable: ``IVR_QUEUE`` -> ``Ivr-Queue``.

    Flow variables keep their own spelling: ``IVR_VAR_account`` -> ``Ivr-Var-account``.
    """
    if name.startswith("IVR_VAR_"):
        return "Ivr-Var-" + name[len("IVR_VAR_"):].replace("_", "-")
    return "-".join(part.capitalize() for part in name.split("_"))


def flow_variables(channel: AgiChannel) -> dict[str, str]:
    """Seed values from the request: ``agi_arg_N`` as ``arg1``…, and ``?key=value`` pairs."""
    seeded = {f"arg{i}": value for i, value in enumerate(channel.request.args, start=1)}
    seeded.update(channel.request.query)
    return seeded


class CallSession:
    """Drives one call from ``Call.start`` to ``Finish`` (or the caller hanging up)."""

    def __init__(self, channel: AgiChannel, call: EngineCall, deps: SessionDeps) -> None:
        self.channel = channel
        self.call = call
        self.deps = deps

    async def run(self) -> CallRecord:
        """Run the call to its end and return the finished record."""
        record = self.call.record
        effects = self.call.start(self.deps.clock())  # stamps started_at before the first write
        await self._store("begin", record)
        try:
            while True:
                # Stored before the effects run, so a crash while the caller listens
                # still leaves the node they were in.
                await self._flush()
                event = await self._carry_out(effects)
                if event is None:
                    break
                effects = self.call.receive(event, self.deps.clock())
        except ChannelHungUp:
            await self._hung_up()
        except Exception:
            log.exception("call %s failed", record.call_id)
            record.outcome = record.outcome or "error"
            if not self.channel.hung_up:
                await self._try_set("IVR_OUTCOME", "error")
        finally:
            record.ended_at = record.ended_at or self.deps.clock()
            await self._flush()
            await self._store("finish", record)
        return record

    async def _hung_up(self) -> None:
        if self.call.finished:
            return  # the caller hung up while we set the hand-off variables
        try:
            effects = self.call.receive(Hangup(), self.deps.clock())
        except Exception:
            log.exception("engine failed on hang-up of %s", self.call.record.call_id)
            effects = []
        for effect in effects:
            if isinstance(effect, fx.Finish):
                await self._after_finish(effect, hung_up=True)

    async def _carry_out(self, effects: Sequence[fx.Effect]) -> Event | None:
        for effect in effects:
            if isinstance(effect, fx.Answer):
                await self.channel.answer()
            elif isinstance(effect, fx.SetVariable):
                await self.channel.set_variable(effect.name, effect.value)
            elif isinstance(effect, fx.Finish):
                await self._finish(effect)
                return None
            else:
                return await self._blocking(effect)
        raise RuntimeError("engine returned effects without a blocking or final one")

    async def _blocking(self, effect: fx.Blocking) -> Event:
        try:
            if isinstance(effect, fx.Play):
                key = await play(
                    self.channel, effect.prompts, self.deps.recordings_dir, effect.interrupt_keys
                )
                return PlaybackDone() if key is None else Digits(key)
            if isinstance(effect, fx.Gather):
                return await self._gather(effect)
            if isinstance(effect, fx.Lookup):
                return await self._lookup(effect)
            if isinstance(effect, fx.Record):
                await play(self.channel, effect.prompts, self.deps.recordings_dir, "")
                name = f"voicemail/{_file_safe(self.call.record.call_id)}-{effect.node}"
                return await record(
                    self.channel, self.deps.recordings_dir, name, effect.max_seconds,
                    effect.silence_s, effect.beep, effect.finish_keys,
                )
            if isinstance(effect, fx.CheckQueue):
                ami = self.deps.ami
                return ami.queue_status(effect.queue) if ami else QueueStatus(effect.queue)
        except (AgiCommandError, LocalProtocolError, FileNotFoundError, ValueError) as exc:
            kind = type(effect).__name__
            log.warning("call %s: %s failed: %s", self.call.record.call_id, kind, exc)
            return AdapterError(reason=type(exc).__name__, details={"error": str(exc)[:200]})
        raise TypeError(f"unknown effect {effect!r}")

    async def _gather(self, effect: fx.Gather) -> Event:
        speech = self.deps.speech
        if effect.speech is not None and speech is not None and speech.hears(
            effect.speech.language
        ):
            try:
                async with prompt_files(effect.prompts, self.deps.recordings_dir) as files:
                    turn = await speech(effect, self.channel, files)
            except (ChannelHungUp, asyncio.CancelledError):
                raise
            except Exception:
                # No AudioSocket or no model: the caller can still press keys.
                log.exception("speech unavailable for %s; collecting keys", effect.node)
            else:
                if self.channel.hung_up:
                    raise ChannelHungUp("hung up while listening")
                event: Event = turn.event
                return event
        spec = effect.digits or fx.DigitSpec()
        rules = KeyRules.from_spec(spec)
        escape = spec.valid_keys + (spec.finish_key or "") if effect.barge_in else ""
        first = await play(self.channel, effect.prompts, self.deps.recordings_dir, escape)
        return await collect_digits(self.channel, rules, first)

    async def _lookup(self, effect: fx.Lookup) -> Event:
        http = self.deps.http
        if http is None:
            return AdapterError(reason="no HTTP client configured")
        lookup = asyncio.ensure_future(run_lookup(effect, http))
        hangup = asyncio.ensure_future(self.channel.wait_hangup())
        try:
            await asyncio.wait({lookup, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (lookup, hangup):
                task.cancel()
            await asyncio.gather(lookup, hangup, return_exceptions=True)
        if hangup.done() and not hangup.cancelled() and hangup.exception() is None:
            raise ChannelHungUp("hung up during lookup")
        return lookup.result()

    async def _finish(self, finish: fx.Finish) -> None:
        if finish.outcome.callback is not None and self.deps.callbacks is not None:
            # Stored first: the caller was promised a call even if they hang up right now.
            try:
                await self.deps.callbacks.take(finish, self.call.record, self.deps.clock())
            except Exception:
                log.exception("callback request of %s NOT stored", self.call.record.call_id)
        for name, value in channel_variables(finish, self.call.record).items():
            await self.channel.set_variable(name, value)
        if finish.outcome.kind == "hangup":
            await self.channel.hangup()
        await self._after_finish(finish, hung_up=False)

    async def _after_finish(self, finish: fx.Finish, hung_up: bool) -> None:
        if hung_up or finish.outcome.kind not in HANDOFF_OUTCOMES:
            return
        ami = self.deps.ami
        if ami is None:
            return
        request = self.channel.request
        ami.follow_after_ivr(request.uniqueid, self.call.record.call_id)
        headers: dict[str, object] = {
            "Uniqueid": request.uniqueid,
            "Channel": request.channel,
            "CallerIDNum": request.caller or "",
        }
        for name, value in channel_variables(finish, self.call.record).items():
            headers[handoff_header(name)] = value
        try:
            await ami.user_event("IvrHandoff", headers)
        except (AmiError, ValueError) as exc:
            log.warning("screen-pop UserEvent for %s not sent: %s", request.uniqueid, exc)

    async def _flush(self) -> None:
        entries = self.call.drain_timeline()
        if entries and self.deps.store is not None:
            await self._store("append", self.call.record.call_id, entries)

    async def _store(self, method: str, *args: object) -> None:
        store = self.deps.store
        if store is None:
            return
        try:
            await getattr(store, method)(*args)
        except Exception:
            # A failing store must not hang up on the caller; the error is logged loudly.
            log.exception("call store %s failed for %s", method, self.call.record.call_id)

    async def _try_set(self, name: str, value: str) -> None:
        with contextlib.suppress(ChannelHungUp, AgiCommandError):
            await self.channel.set_variable(name, value)


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80]

