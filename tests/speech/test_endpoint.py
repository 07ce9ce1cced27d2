"""End-of-speech and speech-start detection on synthetic telephone audio."""

from __future__ import annotations

import math
import struct

from hypothesis import given
from hypothesis import strategies as st

from ivr.speech import channels
from ivr.speech.endpoint import (
    Endpointer,
    EndpointSettings,
    NoSpeech,
    Pause,
    SpeechEnded,
    SpeechStarted,
    VoicedFrames,
    frame_rms,
)
from tests.conftest import need


def tone(ms: int, amplitude: int = 6000, hz: int = 440) -> bytes:
    """A voice-like sound: a 440 Hz carrier whose level swings like syllables (4 Hz)."""
    n = 8 * ms

    def level(i: int) -> float:
        return 0.3 + 0.7 * abs(math.sin(2 * math.pi * 4 * i / 8000))

    return struct.pack(f"<{n}h", *(int(amplitude * level(i) * math.sin(2 * math.pi * hz * i / 8000))
                                   for i in range(n)))


def steady_tone(ms: int, amplitude: int = 6000, hz: int = 1000) -> bytes:
    n = 8 * ms
    return struct.pack(f"<{n}h", *(int(amplitude * math.sin(2 * math.pi * hz * i / 8000))
                                   for i in range(n)))


def noise(ms: int, amplitude: int = 40) -> bytes:
    n = 8 * ms
    return struct.pack(f"<{n}h", *(amplitude if i % 2 else -amplitude for i in range(n)))


def run(pcm: bytes, settings: EndpointSettings, chunk: int = 320) -> list[object]:
    ep = Endpointer(settings)
    events: list[object] = []
    for i in range(0, len(pcm), chunk):
        events += ep.feed(pcm[i : i + chunk])
    return events


def test_rms() -> None:
    assert frame_rms(b"") == 0.0
    assert frame_rms(struct.pack("<2h", 3, -3)) == 3.0


def test_start_and_end_follow_the_audio_not_a_fixed_wait() -> None:
    s = EndpointSettings(end_silence_ms=400, no_input_ms=None)
    events = run(noise(500) + tone(700) + noise(1500), s)
    assert events[0] == SpeechStarted(500)
    assert isinstance(events[1], Pause)
    events = [e for e in events if not isinstance(e, Pause)]
    end = events[1]
    assert isinstance(end, SpeechEnded)
    assert end.reason == "silence"
    assert end.speech_end_ms == 1200
    # Decided end_silence_ms after the voice stopped, not at the end of the stream.
    assert end.at_ms == 1200 + 400
    assert len(events) == 2


def test_short_pauses_inside_speech_do_not_end_it() -> None:
    s = EndpointSettings(end_silence_ms=500, no_input_ms=None)
    events = run(noise(200) + tone(300) + noise(300) + tone(300) + noise(800), s)
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 1
    # Each pause (silence >= pause_ms) is reported once, before the end.
    assert [type(e) for e in events] == [SpeechStarted, Pause, Pause, SpeechEnded]
    assert ended[0].speech_end_ms == 1100


def test_clicks_are_not_speech() -> None:
    s = EndpointSettings(start_ms=60, no_input_ms=1000)
    events = run(noise(200) + tone(20) + noise(200) + tone(20) + noise(800), s)
    assert events == [NoSpeech(1000)]


def test_no_input_timer_restarts_when_the_prompt_ends() -> None:
    ep = Endpointer(EndpointSettings(no_input_ms=None))
    assert ep.feed(noise(3000)) == []
    ep.restart_no_input_timer(500)
    assert ep.feed(noise(600)) == [NoSpeech(3500)]
    assert ep.feed(tone(500)) == []


def test_max_speech_ends_a_monologue() -> None:
    s = EndpointSettings(max_speech_ms=1000, no_input_ms=None)
    events = run(noise(100) + tone(3000), s)
    assert isinstance(events[-1], SpeechEnded)
    assert events[-1].reason == "max_speech"
    assert events[-1].at_ms == 1100


