"""Nodes that need no input: ``play``, ``set``, ``goto``, ``transfer`` and ``hangup``."""

from __future__ import annotations

import abc

from ivr.calls.outcome import OutcomeKind
from ivr.flows.effects import Outcome, Play
from ivr.flows.events import Digits, Event, PlaybackDone
from ivr.flows.nodes import Goto, Hangup, Set, Transfer
from ivr.flows.nodes import Play as PlayNode
from ivr.flows.parts import PromptField
from ivr.flows.steps.base import End, Go, N, Step, Transition, UnexpectedEvent, Wait
from ivr.flows.template import fields_or_none, is_sensitive, render

_ALL_KEYS = "0123456789*#"


class PlayStep(Step[PlayNode]):
    """Say something, then go on; a key press may cut it short."""

    kind = "play"

    def enter(self) -> Transition:
        prompts = self.state.prompts(self.node.prompt)
        keys = _ALL_KEYS if self.node.interruptible else ""
        return Wait((Play(self.name, prompts, interrupt_keys=keys),))

    def handle(self, event: Event) -> Transition:
        if isinstance(event, Digits):
            self.state.note("digits", {"digits": event.digits, "interrupted": True})
            return Go(self.node.next)
        if isinstance(event, PlaybackDone):
            return Go(self.node.next)
        raise UnexpectedEvent(f"play {self.name!r} did not expect {event!r}")


class SetStep(Step[Set]):
    """Set variables (templates rendered now) and/or the language."""

    kind = "set"

    def enter(self) -> Transition:
        for name, template in self.node.variables.items():
            # Taint at run time too: a copy of a sensitive value is sensitive.
            secret = name in self.node.sensitive or any(
                is_sensitive(f.name, self.state.sensitive) for f in fields_or_none(template))
            self.state.set_variable(name, render(template, self.state.variables),
                                    sensitive=secret)
        if self.node.language:
            self.state.set_language(self.node.language)
        return Go(self.node.next)


class GotoStep(Step[Goto]):
    """Continue in another flow."""

    kind = "goto"

    def enter(self) -> Transition:
        node = self.node.node or self.state.flowset.flows[self.node.flow].start
        return Go(f"flow:{self.node.flow}:{node}")


class Announcing(Step[N], abc.ABC):
    """A node that may say something, then ends the IVR with :meth:`outcome`."""

    @abc.abstractmethod
    def outcome(self) -> Outcome:
        """How the IVR ends at this node."""

    @abc.abstractmethod
    def announcement(self) -> PromptField | None:
        """What to say before ending, if anything."""

    def enter(self) -> Transition:
        prompts = self.state.prompts(self.announcement())
        if not prompts:
            return End(self.outcome())
        return Wait((Play(self.name, prompts),))

    def handle(self, event: Event) -> Transition:
        if isinstance(event, PlaybackDone | Digits):
            return End(self.outcome())
        raise UnexpectedEvent(f"{self.kind} {self.name!r} did not expect {event!r}")


class TransferStep(Announcing[Transfer]):
    """Hand the call to a number or extension (the dialplan dials ``IVR_TARGET``)."""

    kind = "transfer"

    def outcome(self) -> Outcome:
        target = render(self.node.target, self.state.variables, hidden=self.state.sensitive)
        return Outcome(OutcomeKind.TRANSFER, self.name, target=target)

    def announcement(self) -> PromptField | None:
        return self.node.prompt


class HangupStep(Announcing[Hangup]):
    """Say goodbye and end; ``outcome: self_service`` marks the call as resolved."""

    kind = "hangup"

    def outcome(self) -> Outcome:
        return Outcome(OutcomeKind(self.node.outcome), self.name)

    def announcement(self) -> PromptField | None:
        return self.node.prompt

    def outcome_on_hangup(self) -> Outcome:
        # A caller who hangs up during "Goodbye" was served just the same.
        return self.outcome()
