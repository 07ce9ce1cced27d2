"""Build an :class:`IvrService` from the configuration: the engine, loader, store, AMI, speech.

The engine, loader, store and speech live in other packages; they are wired in
here, in one place, so the service module itself depends only on interfaces.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from ivr.ami.client import AmiClient
from ivr.callbacks.service import Callbacks
from ivr.callbacks.store import CallbackStore
from ivr.calls import store as stores
from ivr.calls.retention import purge
from ivr.calls.store import SqlStore
from ivr.config import Config
from ivr.flows.engine import Call
from ivr.flows.loader import load_flowset
from ivr.interpreter.session import EngineCall
from ivr.serve.flows import Loader
from ivr.serve.service import IvrService, MakeCall

if TYPE_CHECKING:
    from ivr.interpreter.speech_turn import SpeechTurns

log = logging.getLogger(__name__)

#: Seconds between retention passes.
RETENTION_EVERY_S = 24 * 3600


def engine_call_factory() -> MakeCall:
    """Wrap ``ivr.flows.engine.Call`` for the service."""
    return MakeCall(cast(Callable[..., EngineCall], Call))


def flows_loader() -> Loader:
    """Return ``ivr.flows.loader.load_flowset`` (raises ``FlowErrors`` with FILE:LINE:COL)."""
    return load_flowset


async def open_store(config: Config, instance: str) -> SqlStore:
    """Open the configured store and close the calls a crash of *instance* left unfinished."""
    store = await stores.open_store(config.store.url, config.store.commit_wait_s)
    closed = await store.close_interrupted(instance, datetime.now(UTC))
    if closed:
        log.warning("%d calls were cut off when this instance (%s) last stopped; "
                    "their records now end as 'interrupted' where each caller was",
                    closed, instance)
    return store


def housekeeping(store: SqlStore, config: Config) -> Callable[[], Coroutine[Any, Any, None]] | None:
    """The daily retention pass, when ``store.retention_days`` is set."""
    days = config.store.retention_days
    if days is None:
        return None
    recordings = config.recordings_dir.resolve()

    async def run() -> None:
        while True:
            try:
                done = await purge(store, days, datetime.now(UTC), recordings)
                if done.calls:
                    log.info("retention: deleted %d calls and %d recordings older than %d days",
                             done.calls, done.recordings, days)
            except Exception:
                log.exception("retention pass failed; trying again in an hour")
                await asyncio.sleep(3600)
                continue
            await asyncio.sleep(RETENTION_EVERY_S)

    return run


def ami_from_config(config: Config) -> AmiClient | None:
    """Build the AMI client, or ``None`` when disabled (no secret in config or environment)."""
    section = config.ami
    if not section.enabled:
        return None
    if not section.secret:
        log.warning("AMI disabled: no secret (set IVR_AMI_SECRET)")
        return None
    return AmiClient(section.host, section.port, section.username, section.secret)


def speech_gather(config: Config) -> SpeechTurns | None:
    """Speech turns on the process's shared models, or ``None`` when no model is available."""
    from ivr.interpreter.speech_turn import SpeechTurns
    from ivr.speech.gather import SpeechService
    from ivr.speech.models import model_dirs

    if not model_dirs(config.speech.models, config.speech.models_dir):
        return None
    return SpeechTurns(SpeechService.from_config(config.speech), config.speech)


def instance_name(config: Config) -> str:
    """Name this instance in call records: ``agi.instance``, else host name and FastAGI port."""
    return config.agi.instance or f"{socket.gethostname()}:{config.agi.port}"


async def build_service(config: Config, *, with_store: bool = True) -> IvrService:
    """Everything ``ivr serve`` runs, not yet started."""
    instance = instance_name(config)
    store = await open_store(config, instance) if with_store else None
    ami = ami_from_config(config)
    return IvrService(
        config,
        flows_loader(),
        engine_call_factory(),
        store=store,
        ami=ami,
        speech=speech_gather(config),
        instance=instance,
        housekeeping=housekeeping(store, config) if store is not None else None,
        callbacks=callbacks(store, ami, config, instance) if store is not None else None,
    )


def callbacks(store: SqlStore, ami: AmiClient | None, config: Config,
              instance: str) -> Callbacks:
    """Callback requests in the call store's database, dialled over *ami* when there is one."""
    return Callbacks(CallbackStore(store.engine), store, ami, config.callbacks, instance,
                     config.recordings_dir.resolve())
