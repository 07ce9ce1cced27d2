"""Collect, branch, lookup, set, queue with callback, transfer, voicemail, survey, goto."""

from __future__ import annotations

import datetime as dt
import json

from ivr.calls.outcome import OutcomeKind
from ivr.flows import effects as fx
from ivr.flows.events import (
    Digits,
    Hangup,
    LookupDone,
    LookupFailed,
    NoInput,
    PlaybackDone,
    QueueStatus,
    Recorded,
)
from tests.flows.engine_walk import FRIDAY_10, Walk

COLLECT = """\
main:
  start: ask
  nodes:
    ask:
      type: collect
      prompt: "Enter your account number."
      variable: account
      min_digits: 4
      max_digits: 6
      pattern: "[1-9][0-9]*"    # the whole input must match
      max_attempts: 3
      confirm: true
      confirm_prompt: "You entered {account}. Press 1 if right, 2 to retry."
      next: pin
    pin:
      type: collect
      prompt: "Enter your PIN."
      variable: pin
      min_digits: 4
      max_digits: 4
      sensitive: true
      next: fetch
    fetch:
      type: lookup
      method: POST
      url: "http://backend.test/api/balance?acct={account}"
      body: {account: "{account}", pin: "{pin}"}
      timeout: 2
      result: balance
      next: say
      on_error: sorry
    say: {type: play, prompt: "Balance {balance.amount}.", next: done}
    sorry: {type: transfer, target: "PJSIP/front-desk"}
    done: {type: hangup, outcome: self_service}
"""


def test_collect_checks_length_and_pattern_then_reads_back() -> None:
    walk = Walk(COLLECT)
    gather = walk.pending
    assert isinstance(gather, fx.Gather)
    assert gather.digits is not None
    assert (gather.digits.min_digits, gather.digits.max_digits) == (4, 6)
    assert gather.digits.finish_key == "#"
    walk.send(Digits("12"))  # too short
    assert walk.call.record.timeline[-1].kind in ("retry", "prompt")
    walk.send(Digits("01234"))  # fails the pattern
    walk.send(Digits("12345", terminated_by="#"))
    assert walk.texts() == ["You entered 1 2 3 4 5. Press 1 if right, 2 to retry."]
    walk.send(Digits("1"))
    assert walk.call.variables["account"] == "12345"


def test_a_sensitive_pin_is_used_but_never_shown_or_stored() -> None:
    walk = Walk(COLLECT)
    walk.send(Digits("12345"))
    walk.send(Digits("1"))
    walk.send(Digits("4321"))
    lookup = walk.pending
    assert isinstance(lookup, fx.Lookup)
    assert lookup.url == "http://backend.test/api/balance?acct=12345"
    assert json.loads(lookup.json_body or "{}") == {"account": "12345", "pin": "4321"}
    assert lookup.timeout_s == 2
    record = walk.call.record
    assert "pin" not in walk.call.variables
    assert "4321" not in repr(record)
    pin_digits = [e for e in record.timeline if e.kind == "digits" and e.node == "pin"]
    assert pin_digits[0].data["sensitive"] is True
    assert pin_digits[0].data["length"] == 4


def test_lookup_results_become_variables_and_failures_take_on_error() -> None:
    walk = Walk(COLLECT)
    for keys in ("12345", "1", "4321"):
        walk.send(Digits(keys))
    walk.send(LookupDone(200, {"amount": "42.50"}, latency_ms=12))
    assert walk.texts() == ["Balance 42.50."]
    lookups = [e.data for e in walk.call.record.timeline if e.kind == "lookup"]
    assert lookups[0]["ok"] is True
    assert lookups[0]["latency_ms"] == 12
    assert "acct" not in lookups[0]["url"]  # query strings may carry secrets

    failing = Walk(COLLECT)
    for keys in ("12345", "1", "4321"):
        failing.send(Digits(keys))
    failing.send(LookupFailed("timeout"))
    assert failing.outcome == fx.Outcome(OutcomeKind.TRANSFER, "sorry", target="PJSIP/front-desk")


