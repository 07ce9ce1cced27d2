"""``voicemail`` (record, then end) and ``record`` (record into a variable, then go on)."""

from __future__ import annotations

from ivr.calls.outcome import OutcomeKind
from ivr.flows.effects import Outcome, Play, Record
from ivr.flows.events import Digits, Event, PlaybackDone, Recorded
from ivr.flows.nodes import Record as RecordNode
from ivr.flows.nodes import Voicemail
from ivr.flows.steps.base import End, Go, Step, Transition, UnexpectedEvent, Wait


class VoicemailStep(Step[Voicemail]):
    """Leave a message for a mailbox."""

    kind = "voicemail"
    _recorded = False

    def enter(self) -> Transition:
        prompts = self.state.prompts(self.node.prompt)
        return Wait((Record(self.name, prompts, self.node.max_seconds, self.node.silence,
                            self.node.beep),))

    def _outcome(self) -> Outcome:
        return Outcome(OutcomeKind.VOICEMAIL, self.name, mailbox=self.node.mailbox)

    def handle(self, event: Event) -> Transition:
        if isinstance(event, Recorded) and not self._recorded:
            self._recorded = True
            self.state.record.recording = event.file
            self.state.note("recorded", {"file": event.file, "duration_s": event.duration_s,
                                         "reason": event.reason})
            goodbye = self.state.prompts(self.node.goodbye)
            if event.reason == "hangup" or not goodbye:
                return End(self._outcome())
            return Wait((Play(self.name, goodbye),))
        if self._recorded and isinstance(event, PlaybackDone | Digits):
            return End(self._outcome())
        raise UnexpectedEvent(f"voicemail {self.name!r} did not expect {event!r}")

    def outcome_on_hangup(self) -> Outcome:
        # Hanging up after the message is how most people end a voicemail.
        if self._recorded:
            return self._outcome()
        return super().outcome_on_hangup()


class RecordStep(Step[RecordNode]):
    """Record the caller into a variable (the file name), then go on."""

    kind = "record"

    def enter(self) -> Transition:
        prompts = self.state.prompts(self.node.prompt)
        return Wait((Record(self.name, prompts, self.node.max_seconds, self.node.silence,
                            self.node.beep),))

    def handle(self, event: Event) -> Transition:
        if isinstance(event, Recorded):
            self.state.note("recorded", {"file": event.file, "duration_s": event.duration_s,
                                         "reason": event.reason})
            self.state.set_variable(self.node.variable, event.file)
            return Go(self.node.next)
        raise UnexpectedEvent(f"record {self.name!r} did not expect {event!r}")
