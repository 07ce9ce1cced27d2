"""Yes/no turns: "Did you say billing?" after unsure speech, and digit readbacks."""

from __future__ import annotations

from ivr.flows.context import CallState
from ivr.flows.effects import Prompt
from ivr.flows.events import Digits, Event, SpeechHeard
from ivr.flows.matching import best_option
from ivr.flows.prompts import builtin_text

_YES = ("yes", "yeah", "correct", "sí", "si", "correcto", "예", "네", "맞아요")
_NO = ("no", "nope", "wrong", "incorrecto", "아니요", "아니오")
#: Spellings of one sound: the grammar lists one, or the decoder splits its N-best mass
#: between them and neither reaches a sure share (measured: 아니요/아니오 halved "no").
_SAME_SOUND = ("아니오",)
#: Phrases a confirmation turn listens for (a grammar for the recogniser).
YES_NO: tuple[str, ...] = tuple(p for p in _YES + _NO if p not in _SAME_SOUND)
#: A spoken answer heard less surely than this (the default ``confirm_below``) is no
#: answer: it would itself need confirming, and a yes/no turn must never guess.
SPOKEN_ANSWER_MIN_CONFIDENCE = 0.6


def confirmation_prompt(state: CallState, label: str) -> tuple[Prompt, ...]:
    """The "Did you say …?" question in the call's language."""
    template = builtin_text("confirm", state.language, state.flowset.settings)
    text = template.replace("{label}", label)
    state.note("prompt", {"text": text, "file": None, "language": state.language})
    voice = state.flowset.settings.voices.get(state.language)
    return (Prompt(text=text, language=state.language, voice=voice),)


def yes_or_no(event: Event) -> bool | None:
    """Read a confirmation answer: True, False, or None when there was none or it was unclear."""
    if isinstance(event, Digits):
        return {"1": True, "2": False}.get(event.digits[:1])
    if isinstance(event, SpeechHeard):
        if event.confidence < SPOKEN_ANSWER_MIN_CONFIDENCE:
            return None
        match = best_option(event.text, [_YES, _NO])
        return None if match is None else match.index == 0
    return None