def test_branch_on_hours_caller_and_language() -> None:
    flows = """\
main:
  start: route
  nodes:
    route:
      type: branch
      cases:
        - when: {caller: "^\\\\+44"}
          next: uk
        - when: {closed: office}
          next: closed
        - when: {language: en, open: office}
          next: open
      else: closed
    uk: {type: transfer, target: "PJSIP/london"}
    open: {type: queue, queue: sales}
    closed:
      type: voicemail
      prompt: "We are closed."
      mailbox: sales
"""
    assert Walk(flows).outcome.queue == "sales"
    assert Walk(flows, caller="+447700900000").outcome.target == "PJSIP/london"
    night = Walk(flows, at=FRIDAY_10 + dt.timedelta(hours=10))
    assert isinstance(night.pending, fx.Record)
    christmas = Walk(flows, at=dt.datetime(2026, 12, 25, 15, 0, tzinfo=dt.UTC))
    assert isinstance(christmas.pending, fx.Record)


def test_voicemail_keeps_the_recording_on_the_record() -> None:
    walk = Walk("""\
main:
  start: vm
  nodes:
    vm: {type: voicemail, prompt: "Leave a message.", mailbox: support, max_seconds: 60}
""")
    record = walk.pending
    assert isinstance(record, fx.Record)
    assert record.max_seconds == 60
    walk.send(Recorded("voicemail/t1-vm.wav", 7.5))
    if walk.call.outcome is None:
        walk.send(PlaybackDone())  # the goodbye prompt
    assert walk.outcome.kind == "voicemail"
    assert walk.outcome.mailbox == "support"
    assert walk.call.record.recording == "voicemail/t1-vm.wav"


def test_set_and_goto_share_a_sub_flow() -> None:
    walk = Walk("""\
main:
  start: mark
  nodes:
    mark: {type: set, variables: {segment: gold}, language: es, next: jump}
    jump: {type: goto, flow: shared}
shared:
  start: greet
  inputs: [segment]      # set by whoever comes here (the goto above, or the dialplan)
  nodes:
    greet: {type: play, prompt: {en: "Hello {segment}.", es: "Hola {segment}."}, next: q}
    q: {type: queue, queue: support}
""")
    assert walk.texts() == ["Hola gold."]
    walk.send(PlaybackDone())
    assert walk.outcome.queue == "support"
    assert walk.call.record.language == "es"
    assert walk.call.record.path == ["mark", "jump", "greet", "q"]


def test_a_long_queue_offers_a_callback() -> None:
    flows = """\
main:
  start: q
  nodes:
    q:
      type: queue
      queue: sales
      callback: {when_wait_over: 120}
"""
    walk = Walk(flows)
    check = walk.pending
    assert isinstance(check, fx.CheckQueue)
    walk.send(QueueStatus("sales", logged_in=3, available=0, callers=9,
                          estimated_wait_s=600.0))
    assert isinstance(walk.pending, fx.Gather)
    walk.send(Digits("1"))
    if walk.call.outcome is None:
        walk.send(PlaybackDone())
    assert walk.outcome.kind == "callback"
    short = Walk(flows)
    short.send(QueueStatus("sales", 3, 2, 0, 0.0, 20.0))
    assert short.outcome.kind == "queue"
    assert short.outcome.callback_offered is False


def test_survey_scores_are_kept_and_nonsense_retried() -> None:
    flows = """\
main:
  start: rate
  nodes:
    rate: {type: survey, kind: nps, prompt: "From 0 to 10?", thanks: null, next: bye}
    bye: {type: hangup}
"""
    walk = Walk(flows)
    walk.send(Digits("11"))  # out of range
    walk.send(NoInput())
    # After a call there is nobody to hand over to: failures just end the survey.
    assert walk.outcome == fx.Outcome(OutcomeKind.HANGUP, "rate", reason="survey_no_input")
    good = Walk(flows)
    good.send(Digits("10"))
    assert good.call.record.survey_kind == "nps"
    assert good.call.record.survey_score == 10


def test_hanging_up_during_a_lookup_is_abandoned_there() -> None:
    walk = Walk(COLLECT)
    for keys in ("12345", "1", "4321"):
        walk.send(Digits(keys))
    walk.send(Hangup())
    assert (walk.call.record.outcome, walk.call.record.outcome_node) == ("abandoned", "fetch")
