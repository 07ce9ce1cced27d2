"""The public entry for a ``Gather`` with speech: what the AGI session calls.

Usage from an AGI session (``channel`` is the session's AGI channel)::

    turn = await gather(effect, channel.exec_app, prompt_wavs, speech)
    call.receive(turn.event, now)

:func:`gather` registers a fresh UUID with the AudioSocket server, runs
``EXEC AudioSocket <uuid>,<host>:<port>`` through *run_app* (which blocks on
the Asterisk side until we send the hang-up frame), plays the prompt WAVs
over the socket and listens (see :mod:`ivr.speech.listen`). The returned
:class:`~ivr.speech.listen.Turn` carries the engine event and, for the call
record, the recognition (text, confidence, timing) and barge-in timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid as uuid_mod
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ivr.config import SpeechConfig
from ivr.flows.effects import Gather, SpeechSpec
from ivr.flows.events import Hangup
from ivr.speech.audiosocket.server import AudioSocketServer, AudioSocketSession
from ivr.speech.endpoint import EndpointSettings
from ivr.speech.grammar import normalise
from ivr.speech.listen import ListenSpec, Turn, TurnEvent, listen
from ivr.speech.models import LoadedModel, ModelNotConfigured, ModelRegistry, shared_registry
from ivr.speech.recognizer import Recognizer, recognition_pool
from ivr.speech.vocabulary import missing_words
from ivr.speech.wav import read_pcm

log = logging.getLogger(__name__)

#: ``run_app(app, args)`` runs a dialplan application on the call, e.g. ``AgiChannel.exec_app``.
RunApp = Callable[[str, str], Awaitable[int]]

#: How long Asterisk may take to connect after ``EXEC AudioSocket`` was sent.
CONNECT_TIMEOUT_S = 5.0
#: How long ``EXEC AudioSocket`` may take to return after our hang-up frame.
RETURN_TIMEOUT_S = 5.0


class AudioSocketUnavailable(RuntimeError):
    """Asterisk never connected (no app_audiosocket, wrong address): use the record fallback."""


@dataclass(slots=True)
class SpeechService:
    """What a listening turn needs from the process: the socket server and the models.

    ``connect_host``/``connect_port`` are the address Asterisk dials, when it
    differs from where the server listens (NAT, containers).
    """

    server: AudioSocketServer
    models: ModelRegistry
    connect_host: str | None = None
    connect_port: int | None = None

    @classmethod
    def from_config(cls, config: SpeechConfig) -> SpeechService:
        """Build the service's speech side from ``[speech]`` (start ``server`` before use)."""
        host = port = None
        if config.audiosocket_connect:
            host_text, _, port_text = config.audiosocket_connect.rpartition(":")
            host, port = host_text or None, int(port_text)
        server = AudioSocketServer(config.audiosocket_host, config.audiosocket_port)
        return cls(server, shared_registry(config.models, config.models_dir), host, port)

    async def warm_up(self, languages: Iterable[str] | None = None) -> tuple[str, ...]:
        """Load the models of *languages* (default: every configured one) off the loop.

        Returns the languages loaded; one without a model is skipped (its turns will
        say so). A model already loaded is not loaded again.
        """
        loop = asyncio.get_running_loop()
        wanted = self.models.languages if languages is None else tuple(sorted(languages))
        loaded = []
        for language in wanted:
            try:
                await loop.run_in_executor(recognition_pool(), _model_for, self.models, language)
            except ModelNotConfigured:
                continue
            loaded.append(language)
        return tuple(loaded)

    @property
    def address(self) -> str:
        """``host:port`` for the AudioSocket application."""
        return f"{self.connect_host or self.server.host}:{self.connect_port or self.server.port}"


def _model_for(models: ModelRegistry, language: str) -> LoadedModel:
    try:
        return models.get(language)
    except ModelNotConfigured:
        base = language.split("-")[0].split("_")[0].lower()
        if base == language:
            raise
        return models.get(base)


_warned: set[tuple[str, tuple[str, ...]]] = set()


