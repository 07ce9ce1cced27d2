"""Building and checking the static prompt audio of a flow set (``ivr prompts build``).

Audio files are named by content (see :mod:`ivr.prompts.audio`), so "up to
date" is just "the file exists": unchanged prompts are never rebuilt, and a
WAV in ``recordings/prompts/`` that no prompt names any more is stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ivr.prompts.audio import PROMPTS_DIR, audio_file, recording_path, voice_of
from ivr.prompts.catalog import Catalog, Entry
from ivr.prompts.tts import TtsError, synthesize


@dataclass(frozen=True, slots=True)
class Status:
    """How the audio on disk compares with what the flows need."""

    #: Static prompts whose audio has not been built.
    missing: tuple[Entry, ...]
    #: Static prompts whose audio is there.
    present: tuple[Entry, ...]
    #: WAVs in ``recordings/prompts/`` that no prompt names (old texts, old voices).
    stale: tuple[Path, ...]
    #: ``file:`` recordings that do not exist (people must record them).
    missing_recordings: tuple[Entry, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is missing or stale."""
        return not (self.missing or self.stale or self.missing_recordings)


@dataclass(slots=True)
class BuildResult:
    """What :func:`build` did."""

    built: list[Entry] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    failed: list[tuple[Entry, str]] = field(default_factory=list)


def check(catalog: Catalog, recordings_dir: Path) -> Status:
    """Compare *catalog* with the files under *recordings_dir* (reads only)."""
    missing: list[Entry] = []
    present: list[Entry] = []
    wanted: set[Path] = set()
    for entry in catalog.static:
        path = audio_file(entry.prompt, recordings_dir)
        wanted.add(path)
        (present if path.is_file() else missing).append(entry)
    folder = recordings_dir / PROMPTS_DIR
    # Only the top level: dynamic/ and tmp/ hold audio made during calls.
    on_disk = sorted(folder.glob("*.wav")) if folder.is_dir() else []
    stale = tuple(p for p in on_disk if p not in wanted)
    missing_recordings = tuple(e for e in catalog.files if not _recording_exists(e, recordings_dir))
    return Status(tuple(missing), tuple(present), stale, missing_recordings)


def build(
    catalog: Catalog,
    recordings_dir: Path,
    progress: Callable[[Entry, Path], None] | None = None,
) -> BuildResult:
    """Synthesise every static prompt whose audio is missing; skip the rest.

    A prompt that fails (say, an unknown voice) is reported in
    ``failed`` and the others are still built.
    """
    result = BuildResult()
    for entry in catalog.static:
        path = audio_file(entry.prompt, recordings_dir)
        if path.is_file():
            result.skipped.append(entry)
            continue
        if progress is not None:
            progress(entry, path)
        assert entry.prompt.text is not None  # static entries are text
        try:
            synthesize(entry.prompt.text, voice_of(entry.prompt), path)
        except TtsError as exc:
            result.failed.append((entry, str(exc)))
        else:
            result.built.append(entry)
    return result


def prune(stale: tuple[Path, ...]) -> int:
    """Delete stale WAVs; return how many were removed."""
    removed = 0
    for path in stale:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


def _recording_exists(entry: Entry, recordings_dir: Path) -> bool:
    assert entry.prompt.file is not None
    try:
        return recording_path(entry.prompt.file, recordings_dir).is_file()
    except ValueError:
        return False
