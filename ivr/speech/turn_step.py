"""The rules of one speech turn, sans-I/O: caller audio in, what to ask the recogniser out.

One :class:`TurnStep` per listening turn owns the endpointer, the pre-roll,
whether the caller is speaking, the speech start and end times and when the
turn was decided. It never awaits, reads a clock or calls a recogniser: its
drivers do that. The live call (:mod:`ivr.speech.listen`, async) and the
accuracy benchmark (:func:`ivr.bench.asr_accuracy.call_path`, sync) are two
drivers of this one step, so the benchmark measures the rules a call runs
and a change to the rules is made once.

Use, in the manner of h11: hand each frame of caller audio to
:meth:`TurnStep.receive_audio`, then take requests with
:meth:`TurnStep.next_request` until it returns ``None`` (it needs more
audio, or the turn is over). The requests:

- :class:`StopPrompt`: the caller started speaking; stop the prompt (barge-in).
- :class:`Feed`: give these bytes to the recogniser (at speech start the
  pre-roll, so the recogniser hears the onset, then each frame).
- :class:`AskEarly`: a short pause; ask the recogniser whether the words so
  far already decide the turn and tell the step with
  :meth:`TurnStep.early_answered` before taking the next request.
- :class:`AskFinal`: the speech ended; the recogniser's final result is the turn's.
- :class:`NoInputDue`: nothing to recognise; the turn is no input (a
  recogniser, if any, is to be cancelled).

The last two, and an early answer that decided, end the turn (:attr:`TurnStep.done`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ivr.speech.endpoint import (
    FRAME_MS,
    Endpointer,
    EndpointEvent,
    EndpointSettings,
    NoSpeech,
    Pause,
    SpeechEnded,
    SpeechStarted,
)

#: Audio kept from before detected speech start, so the recogniser hears the onset.
PRE_ROLL_MS = 300


@dataclass(frozen=True, slots=True)
class StopPrompt:
    """The caller started speaking at ``at_ms`` while the prompt played: stop it."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class Feed:
    """Give ``pcm`` to the recogniser."""

    pcm: bytes


@dataclass(frozen=True, slots=True)
class AskEarly:
    """The caller paused: ask whether the words so far decide; answer with ``early_answered``."""

    at_ms: int
    speech_end_ms: int


@dataclass(frozen=True, slots=True)
class AskFinal:
    """The speech ended (decided at ``at_ms``): the recogniser's final result is the turn's."""

    at_ms: int
    speech_end_ms: int


@dataclass(frozen=True, slots=True)
class NoInputDue:
    """Nothing to recognise: the turn is no input (cancel the recogniser, if any)."""

    at_ms: int


Request = StopPrompt | Feed | AskEarly | AskFinal | NoInputDue


class TurnStepError(RuntimeError):
    """The driver broke the step's protocol (e.g. took a request before answering a question)."""


