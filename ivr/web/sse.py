"""Server-Sent Events for the live pages: a JSON message whenever a page's state changes.

The wallboard and the agent's hand-off page both poll the store (where every
service instance publishes) and push only what changed, so an idle page costs
one small query per poll and no bytes on the wire.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

#: How often a stream looks for a change (publishers write every 0.5 s, or at once when poked).
POLL_S = 0.1
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_S = 15.0
#: Set when the dashboard shuts down: open streams end rather than hold the shutdown.
STOPPING = web.AppKey("live_stopping", asyncio.Event)

State = Callable[[], Awaitable[dict[str, Any]]]


async def stream(request: web.Request, state: State) -> web.StreamResponse:
    """``text/event-stream``: one ``data:`` JSON message each time ``state()`` changes.

    Only a client that asks for a stream (``Accept: text/event-stream``, as every
    EventSource does) gets one; any other request gets the current state as a single
    message, so a plain fetch (curl, a crawler) never hangs on an endless body.
    """
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store",
        "X-Accel-Buffering": "no"})
    await response.prepare(request)
    if "text/event-stream" not in request.headers.get("Accept", ""):
        await response.write(f"data: {json.dumps(await state())}\n\n".encode())
        await response.write_eof()
        return response
    last, quiet = "", 0.0
    stopping = request.app[STOPPING]
    try:
        while not stopping.is_set():
            text = json.dumps(await state(), sort_keys=True)
            if text != last:
                await response.write(f"data: {text}\n\n".encode())
                last, quiet = text, 0.0
            elif quiet >= KEEPALIVE_S:
                await response.write(b": keep-alive\n\n")
                quiet = 0.0
            await asyncio.sleep(POLL_S)
            quiet += POLL_S
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the browser went away
    return response


async def _stop_streams(app: web.Application) -> None:
    app[STOPPING].set()


def install(app: web.Application) -> None:
    """End every open stream when *app* shuts down (call once, before adding stream routes)."""
    if STOPPING not in app:
        app[STOPPING] = asyncio.Event()
        app.on_shutdown.append(_stop_streams)
