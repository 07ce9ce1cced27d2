"""What the agent is shown: the journey so far, never a sensitive value."""

from __future__ import annotations

import datetime as dt

from ivr.calls.outcome import OutcomeKind
from ivr.calls.record import CallRecord, TimelineEntry
from ivr.live.agents import Ring
from ivr.live.handoff import summarize

T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def _at(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def _record() -> CallRecord:
    rec = CallRecord("u.1", T0, "main", "v1", caller="+15550101", language="ko",
                     outcome=OutcomeKind.QUEUE, outcome_node="to_billing", queue="billing",
                     ended_at=_at(40))
    rec.timeline = [
        TimelineEntry(_at(0), "call_started", None, {"flow": "main"}),
        TimelineEntry(_at(3), "digits", "choose_language", {"digits": "2"}),
        TimelineEntry(_at(3), "option_chosen", "choose_language", {"option": "2", "via": "dtmf"}),
        TimelineEntry(_at(8), "no_match", "main_menu", {"attempt": 1, "input": "7"}),
        TimelineEntry(_at(12), "speech", "main_menu",
                      {"text": "요금 문의", "confidence": 0.9, "option": "billing"}),
        TimelineEntry(_at(15), "digits", "ask_account", {"digits": "12345678"}),
        TimelineEntry(_at(20), "digits", "ask_pin", {"sensitive": True, "length": 4}),
        TimelineEntry(_at(22), "lookup", "get_balance", {"ok": True, "status": 200}),
        TimelineEntry(_at(25), "variable_set", "get_balance", {"name": "pin",
                                                               "value": "[sensitive]"}),
        TimelineEntry(_at(40), "outcome", "to_billing", {"kind": "queue", "queue": "billing",
                                                         "reason": "asked for billing"}),
    ]
    rec.variables = {"account": "12345678", "balance": "42.10", "pin_hint": "[sensitive]",
                     "caller": "+15550101"}
    return rec


def _ring(**more: object) -> Ring:
    values: dict[str, object] = {
        "interface": "PJSIP/bob", "member": "Bob", "queue": "billing", "call_id": "u.1",
        "uniqueid": "u.1", "caller": "+15550101", "state": "ringing",
        "since": _at(52).isoformat(), **more}
    return Ring(**values)  # type: ignore[arg-type]


def test_the_journey_so_far_with_sensitive_values_hidden() -> None:
    h = summarize(_record(), _ring())
    assert h.found
    assert h.language == "ko"
    assert h.flow == "main"
    assert [(s.node, s.text) for s in h.chose] == [("choose_language", "2 (by dtmf)")]
    assert [(s.node, s.text) for s in h.said] == [("main_menu", "“요금 문의” → billing")]
    assert [(s.node, s.text) for s in h.entered] == [("ask_account", "12345678"),
                                                     ("ask_pin", "4 digits, hidden")]
    assert [(s.node, s.text) for s in h.results] == [("get_balance", "found")]
    assert h.shared == {"account": "12345678", "balance": "42.10"}  # no [sensitive], no builtin
    assert [(s.node, s.text) for s in h.trouble] == [("main_menu", "1 failed attempt")]
    assert h.reason == "asked for billing"
    assert h.waited_s == 12.0  # handed to the queue at +40 s, rung at +52 s
    assert h.callback is False


def test_share_limits_the_variables_and_an_answer_reports_the_hold_time() -> None:
    h = summarize(_record(), _ring(state="connected", hold_s=9.0), share=["balance", "pin_hint"])
    assert h.shared == {"balance": "42.10"}
    assert h.waited_s == 9.0


def test_a_callback_is_told_and_an_unknown_caller_has_no_journey() -> None:
    rec = _record()
    rec.timeline.append(TimelineEntry(_at(41), "callback", None, {"step": "requested"}))
    assert summarize(rec, _ring()).callback is True
    unknown = summarize(None, _ring())
    assert not unknown.found
    assert unknown.chose == []
    assert unknown.shared == {}