class TurnStep:
    """One listening turn's speech rules; see the module docstring for the protocol."""

    def __init__(
        self,
        endpoint: EndpointSettings,
        no_input_ms: int | None,
        *,
        recognising: bool = True,
        prompt_playing: bool = False,
        barge_in: bool = True,
    ) -> None:
        """*no_input_ms* runs from the start, or from :meth:`prompt_ended` while a prompt plays.

        *recognising*: whether a recogniser listens at all (a keys-only turn has
        none: speech is timed but never fed, and never stops the prompt).
        *barge_in*: whether the caller may interrupt the prompt; if not, audio
        over the prompt is ignored altogether.
        """
        self._endpointer = Endpointer(endpoint)
        self._no_input_ms = no_input_ms
        self._endpointer.restart_no_input_timer(None if prompt_playing else no_input_ms)
        self._recognising = recognising
        self._prompt_playing = prompt_playing
        self._barge_in = barge_in
        # Counted in frames as they arrive (20 ms each on a call and in the benchmark).
        self._pre_roll: deque[bytes] = deque(maxlen=PRE_ROLL_MS // FRAME_MS)
        self._events: deque[EndpointEvent] = deque()
        self._requests: deque[Request] = deque()
        self._asked: AskEarly | None = None
        #: True from speech start while a recogniser listens: audio goes to it.
        self.speaking = False
        self.speech_start_ms: int | None = None
        self.speech_end_ms: int | None = None
        #: Stream time the turn was decided (end of speech, or an early decision on a pause).
        self.decided_ms: int | None = None
        #: True when the turn ended on a pause because the words already named one option.
        self.early = False
        #: True once the turn is decided; later audio is ignored.
        self.done = False

    def receive_audio(self, pcm: bytes) -> None:
        """Take one frame of caller audio (16-bit 8 kHz PCM); then drain :meth:`next_request`."""
        if self._requests or self._events or self._asked is not None:
            raise TurnStepError("take every request (and answer AskEarly) before more audio")
        if self.done or (self._prompt_playing and not self._barge_in):
            return  # speech over a prompt that may not be interrupted is ignored
        if self._recognising:
            if self.speaking:
                self._requests.append(Feed(pcm))
            else:
                self._pre_roll.append(pcm)
        self._events.extend(self._endpointer.feed(pcm))

    def next_request(self) -> Request | None:
        """The next thing the driver must do, or ``None`` when the step needs more audio."""
        if self._asked is not None:
            raise TurnStepError("answer the AskEarly with early_answered() first")
        while not self._requests and self._events and not self.done:
            self._on_event(self._events.popleft())
        if not self._requests:
            return None
        request = self._requests.popleft()
        if isinstance(request, AskEarly):
            self._asked = request
        return request

    def early_answered(self, decided: bool) -> None:
        """Answer the pending :class:`AskEarly`: *decided* when the words so far end the turn."""
        asked = self._asked
        if asked is None:
            raise TurnStepError("no AskEarly is waiting for an answer")
        self._asked = None
        if decided:
            self.speech_end_ms, self.decided_ms, self.early = asked.speech_end_ms, asked.at_ms, True
            self._finish()

    def prompt_ended(self) -> None:
        """The prompt finished (or was stopped): from now on audio counts, and silence times out."""
        self._prompt_playing = False
        if not self.speaking:
            self._endpointer.restart_no_input_timer(self._no_input_ms)

    def audio_ended(self, at_ms: int) -> Request | None:
        """A recording ran out at *at_ms* before the turn was decided (benchmarks, files).

        Words under way are final (:class:`AskFinal`); otherwise it is no input.
        A live call never runs out this way: a hang-up discards the turn.
        """
        if self.done:
            return None
        self._finish()
        if self.speaking:
            self.decided_ms = at_ms
            return AskFinal(at_ms, self._endpointer.last_voiced_end_ms)
        return NoInputDue(at_ms)

    def _finish(self) -> None:
        self.done = True
        self._events.clear()
        self._requests.clear()

    def _on_event(self, ev: EndpointEvent) -> None:
        if isinstance(ev, SpeechStarted):
            self.speech_start_ms = ev.at_ms
            if not self._recognising:
                return
            self.speaking = True
            if self._prompt_playing:
                self._requests.append(StopPrompt(ev.at_ms))
            self._requests.append(Feed(b"".join(self._pre_roll)))
            self._pre_roll.clear()
        elif isinstance(ev, Pause):
            # Decide now if the words so far already name exactly one option.
            if self._recognising:
                self._requests.append(AskEarly(ev.at_ms, ev.speech_end_ms))
        elif isinstance(ev, SpeechEnded):
            self.speech_end_ms, self.decided_ms = ev.speech_end_ms, ev.at_ms
            self._finish()
            # Without a recogniser nothing said can answer the turn (keys only).
            self._requests.append(AskFinal(ev.at_ms, ev.speech_end_ms) if self._recognising
                                  else NoInputDue(ev.at_ms))
        elif isinstance(ev, NoSpeech):
            self._finish()
            self._requests.append(NoInputDue(ev.at_ms))
