"""The FastAGI wire protocol, sans I/O: request headers, reply lines and safe command encoding.

Asterisk opens the TCP connection, sends ``agi_*: value`` header lines ended by
a blank line, then waits for one command line at a time and answers each with
a reply (``200 result=…``, ``510``, ``511``, or a multi-line ``520-…``). When
the caller hangs up it also sends a bare ``HANGUP`` line, which may arrive
before or after the reply of the command in progress. Asterisk sends the same line when it
hangs the channel up itself (``core stop now``, an administrator's hang-up);
:data:`HANGUP_SOURCE_PROBE` and :func:`parse_hangup_side` tell the two apart.

Nothing here touches a socket: :class:`RequestParser` and :class:`ReplyParser`
are fed bytes and hand back frozen events; :func:`encode_command` turns a
command and its arguments into one line that no argument can break out of.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Final

#: Asterisk reads a command into an 8192-byte buffer; a longer line is cut.
MAX_COMMAND_BYTES: Final = 8190
#: Asterisk splits a command into at most 128 words (command words included).
MAX_ARGS: Final = 127
#: Limits for what we accept from the peer before treating it as hostile.
MAX_HEADER_BYTES: Final = 64 * 1024
MAX_REPLY_LINE_BYTES: Final = 64 * 1024

_FORBIDDEN = re.compile(r"[\r\n\x00]")
#: Header names as Asterisk writes them (``agi_callerid``, ``agi_arg_12``).
_HEADER_NAME = re.compile(r"agi_[a-z][a-z0-9_]{0,63}")
#: C0 controls but tab, DEL and C1 controls (U+0085 among them): never in a real header value.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_COMMAND_WORD = re.compile(r"[A-Z][A-Z ]*[A-Z]|[A-Z]")
_TAIL_PAIR = re.compile(r"\s*([A-Za-z_]+)=(\S*)")
_DATA_AND_TAIL = re.compile(r"\((?P<data>.*)\)(?P<tail>(?:\s+[A-Za-z_]+=\S*)*)\s*", re.DOTALL)


class ProtocolError(Exception):
    """Base of every AGI protocol error."""


class LocalProtocolError(ProtocolError, ValueError):
    """We were about to send something unsafe or impossible (a bug or hostile input on our side)."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something that is not FastAGI."""


#: The request's query key by which the dialplan says it answered the channel already
#: (``AGI(agi://host/main?answered=yes)``, as ``asterisk_conf/extensions.conf`` does): an
#: ``ANSWER`` would then be a round trip that does nothing (res_agi answers only a channel
#: that is not up), one of a DTMF call's four commands.
ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class AgiRequest:
    """The header block Asterisk sends when a call reaches ``AGI(agi://host/script)``."""

    env: MappingProxyType[str, str]

    def get(self, key: str, default: str = "") -> str:
        """One ``agi_*`` value by its name without the ``agi_`` prefix (``"channel"``)."""
        return self.env.get(f"agi_{key}", default)

    @property
    def script(self) -> str:
        """The request path without slashes and query: ``agi://h:4573/main?x=1`` gives ``main``."""
        raw = self.get("network_script") or self.get("request").partition("://")[2].partition("/")[2]
        return raw.partition("?")[0].strip("/")

    @property
    def query(self) -> dict[str, str]:
        """``key=value`` pairs after ``?`` in the request path."""
        raw = (self.get("network_script") or self.get("request")).partition("?")[2]
        pairs = (p.partition("=") for p in raw.split("&") if p)
        return {k: v for k, _sep, v in pairs}

    @property
    def answered(self) -> bool:
        """The dialplan answered before ``AGI()`` and says so with ``?answered=yes``."""
        return self.query.get(ANSWERED) == "yes"

    @property
    def args(self) -> tuple[str, ...]:
        """``agi_arg_1`` … ``agi_arg_N`` in order."""
        out: list[str] = []
        while (value := self.env.get(f"agi_arg_{len(out) + 1}")) is not None:
            out.append(value)
        return tuple(out)

    @property
    def uniqueid(self) -> str:
        """The channel's Uniqueid (the same id AMI events carry)."""
        return self.get("uniqueid")

    @property
    def channel(self) -> str:
        """The channel name, e.g. ``PJSIP/caller-00000001``."""
        return self.get("channel")

    @property
    def caller(self) -> str | None:
        """Caller number, or ``None`` when withheld/unknown."""
        return _known(self.get("callerid"))

    @property
    def dnid(self) -> str | None:
        """Dialled number, or ``None`` when unknown."""
        return _known(self.get("dnid"))


