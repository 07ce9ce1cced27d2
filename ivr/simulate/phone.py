"""The simulated caller's phone: keys typed ahead, partial entries, hang-ups at any moment.

A simulated call answers each blocking effect the way the FastAGI path does on a real
Asterisk (:mod:`ivr.interpreter.agi_media`), using the same key rule (:mod:`ivr.flows.keys`):

- A digits input is keys pressed *now*. A question takes them up to its finish key or
  its maximum; the rest stay typed ahead for what comes next.
- Keys typed ahead meet the next prompt as they would on a phone: the first key the
  prompt listens for (its barge-in keys) stops it and starts the next entry; keys it
  does not listen for are lost, as Asterisk drops them (``STREAM FILE`` without that
  escape digit). Keys pressed during a recording prompt or a lookup's hold prompt are
  lost the same way; keys pressed while the lookup itself runs are kept, as the FastAGI
  path listens for them then (``AgiTransport.wait``).
- An entry that has not ended (no finish key, fewer than the maximum) goes on with the
  next digits input (``12`` then ``34#`` is ``1234#``); ``timeout`` (silence) ends it with
  what was keyed so far, as the inter-digit timeout does.
- ``hangup`` ends the call at the very next moment, whatever is happening: a prompt, a
  lookup, a recording, a queue announcement, a survey.
- Words said where only keys are listened for are not heard (silence, as on the phone),
  and keys pressed where only words are listened for are ignored (as the live speech
  path, :mod:`ivr.speech.listen`, ignores them).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from ivr.flows import effects as fx
from ivr.flows.events import Digits, Event, Hangup, NoInput, PlaybackDone, SpeechHeard
from ivr.flows.keys import enter_keys, escape_keys, meet_prompt, timed_out
from ivr.simulate.inputs import HELP, KEYS, InputError, parse_input

#: Asked for the caller's next input while *gather* waits; *entered* is what was keyed so far.
Ask = Callable[[fx.Gather, str], Awaitable[str | None]]


class Words:
    """The caller's inputs in order: a script, or lines typed at a terminal as they are needed."""

    def __init__(self, script: Iterable[str] | None = None, ask: Ask | None = None) -> None:
        self._ahead: deque[str] = deque(script or ())
        self._ask = ask

    @classmethod
    def scripted(cls, inputs: Iterable[str]) -> Words:
        """Replay *inputs*, then run dry (the caller hangs up)."""
        return cls(inputs)

    @classmethod
    def interactive(cls, ask: Ask) -> Words:
        """Ask *ask* whenever a question needs an input (``None``: the caller hung up)."""
        return cls(ask=ask)

    def ready(self) -> str | None:
        """The next input if it is already known (never waits for a person to type)."""
        return self._ahead[0] if self._ahead else None

    def take(self) -> None:
        """Consume the input :meth:`ready` returned."""
        self._ahead.popleft()

    def push_back(self, word: str) -> None:
        """Put *word* back to be the next input."""
        self._ahead.appendleft(word)

    async def next(self, gather: fx.Gather, entered: str) -> str | None:
        """The next input for *gather*; ``None`` when there is none (script ended, EOF)."""
        if self._ahead:
            return self._ahead.popleft()
        return None if self._ask is None else await self._ask(gather, entered)


def is_keys(word: str) -> bool:
    """True for an input that is phone keys (``123#``)."""
    keys = word.strip()
    return bool(keys) and all(c in KEYS for c in keys)


def is_hangup(word: str) -> bool:
    """True for the inputs that hang up."""
    return isinstance(_parse(word), Hangup)


def _parse(word: str) -> Event | None:
    try:
        return parse_input(word)
    except InputError:
        return None


