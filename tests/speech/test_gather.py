"""Listening turns end to end over loopback AudioSocket, with the real Korean model."""

from __future__ import annotations

import asyncio
import math
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from ivr.flows.effects import DigitSpec, Gather, Prompt, SpeechSpec
from ivr.flows.events import Digits, Hangup, NoInput, SpeechHeard
from ivr.speech import channels
from ivr.speech.audiosocket.server import AudioSocketServer
from ivr.speech.gather import SpeechService, gather, make_recognizer
from ivr.speech.listen import Turn
from ivr.speech.models import LoadedModel, shared_registry
from ivr.speech.wav import read_pcm
from tests.conftest import need
from tests.speech.audiosocket_client import CallerSide, run_audiosocket
from tests.speech.fixtures import MenuPhrases, Speak

pytestmark = pytest.mark.vosk


def tone_wav(path: Path, seconds: float) -> Path:
    import wave

    n = int(8000 * seconds)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack(f"<{n}h", *(int(3000 * math.sin(i / 5)) for i in range(n))))
    return path


@pytest.fixture(scope="session")
async def service(ko_model: LoadedModel) -> AsyncIterator[SpeechService]:
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    yield SpeechService(server, shared_registry())
    await server.close()


@pytest.fixture(scope="session")
def long_prompt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone_wav(tmp_path_factory.mktemp("prompt") / "long.wav", 4.0)


def menu(phrases: MenuPhrases, *, digits: bool = True, timeout_s: float = 3.0) -> Gather:
    return Gather(
        node="main",
        prompts=(Prompt(text="long prompt", language="ko"),),
        digits=DigitSpec(timeout_s=timeout_s) if digits else None,
        speech=SpeechSpec(language="ko", phrases=tuple(phrases.options.values()),
                          end_silence_ms=500),
    )


async def call(
    service: SpeechService, effect: Gather, prompt: Path | None, caller: CallerSide
) -> Turn:
    async def run_app(app: str, args: str) -> int:
        assert app == "AudioSocket"
        uuid_text, address = args.split(",")
        host, port = address.rsplit(":", 1)
        return await run_audiosocket(host, int(port), uuid.UUID(uuid_text), caller)

    return await gather(effect, run_app, [prompt] if prompt else [], service)


async def test_speech_barges_in_and_picks_the_phrase(
    service: SpeechService, menu_phrases: MenuPhrases, speak: Speak, long_prompt: Path
) -> None:
    lead_ms = 800
    caller = CallerSide(read_pcm(speak("보험", 160, 50, lead_ms=lead_ms, tail_ms=1500)))
    turn = await call(service, menu(menu_phrases), long_prompt, caller)
    assert isinstance(turn.event, SpeechHeard)
    assert turn.event.text == "보험"
    assert turn.event.confidence > 0.5
    assert turn.event.recognition_ms is not None
    assert caller.got_hangup
    # The prompt (4 s) was cut short soon after the caller started at lead_ms.
    assert turn.timing.speech_start_ms is not None
    assert abs(turn.timing.speech_start_ms - lead_ms) <= 100
    stopped = caller.last_prompt_frame_s()
    assert stopped is not None
    after_speech_ms = stopped * 1000 - turn.timing.speech_start_ms
    print(f"\nprompt stopped {after_speech_ms:.0f} ms after speech start (loopback); "
          f"server-side barge-in {turn.timing.barge_in_ms} ms")
    assert turn.timing.prompt_sent_ms < turn.timing.prompt_ms
    assert caller.heard_prompt_ms() < lead_ms + 300
    # The turn ended end_silence_ms after the voice stopped, not after a fixed wait: the
    # caller still had most of its 1.5 s of trailing silence left to send.
    assert turn.timing.speech_end_ms is not None
    assert caller.sent_frames * 20 < turn.timing.speech_end_ms + 500 + 400


async def test_a_key_wins_over_speech_and_stops_the_prompt(
    service: SpeechService, menu_phrases: MenuPhrases, long_prompt: Path
) -> None:
    caller = CallerSide(keys=((0.5, "2"),))
    turn = await call(service, menu(menu_phrases), long_prompt, caller)
    assert turn.event == Digits("2", None)
    assert caller.heard_prompt_ms() < 1000


async def test_silence_is_no_input_after_the_prompt(
    service: SpeechService, menu_phrases: MenuPhrases, tmp_path: Path
) -> None:
    caller = CallerSide()
    prompt = tone_wav(tmp_path / "short.wav", 0.5)
    turn = await call(service, menu(menu_phrases, timeout_s=0.6), prompt, caller)
    assert turn.event == NoInput()
    assert turn.timing.prompt_sent_ms == 500
    assert caller.heard_prompt_ms() == 500
    # Paced at real time (Asterisk does not re-time audio): 25 frames spread over ~480 ms,
    # not sent in one burst.
    spread = caller.received[-1][0] - caller.received[0][0]
    assert spread >= 0.8 * 0.48
    assert caller.sent_frames * 20 >= 1100


