"""Build an :class:`IvrService` from the configuration: the engine, loader, store, AMI, speech.

The engine, loader, store and speech live in other packages; they are wired in
here, in one place, so the service module itself depends only on interfaces.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, cast

from ivr.agi.session import EngineCall
from ivr.ami.client import AmiClient
from ivr.calls.store.base import CallStore
from ivr.config import Config
from ivr.flows.engine import Call
from ivr.flows.loader import load_flowset
from ivr.serve.flows import Loader
from ivr.serve.service import IvrService, MakeCall

log = logging.getLogger(__name__)


def engine_call_factory() -> MakeCall:
    """Wrap ``ivr.flows.engine.Call`` for the service."""
    return MakeCall(cast(Callable[..., EngineCall], Call))


def flows_loader() -> Loader:
    """Return ``ivr.flows.loader.load_flowset`` (raises ``FlowErrors`` with FILE:LINE:COL)."""
    return load_flowset


async def open_store(url: str) -> CallStore:
    """Open the call store named by *url* (``sqlite:///…`` or ``postgresql://…``)."""
    stores = importlib.import_module("ivr.calls.store")
    if not hasattr(stores, "open_store"):
        raise RuntimeError("no call store available yet; run with --no-store")
    opened: Any = stores.open_store(url)
    if hasattr(opened, "__await__"):
        opened = await opened
    return cast(CallStore, opened)


def ami_from_config(config: Config) -> AmiClient | None:
    """Build the AMI client, or ``None`` when disabled (no secret in config or environment)."""
    section = config.ami
    if not section.enabled:
        return None
    if not section.secret:
        log.warning("AMI disabled: no secret (set IVR_AMI_SECRET)")
        return None
    return AmiClient(section.host, section.port, section.username, section.secret)


def speech_gather(config: Config) -> Any:
    """Bind a speech ``Gather`` runner to the speech service, or ``None`` without models."""
    if not config.speech.models:
        return None
    gather_mod = importlib.import_module("ivr.speech.gather")
    service = gather_mod.SpeechService.from_config(config.speech)

    async def run(effect: Any, channel: Any, files: Any) -> Any:
        return await gather_mod.gather(effect, channel.exec_app, files, service)

    run.service = service  # type: ignore[attr-defined]
    return run


async def build_service(config: Config, *, with_store: bool = True) -> IvrService:
    """Everything ``ivr serve`` runs, not yet started."""
    store = await open_store(config.store.url) if with_store else None
    return IvrService(
        config,
        flows_loader(),
        engine_call_factory(),
        store=store,
        ami=ami_from_config(config),
        speech=speech_gather(config),
    )
