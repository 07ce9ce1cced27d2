"""The dispatcher inside ``ivr serve``: claims due callbacks and dials them over AMI.

Every ``poll_s`` it reads the requests that are due, asks the pure rules whether
each may be dialled now (calendar open, an agent of its queue free or the wait
short), claims those under a lease and originates each one. The outcome of the
dial comes back as an ``OriginateResponse`` event: answered calls continue in the
callback leg (:mod:`ivr.callbacks.leg`), failures are retried with back-off.
AMI events also settle the request later: ``AgentConnect`` on a callback leg means
connected; ``AgentConnect`` of any other caller cancels that number's pending
requests (they reached a person without us); a callback leg hanging up while
queued counts as an abandoned attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ivr.ami.client import AmiClient
from ivr.ami.messages import AmiError, Fields
from ivr.callbacks.intake import journey
from ivr.callbacks.model import CallbackRequest, Policy, Status
from ivr.callbacks.rules import Result, after_attempt, decide, next_open, originate_result
from ivr.callbacks.store import CallbackStore
from ivr.calls.store.base import CallStore
from ivr.config import CallbacksConfig
from ivr.flows.steps.callback import diallable

log = logging.getLogger(__name__)

#: Uniqueids of callback legs start with this, so AMI events about them are recognised.
LEG_PREFIX = "cb-"


def policy_from(config: CallbacksConfig) -> Policy:
    """The scheduling policy the configuration describes."""
    return Policy(max_attempts=config.max_attempts, backoff_s=config.backoff_s,
                  backoff_factor=config.backoff_factor, max_backoff_s=config.max_backoff_s,
                  expiry_s=config.expiry_hours * 3600, wait_below_s=config.wait_below_s)


def leg_ids(request: CallbackRequest) -> tuple[str, str]:
    """Uniqueids for the attempt's channel (and the far half of a Local/ channel)."""
    # Asterisk refuses an OtherChannelId that extends the ChannelId; hence two prefixes.
    short = request.request_id[:16]
    return f"{LEG_PREFIX}{short}-{request.attempts}", f"cbo-{short}-{request.attempts}"


async def finish_all(tasks: set[asyncio.Task[None]]) -> None:
    """Wait for *tasks*, and for those they start meanwhile, until none is left."""
    while tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)


