"""The AGI session's speech dependency: one listening turn on a FastAGI channel.

``SessionDeps(speech=SpeechTurns(service, config.speech))`` makes the session
run every ``Gather`` with speech through here. AudioSocket mode streams (see
:mod:`ivr.speech.gather`); record mode plays the prompt with ``STREAM FILE``
(a key interrupts it and digit entry goes on with ``WAIT FOR DIGIT``) and
then records and recognises the answer (see :mod:`ivr.speech.record_fallback`).
If AudioSocket turns out to be unavailable on this Asterisk (module not
loaded, address unreachable), the turn and every later one fall back to
record mode, with one warning, instead of failing the call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from ivr.agi.channel import AgiChannel, AgiCommandError
from ivr.agi.media import KeyRules, collect_digits, playable
from ivr.config import SpeechConfig
from ivr.flows.effects import DigitSpec, Gather
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
                self.streaming = False
                log.warning("AudioSocket unavailable (%s); speech falls back to RECORD FILE", exc)
        return await self._record_turn(effect, channel, files)

    async def _record_turn(
        self, effect: Gather, channel: AgiChannel, files: Sequence[Path]
    ) -> Turn:
        spec = effect.digits
        escape = ""
        if spec is not None and effect.barge_in:
            escape = spec.valid_keys + (spec.finish_key or "")
        played_ms = 0
        for path in files:
            playback = await channel.stream_file(playable(path), escape)
            played_ms += (playback.endpos or 0) // 8
            if playback.digit is not None:
                rules = KeyRules.from_spec(spec or DigitSpec())
                event = await collect_digits(channel, rules, playback.digit)
                return Turn(event, TurnTiming(played_ms, played_ms))
        turn = await record_and_recognise(
            channel, effect, self.service.models, self.paths, self.config.record_silence_s
        )
        return Turn(turn.event, TurnTiming(played_ms, played_ms), turn.recognition).with_evidence()
