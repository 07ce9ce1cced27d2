"""One recorded call through a (changed) flow, and how its new ending compares with the old.

The call runs through the interpreter live calls use
(:class:`~ivr.interpreter.session.CallSession` over the pure engine), with the replay's
transport, lookup backend and queue board (:mod:`ivr.replay.transport`,
:mod:`ivr.replay.replies`) answering from the record, and the recorded time as its
clock, so hours checks decide as they did on the day. Where the record cannot answer,
the call is *not replayable* with the reason (never guessed); what was done in place of
missing values (stand-ins for sensitive entries, recorded replies) is in its notes.
This module only compares: the old and new path and ending, and where they part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord
from ivr.flows.engine import Call
from ivr.flows.flowset import FlowSet
from ivr.interpreter.session import CallSession, SessionDeps
from ivr.replay.inputs import read
from ivr.replay.replies import RecordedReplies
from ivr.replay.transport import NotReplayable, ReplayTransport, Tape

T = TypeVar("T")

Status = Literal["same", "rerouted", "changed", "not_replayable"]


@dataclass(frozen=True, slots=True)
class Ending:
    """How a call ended, as compared between the old and the new flow."""

    kind: str | None
    node: str | None
    queue: str | None = None
    target: str | None = None

    @property
    def label(self) -> str:
        """The ending as compared: ``queue sales``, ``self_service``, ``abandoned at ask_pin``."""
        if self.kind is None:
            return "unfinished"
        if self.queue or self.target:
            return f"{self.kind} {self.queue or self.target}"
        if self.node and self.kind in (OutcomeKind.ABANDONED, OutcomeKind.ERROR,
                                       OutcomeKind.HANGUP):
            return f"{self.kind} at {self.node}"
        return self.kind


@dataclass(frozen=True, slots=True)
class CallResult:
    """One call replayed: the old and new path and ending, and how they compare."""

    call_id: str
    started_at: dt.datetime
    old_path: tuple[str, ...]
    old: Ending
    new_path: tuple[str, ...]
    new: Ending | None
    status: Status
    #: Why the call could not be replayed past ``stopped_at``.
    reason: str | None = None
    stopped_at: str | None = None
    #: The last node both paths share before they part ("(start)" if the first differs).
    diverged_at: str | None = None
    #: What was done explicitly in place of missing values (stand-ins, recorded replies).
    notes: tuple[str, ...] = ()


def _run_now(work: Coroutine[Any, Any, T]) -> T:
    """Run *work* to its end here and now: a replayed call never waits on anything.

    Its transport and backends answer from memory, so the session's coroutine finishes
    on its first step, with no event loop: ``replay`` can then be called from inside one
    (``ivr replay``) or from a worker thread (the dashboard) alike, and 10,000 calls do
    not pay for a loop each. Anything that does wait is a bug, and says so.
    """
    try:
        work.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    work.close()
    raise RuntimeError("a replayed call waited on I/O; replay answers only from the record")


def _session(flowset: FlowSet, record: CallRecord) -> tuple[Call, Tape, str | None]:
    """*record*'s caller through *flowset* in the live calls' session; why it stopped, if so."""
    call = Call(flowset, record.flow, call_id=record.call_id, caller=record.caller,
                dnid=record.dnid, linkedid=record.linkedid)
    tape = Tape(flowset, call, record, read(record, flowset.settings.keys))
    replies = RecordedReplies(tape)
    # No store, AMI or callback intake: nothing of a replay is stored or sent anywhere.
    deps = SessionDeps(clock=tape.clock, board=replies, lookups=replies)
    try:
        _run_now(CallSession(ReplayTransport(tape), call, deps).run())
    except NotReplayable as exc:
        return call, tape, str(exc)
    return call, tape, None


def _ending(record: CallRecord) -> Ending:
    return Ending(record.outcome, record.outcome_node, record.queue, record.transfer_target)


def _diverged(old: tuple[str, ...], new: tuple[str, ...]) -> str | None:
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            return old[i - 1] if i else "(start)"
    if len(old) != len(new):
        shorter = old if len(old) < len(new) else new
        return shorter[-1] if shorter else "(start)"
    return None


def _result(record: CallRecord, new_path: tuple[str, ...], new: Ending | None,
            status: Status, **details: Any) -> CallResult:
    return CallResult(record.call_id, record.started_at, tuple(record.path), _ending(record),
                      new_path, new, status, **details)


def replay(flowset: FlowSet, record: CallRecord) -> CallResult:
    """Replay *record* through *flowset*; never raises for what the record cannot tell."""
    old_path, old = tuple(record.path), _ending(record)
    if record.outcome in (None, OutcomeKind.INTERRUPTED):
        return _result(record, (), None, "not_replayable",
                       reason="the recorded call did not finish (cut off or in progress)")
    if record.flow not in flowset.flows:
        return _result(record, (), None, "not_replayable",
                       reason=f"the new flows have no flow named {record.flow!r}")
    call, tape, stopped = _session(flowset, record)
    path = tuple(call.record.path)
    if stopped is not None:
        return _result(record, path, None, "not_replayable", reason=stopped,
                       stopped_at=path[-1] if path else None,
                       diverged_at=_diverged(old_path, path), notes=tuple(tape.notes))
    # As the session left the record: an engine failure is an ``error`` ending, as live.
    new = _ending(call.record)
    status: Status = ("changed" if new.label != old.label
                      else "rerouted" if path != old_path else "same")
    return _result(record, path, new, status, diverged_at=_diverged(old_path, path),
                   notes=tuple(tape.notes))
