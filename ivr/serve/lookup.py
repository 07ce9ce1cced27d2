"""Carry out a flow's ``Lookup`` effect: one HTTP request with a deadline, JSON back.

The URL is sent exactly as the flow step built it (``encoded=True``: no re-quoting, no
dot-segment resolution by the client), and a URL whose path holds a ``.`` or ``..``
segment, plain or percent-encoded, is refused: a server may still resolve ``%2E%2E``, and
a caller-typed value must never move the request to another path.
"""

from __future__ import annotations

import json
import time
from urllib.parse import unquote

import aiohttp
from yarl import URL

from ivr.flows.effects import Lookup
from ivr.flows.events import LookupDone, LookupFailed


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
        return LookupFailed("timeout", latency_ms=elapsed())
    except aiohttp.ClientError as exc:
        return LookupFailed(f"connection: {type(exc).__name__}", latency_ms=elapsed())
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        return LookupFailed("not JSON", latency_ms=elapsed())
    return LookupDone(status=status, data=data, latency_ms=elapsed())


def request_url(text: str) -> URL | None:
    """*text* as a URL to send verbatim, or None when its path has a dot segment."""
    try:
        url = URL(text, encoded=True)
    except ValueError:
        return None
    if any(unquote(segment) in (".", "..") for segment in url.raw_path.split("/")):
        return None
    return url
