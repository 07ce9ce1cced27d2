"""Callbacks in the demo: the product's dispatcher and callback leg, with Asterisk played here.

``ivr demo`` has no Asterisk, so nothing would dial a callback. The requests are
stored by the service as on a live line; :class:`DemoCallbacks` then runs the
product's :class:`~ivr.callbacks.dispatcher.Dispatcher` (one ``tick``, as its loop
does every ``poll_s``) against :class:`DemoTelephony`, which stands in for AMI:

- ``Originate``: the callee's phone rings; as the script says, it is answered
  (``OriginateResponse`` Success) and the ``[ivr-callback]`` dialplan runs the
  callback leg over FastAGI (``agi://…/_callback``, served by the service's
  :class:`~ivr.callbacks.leg.CallbackLeg`), where the callee presses 1; or it rings
  out (reason 3, no answer), and the dispatcher schedules a retry.
- The leg handed to the queue: an agent answers (``AgentConnect`` on the leg's
  channel), and the dispatcher marks the request connected.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.ami.client import AmiClient
from ivr.bench.agi_peer import CallScript
from ivr.callbacks.dispatcher import finish_all
from ivr.callbacks.service import Callbacks
from ivr.callbacks.store import CallbackStore
from ivr.calls.store.base import CallStore
from ivr.config import Config
from ivr.demo.line import agi_header, converse
from ivr.demo.queue import Callee
from ivr.flows.events import QueueStatus

log = logging.getLogger(__name__)


@dataclass
class Rings:
    """What the demo's telephony did with the callbacks dialled (for the printout and tests)."""

    answered: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)


class DemoTelephony(AmiClient):
    """AMI as far as callbacks use it, answered by the demo instead of Asterisk (never connects)."""

    def __init__(self, store: CallbackStore, agi: Callable[[], tuple[str, int]],
                 callees: Mapping[str, Callee], board: Mapping[str, QueueStatus]) -> None:
        super().__init__(secret="")
        self.store, self.agi, self.callees, self.board_states = store, agi, callees, board
        self.connected.set()
        self.rings = Rings()
        #: Callees ringing, and their callback legs running.
        self.calls: set[asyncio.Task[None]] = set()

    def queue_status(self, queue: str) -> QueueStatus:
        """The queue as the demo's agents leave it: one agent free unless the script says so."""
        return self.board_states.get(queue, QueueStatus(queue, logged_in=2, available=1,
                                                        callers=0, estimated_wait_s=0.0))

    async def user_event(self, name: str, headers: dict[str, object]) -> None:
        """The agent's screen pop: nobody listens in the demo."""

    async def originate(self, channel: str, context: str, *, action_id: str,
                        variables: dict[str, str], timeout_s: float = 30.0,
                        caller_id: str | None = None, channel_id: str | None = None,
                        other_channel_id: str | None = None) -> None:
        """Ring the callee in the background, as Asterisk's async ``Originate`` does."""
        task = asyncio.create_task(self._ring(action_id, variables, channel_id or action_id))
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)

    async def _ring(self, action_id: str, variables: dict[str, str], leg: str) -> None:
        request = await self.store.get(variables.get("IVR_CALLBACK_ID", ""))
        callee = self.callees.get(request.number) if request is not None else None
        if request is None or callee is None or not callee.answers:
            self.rings.unanswered.append(leg)
            self._emit({"event": "OriginateResponse", "actionid": action_id,
                        "response": "Failure", "reason": "3", "uniqueid": leg})
            return
        self.rings.answered.append(leg)
        self._emit({"event": "OriginateResponse", "actionid": action_id,
                    "response": "Success", "reason": "4", "uniqueid": leg})
        host, port = self.agi()
        line = await converse(host, port,
                              agi_header("_callback", leg, f"PJSIP/callback-{leg}",
                                         request.number, context="ivr-callback"),
                              CallScript(["1"]), channel_variables=variables)
        if line.variables.get("IVR_OUTCOME") == "queue" and callee.agent is not None:
            # The dialplan ran Queue(); the agent answers after the script's wait.
            self.rings.connected.append(leg)
            self._emit({"event": "AgentConnect", "uniqueid": leg, "membername": callee.agent,
                        "holdtime": f"{callee.wait_s:g}", "calleridnum": request.number})

    def _emit(self, fields: dict[str, str]) -> None:
        for listener in list(self.listeners):
            listener(fields)

    @property
    def busy(self) -> bool:
        """True while a callee's phone rings or their callback leg runs."""
        return bool(self.calls)


class DemoCallbacks:
    """The service's callbacks with :class:`DemoTelephony` in place of AMI."""

    def __init__(self, config: Config, calls: CallStore, engine: AsyncEngine, instance: str,
                 agi: Callable[[], tuple[str, int]], callees: Mapping[str, Callee],
                 clock: Callable[[], dt.datetime]) -> None:
        store = CallbackStore(engine)
        self.telephony = DemoTelephony(store, agi, callees, {})
        # Dialled here, one pass at a time (enabled=False: no background loop polling).
        config.callbacks.enabled = False
        self.callbacks = Callbacks(store, calls, self.telephony, config.callbacks, instance,
                                   config.recordings_dir.resolve(), clock)

    async def dial_due(self) -> Rings:
        """One dispatcher pass, then wait until the calls it made (and their outcomes) settle."""
        dispatcher = self.callbacks.dispatcher
        assert dispatcher is not None
        rings = self.telephony.rings = Rings()
        await dispatcher.tick()
        while dispatcher.busy or self.telephony.busy:
            await finish_all(self.telephony.calls)
            await dispatcher.settled()
        return rings
