"""The shape of a call's journey, shared by the engine, the adapters and the store.

The engine appends :class:`TimelineEntry` values as the call moves; adapters
add what only they know (AGI ids, recognition timing, what AMI saw after the
IVR). Values from ``sensitive`` nodes never enter an entry: the engine writes
``{"sensitive": True, "length": N}`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ivr.calls.outcome import OutcomeKind

#: Kinds of timeline entry. ``data`` keys per kind are documented beside each.
TimelineKind = Literal[
    "call_started",  # flow, flow_version, caller, dnid, language
    "node_entered",  # kind (node kind)
    "prompt",  # text | file, language  (text is "[sensitive]" for sensitive prompts)
    "digits",  # digits | {sensitive, length}, terminated_by
    "speech",  # text, confidence, option (or None), recognition_ms
    "no_input",  # attempt
    "no_match",  # attempt, input
    "retry",  # attempt, reason
    "option_chosen",  # option (key/phrase label), via (dtmf|speech), target
    "lookup",  # url (no query secrets), status, latency_ms, ok, request (masked digests)
    "variable_set",  # name, value (or "[sensitive]")
    "language_set",  # language
    "recorded",  # file, duration_s
    "survey",  # kind (csat|nps), score
    "outcome",  # kind, queue, target, reason
    "hangup",  # by (caller|ivr)
    "after_ivr",  # status (answered|abandoned|timeout), agent, wait_s, talk_s
    "error",  # reason
    "split",  # branch (None outside the date range), percent, in_range, target
    "callback",  # step (requested|attempt|answered|connected|retry|failed|cancelled…), request
]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One step of a call's journey."""

    at: datetime
    kind: TimelineKind
    node: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CallRecord:
    """Everything stored about one call. ``call_id`` is the Asterisk Uniqueid when there is one."""

    call_id: str
    started_at: datetime
    flow: str
    flow_version: str
    caller: str | None = None
    dnid: str | None = None
    linkedid: str | None = None
    instance: str | None = None
    language: str | None = None
    ended_at: datetime | None = None
    #: queue | transfer | voicemail | hangup | self_service | abandoned | error | callback;
    #: None while the call is in progress.
    outcome: OutcomeKind | None = None
    outcome_node: str | None = None
    queue: str | None = None
    transfer_target: str | None = None
    recording: str | None = None
    survey_kind: str | None = None
    survey_score: int | None = None
    after_ivr_status: str | None = None
    agent: str | None = None
    queue_wait_s: float | None = None
    path: list[str] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    #: Non-sensitive flow variables at the end of the call.
    variables: dict[str, str] = field(default_factory=dict)
