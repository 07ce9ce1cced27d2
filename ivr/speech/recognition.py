"""The final result of one listening turn, as the engine and the call record see it."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.flows.events import SpeechHeard
from ivr.speech.grammar import Word
from ivr.speech.line_band import is_narrowband
from ivr.speech.spotting import Decision


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
    #: Grammar mode: what the N-best list meant (``None`` in free-form mode).
    decision: Decision | None = None
    #: Share of the turn's energy at 70–250 Hz (``None``: too little signal to judge).
    low_band_share: float | None = None

    @property
    def narrowband(self) -> bool:
        """The line had no low band (:mod:`ivr.speech.line_band`)."""
        return is_narrowband(self.low_band_share)

    def to_event(self) -> SpeechHeard:
        """Return the engine event for this result.

        Off-menu or unsure speech becomes empty text with confidence 0, so no
        matching rule (phrase, synonym, substring) can turn it into an option
        even with a zero threshold; what was heard stays in :attr:`heard` for
        the call record. The options' shares of the N-best list go along as
        alternatives.
        """
        shares = self.decision.shares if self.decision is not None else ()
        text, confidence = (self.text, self.confidence) if self.in_grammar else ("", 0.0)
        return SpeechHeard(text, confidence, shares, self.recognition_ms,
                           narrowband=self.narrowband)

    def evidence(self) -> dict[str, object]:
        """The turn's evidence for the call record: text, N-best, decision and why."""
        data: dict[str, object] = {"heard": self.heard, "text": self.text,
                                   "confidence": self.confidence, "narrowband": self.narrowband}
        if self.low_band_share is not None:
            data["low_band_share"] = round(self.low_band_share, 4)
        d = self.decision
        if d is not None:
            data |= {
                "decision": d.reason,
                "option_phrase": d.phrase,
                "share": d.share,
                "margin": d.margin,
                "nbest": [{"text": t, "score": round(s, 3)} for t, s in d.nbest],
                "options": [{"phrase": p, "share": s} for p, s in d.shares],
            }
        return data