def _known(value: str) -> str | None:
    return None if value in ("", "unknown") else value


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer to a command.

    ``result`` is the raw ``result=`` value (digits for ``GET DATA``, a number
    elsewhere); ``data`` is the parenthesised part (``timeout``, ``dtmf``, a
    variable's value); ``extra`` holds trailing ``key=value`` pairs such as
    ``endpos``; ``usage`` holds the text of a ``520`` reply.
    """

    code: int
    result: str | None = None
    data: str | None = None
    extra: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    usage: str = ""

    @property
    def ok(self) -> bool:
        """The command was accepted (``200``)."""
        return self.code == 200

    @property
    def result_int(self) -> int:
        """``result`` as an integer (raises ``RemoteProtocolError`` when it is not one)."""
        try:
            return int(self.result or "")
        except ValueError:
            raise RemoteProtocolError(f"result is not a number: {self.result!r}") from None

    @property
    def endpos(self) -> int | None:
        """``endpos=`` of ``STREAM FILE``/``RECORD FILE``, in samples."""
        raw = self.extra.get("endpos")
        return int(raw) if raw is not None and raw.lstrip("-").isdigit() else None


@dataclass(frozen=True, slots=True)
class HangupNotice:
    """The bare ``HANGUP`` line: the caller is gone (the session should end)."""


ReplyEvent = Reply | HangupNotice


class HangupSide(Enum):
    """Which side ended a hung-up channel, as Asterisk's own record of the channel says."""

    #: The caller's line reported the hang-up (a SIP BYE, a Local half ending).
    CALLER = "caller"
    #: Nothing on the caller's side did: Asterisk hung the channel up itself (shutdown,
    #: ``channel request hangup``, the AMI ``Hangup`` action, an RTP timeout).
    ASTERISK = "asterisk"
    #: The question could not be asked or answered (connection gone, odd reply).
    UNKNOWN = "unknown"


#: The ``GET FULL VARIABLE`` argument that asks, on a hung-up channel, how long its
#: ``CHANNEL(hangupsource)`` is. A channel driver sets that source to the channel's own name
#: when the far end hangs up (``chan_pjsip_session_end``; DAHDI, IAX2 and PRI do the same);
#: ``ast_softhangup`` (``ast_softhangup_all`` at shutdown, the CLI and AMI hang-ups) sets
#: none. ``GET FULL VARIABLE`` is one of the commands ``res_agi`` runs on a dead channel, and
#: the channel lives until the FastAGI session ends, so the answer is there to read. Only the
#: length comes back: the source is a channel name, which can hold what a caller dialled.
HANGUP_SOURCE_PROBE: Final = "${LEN(${CHANNEL(hangupsource)})}"


def parse_hangup_side(reply: Reply) -> HangupSide:
    """Read the reply to ``GET FULL VARIABLE`` :data:`HANGUP_SOURCE_PROBE`.

    No source (``0``) means nothing on the caller's side ended the channel: Asterisk did.
    Anything that is not a clean length is :attr:`HangupSide.UNKNOWN`.
    """
    if not reply.ok or reply.result != "1" or reply.data is None or not reply.data.isdigit():
        return HangupSide.UNKNOWN
    return HangupSide.ASTERISK if int(reply.data) == 0 else HangupSide.CALLER


def parse_reply_line(line: str) -> Reply:
    """Parse one complete single-line reply (``200 result=1 (timeout) endpos=80``)."""
    code_text, _sep, rest = line.partition(" ")
    if len(code_text) != 3 or not code_text.isdigit():
        raise RemoteProtocolError(f"not an AGI reply: {line[:80]!r}")
    code = int(code_text)
    if code not in (100, 200):
        return Reply(code=code, usage=rest)
    if not rest.startswith("result="):
        raise RemoteProtocolError(f"reply without result=: {line[:80]!r}")
    value, _sep, rest = rest[len("result=") :].partition(" ")
    data: str | None = None
    tail = rest
    match = _DATA_AND_TAIL.fullmatch(rest)
    if match is not None:
        data, tail = match["data"], match["tail"]
    extra = dict(_TAIL_PAIR.findall(tail))
    return Reply(code=code, result=value, data=data, extra=MappingProxyType(extra))


class ReplyParser:
    """Turns the bytes Asterisk sends after the header into :data:`ReplyEvent` values."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._usage: list[str] | None = None

    def feed(self, data: bytes) -> list[ReplyEvent]:
        """Add received bytes; return every event they complete (possibly none)."""
        self._buffer += data
        events: list[ReplyEvent] = []
        while (end := self._buffer.find(b"\n")) >= 0:
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            event = self._line(raw.decode("utf-8", "replace").rstrip("\r"))
            if event is not None:
                events.append(event)
        if len(self._buffer) > MAX_REPLY_LINE_BYTES:
            raise RemoteProtocolError("reply line too long")
        return events

    def _line(self, line: str) -> ReplyEvent | None:
        if self._usage is not None:
            if line.startswith("520 "):
                usage, self._usage = "\n".join(self._usage), None
                return Reply(code=520, usage=usage)
            self._usage.append(line)
            if len(self._usage) > 1000:
                raise RemoteProtocolError("520 usage text never ends")
            return None
        if line == "HANGUP":
            return HangupNotice()
        if line.startswith("520-"):
            self._usage = [line[4:]]
            return None
        if not line:
            return None
        return parse_reply_line(line)


class RequestParser:
    """Collects the ``agi_*`` header block; :meth:`feed` returns the request once it is complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.request: AgiRequest | None = None

    def feed(self, data: bytes) -> AgiRequest | None:
        """Add received bytes; return the request when the blank line arrives, else ``None``.

        Bytes after the blank line are kept and returned by :meth:`leftover`.
        """
        self._buffer += data
        if self.request is not None:
            return self.request
        first = self._buffer.find(b"\n")
        if first == 0 or self._buffer.startswith(b"\r\n"):
            raise RemoteProtocolError("AGI header block starts with a blank line")
        end, line_end = -1, b"\n"
        if first > 0:
            # The first line (agi_network or agi_request, written by Asterisk itself) fixes the
            # line ending for the whole block, so a caller's value cannot choose it.
            line_end = b"\r\n" if self._buffer[first - 1] == ord("\r") else b"\n"
            end = self._buffer.find(line_end * 2)
        if end < 0:
            if len(self._buffer) > MAX_HEADER_BYTES:
                raise RemoteProtocolError("AGI header block too long")
            return None
        block = self._buffer[: end + len(line_end)].decode("utf-8", "replace")
        self.request = parse_request_block(block)
        del self._buffer[: end + 2 * len(line_end)]
        return self.request

    def leftover(self) -> bytes:
        """Bytes received after the header block."""
        return bytes(self._buffer)


def parse_request_block(block: str) -> AgiRequest:
    """Parse the header lines (up to, not including, the blank line) into an :class:`AgiRequest`.

    Asterisk writes each value raw after ``agi_name: `` and ends the line with LF
    (``setup_env`` in res_agi.c), so a line ends at LF and nowhere else: never at
    U+2028, U+0085 or the other breaks ``str.splitlines`` knows, which a caller
    can put in a SIP display name. CRLF is tolerated when the first line uses it.
    Asterisk sends every header once, arguments last and numbered from 1, and no
    control character but what a caller or the dialplan put in a value; so a
    repeated name, an argument out of place or a control character other than tab
    means the block is not what Asterisk meant to send, and it is refused rather
    than guessed at. Errors name the header, never its value (it may be a caller's).
    """
    lines = block.removesuffix("\n").split("\n")
    crlf = lines[0].endswith("\r")
    env: dict[str, str] = {}
    args = 0
    for number, raw in enumerate(lines, start=1):
        if crlf:
            if not raw.endswith("\r"):
                raise RemoteProtocolError(f"AGI header line {number} does not end in CRLF")
            raw = raw[:-1]
        key, sep, value = raw.partition(":")
        if not sep or not _HEADER_NAME.fullmatch(key):
            raise RemoteProtocolError(f"AGI header line {number} is not 'agi_name: value'")
        if key in env:
            raise RemoteProtocolError(f"AGI header {key} repeated (line {number})")
        value = value[1:] if value.startswith(" ") else value
        if (bad := _CONTROL.search(value)) is not None:
            raise RemoteProtocolError(
                f"AGI header {key} contains control character U+{ord(bad.group()):04X}"
            )
        if key.startswith("agi_arg_"):
            args += 1
            if key != f"agi_arg_{args}":
                raise RemoteProtocolError(f"AGI header {key} out of order (want agi_arg_{args})")
        elif args:
            raise RemoteProtocolError(f"AGI header {key} after the arguments (line {number})")
        env[key] = value
    if "agi_request" not in env and "agi_network_script" not in env:
        raise RemoteProtocolError("AGI header block without agi_request")
    return AgiRequest(env=MappingProxyType(env))


def encode_request(env: Mapping[str, str]) -> bytes:
    """Encode a request header block as Asterisk writes it: ``agi_name: value`` lines, a blank line.

    Names may be given with or without their ``agi_`` prefix; values are written raw
    (as ``setup_env`` in res_agi.c does), so a test can send what a caller can put there.
    The tests, the bench peer and the demo callers all place calls with this one encoder.
    """
    lines = (f"{k if k.startswith('agi_') else 'agi_' + k}: {v}\n" for k, v in env.items())
    return "".join(lines).encode("utf-8") + b"\n"


def quote_argument(value: str) -> str:
    r"""Quote one argument so Asterisk's parser reads back exactly *value*.

    Asterisk splits on blanks, toggles quoting at ``"`` and reads ``\\x`` as a
    literal ``x``; there is no escape for a line break, so ``\\r``, ``\\n`` and
    NUL are refused (they would end the command and start another).
    """
    if _FORBIDDEN.search(value):
        raise LocalProtocolError("AGI argument contains CR, LF or NUL")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_command(command: str, *args: str) -> bytes:
    """Encode ``COMMAND WORDS`` plus quoted *args* as one LF-terminated line."""
    if not _COMMAND_WORD.fullmatch(command):
        raise LocalProtocolError(f"not an AGI command: {command!r}")
    if len(command.split()) + len(args) > MAX_ARGS:
        raise LocalProtocolError("too many AGI arguments")
    try:
        line = " ".join([command, *(quote_argument(a) for a in args)]).encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        raise LocalProtocolError("AGI argument is not valid Unicode text") from None
    if len(line) > MAX_COMMAND_BYTES:
        raise LocalProtocolError("AGI command longer than Asterisk's buffer")
    return line


def split_like_asterisk(line: str) -> list[str]:
    """Split a command line as Asterisk's ``parse_args`` does (for tests and the bench peer)."""
    words: list[str] = []
    current: list[str] = []
    quoted = escaped = in_word = False
    for ch in line.rstrip("\n"):
        if escaped:
            current.append(ch)
            escaped = False
            in_word = True
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            in_word = True
        elif ch in " \t" and not quoted:
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
        else:
            current.append(ch)
            in_word = True
    if in_word:
        words.append("".join(current))
    return words
