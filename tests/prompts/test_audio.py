"""Prompt audio names, paths, and synthesis during a call (off the event loop, once per file)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import ivr.prompts.audio as audio
from ivr.flows.effects import Prompt
from ivr.prompts.audio import audio_file, audio_name, ensure_audio, temporary_audio
from ivr.prompts.tts import synthesize
from tests.prompts.support import assert_telephone_speech


def test_audio_name_depends_on_text_voice_and_language() -> None:
    base = audio_name("Hello.", "en-us", "en")
    assert base == audio_name("Hello.", "en-us", "en")
    others = {
        audio_name("Hello!", "en-us", "en"),
        audio_name("Hello.", "en-gb", "en"),
        audio_name("Hello.", "en-us", "es"),
        audio_name("Hello.", None, "en"),
    }
    assert base not in others
    assert len(others) == 4
    assert all(c in "0123456789abcdef" for c in base)


def test_audio_file_of_text_and_recordings(tmp_path: Path) -> None:
    spoken = Prompt(text="Hello.", language="en", voice="en-us")
    assert audio_file(spoken, tmp_path) == (
        tmp_path / "prompts" / f"{audio_name('Hello.', 'en-us', 'en')}.wav"
    )
    assert audio_file(Prompt(file="greetings/hi.wav"), tmp_path) == tmp_path / "greetings/hi.wav"


@pytest.mark.parametrize("bad", ["../etc/passwd", "/etc/passwd", "a/../../b.wav", ""])
def test_recordings_cannot_leave_their_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="inside the recordings folder"):
        audio_file(Prompt(file=bad), tmp_path)


@pytest.mark.usefixtures("tts")
async def test_ensure_audio_prefers_built_audio(tmp_path: Path) -> None:
    prompt = Prompt(text="Goodbye.", language="en", voice="en-us")
    built = audio_file(prompt, tmp_path)
    synthesize("Goodbye.", "en-us", built)
    assert await ensure_audio(prompt, tmp_path) == built
    assert not (tmp_path / "prompts" / "dynamic").exists()


@pytest.mark.usefixtures("tts")
async def test_ensure_audio_synthesises_dynamic_text_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []

    def counting(text: str, voice: str, dest: Path) -> None:
        calls.append(dest)
        synthesize(text, voice, dest)

    monkeypatch.setattr(audio, "synthesize", counting)
    text = "Your balance is 42 dollars and 17 cents."
    prompt = Prompt(text=text, language="en", voice="en-us")
    paths = await asyncio.gather(*(ensure_audio(prompt, tmp_path) for _ in range(5)))
    assert len(set(paths)) == 1
    assert len(calls) == 1
    assert paths[0].parent == tmp_path / "prompts" / "dynamic"
    assert_telephone_speech(paths[0], text)
    assert await ensure_audio(prompt, tmp_path) == paths[0]
    assert len(calls) == 1
    assert audio._locks == {}


@pytest.mark.usefixtures("tts")
async def test_ensure_audio_leaves_the_event_loop_free(tmp_path: Path) -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.002)

    task = asyncio.create_task(ticker())
    await ensure_audio(Prompt(text="One two three four five. " * 30, language="en"), tmp_path)
    done.set()
    await task
    assert ticks >= 5


async def test_missing_recording_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.wav"):
        await ensure_audio(Prompt(file="nope.wav"), tmp_path)
    (tmp_path / "here.wav").write_bytes(b"RIFF")
    assert await ensure_audio(Prompt(file="here.wav"), tmp_path) == tmp_path / "here.wav"


async def test_sensitive_prompts_are_never_cached(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="temporary_audio"):
        await ensure_audio(Prompt(text="You entered 1 2 3 4.", sensitive=True), tmp_path)


@pytest.mark.usefixtures("tts")
async def test_temporary_audio_is_gone_after_use(tmp_path: Path) -> None:
    text = "You entered 1 2 3 4."
    async with temporary_audio(Prompt(text=text, language="en", sensitive=True), tmp_path) as path:
        assert_telephone_speech(path, text)
        assert audio_name(text, None, "en") not in path.name
    assert not path.exists()
    assert list((tmp_path / "prompts" / "tmp").iterdir()) == []


@pytest.mark.usefixtures("tts")
async def test_temporary_audio_cleans_up_after_a_hang_up_mid_synthesis(tmp_path: Path) -> None:
    entered = False

    async def play() -> None:
        nonlocal entered
        prompt = Prompt(text="You entered 1 2 3 4. " * 40, language="en", sensitive=True)
        async with temporary_audio(prompt, tmp_path):
            entered = True

    task = asyncio.create_task(play())
    folder = tmp_path / "prompts" / "tmp"
    for _ in range(5000):  # until the worker thread has started writing
        if folder.exists():
            break
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not entered
    for _ in range(500):  # the worker thread finishes on its own, then its file goes
        if not any(folder.iterdir()):
            break
        await asyncio.sleep(0.01)
    assert list(folder.iterdir()) == []
