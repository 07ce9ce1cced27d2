"""How a caller's key entry ends: the one rule every transport follows.

The FastAGI path (``WAIT FOR DIGIT``), the AudioSocket stream (DTMF frames) and the
simulated phone all feed keys through :func:`add_key` and end an entry that times out
with :func:`timed_out`, so the same keys give the engine the same event whatever carried
them. Whether an entry is too short is the engine's question (a ``no_match`` retry), not
the transport's.
"""

from __future__ import annotations

from typing import NamedTuple

from ivr.flows.effects import DigitSpec, Gather
from ivr.flows.events import Digits, NoInput


def add_key(keys: str, key: str, spec: DigitSpec) -> tuple[str, Digits | None]:
    """Add one pressed key; return the keys so far and the result once entry is complete.

    The finish key ends the entry (not part of it); keys outside ``valid_keys`` are
    ignored; reaching ``max_digits`` ends it.
    """
    if spec.finish_key is not None and key == spec.finish_key:
        return keys, Digits(keys, terminated_by=key)
    if key not in spec.valid_keys:
        return keys, None
    keys += key
    if len(keys) >= spec.max_digits:
        return keys, Digits(keys)
    return keys, None


class Met(NamedTuple):
    """Keys typed ahead, met by a prompt: the key that stops it, and what became of the rest."""

    key: str | None
    lost: str
    ahead: str


def meet_prompt(ahead: str, escape: str) -> Met:
    """Typed-ahead keys meet a prompt: the first in *escape* stops it, those before it are lost.

    As Asterisk plays a prompt with ``STREAM FILE``: a queued key that is not an escape
    digit is read and dropped. Keys after the stopping one stay typed ahead.
    """
    for i, key in enumerate(ahead):
        if key in escape:
            return Met(key, ahead[:i], ahead[i + 1:])
    return Met(None, ahead, "")


class Entry(NamedTuple):
    """Typed-ahead keys fed into an entry: what it holds, and what became of the rest.

    The keys so far, the entry's result once complete, the keys it ignored and the keys
    still typed ahead.
    """

    entered: str
    done: Digits | None
    ignored: str
    ahead: str


def enter_keys(entered: str, ahead: str, spec: DigitSpec | None) -> Entry:
    """Feed typed-ahead keys into an entry by :func:`add_key` until it ends.

    With no *spec* (a question for words only) every key is ignored.
    """
    ignored = ""
    done: Digits | None = None
    while ahead and done is None:
        key, ahead = ahead[0], ahead[1:]
        before = entered
        if spec is not None:
            entered, done = add_key(entered, key, spec)
        if done is None and entered == before:
            ignored += key
    return Entry(entered, done, ignored, ahead)


def timed_out(keys: str) -> Digits | NoInput:
    """The caller stopped keying: what they keyed so far, or no input at all."""
    return Digits(keys) if keys else NoInput()


def escape_keys(gather: Gather) -> str:
    """Keys that stop *gather*'s prompt and start the entry (none without barge-in or digits)."""
    spec = gather.digits
    if spec is None or not gather.barge_in:
        return ""
    return spec.valid_keys + (spec.finish_key or "")
