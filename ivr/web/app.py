"""The dashboard application: routes, templates, and the store it reads.

``make_app`` takes an open store (the demo shares the service's) or opens the
configured one inside aiohttp's cleanup context, so it is closed however the
server stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from ivr.calls.store import SqlStore, open_store
from ivr.config import Config
from ivr.web import auth, filters, responses
from ivr.web.app_keys import CONFIG, FLOWS, LIMITS, STORE, THROTTLE, TZ, USERS
from ivr.web.deployed import DeployedFlows
from ivr.web.sessions import Sessions
from ivr.web.throttle import LoginThrottle, Policy
from ivr.web.users import Users
from ivr.web.views import (
    agent,
    callbacks,
    calls,
    flows,
    heat,
    live,
    login,
    metrics,
    people,
    replay,
    splits,
)
from ivr.web.wallboard_limits import WallboardLimits, from_config

HERE = Path(__file__).parent


def _attach(app: web.Application, store: SqlStore) -> None:
    app[STORE] = store
    app[USERS] = Users(store.engine)
    app[auth.SESSIONS_KEY] = Sessions(store.engine)
    app[THROTTLE] = LoginThrottle(store.engine, Policy.from_config(app[CONFIG].web))
    app[LIMITS] = WallboardLimits(store.engine, from_config(app[CONFIG].web))


async def _own_store(app: web.Application) -> AsyncIterator[None]:
    store = await open_store(app[CONFIG].store.url)
    _attach(app, store)
    yield
    await store.close()


def make_app(config: Config, store: SqlStore | None = None) -> web.Application:
    """The dashboard over *store* (owned by the caller), or over the configured store.

    Without *store*, the app opens ``config.store.url`` when it starts and closes
    it when it stops (an aiohttp cleanup context), however the server ends.
    """
    # The error pages wrap everything, the auth checks included (a refusal is styled too).
    app = web.Application(middlewares=[responses.error_middleware, auth.auth_middleware],
                          client_max_size=64 * 1024)
    app.on_response_prepare.append(responses.add_security_headers)
    app[CONFIG] = config
    app[FLOWS] = DeployedFlows(config.flows.path.resolve())
    app[TZ] = ZoneInfo(config.web.timezone)
    if store is None:
        app.cleanup_ctx.append(_own_store)
    else:
        _attach(app, store)
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        context_processors=[responses.page_context], undefined=jinja2.StrictUndefined,
    )
    filters.install(env, app[TZ])
    app.router.add_static("/static/", HERE / "static", name="static")
    for views in (login, calls, callbacks, metrics, flows, heat, live, agent, people, splits,
                  replay):
        views.routes(app)
    return app
