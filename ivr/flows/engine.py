"""The pure flow engine: events in, effects out (no sockets, no Asterisk, no clock).

::

    call = Call(flowset, "main", call_id="1700000000.1", caller="+15551234")
    effects = call.start(now)               # [Answer(), Gather(...)]
    effects = call.receive(Digits("1"), now)

Only the last effect of a returned list may be blocking; its answer is the
next event. ``Hangup`` may answer any blocking effect and ends the call as
abandoned at the node the caller was on (or as the node says: a survey, a
goodbye). Any other event is taken for what it means to the pending effect
(:func:`ivr.flows.steps.fit.fit`): the node's rules then take it, count it as
a no-match, or ignore it; no event raises. The FastAGI session, the terminal
simulator and the tests all drive this same class.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from typing import Any

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.flows.context import CallState
from ivr.flows.effects import Answer, Blocking, Effect, Finish, Outcome
from ivr.flows.events import AdapterError, Event, Hangup
from ivr.flows.flowset import FlowSet
from ivr.flows.steps import STEPS
from ivr.flows.steps.base import End, Go, Step, Transition, UnexpectedEvent, Wait
from ivr.flows.steps.fit import fit

#: Node moves without caller input before the engine calls it a loop. The validator
#: rejects input-free cycles; this is the safety net for flows loaded without it.
MAX_HOPS = 100


class EngineError(Exception):
    """The adapter used the engine wrongly (an event with nothing pending, after the end …)."""


class Call:
    """One caller's walk through a flow."""

    def __init__(
        self,
        flowset: FlowSet,
        flow: str,
        *,
        call_id: str,
        caller: str | None = None,
        dnid: str | None = None,
        variables: Mapping[str, str] | None = None,
        language: str | None = None,
        linkedid: str | None = None,
    ) -> None:
        if flow not in flowset.flows:
            known = ", ".join(sorted(flowset.flows)) or "none"
            raise EngineError(f"no flow named {flow!r} (flows: {known})")
        first = flowset.flows[flow]
        lang = language or first.language or flowset.settings.default_language
        epoch = dt.datetime.fromtimestamp(0, dt.UTC)
        record = CallRecord(call_id=call_id, started_at=epoch, flow=flow,
                            flow_version=flowset.version, caller=caller, dnid=dnid,
                            linkedid=linkedid, language=lang)
        self._state = CallState(flowset, flow, first.start, lang, record, epoch)
        builtins = {"caller": caller or "", "dnid": dnid or "", "call_id": call_id,
                    "language": lang}
        self._state.variables.update({**dict(variables or {}), **builtins})
        self._step: Step[Any] | None = None
        self._pending: Blocking | None = None
        self._outcome: Outcome | None = None
        self._started = False

    # Public state ---------------------------------------------------------------------

    @property
    def record(self) -> CallRecord:
        """The call record as built so far (complete once :attr:`finished`)."""
        return self._state.record

    @property
    def finished(self) -> bool:
        """True once the IVR part of the call is over."""
        return self._outcome is not None

    @property
    def outcome(self) -> Outcome | None:
        """How the call ended, once finished."""
        return self._outcome

    @property
    def pending(self) -> Blocking | None:
        """The blocking effect awaiting an event, if any."""
        return self._pending

    @property
    def variables(self) -> dict[str, str]:
        """Flow variables with sensitive ones left out (safe to show or store)."""
        return self._state.public_variables()

    def drain_timeline(self) -> list[TimelineEntry]:
        """Timeline entries added since the last call (for incremental persistence)."""
        return self._state.drain()

    # Driving --------------------------------------------------------------------------

    def start(self, now: dt.datetime) -> list[Effect]:
        """Begin the call at *now*: answer and run until the first blocking effect."""
        if self._started:
            raise EngineError("start() was already called")
        self._started = True
        s = self._state
        s.now = s.record.started_at = now
        s.note("call_started", {"flow": s.flow_name, "flow_version": s.flowset.version,
                                "caller": s.record.caller, "dnid": s.record.dnid,
                                "language": s.language})
        return [Answer(), *self._follow(Go(s.flow.start))]

    def receive(self, event: Event, now: dt.datetime) -> list[Effect]:
        """Feed the answer to the pending effect; return what to do next."""
        if self.finished:
            raise EngineError(f"the call has ended; {event!r} came too late")
        if self._pending is None or self._step is None:
            raise EngineError(f"{event!r} answers nothing: call start() first")
        self._state.now = now
        pending, self._pending = self._pending, None
        if isinstance(event, Hangup):
            self._state.note("hangup", {"by": "caller"})
            self._end(self._step.outcome_on_hangup())
            return []
        if isinstance(event, AdapterError):
            self._state.note("error", {"reason": event.reason})
            failed = Outcome(OutcomeKind.ERROR, self._state.node_name, reason=event.reason)
            return self._follow(End(failed))
        answer = fit(pending, event)
        transition: Transition | None = None
        if answer is not None:
            # A node without a rule for it ignores it, like any other stray event.
            with contextlib.suppress(UnexpectedEvent):
                transition = self._step.handle(answer)
        if transition is not None:
            return self._follow(transition)
        # Not an answer to what is pending (a lookup reply while a prompt plays): keep
        # waiting. The effect is handed out again because adapters act only on effects.
        self._pending = pending
        return [pending]

    # Internals ------------------------------------------------------------------------

    def _follow(self, transition: Transition) -> list[Effect]:
        effects: list[Effect] = []
        for _hop in range(MAX_HOPS):
            effects.extend(transition.effects)
            if isinstance(transition, Wait):
                last = effects[-1]
                assert not isinstance(last, Answer | Finish)  # steps only wait on blocking effects
                self._pending = last  # type: ignore[assignment]
                return effects
            if isinstance(transition, End):
                self._end(transition.outcome)
                return [*effects, Finish(transition.outcome, self._channel_variables())]
            transition = self._enter(transition.target)
        node = self._state.node_name
        self._state.note("error", {"reason": "loop", "hops": MAX_HOPS})
        self._end(Outcome(OutcomeKind.ERROR, node, reason="loop: no caller input after many steps"))
        assert self._outcome is not None
        return [*effects, Finish(self._outcome, self._channel_variables())]

    def _enter(self, target: str) -> Transition:
        s = self._state
        flow, node = s.flow_name, target
        if target.startswith("flow:"):
            _prefix, flow, *rest = target.split(":")
            node = rest[0] if rest else s.flowset.flows[flow].start
        if flow not in s.flowset.flows or node not in s.flowset.flows[flow].nodes:
            return End(Outcome(OutcomeKind.ERROR, s.node_name, reason=f"unknown target {target!r}"))
        s.flow_name, s.node_name = flow, node
        s.record.path.append(node)
        s.note("node_entered", {"kind": s.node.type, "flow": flow})
        self._step = STEPS[s.node.type](s.node, s)
        return self._step.enter()

    def _end(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self._state.finish(outcome)

    def _channel_variables(self) -> dict[str, str]:
        """What the dialplan and the agent's screen-pop get (never sensitive values)."""
        o = self._outcome
        assert o is not None
        s = self._state
        values: dict[str, Any] = {
            "IVR_OUTCOME": o.kind, "IVR_NODE": o.node, "IVR_QUEUE": o.queue,
            "IVR_PRIORITY": o.priority, "IVR_MUSIC_CLASS": o.music_class,
            "IVR_MAX_WAIT": o.max_wait_s, "IVR_TARGET": o.target, "IVR_MAILBOX": o.mailbox,
            "IVR_REASON": o.reason, "IVR_CALLBACK": "1" if o.kind == "callback" else None,
            "IVR_LANGUAGE": s.language, "IVR_PATH": ",".join(s.record.path),
            "IVR_FLOW_VERSION": s.flowset.version,
        }
        shared = self._shared_names()
        for name, value in s.public_variables().items():
            if name in shared:
                values[f"IVR_VAR_{name}"] = value
        return {k: str(v) for k, v in values.items() if v is not None}

    def _shared_names(self) -> set[str]:
        node = self._state.node
        builtins = {"caller", "dnid", "call_id", "language"}
        share = getattr(node, "share", None)
        if share is not None:
            return set(share)
        return set(self._state.variables) - builtins - self._state.sensitive
