"""``queue``: hand the caller to an agent queue, offering a callback when the wait is long.

Asterisk's ``Queue()`` holds the caller, not our socket: the outcome and the
variables the agent should see go back to the dialplan on the channel.
"""

from __future__ import annotations

from ivr.calls.outcome import OutcomeKind
from ivr.flows.effects import CheckQueue, DigitSpec, Gather, Outcome, Play
from ivr.flows.events import Digits, Event, NoInput, PlaybackDone, QueueStatus, SpeechHeard
from ivr.flows.nodes import QueueNode
from ivr.flows.steps.base import End, Step, Transition, UnexpectedEvent, Wait
from ivr.flows.steps.callback import NumberCapture, callback_ask


class QueueStep(Step[QueueNode]):
    """One visit to a queue node: announce, maybe offer a callback, hand over."""

    kind = "queue"
    _phase = "announce"

    def enter(self) -> Transition:
        prompts = self.state.prompts(self.node.prompt)
        if prompts:
            return Wait((Play(self.name, prompts),))
        return self._after_announce()

    def _after_announce(self) -> Transition:
        if self.node.callback is None:
            return End(self._outcome())
        self._phase = "check"
        queue = self._outcome().queue or self.node.queue
        return Wait((CheckQueue(self.name, queue),))

    def _outcome(self) -> Outcome:
        return self.queue_outcome(
            self.node.queue,
            priority=self.node.priority,
            music_class=self.node.music_class,
            max_wait_s=self.node.max_wait,
        )

    def handle(self, event: Event) -> Transition:
        callback = self.node.callback
        if self._phase == "announce" and isinstance(event, PlaybackDone | Digits):
            return self._after_announce()
        if self._phase == "check" and isinstance(event, QueueStatus) and callback:
            wait = event.estimated_wait_s
            self.state.note("lookup", {"queue": event.queue, "available": event.available,
                                       "wait_s": wait})
            if wait is None or wait <= callback.when_wait_over:
                return End(self._outcome())
            self._phase = "offer"
            self.state.note("option_chosen", {"option": "callback_offered", "via": "ivr"})
            spec_prompts = self.state.prompts(callback.prompt)
            spec = DigitSpec(min_digits=1, max_digits=1, valid_keys="1",
                             timeout_s=self.state.flowset.settings.timeout)
            return Wait((Gather(self.name, spec_prompts, digits=spec),))
        if self._phase == "offer" and isinstance(event, Digits | NoInput | SpeechHeard):
            if isinstance(event, Digits) and event.digits == "1" and callback:
                self.state.note("option_chosen", {"option": "callback", "via": "dtmf"})
                self._phase = "number"
                self._capture = NumberCapture(self, callback, self)
                return self._capture.start()
            return End(self._outcome())
        if self._phase == "number":
            return self._capture.handle(event)
        if self._phase == "confirm" and isinstance(event, PlaybackDone | Digits) and callback:
            return End(self._callback())
        raise UnexpectedEvent(f"queue {self.name!r} did not expect {event!r} ({self._phase})")

    def _callback(self) -> Outcome:
        base = self._outcome()
        callback = self.node.callback
        return Outcome(OutcomeKind.CALLBACK, self.name, queue=base.queue, priority=base.priority,
                       callback_offered=True,
                       callback=callback_ask(self, callback, self._number) if callback else None)

    def outcome_on_hangup(self) -> Outcome:
        # Hanging up while "we will call you back" plays is how that call ends.
        if self._phase == "confirm":
            return self._callback()
        return super().outcome_on_hangup()

    def number_known(self, number: str) -> Transition:
        """Confirm the callback to the caller; the outcome follows the confirmation."""
        assert self.node.callback is not None
        self._phase = "confirm"
        self._number = number
        self.state.set_variable("callback_number", number)
        return Wait((Play(self.name, self.state.prompts(self.node.callback.confirmation)),))

    def number_failed(self) -> Transition:
        """No usable number: the caller stays in the queue after all."""
        return End(self._outcome())
