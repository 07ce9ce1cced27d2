"""Conversion between :class:`CallRecord` values and table rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord, TimelineEntry


def begin_row(record: CallRecord) -> dict[str, Any]:
    """The columns known when a call arrives."""
    return {
        "call_id": record.call_id,
        "linkedid": record.linkedid,
        "instance": record.instance,
        "flow": record.flow,
        "flow_version": record.flow_version,
        "caller": record.caller,
        "dnid": record.dnid,
        "language": record.language,
        "started_at": record.started_at,
        "last_event_at": record.started_at,
        "path": [],
        "variables": {},
        "transcript": "",
    }


def finish_row(record: CallRecord) -> dict[str, Any]:
    """The columns a finished call updates."""
    ended = record.ended_at
    ivr_seconds = (ended - record.started_at).total_seconds() if ended is not None else None
    return {
        "language": record.language,
        "ended_at": ended,
        "outcome": record.outcome or OutcomeKind.ERROR,
        "outcome_node": record.outcome_node,
        "queue": record.queue,
        "transfer_target": record.transfer_target,
        "recording": record.recording,
        "survey_kind": record.survey_kind,
        "survey_score": record.survey_score,
        "ivr_seconds": ivr_seconds,
        "path": list(record.path),
        "variables": dict(record.variables),
    }


def progress(entries: Sequence[TimelineEntry]) -> dict[str, Any]:
    """What the newest entries say about where the call is (kept on the call row)."""
    values: dict[str, Any] = {}
    if entries:
        values["last_event_at"] = entries[-1].at
    nodes = [e.node for e in entries if e.node]
    if nodes:
        values["last_node"] = nodes[-1]
    return values


def transcripts(entries: Iterable[TimelineEntry]) -> str:
    """Speech transcripts in *entries*, lower-cased and space-joined, for text search."""
    said = (str(e.data.get("text") or "") for e in entries if e.kind == "speech")
    return " ".join(t.lower() for t in said if t)


def record_from_rows(row: Mapping[Any, Any], entries: Iterable[Mapping[Any, Any]]) -> CallRecord:
    """Rebuild a :class:`CallRecord` from its call row and timeline rows (ordered by seq)."""
    return CallRecord(
        call_id=row["call_id"],
        started_at=row["started_at"],
        flow=row["flow"],
        flow_version=row["flow_version"],
        caller=row["caller"],
        dnid=row["dnid"],
        linkedid=row["linkedid"],
        instance=row["instance"],
        language=row["language"],
        ended_at=row["ended_at"],
        outcome=None if row["outcome"] is None else OutcomeKind(row["outcome"]),
        outcome_node=row["outcome_node"] or (row["last_node"] if row["outcome"] is None else None),
        queue=row["queue"],
        transfer_target=row["transfer_target"],
        recording=row["recording"],
        survey_kind=row["survey_kind"],
        survey_score=row["survey_score"],
        after_ivr_status=row["after_ivr_status"],
        agent=row["agent"],
        queue_wait_s=row["queue_wait_s"],
        path=list(row["path"] or []),
        timeline=[
            TimelineEntry(at=e["at"], kind=e["kind"], node=e["node"], data=dict(e["data"] or {}))
            for e in entries
        ],
        variables=dict(row["variables"] or {}),
    )


def jsonable(value: Any) -> Any:
    """*value* with anything JSON cannot hold as text."""
    # Timeline data comes from the engine and adapters; anything exotic is stored as text.
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
