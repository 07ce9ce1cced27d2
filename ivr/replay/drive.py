"""Feeding one recorded call through a (changed) flow with the live engine.

Each blocking effect the engine asks for is answered from the recording: caller
inputs in the order they came, lookups and queue checks with the result the call
got, prompts as played to the end unless the caller cut them short. Events carry
their recorded time, so hours checks decide as they did on the day.

Where the record cannot answer, the call is marked *not replayable* with the
reason, never guessed: the new flow asks for input the caller never gave, a
lookup the call never made, or a sensitive entry lands where its stand-in
would matter. A sensitive entry that answers the same kind of sensitive collect
is fed a stand-in of the recorded length that passes the node's rules (its real
value is not stored), and lookups after it get the recorded reply; the result
says so in its notes. A sensitive entry the call refused is replayed only when its
length alone gets it refused by the node now (too short or too long); otherwise
how the node would judge it is unknown and the call is not replayable. Stand-ins
are never stored or printed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal
from urllib.parse import urlsplit

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord
from ivr.flows import effects as fx
from ivr.flows import nodes as n
from ivr.flows.engine import Call, EngineError
from ivr.flows.events import Digits, Event, Hangup, PlaybackDone
from ivr.flows.flowset import FlowSet
from ivr.replay.inputs import Input, Recording, Result, read

#: Parts of a lookup request compared with the recorded one, as a reason names them.
_PARTS = (("url", "another URL or query"), ("headers", "other headers"),
          ("body", "another body"))

#: Events one replayed call may take before it counts as not finishing (a loop on input).
MAX_EVENTS = 500

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


class NotReplayable(Exception):
    """The record does not hold what the new flow asks for here."""


class _Replay:
    def __init__(self, flowset: FlowSet, record: CallRecord, recording: Recording) -> None:
        self.flowset = flowset
        self.record = record
        self.rec = recording
        self.inputs = list(recording.inputs)
        self.now = record.started_at
        self.notes: list[str] = []
        self.stand_in_used = False
        self.call = Call(flowset, record.flow, call_id=record.call_id, caller=record.caller,
                         dnid=record.dnid, linkedid=record.linkedid)

    def run(self) -> None:
        self.call.start(self.now)
        for _ in range(MAX_EVENTS):
            pending = self.call.pending
            if self.call.finished or pending is None:
                return
            event = self.answer(pending)
            self.call.receive(event, self.now)
        raise NotReplayable(f"the call did not end after {MAX_EVENTS} answers")

    # One answer per kind of blocking effect ------------------------------------------------

    def answer(self, pending: fx.Blocking) -> Event:
        if isinstance(pending, fx.Play):
            return self._play(pending)
        if isinstance(pending, fx.Gather):
            return self._gather(pending)
        if isinstance(pending, fx.Lookup):
            return self._result(self.rec.lookups, pending.node, "lookup",
                                partial(self._lookup_ok, pending))
        if isinstance(pending, fx.Record):
            return self._result(self.rec.recordings, pending.node, "recording", None)
        return self._result(self.rec.queue_checks, pending.node, "queue check", None)

    def _hangup_here(self, node: str) -> bool:
        return not self.inputs and self.rec.hung_up_at == node

    def _play(self, pending: fx.Play) -> Event:
        if self.inputs and self.inputs[0].interrupted:
            return self._take().event or PlaybackDone()
        if self._hangup_here(pending.node):
            return self._hang_up()
        return PlaybackDone()

    def _gather(self, pending: fx.Gather) -> Event:
        if not self.inputs:
            if self.rec.hung_up_at is not None:
                return self._hang_up()
            raise NotReplayable("the new flow asks for input here that the caller never gave")
        item = self._take()
        if item.event is not None:
            return item.event
        return self._stand_in(pending, item)

    def _take(self) -> Input:
        item = self.inputs.pop(0)
        self.now = max(self.now, item.at)
        return item

    def _hang_up(self) -> Event:
        if self.rec.ended_at is not None:
            self.now = max(self.now, self.rec.ended_at)
        return Hangup()

    def _stand_in(self, pending: fx.Gather, item: Input) -> Event:
        length = item.sensitive_length or 0
        node = self._current_node(pending.node)
        if not (isinstance(node, n.Collect) and node.sensitive):
            raise NotReplayable(f"the caller's sensitive entry ({length} digits) would now "
                                "answer this node, and its value is not stored")
        if not item.accepted:
            if node.min_digits <= length <= node.max_digits:
                raise NotReplayable(f"a sensitive entry ({length} digits) was refused in the "
                                    "recorded call; its value is not stored, and this node "
                                    "could accept that many digits, so how it would judge the "
                                    "entry is unknown")
            # Too short or too long for the node: any digits of that length are refused alike.
            self.notes.append(f"sensitive entry at {pending.node} ({length} digits) refused "
                              "again by its length (a stand-in of that length)")
            return Digits("0" * length, item.terminated_by)
        value = _passing_value(node, length)
        if value is None:
            raise NotReplayable(f"no {length}-digit stand-in passes this node's rules now")
        self.stand_in_used = True
        self.notes.append(f"sensitive entry at {pending.node} ({length} digits) replayed with "
                          "a stand-in (its value is not stored)")
        return Digits(value, item.terminated_by)

    def _current_node(self, name: str) -> n.Node | None:
        flow = next((e.data.get("flow") for e in reversed(self.call.record.timeline)
                     if e.kind == "node_entered"), self.record.flow)
        nodes = self.flowset.flows[str(flow)].nodes if str(flow) in self.flowset.flows else {}
        return nodes.get(name)

    def _result(self, results: list[Result], node: str, what: str,
                check: Callable[[Result], None] | None) -> Event:
        found = next((r for r in results if r.node == node), None)
        if found is None:
            if self._hangup_here(node):
                return self._hang_up()
            raise NotReplayable(f"the recorded call made no {what} at this node")
        results.remove(found)
        if found.problem is not None or found.event is None:
            raise NotReplayable(f"the recorded {what}: {found.problem or 'no result'}")
        if check is not None:
            check(found)
        self.now = max(self.now, found.at)
        return found.event

    def _lookup_ok(self, pending: fx.Lookup, found: Result) -> None:
        """Refuse the recorded reply unless the new flow sends the request the call sent."""
        name = pending.node
        node = self._current_node(name)
        if isinstance(node, n.Lookup) and found.url is not None:
            where = urlsplit(node.url)
            url = f"{where.scheme}://{where.netloc}{where.path}"
            if url != found.url:
                raise NotReplayable(f"the lookup now asks {url}; the call asked {found.url}")
        if found.request is None:
            # Recorded before request digests were kept: say how little was compared.
            self.notes.append(f"lookup {name}: the record keeps only its URL, so the recorded "
                              "reply was used without comparing the query, headers or body")
        else:
            asked = dict(pending.digests)
            for part, label in _PARTS:
                if found.request.get(part) != asked.get(part):
                    raise NotReplayable(f"the lookup's inputs changed: it would now send "
                                        f"{label} than the recorded call did, so the recorded "
                                        "reply may not apply")
        if self.stand_in_used:
            self.notes.append(f"lookup {name} answered with the recorded reply")


def _passing_value(node: n.Collect, length: int) -> str | None:
    """A digit string of *length* that the collect accepts, if any (tried in a fixed order)."""
    if not node.min_digits <= length <= node.max_digits:
        return None
    for digit in "0123456789":
        value = digit * length
        if node.pattern is None or re.fullmatch(node.pattern, value):
            return value
    return None


def _old(record: CallRecord) -> Ending:
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
    return CallResult(record.call_id, record.started_at, tuple(record.path), _old(record),
                      new_path, new, status, **details)


def replay(flowset: FlowSet, record: CallRecord) -> CallResult:
    """Replay *record* through *flowset*; never raises for what the record cannot tell."""
    old_path, old = tuple(record.path), _old(record)
    if record.outcome in (None, OutcomeKind.INTERRUPTED):
        return _result(record, (), None, "not_replayable",
                       reason="the recorded call did not finish (cut off or in progress)")
    if record.flow not in flowset.flows:
        return _result(record, (), None, "not_replayable",
                       reason=f"the new flows have no flow named {record.flow!r}")
    job = _Replay(flowset, record, read(record, flowset.settings.keys))
    try:
        job.run()
    except (NotReplayable, EngineError) as exc:
        path = tuple(job.call.record.path)
        return _result(record, path, None, "not_replayable", reason=str(exc),
                       stopped_at=path[-1] if path else None,
                       diverged_at=_diverged(old_path, path), notes=tuple(job.notes))
    outcome = job.call.outcome
    assert outcome is not None
    new = Ending(outcome.kind, outcome.node, outcome.queue, outcome.target)
    path = tuple(job.call.record.path)
    status: Status = ("changed" if new.label != old.label
                      else "rerouted" if path != old_path else "same")
    return _result(record, path, new, status, diverged_at=_diverged(old_path, path),
                   notes=tuple(job.notes))
