"""The live wallboard: callers in the IVR now, queues, today so far; sent as Server-Sent Events."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from ivr.live.board import snapshot
from ivr.web import auth, sse
from ivr.web.app_keys import LIMITS, STORE, TZ
from ivr.web.wallboard_limits import LABELS, LimitsError, parse


async def _state(request: web.Request) -> dict[str, Any]:
    limits = await request.app[LIMITS].get()
    tz = request.app[TZ]
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.astimezone(tz).date(), dt.time(), tz)
    return await snapshot(request.app[STORE].engine, now, midnight, limits)


async def _page(request: web.Request, form: dict[str, str] | None = None,
                error: str | None = None, message: str | None = None,
                status: int = 200) -> web.Response:
    limits = await request.app[LIMITS].get()
    return aiohttp_jinja2.render_template("live.html", request, {
        "state": await _state(request), "limits": asdict(limits), "labels": LABELS,
        "form": form or {k: f"{v:g}" for k, v in asdict(limits).items()},
        "error": error, "message": message}, status=status)


async def live_page(request: web.Request) -> web.StreamResponse:
    """The wallboard, drawn with the state of now; its script then follows the stream."""
    return await _page(request)


@auth.admin_only
async def set_thresholds(request: web.Request) -> web.StreamResponse:
    """Store the thresholds an admin typed (amber below red, each above 0), or say why not."""
    form = {k: str(v) for k, v in (await request.post()).items() if k in LABELS}
    try:
        limits = parse(form)
    except LimitsError as exc:
        return await _page(request, form, error=str(exc), status=400)
    await request.app[LIMITS].set(limits, auth.session_of(request).user.name)
    return await _page(request, message="thresholds saved; the tiles use them now")


async def live_events(request: web.Request) -> web.StreamResponse:
    """The wallboard's state as Server-Sent Events (:func:`ivr.web.sse.stream`)."""
    return await sse.stream(request, lambda: _state(request))


def routes(app: web.Application) -> None:
    """Add the routes."""
    sse.install(app)
    app.router.add_get("/live", live_page)
    app.router.add_get("/live/events", live_events)
    app.router.add_post("/live/thresholds", set_thresholds)
