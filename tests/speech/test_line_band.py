"""Telling a narrow-band line (300–3400 Hz) from a wide-band one by the turn's audio."""

from __future__ import annotations

import math
from array import array

import pytest

from ivr.flows.events import SpeechHeard
from ivr.speech import channels
from ivr.speech.line_band import NARROWBAND_SHARE, LineBand
from ivr.speech.models import LoadedModel
from ivr.speech.recognizer import Recognizer
from ivr.speech.wav import read_pcm
from tests.speech.fixtures import Speak

RATE = 8000


def tones(*hz: float, seconds: float = 1.0, amplitude: int = 3000) -> bytes:
    n = int(RATE * seconds)
    return array("h", (round(sum(amplitude * math.sin(2 * math.pi * f * i / RATE) for f in hz))
                       for i in range(n))).tobytes()


def meter(pcm: bytes, chunk: int = 320) -> LineBand:
    band = LineBand()
    for i in range(0, len(pcm), chunk):  # 20 ms frames, as a call delivers them
        band.feed(pcm[i : i + chunk])
    return band


def test_a_voice_fundamental_makes_a_wide_band_line_and_its_absence_a_narrow_one() -> None:
    wide = meter(tones(150, 1000))
    assert wide.low_share is not None
    assert wide.low_share > 0.3
    assert not wide.narrowband
    narrow = meter(tones(1000, 2500))
    assert narrow.low_share is not None
    assert narrow.low_share < NARROWBAND_SHARE
    assert narrow.narrowband


def test_too_little_signal_is_no_verdict_either_way() -> None:
    faint = meter(tones(1000, amplitude=20))
    assert faint.low_share is None
    assert not faint.narrowband
    assert meter(b"").low_share is None


def test_how_frames_are_cut_does_not_change_the_verdict() -> None:
    pcm = tones(120, 700, 1800, seconds=0.7)
    whole = meter(pcm, len(pcm)).low_share
    for chunk in (2, 320, 512, 1000):
        assert meter(pcm, chunk).low_share == pytest.approx(whole, rel=1e-9)


@pytest.mark.parametrize(("condition", "narrow"), [
    ("clean", False), ("ulaw", False), ("noise15", False), ("bandpass", True), ("phone", True)])
def test_espeak_voices_over_telephone_channels(speak: Speak, condition: str, narrow: bool) -> None:
    # Two voices (low and high pitch) and phrases of the benchmark's kind.
    for n, (phrase, pitch) in enumerate([("잔액 조회", 30), ("배송 조회 하고 싶어요", 70)]):
        pcm = read_pcm(speak(phrase, 160, pitch))
        line = channels.channel(pcm, condition, seed=n, lead_ms=300, tail_ms=300)
        assert meter(line).narrowband is narrow, (phrase, pitch, meter(line).low_share)


@pytest.mark.vosk
def test_the_recogniser_tells_the_engine_about_a_narrow_band_line(
    ko_model: LoadedModel, speak: Speak
) -> None:
    phrases = ["잔액 조회", "계좌 이체", "상담원 연결"]
    pcm = read_pcm(speak("잔액 조회", 160, 50))
    heard: dict[str, SpeechHeard] = {}
    for condition in ("clean", "bandpass"):
        rec = Recognizer(ko_model, phrases)
        rec.accept(channels.channel(pcm, condition, lead_ms=300, tail_ms=300))
        result = rec.final_sync()
        assert result.evidence()["narrowband"] is (condition == "bandpass")
        assert isinstance(result.evidence().get("low_band_share"), float)
        heard[condition] = result.to_event()
    assert heard["bandpass"].narrowband
    assert not heard["clean"].narrowband
