"""The whole stack: a real Asterisk call into ``ivr serve``'s service running the Korean flow.

The caller half speaks "보험" over the long menu prompt; the engine (real
``Call``), the AGI session and the speech turn (``SpeechTurns``) must end the
call in the insurance queue, with the speech turn in the call's journey.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ivr.config import Config
from ivr.flows.effects import Prompt
from ivr.flows.engine import Call
from ivr.flows.loader import load_flowset
from ivr.interpreter.speech_turn import SpeechTurns
from ivr.prompts.audio import ensure_audio
from ivr.serve.service import IvrService, MakeCall
from ivr.speech.gather import SpeechService
from ivr.speech.wav import read_pcm
from tests.conftest import ROOT
from tests.speech.asterisk_rig import FRAME_S, Phone, Rig, place_call
from tests.speech.fixtures import HERE, Speak, korean_menu_node

pytestmark = [pytest.mark.asterisk, pytest.mark.vosk, pytest.mark.slow]


class Service:
    def __init__(self, service: IvrService, calls: list[Call]) -> None:
        self.service = service
        self.calls = calls

    @property
    def url(self) -> str:
        return f"agi://127.0.0.1:{self.service.server.port}"


async def build_menu_prompt(recordings: Path) -> None:
    """Synthesise the menu prompt before the call, as ``ivr prompts build`` would."""
    prompt = Prompt(text=str(korean_menu_node().prompt), language="ko", voice="ko")
    await ensure_audio(prompt, recordings)


@pytest.fixture
async def ivr_service(rig: Rig) -> AsyncIterator[Service]:
    await build_menu_prompt(ROOT / "recordings")
    config = Config.model_validate({
        "flows": {"path": str(HERE / "flows_ko.yaml"), "reload": False},
        "agi": {"port": 0},
        "speech": {"audiosocket_port": 0},
        "recordings_dir": str(ROOT / "recordings"),
    })
    calls: list[Call] = []

    def make(*args: Any, **kwargs: Any) -> Call:
        calls.append(Call(*args, **kwargs))
        return calls[-1]

    speech = SpeechTurns(SpeechService.from_config(config.speech), config.speech)
    service = IvrService(config, load_flowset, MakeCall(make), speech=speech)
    await service.start()
    # The Korean model loads in the background once the flows are loaded; the caller's
    # timing below assumes it is ready, as it is for every caller after the first seconds.
    await speech.loaded()
    yield Service(service, calls)
    await service.close()


async def test_caller_says_insurance_over_the_prompt_and_reaches_the_queue(
    rig: Rig, ivr_service: Service, speak: Speak
) -> None:
    phone = Phone(read_pcm(speak("보험", 160, 50, tail_ms=300)), lead_s=3.0)
    await place_call(rig, phone, None, ivr_service.url)
    await asyncio.wait_for(phone.done.wait(), 60)
    for _ in range(100):
        if ivr_service.calls and ivr_service.calls[-1].finished:
            break
        await asyncio.sleep(0.1)
    record = ivr_service.calls[-1].record
    assert (record.outcome, record.queue) == ("queue", "insurance")
    assert record.path == ["main", "insurance"]
    speech = [e for e in record.timeline if e.kind == "speech"]
    assert len(speech) == 1
    assert speech[0].data["text"] == "보험"
    assert speech[0].data["option"] == "insurance"
    assert isinstance(speech[0].data["recognition_ms"], int)
    chosen = [e for e in record.timeline if e.kind == "option_chosen"]
    assert chosen[0].data["via"] == "speech"
    # The prompt was cut short: the caller stopped hearing it soon after speaking.
    stopped = phone.prompt_stopped_at()
    assert stopped is not None
    assert phone.speech_onset is not None
    # Conservative as in test_asterisk_e2e: one frame each side for audio inside frames.
    latency_ms = (stopped + FRAME_S - (phone.speech_onset - FRAME_S)) * 1000
    print(f"\nfull stack: {record.outcome} {record.queue}; prompt silent for the caller "
          f"{latency_ms:.0f} ms after speech start")
    assert latency_ms < 300
