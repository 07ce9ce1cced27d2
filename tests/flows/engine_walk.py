"""Driving the engine by hand in tests: a call on inline YAML, fed one event at a time."""

from __future__ import annotations

import datetime as dt
import textwrap

from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import Digits, Event, NoInput, PlaybackDone
from ivr.flows.flowset import FlowSet
from ivr.flows.loader import parse_flowset

#: A Friday 10:00 in New York (the "office" calendar below is open).
FRIDAY_10 = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)

HEADER = """\
version: 1
settings:
  languages: [en, es]
  operator_queue: operator
  timeout: 5
  max_attempts: 2
queues:
  operator: {description: Front desk}
  sales: {description: Sales}
  support: {description: Support}
calendars:
  office:
    timezone: America/New_York
    weekly: {mon-fri: "08:00-18:00"}
    holidays: [2026-12-25]
"""


class Walk:
    """One call: ``send`` answers the pending effect and returns the effects that follow."""

    def __init__(self, flows: str, flow: str = "main", *, caller: str = "+15550100",
                 at: dt.datetime = FRIDAY_10, header: str = HEADER) -> None:
        text = header + "flows:\n" + textwrap.indent(textwrap.dedent(flows), "  ")
        self.flowset = parse_flowset(text)
        self.call = Call(self.flowset, flow, call_id="t1", caller=caller)
        self.now = at
        self.effects = self.call.start(at)

    def send(self, event: Event) -> list[fx.Effect]:
        """Answer the pending effect with *event*."""
        self.effects = self.call.receive(event, self.now)
        return self.effects

    @property
    def pending(self) -> fx.Blocking:
        """The effect waiting for an answer."""
        pending = self.call.pending
        assert pending is not None, f"nothing pending; finished: {self.call.outcome}"
        return pending

    def texts(self) -> list[str]:
        """Prompt texts of the last effects, in order."""
        out = []
        for effect in self.effects:
            if isinstance(effect, fx.Play | fx.Gather | fx.Record):
                out += [p.text or f"<{p.file}>" for p in effect.prompts]
        return out

    @property
    def outcome(self) -> fx.Outcome:
        """How the call ended (it must have)."""
        assert self.call.outcome is not None, f"still pending: {self.call.pending}"
        return self.call.outcome


def answered_call(flowset: FlowSet, answers: list[Event], call_id: str = "c1",
                  at: dt.datetime = FRIDAY_10) -> Call:
    """A call on *flowset*'s ``main`` with prompts played through and *answers* to its questions.

    Every event happens at *at*: times spent are not what these calls test.
    """
    call = Call(flowset, "main", call_id=call_id, caller="+15550100")
    call.start(at)
    todo = list(answers)
    while call.pending is not None and (todo or isinstance(call.pending, fx.Play)):
        event = PlaybackDone() if isinstance(call.pending, fx.Play) else todo.pop(0)
        call.receive(event, at)
    return call


def balance_call_giving_up_at_pin(flowset: FlowSet, call_id: str = "c1",
                                  at: dt.datetime = FRIDAY_10) -> Call:
    """Play the goto call of the example flows.

    Spanish (key 2), balance (key 3, a goto into ``account``), an account number
    confirmed, then silence at the PIN until the tries run out.
    """
    call = answered_call(flowset, [Digits("2"), Digits("3"), Digits("123456"), Digits("1"),
                                   NoInput(), NoInput(), NoInput()], call_id, at)
    assert call.outcome is not None
    assert call.outcome.node == "too_many_tries", call.outcome
    return call
