"""Upsampling telephone audio to the model's rate, and the model's rate itself."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ivr.speech.deterministic import DitheredFeed, model_rate
from ivr.speech.upsample import ZERO_CROSSINGS, Upsampler


def upsample(samples: list[float], factor: int, chunks: list[int]) -> array[float]:
    up, out, i = Upsampler(factor), array("f"), 0
    for size in chunks:
        out.extend(up.process(samples[i : i + size]))
        i += size
    out.extend(up.process(samples[i:]))
    out.extend(up.flush())
    return out


def test_a_tone_comes_out_as_the_same_tone_at_twice_the_rate() -> None:
    tone = [1000 * math.sin(2 * math.pi * 1000 * n / 8000) for n in range(800)]
    out = upsample(tone, 2, [])
    assert len(out) == 1600
    want = [1000 * math.sin(2 * math.pi * 1000 * n / 16000) for n in range(1600)]
    # Away from the edges (where silence is assumed outside the input) it is the tone.
    middle = range(4 * ZERO_CROSSINGS, 1600 - 4 * ZERO_CROSSINGS)
    assert max(abs(out[n] - want[n]) for n in middle) < 15


def test_input_samples_pass_through_at_their_own_times() -> None:
    samples = [float(n % 7 - 3) * 100 for n in range(50)]
    out = upsample(samples, 2, [])
    assert list(out[0::2]) == samples


@given(st.lists(st.integers(1, 400), max_size=6))
def test_chunking_does_not_change_the_output(chunks: list[int]) -> None:
    samples = [float((n * 37) % 200 - 100) for n in range(1000)]
    assert upsample(samples, 2, chunks) == upsample(samples, 2, [])


def test_the_feed_dithers_at_the_model_rate_the_same_way_every_time() -> None:
    pcm = array("h", [0] * 800).tobytes()
    one, two = DitheredFeed(8000, 16000), DitheredFeed(8000, 16000)
    a = one.convert(pcm) + one.flush()
    assert one.rate == 16000
    assert len(a) == 1600
    assert a == two.convert(pcm[:300]) + two.convert(pcm[300:]) + two.flush()
    # Silence in, noise of about one sample step out, in every band the model sees.
    assert 0.8 < math.sqrt(sum(x * x for x in a) / len(a)) < 1.2
    assert DitheredFeed(8000, 8000).rate == 8000
    assert DitheredFeed(8000, 22050).rate == 8000


def test_model_rate_comes_from_the_feature_config(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    assert model_rate(tmp_path) == 16000
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n", encoding="utf-8")
    assert model_rate(tmp_path) == 16000
    (tmp_path / "conf" / "mfcc.conf").write_text("--sample-frequency=8000\n", encoding="utf-8")
    assert model_rate(tmp_path) == 8000
