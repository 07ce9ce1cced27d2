"""Keys pressed while a step is stored or a lookup runs are typed ahead on FastAGI.

Over a real socket, with :class:`FakeAsterisk` playing Asterisk's end: a write or lookup
that is done at once sends no command; a slow one is waited out in ``WAIT FOR DIGIT``s
whose keys then answer the next prompt and question without them being played, rather
than being dropped by res_agi.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from ivr.flows import effects as fx
from ivr.flows.events import Digits, Event
from ivr.interpreter.agi_transport import (
    HOLD_GRACE_MS,
    HOLD_LATE_MS,
    HOLD_SLICE_MAX_MS,
    AgiTransport,
    LinePace,
)
from ivr.interpreter.transport import CallerGone
from tests.agi.helpers import FakeAsterisk

PROMPT = (fx.Prompt(text="Press 1 or 2."),)
MENU = fx.Gather("menu", PROMPT, fx.DigitSpec(valid_keys="12"))

Scenario = Callable[[AgiTransport], Awaitable[list[object]]]


async def _run(tmp_path: Path, scenario: Scenario,
               asterisk: Callable[[FakeAsterisk], Awaitable[None]]) -> list[object]:
    result: asyncio.Future[list[object]] = asyncio.get_running_loop().create_future()

    async def handler(channel: AgiChannel) -> None:
        try:
            result.set_result(await scenario(AgiTransport(channel, tmp_path)))
        except Exception as exc:  # handed to the test, which expects some
            result.set_exception(exc)

    async with AgiServer(handler, port=0) as server:
        peer = await FakeAsterisk.connect(server.port)
        await asterisk(peer)
        got = await asyncio.wait_for(result, 5)
        await peer.close()
    return got


async def _answer_only(peer: FakeAsterisk) -> None:
    """Asterisk sees one command, the scenario's ``ANSWER``: nothing was sent before it."""
    await peer.expect("ANSWER", reply="200 result=0")


async def _hang_up_at_the_first_wait(peer: FakeAsterisk) -> None:
    """The caller hangs up during the first ``WAIT FOR DIGIT``; Asterisk says it was them."""
    await peer.expect("WAIT", "FOR", "DIGIT", reply="200 result=-1")
    await peer.answer_hangup_question("PJSIP/phone-00000001")


def _late_pace() -> LinePace:
    """A pace that has seen the machine run late, as another call may have."""
    pace = LinePace()
    pace.saw(HOLD_LATE_MS + 1, asyncio.get_running_loop().time())
    return pace


async def test_a_write_that_commits_at_once_sends_no_command(tmp_path: Path) -> None:
    async def scenario(transport: AgiTransport) -> list[object]:
        await transport.hold(asyncio.sleep(0))
        await transport.answer()  # the first command Asterisk sees
        return []

    assert await _run(tmp_path, scenario, _answer_only) == []


async def test_keys_pressed_during_a_slow_write_answer_the_next_prompt_and_question(
    tmp_path: Path,
) -> None:
    release = asyncio.Event()
    waits: list[int] = []

    async def scenario(transport: AgiTransport) -> list[object]:
        await transport.hold(release.wait())
        stopped: Event = await transport.play(fx.Play("intro", PROMPT, interrupt_keys="1"))
        answered = await transport.gather(MENU)
        return [stopped, answered]

    async def asterisk(peer: FakeAsterisk) -> None:
        for reply in ("200 result=49", "200 result=0", "200 result=50", "200 result=0"):
            command = await peer.command()
            assert command[:3] == ["WAIT", "FOR", "DIGIT"], command
            waits.append(int(command[3]))
            if len(waits) == 4:
                release.set()
            await peer.reply(reply)

    got = await _run(tmp_path, scenario, asterisk)
    # No STREAM FILE: the typed-ahead 1 stopped the intro, the 2 answered the menu.
    assert got == [Digits("1"), Digits("2")]
    assert waits[0] >= HOLD_GRACE_MS
    assert all(HOLD_GRACE_MS <= w <= HOLD_SLICE_MAX_MS for w in waits)
    assert waits == sorted(waits)


async def test_typed_ahead_keys_a_prompt_does_not_take_are_lost(tmp_path: Path) -> None:
    release = asyncio.Event()

    async def scenario(transport: AgiTransport) -> list[object]:
        await transport.hold(release.wait())
        return [await transport.gather(MENU)]

    async def asterisk(peer: FakeAsterisk) -> None:
        assert (await peer.command())[:3] == ["WAIT", "FOR", "DIGIT"]
        release.set()
        await peer.reply("200 result=57")  # 9: no option of the menu
        # The 9 was lost on meeting the menu, so its prompt plays and the caller answers.
        while (command := await peer.command())[:2] == ["WAIT", "FOR"]:
            await peer.reply("200 result=0")
        assert command[:2] == ["STREAM", "FILE"], command
        await peer.reply("200 result=50 endpos=800")

    assert await _run(tmp_path, scenario, asterisk) == [Digits("2")]


