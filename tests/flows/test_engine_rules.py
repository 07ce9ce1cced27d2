"""Rules the engine keeps whatever arrives.

Input a node did not ask for, the back stack, separate retry counts, global keys in
collect nodes and the survey hang-up.
"""

from __future__ import annotations

import pytest

from ivr.calls.record import CallRecord
from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import (
    Digits,
    Hangup,
    LookupDone,
    NoInput,
    PlaybackDone,
    QueueStatus,
    SpeechHeard,
)
from ivr.flows.loader import load_flowset
from tests.conftest import ROOT
from tests.flows.engine_walk import FRIDAY_10, Walk

MENUS = """\
main:
  start: main_menu
  nodes:
    main_menu:
      type: menu
      prompt: "Main. 1 for support."
      options:
        - {key: 1, next: support}
    support:
      type: menu
      prompt: "Support. 1 for hours, 2 for an agent."
      options:
        - {key: 1, next: hours}
        - {key: 2, next: agent}
    hours: {type: play, prompt: "Open nine to five.", next: support}
    agent: {type: queue, queue: support}
"""


def _steps(record: CallRecord) -> list[str]:
    """Timeline kinds without the prompts (how many a retry plays varies)."""
    return [e.kind for e in record.timeline if e.kind != "prompt"]


def _gather_texts(walk: Walk) -> list[str]:
    pending = walk.pending
    assert isinstance(pending, fx.Gather)
    return [p.text or "" for p in pending.prompts]


def test_back_from_a_menu_reached_again_through_its_own_option_goes_to_the_menu_before() -> None:
    walk = Walk(MENUS)
    walk.send(Digits("1"))  # main -> support
    walk.send(Digits("1"))  # support -> hours (a play) -> support again
    assert walk.pending.node == "hours"
    walk.send(PlaybackDone())
    assert _gather_texts(walk) == ["Support. 1 for hours, 2 for an agent."]
    walk.send(Digits("1"))  # and once more round the info prompt
    walk.send(PlaybackDone())
    walk.send(Digits("#"))  # back
    assert _gather_texts(walk) == ["Main. 1 for support."]


def test_the_back_stack_never_holds_the_same_menu_twice_in_a_row() -> None:
    walk = Walk(MENUS)
    walk.send(Digits("1"))
    for _ in range(5):
        walk.send(Digits("1"))
        walk.send(PlaybackDone())
    walk.send(Digits("#"))
    assert _gather_texts(walk) == ["Main. 1 for support."]
    walk.send(Digits("#"))  # nothing left to go back to: not a choice here
    assert _steps(walk.call.record)[-2:] == ["no_match", "retry"]


SEPARATE = """\
main:
  start: menu
  nodes:
    menu:
      type: menu
      prompt: "Press 1."
      options:
        - {key: 1, next: done}
      max_attempts: 2
      on_no_input: {max: 3, next: quiet}
      on_no_match: {max: 1, next: confused}
    done: {type: hangup, outcome: self_service}
    quiet: {type: hangup, prompt: "We could not hear you."}
    confused: {type: queue, queue: support}
"""


def test_silences_and_wrong_keys_have_their_own_counts_and_exits() -> None:
    walk = Walk(SEPARATE)
    walk.send(NoInput())
    walk.send(NoInput())
    assert walk.call.outcome is None  # a silence limit of 3, not max_attempts 2
    walk.send(Digits("7"))  # the first wrong key: no_match has a limit of its own, 1
    assert walk.outcome.node == "confused"

    quiet = Walk(SEPARATE)
    for _ in range(3):
        quiet.send(NoInput())
    assert quiet.pending.node == "quiet"
    kinds = [(e.kind, e.data.get("attempt")) for e in quiet.call.record.timeline
             if e.kind in ("no_input", "no_match")]
    assert kinds == [("no_input", 1), ("no_input", 2), ("no_input", 3)]


def test_without_own_limits_silences_and_wrong_answers_share_max_attempts() -> None:
    flows = SEPARATE.replace("      on_no_input: {max: 3, next: quiet}\n", "").replace(
        "      on_no_match: {max: 1, next: confused}\n", "      on_failure: quiet\n")
    walk = Walk(flows)
    walk.send(NoInput())
    walk.send(Digits("7"))  # second failed try of any kind: max_attempts 2
    assert walk.pending.node == "quiet"


COLLECT = """\
main:
  start: account
  nodes:
    account:
      type: collect
      prompt: "Enter your account number."
      variable: account
      min_digits: 4
      max_digits: 6
      next: done
    done: {type: hangup, prompt: "Thanks {account}.", outcome: self_service}
"""


def test_the_operator_key_alone_works_in_a_collect() -> None:
    walk = Walk(COLLECT)
    walk.send(Digits("0", terminated_by="#"))
    assert (walk.outcome.kind, walk.outcome.queue) == ("queue", "operator")
    assert walk.outcome.reason == "operator_key"


