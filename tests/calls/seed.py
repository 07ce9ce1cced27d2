"""A day and a bit of calls with known outcomes, for query and metrics tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ivr.calls.record import CallRecord, TimelineEntry
from ivr.calls.store import SqlStore

DAY1 = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
DAY2 = DAY1 + dt.timedelta(days=1)


def _t(day: dt.datetime, hh: int, mm: int, plus_s: float = 0) -> dt.datetime:
    return day + dt.timedelta(hours=hh, minutes=mm, seconds=plus_s)


#: call id, start, caller, outcome, node, queue, ivr seconds, survey, option chosen, speech
SEED: list[tuple[Any, ...]] = [
    ("c1", _t(DAY1, 9, 5), "+15550000001", "self_service", "say_balance", None, 60,
     ("csat", 5), "balance", ("my balance", "balance")),
    ("c2", _t(DAY1, 9, 10), "+15550000002", "self_service", "say_balance", None, 40,
     ("csat", 4), "balance", None),
    ("c3", _t(DAY2, 9, 30), "+15550000003", "queue", "to_sales", "sales", 20,
     ("csat", 3), "sales", ("buy a phone", "sales")),
    ("c4", _t(DAY1, 9, 40), "+15550000004", "queue", "to_sales", "sales", 25, None, "sales",
     None),
    ("c5", _t(DAY1, 9, 50), "+15559990005", "queue", "to_support", "support", 15,
     ("nps", 9), "support", None),
    ("c6", _t(DAY1, 10, 1), "+15550000006", "abandoned", "pin", None, 35, None, "balance",
     ("uh what", None)),
    ("c7", _t(DAY1, 10, 2), "=HYPERLINK(1)", "abandoned", "main_menu", None, 8, None, None,
     ("billing please maybe", None)),
    ("c8", _t(DAY1, 10, 3), "+15550000008", "abandoned", "pin", None, 50, None, "balance",
     None),
    ("c9", _t(DAY1, 10, 4), "+15550000009", "voicemail", "after_hours", None, 70, ("nps", 10),
     None, None),
    ("c10", _t(DAY1, 10, 5), "+15550000010", "transfer", "to_front_desk", None, 12, ("nps", 3),
     None, None),
]

AFTER_IVR = {"c3": ("answered", 30.0), "c4": ("abandoned", 90.0), "c5": ("answered", 10.0)}


def seed_records() -> list[CallRecord]:
    """The finished calls of :data:`SEED` plus one still in progress (``c11``)."""
    records = []
    for (call_id, start, caller, outcome, node, queue, ivr_s, survey, option,
         speech) in SEED:
        end = start + dt.timedelta(seconds=ivr_s)
        rec = CallRecord(call_id=call_id, started_at=start, flow="main", flow_version="v1",
                         caller=caller, dnid="100", language="en", ended_at=end,
                         outcome=outcome, outcome_node=node, queue=queue)
        if survey:
            rec.survey_kind, rec.survey_score = survey
        started = {"flow": "main", "flow_version": "v1", "caller": caller, "dnid": "100",
                   "language": "en"}  # what the engine notes at the start of a call
        timeline = [TimelineEntry(start, "call_started", None, started),
                    TimelineEntry(start, "node_entered", "main_menu", {"kind": "menu"})]
        if speech:
            text, chosen = speech
            timeline.append(TimelineEntry(start, "speech", "main_menu",
                                          {"text": text, "confidence": 0.8, "option": chosen}))
        if option:
            timeline.append(TimelineEntry(start, "option_chosen", "main_menu",
                                          {"option": option, "via": "dtmf"}))
        timeline.append(TimelineEntry(end, "outcome", node, {"kind": outcome}))
        rec.timeline = timeline
        rec.path = ["main_menu", node]
        records.append(rec)
    live = CallRecord(call_id="c11", started_at=_t(DAY1, 11, 0), flow="sales",
                      flow_version="v1", caller="+15550000011")
    live.timeline = [TimelineEntry(live.started_at, "node_entered", "main_menu", {})]
    records.append(live)
    return records


async def seed(store: SqlStore) -> None:
    """Write the seed calls through the store's normal write path."""
    for rec in seed_records():
        await store.begin(rec)
        if rec.outcome is None:
            await store.append(rec.call_id, rec.timeline)
        else:
            await store.finish(rec)
    for call_id, (status, wait) in AFTER_IVR.items():
        await store.after_ivr(call_id, status, DAY2, agent="PJSIP/agent1", wait_s=wait)
    await store.flush()
