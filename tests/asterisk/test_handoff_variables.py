"""A call's hand-off variables reach the real Asterisk exactly, batched as ``EXEC MSet``."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.mset import plan_handoff
from ivr.agi.server import AgiServer
from ivr.interpreter.agi_transport import AgiTransport
from tests.asterisk.fixtures import AmiObserver, Sandbox

pytestmark = [pytest.mark.asterisk]

#: What a queue hand-off carries, and values each rule of MSet's parser would bend: commas
#: (inside quotes), '=' after the first, spaces, Korean, and values MSet cannot carry exactly
#: (quotes, backslashes, parentheses, brackets, '$', a line break), which keep SET VARIABLE.
VALUES = {
    "IVR_OUTCOME": "queue", "IVR_QUEUE": "bench", "IVR_PRIORITY": "0",
    "IVR_PATH": "welcome,help_menu,support", "IVR_VAR_note": "a=b=c",
    "IVR_VAR_said": "잔액 조회 하고 싶어요", "IVR_VAR_spaced": "  two  spaces ",
    "IVR_VAR_quoted": 'he said "yes", then left', "IVR_VAR_slash": "C:\\temp\\",
    "IVR_VAR_paren": "f(x, y", "IVR_VAR_bracket": "[a,b", "IVR_VAR_dollar": "${EXTEN},$[1+1]",
    "IVR_VAR_lines": "one\ntwo",
}


async def test_batched_and_single_variables_read_back_exactly(
    asterisk: Sandbox, ami_observer: AmiObserver, tmp_path: Path
) -> None:
    read: asyncio.Queue[tuple[dict[str, str | None], int]] = asyncio.Queue()

    async def handler(channel: AgiChannel) -> None:
        await channel.answer()
        before = channel.commands_sent
        await AgiTransport(channel, tmp_path).set_variables(VALUES)
        sent = channel.commands_sent - before
        await read.put(({name: await channel.get_variable(name) for name in VALUES}, sent))
        await channel.set_variable("IVR_OUTCOME", "hangup")

    async with AgiServer(handler, port=0) as server:
        channel_id = f"ivrtest-{uuid.uuid4().hex[:12]}"
        response = await asyncio.to_thread(
            ami_observer.action, "Originate", Channel="Local/s@ivr-test-entry",
            Context="ivr-test-caller", Exten="s", Priority="1", ChannelId=channel_id,
            OtherChannelId=f"{channel_id}-2", Async="true",
            Variable=f"IVR_AGI_URL=agi://127.0.0.1:{server.port},IVR_FLOW=probe,TEST_HOLD=1")
        assert response["Response"] == "Success", response
        got, sent = await asyncio.wait_for(read.get(), 20)
    assert got == VALUES
    plan = plan_handoff(VALUES)
    assert len(plan.batches) == 1
    assert len(plan.singles) == 6  # quoted, slash, paren, bracket, dollar, lines
    assert sent == 1 + len(plan.singles)  # one MSet instead of seven SET VARIABLEs
