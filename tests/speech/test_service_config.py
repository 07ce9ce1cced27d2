"""Building the speech side from ``[speech]`` config."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from pydantic import ValidationError

from ivr.config import load_config
from ivr.speech.gather import SpeechService
from ivr.speech.models import (
    ModelNotConfigured,
    ModelRegistry,
    dropped_in_models,
    model_dirs,
    packaged_model_dir,
)
from ivr.speech.record_fallback import RecordPaths


def test_env_names_models_and_the_address_asterisk_dials(tmp_path: Path) -> None:
    config = load_config(environ={
        "IVR_SPEECH_MODELS": f"en={tmp_path / 'en'}",
        "IVR_SPEECH_AUDIOSOCKET_PORT": "9999",
        "IVR_SPEECH_AUDIOSOCKET_CONNECT": "10.0.0.5:19092",
    })
    assert config.speech.models == {"en": tmp_path / "en"}
    service = SpeechService.from_config(config.speech)
    assert service.server.port == 9999
    assert service.address == "10.0.0.5:19092"
    assert "en" in service.models.languages


def test_bad_models_value_is_a_config_error() -> None:
    with pytest.raises(ValidationError):
        load_config(environ={"IVR_SPEECH_MODELS": "just-a-path"})


def test_packaged_korean_model_is_the_fallback_unless_configured(tmp_path: Path) -> None:
    packaged = packaged_model_dir("ko")
    if packaged is not None:
        assert model_dirs({})["ko"] == packaged
    assert model_dirs({"ko": tmp_path})["ko"] == tmp_path
    assert packaged_model_dir("xx") is None


def test_models_dropped_into_speech_models_are_found_by_language(tmp_path: Path) -> None:
    models = tmp_path / "speech" / "models"
    for name in ("en", "pt-br", "vosk-model-small-en-us-0.15"):  # the last is not a language tag
        (models / name).mkdir(parents=True)
    (models / "README.md").write_text("a file, not a model")
    found = dropped_in_models(models)
    assert found == {"en": models / "en", "pt-br": models / "pt-br"}
    assert dropped_in_models(tmp_path / "absent") == {}
    # The config wins over a drop-in; a drop-in wins over a packaged model.
    (models / "ko").mkdir()
    dirs = model_dirs({"en": tmp_path / "configured-en"}, models)
    assert dirs["en"] == tmp_path / "configured-en"
    assert dirs["ko"] == models / "ko"
    assert dirs["pt-br"] == models / "pt-br"


def test_default_config_looks_in_speech_models() -> None:
    assert load_config(environ={}).speech.models_dir == Path("speech/models")


def test_missing_model_is_reported_by_language(tmp_path: Path) -> None:
    registry = ModelRegistry({"en": tmp_path / "absent"})
    with pytest.raises(ModelNotConfigured, match="fr"):
        registry.get("fr")
    with pytest.raises(ModelNotConfigured, match="does not exist"):
        registry.get("en")


def test_record_paths_as_each_side_sees_them(tmp_path: Path) -> None:
    config = load_config(environ={
        "IVR_SPEECH_RECORD_DIR": str(tmp_path / "asr"),
        "IVR_SPEECH_RECORD_DIR_ASTERISK": "/var/spool/asterisk/asr",
    })
    paths = RecordPaths.from_config(config.speech)
    assert paths.local == tmp_path / "asr"
    assert paths.for_asterisk("asr-1") == "/var/spool/asterisk/asr/asr-1"
    same = RecordPaths(Path("rel/dir"))
    assert PurePosixPath(same.for_asterisk("x")).is_absolute()
