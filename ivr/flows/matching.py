"""Map what a caller said to a menu option.

Text and phrases are normalised the same way (case, accents, punctuation), so
"Español!" matches ``español`` and ``espanol``. An exact phrase beats a phrase
inside a longer utterance, which beats a near spelling. When two different
options tie, nothing is chosen: asking again is better than guessing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")

EXACT, CONTAINED, PARTIAL = 1.0, 0.9, 0.6
#: Below this similarity a misspelling is not considered the same phrase.
FUZZY_MIN = 0.82


@dataclass(frozen=True, slots=True)
class Match:
    """The option chosen (index into the options) and how well the words matched (0..1)."""

    index: int
    score: float


def normalise(text: str) -> str:
    """Fold case and accents, drop punctuation, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    folded = unicodedata.normalize("NFC", stripped).casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", folded)).strip()


def score(text: str, phrase: str) -> float:
    """How well normalised *text* matches normalised *phrase* (0 when it does not)."""
    if not text or not phrase:
        return 0.0
    if text == phrase:
        return EXACT
    if f" {phrase} " in f" {text} ":
        return CONTAINED
    if f" {text} " in f" {phrase} ":
        return PARTIAL
    ratio = difflib.SequenceMatcher(None, text, phrase).ratio()
    return ratio * PARTIAL if ratio >= FUZZY_MIN else 0.0


def best_option(text: str, phrases_per_option: Sequence[Sequence[str]]) -> Match | None:
    """Pick the option whose phrases best match *text*; ``None`` if nothing or a tie."""
    said = normalise(text)
    scores = [
        max((score(said, normalise(p)) for p in phrases), default=0.0)
        for phrases in phrases_per_option
    ]
    best = max(scores, default=0.0)
    if best <= 0.0:
        return None
    winners = [i for i, s in enumerate(scores) if s == best]
    return Match(winners[0], best) if len(winners) == 1 else None


def closest_phrase(text: str, phrases: Sequence[str]) -> str:
    """The phrase of *phrases* that best matches *text*: what the caller said (first on a tie)."""
    said = normalise(text)
    return max(phrases, key=lambda p: score(said, normalise(p)))
