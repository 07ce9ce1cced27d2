"""The FastAGI transport's speech turns: one listening turn on a FastAGI channel.

``AgiTransport(channel, recordings, speech=SpeechTurns(service, config.speech))``
runs every ``Gather`` with speech through here. AudioSocket mode streams (see
:mod:`ivr.speech.gather`); record mode plays the prompt with ``STREAM FILE``
(a key interrupts it and digit entry goes on with ``WAIT FOR DIGIT``) and
then records and recognises the answer (see :mod:`ivr.speech.record_fallback`).
If AudioSocket turns out to be unavailable on this Asterisk (module not
loaded, address unreachable), the turn and every later one fall back to
record mode, with one warning, instead of failing the call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from ivr.agi.channel import AgiChannel
from ivr.agi.errors import AgiCommandError, ChannelHungUp
from ivr.config import SpeechConfig
from ivr.flows.effects import DigitSpec, Gather
from ivr.flows.keys import escape_keys
from ivr.interpreter.agi_media import collect_digits, playable
from ivr.speech.gather import AudioSocketUnavailable, SpeechService, gather
from ivr.speech.listen import Turn, TurnTiming
from ivr.speech.record_fallback import RecordPaths, record_and_recognise

log = logging.getLogger(__name__)


class SpeechTurns:
    """Callable as ``speech(effect, channel, files) -> Turn`` (``turn.event`` for the engine)."""

    def __init__(
        self, service: SpeechService, config: SpeechConfig, paths: RecordPaths | None = None
    ) -> None:
        self.service = service
        self.config = config
        self.paths = paths or RecordPaths.from_config(config)
        self.streaming = config.audio == "audiosocket"
        self._loading: set[asyncio.Task[tuple[str, ...]]] = set()

    async def start(self) -> None:
        """Listen for AudioSocket (models load when flows need them: :meth:`prepare`)."""
        await self.service.server.start()

    def prepare(self, languages: Iterable[str]) -> None:
        """Load the models of *languages* in the background, so no caller waits for a load.

        Called with the languages the loaded flows listen in; a model no flow needs
        is never loaded (a Korean model alone holds ~500 MiB). A turn in a language
        not prepared still works: its model loads on that first turn.
        """
        wanted = [lang for lang in languages if self.hears(lang)
                  or self.hears(lang.split("-")[0].split("_")[0].lower())]
        if not wanted:
            return
        task = asyncio.get_running_loop().create_task(self._load(wanted), name="speech-models")
        self._loading.add(task)
        task.add_done_callback(self._loading.discard)

    async def _load(self, languages: list[str]) -> tuple[str, ...]:
        try:
            loaded = await self.service.warm_up(languages)
        except Exception:
            log.exception("speech models for %s failed to load; speech turns in those "
                          "languages will try again", ", ".join(languages))
            return ()
        log.info("speech models loaded for %s", ", ".join(loaded) or "no language")
        return loaded

    async def loaded(self) -> None:
        """Wait for the loads :meth:`prepare` started (tests, and a clean shutdown)."""
        await asyncio.gather(*self._loading, return_exceptions=True)

    async def close(self) -> None:
        """Stop listening for AudioSocket (a model still loading finishes in its thread)."""
        await self.loaded()
        await self.service.server.close()

    def hears(self, language: str) -> bool:
        """True when a model for *language* is configured or packaged (keys only otherwise)."""
        return language in self.service.models.languages

    async def __call__(self, effect: Gather, channel: AgiChannel, files: Sequence[Path]) -> Turn:
        """Run one listening turn for *effect*, playing *files* as its prompt."""
        if self.streaming:
            try:
                turn = await gather(effect, channel.exec_app, files, self.service)
                return turn.with_evidence()
            except (AudioSocketUnavailable, AgiCommandError) as exc:
                if channel.hung_up:
                    # The caller left before Asterisk connected: AudioSocket is fine, and
                    # must stay on for every later call (found by the demo's callers).
                    raise ChannelHungUp("hung up before AudioSocket connected") from exc
                self.streaming = False
                log.warning("AudioSocket unavailable (%s); speech falls back to RECORD FILE", exc)
        return await self._record_turn(effect, channel, files)

    async def _record_turn(
        self, effect: Gather, channel: AgiChannel, files: Sequence[Path]
    ) -> Turn:
        escape = escape_keys(effect)
        played_ms = 0
        for path in files:
            playback = await channel.stream_file(playable(path), escape)
            played_ms += (playback.endpos or 0) // 8
            if playback.digit is not None:
                event = await collect_digits(channel, effect.digits or DigitSpec(), playback.digit)
                return Turn(event, TurnTiming(played_ms, played_ms))
        turn = await record_and_recognise(
            channel, effect, self.service.models, self.paths, self.config.record_silence_s
        )
        return Turn(turn.event, TurnTiming(played_ms, played_ms), turn.recognition).with_evidence()