def _warn_unknown_words(model: LoadedModel, phrases: tuple[str, ...]) -> None:
    # Vosk silently drops grammar words it does not know; say so once per menu.
    key = (model.language, phrases)
    if key in _warned:
        return
    _warned.add(key)
    unknown = missing_words((normalise(p) for p in phrases), model.vocabulary)
    if unknown:
        log.warning(
            "the %s model cannot hear these menu words (not in its vocabulary): %s",
            model.language, ", ".join(unknown),
        )


async def make_recognizer(models: ModelRegistry, speech: SpeechSpec) -> Recognizer:
    """Create the turn's recogniser off the event loop (a first use loads the model)."""

    def build() -> Recognizer:
        model = _model_for(models, speech.language)
        if speech.phrases is not None:
            _warn_unknown_words(model, speech.phrases)
        return Recognizer(model, speech.phrases, carriers=speech.carriers)

    return await asyncio.get_running_loop().run_in_executor(recognition_pool(), build)


async def listen_spec(effect: Gather, models: ModelRegistry) -> ListenSpec:
    """Translate a ``Gather`` into what :func:`listen` needs."""
    recognizer = None
    endpoint = EndpointSettings()
    if effect.speech is not None:
        recognizer = await make_recognizer(models, effect.speech)
        endpoint = EndpointSettings(
            end_silence_ms=effect.speech.end_silence_ms,
            max_speech_ms=round(effect.speech.max_speech_s * 1000),
        )
    no_input_s = effect.digits.timeout_s if effect.digits is not None else 5.0
    return ListenSpec(effect.digits, recognizer, endpoint, effect.barge_in, no_input_s)


def prompt_audio(files: Sequence[Path]) -> bytes:
    """Concatenate prompt WAVs as 8 kHz PCM."""
    return b"".join(read_pcm(f) for f in files)


async def gather(
    effect: Gather, run_app: RunApp, prompt_files: Sequence[Path], service: SpeechService
) -> Turn:
    """Run *effect* on the call over AudioSocket; ``turn.event`` answers the engine."""
    spec = await listen_spec(effect, service.models)
    prompt = await asyncio.get_running_loop().run_in_executor(None, prompt_audio, prompt_files)
    call_uuid = uuid_mod.uuid4()
    connected = service.server.expect(call_uuid)
    app: asyncio.Future[int] = asyncio.ensure_future(
        run_app("AudioSocket", f"{call_uuid},{service.address}")
    )
    session = await _wait_connected(service.server, call_uuid, connected, app)
    turn = await listen(session, spec, prompt)
    try:
        async with asyncio.timeout(RETURN_TIMEOUT_S):
            await app
    except Exception:
        if not isinstance(turn.event, Hangup):
            raise
    return turn


async def run_gather(
    effect: Gather, run_app: RunApp, prompt_files: Sequence[Path], service: SpeechService
) -> TurnEvent:
    """Like :func:`gather` but return only the engine event."""
    return (await gather(effect, run_app, prompt_files, service)).event


async def _wait_connected(
    server: AudioSocketServer,
    call_uuid: uuid_mod.UUID,
    connected: asyncio.Future[AudioSocketSession],
    app: asyncio.Future[int],
) -> AudioSocketSession:
    waiting: set[asyncio.Future[AudioSocketSession] | asyncio.Future[int]] = {connected, app}
    done, _ = await asyncio.wait(
        waiting, timeout=CONNECT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
    )
    if connected in done:
        return connected.result()
    server.forget(call_uuid)
    if app in done:
        # EXEC returned (or raised, e.g. the caller hung up) without ever connecting.
        exc = app.exception()
        if exc is not None:
            raise exc
        raise AudioSocketUnavailable(f"AudioSocket returned {app.result()} without connecting")
    # Let the application give up by itself: cancelling an AGI command in flight
    # would leave its reply unread and desynchronise the AGI session.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(RETURN_TIMEOUT_S):
            await asyncio.shield(app)
    raise AudioSocketUnavailable(f"Asterisk did not connect within {CONNECT_TIMEOUT_S} s")
