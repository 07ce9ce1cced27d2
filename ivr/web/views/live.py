"""The live wallboard: callers in the IVR now, queues, today so far; sent as Server-Sent Events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from ivr.live.board import Thresholds, snapshot
from ivr.web import sse
from ivr.web.app_keys import CONFIG, STORE, TZ


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
    """The wallboard's state as Server-Sent Events (:func:`ivr.web.sse.stream`)."""
    return await sse.stream(request, lambda: _state(request))


def routes(app: web.Application) -> None:
    """Add the routes."""
    sse.install(app)
    app.router.add_get("/live", live_page)
    app.router.add_get("/live/events", live_events)
