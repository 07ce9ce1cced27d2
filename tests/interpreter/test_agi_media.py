"""The one key-entry rule (pure) and the FastAGI WAIT FOR DIGIT loop over a real socket."""

from __future__ import annotations

import asyncio

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from ivr.flows.effects import DigitSpec
from ivr.flows.events import Digits, NoInput
from ivr.flows.keys import add_key, timed_out
from ivr.interpreter.agi_media import collect_digits
from tests.agi.helpers import FakeAsterisk

RULES = DigitSpec(min_digits=4, max_digits=4, finish_key="#", timeout_s=5,
                  inter_digit_timeout_s=2, valid_keys="0123456789")


def test_an_entry_that_times_out_is_what_was_keyed_too_few_included() -> None:
    # Too few keys are the engine's no-match, never the transport's no-input.
    assert timed_out("12") == Digits("12")
    assert timed_out("") == NoInput()


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("12#", Digits("12", terminated_by="#")),
        ("1234", Digits("1234")),
        ("1*2", None),  # * is not a valid key here: ignored, entry goes on
        ("#", Digits("", terminated_by="#")),
    ],
)
def test_add_key(keys: str, expected: Digits | None) -> None:
    collected, done = "", None
    for key in keys:
        collected, done = add_key(collected, key, RULES)
        if done is not None:
            break
    assert done == expected


async def _collect(first: str, replies: list[str]) -> tuple[Digits | NoInput, list[str]]:
    result: asyncio.Future[Digits | NoInput] = asyncio.get_running_loop().create_future()

    async def handler(channel: AgiChannel) -> None:
        result.set_result(await collect_digits(channel, RULES, first))

    async with AgiServer(handler, port=0) as server:
        peer = await FakeAsterisk.connect(server.port)
        timeouts = []
        for reply in replies:
            command = await peer.command()
            assert command[:3] == ["WAIT", "FOR", "DIGIT"]
            timeouts.append(command[3])
            await peer.reply(reply)
        got = await asyncio.wait_for(result, 5)
        await peer.close()
    return got, timeouts


async def test_barge_in_key_then_inter_digit_timeouts() -> None:
    got, timeouts = await _collect("4", ["200 result=50", "200 result=0"])
    assert got == Digits("42")
    assert timeouts == ["2000", "2000"]


async def test_nothing_pressed_is_no_input_after_first_timeout() -> None:
    got, timeouts = await _collect("", ["200 result=0"])
    assert got == NoInput()
    assert timeouts == ["5000"]


async def test_finish_key_ends_entry() -> None:
    got, _ = await _collect("", ["200 result=55", "200 result=35"])
    assert got == Digits("7", terminated_by="#")


async def test_keys_already_pressed_go_through_the_same_rule() -> None:
    got, timeouts = await _collect("1*2#", [])  # * is no key of this entry; # ends it
    assert got == Digits("12", terminated_by="#")
    assert timeouts == []
    got, timeouts = await _collect("12", ["200 result=51", "200 result=52"])
    assert got == Digits("1234")
    assert timeouts == ["2000", "2000"]
