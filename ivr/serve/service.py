"""``ivr serve``: the FastAGI listener, the flows, AMI and the call store wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from ivr.agi.channel import AgiChannel
from ivr.agi.errors import ChannelHungUp
from ivr.agi.server import AgiLimits, AgiServer
from ivr.ami.client import AmiClient
from ivr.ami.queues import AfterIvrResult
from ivr.callbacks.service import Callbacks
from ivr.calls.store import SqlStore
from ivr.calls.store.base import CallStore
from ivr.config import AgiConfig, Config
from ivr.flows.flowset import FlowSet
from ivr.flows.listening import speech_languages
from ivr.interpreter.agi_transport import AgiTransport, LinePace, SpeechTurn, flow_variables
from ivr.interpreter.session import CallSession, EngineCall, SessionDeps
from ivr.live.agents import AgentRings
from ivr.live.publisher import LivePublisher
from ivr.live.state import payload, queue_figures, where_now
from ivr.serve.flows import FlowsHolder, Loader
from ivr.serve.metrics import ServiceMetrics

log = logging.getLogger(__name__)


def agi_limits(config: AgiConfig) -> AgiLimits:
    """The limits an ``[agi]`` config section sets on the FastAGI listener."""
    return AgiLimits(allow=tuple(config.allow), max_sessions=config.max_sessions,
                     reply_timeout_s=config.reply_timeout_s)


def _remove_sighup(loop: asyncio.AbstractEventLoop) -> None:
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.remove_signal_handler(signal.SIGHUP)


def _in_background(stack: contextlib.AsyncExitStack, work: Coroutine[Any, Any, None],
                   name: str) -> None:
    """Run *work* as a task that the stack cancels (and waits for) on close."""
    task = asyncio.create_task(work, name=name)

    async def stop() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    stack.push_async_callback(stop)


class LiveSpeech(SpeechTurn, Protocol):
    """Speech turns with their AudioSocket listener and models (``SpeechTurns``)."""

    async def start(self) -> None:
        """Listen for AudioSocket."""

    def prepare(self, languages: Iterable[str]) -> None:
        """Load, in the background, the models of the languages the flows listen in."""

    async def close(self) -> None:
        """Stop listening for AudioSocket."""


class MakeCall:
    """Builds an engine call: ``ivr.flows.engine.Call`` has exactly this signature."""

    def __init__(self, factory: Callable[..., EngineCall]) -> None:
        self._factory = factory

    def __call__(
        self,
        flowset: FlowSet,
        flow: str,
        *,
        call_id: str,
        caller: str | None,
        dnid: str | None,
        variables: Mapping[str, str],
    ) -> EngineCall:
        """Start a call of *flow* on *flowset*."""
        return self._factory(
            flowset, flow, call_id=call_id, caller=caller, dnid=dnid, variables=dict(variables)
        )


@dataclass
class ServiceStats:
    """Counters a status page or the bench reads."""

    calls_started: int = 0
    calls_finished: int = 0
    versions: dict[str, int] = field(default_factory=dict)


class IvrService:
    """Everything ``ivr serve`` runs, startable in-process (tests, bench) or from the CLI."""

    def __init__(
        self,
        config: Config,
        load: Loader,
        make_call: MakeCall,
        *,
        store: CallStore | None = None,
        ami: AmiClient | None = None,
        speech: LiveSpeech | None = None,
        default_flow: str = "main",
        instance: str | None = None,
        housekeeping: Callable[[], Coroutine[Any, Any, None]] | None = None,
        callbacks: Callbacks | None = None,
    ) -> None:
        self.config = config
        self.flows = FlowsHolder(config.flows.path, load)
        self.make_call = make_call
        self.store = store
        self.ami = ami
        self.default_flow = default_flow
        self.instance = instance
        self._housekeeping = housekeeping
        self._stack: contextlib.AsyncExitStack | None = None
        self.metrics = ServiceMetrics()
        self.metrics.watch(lambda: len(self.flows.rejected), lambda: self.flows.current.version,
                           getattr(store, "pending", None))
        if isinstance(store, SqlStore):
            store.observe_wait = self.metrics.store_commit_wait.observe
        self._metrics_runner: web.AppRunner | None = None
        self.stats = ServiceStats()
        self.recordings_dir = config.recordings_dir.resolve()
        self.speech = speech
        #: Whether the machine keeps time, as every call's line sees it (holding for keys).
        self.pace = LinePace()
        self.deps = SessionDeps(store=store, ami=ami)
        self.callbacks = callbacks
        if callbacks is not None:
            self.deps.callbacks = callbacks.intake
        self.server = AgiServer(self.handle, config.agi.host, config.agi.port,
                                limits=agi_limits(config.agi))
        if ami is not None and store is not None:
            ami.on_after_ivr = self._after_ivr
        #: Calls in the IVR now, by call id (the wallboard's "where are callers now").
        self.active: dict[str, EngineCall] = {}
        #: Set while no call is in the service: its record stored and its metrics counted.
        self._idle = asyncio.Event()
        self._idle.set()
        engine = getattr(store, "engine", None)
        self.live = (LivePublisher(engine, instance or "ivr", self.live_state)
                     if engine is not None else None)
        #: Agents' phones ringing for (or talking to) queue callers: their hand-off pages.
        self.rings = AgentRings(ami.after_ivr.call_id_of if ami is not None else None)
        if ami is not None:
            ami.listeners.append(self._on_ami_event)

    def live_state(self) -> dict[str, Any]:
        """Calls of this instance by flow and node, the queues and agents as its AMI sees them."""
        fresh = self.ami is not None and self.ami.board.fresh
        if not fresh:
            self.rings.forget()  # AMI was away: rings it saw may have ended unseen
        return payload((where_now(call.record) for call in list(self.active.values())),
                       queue_figures(self.ami.board) if self.ami is not None else {},
                       self.rings.rings() if fresh else ())

    def _prepare_speech(self, flowset: FlowSet) -> None:
        # A reload may add a language that listens; its model loads before its first caller.
        if self.speech is not None:
            with contextlib.suppress(RuntimeError):  # a blocking reload outside the loop
                self.speech.prepare(speech_languages(flowset))

    def _on_ami_event(self, fields: Mapping[str, str]) -> None:
        if self.rings.apply(fields, self.deps.clock()) and self.live is not None:
            self.live.poke()  # the agent's page should show the caller within a second

    @property
    def metrics_port(self) -> int | None:
        """Where ``/metrics`` listens (the real port when 0 was asked for)."""
        if self._metrics_runner is None or not self._metrics_runner.addresses:
            return None
        port: int = self._metrics_runner.addresses[0][1]
        return port

    async def start(self) -> None:
        """Open the HTTP client, start AMI, the flow watcher and the FastAGI listener.

        Everything started is pushed on one exit stack, so :meth:`close` (or a failure
        half-way through starting) releases exactly what was started, in reverse order:
        the listener first, so running calls finish while AMI and the store are still up.
        """
        stack = contextlib.AsyncExitStack()
        try:
            await self._start_on(stack)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack

    async def _start_on(self, stack: contextlib.AsyncExitStack) -> None:
        if self.store is not None:
            stack.push_async_callback(self.store.close)
        self.deps.http = await stack.enter_async_context(aiohttp.ClientSession())
        if self.speech is not None:
            await self.speech.start()
            stack.push_async_callback(self.speech.close)
            self.speech.prepare(speech_languages(self.flows.current))
            self.flows.on_swap = self._prepare_speech
        if self.ami is not None:
            await self.ami.start()
            stack.push_async_callback(self.ami.close)
        if self.callbacks is not None:
            await self.callbacks.start()
            stack.push_async_callback(self.callbacks.close)
        if self.config.flows.reload:
            _in_background(stack, self.flows.watch(), "flows-watch")
        if self._housekeeping is not None:
            _in_background(stack, self._housekeeping(), "retention")
        # No SIGHUP reload where the loop cannot take signals (not the main thread, as in
        # the tests' in-process services, or a platform without them); the watcher still runs.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, self.flows.reload_soon)
            stack.callback(_remove_sighup, loop)
        await self.server.start()
        stack.push_async_callback(self.server.close)
        if self.live is not None:
            self.live.start()
            stack.push_async_callback(self.live.close)
        if self.config.metrics.port is not None:
            self._metrics_runner = await self.metrics.serve(self.config.metrics.host,
                                                            self.config.metrics.port)
            stack.push_async_callback(self._metrics_runner.cleanup)

    async def close(self) -> None:
        """Stop taking calls, let running ones finish briefly, release everything."""
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
        elif self.store is not None:  # never started: the store is still ours to close
            await self.store.close()

    async def handle(self, channel: AgiChannel) -> None:
        """Run one call (the FastAGI request path names the flow)."""
        flowset = self.flows.current  # this call keeps this version to the end
        name = channel.request.script or self.default_flow
        if self.callbacks is not None and name == self.callbacks.leg_path:
            await self.callbacks.serve_leg(channel)
            return
        if name not in flowset.flows:
            log.error("FastAGI request for unknown flow %r (have %s)", name, sorted(flowset.flows))
            with contextlib.suppress(ChannelHungUp):
                await channel.set_variables({"IVR_OUTCOME": "error", "IVR_REASON": "unknown flow"})
            return
        request = channel.request
        call = self.make_call(
            flowset,
            name,
            call_id=request.uniqueid or f"agi-{id(channel)}",
            caller=request.caller,
            dnid=request.dnid,
            variables=flow_variables(channel),
        )
        if request.get("linkedid"):
            call.record.linkedid = request.get("linkedid")
        call.record.instance = self.instance
        self.stats.calls_started += 1
        self.stats.versions[flowset.version] = self.stats.versions.get(flowset.version, 0) + 1
        self.metrics.started(name)
        record = call.record
        self.active[record.call_id] = call
        self._idle.clear()
        try:
            transport = AgiTransport(channel, self.recordings_dir, self.speech, self.pace)
            record = await CallSession(transport, call, self.deps).run()
        finally:
            self.active.pop(call.record.call_id, None)
            self.stats.calls_finished += 1
            seconds = (record.ended_at - record.started_at).total_seconds() \
                if record.ended_at else None
            self.metrics.finished(name, record.outcome, seconds)
            if not self.active:
                self._idle.set()

    async def until_idle(self) -> None:
        """Wait until no call is in the service.

        A call leaves the line before it leaves the service: the session hands the line back
        to the dialplan first and then waits for its last commits, so a caller (``ivr demo``,
        a test) that saw its connection close waits here before it reads the record.
        """
        await self._idle.wait()

    async def _after_ivr(self, result: AfterIvrResult) -> None:
        if self.store is None:
            return
        try:
            await self.store.after_ivr(
                result.call_id,
                result.status,
                self.deps.clock(),
                agent=result.agent,
                wait_s=result.wait_s,
                talk_s=result.talk_s,
            )
        except Exception:
            log.exception("storing after-IVR result for %s failed", result.call_id)
