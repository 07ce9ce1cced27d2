"""What an event means to the effect it answers, whatever the adapter sent.

Each blocking effect has its own answers (``Play``: ``PlaybackDone`` or a barge-in key;
``Gather``: keys, speech or silence …). Adapters are supposed to send only those, but a
caller, a PBX or a buggy adapter can produce anything at any moment. Rather than let a
node raise, the engine first asks :func:`fit` what the event amounts to for the pending
effect, so every node sees only answers it has rules for:

- a prompt that ended in silence, or with keys it does not take, simply *finished*;
- a question that got ``PlaybackDone`` (the prompt ended, nothing came) got *no input*;
- keys or speech a question did not ask for go to the node, whose rules make them a no-match;
- a result that belongs to another kind of effect (a lookup reply while a prompt plays)
  answers nothing: the engine keeps waiting for the real answer (``None`` here).

``Hangup`` and ``AdapterError`` are handled by the engine before this, for every effect.
"""

from __future__ import annotations

from ivr.flows import effects as fx
from ivr.flows.events import (
    Digits,
    Event,
    LookupDone,
    LookupFailed,
    NoInput,
    PlaybackDone,
    QueueStatus,
    Recorded,
    SpeechHeard,
)


def fit(pending: fx.Blocking, event: Event) -> Event | None:
    """The event as an answer to *pending*, or ``None`` when it answers nothing there."""
    if isinstance(pending, fx.Play):
        return _fit_play(pending, event)
    if isinstance(pending, fx.Gather):
        if isinstance(event, Digits | SpeechHeard | NoInput):
            return event
        return NoInput() if isinstance(event, PlaybackDone) else None
    if isinstance(pending, fx.Lookup):
        return event if isinstance(event, LookupDone | LookupFailed) else None
    if isinstance(pending, fx.Record):
        return event if isinstance(event, Recorded) else None
    return event if isinstance(event, QueueStatus) else None


def _fit_play(pending: fx.Play, event: Event) -> Event | None:
    if isinstance(event, Digits):
        # Only a key the prompt listens for stops it; anything else is lost, as on Asterisk.
        key = (event.terminated_by or "") if not event.digits else event.digits[0]
        if key and key in pending.interrupt_keys:
            return Digits(key)
        return PlaybackDone()
    if isinstance(event, PlaybackDone | NoInput | SpeechHeard):
        return PlaybackDone()
    return None
