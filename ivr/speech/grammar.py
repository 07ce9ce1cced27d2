"""Grammars for Vosk and how to read its results, without touching Vosk itself.

Vosk's grammar mode takes a JSON list of phrases; it decodes any sequence of
their *words*, so a result is only trusted when it is exactly one phrase.
Anything else (several phrases, a fragment, nothing) is out of grammar: the
recogniser then reports confidence 0, which every menu threshold rejects, so
off-menu speech becomes a no-match instead of a wrong option. That matters
for models without an ``[unk]`` word (the Korean model), where the decoder
must force unknown speech onto the phrase words.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def normalise(text: str) -> str:
    """Canonical form for comparing phrases: NFC, lower case, single spaces, no punctuation."""
    text = unicodedata.normalize("NFC", text).lower()
    kept = "".join(ch if (ch.isalnum() or ch in "'[]") else " " for ch in text)
    return " ".join(kept.split())


def grammar_phrases(phrases: Iterable[str], with_unk: bool) -> list[str]:
    """Distinct normalised phrases, plus ``[unk]`` when the model has it."""
    out = list(dict.fromkeys(p for p in (normalise(x) for x in phrases) if p))
    if with_unk:
        out.append("[unk]")
    return out


def grammar_json(phrases: Iterable[str], with_unk: bool) -> str:
    """Return the grammar Vosk expects, non-ASCII kept as is (Vosk does not decode escapes)."""
    return json.dumps(grammar_phrases(phrases, with_unk), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with Vosk's confidence and times (seconds into the turn)."""

    word: str
    confidence: float
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Interpretation:
    """What a final Vosk result means for a listening turn.

    ``text`` is the phrase heard (grammar mode) or the transcript (free-form);
    ``heard`` is the decoder's raw output. ``in_grammar`` is ``False`` when a
    grammar result was not exactly one phrase; ``confidence`` is then 0.
    """

    text: str
    confidence: float
    heard: str
    words: tuple[Word, ...]
    in_grammar: bool


def _words(result: Mapping[str, Any]) -> tuple[Word, ...]:
    items = result.get("result") or []
    return tuple(
        Word(str(w.get("word", "")), float(w.get("conf", 0.0)), float(w.get("start", 0.0)),
             float(w.get("end", 0.0)))
        for w in items
        if isinstance(w, Mapping)
    )


def _confidence(words: tuple[Word, ...]) -> float:
    # The weakest word decides: one doubtful word makes the whole phrase doubtful.
    return round(min((w.confidence for w in words), default=0.0), 4)


#: Voiced audio the phrase's words leave unexplained before the result counts as off-menu.
MAX_UNCOVERED_MS = 400
#: Slack around the words' span: Vosk's word times are frame-quantised.
_SPAN_SLACK_MS = 40


def uncovered_ms(
    words: tuple[Word, ...], voiced_starts_ms: Sequence[int], frame_ms: int = 20
) -> int:
    """How much voiced audio lies outside the recognised words' time span."""
    if not words:
        return len(voiced_starts_ms) * frame_ms
    start = words[0].start_s * 1000 - _SPAN_SLACK_MS
    end = words[-1].end_s * 1000 + _SPAN_SLACK_MS
    return frame_ms * sum(1 for t in voiced_starts_ms if t < start or t > end)


def interpret_grammar(
    result: Mapping[str, Any],
    phrases: Iterable[str],
    voiced_starts_ms: Sequence[int] | None = None,
    max_uncovered_ms: int = MAX_UNCOVERED_MS,
) -> Interpretation:
    """Read a grammar-mode result (``SetWords(True)``, no alternatives) against *phrases*.

    With *voiced_starts_ms* (voiced 20 ms frames of the turn), a phrase that
    explains only part of what the caller said is off-menu too: the decoder
    pinned a long sentence on one short phrase and called the rest silence.
    """
    by_norm = {normalise(p): p for p in phrases}
    words = _words(result)
    heard = str(result.get("text", ""))
    key = normalise(heard)
    whole_phrase = bool(key) and "[unk]" not in key.split() and key in by_norm
    if whole_phrase and (
        voiced_starts_ms is None or uncovered_ms(words, voiced_starts_ms) <= max_uncovered_ms
    ):
        return Interpretation(by_norm[key], _confidence(words), heard, words, True)
    return Interpretation(heard, 0.0, heard, words, False)


def interpret_freeform(result: Mapping[str, Any]) -> Interpretation:
    """Read a dictation result: the transcript with its weakest word's confidence."""
    words = _words(result)
    heard = str(result.get("text", ""))
    return Interpretation(heard, _confidence(words) if heard else 0.0, heard, words, True)
