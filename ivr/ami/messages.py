"""AMI messages, sans I/O: safe action encoding and typed views of the events the IVR uses.

AMI is ``Key: Value`` lines ended by a blank line, so a value carrying a line
break would start a new header (or a new action). Every value we send passes
through :func:`safe_value`. Received bytes are framed by :class:`MessageParser`
(lines end at CRLF and nowhere else; a header Asterisk sends once may not be
repeated, in any spelling) and normalised to lower-case keys
(:func:`fields_from`) before any other code looks at them, so header spelling
differences between Asterisk versions (``Location``/``Interface``) stay here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

Fields = Mapping[str, str]

#: Asterisk reads AMI lines into a 1024-byte buffer; keep header lines well below it.
MAX_VALUE_CHARS: Final = 900
_HEADER_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_LINE_BREAKS: Final = re.compile(r"[\r\n\x00]+")
#: C0 controls but tab, DEL and C1: Asterisk C-escapes names and variables (ast_escape_c), so
#: none of these reaches a value unless something forged the line.
_CONTROL_CHARS: Final = r"\x00-\x08\x0a-\x1f\x7f-\x9f"
_CONTROL: Final = re.compile(f"[{_CONTROL_CHARS}]")
#: Headers that identify what a message is about: never repeated by Asterisk, and a repeat
#: is refused. Others may repeat (real Asterisk 22 repeats e.g. ``State`` in some events);
#: :func:`fields_from` then keeps the last value.
_IDENTITY: Final = frozenset({
    "event", "response", "actionid", "uniqueid", "linkedid", "channel", "queue", "interface",
    "location", "stateinterface", "destuniqueid", "destchannel", "destlinkedid", "userevent",
})
#: Asterisk's AMI lines are at most 1024 bytes; a message of many lines stays far below this.
MAX_MESSAGE_BYTES: Final = 256 * 1024
BANNER: Final = b"Asterisk Call Manager/"
#: Device states (AST_DEVICE_*) in which Asterisk counts a member as available.
_AVAILABLE_STATES: Final = frozenset({0, 1})


class AmiError(Exception):
    """An AMI action failed or AMI is not connected."""


class AmiProtocolError(AmiError):
    """Asterisk (or whatever answers on the AMI port) sent a message that is not AMI."""


Headers = dict[str, "str | list[str]"]


class MessageParser:
    """AMI framing, sans I/O: bytes in, one header dict (or a refusal) per message out.

    Lines end at CRLF only, never at a bare CR or LF or the breaks
    ``str.splitlines`` knows (U+2028 …): Asterisk writes caller names and
    variables into events unescaped, so only its own CRLF may end a line. A
    identifying header (``Uniqueid``, ``Channel``, ``Event`` …) repeated in any
    spelling is refused; so is a value with a control character other
    than tab (Asterisk escapes them). A refused message is returned as :class:`AmiProtocolError`
    (it names the header, never the value) and the stream goes on.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._banner = True

    def feed(self, data: bytes) -> list[Headers | AmiProtocolError]:
        """Add received bytes; return every message they complete."""
        buffer = self._buffer
        buffer += data
        out: list[Headers | AmiProtocolError] = []
        if self._banner:
            end = buffer.find(b"\r\n")
            if end < 0:
                if len(buffer) > MAX_MESSAGE_BYTES:
                    raise AmiProtocolError("AMI line too long")
                return out
            self._banner = False
            if buffer.startswith(BANNER):
                del buffer[: end + 2]
        # A message is its lines up to the first empty one; empty lines between messages
        # are skipped. Framed a message at a time (not a line at a time): one search and
        # one cut per message is what keeps AMI cheap for a service reading every event.
        start = 0
        while True:
            while buffer.startswith(b"\r\n", start):
                start += 2
            end = buffer.find(b"\r\n\r\n", start)
            if end < 0:
                break
            if end - start > MAX_MESSAGE_BYTES:
                raise AmiProtocolError("AMI message too long")
            out.append(_headers_block(bytes(buffer[start:end])))
            start = end + 4
        del buffer[:start]
        if len(buffer) > MAX_MESSAGE_BYTES:
            raise AmiProtocolError("AMI message too long")
        return out


#: A whole message of well-formed ``Key: Value`` lines with no control character in it: the
#: common case, checked by one match instead of line by line.
#: One well-formed header line, from the same name pattern and control characters as above.
_LINE: Final = f"{_HEADER_NAME.pattern}: [^{_CONTROL_CHARS}]*"
_WELL_FORMED: Final = re.compile(f"{_LINE}(?:\r\n{_LINE})*")


