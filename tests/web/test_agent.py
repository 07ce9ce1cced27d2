"""Agent logins: tied to a queue interface, shown their own ring's journey, refused all else."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ivr.live.agents import AgentRings
from ivr.live.publisher import LivePublisher
from ivr.live.state import payload
from ivr.web.app_keys import USERS
from ivr.web.users import UserError
from tests.web.conftest import SUPERVISOR, Client, Dashboard, client_of, log_in
from tests.web.test_auth import _routes

AGENT = ("carol", "agent", "telephone headset")
INTERFACE = "Local/4200@ivr-test-agent/n"
#: What an agent may open: its page and stream, the front page (a redirect), logging out.
OPEN_TO_AGENTS = {("GET", "/agent"), ("GET", "/agent/events"), ("GET", "/"),
                  ("POST", "/logout"), ("GET", "/login"), ("POST", "/login")}


async def _add_agent(dashboard: Dashboard) -> None:
    await dashboard.app[USERS].add(AGENT[0], AGENT[1], AGENT[2], INTERFACE)


async def test_an_agent_needs_a_valid_interface_and_only_an_agent_has_one(
        dashboard: Dashboard) -> None:
    users = dashboard.app[USERS]
    with pytest.raises(UserError, match="needs its queue interface"):
        await users.add("dave", "agent", "long enough password")
    with pytest.raises(UserError, match="only an agent"):
        await users.add("erin", "supervisor", "long enough password", "PJSIP/erin")
    with pytest.raises(UserError, match="queue member interface"):
        await users.add("dave", "agent", "long enough password", "not an interface")
    await _add_agent(dashboard)
    assert (await users.get("carol")) is not None
    assert (await users.get("carol")).interface == INTERFACE  # type: ignore[union-attr]
    await users.add("frank", "agent", "long enough password", "PJSIP/x")
    with pytest.raises(UserError, match="another login"):
        await users.set_interface("frank", INTERFACE)
    with pytest.raises(UserError, match="no queue interface"):
        await users.update(SUPERVISOR[0], role="agent")


async def test_an_agent_is_refused_every_other_page_with_the_styled_403(
        dashboard: Dashboard) -> None:
    await _add_agent(dashboard)
    async with client_of(dashboard) as client:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
        assert token is not None
        done = await client.post("/login", data={"name": AGENT[0], "password": AGENT[2],
                                                 "csrf_token": token.group(1), "next": "/calls"},
                                 allow_redirects=False)
        assert done.headers["Location"] == "/agent"  # not the call list it asked for
        own = await client.get("/agent")
        assert own.status == 200
        text = await own.text()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', text)
        assert csrf is not None
        assert "My calls" in text
        assert 'href="/calls"' not in text
        checked = 0
        for method, path in _routes(dashboard):
            if (method, path) in OPEN_TO_AGENTS:
                continue
            response = await client.request(method, path, allow_redirects=False,
                                            headers={"Accept": "text/html",
                                                     "X-CSRF-Token": csrf.group(1)})
            assert response.status == 403, (method, path, response.status)
            checked += 1
        assert checked > 15
        for path in ("/calls/c3", "/calls", "/live", "/live/events", "/users"):
            refused = await client.get(path, headers={"Accept": "text/html"})
            body = await refused.text()
            assert refused.status == 403
            assert '<link rel="stylesheet" href="/static/style.css">' in body
            assert "Not allowed" in body
            assert 'href="/agent"' in body


async def test_supervisors_have_no_agent_page(dashboard: Dashboard) -> None:
    async with client_of(dashboard, SUPERVISOR) as client:
        assert (await client.get("/agent")).status == 403


async def _messages(client: Client) -> AsyncGenerator[dict[str, Any], None]:
    response = await client.get("/agent/events", headers={"Accept": "text/event-stream"})
    async for line in response.content:
        if line.startswith(b"data: "):
            yield json.loads(line[6:])


def _called(uniqueid: str, interface: str) -> dict[str, str]:
    return {"event": "agentcalled", "uniqueid": uniqueid, "interface": interface,
            "membername": "Carol", "queue": "sales", "calleridnum": "+15550000003"}


@asynccontextmanager
async def _agent_on_line(dashboard: Dashboard) -> AsyncIterator[tuple[Client, AgentRings]]:
    """Carol logged in, and a publisher whose rings the test drives as AMI would."""
    await _add_agent(dashboard)
    rings = AgentRings()
    publisher = LivePublisher(dashboard.store.engine, "one",
                              lambda: payload([], {}, rings.rings()), every_s=0.05)
    publisher.start()
    try:
        async with client_of(dashboard) as client:
            await log_in(client, AGENT[0], AGENT[2])
            yield client, rings
    finally:
        await publisher.close()


async def test_the_ring_on_the_agents_interface_pushes_that_callers_journey(
        dashboard: Dashboard) -> None:
    async with _agent_on_line(dashboard) as (client, rings):
        stream = _messages(client)
        assert (await asyncio.wait_for(anext(stream), 5)) == {"ring": None}
        # Another agent's phone rings: nothing for carol.
        rings.apply(_called("c4", "PJSIP/someone-else"), dt.datetime.now(dt.UTC))
        rings.apply(_called("c3", INTERFACE), dt.datetime.now(dt.UTC))
        message = await asyncio.wait_for(anext(stream), 5)
        assert message["ring"]["call_id"] == "c3"
        assert message["ring"]["state"] == "ringing"
        html = message["html"]
        assert "+15550000003" in html
        assert "sales (by dtmf)" in html
        assert "“buy a phone” → sales" in html
        assert "c4" not in html
        rings.apply({"event": "agentconnect", "uniqueid": "c3", "interface": INTERFACE,
                     "holdtime": "4"}, dt.datetime.now(dt.UTC))
        answered = await asyncio.wait_for(anext(stream), 5)
        assert answered["ring"]["state"] == "connected"
        assert "0:04" in answered["html"]
        rings.apply({"event": "agentcomplete", "uniqueid": "c3", "interface": INTERFACE},
                    dt.datetime.now(dt.UTC))
        assert (await asyncio.wait_for(anext(stream), 5)) == {"ring": None}
        await stream.aclose()


async def test_an_admin_adds_an_agent_with_its_interface_on_the_users_page(
        dashboard: Dashboard, admin: tuple[Client, str]) -> None:
    client, csrf = admin
    form = {"csrf_token": csrf, "name": "gina", "role": "agent", "password": "a long password"}
    refused = await client.post("/users", data=form)
    assert refused.status == 400
    assert "needs its queue interface" in await refused.text()
    added = await client.post("/users", data={**form, "interface": "PJSIP/gina"})
    assert added.status == 200
    assert '<td class="mono">PJSIP/gina</td>' in await added.text()
    user = await dashboard.app[USERS].get("gina")
    assert user is not None
    assert (user.role, user.interface) == ("agent", "PJSIP/gina")


async def test_an_agent_opens_only_calls_handed_to_them(dashboard: Dashboard) -> None:
    await dashboard.store.after_ivr("c5", "answered", dt.datetime.now(dt.UTC), agent="carol")
    await dashboard.store.flush()
    async with _agent_on_line(dashboard) as (client, rings):
        assert (await client.get("/calls/c5")).status == 200  # answered by carol
        assert (await client.get("/calls/c3")).status == 403
        rings.apply(_called("c3", INTERFACE), dt.datetime.now(dt.UTC))
        await asyncio.sleep(0.3)
        page = await client.get("/calls/c3")  # ringing on carol's phone now
        assert page.status == 200
        assert 'href="/agent">← My calls' in await page.text()
        assert (await client.get("/calls/c3/diagram.svg")).status == 200
        assert (await client.get("/calls/c4")).status == 403
