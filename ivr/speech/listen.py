"""One listening turn over an AudioSocket stream: prompt, barge-in, digits or speech.

The prompt plays (paced) while caller audio streams in. The first of these
ends the turn: a key press (collected into ``Digits``), speech followed by
the endpointer's end-of-speech (recognised into ``SpeechHeard``), the
no-input timeout (``NoInput``) or hang-up (``Hangup``). With barge-in, the
prompt stops on the first voiced audio or key press. Audio reaches the
recogniser only from shortly before speech starts, so idle listening costs
no decoding.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
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
from ivr.speech.endpoint import (
    Endpointer,
    EndpointSettings,
    NoSpeech,
    Pause,
    SpeechEnded,
    SpeechStarted,
)
from ivr.speech.recognition import Recognition
from ivr.speech.recognizer import Recognizer

#: Audio kept from before detected speech start, so the recogniser hears the onset.
PRE_ROLL_MS = 300

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
        self.endpointer = Endpointer(spec.endpoint)
        self.pre_roll: deque[bytes] = deque(maxlen=PRE_ROLL_MS // 20)
        self.speaking = False
        self.digits = ""
        self.last_digit_at: float | None = None
        self.barge_at: float | None = None
        self.barge_in_ms: float | None = None
        self.speech_start_ms: int | None = None
        self.speech_end_ms: int | None = None
        self.decided_ms: int | None = None
        self.early = False
        self.prompt_done = not self.prompt_frames

    def _stop_prompt(self) -> None:
        if not self.prompt_done and not self.stop_prompt.is_set():
            self.barge_at = self.loop.time()
            self.stop_prompt.set()

    def _on_prompt_done(self, task: asyncio.Task[int]) -> None:
        self.prompt_done = True
        if self.barge_at is not None:
            self.barge_in_ms = (self.loop.time() - self.barge_at) * 1000
        if not self.speaking and not self.digits:
            self.endpointer.restart_no_input_timer(round(self.spec.no_input_s * 1000))

    async def run(self) -> Turn:
        self.endpointer.restart_no_input_timer(
            None if self.prompt_frames else round(self.spec.no_input_s * 1000)
        )
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
        timing = TurnTiming(
            prompt_ms=len(self.prompt_frames) * 20,
            prompt_sent_ms=sent * 20,
            speech_start_ms=self.speech_start_ms,
            speech_end_ms=self.speech_end_ms,
            decided_ms=self.decided_ms,
            early=self.early,
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
        if not self.spec.barge_in and not self.prompt_done:
            return None  # speech over a prompt that may not be interrupted is ignored
        if rec is not None:
            if self.speaking:
                rec.feed(pcm)
            else:
                self.pre_roll.append(pcm)
        for ev in self.endpointer.feed(pcm):
            if isinstance(ev, SpeechStarted):
                self.speech_start_ms = ev.at_ms
                if rec is None:
                    continue
                self.speaking = True
                self._stop_prompt()
                rec.feed(b"".join(self.pre_roll))
                self.pre_roll.clear()
            elif isinstance(ev, Pause):
                # Decide now if the words so far already name exactly one option.
                recognition = await rec.early() if rec is not None else None
                if rec is not None and recognition is not None:
                    self.speech_end_ms, self.decided_ms, self.early = (
                        ev.speech_end_ms, ev.at_ms, True)
                    await rec.cancel()  # the turn is decided; nothing more to decode
                    return recognition.to_event(), recognition
            elif isinstance(ev, SpeechEnded):
                self.speech_end_ms, self.decided_ms = ev.speech_end_ms, ev.at_ms
                assert rec is not None
                recognition = await rec.final()
                return recognition.to_event(), recognition
            elif isinstance(ev, NoSpeech):
                if rec is not None:
                    await rec.cancel()
                return NoInput(), None
        return None


async def listen(session: AudioSocketSession, spec: ListenSpec, prompt: bytes = b"") -> Turn:
    """Play *prompt* (8 kHz PCM) on *session* and listen as *spec* says; end with hang-up frame."""
    try:
        return await _Turn(session, spec, prompt).run()
    finally:
        with contextlib.suppress(Exception):
            await session.hangup()