async def test_hangup_during_the_prompt(
    service: SpeechService, menu_phrases: MenuPhrases, long_prompt: Path
) -> None:
    caller = CallerSide(hang_up_after_s=0.3)
    turn = await call(service, menu(menu_phrases), long_prompt, caller)
    assert turn.event == Hangup()


async def test_off_menu_sentence_is_heard_with_zero_confidence(
    service: SpeechService, menu_phrases: MenuPhrases, speak: Speak
) -> None:
    caller = CallerSide(read_pcm(speak(menu_phrases.unknown[0], 160, 50, 300, 1500)))
    turn = await call(service, menu(menu_phrases, digits=False), None, caller)
    assert isinstance(turn.event, SpeechHeard)
    assert (turn.event.text, turn.event.confidence) == ("", 0.0)
    assert turn.recognition is not None
    assert not turn.recognition.in_grammar
    assert turn.recognition.heard
    assert turn.record_data()["heard"] == turn.recognition.heard


async def test_concurrent_calls_each_get_their_own_answer(
    service: SpeechService, menu_phrases: MenuPhrases, speak: Speak
) -> None:
    words = ["보험", "안내", "예약", "확인"]
    callers = [CallerSide(read_pcm(speak(w, 160, 50, 300, 1200))) for w in words]
    turns = await asyncio.gather(
        *(call(service, menu(menu_phrases, digits=False), None, c) for c in callers)
    )
    assert [t.event.text for t in turns if isinstance(t.event, SpeechHeard)] == words


async def test_unknown_uuid_is_hung_up(service: SpeechService) -> None:
    caller = CallerSide(max_s=3.0)
    before = service.server.rejected
    await run_audiosocket("127.0.0.1", service.server.port, uuid.uuid4(), caller)
    assert caller.got_hangup
    assert service.server.rejected == before + 1


async def test_freeform_turn_returns_a_transcript_with_record_details(
    service: SpeechService, speak: Speak
) -> None:
    effect = Gather(
        node="why",
        prompts=(),
        speech=SpeechSpec(language="ko", phrases=None, end_silence_ms=500),
    )
    caller = CallerSide(read_pcm(speak("안녕하세요 요금 문의 드립니다", 150, 50, 300, 1200)))
    turn = await call(service, effect, None, caller)
    assert isinstance(turn.event, SpeechHeard)
    assert turn.event.text.strip()
    data = turn.record_data()
    assert data["mode"] == "free-form"
    assert data["heard"] == turn.event.text
    assert isinstance(data["audio_ms"], int)
    assert data["audio_ms"] > 1000
    assert data["barged_in"] is False


async def test_language_variants_use_the_base_model(
    service: SpeechService, menu_phrases: MenuPhrases, speak: Speak
) -> None:
    effect = Gather(
        node="m",
        prompts=(),
        speech=SpeechSpec(language="ko-KR", phrases=tuple(menu_phrases.options.values())),
    )
    caller = CallerSide(read_pcm(speak("안내", 160, 50, 300, 1200)))
    turn = await call(service, effect, None, caller)
    assert isinstance(turn.event, SpeechHeard)
    assert turn.event.text == "안내"


def keys_only(**spec: object) -> Gather:
    return Gather(node="acct", prompts=(), digits=DigitSpec(**spec))  # type: ignore[arg-type]


async def test_digits_until_max_or_finish_key_or_inter_digit_timeout(
    service: SpeechService,
) -> None:
    turn = await call(service, keys_only(max_digits=3), None,
                      CallerSide(keys=((0.2, "1"), (0.3, "2"), (0.4, "3"), (0.5, "4"))))
    assert turn.event == Digits("123", None)
    turn = await call(service, keys_only(max_digits=8, finish_key="#"), None,
                      CallerSide(keys=((0.2, "4"), (0.3, "2"), (0.4, "#"))))
    assert turn.event == Digits("42", "#")
    turn = await call(service, keys_only(max_digits=8, inter_digit_timeout_s=0.3), None,
                      CallerSide(keys=((0.2, "7"),)))
    assert turn.event == Digits("7", None)
    # Too few keys are what was keyed (the engine's no-match), as over AGI.
    turn = await call(service, keys_only(min_digits=4, max_digits=8, inter_digit_timeout_s=0.3),
                      None, CallerSide(keys=((0.2, "7"),)))
    assert turn.event == Digits("7", None)


