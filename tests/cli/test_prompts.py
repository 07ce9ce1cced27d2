"""``ivr prompts build``: playable 8 kHz WAVs for the example, nothing rebuilt twice, --check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.prompts.audio import audio_file
from ivr.prompts.catalog import build_catalog
from tests.flowsets import EXAMPLE, example_flowset
from tests.prompts.support import assert_telephone_speech, need_tts


@pytest.fixture(autouse=True)
def _tts() -> None:
    need_tts()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Copy the example flows into tmp (so recordings/ lands beside them there)."""
    shutil.copy(EXAMPLE, tmp_path / "flows.yaml")
    shutil.copytree(EXAMPLE.parent / "flows", tmp_path / "flows")
    return tmp_path / "flows.yaml"


def test_build_example_then_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = build_catalog(example_flowset())
    count = len(catalog.static)
    assert count > 30
    assert main(["prompts", "build", "--flows", str(project)]) == 0
    assert f"{count} built, 0 skipped" in capsys.readouterr().out
    recordings = project.parent / "recordings"
    paths = []
    for entry in catalog.static:
        path = audio_file(entry.prompt, recordings)
        assert entry.prompt.text is not None
        assert_telephone_speech(path, entry.prompt.text)
        paths.append(path)
    assert sorted((recordings / "prompts").glob("*.wav")) == sorted(paths)
    mtimes = [p.stat().st_mtime_ns for p in paths]
    assert main(["prompts", "build", "--flows", str(project)]) == 0
    assert f"0 built, {count} skipped" in capsys.readouterr().out
    assert [p.stat().st_mtime_ns for p in paths] == mtimes


def test_check_detects_deleted_and_stale(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recordings = project.parent / "rec"
    args = ["prompts", "build", "--flows", str(project), "--recordings", str(recordings)]
    assert main([*args, "--check"]) == 1
    assert "missing: settings.no_input [en]" in capsys.readouterr().out
    assert main(args) == 0
    assert main([*args, "--check"]) == 0
    capsys.readouterr()
    entry = build_catalog(example_flowset()).static[0]
    audio_file(entry.prompt, recordings).unlink()
    old = recordings / "prompts" / "ffffffffffffffffffffffffffffffff.wav"
    old.write_bytes(b"RIFF")
    assert main([*args, "--check"]) == 1
    out = capsys.readouterr().out
    assert f"missing: {entry.where[0]}" in out
    assert f"stale: {old}" in out
    assert main([*args, "--prune"]) == 0
    assert "1 built" in capsys.readouterr().out
    assert not old.exists()
    assert main([*args, "--check"]) == 0


def test_list_shows_static_and_call_time_prompts(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prompts", "list", "--flows", str(project)]) == 0
    out = capsys.readouterr().out
    assert "missing  " in out
    assert '"For English, press 1."' in out
    assert "(made during the call)" in out
    assert "account.say_balance.prompt" in out