@given(st.lists(st.integers(1, 2000), min_size=1, max_size=10))
def test_chunking_does_not_change_decisions(chunks: list[int]) -> None:
    pcm = noise(300) + tone(400) + noise(900)
    s = EndpointSettings(end_silence_ms=600, no_input_ms=None)
    ep = Endpointer(s)
    events: list[object] = []
    pos = 0
    i = 0
    while pos < len(pcm):
        step = chunks[i % len(chunks)] * 2
        events += ep.feed(pcm[pos : pos + step])
        pos += step
        i += 1
    assert events == run(pcm, s)


def test_voiced_frames_mark_where_the_voice_is() -> None:
    vf = VoicedFrames()
    vf.feed(noise(100) + tone(100) + noise(100))
    assert vf.starts_ms == [100, 120, 140, 160, 180]


segments = st.lists(
    st.tuples(st.booleans(), st.integers(1, 40).map(lambda n: n * 20)), min_size=1, max_size=8
)


@given(segments)
def test_events_are_ordered_and_single(parts: list[tuple[bool, int]]) -> None:
    pcm = b"".join(tone(ms) if loud else noise(ms) for loud, ms in parts)
    events = run(pcm + noise(1000), EndpointSettings(end_silence_ms=300, no_input_ms=2000))
    kinds = [type(e) for e in events if not isinstance(e, Pause)]
    assert kinds in ([], [NoSpeech], [SpeechStarted], [SpeechStarted, SpeechEnded])
    if kinds[:1] == [SpeechStarted]:
        first_loud = next((sum(ms for _, ms in parts[:i])
                           for i, (loud, _) in enumerate(parts) if loud), None)
        assert first_loud is not None
        assert isinstance(events[0], SpeechStarted)
        assert events[0].at_ms >= first_loud


def test_steady_tone_hum_and_thump_never_start_speech() -> None:
    s = EndpointSettings(no_input_ms=None)
    hum = struct.pack("<8000h", *(int(3000 * math.sin(2 * math.pi * 50 * i / 8000))
                                  for i in range(8000)))
    for sound in (steady_tone(300), steady_tone(3000), hum):
        assert run(noise(300) + sound + noise(500), s) == []


def test_loud_steady_noise_from_the_first_frame_is_the_floor_not_speech() -> None:
    # -35 dBFS hiss (RMS ~580) is far above the absolute floor: only the floor
    # seeded from the turn's first frames keeps it from being "speech".
    hiss = noise(5000, amplitude=580)
    assert run(hiss, EndpointSettings(no_input_ms=None)) == []


def test_pink_line_noise_clicks_tone_and_burst_never_start_speech() -> None:
    need(channels.tools_available(), "espeak-ng/sox not installed")
    s = EndpointSettings(no_input_ms=None)
    for seed in range(2):
        line = channels.line_noise(3000, -35.0, seed=seed)
        assert run(line, s) == [], "line noise alone"
        for kind in ("tone", "click", "burst"):
            sound = bytes(16 * 1000) + channels.non_speech(kind) + bytes(16 * 1000)
            assert run(channels.mix(line, sound), s) == [], kind


def test_speech_still_starts_over_line_noise() -> None:
    s = EndpointSettings(no_input_ms=None, end_silence_ms=400)
    floor = noise(1000, amplitude=300)
    voice = tone(600, amplitude=6000)
    mixed = floor + _add(voice, noise(600, amplitude=300)) + noise(800, amplitude=300)
    events = [e for e in run(mixed, s) if not isinstance(e, Pause)]
    assert events[0] == SpeechStarted(1000)
    assert isinstance(events[1], SpeechEnded)
    assert events[1].speech_end_ms == 1600


def _add(a: bytes, b: bytes) -> bytes:
    n = len(a) // 2
    x = struct.unpack(f"<{n}h", a)
    y = struct.unpack(f"<{n}h", b[: len(a)])
    summed = (max(-32768, min(32767, p + q)) for p, q in zip(x, y, strict=True))
    return struct.pack(f"<{n}h", *summed)
