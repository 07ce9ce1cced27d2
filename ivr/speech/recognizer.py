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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ivr.flows.events import SpeechHeard
from ivr.speech.endpoint import VoicedFrames
from ivr.speech.grammar import (
    Interpretation,
    Word,
    grammar_json,
    interpret_freeform,
    interpret_grammar,
)
from ivr.speech.models import LoadedModel

SAMPLE_RATE = 8000
#: Audio goes to the decoder in blocks of exactly this many bytes (100 ms at 8 kHz).
#: Vosk updates its silence weighting (and so the i-vector) once per call of
#: AcceptWaveform and per 200 ms inside one, so the same audio cut into other
#: chunks decoded differently; fixed blocks make the result independent of how
#: the network or the event loop happened to batch the frames.
DECODE_BLOCK_BYTES = 1600

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def recognition_pool() -> ThreadPoolExecutor:
    """Return the shared decoder pool: one thread per core, never oversubscribing the CPU."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="vosk")
        return _pool


@dataclass(frozen=True, slots=True)
class Recognition:
    """The final result of one listening turn.

    ``recognition_ms`` is the wait between the end of speech (``final``) and
    the result; ``decode_ms`` the decoder's total CPU-side time for the turn.
    """

    text: str
    confidence: float
    heard: str
    in_grammar: bool
    words: tuple[Word, ...]
    audio_ms: int
    recognition_ms: int
    decode_ms: int
    grammar: bool

    def to_event(self) -> SpeechHeard:
        """Return the engine event for this result.

        Off-menu speech becomes empty text with confidence 0, so no matching rule
        (phrase, synonym, substring) can turn it into an option even with a zero
        threshold; what was heard stays in :attr:`heard` for the call record.
        """
        if not self.in_grammar:
            return SpeechHeard("", 0.0, (), self.recognition_ms)
        return SpeechHeard(self.text, self.confidence, (), self.recognition_ms)


class Recognizer:
    """Recognises one turn's audio: :meth:`accept` (sync) or :meth:`feed` (async), then final."""

    def __init__(
        self,
        model: LoadedModel,
        phrases: Sequence[str] | None = None,
        sample_rate: int = SAMPLE_RATE,
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        import vosk

        self.phrases = tuple(phrases) if phrases is not None else None
        self.sample_rate = sample_rate
        if self.phrases is not None:
            grammar = grammar_json(self.phrases, with_unk=model.has_unk)
            self._rec: Any = vosk.KaldiRecognizer(model.model, float(sample_rate), grammar)
        else:
            self._rec = vosk.KaldiRecognizer(model.model, float(sample_rate))
        self._rec.SetWords(True)
        self._executor = executor
        self._voiced = VoicedFrames(sample_rate)
        self._bytes = 0
        self._block = bytearray()
        self._decode_s = 0.0
        self._pending = bytearray()
        self._wake: asyncio.Event | None = None
        self._closing = False
        self._drain_task: asyncio.Task[None] | None = None

    @property
    def audio_ms(self) -> int:
        """Milliseconds of audio accepted so far."""
        return self._bytes * 1000 // (2 * self.sample_rate)

    def accept(self, pcm: bytes) -> None:
        """Decode *pcm* now, in the calling thread (CLI, benchmarks, worker threads)."""
        if not pcm:
            return
        t0 = time.perf_counter()
        self._block += pcm
        whole = len(self._block) - len(self._block) % DECODE_BLOCK_BYTES
        for i in range(0, whole, DECODE_BLOCK_BYTES):
            self._rec.AcceptWaveform(bytes(self._block[i : i + DECODE_BLOCK_BYTES]))
        del self._block[:whole]
        self._voiced.feed(pcm)
        self._decode_s += time.perf_counter() - t0
        self._bytes += len(pcm)

    def final_sync(self, started: float | None = None) -> Recognition:
        """Flush the decoder and interpret its final result, in the calling thread."""
        t0 = time.perf_counter()
        if self._block:
            self._rec.AcceptWaveform(bytes(self._block))
            self._block.clear()
        raw = json.loads(self._rec.FinalResult())
        self._decode_s += time.perf_counter() - t0
        return self._result(raw, t0 if started is None else started)

    def _result(self, raw: dict[str, Any], started: float) -> Recognition:
        meaning: Interpretation
        if self.phrases is not None:
            meaning = interpret_grammar(raw, self.phrases, self._voiced.starts_ms)
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
        )

    def feed(self, pcm: bytes) -> None:
        """Queue *pcm* for decoding off the event loop; never blocks the caller."""
        if self._closing:
            return
        self._pending += pcm
        if self._drain_task is None:
            self._wake = asyncio.Event()
            self._drain_task = asyncio.get_running_loop().create_task(self._drain())
        assert self._wake is not None
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
            if self._closing:
                return

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
