"""Whether a turn's audio came over a narrow-band line (nothing below ~300 Hz).

An analogue or PSTN leg passes 300–3400 Hz; a SIP phone's G.711 passes the
whole 0–4 kHz. Voiced speech puts 5–40 % of its energy between 70 and
250 Hz (the voice's fundamental), so a turn whose share there is under 2 % has
lost its low band somewhere on the way. The Korean model, trained on wide-band
speech, makes its confident wrong picks on exactly such lines (docs/speech.md,
"Narrow-band lines"), so the menu step confirms what it hears there rather than
choosing on its own (``confirm_narrowband``).

Measured on the accuracy benchmark's 135 recordings × 5 conditions (energy
share 70–250 Hz of 70–4000 Hz): clean, µ-law and 15 dB noise 0.046–0.41;
300–3400 Hz band and "phone" 0.00001–0.010. The threshold sits between, a
factor of about two from either side.
"""

from __future__ import annotations

import numpy as np

from ivr.speech.endpoint import SAMPLE_RATE

#: Below this share of energy in the low band, the line is narrow-band.
NARROWBAND_SHARE = 0.02
#: The band a 300–3400 Hz line removes and wide-band voiced speech fills (Hz); below 70 Hz
#: is left out, where DC offsets and mains hum live on either kind of line.
LOW_BAND = (70.0, 250.0)
#: 32 ms blocks at 8 kHz: bins of 31.25 Hz, so the low band is six bins.
BLOCK = 256
#: The meter judges once it has heard as much energy as 100 ms of speech at -30 dBFS
#: (in its own units: a Hann-windowed block's rfft power is about BLOCK/2 x 0.375 x the
#: block's sum of squares); faint noise or digital silence alone is neither kind of line.
MIN_ENERGY = (0.1 * SAMPLE_RATE) * (32768 * 10 ** (-30 / 20)) ** 2 * (BLOCK / 2) * 0.375


def is_narrowband(low_share: float | None) -> bool:
    """True when a turn's low-band share was measured and is almost nothing."""
    return low_share is not None and low_share < NARROWBAND_SHARE


class LineBand:
    """Accumulates a turn's low-band and total energy; see the module docstring."""

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        freqs = np.fft.rfftfreq(BLOCK, 1.0 / rate)
        self._low = (freqs >= LOW_BAND[0]) & (freqs <= LOW_BAND[1])
        self._all = freqs >= LOW_BAND[0]
        self._window = np.hanning(BLOCK)
        self._buf = bytearray()
        self.low_energy = 0.0
        self.total_energy = 0.0

    def feed(self, pcm: bytes) -> None:
        """Take 16-bit little-endian PCM; whole blocks are analysed, the rest kept."""
        self._buf += pcm
        whole = len(self._buf) // (2 * BLOCK) * (2 * BLOCK)
        if not whole:
            return
        samples = np.frombuffer(bytes(self._buf[:whole]), dtype="<i2").astype(np.float64)
        del self._buf[:whole]
        power = np.abs(np.fft.rfft(samples.reshape(-1, BLOCK) * self._window, axis=1)) ** 2
        self.low_energy += float(power[:, self._low].sum())
        self.total_energy += float(power[:, self._all].sum())

    @property
    def low_share(self) -> float | None:
        """Share of the energy in the low band, or ``None`` before there is enough signal."""
        if self.total_energy < MIN_ENERGY:
            return None
        return self.low_energy / self.total_energy

    @property
    def narrowband(self) -> bool:
        """True when enough signal was heard and almost none of it lies in the low band."""
        return is_narrowband(self.low_share)
