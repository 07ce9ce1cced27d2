"""Real synthesis: pyttsx3 + espeak-ng, then sox to 8 kHz mono 16-bit WAV."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.prompts.tts import TtsError, synthesize, voices
from tests.prompts.support import assert_telephone_speech, wav_info

pytestmark = pytest.mark.usefixtures("tts")


def test_writes_telephone_wav(tmp_path: Path) -> None:
    text = "Welcome to Harbor Telecom. For sales, press 1."
    dest = tmp_path / "deep" / "welcome.wav"
    synthesize(text, "en-us", dest)
    assert_telephone_speech(dest, text)
    assert [p.name for p in dest.parent.iterdir()] == ["welcome.wav"]  # no temp left over


def test_longer_text_gives_longer_audio(tmp_path: Path) -> None:
    synthesize("Hello.", "en-us", tmp_path / "short.wav")
    synthesize("Hello. " * 8, "en-us", tmp_path / "long.wav")
    assert wav_info(tmp_path / "long.wav").seconds > 4 * wav_info(tmp_path / "short.wav").seconds


def test_voice_changes_the_audio(tmp_path: Path) -> None:
    text = "Para español, oprima dos."
    synthesize(text, "es", tmp_path / "es.wav")
    synthesize(text, "en-us", tmp_path / "en.wav")
    assert_telephone_speech(tmp_path / "es.wav", text)
    assert (tmp_path / "es.wav").read_bytes() != (tmp_path / "en.wav").read_bytes()


def test_replaces_an_existing_file(tmp_path: Path) -> None:
    dest = tmp_path / "p.wav"
    dest.write_bytes(b"not a wav")
    synthesize("Goodbye.", "en", dest)
    assert wav_info(dest).rate == 8000


def test_unknown_voice_is_refused(tmp_path: Path) -> None:
    # espeak-ng itself would silently keep the previous voice.
    with pytest.raises(TtsError, match="no voice 'klingon'"):
        synthesize("Hello.", "klingon", tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()


def test_empty_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TtsError, match="nothing to say"):
        synthesize("  \n", "en", tmp_path / "x.wav")


def test_voice_names_include_languages_and_file_ids() -> None:
    names = voices()
    assert {"en", "en-us", "es", "roa/es"} <= names


def test_the_first_synthesis_of_a_fresh_process_may_be_long(tmp_path: Path) -> None:
    # Regression: pyttsx3's espeak driver wrote no file for a long first utterance
    # (Korean, in a new process). It must work first time, every time.
    text = ("보험은 보험이라고 말씀하세요. 안내는 안내라고 말씀하세요. 예약은 예약이라고 "
            "말씀하세요. 상담원은 상담원이라고 말씀하세요. 해지는 해지라고 말씀하세요.")
    script = ("import sys; from pathlib import Path; from ivr.prompts.tts import synthesize; "
              "synthesize(sys.argv[1], 'ko', Path(sys.argv[2]))")
    for attempt in range(3):
        dest = tmp_path / f"first-{attempt}.wav"
        done = subprocess.run([sys.executable, "-c", script, text, str(dest)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert_telephone_speech(dest, text)


def test_a_crash_of_espeak_ng_costs_a_restart_not_the_process(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # espeak-ng has died with a segmentation fault inside pyttsx3; in the service that
    # would have ended every call the process held. It runs in a child process now.
    from ivr.prompts import tts

    synthesize("Hello.", "en-us", tmp_path / "before.wav")
    worker = tts._worker
    assert worker is not None
    os.kill(worker.proc.pid, signal.SIGSEGV)
    worker.proc.wait(timeout=10)
    text = "You entered 4 3 2 1."
    with caplog.at_level("DEBUG"):
        synthesize(text, "en-us", tmp_path / "after.wav")
    assert_telephone_speech(tmp_path / "after.wav", text)
    assert "killed by SIGSEGV" in caplog.text
    assert "fresh process" in caplog.text
    assert "4 3 2 1" not in caplog.text
    assert tts._worker is not None
    assert tts._worker is not worker


def test_a_prompt_that_crashes_espeak_ng_every_time_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.prompts import tts

    crashing = ("import json, os, signal, sys; print(json.dumps({'ok': True, 'voices': ['en']}),"
                " flush=True); sys.stdin.readline(); os.kill(os.getpid(), signal.SIGSEGV)")
    with tts._lock:
        tts._restart()
    monkeypatch.setattr(tts, "_WORKER_COMMAND", [sys.executable, "-c", crashing])
    try:
        with pytest.raises(TtsError, match=r"failed twice on a 6-character .*SIGSEGV"):
            synthesize("Hello.", "en", tmp_path / "x.wav")
    finally:
        with tts._lock:
            tts._restart()
    assert not (tmp_path / "x.wav").exists()


def test_the_fresh_process_fallback_speaks_without_logging_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # espeak-ng now and then writes nothing in a long-running process (seen on a loaded
    # machine); the fallback must still speak a readback, and never log its digits.
    import ivr.prompts.tts as tts

    real_frames = tts._frames
    first = [True]

    def nothing_the_first_time(path: Path, strict: bool = False) -> int:
        if first[0] and not strict:
            first[0] = False
            return 0
        return real_frames(path, strict)

    monkeypatch.setattr(tts, "_frames", nothing_the_first_time)
    text = "You entered 4 3 2 1."
    dest = tmp_path / "readback.wav"
    with caplog.at_level("DEBUG"):
        synthesize(text, "en-us", dest)
    assert not first[0], "the fallback was not exercised"
    assert "fresh process" in caplog.text
    assert "4 3 2 1" not in caplog.text
    assert_telephone_speech(dest, text)
