"""Callback requests from the engine: the queue offer and the ``callback`` node (pure)."""

from __future__ import annotations

from ivr.flows import effects as fx
from ivr.flows.events import Digits, NoInput, PlaybackDone, QueueStatus
from tests.flows.engine_walk import Walk

LONG = QueueStatus("sales", logged_in=3, available=0, callers=9, estimated_wait_s=600.0)

OFFER = """\
main:
  start: q
  nodes:
    q:
      type: queue
      queue: sales
      priority: 7
      callback: {when_wait_over: 120, calendar: office, topic: sales}
"""

AFTER_HOURS = """\
main:
  start: later
  nodes:
    later:
      type: callback
      queue: support
      calendar: office
      after: "18:00"
      topic: your support case
"""


def _accept(walk: Walk) -> None:
    walk.send(LONG)
    assert isinstance(walk.pending, fx.Gather)
    walk.send(Digits("1"))


def test_accepting_the_offer_ends_with_a_promise_to_the_caller_id() -> None:
    walk = Walk(OFFER)
    _accept(walk)
    assert walk.texts() == ["Thank you. We will call you back at this number."]
    effects = walk.send(PlaybackDone())
    outcome = walk.outcome
    assert (outcome.kind, outcome.queue, outcome.priority) == ("callback", "sales", 7)
    assert outcome.callback is not None
    assert outcome.callback.number == "+15550100"
    assert outcome.callback.topic == "sales"
    assert outcome.callback.calendar == walk.flowset.document.calendars["office"]
    finish = effects[-1]
    assert isinstance(finish, fx.Finish)
    assert finish.variables["IVR_CALLBACK"] == "1"


def test_a_withheld_caller_id_keys_in_a_number_and_confirms_it() -> None:
    walk = Walk(OFFER, caller="anonymous")
    _accept(walk)
    ask = walk.pending
    assert isinstance(ask, fx.Gather)
    assert ask.digits is not None
    assert ask.digits.finish_key == "#"
    walk.send(Digits("5550199"))
    assert walk.texts() == [
        "You entered 5 5 5 0 1 9 9. Press 1 if that is right, or 2 to enter it again."]
    walk.send(Digits("2"))  # wrong: enter it again
    assert walk.texts() == ["Please enter the number we should call, followed by the hash key."]
    walk.send(Digits("5550123"))
    walk.send(Digits("1"))
    walk.send(PlaybackDone())
    assert walk.outcome.callback is not None
    assert walk.outcome.callback.number == "5550123"


def test_no_usable_number_leaves_the_caller_in_the_queue() -> None:
    walk = Walk(OFFER, caller="")
    _accept(walk)
    walk.send(NoInput())
    walk.send(Digits("9"))  # too short to be a phone number; max_attempts is 2
    assert (walk.outcome.kind, walk.outcome.queue, walk.outcome.callback) == (
        "queue", "sales", None)


def test_the_callback_node_takes_an_after_hours_request() -> None:
    walk = Walk(AFTER_HOURS)
    assert walk.texts() == ["We are closed right now. We will call you back as soon as we open."]
    walk.send(PlaybackDone())
    assert walk.texts() == ["Thank you. We will call you back. Goodbye."]
    walk.send(PlaybackDone())
    ask = walk.outcome.callback
    assert (walk.outcome.kind, walk.outcome.queue) == ("callback", "support")
    assert ask is not None
    assert (ask.number, ask.after, ask.topic) == ("+15550100", "18:00", "your support case")
    assert walk.call.record.path == ["later"]
