"""Band-limited upsampling of telephone audio to the rate a model was trained at.

Vosk models are trained on 16 kHz audio. Given 8 kHz samples, Kaldi first
upsamples them itself (a Hann-windowed sinc, cut off at the lower rate's
Nyquist frequency, six zero crossings each side) and only *then* dithers, so
the model's mel bands above 4 kHz hold white noise of one sample step, as in
training. We dither ourselves (see :mod:`ivr.speech.deterministic`), and
noise added at 8 kHz is removed from those bands by that same upsampling: they
were left near zero, their log energies extreme, and short words flipped with
the frame phase (measured: "확인" after 0-560 ms of silence was heard at 1 of 3
offsets, and not at all through Asterisk's RECORD FILE). So the audio is
upsampled here, with the same kind of filter, and dithered at the model's
rate.

Streaming: each output sample needs :data:`ZERO_CROSSINGS` input samples
ahead of it, so output lags input by that much (0.75 ms at 8 kHz) until
:meth:`Upsampler.flush` supplies the silence after the end.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

#: Zero crossings of the windowed sinc on each side (as Kaldi's online resampler).
ZERO_CROSSINGS = 6


def _phase_taps(factor: int, phase: int) -> tuple[tuple[int, float], ...]:
    """Taps ``(m, h)`` for output phase *phase*: ``y = sum(h * x[n - m])``."""
    frac = phase / factor
    taps = []
    for m in range(-ZERO_CROSSINGS, ZERO_CROSSINGS):
        t = m + frac  # distance from the input sample, in input samples
        if abs(t) >= ZERO_CROSSINGS:
            continue
        window = 0.5 * (1.0 + math.cos(math.pi * t / ZERO_CROSSINGS))
        taps.append((m, window * math.sin(math.pi * t) / (math.pi * t)))
    return tuple(taps)


class Upsampler:
    """Upsample a stream by an integer *factor* (1: samples pass through as floats)."""

    def __init__(self, factor: int) -> None:
        if factor < 1:
            raise ValueError(f"upsampling factor must be >= 1, not {factor}")
        self.factor = factor
        self._phases = [_phase_taps(factor, p) for p in range(1, factor)]
        # Before the first sample the input counts as silence (as in Kaldi).
        self._history = ZERO_CROSSINGS - 1
        self._buf = array("f", bytes(4 * self._history))

    def process(self, samples: Sequence[float]) -> array[float]:
        """Return the output samples that *samples* complete (``factor`` per input sample)."""
        if self.factor == 1:
            return array("f", samples)
        self._buf.extend(samples)
        return self._emit()

    def flush(self) -> array[float]:
        """Return the remaining output, taking the input after the end as silence."""
        if self.factor == 1:
            return array("f")
        self._buf.extend(array("f", bytes(4 * ZERO_CROSSINGS)))
        return self._emit()

    def _emit(self) -> array[float]:
        buf, h = self._buf, self._history
        count = len(buf) - h - ZERO_CROSSINGS
        if count <= 0:
            return array("f")
        out = array("f", bytes(4 * count * self.factor))
        out[0 :: self.factor] = buf[h : h + count]
        for phase, taps in enumerate(self._phases, start=1):
            acc = [0.0] * count
            for m, weight in taps:
                start = h - m
                acc = [a + weight * x for a, x in zip(acc, buf[start : start + count],
                                                      strict=True)]
            out[phase :: self.factor] = array("f", acc)
        del buf[:count]
        return out