async def test_keys_outside_the_valid_set_are_ignored(service: SpeechService) -> None:
    turn = await call(service, keys_only(valid_keys="12", timeout_s=0.8), None,
                      CallerSide(keys=((0.2, "9"),)))
    assert turn.event == NoInput()


async def test_without_barge_in_speech_over_the_prompt_is_ignored(
    service: SpeechService, menu_phrases: MenuPhrases, speak: Speak, tmp_path: Path
) -> None:
    prompt = tone_wav(tmp_path / "p.wav", 2.0)
    effect = Gather(
        node="m",
        prompts=(),
        speech=SpeechSpec(language="ko", phrases=tuple(menu_phrases.options.values())),
        digits=DigitSpec(timeout_s=1.0),
        barge_in=False,
    )
    # "보험" is over by 1.2 s, while the 2 s prompt still plays; then silence.
    caller = CallerSide(read_pcm(speak("보험", 160, 50, 300, 3000)))
    turn = await call(service, effect, prompt, caller)
    assert turn.timing.prompt_sent_ms == 2000
    assert turn.event == NoInput()


async def test_menu_words_the_model_cannot_hear_are_logged_once(
    service: SpeechService, caplog: pytest.LogCaptureFixture
) -> None:
    spec = SpeechSpec(language="ko", phrases=("보험", "없는말씀이에요"))
    with caplog.at_level("WARNING", logger="ivr.speech.gather"):
        await make_recognizer(service.models, spec)
        await make_recognizer(service.models, spec)
    warnings = [r.getMessage() for r in caplog.records if "cannot hear" in r.getMessage()]
    assert len(warnings) == 1
    assert "없는말씀이에요" in warnings[0]
    assert "보험" not in warnings[0].split(":")[-1]


async def test_warm_up_loads_configured_models_once(service: SpeechService) -> None:
    assert "ko" in await service.warm_up()
    loads = service.models.loads
    await service.warm_up()
    assert service.models.loads == loads


async def test_line_noise_clicks_and_a_tone_during_the_prompt_do_not_stop_it(
    service: SpeechService, menu_phrases: MenuPhrases, tmp_path: Path
) -> None:
    need(channels.tools_available(), "sox is not installed")
    prompt = tone_wav(tmp_path / "prompt.wav", 2.0)
    line = channels.line_noise(4000, -35.0, seed=5)
    sounds = (bytes(16 * 500) + channels.non_speech("click") + bytes(16 * 300)
              + channels.non_speech("tone") + bytes(16 * 300) + channels.non_speech("burst", 200))
    caller = CallerSide(channels.mix(line, sounds))
    turn = await call(service, menu(menu_phrases, timeout_s=1.0), prompt, caller)
    assert turn.event == NoInput()
    assert turn.timing.barge_in_at is None
    assert turn.timing.prompt_sent_ms == turn.timing.prompt_ms == 2000
    assert caller.heard_prompt_ms() >= 2000


async def test_a_complete_option_followed_by_a_pause_is_decided_early(
    service: SpeechService, menu_phrases: MenuPhrases, speak: Speak
) -> None:
    caller = CallerSide(read_pcm(speak("보험", 160, 50, lead_ms=500, tail_ms=2500)))
    effect = menu(menu_phrases, digits=False)
    assert effect.speech is not None
    waits = Gather(node=effect.node, prompts=effect.prompts, digits=None,
                   speech=replace(effect.speech, end_silence_ms=1500))
    turn = await call(service, waits, None, caller)
    assert isinstance(turn.event, SpeechHeard)
    assert turn.event.text == "보험"
    t = turn.timing
    assert t.early
    assert t.decided_ms is not None
    assert t.speech_end_ms is not None
    # Decided on the pause, not after the configured 1.5 s of silence.
    assert t.decided_ms - t.speech_end_ms < 1500
    data = turn.record_data()
    assert data["decision"] == "matched"
    assert data["early_decision"] is True
    assert data["options"]
    assert data["nbest"]


async def test_an_unfinished_option_is_not_decided_early(
    service: SpeechService, speak: Speak
) -> None:
    # "예약" alone is the start of both options: the turn must wait for the silence.
    caller = CallerSide(read_pcm(speak("예약", 160, 50, lead_ms=500, tail_ms=2000)))
    effect = Gather(node="main", prompts=(), digits=None,
                    speech=SpeechSpec(language="ko", phrases=("예약 변경", "예약 취소"),
                                      end_silence_ms=800))
    turn = await call(service, effect, None, caller)
    assert not turn.timing.early
    assert turn.timing.decided_ms is not None
    assert turn.timing.speech_end_ms is not None
    assert turn.timing.decided_ms - turn.timing.speech_end_ms >= 800
