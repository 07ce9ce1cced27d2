"""The recogniser on the real Korean model with espeak-ng speech (grammar and dictation)."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import pytest

from ivr.speech.models import LoadedModel
from ivr.speech.recognizer import Recognizer
from tests.speech.fixtures import VOICES, MenuPhrases, Speak

pytestmark = pytest.mark.vosk

#: Share of menu utterances that must reach the right option (directly or "Did you say…?").
#: These eight hand-picked words are a floor against regressions, not the accuracy figure:
#: that is measured per condition by ``ivr bench asr --accuracy`` (docs/speech.md).
MIN_ACCURACY = 0.9
#: The flows' defaults: below MIN_CONFIDENCE a menu asks again; below CONFIRM_BELOW it
#: asks "Did you say …?" (a second-pass result is always in between).
MIN_CONFIDENCE = 0.35
CONFIRM_BELOW = 0.6
THRESHOLD = MIN_CONFIDENCE


def pcm_of(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        return bytes(w.readframes(w.getnframes()))


def choose(
    model: LoadedModel, phrases: dict[str, str], pcm: bytes, threshold: float = THRESHOLD
) -> str | None:
    """Which option the recogniser's result picks (None: no-match)."""
    rec = Recognizer(model, list(phrases.values()))
    rec.accept(pcm)
    result = rec.final_sync()
    if not result.in_grammar or result.confidence < threshold:
        return None
    return next(opt for opt, phrase in phrases.items() if phrase == result.text)


def test_grammar_menu_accuracy(
    ko_model: LoadedModel, menu_phrases: MenuPhrases, speak: Speak
) -> None:
    options = menu_phrases.options
    assert len(options) >= 6
    outcomes: list[tuple[str, str | None]] = []
    strict: dict[float, int] = {0.7: 0, 0.9: 0}
    for option, phrase in options.items():
        for speed, pitch in VOICES:
            pcm = pcm_of(speak(phrase, speed, pitch))
            outcomes.append((option, choose(ko_model, options, pcm)))
            for t in strict:
                strict[t] += choose(ko_model, options, pcm, t) == option
    assert len(outcomes) >= 20
    right = sum(1 for want, got in outcomes if want == got)
    rate = right / len(outcomes)
    wrong = [(w, g) for w, g in outcomes if w != g]
    print(f"\nKorean grammar menu: {right}/{len(outcomes)} = {rate:.1%} right; misses: {wrong}")
    stricter = {t: f"{n}/{len(outcomes)}" for t, n in strict.items()}
    print(f"right at stricter thresholds: {stricter}")
    assert rate >= MIN_ACCURACY, wrong
    assert all(got is None for _, got in wrong), "an utterance reached the wrong option"


def test_off_menu_speech_is_no_match(
    ko_model: LoadedModel, menu_phrases: MenuPhrases, speak: Speak
) -> None:
    # Taken directly, without "Did you say…?": that is a wrong branch.
    picked = [
        (text, choose(ko_model, menu_phrases.options, pcm_of(speak(text, speed, pitch)),
                      CONFIRM_BELOW))
        for text in menu_phrases.unknown
        for speed, pitch in VOICES[::2]
    ]
    wrong = [(t, g) for t, g in picked if g is not None]
    print(f"\noff-menu speech: {len(picked) - len(wrong)}/{len(picked)} rejected; wrong: {wrong}")
    assert not wrong


def test_single_off_menu_words_rate_is_measured(
    ko_model: LoadedModel, menu_phrases: MenuPhrases, speak: Speak
) -> None:
    """Known limit: one unknown word can sound like one menu word to a grammar with no [unk].

    Sentences are always rejected (above); single words are partly caught by the
    confidence threshold. The rate is printed for the report and guarded against regressions;
    Korean menus should use ``confirm_below`` ("Did you say …?") for this reason.
    """
    words = menu_phrases.unknown_words
    assert len(words) >= 10
    pcms = [pcm_of(speak(w, speed, pitch)) for w in words for speed, pitch in VOICES]
    rates = {}
    for threshold in (0.5, 0.7, 0.9):
        wrong = sum(choose(ko_model, menu_phrases.options, p, threshold) is not None for p in pcms)
        rates[threshold] = wrong / len(pcms)
    print(f"\nsingle off-menu words taken as an option, by threshold: {rates} (n={len(pcms)})")
    assert rates[0.5] >= rates[0.7] >= rates[0.9]
    # Runs differ by a few words (0.22-0.31 seen over five runs at 0.7): the guard sits above
    # that spread so it catches a regression, not noise.
    assert rates[0.7] <= 0.4


