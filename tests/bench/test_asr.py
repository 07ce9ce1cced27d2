"""``ivr bench asr`` measures real numbers on the real model (a short run)."""

from __future__ import annotations

import argparse

import pytest

from ivr.bench import asr
from ivr.speech.models import LoadedModel
from tests.speech.fixtures import Speak

pytestmark = pytest.mark.vosk


def test_measure_grammar_is_faster_than_real_time(ko_model: LoadedModel, speak: Speak) -> None:
    from ivr.speech.wav import read_pcm

    pcm = read_pcm(speak("보험 예약 확인", 160, 50)) * 2
    m = asr.measure(ko_model, ["보험", "예약", "확인"], pcm, streams=2)
    assert m["audio_s"] > 1.0
    assert 0 < m["rtf_single"] < 1.0
    assert m["streams_per_core"] == pytest.approx(1 / m["rtf_loaded"])


def test_run_prints_both_modes(
    ko_model: LoadedModel, speak: Speak, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    asr.add_arguments(parser)
    args = parser.parse_args(["--wav", str(speak("보험", 160, 50)), "--seconds", "1",
                              "--streams", "2", "--mode", "grammar"])
    assert asr.run(args) == 0
    out = capsys.readouterr().out
    assert "loaded once" in out
    assert "grammar" in out
    assert "real-time 8 kHz streams per core" in out
