"""One listening turn over an AudioSocket stream: prompt, barge-in, digits or speech.

The prompt plays (paced) while caller audio streams in. The first of these
ends the turn: a key press (collected into ``Digits``), speech followed by
the endpointer's end-of-speech (recognised into ``SpeechHeard``), the
no-input timeout (``NoInput``) or hang-up (``Hangup``). With barge-in, the
prompt stops on the first voiced audio or key press. Audio reaches the
recogniser only from shortly before speech starts, so idle listening costs
no decoding. Those speech rules are :class:`~ivr.speech.turn_step.TurnStep`'s,
the accuracy benchmark's too; this module does the I/O around them (socket,
prompt, keys, the recogniser's thread pool).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace

from ivr.flows.effects import DigitSpec
from ivr.flows.events import Digits, Hangup, NoInput, SpeechHeard
from ivr.flows.keys import add_key, timed_out
from ivr.speech.audiosocket.protocol import (
    AudioFrame,
    DtmfFrame,
    ErrorFrame,
    HangupFrame,
    ProtocolError,
    split_pcm,
)
from ivr.speech.audiosocket.server import AudioSocketSession
from ivr.speech.endpoint import EndpointSettings
from ivr.speech.recognition import Recognition
from ivr.speech.recognizer import Recognizer
from ivr.speech.turn_step import AskEarly, AskFinal, Feed, NoInputDue, StopPrompt, TurnStep

TurnEvent = Digits | SpeechHeard | NoInput | Hangup


@dataclass(frozen=True, slots=True)
class TurnTiming:
    """What happened when, in milliseconds of caller audio since the turn began.

    ``barge_in_ms`` is the delay between the arrival of the audio frame that
    started the speech (or the key) and the last prompt frame we sent; the
    prompt's remaining audio was never sent.
    """

    prompt_ms: int
    prompt_sent_ms: int
    speech_start_ms: int | None = None
    speech_end_ms: int | None = None
    #: Stream time the turn was decided (end of speech, or an early decision on a pause).
    decided_ms: int | None = None
    #: True when the turn ended on a pause because the words already named one option.
    early: bool = False
    barge_in_ms: float | None = None
    #: Event-loop clock (``time.monotonic``) when input stopped the prompt, if it did.
    barge_in_at: float | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """The turn's engine event plus what the call record wants to know."""

    event: TurnEvent
    timing: TurnTiming
    recognition: Recognition | None = None

    def record_data(self) -> dict[str, object]:
        """Details for the call record's ``speech`` entry, beyond what the engine writes.

        Never includes audio; the heard text is what the caller said to a menu,
        which is not sensitive (sensitive input is keyed in, never spoken).
        """
        data: dict[str, object] = {
            "prompt_ms": self.timing.prompt_ms,
            "prompt_heard_ms": self.timing.prompt_sent_ms,
            "speech_start_ms": self.timing.speech_start_ms,
            "speech_end_ms": self.timing.speech_end_ms,
            "barged_in": self.timing.barge_in_at is not None,
        }
        rec = self.recognition
        if rec is not None:
            t = self.timing
            decision_ms = None
            if t.decided_ms is not None and t.speech_end_ms is not None:
                decision_ms = t.decided_ms - t.speech_end_ms + rec.recognition_ms
            data |= rec.evidence()
            data |= {
                "early_decision": t.early,
                "decision_latency_ms": decision_ms,
                "in_grammar": rec.in_grammar,
                "mode": "grammar" if rec.grammar else "free-form",
                "audio_ms": rec.audio_ms,
                "decode_ms": rec.decode_ms,
                "recognition_ms": rec.recognition_ms,
            }
        return data

    def with_evidence(self) -> Turn:
        """Return the turn with its :meth:`record_data` on the speech event, for the call record."""
        if not isinstance(self.event, SpeechHeard) or self.recognition is None:
            return self
        return replace(self, event=replace(self.event, evidence=self.record_data()))


@dataclass(frozen=True, slots=True)
class ListenSpec:
    """What to listen for (from a ``Gather``): digits, speech via *recognizer*, or both."""

    digits: DigitSpec | None
    recognizer: Recognizer | None
    endpoint: EndpointSettings
    barge_in: bool = True
    no_input_s: float = 5.0


