"""What every step (one activation of a node) shares: transitions, retries, exits.

A step is created each time the caller enters a node, so per-visit state
(attempts, a pending confirmation) lives on the step object and disappears
when the caller moves on.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from ivr.calls.outcome import OutcomeKind
from ivr.flows.context import CallState
from ivr.flows.effects import DigitSpec, Effect, Gather, Outcome, Prompt
from ivr.flows.events import Event
from ivr.flows.nodes import Node
from ivr.flows.parts import RetryLimit


@dataclass(frozen=True, slots=True)
class Wait:
    """Stay at this node; the last effect is blocking and its answer comes to ``handle``."""

    effects: tuple[Effect, ...]


@dataclass(frozen=True, slots=True)
class Go:
    """Move to *target* (a node of this flow, or ``flow:NAME``) after *effects*."""

    target: str
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True, slots=True)
class End:
    """The IVR is done: the engine adds the ``Finish`` effect."""

    outcome: Outcome
    effects: tuple[Effect, ...] = ()


Transition = Wait | Go | End


class UnexpectedEvent(Exception):
    """An adapter answered a blocking effect with an event that does not fit it (adapter bug)."""


N = TypeVar("N", bound=Node)


class Step(Generic[N]):
    """Base of every node kind's behaviour."""

    kind: ClassVar[str]

    def __init__(self, node: N, state: CallState) -> None:
        self.node = node
        self.state = state

    @property
    def name(self) -> str:
        """The node's name in its flow."""
        return self.state.node_name

    def enter(self) -> Transition:
        """Start this node's work."""
        raise UnexpectedEvent(f"{self.kind} node has no enter()")

    def handle(self, event: Event) -> Transition:
        """Take the answer to this node's blocking effect."""
        raise UnexpectedEvent(f"{self.kind} node {self.name!r} did not expect {event!r}")

    def outcome_on_hangup(self) -> Outcome:
        """How the call ends if the caller hangs up here (default: abandoned at this node)."""
        return Outcome(OutcomeKind.ABANDONED, self.name, reason="caller_hangup")

    # Shared exits ------------------------------------------------------------------

    def queue_outcome(self, queue: str, reason: str | None = None, **override: Any) -> Outcome:
        """An outcome that hands the caller to named queue *queue* (config from ``queues:``)."""
        conf = self.state.flowset.document.queues.get(queue)
        values: dict[str, Any] = {
            "queue": (conf.asterisk if conf and conf.asterisk else queue),
            "priority": conf.priority if conf else None,
            "music_class": conf.music_class if conf else None,
            "max_wait_s": conf.max_wait if conf else None,
        }
        values.update({k: v for k, v in override.items() if v is not None})
        return Outcome(OutcomeKind.QUEUE, self.name, reason=reason, **values)

    def operator(self, reason: str) -> End:
        """Send the caller to the operator queue, or hang up politely if there is none."""
        queue = self.state.flowset.settings.operator_queue
        if queue is None:
            return End(Outcome(OutcomeKind.HANGUP, self.name, reason=reason))
        return End(self.queue_outcome(queue, reason=reason))


R = TypeVar("R", bound=Node)


class Asking(Step[R], abc.ABC):
    """A node that waits for the caller, with FreeSWITCH/FreePBX-style retries.

    Subclasses build their question with :meth:`ask`; ``no_input``/``no_match``
    prompts, ``max_attempts`` and ``on_failure`` are handled here.
    """

    def __init__(self, node: R, state: CallState) -> None:
        super().__init__(node, state)
        #: Failed tries counted together (kinds without their own ``on_no_…`` limit).
        self.attempts = 0
        #: Failed tries of a kind that has its own limit, by kind.
        self.own_counts: dict[str, int] = {}

    @abc.abstractmethod
    def ask(self, before: tuple[Prompt, ...] = (), repeat: bool = False) -> Wait:
        """Return the blocking question, with *before* prompts (e.g. "Sorry…") first."""

    def enter(self) -> Transition:
        return self.ask()

    def setting(self, name: str) -> Any:
        """A retry setting from the node, falling back to the file's settings."""
        value = getattr(self.node, name, None)
        return getattr(self.state.flowset.settings, name) if value is None else value

    def digit_spec(self, **values: Any) -> DigitSpec:
        """A DigitSpec with this node's timeouts."""
        values.setdefault("timeout_s", float(self.setting("timeout")))
        values.setdefault(
            "inter_digit_timeout_s",
            float(getattr(self.node, "inter_digit_timeout", None)
                  or self.state.flowset.settings.inter_digit_timeout),
        )
        return DigitSpec(**values)

    def gather(self, prompts: tuple[Prompt, ...], **kwargs: Any) -> Wait:
        """Wrap a ``Gather`` for this node in a ``Wait``."""
        return Wait((Gather(self.name, prompts, **kwargs),))

    def own_limit(self, reason: str) -> RetryLimit | None:
        """The node's ``on_no_input``/``on_no_match`` for *reason*, if it counts it apart."""
        limit = getattr(self.node, f"on_{reason}", None)
        return limit if isinstance(limit, RetryLimit) else None

    def retry(self, reason: str, heard: str | None = None) -> Transition:
        """Count a failed attempt; ask again with the matching apology, or give up."""
        own = self.own_limit(reason)
        if own is None:
            self.attempts += 1
            count, limit = self.attempts, int(self.setting("max_attempts"))
        else:
            count = self.own_counts[reason] = self.own_counts.get(reason, 0) + 1
            limit = own.max or int(self.setting("max_attempts"))
        data: dict[str, Any] = {"attempt": count}
        if heard is not None:
            data["input"] = heard
        self.state.note("no_input" if reason == "no_input" else "no_match", data)
        if count >= limit:
            return self.fail(reason)
        self.state.note("retry", {"attempt": count + 1, "reason": reason})
        apology = self.state.prompts(self.setting(reason))
        return self.ask(before=apology, repeat=True)

    def failure_target(self, reason: str) -> str | None:
        """Where to go when tries of *reason* run out: its own ``next``, else ``on_failure``."""
        own = self.own_limit(reason)
        if own is not None and own.next is not None:
            return own.next
        target = getattr(self.node, "on_failure", None)
        return target if isinstance(target, str) else None

    def fail(self, reason: str) -> Transition:
        """After max attempts: the failure target if given, else the operator queue."""
        target = self.failure_target(reason)
        if target is not None:
            return Go(target)
        return self.operator(f"max_attempts:{reason}")
