"""Where a prompt's audio lives, and making it on demand during a call.

Synthesised prompts are named by a hash of text, voice, language and the
synthesiser version (:data:`ivr.prompts.tts.SYNTH_VERSION`), so the same words
always map to the same file and a changed prompt gets a new one:

- ``recordings/prompts/<hash>.wav``: static prompts, made by ``ivr prompts build``;
- ``recordings/prompts/dynamic/<hash>.wav``: prompts with variables filled in
  ("Your balance is 42 dollars"), made during calls by :func:`ensure_audio`;
  a cache that may be emptied while the service is stopped;
- ``recordings/prompts/tmp/``: prompts holding caller secrets, made by
  :func:`temporary_audio` and deleted right after playback.

Asterisk's ``STREAM FILE`` wants the path without ``.wav``: use ``path.with_suffix("")``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from ivr.flows.effects import Prompt
from ivr.prompts.tts import SYNTH_VERSION, synthesize

PROMPTS_DIR = "prompts"
DYNAMIC_DIR = "dynamic"
TMP_DIR = "tmp"

#: Per-file lock and how many threads hold or wait for it.
_locks: dict[Path, tuple[threading.Lock, int]] = {}
_locks_guard = threading.Lock()


def audio_name(text: str, voice: str | None, language: str) -> str:
    """Name the audio of synthesised *text*: a hash of everything that decides its sound."""
    key = json.dumps([SYNTH_VERSION, language, voice or "", text], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def voice_of(prompt: Prompt) -> str:
    """Pick the espeak-ng voice for *prompt*: its own, else its language's default."""
    return prompt.voice or prompt.language


def audio_file(prompt: Prompt, recordings_dir: Path) -> Path:
    """Locate the WAV a static prompt plays: a recording, or audio built ahead of time.

    For ``file:`` prompts this is ``recordings_dir / file`` (which must stay
    inside *recordings_dir*); for text it is
    ``recordings_dir/prompts/<audio_name>.wav`` whether or not it exists yet.
    """
    if prompt.file is not None:
        return recording_path(prompt.file, recordings_dir)
    if prompt.text is None:
        raise ValueError("a prompt needs text or a file")
    name = audio_name(prompt.text, prompt.voice, prompt.language)
    return recordings_dir / PROMPTS_DIR / f"{name}.wav"


def recording_path(file: str, recordings_dir: Path) -> Path:
    """``recordings_dir / file``, refusing absolute paths and ``..`` that would leave it."""
    relative = Path(file)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ValueError(f"recording {file!r} must be a relative path inside the recordings folder")
    return recordings_dir / relative


async def ensure_audio(prompt: Prompt, recordings_dir: Path) -> Path:
    """Return a WAV path that plays *prompt*, synthesising it first if needed.

    Built (static) audio is used when present; other text is synthesised into
    the dynamic cache in a worker thread, never on the event loop. Two calls
    for the same text never write the same file at once. Raises
    :class:`FileNotFoundError` for a missing recording, :class:`ValueError`
    for a ``sensitive`` prompt (use :func:`temporary_audio`, which leaves no
    file behind) and :class:`ivr.prompts.tts.TtsError` when synthesis fails.
    """
    path = audio_file(prompt, recordings_dir)
    if prompt.file is not None:
        if not path.is_file():
            raise FileNotFoundError(f"recording {prompt.file!r} is missing under {recordings_dir}")
        return path
    if prompt.sensitive:
        raise ValueError("sensitive prompts must not be cached on disk; use temporary_audio()")
    if path.is_file():
        return path
    dynamic = path.parent / DYNAMIC_DIR / path.name
    if dynamic.is_file():
        return dynamic
    assert prompt.text is not None  # audio_file() checked it
    await asyncio.to_thread(_make_once, prompt.text, voice_of(prompt), dynamic)
    return dynamic


@asynccontextmanager
async def temporary_audio(prompt: Prompt, recordings_dir: Path) -> AsyncIterator[Path]:
    """Synthesise *prompt* into a randomly named WAV that is deleted on exit.

    For prompts that hold caller secrets (a PIN read back): the file name says
    nothing about the text, and the file is gone once the block ends.
    """
    if prompt.text is None:
        yield await ensure_audio(prompt, recordings_dir)
        return
    path = recordings_dir / PROMPTS_DIR / TMP_DIR / f"{uuid.uuid4().hex}.wav"
    work = asyncio.ensure_future(asyncio.to_thread(synthesize, prompt.text, voice_of(prompt), path))
    try:
        # shield: a hang-up must not leave the thread writing a secret nobody deletes.
        await asyncio.shield(work)
        yield path
    finally:
        if not work.done():
            work.add_done_callback(lambda task: _discard(path, task))
        _discard(path)


def _discard(path: Path, task: asyncio.Future[None] | None = None) -> None:
    if task is not None and not task.cancelled():
        task.exception()  # mark a late failure as seen: nobody is left to tell
    path.unlink(missing_ok=True)


def _make_once(text: str, voice: str, path: Path) -> None:
    """Synthesise into *path* unless another thread did while we waited for its lock."""
    with _locks_guard:
        lock, users = _locks.get(path, (threading.Lock(), 0))
        _locks[path] = (lock, users + 1)
    try:
        with lock:
            if not path.is_file():
                synthesize(text, voice, path)
    finally:
        with _locks_guard:
            # Forget the lock when its last user leaves, so the table does not grow per call.
            lock, users = _locks[path]
            if users == 1:
                del _locks[path]
            else:
                _locks[path] = (lock, users - 1)
