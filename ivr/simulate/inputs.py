"""What a simulated caller does, parsed from text: ``1``, ``123#``, ``say:billing``, ``timeout``.

The same words work on the command line (``--input``) and at the interactive
prompt, so a session typed by hand can be replayed as a script. How keys typed
ahead, partial entries and hang-ups meet the call is :mod:`ivr.simulate.phone`.
"""

from __future__ import annotations

from dataclasses import replace

from ivr.flows.events import Digits, Event, Hangup, NoInput, SpeechHeard

#: The phone's keys.
KEYS = "0123456789*#"
HELP = (
    "keys (e.g. 1 or 123456#; extra keys are typed ahead), 'say:words' (optionally "
    "'say:words@0.4' for a confidence, and 'narrow:say:words' for a caller on a narrow-band "
    "line, whose picks a menu confirms), 'timeout' or 'silence', or 'hangup'"
)


class InputError(ValueError):
    """An input word that is none of the forms in :data:`HELP`."""


def parse_input(text: str, finish_key: str | None = None) -> Event:
    """Turn one input word into the engine event a real call would produce."""
    word = text.strip()
    lowered = word.lower()
    if lowered in ("timeout", "t", "silence", ""):
        return NoInput()
    if lowered in ("hangup", "h", "bye"):
        return Hangup()
    if lowered.startswith("narrow:"):
        heard = parse_input(word[len("narrow:"):], finish_key)
        if not isinstance(heard, SpeechHeard):
            raise InputError(f"{text!r}: 'narrow:' goes before 'say:words' only")
        return replace(heard, narrowband=True)
    if lowered.startswith(("say:", "say ")):
        said = word[4:].strip()
        confidence = 1.0
        said, at, conf = said.rpartition("@")
        if not at:
            said, conf = conf, ""
        elif conf:
            try:
                confidence = float(conf)
            except ValueError:
                said, confidence = f"{said}@{conf}", 1.0
        return SpeechHeard(said.strip(), confidence)
    if all(c in KEYS for c in word):
        if finish_key and word.endswith(finish_key):
            return Digits(word[: -len(finish_key)], terminated_by=finish_key)
        return Digits(word)
    raise InputError(f"{text!r} is not an input: use {HELP}")
