"""A callback outcome becomes a request with the call's context and the right first attempt."""

from __future__ import annotations

import datetime as dt

from ivr.callbacks.intake import build_request
from ivr.callbacks.model import Policy
from ivr.calls.journey import describe
from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.flows import effects as fx
from tests.callbacks.requests import OFFICE, T0, berlin


def _finish(ask: fx.CallbackAsk) -> fx.Finish:
    outcome = fx.Outcome(OutcomeKind.CALLBACK, "q", queue="billing", priority=6, callback=ask)
    return fx.Finish(outcome, {"IVR_OUTCOME": "callback", "IVR_VAR_account": "1234",
                               "IVR_PATH": "menu,q"})


def _record() -> CallRecord:
    said = TimelineEntry(T0, "speech", "menu", {"text": "Billing please", "confidence": 0.9})
    return CallRecord(call_id="c1", started_at=T0, flow="main", flow_version="v1",
                      caller="+4930123", path=["menu", "q"], timeline=[said], language="de")


def test_the_request_carries_the_context_the_agent_should_see() -> None:
    made = build_request(_finish(fx.CallbackAsk("+4930123", OFFICE, "billing")), _record(), T0,
                         Policy(max_attempts=4, expiry_s=3600))
    assert (made.number, made.queue, made.priority, made.call_id) == ("+4930123", "billing", 6,
                                                                       "c1")
    assert made.context == {"path": ["menu", "q"], "variables": {"account": "1234"},
                            "transcript": "billing please", "language": "de"}
    assert (made.max_attempts, made.next_attempt_at) == (4, T0)
    assert made.expires_at == T0 + dt.timedelta(hours=1)


def test_after_18_00_is_read_in_the_calendars_zone_and_moved_into_opening_hours() -> None:
    ask = fx.CallbackAsk("+4930123", OFFICE, after="18:00")
    made = build_request(_finish(ask), _record(), T0, Policy())
    assert made.not_before == berlin(26, 18)
    assert made.next_attempt_at == berlin(27, 9)  # the office closes at 17:30
    anytime = build_request(_finish(fx.CallbackAsk("+4930123", None, after="18:00")), _record(),
                            T0, Policy())
    assert anytime.next_attempt_at == dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.UTC)
    past = build_request(_finish(fx.CallbackAsk("+4930123", OFFICE, after="08:00")), _record(),
                         T0, Policy())
    assert past.next_attempt_at == T0  # 08:00 has passed today: no extra wait


def test_callback_entries_read_as_sentences_in_the_journey() -> None:
    entry = TimelineEntry(T0, "callback", None, {"step": "retry", "attempt": 1,
                                                 "note": "no_answer"})
    assert describe(entry) == "callback retry (attempt 1): no_answer"


def test_a_queue_check_reads_as_one_not_as_an_http_lookup() -> None:
    # What a queue node with a callback offer notes before offering it (ivr.flows.steps.queue).
    entry = TimelineEntry(T0, "lookup", "sales_queue",
                          {"queue": "sales", "available": 0, "wait_s": 420})
    assert describe(entry) == "checked queue sales: 0 agent(s) free, estimated wait 7:00"
    unknown = TimelineEntry(T0, "lookup", "sales_queue",
                            {"queue": "sales", "available": None, "wait_s": None})
    assert describe(unknown) == "checked queue sales: ? agent(s) free, estimated wait unknown"
