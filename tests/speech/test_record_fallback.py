"""Recognising a recorded answer (RECORD FILE fallback) from the file alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.speech import channels
from ivr.speech.models import LoadedModel
from ivr.speech.recognizer import Recognizer
from ivr.speech.record_fallback import has_speech, recognise_file
from ivr.speech.wav import read_pcm
from tests.conftest import need

PHRASES = ("보험", "안내", "예약", "확인", "도움말", "해지", "비밀번호", "사람")


@pytest.fixture
def tools() -> None:
    need(channels.tools_available(), "espeak-ng/sox not installed")


@pytest.mark.usefixtures("tools")
def test_a_recording_that_opens_with_a_steady_vowel_has_speech(tmp_path: Path) -> None:
    # A turn's live detector seeds its floor from the first 100 ms; from a recording
    # that opens with a held vowel that floor is speech, and the rest is not 3x louder.
    pcm = read_pcm(channels.speak("아아아아아", channels.Voice("ko"), tmp_path / "a.wav"))
    assert has_speech(pcm)


@pytest.mark.usefixtures("tools")
def test_line_noise_clicks_and_silence_are_no_speech() -> None:
    assert not has_speech(bytes(16000 * 2))
    assert not has_speech(channels.line_noise(2000, seed=4))
    assert not has_speech(channels.non_speech("click", 1000))
    assert not has_speech(channels.non_speech("tone", 1000))


@pytest.mark.vosk
@pytest.mark.usefixtures("tools")
@pytest.mark.parametrize("lead_ms", [0, 120, 280, 440])
def test_a_short_word_is_recognised_whatever_silence_precedes_it(
    ko_model: LoadedModel, tmp_path: Path, lead_ms: int
) -> None:
    """A word is heard however much silence precedes it.

    "확인" after 280 ms of digital silence is what Asterisk's RECORD FILE wrote in the
    end-to-end test; before the dither moved to the model's rate it decoded to nothing
    at two lead times of every three (see ivr/speech/upsample.py).
    """
    word = read_pcm(channels.speak("확인", channels.Voice("ko"), tmp_path / "w.wav"))
    path = channels.write_pcm(tmp_path / "rec.wav", bytes(lead_ms * 16) + word + bytes(4800))
    result = recognise_file(Recognizer(ko_model, PHRASES), path)
    assert result is not None
    assert (result.text, result.in_grammar) == ("확인", True)
