"""Engine-made calls through the shipped flows.yaml: the seeded set replay is measured on.

Each scripted caller answers the engine's questions in order (prompts play to the
end); the records are what a live call would have stored. The scripts cover every
way a Harbor Telecom caller goes: a queue by key and by speech, an unsure "did you
say", balance self-service with account number and PIN and the lookup's reply, a
hang-up at the menu and after the PIN, silence to the operator, Spanish, after hours.
``ivr bench replay`` and the replay tests use the same set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ivr.calls.record import CallRecord
from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import (
    Digits,
    Event,
    Hangup,
    LookupDone,
    NoInput,
    PlaybackDone,
    QueueStatus,
    Recorded,
    SpeechHeard,
)
from ivr.flows.flowset import FlowSet

#: Monday 23 November 2026, 10:00 in New York: the office is open.
OPEN = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
#: The same Monday at 21:00 in New York: closed.
CLOSED = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)

BALANCE = {"status": "ok", "amount": "42.50", "due_date": "December 1"}
SHORT_WAIT = QueueStatus("sales", available=2, estimated_wait_s=20)

#: name -> (start time, what the caller does, in order)
SCRIPTS: dict[str, tuple[dt.datetime, list[Event]]] = {
    "sales": (OPEN, [Digits("1"), Digits("1"), SHORT_WAIT]),
    "support": (OPEN, [Digits("1"), Digits("2"), SpeechHeard("my internet is down", 0.8)]),
    "balance": (OPEN, [Digits("1"), Digits("3"), Digits("123456", "#"), Digits("1"),
                       Digits("1234", "#"), LookupDone(200, BALANCE), Digits("2")]),
    "billing": (OPEN, [Digits("1"), Digits("4")]),
    "billing_said": (OPEN, [Digits("1"), SpeechHeard("billing", 0.9)]),
    "sales_unsure": (OPEN, [Digits("1"), SpeechHeard("sales", 0.5), Digits("1"), SHORT_WAIT]),
    "gave_up": (OPEN, [Digits("1"), Hangup()]),
    "silent": (OPEN, [NoInput(), NoInput(), NoInput(), NoInput(), NoInput()]),
    "spanish_billing": (OPEN, [Digits("2"), Digits("4")]),
    "pin_then_hangup": (OPEN, [Digits("1"), Digits("3"), Digits("123456", "#"), Digits("1"),
                               Hangup()]),
    "after_hours": (CLOSED, [Digits("1"), Recorded("vm/1.wav", 12.0)]),
}


def make_call(flowset: FlowSet, call_id: str, caller: str, start: dt.datetime,
              script: Sequence[Event]) -> CallRecord:
    """Run one scripted caller through *flowset*; a second passes between answers."""
    call = Call(flowset, "main", call_id=call_id, caller=caller, dnid="100")
    now = start
    call.start(now)
    answers = list(script)
    while not call.finished:
        now += dt.timedelta(seconds=1)
        pending = call.pending
        if isinstance(pending, fx.Play) and not (answers and isinstance(answers[0], Hangup)):
            event: Event = PlaybackDone()
        else:
            event = answers.pop(0) if answers else Hangup()
        call.receive(event, now)
    return call.record


def records(flowset: FlowSet, copies: int = 1) -> list[CallRecord]:
    """Every script *copies* times, each copy a different caller a minute later.

    Copies wrap to the same hours a week later after 7 hours, so every copy of an
    office-hours script is still made while the office is open.
    """
    out = []
    for i in range(copies):
        for name, (start, script) in SCRIPTS.items():
            at = start + dt.timedelta(minutes=i % 420, weeks=i // 420)
            out.append(make_call(flowset, f"{name}-{i}", f"+1555{i:07d}", at, script))
    return out
