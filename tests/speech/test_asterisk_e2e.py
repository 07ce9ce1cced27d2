"""Speech through the real Asterisk 22: AudioSocket streaming, barge-in, keys and RECORD FILE."""

from __future__ import annotations

import asyncio

import pytest

from ivr.agi.channel import AgiChannel
from ivr.flows.events import Digits
from ivr.speech import channels
from ivr.speech.gather import gather
from ivr.speech.listen import Turn
from ivr.speech.record_fallback import RecordPaths, record_and_recognise
from ivr.speech.wav import read_pcm
from tests.conftest import ROOT
from tests.speech.asterisk_rig import (
    FRAME_S,
    LONG_PROMPT,
    Phone,
    Rig,
    chosen,
    key_call,
    korean_menu,
    place_call,
    run_menu_call,
)
from tests.speech.fixtures import Speak

pytestmark = [pytest.mark.asterisk, pytest.mark.vosk, pytest.mark.slow]


async def test_spoken_phrase_reaches_its_option_through_asterisk(
    rig: Rig, speak: Speak
) -> None:
    prompt = speak("원하시는 서비스를 말씀하세요.", 170, 50)
    prompt_s = len(read_pcm(prompt)) / 16000
    # The phone speaks once the whole prompt has arrived (at most prompt + 10 s in).
    phone = Phone(read_pcm(speak("예약", 160, 50, tail_ms=300)), lead_s=prompt_s + 10.0,
                  after_prompt_s=0.5)
    turn = await run_menu_call(rig, prompt, phone)
    print(f"\nAsterisk AudioSocket turn: {turn.event} recognition {turn.recognition}")
    option = chosen(turn)
    assert option is not None
    assert (option.name, option.next) == ("booking", "done")
    assert turn.timing.prompt_sent_ms == turn.timing.prompt_ms


async def test_barge_in_stops_the_prompt_within_300_ms(
    rig: Rig, speak: Speak
) -> None:
    prompt = speak(LONG_PROMPT, 170, 50)
    phone = Phone(read_pcm(speak("보험", 160, 50, tail_ms=300)), lead_s=2.5)
    turn = await run_menu_call(rig, prompt, phone)
    option = chosen(turn)
    assert option is not None
    assert (option.name, option.next) == ("insurance", "insurance")
    assert turn.timing.prompt_sent_ms < turn.timing.prompt_ms
    stopped = phone.prompt_stopped_at()
    assert stopped is not None
    assert phone.speech_onset is not None
    assert turn.timing.barge_in_at is not None
    # Conservative: the phone's first voiced frame holds 20 ms of audio spoken before it was
    # sent, and the last prompt frame heard still plays for 20 ms after it arrives.
    latency_ms = (stopped + FRAME_S - (phone.speech_onset - FRAME_S)) * 1000
    decided_ms = (turn.timing.barge_in_at - phone.speech_onset) * 1000
    print(f"\nbarge-in through Asterisk: prompt silent for the caller {latency_ms:.0f} ms after "
          f"speech start (service decided at +{decided_ms:.0f} ms; prompt "
          f"{turn.timing.prompt_ms} ms, {turn.timing.prompt_sent_ms} ms sent)")
    assert latency_ms < 300


async def test_record_fallback_recognises_the_file(
    rig: Rig, speak: Speak
) -> None:
    turns: asyncio.Queue[Turn] = asyncio.Queue()
    paths = RecordPaths(ROOT / "recordings" / "asr-test")

    async def ivr(channel: AgiChannel) -> None:
        await channel.answer()
        turn = await record_and_recognise(
            channel, korean_menu(), rig.ivr_service.models, paths
        )
        await turns.put(turn)
        await channel.set_variable("IVR_OUTCOME", "hangup")

    phone = Phone(read_pcm(speak("확인", 160, 50, tail_ms=300)), lead_s=0.8)
    await place_call(rig, phone, ivr)
    turn = await asyncio.wait_for(turns.get(), 40)
    print(f"\nRECORD FILE turn: {turn.event}")
    option = chosen(turn)
    assert option is not None
    assert option.name == "confirm"
    assert not list(paths.local.glob("asr-*.wav"))


async def test_a_key_pressed_on_the_phone_arrives_as_a_dtmf_frame(
    rig: Rig, speak: Speak
) -> None:
    prompt = speak(LONG_PROMPT, 170, 50)

    async def listen(channel: AgiChannel) -> Turn:
        return await gather(korean_menu(), channel.exec_app, [prompt], rig.ivr_service)

    turn = await key_call(rig, listen, "3")
    assert turn.event == Digits("3", None)
    option = chosen(turn)
    assert option is not None
    assert option.name == "booking"
    # The key interrupted the 14 s prompt.
    assert turn.timing.prompt_sent_ms < turn.timing.prompt_ms


async def test_noisy_mulaw_line_reaches_the_option_through_asterisk(
    rig: Rig, speak: Speak
) -> None:
    """Pink line noise at 15 dB SNR and a G.711 µ-law round trip, through AudioSocket.

    The noise runs from the first frame, all through the prompt, so the test also
    shows that a noisy line neither cuts the prompt nor picks an option by itself.
    """
    prompt = speak("원하시는 서비스를 말씀하세요.", 170, 50)
    prompt_s = len(read_pcm(prompt)) / 16000
    lead_ms = round((prompt_s + 2.0) * 1000)
    line = channels.channel(read_pcm(speak("사람", 160, 50)), "noise15-ulaw", seed=1,
                            lead_ms=lead_ms, tail_ms=1500)
    turn = await run_menu_call(rig, prompt, Phone(line, lead_s=0.0))
    print(f"\nnoisy µ-law turn: {turn.event} recognition {turn.recognition}")
    assert turn.timing.prompt_sent_ms == turn.timing.prompt_ms
    assert turn.timing.barge_in_at is None
    option = chosen(turn)
    assert option is not None
    assert (option.name, option.next) == ("agent", "agent")