def test_the_repeat_key_alone_asks_again_without_counting_a_try() -> None:
    walk = Walk(COLLECT)
    walk.send(Digits("*"))
    assert _gather_texts(walk) == ["Enter your account number."]
    assert not [e for e in walk.call.record.timeline if e.kind in ("no_match", "no_input")]
    walk.send(Digits("1234", terminated_by="#"))
    assert walk.pending.node == "done"


def test_global_keys_false_makes_a_lone_zero_an_ordinary_answer() -> None:
    walk = Walk(COLLECT.replace("      min_digits: 4\n", "      min_digits: 1\n"
                                "      global_keys: false\n"))
    walk.send(Digits("0", terminated_by="#"))
    assert walk.texts() == ["Thanks 0."]


@pytest.mark.parametrize("entry", ["12*34", "1234*", "*1234", "12#34"])
def test_star_inside_a_number_is_a_no_match_not_part_of_the_number(entry: str) -> None:
    walk = Walk(COLLECT)
    walk.send(Digits(entry))
    assert walk.pending.node == "account"
    assert _steps(walk.call.record)[-2:] == ["no_match", "retry"]
    assert "account" not in walk.call.variables


def test_a_pattern_may_ask_for_a_star_on_purpose() -> None:
    walk = Walk(COLLECT.replace("      max_digits: 6\n",
                                "      max_digits: 6\n      pattern: '[0-9]+[*][0-9]+'\n"))
    walk.send(Digits("12*34"))
    assert walk.texts() == ["Thanks 12*34."]


def test_the_issue_walk_speech_at_a_keyed_collect_and_keys_at_a_spoken_one() -> None:
    """``ivr simulate main -i 8 -i 1 -i 3 -i say:banana`` used to raise; now it is a no-match."""
    flowset = load_flowset(ROOT / "flows.yaml")
    call = Call(flowset, "main", call_id="t", caller="+15550100")
    call.start(FRIDAY_10)
    for event in (Digits("8"), Digits("1"), Digits("3"), SpeechHeard("banana", 0.9)):
        call.receive(event, FRIDAY_10)
    pending = call.pending
    assert isinstance(pending, fx.Gather)
    assert pending.node == "ask_account"
    assert _steps(call.record)[-3:] == ["speech", "no_match", "retry"]

    support = Call(flowset, "main", call_id="t2", caller="+15550100")
    support.start(FRIDAY_10)
    for event in (Digits("1"), Digits("2"), Digits("42")):  # keys at the free-form reason
        support.receive(event, FRIDAY_10)
    assert support.pending is not None
    assert support.pending.node == "support_queue"  # max_attempts 1 -> on_failure


def test_events_for_other_effects_are_ignored_and_the_node_keeps_waiting() -> None:
    walk = Walk(COLLECT)
    gather = walk.pending
    assert walk.send(LookupDone(200, {"x": 1})) == [gather]
    assert walk.send(QueueStatus("sales", 1)) == [gather]
    walk.send(PlaybackDone())  # the prompt ended and nothing came: no input
    assert [e.kind for e in walk.call.record.timeline if e.kind == "no_input"] == ["no_input"]


SURVEY = """\
main:
  start: rate
  nodes:
    rate:
      type: survey
      prompt: "Rate us from 1 to 5."
      next: bye
    bye: {type: hangup, prompt: "Bye."}
"""


def test_hanging_up_during_the_survey_is_a_finished_survey_without_a_score() -> None:
    walk = Walk(SURVEY)
    walk.send(Hangup())
    assert walk.call.record.outcome == "hangup"
    assert walk.outcome.reason == "survey_no_score"
    assert walk.call.record.survey_score is None


def test_hanging_up_during_the_thanks_keeps_the_score() -> None:
    walk = Walk(SURVEY)
    walk.send(Digits("5"))
    assert walk.pending.node == "rate"  # "Thank you for your feedback."
    walk.send(Hangup())
    assert (walk.call.record.outcome, walk.call.record.survey_score) == ("hangup", 5)


def test_words_at_a_survey_are_not_a_score() -> None:
    walk = Walk(SURVEY)
    walk.send(SpeechHeard("five", 0.9))
    assert _steps(walk.call.record)[-2:] == ["no_match", "retry"]


def test_hanging_up_while_the_callback_is_confirmed_is_a_callback() -> None:
    walk = Walk("""\
main:
  start: q
  nodes:
    q:
      type: queue
      queue: sales
      callback: {when_wait_over: 120}
""")
    walk.send(QueueStatus("sales", logged_in=3, available=0, callers=9, estimated_wait_s=600.0))
    walk.send(Digits("1"))  # "Thank you. We will call you back at this number."
    assert isinstance(walk.pending, fx.Play)
    walk.send(Hangup())
    assert (walk.call.record.outcome, walk.outcome.kind) == ("callback", "callback")
