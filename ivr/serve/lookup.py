"""Carry out a flow's ``Lookup`` effect: one HTTP request with a deadline, JSON back."""

from __future__ import annotations

import json
import time

import aiohttp

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

    try:
        async with http.request(
            effect.method,
            effect.url,
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
