"""Random callers cannot crash the engine, and a caller who stops answering is always let go.

Hypothesis drives every flow of the shipped example and of the good samples
with random events of every kind at whatever node the call is at, not only the
answers the pending effect asked for: keys during a lookup, speech where a PIN
is keyed in, a lookup reply to a menu, queue states, recordings, hang-ups.
Properties:

- whatever arrives, the engine answers every event with effects and never
  raises; only an ``AdapterError`` may end a call as ``error``;
- after any random beginning, a caller who goes silent (or keeps giving
  nonsense) reaches the end of the call within a bounded number of turns:
  retries run out, there is no flow that never ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import (
    AdapterError,
    Digits,
    Event,
    Hangup,
    LookupDone,
    LookupFailed,
    NoInput,
    PlaybackDone,
    QueueStatus,
    Recorded,
    SpeechHeard,
)
from ivr.flows.flowset import FlowSet
from ivr.flows.loader import load_flowset
from tests.conftest import ROOT

HERE = Path(__file__).parent
FILES = [ROOT / "flows.yaml", *sorted((HERE / "good").glob("*.yaml"))]
FLOWSETS: dict[str, FlowSet] = {p.name: load_flowset(p) for p in FILES}
#: "file:flow" names keep Hypothesis's failure reports short.
CASES = [f"{file}:{flow}" for file, fs in FLOWSETS.items() for flow in fs.flows]
#: Turns a silent caller may take before the call must be over: menus nest a few deep
#: (language, main menu, account, PIN, confirmation) and each retries a few times.
SILENT_TURNS = 60

WORDS = ["sales", "support", "billing", "balance", "agent", "goodbye", "english", "español",
         "yes", "no", "pizza", "", "help me", "uh"]
DIGITS = st.text(alphabet="0123456789*#", min_size=0, max_size=8)
WHEN = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31),
                    timezones=st.just(dt.UTC))


DIGIT_EVENTS = st.builds(Digits, DIGITS, st.sampled_from([None, "#", "*"]))
SPEECH_EVENTS = st.builds(SpeechHeard, st.sampled_from(WORDS), st.floats(min_value=0, max_value=1))
LOOKUP_EVENTS = st.one_of(
    st.builds(LookupDone, st.sampled_from([200, 204, 302, 404, 500]),
              st.one_of(st.none(), st.just([1, 2]), st.fixed_dictionaries(
                  {"status": st.sampled_from(["ok", "not_found"]),
                   "amount": st.sampled_from(["42.50", "0"])}))),
    st.builds(LookupFailed, st.sampled_from(["timeout", "connection refused", "not JSON"])))
#: Everything an adapter can send, whatever is pending: the engine must take any of it.
ANY_EVENT: st.SearchStrategy[Event] = st.one_of(
    st.just(PlaybackDone()), st.just(NoInput()), DIGIT_EVENTS, SPEECH_EVENTS, LOOKUP_EVENTS,
    st.builds(Recorded, st.just("vm/x.wav"), st.floats(min_value=0, max_value=120),
              st.sampled_from(["silence", "dtmf", "timeout", "hangup"])),
    st.builds(QueueStatus, st.sampled_from(["sales", "support", "nowhere"]),
              st.none() | st.integers(0, 5), st.none() | st.integers(0, 5),
              st.none() | st.integers(0, 30), st.none() | st.floats(0, 900),
              st.none() | st.floats(0, 900)),
    st.just(Hangup()), st.builds(AdapterError, st.sampled_from(["510", "timeout"])))


def silent(pending: fx.Blocking) -> Event:
    """A caller who no longer answers (backends and Asterisk still do, minimally)."""
    if isinstance(pending, fx.Gather):
        return NoInput()
    if isinstance(pending, fx.Lookup):
        return LookupFailed("timeout")
    if isinstance(pending, fx.Record):
        return Recorded("vm/x.wav", 0.0, reason="silence")
    if isinstance(pending, fx.CheckQueue):
        return QueueStatus(pending.queue, 0, 0, 0, 0.0, 0.0)
    return PlaybackDone()


def nonsense(pending: fx.Blocking) -> Event:
    """A caller who keeps pressing a key no menu uses or saying something off-menu."""
    if isinstance(pending, fx.Gather):
        if pending.speech is not None:
            return SpeechHeard("pizza", 0.2)
        return Digits("99999999") if pending.digits is not None else NoInput()
    return silent(pending)


def drive(call: Call, now: dt.datetime, answer: Callable[[fx.Blocking], Event],
          turns: int) -> int:
    """Answer the pending effect up to *turns* times; return how many turns were taken."""
    for taken in range(turns):
        if call.finished:
            return taken
        pending = call.pending
        assert pending is not None, "an unfinished call must be waiting for something"
        effects = call.receive(answer(pending), now)
        assert isinstance(effects, list)
    return turns


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), when=WHEN, data=st.data(),
       then=st.sampled_from([silent, nonsense]))
def test_any_event_at_any_node_is_taken_and_every_call_ends(
        case: str, when: dt.datetime, data: st.DataObject,
        then: Callable[[fx.Blocking], Event]) -> None:
    file, flow = case.split(":")
    flowset = FLOWSETS[file]
    call = Call(flowset, flow, call_id="prop", caller=data.draw(st.sampled_from(
        ["+15550100", "", "anonymous"])))
    first = call.start(when)
    assert isinstance(first[0], fx.Answer)
    random_turns = data.draw(st.integers(0, 30))
    sent: list[Event] = []

    def random_answer(_pending: fx.Blocking) -> Event:
        # Not what the node expects: any event at any node (keys during a lookup, a lookup
        # reply to a menu, speech where a PIN is keyed in, a queue state nobody asked for).
        event = data.draw(ANY_EVENT)
        sent.append(event)
        return event

    drive(call, when, random_answer, random_turns)
    taken = drive(call, when, then, SILENT_TURNS)
    assert call.finished, f"{flow}: still waiting after {taken} silent turns at {call.pending}"
    record = call.record
    assert record.outcome is not None
    assert record.ended_at == when
    assert record.timeline[-1].kind == "outcome"
    if record.outcome == "error":
        # Only the adapter failing may end a call in error; never an event a node did not expect.
        assert any(isinstance(e, AdapterError) for e in sent), record.timeline[-3:]
