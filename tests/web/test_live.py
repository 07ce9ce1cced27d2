"""The wallboard page and its event stream, fed by real publishers on the dashboard's store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

from ivr.live.publisher import LivePublisher
from ivr.live.state import payload
from tests.web.conftest import SUPERVISOR, Client, Dashboard, client_of


async def _messages(client: Client) -> AsyncGenerator[dict[str, Any], None]:
    response = await client.get("/live/events", headers={"Accept": "text/event-stream"})
    assert response.headers["Content-Type"] == "text/event-stream"
    async for line in response.content:
        if line.startswith(b"data: "):
            yield json.loads(line[6:])


async def test_the_stream_pushes_a_new_call_and_a_plain_get_gets_one_message(
        dashboard: Dashboard) -> None:
    calls: list[tuple[str, str]] = []
    queues = {"sales": {"waiting": 4, "longest_s": 75.0, "free": 0, "logged_in": 2,
                        "paused": 1, "busy": 1, "estimated_s": 90.0}}
    publisher = LivePublisher(dashboard.store.engine, "one", lambda: payload(calls, queues),
                              every_s=0.05)
    publisher.start()
    try:
        async with client_of(dashboard, SUPERVISOR) as client:
            page = await (await client.get("/live")).text()
            assert 'src="/static/live.js"' in page
            stream = _messages(client)
            first = await asyncio.wait_for(anext(stream), 5)
            assert first["in_ivr"] == 0
            assert first["queues"]["sales"]["level"] == "amber"  # 4 waiting, 75 s: defaults
            calls.append(("main", "main_menu"))
            while (message := await asyncio.wait_for(anext(stream), 5))["in_ivr"] == 0:
                pass
            assert message["calls"] == {"main": {"main_menu": 1}}
            await stream.aclose()
            once = await client.get("/live/events")
            body = await once.text()
            assert body.count("data: ") == 1
            assert json.loads(body.removeprefix("data: "))["in_ivr"] == 1
    finally:
        await publisher.close()


async def test_open_streams_end_when_the_dashboard_shuts_down(dashboard: Dashboard) -> None:
    async with client_of(dashboard, SUPERVISOR) as client:
        response = await client.get("/live/events", headers={"Accept": "text/event-stream"})
        assert (await asyncio.wait_for(response.content.readline(), 5)).startswith(b"data: ")
        await dashboard.app.shutdown()  # what the server runs first when it stops
        rest = await asyncio.wait_for(response.content.read(), 5)  # EOF, not a hang
        assert b"data: " not in rest
