"""The answered callback leg over a FastAGI socket: the callee presses 1 and joins the queue."""

from __future__ import annotations

import asyncio
import base64
import contextlib

import pytest

from ivr.agi.server import AgiServer
from ivr.ami.client import AmiClient
from ivr.callbacks.dispatcher import Dispatcher
from ivr.callbacks.leg import CallbackLeg
from ivr.callbacks.model import CallbackRequest
from ivr.callbacks.store import CallbackStore
from ivr.config import CallbacksConfig
from tests.agi.helpers import RECORDINGS, FakeAsterisk
from tests.callbacks.requests import berlin, request


class ScreenPops(AmiClient):
    """An AMI client that only notes the UserEvents and whether the line was back by then."""

    def __init__(self, line_back: asyncio.Event) -> None:
        super().__init__(secret="unused")
        self.line_back = line_back
        self.sent: list[tuple[str, dict[str, object], bool]] = []

    async def user_event(self, name: str, headers: dict[str, object]) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.line_back.wait(), 2)
        self.sent.append((name, headers, self.line_back.is_set()))


NOW = berlin(27, 10)


async def _dialling(
        callbacks: CallbackStore, ami: ScreenPops) -> tuple[CallbackRequest, CallbackLeg]:
    """A request the dispatcher is dialling, and the leg that serves its answered call."""
    made = request(berlin(27, 9, 50))
    await callbacks.add(made)
    assert await callbacks.change(made.request_id, "dialling", NOW, expect=("pending",))
    dispatcher = Dispatcher(callbacks, None, ami, CallbacksConfig(), "test", lambda: NOW)
    return made, CallbackLeg(dispatcher, ami, RECORDINGS, "Harbor Telecom", lambda: NOW)


async def _asked_for(peer: FakeAsterisk, made: CallbackRequest) -> None:
    """The leg's first question: which request this answered call is for."""
    encoded = base64.b64encode(made.request_id.encode()).decode()
    await peer.expect("GET", "FULL", "VARIABLE", reply=f"200 result=1 ({encoded})")


async def test_the_callee_who_presses_1_is_in_the_queue_before_the_screen_pop(
    callbacks: CallbackStore,
) -> None:
    line_back = asyncio.Event()
    ami = ScreenPops(line_back)
    made, leg = await _dialling(callbacks, ami)

    async with AgiServer(leg, port=0) as server:
        peer = await FakeAsterisk.connect(server.port, "_callback", uniqueid="cb-1.1")
        await _asked_for(peer, made)
        await peer.expect("STREAM", "FILE", reply="200 result=49 endpos=800")  # 1: connect now
        variables: dict[str, str] = {}
        while command := await peer.command():
            assert command[:2] == ["SET", "VARIABLE"], command
            variables[command[2]] = command[3]
            await peer.reply("200 result=1")
        line_back.set()  # the dialplan has the line: Queue() runs now
        for _ in range(200):
            if ami.sent:
                break
            await asyncio.sleep(0.01)
        await peer.close()

    [(name, headers, after_the_line)] = ami.sent
    assert name == "IvrHandoff"
    assert after_the_line, "the screen-pop held the callee out of the queue"
    assert headers["Uniqueid"] == "cb-1.1"
    assert (headers["Ivr-Queue"], headers["Ivr-Callback"], headers["Ivr-Var-account"]) == (
        "billing", "1", "1234")
    assert "ARRAY(" in " ".join(variables)  # the hand-off went back in one command
    got = await callbacks.get(made.request_id)
    assert got is not None
    assert got.status == "queued"


async def test_a_greeting_asterisk_cannot_play_is_tried_again_later_and_logged(
    callbacks: CallbackStore, caplog: pytest.LogCaptureFixture,
) -> None:
    ami = ScreenPops(asyncio.Event())
    made, leg = await _dialling(callbacks, ami)

    async with AgiServer(leg, port=0) as server:
        peer = await FakeAsterisk.connect(server.port, "_callback", uniqueid="cb-2.1")
        await _asked_for(peer, made)
        # res_agi's answer to a file it cannot open; the channel is still up.
        await peer.expect("STREAM", "FILE", reply="200 result=-1 endpos=0")
        await peer.expect("CHANNEL", "STATUS", reply="200 result=6")
        command = await peer.command()
        assert command[:3] == ["SET", "VARIABLE", "IVR_OUTCOME"], command
        assert command[3] == "hangup"
        await peer.reply("200 result=1")
        assert await peer.command() == []  # the leg is over
        await peer.close()

    got = await callbacks.get(made.request_id)
    assert got is not None
    assert (got.status, got.reason) == ("pending", "no_answer")
    assert "greeting not played" in caplog.text
    assert ami.sent == []  # nobody was handed to a queue
