"""The simulator and the FastAGI service are one interpreter: the same caller, the same record.

Written first, to catch the two ways the transports used to disagree: a lookup answered
with a redirect, and a key entry with too few digits.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from ivr.flows.engine import Call
from ivr.flows.loader import parse_flowset
from ivr.speech.audiosocket.server import AudioSocketServer
from ivr.speech.gather import SpeechService, gather
from ivr.speech.models import shared_registry
from tests.interpreter.backend import lookup_backend, lookup_flow
from tests.interpreter.transports import AT, Journey, over_fastagi, over_simulator
from tests.speech.audiosocket_client import CallerSide, run_audiosocket

PIN = """\
version: 1
settings: {operator_queue: null, max_attempts: 2}
flows:
  main:
    start: ask
    nodes:
      ask:
        type: collect
        prompt: "Enter your four digit PIN."
        variable: pin
        min_digits: 4
        max_digits: 4
        inter_digit_timeout: 0.3
        next: done
        on_failure: done
      done: {type: hangup}
"""


@pytest.fixture
async def redirecting() -> AsyncIterator[str]:
    """A lookup backend whose answer is a redirect to a page that would say yes."""
    async with lookup_backend() as url:
        yield f"{url}/moved"


async def test_a_redirected_lookup_fails_alike_in_the_simulator_and_on_the_phone(
    redirecting: str,
) -> None:
    flowset = parse_flowset(lookup_flow(redirecting, timeout_s=2))
    simulated = await over_simulator(flowset, "main", [])
    live = await over_fastagi(flowset, "main", [])
    assert simulated == live
    assert simulated.path == ("fetch", "failed", "gone")
    assert simulated.lookups == (("fetch", False, "redirect refused (HTTP 302)"),)


async def test_too_few_digits_is_the_same_retry_over_fastagi_and_the_simulator() -> None:
    flowset = parse_flowset(PIN)
    simulated = await over_simulator(flowset, "main", ["12", "timeout"])
    live = await over_fastagi(flowset, "main", ["12", "timeout"])
    assert simulated == live
    assert "no_match" in live.kinds
    assert "no_input" not in live.kinds


async def test_too_few_digits_is_the_same_retry_over_audiosocket() -> None:
    """Two keys, then silence, on the AudioSocket stream: the retry AGI gives (no-match)."""
    flowset = parse_flowset(PIN)
    call = Call(flowset, "main", call_id="as.1")
    effect = call.start(AT)[-1]
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    caller = CallerSide(keys=((0.1, "1"), (0.2, "2")))

    async def run_app(app: str, args: str) -> int:
        uuid_text, address = args.split(",")
        host, port = address.rsplit(":", 1)
        return await run_audiosocket(host, int(port), uuid.UUID(uuid_text), caller)

    try:
        turn = await gather(effect, run_app, [], SpeechService(server, shared_registry()))  # type: ignore[arg-type]
    finally:
        await server.close()
    call.receive(turn.event, AT)
    streamed = Journey.of(call.record)
    live = await over_fastagi(flowset, "main", ["12", "timeout"])
    retries = [k for k in live.kinds if k in ("no_match", "no_input")]
    assert [k for k in streamed.kinds if k in ("no_match", "no_input")] == retries[:1]
