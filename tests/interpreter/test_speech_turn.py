"""The AGI session's speech dependency through the real Asterisk: streaming, fallback, keys."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ivr.agi.channel import AgiChannel
from ivr.config import SpeechConfig
from ivr.flows.events import Digits, SpeechHeard
from ivr.interpreter.speech_turn import SpeechTurns
from ivr.speech.gather import SpeechService
from ivr.speech.listen import Turn
from ivr.speech.record_fallback import RecordPaths
from ivr.speech.wav import read_pcm
from tests.conftest import ROOT
from tests.speech.asterisk_rig import (
    LONG_PROMPT,
    Phone,
    Rig,
    chosen,
    key_call,
    korean_menu,
    place_call,
)
from tests.speech.fixtures import Speak

pytestmark = [pytest.mark.asterisk, pytest.mark.vosk, pytest.mark.slow]

PATHS = RecordPaths(ROOT / "recordings" / "asr-test")
Share = Callable[[Path], Path]


@pytest.fixture
def shared() -> Iterator[Share]:
    """Copy a prompt into the directory Asterisk sees too (record mode plays it itself)."""
    made: list[Path] = []

    def _share(path: Path) -> Path:
        PATHS.local.mkdir(parents=True, exist_ok=True)
        target = PATHS.local / f"prompt-{len(made)}-{path.name}"
        shutil.copyfile(path, target)
        made.append(target)
        return target

    yield _share
    for path in made:
        path.unlink(missing_ok=True)


async def turn_via(rig: Rig, turns_dep: SpeechTurns, prompt: Path, phone: Phone) -> Turn:
    turns: asyncio.Queue[Turn] = asyncio.Queue()

    async def ivr(channel: AgiChannel) -> None:
        await channel.answer()
        turn = await turns_dep(korean_menu(), channel, [prompt])
        await turns.put(turn)
        await channel.set_variable("IVR_OUTCOME", "hangup")

    await place_call(rig, phone, ivr)
    return await asyncio.wait_for(turns.get(), 40)


async def test_streaming_turn(rig: Rig, speak: Speak) -> None:
    dep = SpeechTurns(rig.ivr_service, SpeechConfig(), PATHS)
    prompt = speak("원하시는 서비스를 말씀하세요.", 170, 50)
    phone = Phone(read_pcm(speak("안내", 160, 50, tail_ms=300)), lead_s=len(read_pcm(prompt))
                  / 16000 + 2.0)
    turn = await turn_via(rig, dep, prompt, phone)
    option = chosen(turn)
    assert option is not None
    assert option.name == "info"
    assert dep.streaming
    # What the call record keeps of the turn (see tests/web/test_call_evidence.py).
    assert isinstance(turn.event, SpeechHeard)
    evidence = turn.event.evidence
    assert evidence is not None
    assert evidence["option_phrase"] == "안내"
    assert evidence["decision"] in {"matched", "partial", "second-pass"}
    assert evidence["nbest"]
    assert evidence["speech_start_ms"] is not None
    assert evidence["decision_latency_ms"] is not None


async def test_unreachable_audiosocket_falls_back_to_record_file(
    rig: Rig, speak: Speak, shared: Share
) -> None:
    # Asterisk is told to dial a port nobody listens on: AudioSocket fails at once.
    broken = SpeechService(rig.ivr_service.server, rig.ivr_service.models, "127.0.0.1", 9)
    dep = SpeechTurns(broken, SpeechConfig(record_silence_s=2), PATHS)
    prompt = shared(speak("말씀하세요.", 170, 50))
    prompt_s = len(read_pcm(prompt)) / 16000
    phone = Phone(read_pcm(speak("예약", 160, 50, tail_ms=300)), lead_s=prompt_s + 0.7)
    turn = await turn_via(rig, dep, prompt, phone)
    assert not dep.streaming
    assert isinstance(turn.event, SpeechHeard)
    option = chosen(turn)
    assert option is not None
    assert option.name == "booking"
    assert turn.event.evidence is not None
    assert turn.event.evidence["heard"] == "예약"
    assert not list(PATHS.local.glob("asr-*.wav"))


async def test_record_mode_key_during_the_prompt_collects_digits(
    rig: Rig, speak: Speak, shared: Share
) -> None:
    dep = SpeechTurns(rig.ivr_service, SpeechConfig(audio="record"), PATHS)
    prompt = shared(speak(LONG_PROMPT, 170, 50))

    async def listen(channel: AgiChannel) -> Turn:
        return await dep(korean_menu(), channel, [prompt])

    turn = await key_call(rig, listen, "7")
    assert turn.event == Digits("7", None)
    assert 0 < turn.timing.prompt_sent_ms < 10_000
