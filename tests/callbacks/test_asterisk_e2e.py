"""Callbacks against the real Asterisk 22: accepted, dialled when an agent is free, bridged.

A Local/ caller accepts the queue's callback offer and hangs up; a test agent joins the
queue over AMI; the dispatcher originates ``Local/{number}@ivr-test-callee``, whose far
half answers and presses 1; the callback leg joins the queue and the agent answers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.asterisk.fixtures import AmiObserver, Sandbox, eventually
from tests.callbacks.live import agent_in, call_in, fresh_number, live_service

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


async def test_an_accepted_callback_is_made_when_an_agent_is_free_and_bridged(
    asterisk: Sandbox, ami_observer: AmiObserver, tmp_path: Path
) -> None:
    number = fresh_number()
    async with live_service(asterisk, tmp_path) as live:
        call_id = await call_in(ami_observer, live.url, number)
        await eventually(lambda: live.status("pending"), within_s=40)
        await asyncio.sleep(2)  # nobody is free: nothing is dialled
        [request] = await live.requests()
        assert (request.number, request.queue, request.priority, request.attempts) == (
            number, "support", 4, 0)
        assert request.context["variables"]["account"] == "12345"
        assert request.context["variables"]["callback_number"] == number
        assert request.call_id == call_id
        async with agent_in(ami_observer):
            connect = await asyncio.to_thread(
                ami_observer.wait_for,
                lambda e: e.get("Event") == "AgentConnect"
                and e.get("Uniqueid", "").startswith("cb-"), 60)
            leg = connect["Uniqueid"]
            account = await asyncio.to_thread(ami_observer.action, "Getvar", Channel=connect[
                "Channel"], Variable="IVR_VAR_account")
            bridged = await asyncio.to_thread(
                ami_observer.wait_for,
                lambda e: e.get("Event") == "BridgeEnter" and e.get("Uniqueid") == leg, 10)
            await eventually(lambda: live.status("connected"), within_s=20)
    assert account.get("Value") == "12345"
    assert bridged["BridgeNumChannels"] in ("1", "2")
    handoff = await asyncio.to_thread(
        ami_observer.wait_for,
        lambda e: e.get("Event") == "UserEvent" and e.get("Uniqueid") == leg, 5)
    assert (handoff["Ivr-Queue"], handoff["Ivr-Var-account"]) == ("support", "12345")
    [done] = await live.requests()
    assert (done.status, done.attempts, done.agent) == ("connected", 1, "Agent Bob")
    assert [h.status for h in done.history] == [
        "pending", "dialling", "dialling", "queued", "connected"]
    record = await live.calls.get(call_id)
    assert record is not None
    assert record.outcome == "callback"
    steps = [e.data["step"] for e in record.timeline if e.kind == "callback"]
    assert steps == ["requested", "attempt", "answered", "connected"]


async def test_no_answer_then_answer_takes_two_attempts_with_the_back_off(
    asterisk: Sandbox, ami_observer: AmiObserver, tmp_path: Path
) -> None:
    number = fresh_number("9")  # the test callee lets a 9… number's first call ring out
    async with live_service(asterisk, tmp_path, backoff_s=3.0) as live:
        await call_in(ami_observer, live.url, number)
        await eventually(lambda: live.status("pending"), within_s=40)
        async with agent_in(ami_observer):
            await eventually(lambda: live.status("connected"), within_s=60)
    [done] = await live.requests()
    assert done.attempts == 2
    attempts = [h for h in done.history if h.note.startswith("attempt")]
    retry = [h for h in done.history if h.status == "pending" and h.note == "no_answer"]
    assert len(attempts) == 2
    assert len(retry) == 1
    gap = (attempts[1].at - retry[0].at).total_seconds()
    assert gap >= 3.0


async def test_a_new_call_from_the_number_that_reaches_an_agent_cancels_the_request(
    asterisk: Sandbox, ami_observer: AmiObserver, tmp_path: Path
) -> None:
    number = fresh_number()
    async with live_service(asterisk, tmp_path, dial=False) as live:
        await call_in(ami_observer, live.url, number)
        await eventually(lambda: live.status("pending"), within_s=40)
        async with agent_in(ami_observer):
            await asyncio.sleep(1)  # the agent shows as free: no callback offered this time
            again = await call_in(ami_observer, live.url, number, dtmf="")
            await eventually(lambda: live.status("cancelled"), within_s=40)
    [request] = await live.requests()
    assert request.history[-1].note == "the caller reached an agent on a new call"
    second = await live.calls.get(again)
    assert second is not None
    assert second.outcome == "queue"
