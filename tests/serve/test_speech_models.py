"""Speech models load when a flow needs them, not when the service starts.

Asserted through the model loader (not the process's memory): a flow set that
only takes keys loads no model, one that listens in Korean loads the Korean
model once, in the background, and a reload that starts listening loads it then.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from ivr.config import Config
from ivr.interpreter.speech_turn import SpeechTurns
from ivr.serve.service import IvrService
from ivr.serve.wiring import engine_call_factory, flows_loader
from ivr.speech import models
from ivr.speech.gather import SpeechService

TESTS = Path(__file__).parents[1]
KEYS_ONLY = TESTS / "agi" / "flows" / "session.yaml"
LISTENS_KO = TESTS / "speech" / "flows_ko.yaml"


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every model directory the loader is asked for (the loader is a stand-in: no Vosk)."""
    asked: list[Path] = []

    def fake_load(path: Path) -> Any:
        asked.append(path)
        return object()

    monkeypatch.setattr(models, "_load_vosk", fake_load)
    return asked


def _service(tmp_path: Path, flows: Path) -> tuple[IvrService, SpeechTurns]:
    path = tmp_path / "flows.yaml"
    shutil.copy(flows, path)
    # Model directories of this test only, so the process-wide registry is a fresh one.
    for language in ("en", "ko"):
        (tmp_path / "models" / language).mkdir(parents=True)
    config = Config.model_validate({
        "flows": {"path": str(path), "reload": False},
        "agi": {"port": 0},
        "ami": {"enabled": False},
        "speech": {"audiosocket_port": 0, "models_dir": str(tmp_path / "models")},
    })
    speech = SpeechTurns(SpeechService.from_config(config.speech), config.speech)
    return IvrService(config, flows_loader(), engine_call_factory(), speech=speech), speech


async def test_a_keys_only_flow_set_loads_no_model(tmp_path: Path, loads: list[Path]) -> None:
    service, speech = _service(tmp_path, KEYS_ONLY)
    await service.start()
    try:
        await speech.loaded()
        assert set(speech.service.models.languages) >= {"en", "ko"}  # models are there...
        assert loads == []  # ...and none was loaded
        assert speech.service.models.loads == 0
    finally:
        await service.close()


async def test_a_flow_listening_in_korean_loads_only_korean_in_the_background(
        tmp_path: Path, loads: list[Path]) -> None:
    service, speech = _service(tmp_path, LISTENS_KO)
    await service.start()
    try:
        await speech.loaded()
        assert loads == [tmp_path / "models" / "ko"]
    finally:
        await service.close()


async def test_a_reload_that_starts_listening_loads_the_model_then(
        tmp_path: Path, loads: list[Path]) -> None:
    service, speech = _service(tmp_path, KEYS_ONLY)
    await service.start()
    try:
        await speech.loaded()
        assert loads == []
        shutil.copy(LISTENS_KO, tmp_path / "flows.yaml")
        assert await service.flows.reload_off_loop()
        for _ in range(100):
            if loads:
                break
            await asyncio.sleep(0.02)
        await speech.loaded()
        assert loads == [tmp_path / "models" / "ko"]
    finally:
        await service.close()
