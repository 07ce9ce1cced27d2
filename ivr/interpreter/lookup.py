"""Carry out a flow's ``Lookup`` effect: one HTTP request with a deadline, JSON back.

The live service and ``ivr simulate`` both call :func:`run_lookup` (through
:class:`HttpLookups`), so a lookup behaves the same in both: redirects are refused (the
reply to a redirect is a failed lookup, see ``ivr.flows.steps.lookup.refusal``) and a
failure says why. ``ivr replay`` gives the session another :class:`LookupBackend`, one that
answers from the recorded call (``ivr.replay.replies``).

The URL is sent exactly as the flow step built it (``encoded=True``: no re-quoting, no
dot-segment resolution by the client), and a URL whose path holds a ``.`` or ``..``
segment, plain or percent-encoded, is refused: a server may still resolve ``%2E%2E``, and
a caller-typed value must never move the request to another path.
"""

from __future__ import annotations

import json
import time
from typing import Protocol
from urllib.parse import unquote

import aiohttp
from yarl import URL

from ivr.flows.effects import Lookup
from ivr.flows.events import LookupDone, LookupFailed


class LookupBackend(Protocol):
    """Answers a flow's ``Lookup`` effect (the call session asks it while the caller waits)."""

    async def lookup(self, effect: Lookup) -> LookupDone | LookupFailed:
        """The reply to *effect*, or why there is none."""


class HttpLookups:
    """The live backend: one real HTTP request per lookup, with :func:`run_lookup`."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def lookup(self, effect: Lookup) -> LookupDone | LookupFailed:
        """Make the request *effect* describes."""
        return await run_lookup(effect, self.http)


async def run_lookup(effect: Lookup, http: aiohttp.ClientSession) -> LookupDone | LookupFailed:
    """Make the request; any failure (timeout, refused, non-JSON) becomes ``LookupFailed``."""
    started = time.monotonic()
    headers = dict(effect.headers)
    body = effect.json_body.encode("utf-8") if effect.json_body is not None else None
    if body is not None:
        headers.setdefault("Content-Type", "application/json")

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    url = request_url(effect.url)
    if url is None:
        return LookupFailed("refused: the URL path has a . or .. segment", latency_ms=elapsed())
    try:
        async with http.request(
            effect.method,
            url,
            headers=headers,
            data=body,
            timeout=aiohttp.ClientTimeout(total=effect.timeout_s),
            allow_redirects=False,
        ) as response:
            text = await response.text()
            status = response.status
    except TimeoutError:
        return LookupFailed(f"timeout after {effect.timeout_s:g} s", latency_ms=elapsed())
    except aiohttp.ClientError as exc:
        return LookupFailed(_connection_reason(exc), latency_ms=elapsed())
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        if 200 <= status < 300:
            return LookupFailed("not JSON", latency_ms=elapsed())
        data = None  # a redirect or error page: its status is the reason, not its body
    return LookupDone(status=status, data=data, latency_ms=elapsed())


def _connection_reason(exc: aiohttp.ClientError) -> str:
    """A short reason for a failed connection (never the request, which may hold a PIN)."""
    cause = getattr(exc, "os_error", None)
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {type(cause).__name__ if cause else type(exc).__name__}"
    return f"connection: {type(exc).__name__}"


def request_url(text: str) -> URL | None:
    """*text* as a URL to send verbatim, or None when its path has a dot segment."""
    try:
        url = URL(text, encoded=True)
    except ValueError:
        return None
    if any(unquote(segment) in (".", "..") for segment in url.raw_path.split("/")):
        return None
    return url
