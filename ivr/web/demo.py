"""The dashboard as ``ivr demo`` runs it: on the demo's store, with a fresh admin login."""

from __future__ import annotations

from aiohttp import web

from ivr.config import Config
from ivr.web.app import make_app
from ivr.web.users import UserError, Users


async def start(config: Config, port: int, user: str, password: str) -> web.AppRunner:
    """Create or reset *user* as admin with *password*; serve the dashboard on *port*."""
    from ivr.calls.store import open_store

    store = await open_store(config.store.url)
    users = Users(store.engine)
    try:
        await users.add(user, "admin", password)
    except UserError:
        await users.set_password(user, password)
        await users.update(user, role="admin", disabled=False)
    await store.close()
    runner = web.AppRunner(make_app(config), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, config.web.host, port).start()
    return runner
