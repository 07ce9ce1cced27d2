"""A tiny self-service backend for the example flow's balance lookup.

It stands in for a business's billing API (``POST /api/balance`` with
``{"account", "pin"}``) so the demo and the tests exercise a real HTTP
round trip. PINs are compared, never logged.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class Account:
    """A demo customer account."""

    pin: str
    amount: str
    due_date: str


#: Demo accounts; account 123456 with PIN 4321 is the one the README uses.
ACCOUNTS: dict[str, Account] = {
    "123456": Account(pin="4321", amount="42.50", due_date="December 15"),
    "654321": Account(pin="1111", amount="0", due_date="January 3"),
}


async def balance(request: web.Request) -> web.Response:
    """Answer ``{"status": "ok", "amount", "due_date"}`` or ``{"status": "not_found"}``."""
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"status": "bad_request"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"status": "bad_request"}, status=400)
    account = ACCOUNTS.get(str(body.get("account", "")))
    pin = str(body.get("pin", ""))
    if account is None or not hmac.compare_digest(account.pin, pin):
        return web.json_response({"status": "not_found"})
    return web.json_response(
        {"status": "ok", "amount": account.amount, "due_date": account.due_date}
    )


def make_app() -> web.Application:
    """Build the backend application."""
    app = web.Application()
    app.router.add_post("/api/balance", balance)
    return app


async def start(host: str = "127.0.0.1", port: int = 8099) -> web.AppRunner:
    """Start the backend; the caller cleans up with ``await runner.cleanup()``."""
    runner = web.AppRunner(make_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
