"""The sans-I/O turn step: what a frame sequence asks of the recogniser, and when."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.speech.endpoint import EndpointSettings
from ivr.speech.turn_step import (
    PRE_ROLL_MS,
    AskEarly,
    AskFinal,
    Feed,
    NoInputDue,
    Request,
    StopPrompt,
    TurnStep,
    TurnStepError,
)
from tests.speech.test_endpoint import noise, tone

FRAME = 320
SETTINGS = EndpointSettings(end_silence_ms=800, no_input_ms=None)


def frames(pcm: bytes) -> list[bytes]:
    return [pcm[i : i + FRAME] for i in range(0, len(pcm) - FRAME + 1, FRAME)]


def drive(
    step: TurnStep, pcm: bytes, answers: list[bool] | None = None
) -> list[tuple[int, Request]]:
    """Feed *pcm* frame by frame; answer each AskEarly from *answers* (no by default).

    Returns each request with the number of frames received when it came.
    """
    answers = list(answers or [])
    out: list[tuple[int, Request]] = []
    for n, frame in enumerate(frames(pcm), 1):
        step.receive_audio(frame)
        while (request := step.next_request()) is not None:
            out.append((n, request))
            if isinstance(request, AskEarly):
                step.early_answered(answers.pop(0) if answers else False)
    return out


def fed(requests: list[tuple[int, Request]]) -> bytes:
    return b"".join(r.pcm for _, r in requests if isinstance(r, Feed))


def test_speech_is_fed_from_the_pre_roll_and_ends_in_one_final_request() -> None:
    pcm = noise(1000) + tone(600) + noise(1200)
    step = TurnStep(SETTINGS, 5000)
    requests = drive(step, pcm)
    kinds = [type(r).__name__ for _, r in requests]
    assert kinds[0] == "Feed"
    assert kinds.count("AskEarly") == 1
    assert kinds[-1] == "AskFinal"
    assert "StopPrompt" not in kinds  # no prompt plays
    assert step.speech_start_ms == 1000
    final = requests[-1][1]
    assert isinstance(final, AskFinal)
    assert (step.speech_end_ms, step.decided_ms) == (1600, 1600 + 800) == (
        final.speech_end_ms, final.at_ms)
    assert step.done
    assert not step.early
    # The recogniser hears the stream from one pre-roll before the frame that started
    # the speech up to the decision, each byte once and in order.
    first_feed_at = requests[0][0]
    start = (first_feed_at - PRE_ROLL_MS // 20) * FRAME
    assert fed(requests) == pcm[start : requests[-1][0] * FRAME]
    assert start < 1000 * 16  # the onset is heard


def test_an_early_answer_that_decides_ends_the_turn_at_the_pause() -> None:
    pcm = noise(400) + tone(500) + noise(2000)
    step = TurnStep(SETTINGS, 5000)
    requests = drive(step, pcm, answers=[True])
    ask = requests[-1][1]
    assert isinstance(ask, AskEarly)
    assert step.done
    assert step.early
    assert (step.speech_end_ms, step.decided_ms) == (ask.speech_end_ms, ask.at_ms) == (900, 1160)
    # Nothing more is asked, and later audio is ignored.
    step.receive_audio(noise(20))
    assert step.next_request() is None


def test_silence_is_no_input_and_costs_no_decoding() -> None:
    step = TurnStep(EndpointSettings(), 2000)
    requests = drive(step, noise(3000))
    assert requests == [(100, NoInputDue(2000))]
    assert step.done
    assert step.speech_start_ms is None
    assert step.decided_ms is None


def test_no_input_counts_from_the_end_of_the_prompt() -> None:
    step = TurnStep(EndpointSettings(), 1000, prompt_playing=True)
    assert drive(step, noise(3000)) == []
    step.prompt_ended()
    assert drive(step, noise(1000))[-1] == (50, NoInputDue(4000))


def test_speech_over_the_prompt_stops_it_first() -> None:
    step = TurnStep(SETTINGS, 5000, prompt_playing=True)
    requests = drive(step, noise(400) + tone(400))
    assert isinstance(requests[0][1], StopPrompt)
    assert requests[0][1].at_ms == step.speech_start_ms == 400
    assert isinstance(requests[1][1], Feed)
    step.prompt_ended()  # speech goes on: the no-input timer stays off
    rest = drive(step, noise(1200))
    assert not any(isinstance(r, StopPrompt | NoInputDue) for _, r in rest)
    assert isinstance(rest[-1][1], AskFinal)


def test_without_barge_in_audio_over_the_prompt_is_ignored() -> None:
    step = TurnStep(SETTINGS, 5000, prompt_playing=True, barge_in=False)
    assert drive(step, noise(400) + tone(600) + noise(1200)) == []
    assert step.speech_start_ms is None
    step.prompt_ended()
    requests = drive(step, noise(400) + tone(600) + noise(1200))
    assert step.speech_start_ms == 400  # stream time counts from the first audio heard
    assert isinstance(requests[-1][1], AskFinal)


def test_without_a_recogniser_speech_is_timed_but_never_fed() -> None:
    step = TurnStep(SETTINGS, 5000, recognising=False, prompt_playing=True)
    requests = drive(step, noise(400) + tone(600) + noise(1200))
    assert [r for _, r in requests] == [NoInputDue(1800)]
    assert (step.speech_start_ms, step.speech_end_ms) == (400, 1000)


def test_a_recording_that_runs_out_mid_speech_is_final() -> None:
    step = TurnStep(SETTINGS, 5000)
    drive(step, noise(400) + tone(600))
    end = step.audio_ended(1000)
    assert isinstance(end, AskFinal)
    assert step.decided_ms == 1000
    assert step.done
    assert step.audio_ended(1000) is None
    quiet = TurnStep(SETTINGS, 5000)
    drive(quiet, noise(600))
    assert quiet.audio_ended(600) == NoInputDue(600)


@pytest.mark.parametrize("decided", [True, False])
def test_one_long_chunk_is_asked_about_in_turn(decided: bool) -> None:
    # Start, pause and end in one piece of audio: the step holds the end back until
    # the pause is answered, and drops it when the answer decided.
    step = TurnStep(SETTINGS, 5000)
    step.receive_audio(noise(400) + tone(500) + noise(2000))
    kinds = []
    while (request := step.next_request()) is not None:
        kinds.append(type(request).__name__)
        if isinstance(request, AskEarly):
            step.early_answered(decided)
    assert kinds == ["Feed", "AskEarly"] + ([] if decided else ["AskFinal"])
    assert step.done
    assert step.early == decided
    step.receive_audio(tone(400))  # after the decision: ignored, not a protocol error
    assert step.next_request() is None


def test_the_driver_must_answer_before_going_on() -> None:
    step = TurnStep(SETTINGS, 5000)
    with pytest.raises(TurnStepError):
        step.early_answered(True)
    for frame in frames(noise(400) + tone(500) + noise(400)):
        step.receive_audio(frame)
        request = step.next_request()
        while request is not None and not isinstance(request, AskEarly):
            request = step.next_request()
        if request is not None:
            break
    with pytest.raises(TurnStepError):
        step.next_request()
    with pytest.raises(TurnStepError):
        step.receive_audio(noise(20))
    step.early_answered(False)
    assert not step.done


SEGMENT = st.tuples(st.sampled_from(["tone", "noise", "loud-noise"]),
                    st.integers(1, 40).map(lambda n: n * 20))


def segment_audio(kind: str, ms: int) -> bytes:
    if kind == "tone":
        return tone(ms)
    return noise(ms, 2000 if kind == "loud-noise" else 40)


@settings(max_examples=60, deadline=None)
@given(segments=st.lists(SEGMENT, min_size=1, max_size=8), answers=st.lists(st.booleans()),
       end_silence=st.sampled_from([300, 500, 800]), pause=st.sampled_from([None, 200, 250]),
       prompt=st.booleans(), recognising=st.booleans())
def test_any_frame_sequence_gives_at_most_one_decision_in_order(
    segments: list[tuple[str, int]], answers: list[bool], end_silence: int,
    pause: int | None, prompt: bool, recognising: bool,
) -> None:
    pcm = b"".join(segment_audio(k, ms) for k, ms in segments)
    s = EndpointSettings(end_silence_ms=end_silence, pause_ms=pause, no_input_ms=None,
                         max_speech_ms=3000)
    step = TurnStep(s, 1500, recognising=recognising, prompt_playing=prompt)
    if prompt:
        drive(step, noise(200))
        step.prompt_ended()
    requests = drive(step, pcm, answers)
    decisions = [r for _, r in requests if isinstance(r, AskFinal | NoInputDue)]
    early = [r for _, r in requests if isinstance(r, AskEarly)][-1:] if step.early else []
    assert len(decisions) + len(early) <= 1
    assert step.done == bool(decisions or early)
    if step.done:  # nothing is asked after the decision
        last = requests[-1][1]
        assert last in decisions + early
    if not recognising:
        assert all(isinstance(r, NoInputDue) for _, r in requests)
    assert sum(isinstance(r, StopPrompt) for _, r in requests) == 0  # the prompt had ended
    if step.decided_ms is not None:
        assert step.speech_start_ms is not None
        assert step.speech_end_ms is not None
        assert step.speech_start_ms <= step.speech_end_ms <= step.decided_ms
    if recognising and requests:
        # What the recogniser hears is one unbroken stretch of the stream, up to the
        # last frame taken, starting at most a pre-roll before the speech.
        audio = (noise(200) if prompt else b"") + pcm
        heard = fed(requests)
        last_frame = requests[-1][0] + (10 if prompt else 0)
        assert audio[: last_frame * FRAME].endswith(heard)
        if heard and step.speech_start_ms is not None:
            assert len(audio[: last_frame * FRAME]) - len(heard) >= (
                step.speech_start_ms - PRE_ROLL_MS) * 16
