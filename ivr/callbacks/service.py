"""Callbacks as ``ivr serve`` runs them: intake for the sessions, the dispatcher, the leg."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from ivr.agi.channel import AgiChannel
from ivr.ami.client import AmiClient
from ivr.callbacks.dispatcher import Dispatcher, policy_from
from ivr.callbacks.intake import CallbackIntake
from ivr.callbacks.leg import LEG_PATH, CallbackLeg
from ivr.callbacks.store import CallbackStore
from ivr.calls.store.base import CallStore
from ivr.config import CallbacksConfig

log = logging.getLogger(__name__)


class Callbacks:
    """Everything callbacks need at run time, started and stopped with the service."""

    leg_path = LEG_PATH

    def __init__(self, store: CallbackStore, calls: CallStore | None, ami: AmiClient | None,
                 config: CallbacksConfig, instance: str, recordings_dir: Path,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.store = store
        self.intake = CallbackIntake(store, calls, policy_from(config))
        self.dispatcher: Dispatcher | None = None
        self.leg: CallbackLeg | None = None
        if ami is not None:
            self.dispatcher = Dispatcher(store, calls, ami, config, instance, clock)
            self.leg = CallbackLeg(self.dispatcher, ami, recordings_dir, config.company, clock)
        self._dial = config.enabled

    async def start(self) -> None:
        """Start dialling (when enabled and AMI is configured)."""
        if self.dispatcher is None:
            log.warning("callbacks are stored but not dialled: AMI is not configured")
        else:
            await self.dispatcher.start(dial=self._dial)

    async def close(self) -> None:
        """Stop dialling."""
        if self.dispatcher is not None:
            await self.dispatcher.close()

    async def serve_leg(self, channel: AgiChannel) -> None:
        """Run an answered callback (FastAGI path ``/_callback``)."""
        if self.leg is None:
            await channel.set_variable("IVR_OUTCOME", "hangup")
            return
        await self.leg(channel)