def _headers_block(block: bytes) -> Headers | AmiProtocolError:
    """One message's lines (CRLF-separated, no empty one): :func:`_headers`, faster.

    A message whose lines are all well formed and whose header names are all
    different (in any spelling) is taken in one piece; any other goes through
    :func:`_headers`, which also says what is wrong with it.
    """
    text = block.decode("utf-8", "replace")
    if _WELL_FORMED.fullmatch(text):
        pairs = [line.split(": ", 1) for line in text.split("\r\n")]
        headers: Headers = {name: value for name, value in pairs}
        names = {name.lower() for name in headers}
        if len(names) == len(pairs) and ("event" in names or "response" in names):
            return headers
    return _headers(block.split(b"\r\n"))


def _headers(lines: list[bytes]) -> Headers | AmiProtocolError:
    headers: Headers = {}
    spelling: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        key, sep, value = raw.decode("utf-8", "replace").partition(": ")
        if not sep or not _HEADER_NAME.fullmatch(key):
            return AmiProtocolError(f"AMI message line {number} is not 'Key: Value'")
        name = key.lower()
        repeatable = name not in _IDENTITY
        if (bad := _CONTROL.search(value)) is not None:
            return AmiProtocolError(
                f"AMI header {key} contains control character U+{ord(bad.group()):04X}"
            )
        if name not in spelling:
            spelling[name] = key
            headers[key] = value
        elif repeatable:
            previous = headers[spelling[name]]
            headers[spelling[name]] = [*previous, value] if isinstance(previous, list) else [
                previous, value]
        else:
            return AmiProtocolError(f"AMI header {key} repeated (line {number})")
    if "event" not in spelling and "response" not in spelling:
        # What a line break cut off an event looks like; panoramisk dropped these too.
        return AmiProtocolError("AMI message with neither Event nor Response")
    return headers


def safe_value(value: object) -> str:
    """Render *value* as one header value: line breaks become spaces, length is capped."""
    text = _LINE_BREAKS.sub(" ", str(value))
    return text[:MAX_VALUE_CHARS]


def action(name: str, **headers: object) -> dict[str, str]:
    """Build an action as a header dict; names are checked, values made safe."""
    out = {"Action": _header_name(name)}
    for key, value in headers.items():
        out[_header_name(key)] = safe_value(value)
    return out


def user_event(name: str, headers: Mapping[str, object]) -> dict[str, str]:
    """Build a ``UserEvent`` action (Asterisk re-broadcasts it to every AMI listener)."""
    out = action("UserEvent", UserEvent=_header_name(name))
    for key, value in headers.items():
        out[_header_name(key)] = safe_value(value)
    return out


def _header_name(name: str) -> str:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"not an AMI header name: {name!r}")
    return name


def fields_from(message: Mapping[str, object]) -> dict[str, str]:
    """Normalise a received message: lower-case keys, the last value of repeated headers.

    Only the headers :class:`MessageParser` lets repeat arrive here as lists.
    """
    out: dict[str, str] = {}
    for key, value in message.items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        out[str(key).lower()] = str(value)
    return out


def _int(fields: Fields, key: str, default: int = 0) -> int:
    raw = fields.get(key, "")
    try:
        return int(raw)
    except ValueError:
        return default


@dataclass(frozen=True, slots=True)
class Member:
    """One queue member (agent) as AMI reports it."""

    queue: str
    interface: str
    name: str
    status: int
    paused: bool
    in_call: bool

    @property
    def available(self) -> bool:
        """Free to take a call now (the same rule Asterisk's ``QueueSummary`` uses)."""
        return not self.paused and not self.in_call and self.status in _AVAILABLE_STATES


def member_from(fields: Fields) -> Member:
    """Parse a member from ``QueueMember`` (status reply) or ``QueueMember*`` events."""
    interface = fields.get("interface") or fields.get("location") or fields.get("stateinterface")
    return Member(
        queue=fields.get("queue", ""),
        interface=interface or "",
        name=fields.get("membername") or fields.get("name") or interface or "",
        status=_int(fields, "status"),
        paused=fields.get("paused", "0") == "1",
        in_call=fields.get("incall", "0") == "1",
    )


@dataclass(frozen=True, slots=True)
class QueueParams:
    """A queue's counters from ``QueueParams`` (average hold time in seconds)."""

    queue: str
    calls: int
    holdtime_s: int
    talktime_s: int
    completed: int
    abandoned: int


def params_from(fields: Fields) -> QueueParams:
    """Parse a ``QueueParams`` message."""
    return QueueParams(
        queue=fields.get("queue", ""),
        calls=_int(fields, "calls"),
        holdtime_s=_int(fields, "holdtime"),
        talktime_s=_int(fields, "talktime"),
        completed=_int(fields, "completed"),
        abandoned=_int(fields, "abandoned"),
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """A caller waiting in a queue."""

    queue: str
    uniqueid: str
    position: int
    wait_s: int


def entry_from(fields: Fields) -> Entry:
    """Parse a ``QueueEntry`` message or a ``QueueCallerJoin`` event."""
    return Entry(
        queue=fields.get("queue", ""),
        uniqueid=fields.get("uniqueid", ""),
        position=_int(fields, "position"),
        wait_s=_int(fields, "wait"),
    )
