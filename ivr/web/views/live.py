"""The live wallboard: callers in the IVR now, queues, today so far; sent as Server-Sent Events."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from ivr.live.board import Thresholds, snapshot
from ivr.web.app_keys import CONFIG, STORE, TZ

#: How often the stream looks for a change (publishers write every 0.5 s).
POLL_S = 0.1
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_S = 15.0
#: Set when the dashboard shuts down: open streams end rather than hold the shutdown.
STOPPING = web.AppKey("live_stopping", asyncio.Event)


async def _state(request: web.Request) -> dict[str, Any]:
    web_config = request.app[CONFIG].web
    limits = Thresholds(web_config.wallboard_wait_amber_s, web_config.wallboard_wait_red_s,
                        web_config.wallboard_waiting_amber, web_config.wallboard_waiting_red)
    tz = request.app[TZ]
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.astimezone(tz).date(), dt.time(), tz)
    return await snapshot(request.app[STORE].engine, now, midnight, limits)


async def live_page(request: web.Request) -> web.StreamResponse:
    """The wallboard, drawn with the state of now; its script then follows the stream."""
    return aiohttp_jinja2.render_template("live.html", request, {
        "state": await _state(request)})


async def live_events(request: web.Request) -> web.StreamResponse:
    """``text/event-stream``: one ``data:`` JSON message each time the wallboard changes.

    Only a client that asks for a stream (``Accept: text/event-stream``, as every
    EventSource does) gets one; any other request gets the current state as a single
    message, so a plain fetch (curl, a crawler) never hangs on an endless body.
    """
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store",
        "X-Accel-Buffering": "no"})
    await response.prepare(request)
    if "text/event-stream" not in request.headers.get("Accept", ""):
        await response.write(f"data: {json.dumps(await _state(request))}\n\n".encode())
        await response.write_eof()
        return response
    last, quiet = "", 0.0
    stopping = request.app[STOPPING]
    try:
        while not stopping.is_set():
            text = json.dumps(await _state(request), sort_keys=True)
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


def routes(app: web.Application) -> None:
    """Add the routes."""
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_stop_streams)
    app.router.add_get("/live", live_page)
    app.router.add_get("/live/events", live_events)
