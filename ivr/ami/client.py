"""The AMI connection: panoramisk framing, our own reconnect-with-backoff and state resync.

AMI does not replay what happened while we were away, so every (re)login
rebuilds queue state from a ``QueueStatus`` snapshot before the client reports
itself connected. Asterisk sends ``Event: Shutdown`` before it restarts;
panoramisk's protocol treats that as the connection ending, and we reconnect
with exponential backoff (jittered, capped) until it is back. Actions in flight
when the connection drops fail with :class:`AmiError` instead of hanging.

A refused login is different: retrying a wrong secret cannot succeed (and fills
Asterisk's security log), so the client stops, logs an error that names
manager.conf and ``IVR_AMI_SECRET``, and :meth:`AmiClient.wait_connected` raises
:class:`AmiAuthError`; ``ivr serve`` exits with that message.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from typing import Any, Final

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from ivr.ami.events import EVENT_CLASSES, WANTED
from ivr.ami.messages import (
    AmiError,
    AmiProtocolError,
    Fields,
    MessageParser,
    action,
    fields_from,
    safe_value,
    user_event,
)
from ivr.ami.queues import AfterIvr, AfterIvrResult, QueueBoard
from ivr.flows.events import QueueStatus
from ivr.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)
_refused = RateLimitedLog(log)

ACTION_TIMEOUT_S: Final = 10.0
PING_INTERVAL_S: Final = 10.0
BOOT_TIMEOUT_S: Final = 60.0

AfterIvrCallback = Callable[[AfterIvrResult], Coroutine[Any, Any, None]]
EventListener = Callable[[Fields], None]


class AmiAuthError(AmiError):
    """Asterisk refused the AMI login: the user or secret does not match manager.conf."""


class _Protocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's action bookkeeping with our framing; the client is its factory.

    panoramisk splits messages itself and lets a repeated header overwrite the
    first one silently (whatever its spelling); :class:`MessageParser` refuses
    those, so ``data_received`` is ours.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.parser = MessageParser()

    def data_received(self, data: bytes) -> None:
        try:
            messages = self.parser.feed(data)
        except AmiProtocolError as exc:
            log.warning("AMI stream unusable, reconnecting: %s", exc)
            self.connection_lost(exc)
            return
        for headers in messages:
            if isinstance(headers, AmiProtocolError):
                _refused.warning("message", "AMI message ignored: %s", headers)
                continue
            self.handle_message(Message(headers))


class AmiClient:
    """A self-healing AMI connection that keeps :attr:`board` (queues) current."""

    #: panoramisk's protocol reads these from its factory.
    forgetable_actions = ("ping", "login")
    save_stream = None

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5038,
        username: str = "ivr",
        secret: str = "",
        *,
        min_backoff_s: float = 0.2,
        max_backoff_s: float = 10.0,
        on_after_ivr: AfterIvrCallback | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._username, self._secret = username, secret
        self._min_backoff, self._max_backoff = min_backoff_s, max_backoff_s
        self.on_after_ivr = on_after_ivr
        self.board = QueueBoard()
        self.after_ivr = AfterIvr()
        self.connected = asyncio.Event()
        self.listeners: list[EventListener] = []
        #: Events received, by lower-cased name (what the filters let through).
        self.events_seen: Counter[str] = Counter()
        #: Successful logins so far (a reconnect increments it).
        self.logins = 0
        self.awaiting_actions: deque[Any] = deque()
        self._protocol: _Protocol | None = None
        self._lost: asyncio.Future[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._callbacks: set[asyncio.Task[None]] = set()
        self._closing = False
        #: Asterisk sends FullyBooted to each new session once every module is loaded.
        self._booted = asyncio.Event()
        #: Set when the client stopped for good because the login was refused.
        self.gave_up = asyncio.Event()
        self.auth_error: AmiAuthError | None = None

    async def start(self) -> None:
        """Start connecting in the background (returns at once; see :meth:`wait_connected`)."""
        self._closing = False
        self._runner = asyncio.create_task(self._run(), name="ami-client")

    async def wait_connected(self) -> None:
        """Wait until logged in and resynced (wrap in ``asyncio.timeout``).

        Raises :class:`AmiAuthError` if Asterisk refused the login.
        """
        waits = [asyncio.ensure_future(self.connected.wait()),
                 asyncio.ensure_future(self.gave_up.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        if self.auth_error is not None and not self.connected.is_set():
            raise self.auth_error

    async def close(self) -> None:
        """Log off, stop reconnecting and wait for background work to end."""
        self._closing = True
        if self._protocol is not None and self.connected.is_set():
            try:
                async with asyncio.timeout(1):
                    await self._protocol.send(action("Logoff"))
            except (TimeoutError, AmiError, OSError):
                pass
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        if self._protocol is not None:
            self._protocol.close()
        if self._callbacks:
            await asyncio.gather(*self._callbacks, return_exceptions=True)

    async def _run(self) -> None:
        backoff = self._min_backoff
        while not self._closing:
            try:
                await self._session()
                backoff = self._min_backoff
            except AmiAuthError as exc:
                log.error("%s", exc)
                self.auth_error = exc
                self.gave_up.set()
                return
            except (OSError, AmiError, TimeoutError) as exc:
                log.warning("AMI %s:%d unavailable: %s", self._host, self._port, exc)
            finally:
                self.connected.clear()
                self.board.forget()
                if self._protocol is not None:
                    self._protocol.close()
                    self._protocol = None
            delay = backoff * random.uniform(0.8, 1.2)
            backoff = min(backoff * 2, self._max_backoff)
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        self._booted.clear()
        _transport, protocol = await asyncio.wait_for(
            loop.create_connection(_Protocol, self._host, self._port), ACTION_TIMEOUT_S
        )
        protocol.factory = self
        protocol.encoding = "utf-8"
        protocol.log = log
        self._protocol = protocol
        login = await self._send(
            action("Login", Username=self._username, Secret=self._secret,
                   Events=EVENT_CLASSES)
        )
        if not getattr(login, "success", False):
            raise AmiAuthError(
                f"Asterisk refused the AMI login of user {self._username!r} at "
                f"{self._host}:{self._port}: the secret does not match that user's 'secret' "
                "in Asterisk's manager.conf (the shipped asterisk_conf/manager.conf has none, "
                "so every login is refused until one is set). Set a secret there, run "
                "'asterisk -rx \"manager reload\"', and give the service the same value in "
                "IVR_AMI_SECRET ([ami] secret).")
        self.logins += 1
        # Right after a restart AMI answers before app_queue has loaded; a snapshot taken
        # then would say "no queues". Wait for FullyBooted (needs the "system" read class).
        await asyncio.wait_for(self._booted.wait(), BOOT_TIMEOUT_S)
        await self.resync()
        self.connected.set()
        log.info("AMI connected to %s:%d (login %d)", self._host, self._port, self.logins)
        pinger = asyncio.create_task(self._ping())
        try:
            await self._lost
        finally:
            pinger.cancel()
            await asyncio.gather(pinger, return_exceptions=True)
        log.warning("AMI connection to %s:%d lost", self._host, self._port)

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(PING_INTERVAL_S)
            try:
                await self._send(action("Ping"))
            except (AmiError, TimeoutError):
                if self._protocol is not None:
                    self._protocol.connection_lost(None)
                return

    async def resync(self) -> None:
        """Rebuild queue state from a fresh ``QueueStatus`` snapshot."""
        reply = await self._send(action("QueueStatus"))
        messages = reply if isinstance(reply, list) else [reply]
        self.board.load_snapshot(fields_from(m) for m in messages)

    async def _send(self, headers: dict[str, Any], as_list: bool | None = None) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.closed:
            raise AmiError("AMI not connected")
        # as_list=None lets panoramisk detect list replies (EventList: start ... Complete).
        future = protocol.send(headers, as_list=as_list)
        try:
            return await asyncio.wait_for(future, ACTION_TIMEOUT_S)
        except TimeoutError:
            raise AmiError(f"AMI action {headers.get('Action')} timed out") from None

    async def send(self, headers: dict[str, Any], *,
                   as_list: bool | None = None) -> list[dict[str, str]]:
        """Send an action (build it with :func:`ivr.ami.messages.action`) once connected.

        Returns the response and any list events as normalised fields.
        Raises ``AmiError`` when not connected or the response is an error.
        """
        if not self.connected.is_set():
            raise AmiError("AMI not connected")
        reply = await self._send(headers, as_list)
        messages = [fields_from(m) for m in (reply if isinstance(reply, list) else [reply])]
        if messages and messages[0].get("response", "").lower() == "error":
            raise AmiError(messages[0].get("message", "AMI error"))
        return messages

    async def user_event(self, name: str, headers: dict[str, object]) -> None:
        """Broadcast a ``UserEvent`` (e.g. the screen-pop hand-off) to every AMI listener."""
        await self.send(user_event(name, headers))

    async def originate(self, channel: str, context: str, *, action_id: str,
                        variables: dict[str, str], timeout_s: float = 30.0,
                        caller_id: str | None = None, channel_id: str | None = None,
                        other_channel_id: str | None = None) -> None:
        """Place a call (``Originate``, async): dial *channel*; once answered, run *context*.

        Returns when Asterisk has queued the call; the result arrives later as an
        ``OriginateResponse`` event with *action_id* (``Reason`` 4 = answered, see
        :func:`ivr.callbacks.rules.originate_result`). Each variable is its own
        ``Variable`` header; values must not hold commas (Asterisk splits on them).
        """
        headers: dict[str, object] = {
            "Channel": channel, "Context": context, "Exten": "s", "Priority": 1, "Async": "true",
            "Timeout": int(timeout_s * 1000), "ActionID": action_id,
        }
        optional = {"CallerID": caller_id, "ChannelId": channel_id,
                    "OtherChannelId": other_channel_id}
        headers.update({k: v for k, v in optional.items() if v})
        message: dict[str, Any] = action("Originate", **headers)
        pairs = []
        for name, value in variables.items():
            if "," in value or "=" in name:
                raise ValueError(f"Originate variable {name!r} would be split by Asterisk")
            pairs.append(safe_value(f"{name}={value}"))
        message["Variable"] = pairs
        # as_list=False: panoramisk would otherwise hold an async Originate open until its
        # OriginateResponse and swallow that event; we want the event (listeners) instead.
        await self.send(message, as_list=False)

    def queue_status(self, queue: str) -> QueueStatus:
        """Live state of *queue* (unknown figures are ``None`` while disconnected)."""
        return self.board.status(queue)

    def follow_after_ivr(self, uniqueid: str, call_id: str | None = None) -> None:
        """Report, through ``on_after_ivr``, how the handed-over call *uniqueid* ends."""
        self.after_ivr.watch(uniqueid, call_id)

    # -- called by panoramisk's protocol --------------------------------------------------------

    def dispatch(self, message: Any) -> None:
        """Handle one unsolicited event."""
        fields = fields_from(message)
        kind = fields.get("event", "").lower()
        self.events_seen[kind] += 1
        if kind not in WANTED:
            return  # a site whose manager.conf lacks the service's event filters
        if kind == "fullybooted":
            self._booted.set()
        self.board.apply(fields)
        result = self.after_ivr.apply(fields)
        if result is not None and self.on_after_ivr is not None:
            task = asyncio.create_task(self.on_after_ivr(result))
            self._callbacks.add(task)
            task.add_done_callback(self._callbacks.discard)
        for listener in list(self.listeners):
            listener(fields)

    def connection_lost(self, exc: object) -> None:
        """Fail pending actions and end the session (socket closed or ``Event: Shutdown``)."""
        while self.awaiting_actions:
            pending = self.awaiting_actions.popleft()
            if not pending.future.done():
                pending.future.set_exception(AmiError("AMI connection lost"))
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
