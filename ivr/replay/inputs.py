"""What a caller did, rebuilt from the timeline the engine wrote during the call.

The timeline holds the engine's notes, not raw events, so some answers are read
from their consequences: a readback or "did you say …?" confirmed with a yes shows
only as the value being accepted, a "no" as ``no_match: not confirmed``, and a lone
operator key in a collect as ``option_chosen: operator``. Sensitive entries keep
only their length; they stay placeholders here and :mod:`ivr.replay.drive` decides
explicitly what to do with them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from ivr.calls.record import CallRecord, TimelineEntry
from ivr.flows.context import SENSITIVE
from ivr.flows.events import (
    Digits,
    Event,
    LookupDone,
    LookupFailed,
    NoInput,
    QueueStatus,
    Recorded,
    SpeechHeard,
)
from ivr.flows.parts import GlobalKeys


@dataclass(frozen=True, slots=True)
class Input:
    """One answer the caller gave. ``event`` is None for a sensitive entry (value not stored)."""

    at: dt.datetime
    node: str | None
    event: Event | None
    #: Digits of a sensitive entry (its value is never stored).
    sensitive_length: int | None = None
    #: Whether the recorded call accepted the sensitive entry (it went on from the node).
    accepted: bool = False
    #: Keys that cut a prompt short (answer a ``Play``).
    interrupted: bool = False
    terminated_by: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """A lookup or queue check as the recorded call got it; ``problem`` says why not usable."""

    at: dt.datetime
    node: str | None
    event: Event | None
    url: str | None = None
    problem: str | None = None
    #: Digests of the request's parts as recorded (see ivr.flows.steps.lookup); None: not held.
    request: dict[str, str] | None = None


@dataclass(slots=True)
class Recording:
    """Everything the replay feeds to the engine, in the order it happened."""

    inputs: list[Input] = field(default_factory=list)
    lookups: list[Result] = field(default_factory=list)
    queue_checks: list[Result] = field(default_factory=list)
    recordings: list[Result] = field(default_factory=list)
    hung_up_at: str | None = None
    ended_at: dt.datetime | None = None


class _Reader:
    """One pass over a timeline; the flags tell answers from the engine's reactions to them."""

    def __init__(self, keys: GlobalKeys) -> None:
        self.keys = keys
        self.out = Recording()
        #: The last entry was a caller input; the next no_match/no_input is its consequence.
        self.reacting = False
        #: An input was followed straight away by a question (readback, "did you say").
        self.confirming: str | None = None
        self.pending_lookup: Result | None = None

    def add(self, e: TimelineEntry, event: Event | None, **extra: Any) -> None:
        self.out.inputs.append(Input(e.at, e.node, event, **extra))
        self.reacting, self.confirming = True, None

    def entry(self, e: TimelineEntry) -> None:
        d = e.data
        match e.kind:
            case "digits":
                if d.get("sensitive"):
                    self.add(e, None, sensitive_length=int(d.get("length") or 0),
                             terminated_by=d.get("terminated_by"))
                else:
                    self.add(e, Digits(str(d.get("digits") or ""), d.get("terminated_by")),
                             interrupted=bool(d.get("interrupted")),
                             terminated_by=d.get("terminated_by"))
            case "speech":
                self.add(e, SpeechHeard(str(d.get("text") or ""),
                                        float(d.get("confidence") or 0.0),
                                        narrowband=bool(d.get("narrowband"))))
            case "prompt":
                if self.reacting:
                    self.confirming = e.node
                self.reacting = False
            case "no_input" | "no_match" | "retry":
                if not self.reacting and e.kind == "no_input":
                    self.add(e, NoInput())
                elif (not self.reacting and e.kind == "no_match"
                      and d.get("input") == "not confirmed"):
                    self.add(e, Digits("2"))  # a "no" (or an unclear answer: the same to the node)
                self.reacting, self.confirming = False, None
            case "option_chosen":
                self._chosen(e)
            case "variable_set":
                self._variable(e)
            case "lookup":
                self._lookup(e)
            case "recorded":
                self.out.recordings.append(Result(e.at, e.node, Recorded(
                    str(d.get("file") or ""), float(d.get("duration_s") or 0),
                    str(d.get("reason") or "silence"))))
            case "hangup":
                if d.get("by") == "caller":
                    self.out.hung_up_at = e.node
            case "node_entered":
                self.reacting, self.confirming = False, None
            case _:
                pass

    def _accepted_here(self, e: TimelineEntry) -> None:
        """A value or option accepted after a confirming question: the caller said yes."""
        if self.confirming is not None and self.confirming == e.node:
            self.add(e, Digits("1"))
        self.confirming = None

    def _chosen(self, e: TimelineEntry) -> None:
        option = e.data.get("option")
        if option == "callback_offered":
            self.add(e, NoInput())  # declined unless "callback" follows
            self.reacting = False
        elif option == "callback":
            last = self.out.inputs[-1] if self.out.inputs else None
            if last is not None and last.node == e.node and isinstance(last.event, NoInput):
                self.out.inputs[-1] = Input(last.at, last.node, Digits("1"))
        elif option in ("operator", "repeat") and not self.reacting:
            key = self.keys.operator if option == "operator" else self.keys.repeat
            if key is not None:
                self.add(e, Digits(key))
        else:
            self._accepted_here(e)

    def _variable(self, e: TimelineEntry) -> None:
        if self.pending_lookup is not None and e.node == self.pending_lookup.node:
            self._lookup_result(e)
            return
        self._accepted_here(e)
        # A sensitive entry counts as accepted once its variable is set at the node.
        for i in range(len(self.out.inputs) - 1, -1, -1):
            item = self.out.inputs[i]
            if item.node != e.node:
                break
            if item.sensitive_length is not None and e.data.get("value") == SENSITIVE:
                self.out.inputs[i] = Input(item.at, item.node, None, item.sensitive_length,
                                           True, terminated_by=item.terminated_by)
                break

    def _lookup(self, e: TimelineEntry) -> None:
        d = e.data
        if "queue" in d:
            self.out.queue_checks.append(Result(e.at, e.node, QueueStatus(
                str(d["queue"]), available=d.get("available"), callers=d.get("callers"),
                estimated_wait_s=d.get("wait_s"))))
            return
        url = d.get("url")
        status = d.get("status")
        asked = d.get("request")
        request = {str(k): str(v) for k, v in asked.items()} if isinstance(asked, dict) else None
        if d.get("ok"):
            # The reply itself is the result variable the lookup sets next.
            self.pending_lookup = Result(e.at, e.node, LookupDone(int(status or 200)), url,
                                         "the record holds no reply for this lookup", request)
            self.out.lookups.append(self.pending_lookup)
        elif status is None:
            self.out.lookups.append(Result(e.at, e.node, LookupFailed(str(d.get("error"))), url,
                                           request=request))
        else:
            self.out.lookups.append(Result(e.at, e.node, LookupDone(int(status)), url,
                                           request=request))

    def _lookup_result(self, e: TimelineEntry) -> None:
        pending = self.pending_lookup
        assert pending is not None
        self.pending_lookup = None
        text = e.data.get("value")
        problem: str | None = None
        data: Any = None
        try:
            data = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            data = text
        if SENSITIVE in json.dumps(data, default=str):
            problem = "its reply held secret parts, which are not stored"
        status = pending.event.status if isinstance(pending.event, LookupDone) else 200
        index = self.out.lookups.index(pending)
        self.out.lookups[index] = Result(pending.at, pending.node, LookupDone(status, data),
                                         pending.url, problem, pending.request)


def read(record: CallRecord, keys: GlobalKeys) -> Recording:
    """The caller's inputs and the results the call got, from *record*'s timeline.

    *keys* are the operator/repeat keys, to turn a lone "operator" choice back into its key.
    """
    reader = _Reader(keys)
    for e in record.timeline:
        reader.entry(e)
    reader.out.ended_at = record.ended_at or (record.timeline[-1].at if record.timeline else None)
    return reader.out
