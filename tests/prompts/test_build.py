"""Building prompt audio ahead of time: only what is missing; checking finds gaps and leftovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.prompts.audio import audio_file
from ivr.prompts.build import build, check, prune
from ivr.prompts.catalog import build_catalog
from tests.flowsets import flowset_from_yaml
from tests.prompts.support import assert_telephone_speech

pytestmark = pytest.mark.usefixtures("tts")

FLOWS = """
settings:
  languages: [en, es]
  voices: {en: en-us, es: es}
  no_input: null
  no_match: null
flows:
  f:
    start: hello
    nodes:
      hello:
        type: play
        prompt: {en: "Hello and welcome.", es: "Hola y bienvenido."}
        next: bye
      bye:
        type: hangup
        prompt: [{file: bye.wav}, {en: "Goodbye {name}."}]
"""


def test_build_then_nothing_to_do(tmp_path: Path) -> None:
    catalog = build_catalog(flowset_from_yaml(FLOWS))
    assert len(catalog.static) == 2
    first = build(catalog, tmp_path)
    assert (len(first.built), len(first.skipped), first.failed) == (2, 0, [])
    paths = [audio_file(e.prompt, tmp_path) for e in catalog.static]
    for entry, path in zip(catalog.static, paths, strict=True):
        assert entry.prompt.text is not None
        assert_telephone_speech(path, entry.prompt.text)
    mtimes = [p.stat().st_mtime_ns for p in paths]
    second = build(catalog, tmp_path)
    assert (len(second.built), len(second.skipped)) == (0, 2)
    assert [p.stat().st_mtime_ns for p in paths] == mtimes


def test_check_finds_missing_stale_and_unrecorded(tmp_path: Path) -> None:
    catalog = build_catalog(flowset_from_yaml(FLOWS))
    status = check(catalog, tmp_path)
    assert (len(status.missing), len(status.present), status.stale) == (2, 0, ())
    assert [e.prompt.file for e in status.missing_recordings] == ["bye.wav"]
    assert not status.ok
    build(catalog, tmp_path)
    (tmp_path / "bye.wav").write_bytes(b"RIFF")
    assert check(catalog, tmp_path).ok
    gone = audio_file(catalog.static[0].prompt, tmp_path)
    gone.unlink()
    old = tmp_path / "prompts" / "0123456789abcdef0123456789abcdef.wav"
    old.write_bytes(b"RIFF")
    (tmp_path / "prompts" / "dynamic").mkdir()
    (tmp_path / "prompts" / "dynamic" / "call-time.wav").write_bytes(b"RIFF")
    status = check(catalog, tmp_path)
    assert [e.prompt for e in status.missing] == [catalog.static[0].prompt]
    assert status.stale == (old,)  # audio made during calls is not stale
    assert prune(status.stale) == 1
    assert not old.exists()
    assert check(catalog, tmp_path).stale == ()


def test_a_bad_voice_fails_alone(tmp_path: Path) -> None:
    flows = FLOWS.replace("es: es}", "es: klingon}")
    catalog = build_catalog(flowset_from_yaml(flows))
    result = build(catalog, tmp_path)
    assert [e.prompt.text for e in result.built] == ["Hello and welcome."]
    assert [e.prompt.text for e, _ in result.failed] == ["Hola y bienvenido."]
    assert "klingon" in result.failed[0][1]
