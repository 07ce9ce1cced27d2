"""One recogniser per listening turn, decoding off the event loop.

Vosk decoding is CPU work in C (the binding releases the GIL), so it runs in
a bounded, process-wide thread pool: a burst of calls queues there instead of
stalling the event loop that serves every other call. Within a turn, audio
is buffered as it arrives and decoded in order by a single drain task, so
the socket reader never waits for the decoder.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from array import array
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ivr.speech.deterministic import DitheredFeed
from ivr.speech.endpoint import VoicedFrames
from ivr.speech.grammar import Interpretation, Word, interpret_freeform, normalise
from ivr.speech.line_band import LineBand
from ivr.speech.models import LoadedModel
from ivr.speech.recognition import Recognition
from ivr.speech.spotting import (
    MAX_ALTERNATIVES,
    NOISY_LINE_RMS,
    PARTIAL_CAP,
    Decision,
    GrammarPlan,
    carrier_start_s,
    decide,
    decides_early,
    offers_early,
    plan_grammar,
)

SAMPLE_RATE = 8000
#: Audio goes to the decoder in blocks of exactly this many bytes (100 ms at 8 kHz).
#: Vosk updates its silence weighting (and so the i-vector) once per call of
#: AcceptWaveform and per 200 ms inside one, so the same audio cut into other
#: chunks decoded differently; fixed blocks make the result independent of how
#: the network or the event loop happened to batch the frames.
DECODE_BLOCK_BYTES = 1600


@dataclass(frozen=True, slots=True)
class SecondPass:
    """The phrases-only decode of a turn, and whether it stopped where a carrier tail began."""

    raw: dict[str, Any]
    cut: bool


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def recognition_pool() -> ThreadPoolExecutor:
    """Return the shared decoder pool: one thread per core, never oversubscribing the CPU."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="vosk")
        return _pool


def _accept(rec: Any, samples: array[float]) -> None:
    """Feed model-rate float *samples* (from a :class:`DitheredFeed`) to a Vosk recogniser."""
    import vosk

    if not samples:
        return
    # The binding only wraps the 16-bit entry point; the float one is in the same library.
    buf = vosk._ffi.from_buffer("float[]", samples)
    vosk._c.vosk_recognizer_accept_waveform_f(rec._handle, buf, len(samples))


def _accept_blocks(rec: Any, feed: DitheredFeed, audio: bytes) -> None:
    for i in range(0, len(audio), DECODE_BLOCK_BYTES):
        _accept(rec, feed.convert(audio[i : i + DECODE_BLOCK_BYTES]))


def _nbest(raw: dict[str, Any]) -> list[tuple[str, float]]:
    return [(str(a.get("text", "")), float(a.get("confidence", 0.0)))
            for a in raw.get("alternatives") or []]


def _best_path(raw: dict[str, Any]) -> tuple[Word, ...]:
    """The words of the decoder's best alternative, with their times (grammar mode)."""
    top = (raw.get("alternatives") or [{}])[0]
    return tuple(
        Word(str(w.get("word", "")), 1.0, float(w.get("start", 0.0)), float(w.get("end", 0.0)))
        for w in top.get("result") or []
    )


def _decision_of(raw: dict[str, Any], plan: GrammarPlan, noisy_line: bool) -> Decision:
    return decide(_nbest(raw), plan.phrases, plan.carriers, noisy_line)


