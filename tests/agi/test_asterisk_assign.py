"""The packed hand-off (``ARRAY()``, ivr.agi.assign) read back from the real Asterisk 22."""

from __future__ import annotations

import asyncio

import pytest

from ivr.agi.assign import plan_assignments
from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from tests.agi.live import originate
from tests.asterisk.fixtures import AmiObserver, Sandbox

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

#: Packed and lone values side by side: commas, every character a packed value may hold,
#: and the characters that make a value go alone (quotes, brackets, blanks, Korean).
VALUES = {
    "IVR_OUTCOME": "queue",
    "IVR_PATH": "welcome,help_menu,support",
    "IVR_CALL_ID": "1701234567.42-x",
    "IVR_VAR_mix": "a_b.c:d@e/f+g=h*i#j-k",
    "IVR_VAR_commas": ",lead,,trail,",
    "IVR_VAR_paren": "f(a,b)",
    "IVR_VAR_brackets": "[x,y]",
    "IVR_VAR_quote": 'say "a,b"',
    "IVR_VAR_back": "a\\,b",
    "IVR_VAR_name": "김철수, 고객",
    "IVR_VAR_blank": " padded ",
}


async def test_every_value_reads_back_exactly(asterisk: Sandbox, ami_observer: AmiObserver) -> None:
    packed = plan_assignments(VALUES).packed
    assert packed is not None
    assert packed[0].count(",") == 4  # five values travel packed
    seen: asyncio.Queue[dict[str, str | None]] = asyncio.Queue()

    async def handler(channel: AgiChannel) -> None:
        await channel.set_variables(VALUES)
        await seen.put({name: await channel.get_variable(name) for name in VALUES})
        await channel.set_variables({"IVR_OUTCOME": "hangup"})

    async with AgiServer(handler, port=0) as server:
        await originate(ami_observer, f"agi://127.0.0.1:{server.port}", "", 1, 2)
        got = await asyncio.wait_for(seen.get(), 20)
    assert got == VALUES
