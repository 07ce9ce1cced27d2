"""The supervisor's numbers, each one SQL query over the calls a filter selects.

Definitions (the dashboard shows them beside each figure):

- *finished calls*: calls with an outcome (in-progress calls are left out of rates);
- *containment rate*: finished calls resolved in self-service / finished calls;
- *abandonment rate*: finished calls the caller hung up inside the IVR (``abandoned``)
  / finished calls; *drop-off per node* counts those by the node they ended in;
- *queue abandonment*: calls handed to a queue that AMI reports abandoned there
  / calls handed to a queue with an after-IVR result;
- *speech no-match rate*: speech turns that matched no option / speech turns;
- *CSAT*: mean 1–5 score; *NPS*: % promoters (9–10) − % detractors (0–6).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func, select

from ivr.calls.outcome import OutcomeKind
from ivr.calls.query import CallFilter, conditions
from ivr.calls.store import schema
from ivr.calls.store.sql import SqlStore


@dataclass(frozen=True)
class Metrics:
    """Everything on the metrics page for one filter."""

    total: int
    finished: int
    calls_per_hour: list[tuple[dt.datetime, int]]
    outcomes: dict[str, int]
    containment_rate: float | None
    abandonment_rate: float | None
    dropoff_by_node: list[tuple[str, int]]
    transfers_by_queue: list[tuple[str, int, float | None]]
    queue_abandonment_rate: float | None
    avg_queue_wait_s: float | None
    avg_ivr_seconds: float | None
    top_options: list[tuple[str, str, int]]
    speech_turns: int
    speech_no_match_rate: float | None
    csat_avg: float | None
    csat_count: int
    nps: float | None
    nps_count: int
    survey_trend: list[tuple[dt.date, float, int]]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _bucket(store: SqlStore, column: Any, unit: str) -> ColumnElement[Any]:
    # Hours and days are bucketed in UTC; the page converts labels to local time.
    if store.dialect == "postgresql":
        return func.date_trunc(unit, func.timezone("UTC", column))
    fmt = "%Y-%m-%d %H:00:00" if unit == "hour" else "%Y-%m-%d"
    return func.strftime(fmt, column)


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


async def compute_metrics(store: SqlStore, flt: CallFilter, tz: dt.tzinfo = dt.UTC) -> Metrics:
    """Compute every figure for the calls matching *flt* (hour labels in *tz*)."""
    c = schema.calls.c
    t = schema.timeline.c
    where = conditions(flt)
    finished = c.outcome.is_not(None)
    async with store.engine.connect() as conn:

        async def rows(query: Any) -> list[Any]:
            return list((await conn.execute(query)).all())

        outcomes = {str(k or "in_progress"): int(n) for k, n in await rows(
            select(c.outcome, func.count()).where(*where).group_by(c.outcome))}
        total = sum(outcomes.values())
        done = total - outcomes.get("in_progress", 0)
        hour = _bucket(store, c.started_at, "hour")
        per_hour = [(_as_datetime(h).astimezone(tz), int(n)) for h, n in await rows(
            select(hour, func.count()).where(*where).group_by(hour).order_by(hour))]
        dropoff = [(str(node), int(n)) for node, n in await rows(
            select(c.outcome_node, func.count()).where(*where, c.outcome == OutcomeKind.ABANDONED)
            .group_by(c.outcome_node).order_by(func.count().desc(), c.outcome_node))]
        queues = [(str(q), int(n), None if w is None else float(w)) for q, n, w in await rows(
            select(c.queue, func.count(), func.avg(c.queue_wait_s))
            .where(*where, c.outcome == OutcomeKind.QUEUE).group_by(c.queue)
            .order_by(func.count().desc(), c.queue))]
        q_done, q_abandoned, q_wait = (await rows(
            select(func.count(c.after_ivr_status),
                   func.sum(case((c.after_ivr_status == "abandoned", 1), else_=0)),
                   func.avg(c.queue_wait_s))
            .where(*where, c.outcome == OutcomeKind.QUEUE)))[0]
        avg_ivr = (await rows(select(func.avg(c.ivr_seconds)).where(*where, finished)))[0][0]
        option = t.data["option"].as_string()
        joined = schema.timeline.join(schema.calls, t.call_id == c.call_id)
        options = [(str(node), str(opt), int(n)) for node, opt, n in await rows(
            select(t.node, option, func.count()).select_from(joined)
            .where(*where, t.kind == "option_chosen").group_by(t.node, option)
            .order_by(func.count().desc(), t.node, option).limit(15))]
        turns, unmatched = (await rows(
            select(func.count(), func.sum(case((option.is_(None), 1), else_=0)))
            .select_from(joined).where(*where, t.kind == "speech")))[0]
        csat_avg, csat_n = (await rows(
            select(func.avg(cast(c.survey_score, Integer)), func.count(c.survey_score))
            .where(*where, c.survey_kind == "csat")))[0]
        promoters, detractors, nps_n = (await rows(
            select(func.sum(case((c.survey_score >= 9, 1), else_=0)),
                   func.sum(case((c.survey_score <= 6, 1), else_=0)),
                   func.count(c.survey_score))
            .where(*where, c.survey_kind == "nps")))[0]
        day = _bucket(store, c.started_at, "day")
        trend = [(_as_datetime(d).date(), float(avg), int(n)) for d, avg, n in await rows(
            select(day, func.avg(cast(c.survey_score, Integer)), func.count())
            .where(*where, c.survey_kind == "csat").group_by(day).order_by(day))]
    return Metrics(
        total=total,
        finished=done,
        calls_per_hour=per_hour,
        outcomes=outcomes,
        containment_rate=_rate(outcomes.get(OutcomeKind.SELF_SERVICE, 0), done),
        abandonment_rate=_rate(outcomes.get(OutcomeKind.ABANDONED, 0), done),
        dropoff_by_node=dropoff,
        transfers_by_queue=queues,
        queue_abandonment_rate=_rate(int(q_abandoned or 0), int(q_done or 0)),
        avg_queue_wait_s=None if q_wait is None else float(q_wait),
        avg_ivr_seconds=None if avg_ivr is None else float(avg_ivr),
        top_options=options,
        speech_turns=int(turns or 0),
        speech_no_match_rate=_rate(int(unmatched or 0), int(turns or 0)),
        csat_avg=None if csat_avg is None else float(csat_avg),
        csat_count=int(csat_n or 0),
        nps=(100.0 * (int(promoters or 0) - int(detractors or 0)) / nps_n) if nps_n else None,
        nps_count=int(nps_n or 0),
        survey_trend=trend,
    )
