"""The Callbacks page: what the service owes callers; admins cancel, call now, reschedule."""

from __future__ import annotations

import datetime as dt

import aiohttp_jinja2
from aiohttp import web

from ivr.callbacks.admin import AdminError, apply
from ivr.callbacks.metrics import callback_metrics
from ivr.callbacks.model import STATUSES
from ivr.callbacks.store import CallbackStore
from ivr.web import auth
from ivr.web.app_keys import STORE, TZ

#: Badge look per status (reusing the outcome badge colours of the calls list).
BADGES = {"pending": "in_progress", "dialling": "in_progress", "queued": "queue",
          "connected": "self_service", "failed": "abandoned", "expired": "abandoned",
          "cancelled": "hangup"}


def _store(request: web.Request) -> CallbackStore:
    return CallbackStore(request.app[STORE].engine)


async def _page(request: web.Request, message: str | None = None, error: str | None = None,
                status: int = 200) -> web.Response:
    wanted = request.query.get("status", "")
    shown = [wanted] if wanted in STATUSES else None
    store = _store(request)
    return aiohttp_jinja2.render_template("callbacks.html", request, {
        "requests": await store.recent(shown, limit=300),
        "counts": await store.counts(), "statuses": STATUSES, "wanted": wanted,
        "badges": BADGES, "m": await callback_metrics(store.engine),
        "now": dt.datetime.now(dt.UTC), "message": message, "error": error}, status=status)


async def callbacks_page(request: web.Request) -> web.StreamResponse:
    """Every request, newest first (optionally one status)."""
    return await _page(request)


@auth.admin_only
async def change_callback(request: web.Request) -> web.StreamResponse:
    """Apply an admin action from one row's form."""
    form = await request.post()
    action = str(form.get("action", ""))
    when = None
    try:
        if action == "reschedule":
            text = str(form.get("when", ""))
            try:
                local = dt.datetime.fromisoformat(text)
            except ValueError:
                raise AdminError(f"{text!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
            when = local.replace(tzinfo=request.app[TZ]) if local.tzinfo is None else local
        me = auth.session_of(request).user.name
        done = await apply(_store(request), request.match_info["request_id"], action, me,
                           dt.datetime.now(dt.UTC), when)
    except AdminError as exc:
        return await _page(request, error=str(exc), status=400)
    return await _page(request, message=f"{done.request.number}: {done.message}")


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/callbacks", callbacks_page)
    # Request ids are plain tokens (uuid4 hex when the service makes them): anything else
    # (a NUL byte, which PostgreSQL refuses, or a path) is a 404 before the store is asked.
    app.router.add_post("/callbacks/{request_id:[A-Za-z0-9_.-]{1,64}}", change_callback)