class Recognizer:
    """Recognises one turn's audio: :meth:`accept` (sync) or :meth:`feed` (async), then final."""

    def __init__(
        self,
        model: LoadedModel,
        phrases: Sequence[str] | None = None,
        sample_rate: int = SAMPLE_RATE,
        executor: ThreadPoolExecutor | None = None,
        plan: GrammarPlan | None = None,
        carriers: bool = True,
    ) -> None:
        self.phrases = tuple(phrases) if phrases is not None else None
        self.sample_rate = sample_rate
        self.plan: GrammarPlan | None = None
        self._feed = DitheredFeed(sample_rate, model.rate)
        rate = float(self._feed.rate)
        if self.phrases is not None:
            self.plan = plan or plan_grammar(self.phrases, model.language, model.vocabulary)
            if not carriers:
                self.plan = replace(self.plan, carriers=())
            self._by_norm = {normalise(p): p for p in self.phrases}
        self._model = model
        self._rec: Any = self._new_decoder(rate)
        #: True after an early probe that did not decide: the decoder was reset by its
        #: final result and is rebuilt from :attr:`_audio` before it decodes more.
        self._stale = False
        self._executor = executor
        self._voiced = VoicedFrames(sample_rate)
        self._band = LineBand(sample_rate)
        self._bytes = 0
        self._block = bytearray()
        #: The turn's audio as decoded, kept for a second pass (grammar mode only).
        self._audio = bytearray()
        self._decode_s = 0.0
        self._pending = bytearray()
        self._wake: asyncio.Event | None = None
        self._closing = False
        self._idle: asyncio.Event | None = None
        self._drain_task: asyncio.Task[None] | None = None

    def _new_decoder(self, rate: float) -> Any:
        import vosk

        if self.plan is None:
            rec = vosk.KaldiRecognizer(self._model.model, rate)
        else:
            grammar = self.plan.json(with_unk=self._model.has_unk)
            rec = vosk.KaldiRecognizer(self._model.model, rate, grammar)
            rec.SetMaxAlternatives(MAX_ALTERNATIVES)
        rec.SetWords(True)
        return rec

    def _rebuild(self) -> None:
        """Decode the turn so far again on a fresh decoder, after a probe reset the old one.

        The blocks are the ones decoded before, from the turn's start and through a
        fresh feed, so the new decoder's state is the one the old had before the
        probe: the turn's final result is the same as if no probe had been made.
        """
        self._stale = False
        self._feed = DitheredFeed(self.sample_rate, self._model.rate)
        self._rec = self._new_decoder(float(self._feed.rate))
        _accept_blocks(self._rec, self._feed, bytes(self._audio))

    @property
    def noisy_line(self) -> bool:
        """True when the turn's audio (from the pre-roll on) has a noisy line's floor."""
        floor = self._voiced.quietest_rms
        return floor is not None and floor >= NOISY_LINE_RMS

    @property
    def audio_ms(self) -> int:
        """Milliseconds of audio accepted so far."""
        return self._bytes * 1000 // (2 * self.sample_rate)

    def accept(self, pcm: bytes) -> None:
        """Decode *pcm* now, in the calling thread (CLI, benchmarks, worker threads)."""
        if not pcm:
            return
        t0 = time.perf_counter()
        if self._stale:
            self._rebuild()
        self._block += pcm
        whole = len(self._block) - len(self._block) % DECODE_BLOCK_BYTES
        for i in range(0, whole, DECODE_BLOCK_BYTES):
            self._decode(bytes(self._block[i : i + DECODE_BLOCK_BYTES]))
        del self._block[:whole]
        self._voiced.feed(pcm)
        self._band.feed(pcm)
        self._decode_s += time.perf_counter() - t0
        self._bytes += len(pcm)

    def _decode(self, block: bytes) -> None:
        _accept(self._rec, self._feed.convert(block))
        if self.plan is not None:
            self._audio += block

    def final_sync(self, started: float | None = None) -> Recognition:
        """Flush the decoder and interpret its final result, in the calling thread."""
        t0 = time.perf_counter()
        if self._stale:
            self._rebuild()
        if self._block:
            self._decode(bytes(self._block))
            self._block.clear()
        _accept(self._rec, self._feed.flush())
        raw = json.loads(self._rec.FinalResult())
        second = None
        if self.plan is not None and not _decision_of(raw, self.plan, self.noisy_line).phrase:
            second = self._second_pass(raw, bytes(self._audio))
        self._decode_s += time.perf_counter() - t0
        return self._result(raw, t0 if started is None else started, second)

    def _second_pass(self, raw: dict[str, Any], audio: bytes) -> SecondPass:
        """Decode the turn again on the option phrases alone (no carriers), when unsure.

        The carrier tails that let an option be found inside a sentence also
        let short options escape into carrier words ("안내" as "합니다"); the
        phrases-only grammar cannot do that, but forces off-menu speech onto
        options too, so what it finds is only ever offered ("Did you say…?").
        When the first pass (*raw*) heard the turn end on a whole carrier tail,
        only the audio before that tail is decoded: the carrier is the part of
        a sentence the decoder hears best, and on the whole turn the bare
        phrases had to absorb it too (measured: sentences were then offered as
        상담원 연결, the phrase that swallows most speech).
        """
        import vosk

        assert self.plan is not None
        plain = GrammarPlan(self.plan.phrases, (), (), 1)
        feed = DitheredFeed(self.sample_rate, self._model.rate)
        rec = vosk.KaldiRecognizer(self._model.model, float(feed.rate),
                                   plain.json(self._model.has_unk))
        rec.SetMaxAlternatives(MAX_ALTERNATIVES)
        cut = carrier_start_s([(w.word, w.start_s) for w in _best_path(raw)], self.plan.carriers)
        if cut is not None:
            audio = audio[: int(cut * self.sample_rate) * 2]
        _accept_blocks(rec, feed, audio)
        _accept(rec, feed.flush())
        return SecondPass(json.loads(rec.FinalResult()), cut is not None)

    def early_sync(self) -> Recognition | None:
        """The turn's result now, if the speech so far is one option and may be all.

        Asked on a short pause (see :class:`~ivr.speech.endpoint.Pause`): the
        decoder finishes the audio so far and gives its final result (a
        partial result had often not settled on the last word yet). A whole,
        clear option (:func:`~ivr.speech.spotting.decides_early`) ends the
        turn; so does what the end of the turn would offer ("Did you say…?",
        second pass included) when the caller may be done
        (:func:`~ivr.speech.spotting.offers_early`). Otherwise ``None``: the
        decoder, reset by its final result, is rebuilt from the turn's audio
        with the next audio, and the turn goes on as if nothing had been asked.
        """
        if self.plan is None:
            return None
        t0 = time.perf_counter()
        if self._stale:
            self._rebuild()
        # The unfinished block and the upsampler's tail go to this decoder only: the
        # rebuilt one takes whole blocks from the start, as an unprobed one would.
        _accept(self._rec, self._feed.convert(bytes(self._block)))
        _accept(self._rec, self._feed.flush())
        raw = json.loads(self._rec.FinalResult())
        self._stale = True
        decision = _decision_of(raw, self.plan, self.noisy_line)
        if decides_early(decision, self.plan.phrases):
            result: Recognition | None = self._result(raw, t0)
        else:
            # What the end of the turn would do: a second pass when no option was named.
            second = None if decision.phrase else self._second_pass(
                raw, bytes(self._audio) + bytes(self._block))
            result = self._result(raw, t0, second)
            if result.decision is None or not offers_early(result.decision, self.plan.carriers):
                result = None
        self._decode_s += time.perf_counter() - t0
        return result

    async def early(self) -> Recognition | None:
        """:meth:`early_sync` after the queued audio, off the event loop."""
        await self._flush()
        executor = self._executor or recognition_pool()
        return await asyncio.get_running_loop().run_in_executor(executor, self.early_sync)

    def _grammar_result(
        self, raw: dict[str, Any], second: SecondPass | None
    ) -> tuple[Interpretation, Decision]:
        assert self.plan is not None
        alternatives = raw.get("alternatives") or []
        decision = _decision_of(raw, self.plan, self.noisy_line)
        if second is not None:
            retry = decide(_nbest(second.raw), self.plan.phrases, ending=second.cut)
            if retry.phrase is not None:
                decision = replace(retry, share=min(retry.share, PARTIAL_CAP),
                                   reason="second-pass")
        words = _best_path(raw)
        heard = str(alternatives[0].get("text", "")) if alternatives else ""
        if decision.phrase is None:
            return Interpretation(heard, 0.0, heard, words, False), decision
        phrase = self._by_norm.get(decision.phrase, decision.phrase)
        return Interpretation(phrase, decision.share, heard, words, True), decision

    def _result(
        self, raw: dict[str, Any], started: float, second: SecondPass | None = None
    ) -> Recognition:
        meaning: Interpretation
        decision = None
        if self.phrases is not None:
            meaning, decision = self._grammar_result(raw, second)
        else:
            meaning = interpret_freeform(raw)
        return Recognition(
            text=meaning.text,
            confidence=meaning.confidence,
            heard=meaning.heard,
            in_grammar=meaning.in_grammar,
            words=meaning.words,
            audio_ms=self.audio_ms,
            recognition_ms=round((time.perf_counter() - started) * 1000),
            decode_ms=round(self._decode_s * 1000),
            grammar=self.phrases is not None,
            decision=decision,
            low_band_share=self._band.low_share,
        )

    def feed(self, pcm: bytes) -> None:
        """Queue *pcm* for decoding off the event loop; never blocks the caller."""
        if self._closing:
            return
        self._pending += pcm
        if self._drain_task is None:
            self._wake = asyncio.Event()
            self._idle = asyncio.Event()
            self._drain_task = asyncio.get_running_loop().create_task(self._drain())
        assert self._wake is not None
        assert self._idle is not None
        self._idle.clear()
        self._wake.set()

    async def _drain(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        executor = self._executor or recognition_pool()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                chunk = bytes(self._pending)
                self._pending.clear()
                await loop.run_in_executor(executor, self.accept, chunk)
            assert self._idle is not None
            self._idle.set()
            if self._closing:
                return

    async def _flush(self) -> None:
        # Wait until the drain task has decoded everything queued so far.
        if self._drain_task is not None and self._idle is not None:
            await self._idle.wait()

    async def final(self) -> Recognition:
        """Decode what is still queued, then return the turn's result."""
        started = time.perf_counter()
        self._closing = True
        if self._drain_task is not None:
            assert self._wake is not None
            self._wake.set()
            await self._drain_task
        executor = self._executor or recognition_pool()
        return await asyncio.get_running_loop().run_in_executor(
            executor, self.final_sync, started
        )

    async def cancel(self) -> None:
        """Stop decoding (the turn ended by DTMF or hang-up); queued audio is dropped."""
        self._closing = True
        self._pending.clear()
        if self._drain_task is not None:
            assert self._wake is not None
            self._wake.set()
            await self._drain_task
