"""A turn answered by the hang-up itself ends the call as abandoned, without an error.

A speech turn over AudioSocket hears the caller hang up and returns ``Hangup`` as its event,
where the other transports raise ``CallerGone``; both must end the call the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import pytest

from ivr.calls.outcome import OutcomeKind
from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import Event, Hangup, PlaybackDone
from ivr.interpreter.session import CallSession, SessionDeps
from ivr.interpreter.transport import Line
from tests.agi.helpers import flowset
from tests.agi.memstore import MemoryStore

T = TypeVar("T")


class HangsUpOnTheQuestion:
    """A line whose first question is answered by the caller hanging up."""

    def __init__(self) -> None:
        self.asked = 0
        self.variables: dict[str, str] = {}

    @property
    def line(self) -> Line:
        return Line("200.1", "PJSIP/test-00000001", "0212345678")

    @property
    def hung_up(self) -> bool:
        return self.asked > 0

    async def answer(self) -> None:
        pass

    async def set_variables(self, values: Mapping[str, str]) -> None:
        self.variables.update(values)

    async def hangup(self) -> None:
        pass

    async def release(self) -> None:
        pass

    async def play(self, effect: fx.Play) -> Event:
        return PlaybackDone()

    async def gather(self, effect: fx.Gather) -> Event:
        self.asked += 1
        return Hangup()

    async def record(self, effect: fx.Record, name: str) -> Event:
        raise AssertionError("no recording in this flow")

    async def wait(self, effect: fx.Lookup | fx.CheckQueue, work: Callable[[], Awaitable[T]]) -> T:
        return await work()

    async def hold(self, work: Awaitable[object]) -> None:
        await work


async def test_a_hangup_answer_is_abandoned_at_the_menu_without_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    transport = HangsUpOnTheQuestion()
    call = Call(flowset(), "main", call_id="200.1", caller="0212345678")
    with caplog.at_level(logging.WARNING):
        record = await CallSession(transport, call, SessionDeps(store=store)).run()
    assert transport.asked == 1
    assert record.outcome == OutcomeKind.ABANDONED
    assert record.ended_at is not None
    assert [e.kind for e in record.timeline][-2:] == ["hangup", "outcome"]
    assert [e.node for e in record.timeline][-1] == "menu"
    assert store.calls["200.1"].outcome == OutcomeKind.ABANDONED
    assert "IVR_OUTCOME" not in transport.variables  # nobody is left to hand off
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
