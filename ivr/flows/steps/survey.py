"""``survey``: CSAT (1-5) or NPS (0-10) keyed in after the call."""

from __future__ import annotations

from ivr.calls.outcome import OutcomeKind
from ivr.flows.effects import Outcome, Play, Prompt
from ivr.flows.events import Digits, Event, NoInput, PlaybackDone, SpeechHeard
from ivr.flows.nodes import Survey
from ivr.flows.steps.base import Asking, End, Go, Transition, UnexpectedEvent, Wait

_RANGES = {"csat": (1, 5), "nps": (0, 10)}


class SurveyStep(Asking[Survey]):
    """One visit to a survey node."""

    kind = "survey"
    _scored = False

    def ask(self, before: tuple[Prompt, ...] = (), repeat: bool = False) -> Wait:
        prompts = before + self.state.prompts(self.node.prompt)
        nps = self.node.kind == "nps"
        spec = self.digit_spec(min_digits=1, max_digits=2 if nps else 1,
                               finish_key="#" if nps else None, valid_keys="0123456789#")
        return self.gather(prompts, digits=spec)

    def handle(self, event: Event) -> Transition:
        if self._scored and isinstance(event, PlaybackDone | Digits):
            return self._next()
        if isinstance(event, NoInput):
            return self.retry("no_input")
        if isinstance(event, Digits):
            low, high = _RANGES[self.node.kind]
            self.state.note("digits", {"digits": event.digits})
            if not event.digits.isdigit() or not low <= int(event.digits) <= high:
                return self.retry("no_match", heard=event.digits)
            score = int(event.digits)
            self._scored = True
            self.state.record.survey_kind = self.node.kind
            self.state.record.survey_score = score
            self.state.note("survey", {"kind": self.node.kind, "score": score})
            self.state.set_variable("survey_score", score)
            thanks = self.state.prompts(self.node.thanks)
            return Wait((Play(self.name, thanks),)) if thanks else self._next()
        if isinstance(event, SpeechHeard) and not self._scored:
            # Scores are keyed in; words are not a score.
            return self.retry("no_match", heard=event.text)
        raise UnexpectedEvent(f"survey {self.name!r} did not expect {event!r}")

    def _next(self) -> Transition:
        if self.node.next is not None:
            return Go(self.node.next)
        return End(Outcome(OutcomeKind.HANGUP, self.name, reason="survey_done"))

    def fail(self, reason: str) -> Transition:
        # No score is not worth an agent's time: end (or go on) instead of the operator queue.
        target = self.failure_target(reason)
        if target is not None:
            return Go(target)
        return End(Outcome(OutcomeKind.HANGUP, self.name, reason=f"survey_{reason}"))

    def outcome_on_hangup(self) -> Outcome:
        # The survey runs after the caller was served: hanging up ends the survey (with or
        # without a score), it does not make the call abandoned.
        return Outcome(OutcomeKind.HANGUP, self.name,
                       reason="survey_done" if self._scored else "survey_no_score")
