"""``menu``: a prompt, options by key or by voice, global keys, retries, "Did you say…?"."""

from __future__ import annotations

from ivr.flows.context import CallState
from ivr.flows.effects import Prompt, SpeechSpec
from ivr.flows.events import Digits, Event, NoInput, SpeechHeard
from ivr.flows.matching import best_option, closest_phrase
from ivr.flows.nodes import Menu, Option
from ivr.flows.parts import GlobalKeys
from ivr.flows.steps.base import Asking, Go, Transition, UnexpectedEvent, Wait
from ivr.flows.steps.confirm import YES_NO, confirmation_prompt, yes_or_no


class MenuStep(Asking[Menu]):
    """One visit to a menu."""

    kind = "menu"

    def __init__(self, node: Menu, state: CallState) -> None:
        super().__init__(node, state)
        self.confirming: Option | None = None

    @property
    def keys(self) -> GlobalKeys:
        """Global keys in force here (node override, else file settings)."""
        return self.node.keys or self.state.flowset.settings.keys

    @property
    def listens(self) -> bool:
        """True when this menu accepts speech."""
        if self.node.input is not None:
            return "speech" in self.node.input
        return any(o.say for o in self.node.options)

    @property
    def hears_keys(self) -> bool:
        """True when this menu accepts DTMF."""
        return self.node.input is None or "dtmf" in self.node.input

    def enter(self) -> Transition:
        # Back at a menu the caller left from (an info prompt that returns here): "back"
        # must lead to the menu before this one, so this menu leaves the stack.
        here = (self.state.flow_name, self.name)
        stack = self.state.menu_stack
        while stack and stack[-1] == here:
            stack.pop()
        return self.ask()

    def ask(self, before: tuple[Prompt, ...] = (), repeat: bool = False) -> Wait:
        field = self.node.short_prompt if repeat and self.node.short_prompt else self.node.prompt
        prompts = before + self.state.prompts(field)
        option_keys = {o.key for o in self.node.options if o.key}
        global_keys = {k for k in (self.keys.operator, self.keys.repeat, self.keys.back) if k}
        digits = None
        if self.hears_keys:
            valid = "".join(k for k in "0123456789*#" if k in option_keys | global_keys)
            digits = self.digit_spec(min_digits=1, max_digits=1, valid_keys=valid)
        speech = None
        if self.listens:
            phrases = tuple(dict.fromkeys(p for o in self.node.options for p in o.say))
            speech = SpeechSpec(language=self.state.language, phrases=phrases)
        return self.gather(prompts, digits=digits, speech=speech, barge_in=self.node.barge_in)

    def handle(self, event: Event) -> Transition:
        if self.confirming is not None:
            return self._confirmed(event)
        if isinstance(event, NoInput):
            return self.retry("no_input")
        if isinstance(event, Digits):
            if not event.digits and event.terminated_by is None:
                return self.retry("no_input")
            return self._key(event.digits or event.terminated_by or "")
        if isinstance(event, SpeechHeard):
            return self._speech(event)
        raise UnexpectedEvent(f"menu {self.name!r} did not expect {event!r}")

    def _key(self, key: str) -> Transition:
        self.state.note("digits", {"digits": key})
        for option in self.node.options:
            if option.key == key:
                return self.choose(option, via="dtmf")
        if key and key == self.keys.operator:
            self.state.note("option_chosen", {"option": "operator", "via": "dtmf"})
            return self.operator("operator_key")
        if key and key == self.keys.repeat:
            return self.ask()
        if key and key == self.keys.back and self.state.menu_stack:
            flow, node = self.state.menu_stack.pop()
            target = node if flow == self.state.flow_name else f"flow:{flow}:{node}"
            return Go(target)
        return self.retry("no_match", heard=key)

    def _speech(self, heard: SpeechHeard) -> Transition:
        match = best_option(heard.text, [o.say for o in self.node.options])
        option = self.node.options[match.index] if match else None
        floor = float(self._setting("min_confidence"))
        confirm = float(self._setting("confirm_below"))
        unsure = heard.confidence < confirm or (
            heard.narrowband and bool(self._setting("confirm_narrowband")))
        result = ("no option" if option is None else "below threshold"
                  if heard.confidence < floor else "offered" if unsure else "chosen")
        note: dict[str, object] = {
            "text": heard.text, "confidence": heard.confidence,
            "option": option.name if option else None, "recognition_ms": heard.recognition_ms,
            "result": result}
        if heard.narrowband:
            note["narrowband"] = True
        if heard.evidence is not None:
            note["evidence"] = dict(heard.evidence)
        self.state.note("speech", note)
        if option is None or heard.confidence < floor:
            return self.retry("no_match", heard=heard.text)
        if unsure:
            self.confirming = option
            # The phrase the caller said, in their language, not the option's report label.
            prompt = confirmation_prompt(self.state, closest_phrase(heard.text, option.say))
            return self.gather(
                prompt,
                digits=self.digit_spec(min_digits=1, max_digits=1, valid_keys="12"),
                speech=SpeechSpec(language=self.state.language, phrases=YES_NO, carriers=False),
            )
        return self.choose(option, via="speech")

    def _setting(self, name: str) -> float | bool:
        """The menu's own *name*, or the file's ``settings:`` one when the menu sets none."""
        value: float | bool | None = getattr(self.node, name)
        return getattr(self.state.flowset.settings, name) if value is None else value

    def _confirmed(self, event: Event) -> Transition:
        option, self.confirming = self.confirming, None
        answer = yes_or_no(event)
        if answer is True and option is not None:
            return self.choose(option, via="speech")
        if answer is None and isinstance(event, NoInput):
            return self.retry("no_input")
        return self.retry("no_match", heard="not confirmed")

    def choose(self, option: Option, via: str) -> Transition:
        """Take *option*: remember the menu for "back", apply its language and variables."""
        self.state.note("option_chosen", {"option": option.name, "via": via,
                                          "target": option.next})
        if option.language:
            self.state.set_language(option.language)
        for name, value in option.set.items():
            self.state.set_variable(name, value)
        here = (self.state.flow_name, self.name)
        if not self.state.menu_stack or self.state.menu_stack[-1] != here:
            self.state.menu_stack.append(here)
        return Go(option.next)