class Dispatcher:
    """Dials due callback requests; several instances may share one PostgreSQL store."""

    def __init__(self, store: CallbackStore, calls: CallStore | None, ami: AmiClient,
                 config: CallbacksConfig, instance: str,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.store, self.calls, self.ami = store, calls, ami
        self.config, self.instance, self.clock = config, instance, clock
        self.policy = policy_from(config)
        self._responses: dict[str, asyncio.Future[Fields]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        # AMI events about one leg are settled in arrival order (AgentConnect before Hangup).
        self._settling = asyncio.Lock()

    async def start(self, dial: bool = True) -> None:
        """Follow AMI events (cancellations, connections) and, if *dial*, start dialling."""
        self.ami.listeners.append(self.on_event)
        if dial:
            self._runner = asyncio.create_task(self._run(), name="callback-dispatcher")

    async def close(self) -> None:
        """Stop dialling; attempts under way are abandoned to their lease."""
        with contextlib.suppress(ValueError):
            self.ami.listeners.remove(self.on_event)
        for task in [*([self._runner] if self._runner else []), *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._tasks, *([self._runner] if self._runner else []),
                             return_exceptions=True)

    @property
    def busy(self) -> bool:
        """True while attempts (or AMI event handling) it started are under way."""
        return bool(self._tasks)

    async def settled(self) -> None:
        """Wait until the attempts and event handling under way have finished."""
        await finish_all(self._tasks)

    async def _run(self) -> None:
        while True:
            try:
                if self.ami.connected.is_set():
                    await self.tick()
            except Exception:
                log.exception("callback dispatcher pass failed")
            await asyncio.sleep(self.config.poll_s)

    async def tick(self) -> list[str]:
        """One pass: settle expired and closed requests, claim and dial the ready ones."""
        now = self.clock()
        # Callees being dialled or greeted do not show in the queue yet: count them as taken.
        ringing = await self.store.in_flight(now)
        free: dict[str, int] = {}
        ready: list[str] = []
        for request in await self.store.due(now):
            status = self.ami.queue_status(request.queue)
            pending = request if request.status == "pending" else _as_pending(request)
            decision = decide(pending, now, status, self.policy)
            if decision == "expired":
                await self._settle(request, "expired", now, "the promise lapsed")
            elif decision == "closed":
                opening = next_open(request.calendar, now)
                if opening is not None:
                    await self.store.change(request.request_id, "pending", now, "closed",
                                            expect=("pending",), next_attempt_at=opening)
            elif decision == "dial":
                # One callback per free agent: never ring more callers than can be served.
                left = free.setdefault(request.queue, max(1, status.available or 0)
                                       - ringing.get(request.queue, 0))
                if left > 0:
                    free[request.queue] = left - 1
                    ready.append(request.request_id)
        if not ready:
            return []
        claimed = await self.store.claim(now, self.instance, self.config.lease_s,
                                         limit=len(ready), ids=ready)
        for request in claimed:
            task = asyncio.create_task(self.attempt(request), name=f"callback-{request.request_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return [r.request_id for r in claimed]

    async def attempt(self, request: CallbackRequest) -> None:
        """Dial one claimed request and wait for Asterisk to say how the dial went."""
        now = self.clock()
        if not diallable(request.number):
            await self._settle(request, "failed", now, "not a diallable number")
            return
        channel, other = leg_ids(request)
        action_id = f"ivr-{channel}"
        if not await self.store.change(
                request.request_id, "dialling", now, f"attempt {request.attempts}",
                expect=("dialling",), owner=self.instance, channel=channel,
                data={"number": request.number, "channel": channel}):
            return  # another instance took it over meanwhile: it dials, not us
        await journey(self.calls, request, now, "attempt", {"number": request.number})
        response: asyncio.Future[Fields] = asyncio.get_running_loop().create_future()
        self._responses[action_id] = response
        variables = {"IVR_CALLBACK_ID": request.request_id}
        if self.config.agi_url:
            variables["IVR_AGI_URL"] = self.config.agi_url
        try:
            await self.ami.originate(
                self.config.dial.format(number=request.number), self.config.context,
                action_id=action_id, variables=variables, timeout_s=self.config.ring_s,
                caller_id=self.config.caller_id, channel_id=channel, other_channel_id=other)
            fields = await self._await_response(request, response)
        except (AmiError, TimeoutError, ValueError) as exc:
            log.warning("callback %s: originate failed: %s", request.request_id, exc)
            fields = {"response": "Failure", "reason": "0"}
        finally:
            self._responses.pop(action_id, None)
        if fields.get("response", "").lower() == "success":
            return  # answered: the callback leg (FastAGI) takes it from here
        await self.retry(request, originate_result(fields.get("reason")),
                         expect=("dialling",))

    async def _await_response(self, request: CallbackRequest,
                              response: asyncio.Future[Fields]) -> Fields:
        # Renew the lease while it rings, so no other instance takes over a live attempt.
        deadline = asyncio.get_running_loop().time() + self.config.ring_s + 30
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError("no OriginateResponse")
            try:
                return await asyncio.wait_for(asyncio.shield(response),
                                              min(left, self.config.lease_s / 3))
            except TimeoutError:
                until = self.clock() + dt.timedelta(seconds=self.config.lease_s)
                await self.store.renew(request.request_id, self.instance, until)

    async def retry(self, request: CallbackRequest, result: Result,
                    expect: tuple[Status, ...] = ("dialling", "queued")) -> None:
        """After a failed attempt: back off and try again, or give up (the rules decide)."""
        now = self.clock()
        current = await self.store.get(request.request_id) or request
        change = after_attempt(current, now, result, self.policy)
        moved = await self.store.change(
            request.request_id, change.status, now, change.note, expect=expect,
            next_attempt_at=change.next_attempt_at or current.next_attempt_at,
            reason=result, lease_until=None)
        if moved:
            log.info("callback %s: %s -> %s", request.request_id, result, change.status)
            step = "retry" if change.status == "pending" else change.status
            await journey(self.calls, current, now, step, {"note": change.note})

    async def _settle(self, request: CallbackRequest, status: Status, now: dt.datetime,
                      note: str) -> None:
        if await self.store.change(request.request_id, status, now, note, reason=note[:128]):
            await journey(self.calls, request, now, status, {"note": note})

    # AMI events -------------------------------------------------------------------------

    def on_event(self, fields: Fields) -> None:
        """Route the AMI events callbacks care about (called for every event)."""
        kind = fields.get("event", "").lower()
        if kind == "originateresponse":
            future = self._responses.get(fields.get("actionid", ""))
            if future is not None and not future.done():
                future.set_result(fields)
        elif kind == "agentconnect":
            self._spawn(self._agent_connected(fields))
        elif kind in ("hangup", "queuecallerabandon") and \
                fields.get("uniqueid", "").startswith(LEG_PREFIX):
            self._spawn(self._leg_ended(fields.get("uniqueid", "")))

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _agent_connected(self, fields: Fields) -> None:
        async with self._settling:
            await self._connected(fields)

    async def _connected(self, fields: Fields) -> None:
        now = self.clock()
        uniqueid = fields.get("uniqueid", "")
        agent = fields.get("membername") or fields.get("interface") or None
        if uniqueid.startswith(LEG_PREFIX):
            request = await self.store.by_channel(uniqueid)
            if request is not None and await self.store.change(
                    request.request_id, "connected", now, f"answered by {agent}",
                    expect=("queued", "dialling"), agent=agent, connected_at=now,
                    lease_until=None):
                await journey(self.calls, request, now, "connected", {"agent": agent})
            return
        number = fields.get("calleridnum", "")
        if diallable(number):
            for request_id in await self.store.cancel_for_number(
                    number, now, "the caller reached an agent on a new call"):
                log.info("callback %s cancelled: %s called again and was served",
                         request_id, number)
                request = await self.store.get(request_id)
                if request is not None:
                    await journey(self.calls, request, now, "cancelled",
                                  {"note": "called again and reached an agent"})

    async def _leg_ended(self, uniqueid: str) -> None:
        async with self._settling:
            request = await self.store.by_channel(uniqueid)
            if request is not None and request.status == "queued":
                await self.retry(request, "abandoned", expect=("queued",))


def _as_pending(request: CallbackRequest) -> CallbackRequest:
    # A dialling request whose lease lapsed is judged like a pending one (takeover).
    return replace(request, status="pending")
