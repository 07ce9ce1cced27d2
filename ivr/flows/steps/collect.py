"""``collect``: digits (length, finish key, pattern, readback) or a spoken answer into a variable.

Sensitive values (PINs, card numbers) are kept only in the call's variables
for the lookups that need them; the timeline records that they were given and
how long they were, never what they were.
"""

from __future__ import annotations

import re
from typing import Literal

from ivr.flows.context import CallState
from ivr.flows.effects import Prompt, SpeechSpec
from ivr.flows.events import Digits, Event, NoInput, SpeechHeard
from ivr.flows.nodes import Collect
from ivr.flows.parts import GlobalKeys, builtin
from ivr.flows.steps.base import Asking, Go, Transition, UnexpectedEvent, Wait
from ivr.flows.steps.confirm import YES_NO, yes_or_no


class CollectStep(Asking[Collect]):
    """One visit to a collect node."""

    kind = "collect"

    def __init__(self, node: Collect, state: CallState) -> None:
        super().__init__(node, state)
        self.pending: str | None = None

    def ask(self, before: tuple[Prompt, ...] = (), repeat: bool = False) -> Wait:
        prompts = before + self.state.prompts(self.node.prompt)
        if self.node.input == "speech":
            return self.gather(prompts, speech=SpeechSpec(language=self.state.language))
        spec = self.digit_spec(
            min_digits=self.node.min_digits,
            max_digits=self.node.max_digits,
            finish_key=self.node.finish_key,
        )
        return self.gather(prompts, digits=spec, sensitive=self.node.sensitive)

    @property
    def keys(self) -> GlobalKeys | None:
        """Global keys in force here, or None when the node turns them off."""
        return keys_in_force(self.node, self.state.flowset.settings.keys)

    def handle(self, event: Event) -> Transition:
        if self.pending is not None:
            return self._confirmed(event)
        if isinstance(event, NoInput):
            return self.retry("no_input")
        if isinstance(event, Digits):
            global_key = self._global_key(event)
            if global_key is not None:
                return global_key
            if self.node.input == "dtmf":
                return self._digits(event)
            # Keys where an answer in words was asked for are not that answer.
            self.state.note("digits", {"digits": event.digits, "terminated_by": None})
            return self.retry("no_match", heard=event.digits or None)
        if isinstance(event, SpeechHeard):
            if self.node.input == "speech":
                return self._transcript(event)
            # Words where keys were asked for (a PIN, an account number) are not the number.
            said = "" if self.node.sensitive else event.text
            self.state.note("speech", {"text": said, "confidence": event.confidence,
                                       "option": None, "recognition_ms": event.recognition_ms})
            return self.retry("no_match")
        raise UnexpectedEvent(f"collect {self.name!r} did not expect {event!r}")

    def _global_key(self, event: Digits) -> Transition | None:
        """The operator or repeat key pressed alone (not inside a number), if global keys apply."""
        which = global_key(self.keys, event.digits)
        if which is None:
            return None
        self.state.note("option_chosen", {"option": which, "via": "dtmf"})
        return self.operator("operator_key") if which == "operator" else self.ask()

    def _digits(self, event: Digits) -> Transition:
        value = event.digits
        shown: dict[str, object] = (
            {"sensitive": True, "length": len(value)} if self.node.sensitive else {"digits": value}
        )
        self.state.note("digits", {**shown, "terminated_by": event.terminated_by})
        if not value:
            return self.retry("no_input")
        if not self._valid(value):
            return self.retry("no_match", heard=None if self.node.sensitive else value)
        if self.node.confirm:
            self.pending = value
            return self._readback(value)
        return self._accept(value)

    def _valid(self, value: str) -> bool:
        return accepts(self.node, value)

    def _readback(self, value: str) -> Wait:
        # Read back digit by digit ("1 2 3"), as people read numbers; the value exists as a
        # variable only while the prompt is rendered, and marks the prompt sensitive if it is.
        name = self.node.variable
        # The built-in readback speaks the value through {name!readback}: confirm: true
        # is the flow's opt-in; a custom confirm_prompt must use the marker itself.
        field = self.node.confirm_prompt or {
            lang: text.replace("{value}", "{" + name + "!readback}")
            for lang, text in builtin("readback").merged(
                self.state.flowset.settings.prompts.get("readback")).items()
            if isinstance(text, str)
        }
        self.state.variables[name] = " ".join(value)
        if self.node.sensitive:
            self.state.sensitive.add(name)
        try:
            prompts = self.state.prompts(field)
        finally:
            del self.state.variables[name]
        spec = self.digit_spec(min_digits=1, max_digits=1, valid_keys="12")
        speech = SpeechSpec(language=self.state.language, phrases=YES_NO, carriers=False)
        return self.gather(prompts, digits=spec, speech=speech)

    def _confirmed(self, event: Event) -> Transition:
        value, self.pending = self.pending, None
        answer = yes_or_no(event)
        if answer is True and value is not None:
            return self._accept(value)
        if answer is None and isinstance(event, NoInput):
            return self.retry("no_input")
        return self.retry("no_match", heard="not confirmed")

    def _transcript(self, event: SpeechHeard) -> Transition:
        self.state.note("speech", {"text": event.text, "confidence": event.confidence,
                                   "option": None, "recognition_ms": event.recognition_ms})
        if not event.text.strip():
            return self.retry("no_match", heard="")
        return self._accept(event.text)

    def _accept(self, value: str) -> Go:
        self.state.set_variable(self.node.variable, value, sensitive=self.node.sensitive)
        return Go(self.node.next)


def accepts(node: Collect, value: str) -> bool:
    """Whether *node* takes the keyed *value* (length, pattern); replay picks stand-ins by it."""
    # `*` or `#` inside a number is a slip of the finger unless the pattern asks for it.
    if not value.isdigit() and node.pattern is None:
        return False
    if not node.min_digits <= len(value) <= node.max_digits:
        return False
    return node.pattern is None or re.fullmatch(node.pattern, value) is not None


def keys_in_force(node: Collect, default: GlobalKeys) -> GlobalKeys | None:
    """The global keys at *node* (its own, else *default*), or None when it turns them off."""
    if not node.global_keys:
        return None
    return node.keys or default


def global_key(keys: GlobalKeys | None, digits: str) -> Literal["operator", "repeat"] | None:
    """Which global key *digits* is, pressed alone (inside a number it is a digit)."""
    if keys is None or len(digits) != 1:
        return None
    if digits == keys.operator:
        return "operator"
    if digits == keys.repeat:
        return "repeat"
    return None