@dataclass
class Phone:
    """Answers effects from the caller's inputs, with a type-ahead key buffer."""

    words: Words
    notes: list[str] = field(default_factory=list)
    #: Keys pressed and not yet taken by anything (type-ahead).
    keys: str = ""
    #: The typed-ahead keys were pressed at a sensitive question (a PIN): notes say how
    #: many, never which.
    secret: bool = False

    def hangs_up_now(self) -> bool:
        """True (and the input is used) when the caller's next input is a hang-up."""
        word = self.words.ready()
        if word is not None and is_hangup(word):
            self.words.take()
            return True
        return False

    def play(self, effect: fx.Play) -> Event:
        """A prompt plays: keys typed ahead may stop it (barge-in) or be lost."""
        key = self._meet_prompt(effect.node, effect.interrupt_keys)
        if key is not None:
            return Digits(key)
        return Hangup() if self.hangs_up_now() else PlaybackDone()

    def lose_keys(self, node: str, during: str) -> None:
        """Keys typed ahead while something that does not listen for keys happens."""
        keys, self.keys = self.keys, ""
        self._note(keys, f"pressed during {during} at {node} were lost (nothing listens "
                         "for keys there, as on a phone)")

    async def gather(self, effect: fx.Gather) -> Event:
        """A question: take keys (typed ahead or new), speech, silence or a hang-up."""
        # A question for words only takes no keys, as the live speech path (ivr.speech.listen)
        # ignores keys a turn has no digit spec for.
        spec = effect.digits
        escape = escape_keys(effect)
        entered = ""
        self.secret = self.secret or effect.sensitive
        first = self._meet_prompt(effect.node, escape)
        if first is not None:
            self.keys = first + self.keys
        entered, done = self._enter_keys(spec, entered, effect.node)
        while done is None:
            word = await self.words.next(effect, entered)
            if word is not None and is_keys(word):
                self.keys += word.strip()
                self.secret = self.secret or effect.sensitive
                entered, done = self._enter_keys(spec, entered, effect.node)
            else:
                done = self._answer(effect, word, entered)
        return done

    def _answer(self, effect: fx.Gather, word: str | None, entered: str) -> Event | None:
        """What a non-key *word* does to a question with *entered* keyed so far (None: nothing)."""
        if word is None:
            if entered:
                return Digits(entered)  # silence after some keys: the inter-digit timeout
            self.notes.append(f"inputs ran out at {effect.node}: the caller hung up")
            return Hangup()
        event = _parse(word)
        shown = "(sensitive)" if effect.sensitive else repr(word)  # a PIN typed wrongly
        if event is None:
            self.notes.append(f"{shown} is not an input ({HELP}); ignored")
            return None
        if isinstance(event, NoInput):
            return timed_out(entered)
        if isinstance(event, SpeechHeard):
            if entered:
                self.words.push_back(word)  # the key entry ends first; the words come next
                return Digits(entered)
            if effect.speech is None:
                said = "(sensitive)" if effect.sensitive else repr(event.text)
                self.notes.append(f"said {said} at {effect.node}, which listens only "
                                  "for keys: not heard (silence)")
                return NoInput()
        return event

    def _enter_keys(self, spec: fx.DigitSpec | None, entered: str,
                    node: str) -> tuple[str, Event | None]:
        """Feed buffered keys into the entry until it ends; the rest stay typed ahead."""
        entry = enter_keys(entered, self.keys, spec)
        self.keys = entry.ahead
        self._note(entry.ignored, f"are not taken at {node}: ignored, as on a phone")
        return entry.entered, entry.done

    def _meet_prompt(self, node: str, escape: str) -> str | None:
        """Typed-ahead keys during a prompt: the first in *escape* stops it; others are lost."""
        met = meet_prompt(self.keys, escape)
        self.keys = met.ahead
        self._note(met.lost, f"pressed during a prompt at {node} that does not take them were "
                             "lost, as on a phone")
        return met.key

    def _note(self, keys: str, what: str) -> None:
        if keys:
            shown = f"({len(keys)} sensitive)" if self.secret else keys
            self.notes.append(f"keys {shown} {what}")
        if not self.keys:
            self.secret = False
