"""The async AGI channel API: one call's FastAGI connection, one command at a time.

Asterisk aborts a running command if another byte arrives (no pipelining), so
every command waits for its reply before the next one is written. A caller
hang-up shows up as ``result=-1``, a ``511`` dead-channel reply, a bare
``HANGUP`` line or the socket closing; every method turns all of them into one
exception, :class:`ChannelHungUp`, so a session needs a single ``except``. A socket
closing with none of the others first is its subclass :class:`PeerVanished`: Asterisk
went away with the call (the record says ``interrupted``, not ``abandoned``). Asterisk
hanging a live channel up itself (``core stop now``) looks like a caller's hang-up on the
wire; :meth:`AgiChannel.hangup_side` asks Asterisk afterwards which side it was. A prompt
Asterisk cannot open also comes back as ``result=-1``; on a channel that is still up it is
:class:`~ivr.agi.errors.PromptNotPlayed`, not a hang-up.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import time
from collections.abc import Mapping
from typing import Final

from ivr.agi.assign import plan_assignments
from ivr.agi.errors import (
    AgiCommandError,
    ChannelHungUp,
    PeerVanished,
    PromptNotPlayed,
    ReplyTimeout,
)
from ivr.agi.protocol import (
    HANGUP_SOURCE_PROBE,
    AgiRequest,
    HangupNotice,
    HangupSide,
    LocalProtocolError,
    RemoteProtocolError,
    Reply,
    ReplyParser,
    encode_command,
    parse_hangup_side,
)
from ivr.agi.results import DigitsEntered, Playback, Recording, pressed
from ivr.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)
_quiet = RateLimitedLog(log)

#: Default for how long Asterisk may take to answer a command beyond the time the command
#: itself waits for the caller (see :meth:`AgiChannel.command`).
REPLY_TIMEOUT_S: Final = 120.0
#: How long the hang-up question (:meth:`AgiChannel.hangup_side`), or whether a channel whose
#: prompt failed is still up, may take: Asterisk answers from memory (under 50 ms measured),
#: and a peer that does not answer must not keep a finished call open for the full reply timeout.
HANGUP_SIDE_TIMEOUT_S: Final = 5.0

_VARIABLE_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")
_DIGITS: Final = "0123456789*#ABCD"
_READ_SIZE: Final = 4096


def check_variable_name(name: str) -> str:
    """Return *name* if it is a plain channel-variable name, else raise ``LocalProtocolError``."""
    if not _VARIABLE_NAME.fullmatch(name):
        raise LocalProtocolError(f"not a plain channel variable name: {name!r}")
    return name


def check_digits(keys: str) -> str:
    """Return *keys* if every character is a DTMF key, else raise ``LocalProtocolError``."""
    if any(k not in _DIGITS for k in keys):
        raise LocalProtocolError(f"not DTMF keys: {keys!r}")
    return keys


class AgiChannel:
    """One FastAGI session. Methods map one-to-one onto AGI commands."""

    def __init__(
        self,
        request: AgiRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        initial: bytes = b"",
        turnarounds: list[float] | None = None,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
    ) -> None:
        self.request = request
        self._reply_timeout_s = reply_timeout_s
        self._reader = reader
        self._writer = writer
        self._parser = ReplyParser()
        self._pending: list[Reply] = []
        self._lock = asyncio.Lock()
        #: Set once Asterisk told us the caller is gone.
        self.hung_up = False
        #: Set when the connection ended without a hang-up first (:class:`PeerVanished`).
        self.vanished = False
        #: When set, each command appends the seconds since the previous reply (our turnaround).
        self._turnarounds = turnarounds
        self._last_reply_at = time.perf_counter()
        self._accept(initial)
        #: Commands sent, for the service's metrics and the bench.
        self.commands_sent = 0

    async def _read_more(self) -> None:
        try:
            data = await self._reader.read(_READ_SIZE)
        except (ConnectionError, OSError) as exc:
            raise self._lost(str(exc)) from exc
        if not data:
            raise self._lost("Asterisk closed the AGI connection")
        self._accept(data)

    def _lost(self, why: str) -> ChannelHungUp:
        # With AGISIGHUP=yes (asterisk_conf/extensions.conf) Asterisk says HANGUP, and a
        # running command returns -1, before it closes a hung-up caller's connection; a
        # connection that simply ends means Asterisk is gone and the call with it.
        self.vanished = not self.hung_up
        self.hung_up = True
        return PeerVanished(why) if self.vanished else ChannelHungUp(why)

    async def _next_reply(self) -> Reply:
        while not self._pending:
            await self._read_more()
        return self._pending.pop(0)

    def _accept(self, data: bytes) -> None:
        for event in self._parser.feed(data):
            if isinstance(event, HangupNotice):
                self.hung_up = True
            elif event.code != 100:  # "100 Trying" precedes a Gosub's real reply
                self._pending.append(event)

    async def command(self, command: str, *args: str, waits_ms: int = 0) -> Reply:
        """Send one command and return its reply.

        The reply must arrive within the channel's reply timeout plus *waits_ms*,
        the time the command itself may wait for the caller (``WAIT FOR DIGIT``'s
        timeout, a recording's maximum length). Audio of unknown length (a prompt)
        has to fit into the reply timeout itself. A peer that stays silent past the
        deadline is treated as gone: the connection is closed and
        :class:`ReplyTimeout` (a :class:`ChannelHungUp`) ends the session.

        Raises:
            ChannelHungUp: the channel is dead (``511``), the connection closed, or no reply came.
            AgiCommandError: Asterisk refused the command (``510``/``520``).
        """
        line = encode_command(command, *args)
        async with self._lock:
            if self._writer.is_closing():
                raise ChannelHungUp("AGI connection already closed")
            if self._turnarounds is not None:
                self._turnarounds.append(time.perf_counter() - self._last_reply_at)
            try:
                self._writer.write(line)
                await self._writer.drain()
            except (ConnectionError, OSError) as exc:
                self.hung_up = True
                raise ChannelHungUp(str(exc)) from exc
            self.commands_sent += 1
            deadline = self._reply_timeout_s + max(waits_ms, 0) / 1000
            try:
                async with asyncio.timeout(deadline):
                    reply = await self._next_reply()
            except TimeoutError:
                self._give_up(command, deadline)
                raise ReplyTimeout(f"no reply to {command} within {deadline:.1f} s") from None
            self._last_reply_at = time.perf_counter()
        if reply.code == 511:
            self.hung_up = True
            raise ChannelHungUp("dead channel (511)")
        if not reply.ok:
            raise AgiCommandError(reply, line)
        return reply

    def _give_up(self, command: str, deadline: float) -> None:
        self.hung_up = True
        self._writer.close()
        _quiet.warning(
            "reply-timeout", "FastAGI call %s: no reply to %s within %.1f s; session ended",
            self.request.uniqueid, command, deadline,
        )

    async def _media(self, command: str, *args: str, waits_ms: int = 0,
                     plays: bool = False) -> Reply:
        reply = await self.command(command, *args, waits_ms=waits_ms)
        if reply.result_int < 0:
            # A command that plays files also says -1 for a file it cannot open; only a
            # channel that is no longer up makes it a hang-up. No HANGUP line yet: ask.
            if plays and not self.hung_up and await self._still_up():
                raise PromptNotPlayed(reply, encode_command(command, *args))
            self.hung_up = True
            raise ChannelHungUp(f"{command} returned -1")
        return reply

    async def _still_up(self) -> bool:
        """``CHANNEL STATUS``: a live channel answers its state; a hung-up one ``511``."""
        try:
            reply = await self._ask("the channel-status question", "CHANNEL STATUS")
        except (ChannelHungUp, AgiCommandError):
            return False
        return reply.result_int >= 0

    async def _ask(self, question: str, command: str, *args: str) -> Reply:
        """A command Asterisk answers from memory, within :data:`HANGUP_SIDE_TIMEOUT_S`.

        Raises :class:`ReplyTimeout` when no answer comes in time, with the connection
        closed: the call is over either way, and no later command may read the late reply.
        """
        try:
            async with asyncio.timeout(HANGUP_SIDE_TIMEOUT_S):
                return await self.command(command, *args)
        except TimeoutError:
            self._writer.close()
            _quiet.warning(f"{command}-timeout", "FastAGI call %s: no answer to %s within "
                           "%.1f s", self.request.uniqueid, question, HANGUP_SIDE_TIMEOUT_S)
            raise ReplyTimeout(f"no answer to {question}") from None

    async def wait_hangup(self) -> None:
        """Return when Asterisk reports a hang-up; use while no command is running (a lookup)."""
        async with self._lock:
            try:
                while not self.hung_up and not self._pending:
                    await self._read_more()
            except ChannelHungUp:
                return
            if self._pending:
                raise RemoteProtocolError(f"unsolicited AGI reply {self._pending[0].code}")

    async def hangup_side(self) -> HangupSide:
        """After a hang-up, ask Asterisk which side ended the channel: one round trip.

        Asterisk keeps a hung-up channel, and answers ``GET FULL VARIABLE`` on it, until
        the FastAGI session ends (``run_agi`` in res_agi.c, dead mode), so the question is
        asked before the connection is closed. Never raises: a connection that is gone or
        a reply that does not come in time gives :attr:`HangupSide.UNKNOWN`.
        """
        try:
            reply = await self._ask("the hang-up question", "GET FULL VARIABLE",
                                    HANGUP_SOURCE_PROBE)
        except (ChannelHungUp, AgiCommandError, RemoteProtocolError):
            return HangupSide.UNKNOWN
        return parse_hangup_side(reply)

    async def answer(self) -> None:
        """Answer the channel."""
        await self._media("ANSWER")

    async def hangup(self) -> None:
        """Hang up the channel."""
        await self.command("HANGUP")

    async def stream_file(self, file: str, escape_digits: str = "") -> Playback:
        """Play *file* (no extension; absolute or relative to Asterisk's sounds dir).

        Returns the key that interrupted playback if it is one of *escape_digits*.
        """
        reply = await self._media("STREAM FILE", file, check_digits(escape_digits), plays=True)
        return Playback(digit=pressed(reply.result_int), endpos=reply.endpos)

    async def get_data(self, file: str, timeout_ms: int, max_digits: int) -> DigitsEntered:
        """Play *file* and collect up to *max_digits* keys (``#`` ends entry)."""
        reply = await self.command(
            "GET DATA", file, str(timeout_ms), str(max_digits),
            waits_ms=timeout_ms * max(max_digits, 1),
        )
        if reply.result == "-1":
            self.hung_up = True
            raise ChannelHungUp("GET DATA returned -1")
        return DigitsEntered(digits=reply.result or "", timed_out=reply.data == "timeout")

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        """Wait up to *timeout_ms* for one key; ``None`` on timeout."""
        reply = await self._media("WAIT FOR DIGIT", str(timeout_ms), waits_ms=timeout_ms)
        return pressed(reply.result_int)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """Say *digits* one by one; returns the interrupting key, if any."""
        reply = await self._media("SAY DIGITS", check_digits(digits), check_digits(escape_digits),
                                  plays=True)
        return pressed(reply.result_int)

    async def say_number(self, number: int, escape_digits: str = "") -> str | None:
        """Say *number* as a whole number; returns the interrupting key, if any."""
        reply = await self._media("SAY NUMBER", str(int(number)), check_digits(escape_digits),
                                  plays=True)
        return pressed(reply.result_int)

    async def record_file(
        self,
        file: str,
        fmt: str = "wav",
        escape_digits: str = "#",
        timeout_ms: int = 120_000,
        beep: bool = True,
        silence_s: int | None = None,
    ) -> Recording:
        """Record the caller into *file*.*fmt* until a key, *timeout_ms* or *silence_s* silence."""
        args = [file, fmt, check_digits(escape_digits), str(timeout_ms)]
        if beep:
            args.append("BEEP")
        if silence_s:
            args.append(f"s={int(silence_s)}")
        reply = await self.command("RECORD FILE", *args, waits_ms=timeout_ms)
        if reply.data == "hangup" or reply.result_int < 0:
            self.hung_up = True
            raise ChannelHungUp("hung up while recording")
        if reply.data == "dtmf":
            return Recording("dtmf", reply.endpos, pressed(reply.result_int))
        if reply.data == "timeout":
            return Recording("timeout", reply.endpos)
        return Recording("silence", reply.endpos)

    async def set_variable(self, name: str, value: str) -> None:
        """Set channel variable *name* to *value* exactly.

        A value with a line break cannot travel inside an AGI command, so it is
        sent base64-encoded to the ``ivr-setvar`` dialplan helper (see
        ``asterisk_conf/extensions.conf``), which decodes it on the Asterisk side.
        """
        check_variable_name(name)
        if "\n" in value or "\r" in value or "\x00" in value:
            encoded = base64.b64encode(value.replace("\x00", "").encode("utf-8")).decode("ascii")
            # The AGI GOSUB command runs the subroutine now; EXEC Gosub would only push a
            # frame that the dialplan runs after the AGI ends.
            reply = await self.command("GOSUB", "ivr-setvar", "s", "1", f"{name},{encoded}")
            if reply.result_int < 0:
                raise AgiCommandError(reply, b"GOSUB ivr-setvar")
            return
        await self.command("SET VARIABLE", name, value)

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """Set every channel variable of *values*: the plain ones in one command (``ARRAY()``)."""
        for name in values:
            check_variable_name(name)
        plan = plan_assignments(values)
        if plan.packed is not None:
            await self.command("SET VARIABLE", *plan.packed)
        for name, value in plan.single.items():
            await self.set_variable(name, value)

    async def get_variable(self, name: str) -> str | None:
        """Read channel variable *name* exactly (full length); ``None`` when unset or empty.

        The value travels base64-encoded (``BASE64_ENCODE``, func_base64): a raw
        value with a line break would split the reply and desynchronise the session.
        """
        check_variable_name(name)
        reply = await self.command("GET FULL VARIABLE", f"${{BASE64_ENCODE(${{{name}}})}}")
        if reply.result != "1" or not reply.data:
            return None
        try:
            return base64.b64decode(reply.data, validate=True).decode("utf-8", "replace")
        except ValueError:
            raise RemoteProtocolError(f"GET FULL VARIABLE {name}: not base64") from None

    async def exec_app(self, app: str, *args: str) -> int:
        """Run dialplan application *app* with comma-joined *args*; returns its result.

        Raises ``AgiCommandError`` when the application does not exist.
        """
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", app):
            raise LocalProtocolError(f"not an application name: {app!r}")
        reply = await self.command("EXEC", app, ",".join(args))
        if reply.result == "-2":
            raise AgiCommandError(reply, f"EXEC {app}".encode())
        return reply.result_int

    async def verbose(self, message: str, level: int = 1) -> None:
        """Write *message* to the Asterisk console/log."""
        await self.command("VERBOSE", message, str(level))

    async def noop(self) -> None:
        """Do nothing (a round trip; the bench and keep-alives use it)."""
        await self.command("NOOP")

    async def close(self) -> None:
        """Close the connection (Asterisk does not close it on hang-up by itself)."""
        if not self._writer.is_closing():
            self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
