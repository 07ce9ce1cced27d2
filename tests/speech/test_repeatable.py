"""The same audio gives the same words, however often and however it is chunked."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest

from ivr.speech import channels
from ivr.speech.deterministic import deterministic_model_dir, needs_view
from ivr.speech.models import LoadedModel
from ivr.speech.recognizer import Recognizer
from ivr.speech.wav import read_pcm
from tests.conftest import need

pytestmark = pytest.mark.vosk

PHRASES = ("잔액 조회", "계좌 이체", "대출 상담", "상담원 연결", "예금 가입", "카드 발급")


def decode(model: LoadedModel, pcm: bytes, chunk: int) -> tuple[str, tuple[str, ...]]:
    rec = Recognizer(model, PHRASES)
    for i in range(0, len(pcm), chunk):
        rec.accept(pcm[i : i + chunk])
    result = rec.final_sync()
    return result.heard, tuple(f"{w.word}:{w.confidence}" for w in result.words)


def test_same_noisy_audio_decodes_identically(ko_model: LoadedModel, tmp_path: Path) -> None:
    need(channels.tools_available(), "espeak-ng/sox not installed")
    # Noisy audio showed the flips most often (22 of 40 files before the fix).
    speech = read_pcm(channels.speak(
        "잔액 조회 하고 싶어요", channels.Voice("ko+f3"), tmp_path / "a.wav"))
    pcm = channels.channel(speech, "noise15", seed=3)
    rng = random.Random(7)
    results = {decode(ko_model, pcm, 320)}
    for _ in range(4):
        results.add(decode(ko_model, pcm, rng.choice([160, 320, 1000, 3200, 4002])))
    assert len(results) == 1, results


def test_an_early_probe_leaves_the_turns_final_result_unchanged(
    ko_model: LoadedModel, tmp_path: Path
) -> None:
    need(channels.tools_available(), "espeak-ng/sox not installed")
    # A probe on a pause ends the decoder's utterance; when the turn goes on, the recogniser
    # rebuilds the decoder from the turn's audio, so the final result must be exactly the
    # one of a turn never probed, wherever the probes fell.
    speech = read_pcm(channels.speak(
        "잔액 조회 하고 싶어요", channels.Voice("ko+m3"), tmp_path / "a.wav"))
    pcm = channels.channel(speech, "noise15", seed=4, lead_ms=300)
    plain = Recognizer(ko_model, PHRASES)
    plain.accept(pcm)
    want = plain.final_sync()
    assert want.decision is not None
    for cuts in ((len(pcm) // 3,), (8000, len(pcm) // 2 + 250)):
        probed = Recognizer(ko_model, PHRASES)
        done = 0
        for cut in cuts:
            probed.accept(pcm[done:cut])
            probed.early_sync()
            done = cut
        probed.accept(pcm[done:])
        got = probed.final_sync()
        assert got.decision is not None
        assert (got.heard, got.text, got.decision.nbest) == (
            want.heard, want.text, want.decision.nbest)


def test_the_model_view_turns_dither_off_without_touching_the_model() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "m"
        (model / "conf").mkdir(parents=True)
        (model / "am").mkdir()
        (model / "conf" / "mfcc.conf").write_text("--use-energy=false\n", encoding="utf-8")
        (model / "conf" / "model.conf").write_text("--beam=10\n", encoding="utf-8")
        assert needs_view(model)
        view = deterministic_model_dir(model)
        assert view != model
        assert (view / "conf" / "mfcc.conf").read_text(encoding="utf-8").endswith(
            "--dither=0\n")
        assert (view / "am").resolve() == (model / "am").resolve()
        assert (view / "conf" / "model.conf").is_symlink()
        assert (model / "conf" / "mfcc.conf").read_text(encoding="utf-8") == (
            "--use-energy=false\n")
        assert deterministic_model_dir(model) == view
        (model / "conf" / "mfcc.conf").write_text("--dither=0.0\n", encoding="utf-8")
        assert not needs_view(model)


def test_the_recogniser_knows_a_noisy_line_from_the_audio_before_the_words(
    ko_model: LoadedModel, tmp_path: Path
) -> None:
    need(channels.tools_available(), "espeak-ng/sox not installed")
    speech = read_pcm(channels.speak("잔액 조회", channels.Voice("ko"), tmp_path / "a.wav"))
    for condition, noisy in (("clean", False), ("bandpass", False), ("noise15", True)):
        rec = Recognizer(ko_model, PHRASES)
        rec.accept(channels.channel(speech, condition, seed=1, lead_ms=300))
        assert rec.noisy_line is noisy, condition
