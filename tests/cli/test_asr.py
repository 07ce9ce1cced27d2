"""``ivr asr`` on espeak-ng Korean with the real model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.speech.models import LoadedModel
from tests.speech.fixtures import Speak

pytestmark = pytest.mark.vosk


def ivr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ivr", *args], capture_output=True, text=True,
                          timeout=120)


def test_grammar_json_reports_text_confidence_timing_and_unknown_words(
    ko_model: LoadedModel, speak: Speak
) -> None:
    wav = speak("예약", 160, 50)
    out = ivr("asr", str(wav), "--lang", "ko", "--phrases", "보험,예약,확인,없는말씀", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["text"] == "예약"
    assert result["in_grammar"] is True
    assert 0.5 < result["confidence"] <= 1.0
    assert result["mode"] == "grammar"
    assert result["audio_ms"] > 300
    assert result["decode_ms"] >= 0
    assert result["unknown_words"] == ["없는말씀"]


def test_human_output_and_freeform(ko_model: LoadedModel, speak: Speak) -> None:
    out = ivr("asr", str(speak("안녕하세요", 150, 50)))
    assert out.returncode == 0, out.stderr
    assert "mode:        free-form (ko)" in out.stdout
    assert "real-time factor" in out.stdout
    assert out.stdout.startswith("text:")


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    out = ivr("asr", str(bad))
    assert out.returncode == 2
    assert "cannot read" in out.stderr
