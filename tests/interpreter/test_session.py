"""A call driven by the real engine over a real FastAGI socket: hand-off, hang-ups, no leaks."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import cast

import pytest

from ivr.agi.assign import read_packed
from ivr.agi.channel import AgiChannel
from ivr.agi.protocol import RequestParser
from ivr.agi.server import AgiServer
from ivr.calls.record import CallRecord
from ivr.flows.engine import Call
from ivr.interpreter.agi_transport import AgiTransport, flow_variables
from ivr.interpreter.session import CallSession, SessionDeps
from tests.agi.helpers import RECORDINGS, FakeAsterisk, flowset, header, stalled_lookup
from tests.agi.memstore import MemoryStore


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _our_tasks() -> list[str]:
    """Tasks running code of the ivr package (the session, the server, the channel)."""
    return [repr(t) for t in asyncio.all_tasks() if "/ivr/" in repr(t.get_coro())]


class Harness:
    def __init__(self, server: AgiServer, store: MemoryStore) -> None:
        self.server = server
        self.store = store


@pytest.fixture
async def harness(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    import aiohttp

    store = MemoryStore()
    http = aiohttp.ClientSession()
    deps = SessionDeps(store=store, http=http)
    flows = flowset()

    async def handler(channel: AgiChannel) -> None:
        call = Call(flows, channel.request.script, call_id=channel.request.uniqueid,
                    caller=channel.request.caller, dnid=channel.request.dnid)
        await CallSession(AgiTransport(channel, RECORDINGS), call, deps).run()

    async with AgiServer(handler, port=0) as server:
        yield Harness(server, store)
    await http.close()


async def _ended(harness: Harness, call_id: str) -> None:
    for _ in range(400):
        record = harness.store.calls.get(call_id)
        if record is not None and record.ended_at is not None and harness.server.active == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"call {call_id} never finished")


async def _menu(peer: FakeAsterisk, reply: str) -> None:
    await peer.expect("ANSWER")
    command = await peer.command()
    assert command[:2] == ["STREAM", "FILE"], command
    assert command[2].startswith("/")
    assert "/recordings/prompts/" in command[2]
    assert "1" in command[3]
    await peer.reply(reply)


async def test_menu_choice_hands_off_to_queue_with_channel_variables(harness: Harness) -> None:
    peer = await FakeAsterisk.connect(harness.server.port, uniqueid="100.1")
    await _menu(peer, "200 result=49 endpos=1200")  # caller pressed 1 during the prompt
    variables = {}
    sets = 0
    while command := await peer.command():
        assert command[:2] == ["SET", "VARIABLE"], command
        variables.update(read_packed(command[2], command[3]))
        sets += 1
        await peer.reply("200 result=1")
    await _ended(harness, "100.1")
    assert sets == 1  # every hand-off value is plain: one ARRAY() round trip
    assert variables["IVR_OUTCOME"] == "queue"
    assert variables["IVR_QUEUE"] == "sales"
    assert variables["IVR_PRIORITY"] == "5"
    assert variables["IVR_CALL_ID"] == "100.1"
    record = harness.store.calls["100.1"]
    assert (record.outcome, record.queue, record.flow_version) == ("queue", "sales", "test-v1")
    kinds = [e.kind for e in harness.store.timelines["100.1"]]
    assert kinds[0] == "call_started"
    assert "option_chosen" in kinds
    await peer.close()


async def test_a_call_the_dialplan_answered_sends_no_answer(harness: Harness) -> None:
    # asterisk_conf's [ivr] answers before AGI() and says so: res_agi's ANSWER does nothing on
    # a channel that is up, and was one of a DTMF call's four round trips.
    peer = await FakeAsterisk.connect(harness.server.port, script="main?answered=yes",
                                      uniqueid="100.9")
    command = await peer.command()
    assert command[:2] == ["STREAM", "FILE"], command
    await peer.reply("200 result=49 endpos=1200")
    while command := await peer.command():
        assert command[:2] == ["SET", "VARIABLE"], command
        await peer.reply("200 result=1")
    await _ended(harness, "100.9")
    record = harness.store.calls["100.9"]
    assert (record.flow, record.outcome, record.queue) == ("main", "queue", "sales")
    await peer.close()


def test_the_dialplans_answered_is_not_a_value_of_the_flow() -> None:
    # `ivr simulate` has no dialplan: a flow that saw it would branch differently there.
    request = RequestParser().feed(header("main?lang=ko&answered=yes", arg_1="x"))
    assert request is not None
    line = cast(AgiChannel, SimpleNamespace(request=request))
    assert flow_variables(line) == {"arg1": "x", "lang": "ko"}


class _SlowFinish(MemoryStore):
    """A store whose last write of a call (``finish``) waits until the test lets it commit."""

    def __init__(self) -> None:
        super().__init__()
        self.commit = asyncio.Event()
        self.finished: list[str] = []

    async def finish(self, record: CallRecord) -> None:
        await self.commit.wait()
        await super().finish(record)
        self.finished.append(record.call_id)


async def test_the_line_goes_back_to_the_dialplan_before_the_last_commit() -> None:
    store = _SlowFinish()
    flows = flowset()

    async def handler(channel: AgiChannel) -> None:
        call = Call(flows, channel.request.script, call_id=channel.request.uniqueid)
        await CallSession(AgiTransport(channel, RECORDINGS), call, SessionDeps(store=store)).run()

    async with AgiServer(handler, port=0) as server:
        peer = await FakeAsterisk.connect(server.port, uniqueid="300.1")
        await _menu(peer, "200 result=49 endpos=1200")
        await peer.expect("SET", "VARIABLE", reply="200 result=1")
        # The caller may enter the queue now: the session no longer holds the AGI open
        # while the record's last write commits.
        assert await peer.closed_by_server()
        assert store.finished == []
        store.commit.set()
        for _ in range(200):
            if store.finished:
                break
            await asyncio.sleep(0.01)
        assert store.finished == ["300.1"]
        assert store.calls["300.1"].outcome == "queue"
        await peer.close()


#: The FakeAsterisk channel's own name: what its driver records as the source of a far-end
#: hang-up. No source at all means Asterisk hung the channel up itself.
CALLER_SIDE = "Local/s@test-00000001;2"


@pytest.mark.parametrize(("source", "outcome"), [(CALLER_SIDE, "abandoned"),
                                                 ("", "interrupted")])
async def test_hangup_during_prompt_is_recorded_by_who_hung_up(
    harness: Harness, source: str, outcome: str
) -> None:
    # Asterisk sends the same HANGUP whether the caller hung up or it hung the channel up
    # itself (core stop now); the service asks which before it lets the channel go.
    fds = _fds()
    peer = await FakeAsterisk.connect(harness.server.port, uniqueid="100.2")
    await _menu(peer, "200 result=-1 endpos=0\nHANGUP")
    await peer.answer_hangup_question(source)
    assert await peer.closed_by_server()
    await _ended(harness, "100.2")
    record = harness.store.calls["100.2"]
    assert (record.outcome, record.outcome_node) == (outcome, "menu")
    await peer.close()
    await asyncio.sleep(0.05)
    assert _our_tasks() == []
    assert _fds() == fds


async def test_hangup_during_digit_collection_is_abandoned_there(harness: Harness) -> None:
    fds = _fds()
    peer = await FakeAsterisk.connect(harness.server.port, uniqueid="100.3")
    await _menu(peer, "200 result=51 endpos=800")  # 3: enter the account number
    command = await peer.command()
    assert command[:2] == ["STREAM", "FILE"]
    await peer.reply("200 result=0 endpos=8000")
    await peer.expect("WAIT", "FOR", "DIGIT", reply="200 result=55")
    await peer.expect("WAIT", "FOR", "DIGIT", reply="HANGUP\n200 result=-1")
    await peer.answer_hangup_question(CALLER_SIDE)
    assert await peer.closed_by_server()
    await _ended(harness, "100.3")
    record = harness.store.calls["100.3"]
    assert (record.outcome, record.outcome_node) == ("abandoned", "ask_account")
    assert "7" not in str(record.variables.get("account", ""))
    await peer.close()
    await asyncio.sleep(0.05)
    assert _our_tasks() == []
    assert _fds() == fds


@pytest.mark.parametrize(("source", "outcome"), [(CALLER_SIDE, "abandoned"),
                                                 ("", "interrupted")])
async def test_hangup_during_lookup_cancels_it_and_is_recorded_there(
    harness: Harness, source: str, outcome: str
) -> None:
    fds = _fds()
    async with stalled_lookup() as started:
        peer = await FakeAsterisk.connect(harness.server.port, uniqueid="100.4")
        await _menu(peer, "200 result=51 endpos=800")
        await peer.command()
        await peer.reply("200 result=49 endpos=100")  # barge into the prompt with 1
        for key in "234":
            await peer.expect("WAIT", "FOR", "DIGIT", reply=f"200 result={ord(key)}")
        await asyncio.wait_for(started.wait(), 5)
        # The lookup stalls: the channel listens for the caller's keys meanwhile.
        await peer.expect("WAIT", "FOR", "DIGIT", reply="200 result=0")
        await peer.expect("WAIT", "FOR", "DIGIT", reply="HANGUP\n200 result=-1")
        await peer.answer_hangup_question(source)
        assert await peer.closed_by_server()
        await _ended(harness, "100.4")
        record = harness.store.calls["100.4"]
        assert (record.outcome, record.outcome_node) == (outcome, "fetch")
        await peer.close()
        await asyncio.sleep(0.05)
        assert _our_tasks() == []
    await asyncio.sleep(0.05)
    assert _fds() == fds


@pytest.mark.parametrize("answer", ["511 Command Not Permitted on a dead channel",
                                    "200 result=0", "200 result=1 (x)", None])
async def test_hangup_stays_the_callers_when_asterisk_cannot_say_otherwise(
    harness: Harness, answer: str | None
) -> None:
    # Only a clear "no source" moves a hang-up off the caller: a refusal, an unset value,
    # something that is not a length, or the connection closing instead of an answer do not.
    peer = await FakeAsterisk.connect(harness.server.port, uniqueid="100.7")
    await _menu(peer, "HANGUP\n200 result=-1 endpos=0")
    question = await peer.command()
    assert question[:3] == ["GET", "FULL", "VARIABLE"], question
    if answer is None:
        await peer.close()
    else:
        await peer.reply(answer)
        assert await peer.closed_by_server()
    await _ended(harness, "100.7")
    record = harness.store.calls["100.7"]
    assert (record.outcome, record.outcome_node) == ("abandoned", "menu")
    if answer is not None:
        await peer.close()


async def test_asterisk_vanishing_mid_prompt_is_interrupted_not_abandoned(
    harness: Harness,
) -> None:
    # Asterisk killed while the prompt plays: the connection ends with no HANGUP and no
    # result=-1 first. The caller did not give up; the call was cut off where it was.
    peer = await FakeAsterisk.connect(harness.server.port, uniqueid="100.5")
    await peer.expect("ANSWER")
    command = await peer.command()
    assert command[:2] == ["STREAM", "FILE"], command
    await peer.close()
    await _ended(harness, "100.5")
    record = harness.store.calls["100.5"]
    assert (record.outcome, record.outcome_node) == ("interrupted", "menu")


async def test_asterisk_vanishing_during_a_lookup_is_interrupted_there(harness: Harness) -> None:
    async with stalled_lookup() as started:
        peer = await FakeAsterisk.connect(harness.server.port, uniqueid="100.6")
        await _menu(peer, "200 result=51 endpos=800")
        await peer.command()
        await peer.reply("200 result=49 endpos=100")
        for key in "234":
            await peer.expect("WAIT", "FOR", "DIGIT", reply=f"200 result={ord(key)}")
        await asyncio.wait_for(started.wait(), 5)
        await peer.close()
        await _ended(harness, "100.6")
        record = harness.store.calls["100.6"]
        assert (record.outcome, record.outcome_node) == ("interrupted", "fetch")
