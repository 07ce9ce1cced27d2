"""The FastAGI transport: the engine's effects as AGI commands on one Asterisk channel.

Questions with speech go to the speech turn (AudioSocket streaming, or ``RECORD FILE``
with recognition), keys to ``STREAM FILE`` + ``WAIT FOR DIGIT``. Every way Asterisk says
the channel is gone (:class:`~ivr.agi.channel.ChannelHungUp`) becomes :class:`CallerGone`
when the caller hung up and :class:`LineLost` when they did not (Asterisk vanished, or hung
the channel up itself: ``core stop now``, an administrator), and a refused command becomes
:class:`TransportFailed`, so the session knows nothing of AGI. That choice is made here
only, in :meth:`AgiTransport._gone`.

Keys pressed while the service stores a step (:meth:`AgiTransport.hold`) are kept typed
ahead and meet the next prompt by the simulated phone's rule (:mod:`ivr.flows.keys`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ivr.agi.channel import AgiChannel
from ivr.agi.errors import AgiCommandError, ChannelHungUp
from ivr.agi.protocol import ANSWERED, HangupSide, LocalProtocolError
from ivr.flows import effects as fx
from ivr.flows.events import Digits, Event, Hangup, PlaybackDone
from ivr.flows.keys import enter_keys, escape_keys, meet_prompt
from ivr.interpreter.agi_media import go_on_collecting, play, prompt_files, record
from ivr.interpreter.transport import CallerGone, Line, LineLost, TransportFailed

log = logging.getLogger(__name__)
T = TypeVar("T")
#: The key rule of a question that listens only for words: no key is taken.
WORDS_ONLY = fx.DigitSpec(valid_keys="")
#: A step's write that commits within this long (ms) holds nothing up: no command is sent.
#: Most commits take less, and a caller's next key comes later than this (100 ms and more
#: apart even when typing fast), so the channel is listening again before it arrives.
HOLD_GRACE_MS = 50
#: The longest single ``WAIT FOR DIGIT`` while a write commits: the most the next prompt can
#: start late once it has. Shorter ones come first (each as long as the wait so far), so a
#: write that commits soon delays the prompt by no more than it already had.
HOLD_SLICE_MAX_MS = 100
#: How late (ms) the grace timer or a ``WAIT FOR DIGIT`` may come back before holding stops:
#: later means the machine is out of CPU, and more commands would only make it later.
HOLD_LATE_MS = 25
#: How long (s) no call of the service holds once one saw the machine late.
HOLD_PAUSE_S = 5.0


class LinePace:
    """Whether this service and its Asterisk keep time: one per service, shared by its calls.

    When the grace timer or a ``WAIT FOR DIGIT`` comes back more than :data:`HOLD_LATE_MS`
    late, the machine is out of CPU: the step's commit is slow for that reason, more commands
    would slow every call and the commits themselves, and the next prompt would wait for the
    command in flight (measured with 400 callers on two saturated cores: holding there made
    the key-to-prompt p99 and the callers' outcomes worse). Then no call holds for
    :data:`HOLD_PAUSE_S`.
    """

    def __init__(self) -> None:
        self._paused_until = float("-inf")

    def keeps_time(self, now: float) -> bool:
        """True unless a call saw the machine late within the last :data:`HOLD_PAUSE_S`."""
        return now >= self._paused_until

    def saw(self, late_ms: float, now: float) -> None:
        """Note how late a timer or command came back, in ms."""
        if late_ms > HOLD_LATE_MS:
            self._paused_until = now + HOLD_PAUSE_S


class SpeechTurn(Protocol):
    """One listening turn on a FastAGI channel (``ivr.interpreter.speech_turn.SpeechTurns``)."""

    async def __call__(self, effect: fx.Gather, channel: AgiChannel,
                       files: Sequence[Path]) -> SpeechResult:
        """Run one listening turn; the result has ``.event``."""

    def hears(self, language: str) -> bool:
        """True when a speech model for *language* is available."""


class SpeechResult(Protocol):
    """What a speech turn gives back: the engine's event."""

    @property
    def event(self) -> Event:
        """The event for the engine."""


class AgiTransport:
    """One caller on a FastAGI channel; prompts are WAVs under *recordings_dir*."""

    def __init__(self, channel: AgiChannel, recordings_dir: Path,
                 speech: SpeechTurn | None = None, pace: LinePace | None = None) -> None:
        self.channel = channel
        self.recordings_dir = recordings_dir
        self.speech = speech
        self.pace = pace or LinePace()
        request = channel.request
        self._line = Line(request.uniqueid, request.channel, request.caller)
        #: Keys pressed while a step was stored, not yet met by a prompt or question.
        self._ahead = ""

    @asynccontextmanager
    async def _agi_errors(self) -> AsyncIterator[None]:
        try:
            yield
        except ChannelHungUp as exc:
            raise await self._gone(str(exc)) from exc
        except (AgiCommandError, LocalProtocolError) as exc:
            raise TransportFailed(str(exc)) from exc

    async def _gone(self, why: str) -> CallerGone:
        """What the channel's end means for the record: the caller's doing or not.

        The connection ending with no hang-up first (:class:`~ivr.agi.channel.PeerVanished`)
        is Asterisk gone. Otherwise Asterisk says whose hang-up it was
        (:meth:`AgiChannel.hangup_side`): a channel nothing on the caller's side hung up was
        ended by Asterisk itself (a shutdown's ``ast_softhangup_all``, ``channel request
        hangup``, the AMI ``Hangup`` action). Only an answer that names no source counts;
        when Asterisk cannot be asked (a reply timeout closed the connection) the call stays
        the caller's, as before.
        """
        if self.channel.vanished:
            return LineLost(why)
        if await self.channel.hangup_side() is HangupSide.ASTERISK:
            return LineLost(f"{why}; Asterisk hung the channel up itself")
        return CallerGone(why)

    @property
    def line(self) -> Line:
        """The channel's unique id, name and caller number."""
        return self._line

    @property
    def hung_up(self) -> bool:
        """True once Asterisk said the caller is gone."""
        return self.channel.hung_up

    async def answer(self) -> None:
        """``ANSWER``, unless the dialplan says it answered (:data:`~ivr.agi.protocol.ANSWERED`)."""
        if self.channel.request.answered:
            return
        async with self._agi_errors():
            await self.channel.answer()

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """``SET VARIABLE`` (plain values packed into one ``ARRAY()``: :mod:`ivr.agi.assign`)."""
        async with self._agi_errors():
            await self.channel.set_variables(values)

    async def hangup(self) -> None:
        """``HANGUP``."""
        async with self._agi_errors():
            await self.channel.hangup()

    async def release(self) -> None:
        """End the AGI session, so Asterisk's dialplan goes on (to the queue) at once."""
        await self.channel.close()

    async def play(self, effect: fx.Play) -> Event:
        """``STREAM FILE`` each prompt, stopping on one of the effect's interrupt keys."""
        key = self._meet(effect.interrupt_keys)
        if key is None:
            async with self._agi_errors():
                key = await play(self.channel, effect.prompts, self.recordings_dir,
                                 effect.interrupt_keys)
        return PlaybackDone() if key is None else Digits(key)

    async def gather(self, effect: fx.Gather) -> Event:
        """A speech turn when a model hears the language, else prompt and ``WAIT FOR DIGIT``.

        A key typed ahead that the question takes answers it at once, as it would have
        stopped the prompt: no prompt, no listening turn.
        """
        # A question for words only takes no keys, as the speech path (ivr.speech.listen)
        # and the simulated phone ignore them: without a model it ends in silence.
        spec = effect.digits or WORDS_ONLY
        escape = escape_keys(effect)
        async with self._agi_errors():
            first = self._meet(escape)
            if first is None:
                event = await self._speech(effect) if self._hears(effect) else None
                if event is not None:
                    return event
                first = await play(self.channel, effect.prompts, self.recordings_dir, escape)
            # The key that stopped the prompt (typed ahead or pressed during it) starts the
            # entry; keys typed ahead after it go on with it.
            entry = enter_keys("", (first or "") + self._ahead, spec)
            self._ahead = entry.ahead
            return entry.done or await go_on_collecting(self.channel, spec, entry.entered)

    def _meet(self, escape: str) -> str | None:
        """The typed-ahead key that stops the next prompt; keys before it are lost."""
        met = meet_prompt(self._ahead, escape)
        self._ahead = met.ahead
        return met.key

    def _hears(self, effect: fx.Gather) -> bool:
        return (effect.speech is not None and self.speech is not None
                and self.speech.hears(effect.speech.language))

    async def _speech(self, effect: fx.Gather) -> Event | None:
        assert self.speech is not None
        try:
            async with prompt_files(effect.prompts, self.recordings_dir) as files:
                turn = await self.speech(effect, self.channel, files)
        except (ChannelHungUp, asyncio.CancelledError):
            raise
        except Exception:
            # No AudioSocket or no model: the caller can still press keys.
            log.exception("speech unavailable for %s; collecting keys", effect.node)
            return None
        if self.channel.hung_up or isinstance(turn.event, Hangup):
            # AudioSocket may report the hang-up before FastAGI does; either way whose
            # hang-up it was is decided in one place (_gone), not taken as the caller's.
            raise ChannelHungUp("hung up while listening")
        return turn.event

    async def record(self, effect: fx.Record, name: str) -> Event:
        """Play the prompt (no barge-in), then ``RECORD FILE`` into *name* under the recordings."""
        self._ahead = ""  # nothing listens for keys at a recording prompt: lost, as simulated
        async with self._agi_errors():
            await play(self.channel, effect.prompts, self.recordings_dir, "")
            return await record(self.channel, self.recordings_dir, name, effect.max_seconds,
                                effect.silence_s, effect.beep, effect.finish_keys)

    async def wait(self, effect: fx.Lookup | fx.CheckQueue,
                   work: Callable[[], Awaitable[T]]) -> T:
        """Run *work*; during a lookup keep the caller's keys and end it on a hang-up.

        A queue check answers at once from AMI's board, so it is not raced. A lookup runs
        while no command is running, when Asterisk frees every key pressed: past
        :data:`HOLD_GRACE_MS` the channel listens in short ``WAIT FOR DIGIT`` commands, as
        while a step is stored (:meth:`hold`), and the keys are typed ahead, as the simulated
        phone keeps them: a caller who knows the menu presses on while the account is looked
        up. While the machine runs late (:class:`LinePace`), from the start of the lookup or
        from the moment it was seen late, the channel only watches for the hang-up.
        """
        if isinstance(effect, fx.CheckQueue):
            return await work()
        loop = asyncio.get_running_loop()
        started = loop.time()
        task = asyncio.ensure_future(work())
        why = f"hung up during the {type(effect).__name__.lower()}"
        try:
            await asyncio.wait({task}, timeout=HOLD_GRACE_MS / 1000)
            if not task.done() and self._listens_after_grace(started):
                # Ends with its last command answered: nothing is left in flight.
                await self._listen(started, task.done)
            if not task.done() and await self._hung_up_first(task):
                raise await self._gone(why)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        return task.result()

    async def _hung_up_first(self, task: asyncio.Future[Any]) -> bool:
        """Wait for *task* or Asterisk's ``HANGUP``, whichever comes first (no command runs)."""
        hangup = asyncio.ensure_future(self.channel.wait_hangup())
        try:
            await asyncio.wait({task, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hangup.cancel()
            await asyncio.gather(hangup, return_exceptions=True)
        return hangup.done() and not hangup.cancelled() and hangup.exception() is None

    async def hold(self, work: Awaitable[object]) -> None:
        """Store the last step (*work*) while the caller's keys are kept, not dropped.

        While the service sends no command, Asterisk's ``res_agi`` reads the channel and frees
        every frame, keys included, so a key pressed while a step commits would be lost and
        the caller's next key would answer the wrong menu. A write that commits within
        :data:`HOLD_GRACE_MS` costs nothing; for a slower one the channel listens in short
        ``WAIT FOR DIGIT`` commands beside it, and the keys they return are typed ahead. The
        write is waited for whatever the caller does: a hang-up meanwhile ends the call after
        it. Only while the service and Asterisk keep time (:class:`LinePace`).

        *work* is awaited directly, not as a task: on a busy event loop every extra task and
        wake-up delays the step (measured: steps held through a task made 400 callers on two
        saturated cores lose more keys, even with no command sent).
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        finished = False
        listening: asyncio.Task[None] | None = None

        def listen() -> None:
            nonlocal listening
            if self._listens_after_grace(started):
                listening = asyncio.ensure_future(self._listen(started, lambda: finished))

        timer = loop.call_later(HOLD_GRACE_MS / 1000, listen)
        try:
            await work
        finally:
            timer.cancel()
            finished = True
            if listening is not None:
                await listening  # ends with its command in flight; a hang-up raises here

    def _listens_after_grace(self, started: float) -> bool:
        """At the grace's end: note how late it came, and say whether to listen for keys."""
        now = asyncio.get_running_loop().time()
        self.pace.saw((now - started) * 1000 - HOLD_GRACE_MS, now)
        return self.pace.keeps_time(now) and not self.channel.hung_up

    async def _listen(self, started: float, finished: Callable[[], bool]) -> None:
        """``WAIT FOR DIGIT`` until *finished*, each as long as the wait so far (bounded)."""
        loop = asyncio.get_running_loop()
        pace = self.pace
        async with self._agi_errors():
            while not finished() and not self.channel.hung_up and pace.keeps_time(loop.time()):
                waited_ms = int((loop.time() - started) * 1000)
                slice_ms = max(HOLD_GRACE_MS, min(waited_ms, HOLD_SLICE_MAX_MS))
                asked = loop.time()
                key = await self.channel.wait_for_digit(slice_ms)
                if key is not None:
                    self._ahead += key
                pace.saw((loop.time() - asked) * 1000 - slice_ms, loop.time())


def flow_variables(channel: AgiChannel) -> dict[str, str]:
    """Seed values from the request: ``agi_arg_N`` as ``arg1``…, and ``?key=value`` pairs.

    ``answered`` is the dialplan telling the transport, not a value for the flow (a flow
    simulated without it must see the same values).
    """
    seeded = {f"arg{i}": value for i, value in enumerate(channel.request.args, start=1)}
    seeded.update((k, v) for k, v in channel.request.query.items() if k != ANSWERED)
    return seeded
