"""A hang-up a speech turn hears first is still recorded by who hung up.

AudioSocket may report the end of the call (its hang-up frame) before FastAGI's ``HANGUP``
line; the turn then answers with the engine's ``Hangup`` event. Whose hang-up it was must
still be asked of Asterisk, as for a hang-up during a prompt: a shutdown or an
administrator's hang-up is ``interrupted``, the caller's own ``abandoned``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ivr.agi.channel import AgiChannel
from ivr.agi.server import AgiServer
from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import Event, Hangup
from ivr.flows.flowset import FlowSet
from ivr.flows.model import FlowFile
from ivr.interpreter.agi_transport import AgiTransport
from ivr.interpreter.session import CallSession, SessionDeps
from tests.agi.helpers import RECORDINGS, FakeAsterisk
from tests.agi.memstore import MemoryStore
from tests.interpreter.test_session import CALLER_SIDE, Harness, _ended

SPOKEN_MENU = """
version: 1
settings: {default_language: en, languages: [en], timeout: 3, max_attempts: 2}
queues:
  sales: {description: Sales}
  operator: {description: Front desk}
flows:
  main:
    start: menu
    nodes:
      menu:
        type: menu
        prompt: "Say sales or press 1."
        options:
          - {key: 1, say: [sales], next: sales_queue}
      sales_queue: {type: queue, queue: sales}
"""


@dataclass(frozen=True)
class _Heard:
    event: Event


class HangupHeardFirst:
    """A speech turn whose AudioSocket saw the hang-up before FastAGI did."""

    async def __call__(self, effect: fx.Gather, channel: AgiChannel,
                       files: Sequence[Path]) -> _Heard:
        return _Heard(Hangup())

    def hears(self, language: str) -> bool:
        return True


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    document = FlowFile.model_validate(yaml.safe_load(SPOKEN_MENU))
    flows = FlowSet(document=document, version="test-v1", sources=())
    store = MemoryStore()

    async def handler(channel: AgiChannel) -> None:
        call = Call(flows, "main", call_id=channel.request.uniqueid)
        transport = AgiTransport(channel, RECORDINGS, speech=HangupHeardFirst())
        await CallSession(transport, call, SessionDeps(store=store)).run()

    async with AgiServer(handler, port=0) as server:
        yield Harness(server, store)


@pytest.mark.parametrize(("source", "outcome"), [(CALLER_SIDE, "abandoned"),
                                                 ("", "interrupted")])
async def test_a_hangup_heard_by_the_speech_turn_asks_whose_it_was(
    harness: Harness, source: str, outcome: str
) -> None:
    peer = await FakeAsterisk.connect(harness.server.port, uniqueid="300.1")
    await peer.expect("ANSWER")
    await peer.answer_hangup_question(source)
    assert await peer.closed_by_server()
    await _ended(harness, "300.1")
    record = harness.store.calls["300.1"]
    assert (record.outcome, record.outcome_node) == (outcome, "menu")
    await peer.close()