async def test_a_hang_up_while_waiting_still_lets_the_write_finish(tmp_path: Path) -> None:
    written: list[str] = []

    async def write() -> None:
        await asyncio.sleep(0.2)
        written.append("step")

    async def scenario(transport: AgiTransport) -> list[object]:
        with pytest.raises(CallerGone):
            await transport.hold(write())
        return list(written)

    assert await _run(tmp_path, scenario, _hang_up_at_the_first_wait) == ["step"]


async def test_holding_stops_when_asterisk_answers_late(tmp_path: Path) -> None:
    # A WAIT FOR DIGIT that comes back long after its timeout means the machine is out of
    # CPU: more commands would only make every call later, so the write is waited for alone.
    release = asyncio.Event()
    commands: list[list[str]] = []

    async def scenario(transport: AgiTransport) -> list[object]:
        await transport.hold(release.wait())
        await transport.answer()
        return []

    async def asterisk(peer: FakeAsterisk) -> None:
        first = await peer.command()
        assert first[:3] == ["WAIT", "FOR", "DIGIT"], first
        await asyncio.sleep((int(first[3]) + HOLD_LATE_MS + 100) / 1000)
        await peer.reply("200 result=0")
        await asyncio.sleep(0.3)  # time for more commands, were any sent
        release.set()
        while (command := await peer.command())[:1] != ["ANSWER"]:
            commands.append(command)
            await peer.reply("200 result=0")
        await peer.reply("200 result=0")

    assert await _run(tmp_path, scenario, asterisk) == []
    assert commands == []


async def test_no_call_holds_while_the_service_saw_the_machine_late(tmp_path: Path) -> None:
    pace = _late_pace()  # another call saw the machine late

    async def scenario(transport: AgiTransport) -> list[object]:
        transport.pace = pace
        await transport.hold(asyncio.sleep(0.2))  # slow, yet nothing is sent meanwhile
        await transport.answer()
        return []

    assert await _run(tmp_path, scenario, _answer_only) == []


LOOKUP = fx.Lookup("fetch", "GET", "http://127.0.0.1:1/balance")


async def test_keys_pressed_during_a_slow_lookup_answer_the_next_question(
    tmp_path: Path,
) -> None:
    release = asyncio.Event()

    async def lookup() -> str:
        await release.wait()
        return "balance"

    async def scenario(transport: AgiTransport) -> list[object]:
        return [await transport.wait(LOOKUP, lookup), await transport.gather(MENU)]

    async def asterisk(peer: FakeAsterisk) -> None:
        await peer.expect("WAIT", "FOR", "DIGIT", reply="200 result=50")  # the caller's 2
        command = await peer.command()
        assert command[:3] == ["WAIT", "FOR", "DIGIT"], command
        release.set()
        await peer.reply("200 result=0")

    # No STREAM FILE: the 2 pressed during the lookup answered the menu.
    assert await _run(tmp_path, scenario, asterisk) == ["balance", Digits("2")]


async def test_a_quick_lookup_sends_no_command(tmp_path: Path) -> None:
    async def lookup() -> str:
        return "balance"

    async def scenario(transport: AgiTransport) -> list[object]:
        got = await transport.wait(LOOKUP, lookup)
        await transport.answer()
        return [got]

    assert await _run(tmp_path, scenario, _answer_only) == ["balance"]


def _never_answers(ended: list[str]) -> Callable[[], Awaitable[str]]:
    """A lookup that runs until it is cancelled, noting that in *ended*."""
    async def lookup() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise
        return "balance"
    return lookup


async def test_a_hang_up_during_a_lookup_ends_it_at_once(tmp_path: Path) -> None:
    ended: list[str] = []

    async def scenario(transport: AgiTransport) -> list[object]:
        with pytest.raises(CallerGone):
            await transport.wait(LOOKUP, _never_answers(ended))
        return list(ended)

    assert await _run(tmp_path, scenario, _hang_up_at_the_first_wait) == ["cancelled"]


async def test_a_lookup_on_a_late_machine_only_watches_for_the_hang_up(tmp_path: Path) -> None:
    pace = _late_pace()

    async def lookup() -> str:
        await asyncio.sleep(0.2)  # slow, yet nothing is sent meanwhile
        return "balance"

    async def scenario(transport: AgiTransport) -> list[object]:
        transport.pace = pace
        got = await transport.wait(LOOKUP, lookup)
        await transport.answer()
        return [got]

    assert await _run(tmp_path, scenario, _answer_only) == ["balance"]


async def test_a_hang_up_during_a_lookup_on_a_late_machine_ends_it(tmp_path: Path) -> None:
    ended: list[str] = []

    async def scenario(transport: AgiTransport) -> list[object]:
        transport.pace = _late_pace()
        with pytest.raises(CallerGone):
            await transport.wait(LOOKUP, _never_answers(ended))
        return list(ended)

    async def asterisk(peer: FakeAsterisk) -> None:
        await asyncio.sleep(0.1)  # no command comes: Asterisk reports the hang-up itself
        await peer.reply("HANGUP")
        await peer.answer_hangup_question("PJSIP/phone-00000001")

    assert await _run(tmp_path, scenario, asterisk) == ["cancelled"]
