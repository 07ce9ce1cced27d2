"""``callback``: take a request to be called back, and the number capture the queue offer shares.

Both the ``callback`` node (after hours) and a queue node's callback offer end the
IVR with outcome ``callback`` carrying a :class:`~ivr.flows.effects.CallbackAsk`;
the adapter stores it as a durable request. The engine only describes the promise.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from ivr.calls.outcome import OutcomeKind
from ivr.flows.effects import CallbackAsk, DigitSpec, Gather, Outcome, Play
from ivr.flows.events import Digits, Event, NoInput, PlaybackDone, SpeechHeard
from ivr.flows.nodes import CallbackNode, NumberAsk
from ivr.flows.steps.base import End, Step, Transition, UnexpectedEvent, Wait

#: A caller ID we can dial back: digits with an optional leading +, not "anonymous".
_DIALLABLE = re.compile(r"\+?[0-9]{3,15}")


def diallable(number: str | None) -> bool:
    """True when *number* is a phone number the service may call back."""
    return bool(number) and _DIALLABLE.fullmatch(number or "") is not None


class _Owner(Protocol):
    def number_known(self, number: str) -> Transition: ...

    def number_failed(self) -> Transition: ...


class NumberCapture:
    """Gets the number to call: the caller ID, or keyed-in digits read back and confirmed."""

    def __init__(self, step: Step[Any], ask: NumberAsk, owner: _Owner) -> None:
        self.step, self.ask, self.owner = step, ask, owner
        self.phase = "number"
        self.attempts = 0
        self.keyed = ""

    def start(self) -> Transition:
        """Use the caller ID when allowed and diallable; otherwise ask for the number."""
        caller = self.step.state.record.caller
        if self.ask.ask_number == "withheld" and diallable(caller):
            return self.owner.number_known(caller or "")
        return self._ask_number()

    def _ask_number(self) -> Transition:
        self.phase = "number"
        state = self.step.state
        spec = DigitSpec(min_digits=3, max_digits=15, finish_key="#", valid_keys="0123456789",
                         timeout_s=state.flowset.settings.timeout,
                         inter_digit_timeout_s=state.flowset.settings.inter_digit_timeout)
        return Wait((Gather(self.step.name, state.prompts(self.ask.number_prompt), digits=spec),))

    def _ask_check(self) -> Transition:
        self.phase = "check"
        state = self.step.state
        spec = DigitSpec(min_digits=1, max_digits=1, valid_keys="12",
                         timeout_s=state.flowset.settings.timeout)
        return Wait((Gather(self.step.name, state.prompts(self.ask.number_check), digits=spec),))

    def _again(self) -> Transition:
        self.attempts += 1
        if self.attempts >= self.step.state.flowset.settings.max_attempts:
            return self.owner.number_failed()
        return self._ask_number()

    def handle(self, event: Event) -> Transition:
        """Take the answer to the number or the read-back question."""
        if not isinstance(event, Digits | NoInput | SpeechHeard):
            raise UnexpectedEvent(f"{self.step.name!r} did not expect {event!r} ({self.phase})")
        digits = event.digits if isinstance(event, Digits) else ""
        if self.phase == "number":
            if not diallable(digits):
                return self._again()
            self.keyed = digits
            self.step.state.set_variable("callback_number_spoken", " ".join(digits))
            return self._ask_check()
        if digits == "1":
            return self.owner.number_known(self.keyed)
        if digits == "2":
            return self._again()
        self.attempts += 1
        if self.attempts >= self.step.state.flowset.settings.max_attempts:
            return self.owner.number_failed()
        return self._ask_check()


def callback_ask(step: Step[Any], ask: NumberAsk, number: str,
                 after: str | None = None) -> CallbackAsk:
    """The promise for *number* with the node's calendar (copied from ``calendars:``) and topic."""
    calendars = step.state.flowset.document.calendars
    calendar = calendars.get(ask.calendar) if ask.calendar else None
    return CallbackAsk(number=number, calendar=calendar, topic=ask.topic, after=after)


class CallbackStep(Step[CallbackNode]):
    """One visit to a callback node: explain, get the number, confirm, end with the promise."""

    kind = "callback"
    _phase = "intro"

    def enter(self) -> Transition:
        self._capture = NumberCapture(self, self.node, self)
        prompts = self.state.prompts(self.node.prompt)
        if prompts:
            return Wait((Play(self.name, prompts),))
        return self._capture.start()

    def number_known(self, number: str) -> Transition:
        """Confirm to the caller; the outcome follows the confirmation."""
        self._phase = "confirm"
        self._number = number
        self.state.set_variable("callback_number", number)
        return Wait((Play(self.name, self.state.prompts(self.node.confirmation)),))

    def number_failed(self) -> Transition:
        """No usable number after every attempt: an agent (or a polite goodbye) instead."""
        return self.operator("callback:no_number")

    def handle(self, event: Event) -> Transition:
        if self._phase == "intro" and isinstance(event, PlaybackDone | Digits):
            self._phase = "number"
            return self._capture.start()
        if self._phase == "number":
            return self._capture.handle(event)
        if self._phase == "confirm" and isinstance(event, PlaybackDone | Digits):
            base = self.queue_outcome(self.node.queue, priority=self.node.priority)
            ask = callback_ask(self, self.node, self._number, self.node.after)
            return End(Outcome(OutcomeKind.CALLBACK, self.name, queue=base.queue,
                               priority=base.priority, callback=ask))
        raise UnexpectedEvent(f"callback {self.name!r} did not expect {event!r} ({self._phase})")