def test_freeform_dictation_returns_a_transcript(ko_model: LoadedModel, speak: Speak) -> None:
    rec = Recognizer(ko_model, None)
    rec.accept(pcm_of(speak("안녕하세요", 150, 50)))
    result = rec.final_sync()
    assert not result.grammar
    assert result.text.strip()
    assert 0.0 < result.confidence <= 1.0
    assert result.audio_ms > 300


async def test_async_turns_run_concurrently_off_the_loop(
    ko_model: LoadedModel, menu_phrases: MenuPhrases, speak: Speak
) -> None:
    phrases = list(menu_phrases.options.values())
    pcm = pcm_of(speak("보험", 160, 50))
    long_pcm = pcm_of(speak("안녕하세요 오늘 요금 문의를 드리려고 전화했습니다", 150, 50)) * 2
    loop = asyncio.get_running_loop()
    gaps: list[float] = []

    async def ticker() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0.002)
            now = loop.time()
            gaps.append(now - last)
            last = now

    async def turn(audio: bytes, grammar: list[str] | None) -> tuple[str, int]:
        rec = Recognizer(ko_model, grammar)
        for i in range(0, len(audio), 320):
            rec.feed(audio[i : i + 320])
        result = await rec.final()
        return result.text, result.decode_ms

    tick_task = asyncio.create_task(ticker())
    results = await asyncio.gather(turn(long_pcm, None), *(turn(pcm, phrases) for _ in range(6)))
    tick_task.cancel()
    assert [text for text, _ in results[1:]] == ["보험"] * 6
    # A slow free-form turn decoded for a long time, yet the loop never waited that long:
    # decoding ran in the pool, not on the event loop.
    slow_decode_s = results[0][1] / 1000
    assert slow_decode_s > 0.2
    assert max(gaps) < slow_decode_s / 4


def test_model_is_loaded_once(ko_model: LoadedModel) -> None:
    from ivr.speech.models import shared_registry

    registry = shared_registry()
    assert registry.get("ko") is ko_model
    assert registry.loads == 1


def test_the_second_pass_decodes_only_what_was_said_before_the_carrier(
    ko_model: LoadedModel, speak: Speak
) -> None:
    # An option said in a sentence. On the whole turn the bare phrases must absorb the
    # carrier too (heard: "계좌 이체 연결", no option); cut where the first pass heard the
    # carrier tail start, the second pass hears the option alone.
    phrases = ["잔액 조회", "계좌 이체", "상담원 연결"]
    option = pcm_of(speak("계좌 이체", lead_ms=300, tail_ms=100))
    carrier = pcm_of(speak("하고 싶어요"))
    cut_s = len(option) / 16000
    rec = Recognizer(ko_model, phrases)
    first = {"alternatives": [{"text": "연결 가입 하고 싶어요", "result": [
        {"word": "연결", "start": 0.3}, {"word": "가입", "start": 0.7},
        {"word": "하고", "start": cut_s}, {"word": "싶어요", "start": cut_s + 0.3}]}]}
    whole = rec._second_pass({"alternatives": []}, option + carrier)
    assert whole.raw["alternatives"][0]["text"].split() != ["계좌", "이체"]
    assert not whole.cut  # so its paths must have the shape of an option said alone
    cut = rec._second_pass(first, option + carrier)
    assert cut.raw["alternatives"][0]["text"].split() == ["계좌", "이체"]
    assert cut.cut  # so each path names the option it ends with
