"""The FastAGI transport's media: prompts with barge-in, digit collection, recording.

Prompts are files under the recordings directory, played by absolute path
without extension (Asterisk picks the format). The sandbox bind-mounts that
directory at the same path inside its chroot, and a production Asterisk
shares it the same way, so one path means one file on both sides.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from ivr.agi.channel import AgiChannel
from ivr.flows.effects import DigitSpec, Prompt
from ivr.flows.events import Digits, NoInput, Recorded
from ivr.flows.keys import add_key, enter_keys, timed_out
from ivr.prompts.audio import ensure_audio, temporary_audio

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000
#: Audio already found or built, so a busy menu does not stat the same files on every call.
#: Names are content hashes, so an entry never goes stale; the bound only caps memory.
_known_audio: dict[tuple[Prompt, Path], Path] = {}
_KNOWN_AUDIO_MAX = 4096


@contextlib.asynccontextmanager
async def prompt_files(
    prompts: Sequence[Prompt], recordings_dir: Path
) -> AsyncIterator[list[Path]]:
    """WAV paths for *prompts* (sensitive ones are synthesised to files deleted afterwards)."""
    async with contextlib.AsyncExitStack() as stack:
        paths: list[Path] = []
        for prompt in prompts:
            if prompt.sensitive and prompt.text is not None:
                temporary = temporary_audio(prompt, recordings_dir)
                paths.append(await stack.enter_async_context(temporary))
                continue
            key = (prompt, recordings_dir)
            path = _known_audio.get(key)
            if path is None:
                path = await ensure_audio(prompt, recordings_dir)
                if len(_known_audio) >= _KNOWN_AUDIO_MAX:
                    _known_audio.clear()
                _known_audio[key] = path
            paths.append(path)
        yield paths


def playable(path: Path) -> str:
    """Asterisk's name for a sound file: absolute, without the extension."""
    absolute = path if path.is_absolute() else path.resolve()
    return str(absolute.with_suffix(""))


async def play(
    channel: AgiChannel, prompts: Sequence[Prompt], recordings_dir: Path, escape_keys: str
) -> str | None:
    """Play *prompts* in order; return the key in *escape_keys* that stopped them, if any."""
    async with prompt_files(prompts, recordings_dir) as paths:
        for path in paths:
            playback = await channel.stream_file(playable(path), escape_keys)
            if playback.digit is not None:
                return playback.digit
    return None


async def collect_digits(
    channel: AgiChannel, spec: DigitSpec, pressed: str = ""
) -> Digits | NoInput:
    """Collect keys with ``WAIT FOR DIGIT`` by :mod:`ivr.flows.keys`' rule.

    *pressed* are keys the caller already gave this entry (the one that stopped the prompt);
    they go through the same rule first, and may complete it.
    """
    entry = enter_keys("", pressed, spec)
    return entry.done or await go_on_collecting(channel, spec, entry.entered)


async def go_on_collecting(channel: AgiChannel, spec: DigitSpec, keys: str) -> Digits | NoInput:
    """Go on with an entry whose keys so far, *keys*, the rule has already taken."""
    while True:
        timeout_s = spec.inter_digit_timeout_s if keys else spec.timeout_s
        key = await channel.wait_for_digit(int(timeout_s * 1000))
        if key is None:
            return timed_out(keys)
        keys, done = add_key(keys, key, spec)
        if done is not None:
            return done


async def record(
    channel: AgiChannel,
    recordings_dir: Path,
    relative: str,
    max_seconds: int,
    silence_s: int,
    beep: bool,
    finish_keys: str,
) -> Recorded:
    """Record the caller into ``recordings_dir/relative.wav`` (``file`` comes back relative)."""
    target = (recordings_dir / relative).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    result = await channel.record_file(
        str(target),
        "wav",
        finish_keys,
        max_seconds * 1000,
        beep=beep,
        silence_s=silence_s or None,
    )
    duration = (result.endpos or 0) / SAMPLE_RATE
    return Recorded(file=f"{relative}.wav", duration_s=round(duration, 2), reason=result.reason)