class _Turn:
    def __init__(self, session: AudioSocketSession, spec: ListenSpec, prompt: bytes) -> None:
        self.session = session
        self.spec = spec
        self.loop = asyncio.get_running_loop()
        self.prompt_frames = split_pcm(prompt) if prompt else []
        self.stop_prompt = asyncio.Event()
        self.prompt_task: asyncio.Task[int] | None = None
        # The speech rules (endpointer, pre-roll, when to ask the recogniser what) live in
        # the sans-I/O step the accuracy benchmark drives too; this class only does the I/O.
        self.step = TurnStep(spec.endpoint, round(spec.no_input_s * 1000),
                             recognising=spec.recognizer is not None,
                             prompt_playing=bool(self.prompt_frames), barge_in=spec.barge_in)
        self.digits = ""
        self.last_digit_at: float | None = None
        self.barge_at: float | None = None
        self.barge_in_ms: float | None = None
        self.prompt_done = not self.prompt_frames

    def _stop_prompt(self) -> None:
        if not self.prompt_done and not self.stop_prompt.is_set():
            self.barge_at = self.loop.time()
            self.stop_prompt.set()

    def _on_prompt_done(self, task: asyncio.Task[int]) -> None:
        self.prompt_done = True
        if self.barge_at is not None:
            self.barge_in_ms = (self.loop.time() - self.barge_at) * 1000
        # Also after a key: audio then no longer reaches the step, so its timer cannot fire.
        self.step.prompt_ended()

    async def run(self) -> Turn:
        if self.prompt_frames:
            self.prompt_task = self.loop.create_task(
                self.session.play(self.prompt_frames, self.stop_prompt)
            )
            self.prompt_task.add_done_callback(self._on_prompt_done)
        try:
            event, recognition = await self._listen()
        finally:
            self.stop_prompt.set()
            if self.prompt_task is not None:
                sent = await self.prompt_task
            else:
                sent = 0
        step = self.step
        timing = TurnTiming(
            prompt_ms=len(self.prompt_frames) * 20,
            prompt_sent_ms=sent * 20,
            speech_start_ms=step.speech_start_ms,
            speech_end_ms=step.speech_end_ms,
            decided_ms=step.decided_ms,
            early=step.early,
            barge_in_ms=self.barge_in_ms,
            barge_in_at=self.barge_at,
        )
        return Turn(event, timing, recognition)

    def _digit_deadline(self) -> float | None:
        # Absolute, so the audio frames that keep arriving do not postpone it.
        spec = self.spec.digits
        if spec is None or self.last_digit_at is None:
            return None
        return self.last_digit_at + spec.inter_digit_timeout_s

    async def _listen(self) -> tuple[TurnEvent, Recognition | None]:
        rec = self.spec.recognizer
        while True:
            try:
                async with asyncio.timeout_at(self._digit_deadline()):
                    frame = await self.session.frames.get()
            except TimeoutError:
                # What was keyed, too few keys included (the engine's no-match, as over AGI).
                return timed_out(self.digits), None
            if frame is None or isinstance(frame, HangupFrame | ErrorFrame | ProtocolError):
                if rec is not None:
                    await rec.cancel()
                return Hangup(), None
            if isinstance(frame, DtmfFrame):
                result = await self._on_digit(frame.digit)
                if result is not None:
                    return result
                continue
            if not isinstance(frame, AudioFrame) or self.digits:
                continue
            result = await self._on_audio(frame.pcm)
            if result is not None:
                return result

    async def _on_digit(self, key: str) -> tuple[TurnEvent, Recognition | None] | None:
        spec = self.spec.digits
        if spec is None or key not in spec.valid_keys + (spec.finish_key or ""):
            return None
        if self.spec.barge_in:
            self._stop_prompt()
        if not self.digits and self.spec.recognizer is not None:
            await self.spec.recognizer.cancel()
        # The same key rule as the FastAGI path and the simulator (ivr.flows.keys).
        self.digits, done = add_key(self.digits, key, spec)
        self.last_digit_at = self.loop.time()
        return None if done is None else (done, None)

    async def _on_audio(self, pcm: bytes) -> tuple[TurnEvent, Recognition | None] | None:
        rec = self.spec.recognizer
        self.step.receive_audio(pcm)
        while (request := self.step.next_request()) is not None:
            if isinstance(request, StopPrompt):
                self._stop_prompt()
            elif isinstance(request, NoInputDue):
                if rec is not None:
                    await rec.cancel()
                return NoInput(), None
            else:
                # The step asks a recogniser only when it has one (``recognising``).
                assert rec is not None
                if isinstance(request, Feed):
                    rec.feed(request.pcm)
                elif isinstance(request, AskEarly):
                    recognition = await rec.early()
                    self.step.early_answered(recognition is not None)
                    if recognition is not None:
                        await rec.cancel()  # the turn is decided; nothing more to decode
                        return recognition.to_event(), recognition
                elif isinstance(request, AskFinal):
                    recognition = await rec.final()
                    return recognition.to_event(), recognition
        return None


async def listen(session: AudioSocketSession, spec: ListenSpec, prompt: bytes = b"") -> Turn:
    """Play *prompt* (8 kHz PCM) on *session* and listen as *spec* says; end with hang-up frame."""
    try:
        return await _Turn(session, spec, prompt).run()
    finally:
        with contextlib.suppress(Exception):
            await session.hangup()
