"""A lookup backend on a free loopback port: good, redirecting, failing and slow answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from ivr.ports import free_tcp_port


@contextlib.asynccontextmanager
async def lookup_backend() -> AsyncIterator[str]:
    """Serve ``/ok``, ``/moved`` (a redirect to ``/ok``), ``/broken`` (503), ``/slow`` (5 s)."""

    async def ok(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def moved(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/ok")

    async def broken(_request: web.Request) -> web.Response:
        return web.json_response({"status": "down"}, status=503)

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/moved", moved)
    app.router.add_get("/broken", broken)
    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    port = free_tcp_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def lookup_flow(url: str, timeout_s: float) -> str:
    """A flow that looks *url* up: "Found it." then self-service, or "Sorry." and hang up."""
    return f"""\
version: 1
settings: {{operator_queue: null}}
flows:
  main:
    start: fetch
    nodes:
      fetch:
        type: lookup
        url: "{url}"
        timeout: {timeout_s:g}
        result: answer
        next: fine
        on_error: failed
      fine: {{type: play, prompt: "Found it.", next: found}}
      found: {{type: hangup, outcome: self_service}}
      failed: {{type: play, prompt: "Sorry.", next: gone}}
      gone: {{type: hangup}}
"""
