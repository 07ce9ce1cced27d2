"""The Callbacks page: everyone sees the requests; only admins act on them, with CSRF."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient

from ivr.callbacks.store import CallbackStore
from tests.callbacks.seed import seed_callbacks
from tests.web.conftest import Dashboard

Client = tuple[TestClient[web.Request, web.Application], str]


async def test_supervisors_see_requests_and_figures_but_no_actions(
    dashboard: Dashboard, supervisor: Client
) -> None:
    await seed_callbacks(CallbackStore(dashboard.store.engine))
    client, csrf = supervisor
    page = await client.get("/callbacks")
    html = await page.text()
    assert page.status == 200
    assert html.count('<tr data-id="') == 5
    assert "+4930300" in html
    assert "Agent Alice" in html
    assert re.search(r'id="cb-requested"><span class="value">5<', html)
    assert 'value="cancel"' not in html
    only = await (await client.get("/callbacks?status=failed")).text()
    assert only.count('<tr data-id="') == 1
    refused = await client.post("/callbacks/req-waiting",
                                data={"action": "cancel", "csrf_token": csrf})
    assert refused.status == 403


async def test_admins_cancel_call_now_and_reschedule(dashboard: Dashboard,
                                                     admin: Client) -> None:
    store = CallbackStore(dashboard.store.engine)
    ids = await seed_callbacks(store)
    client, csrf = admin
    assert 'value="cancel"' in await (await client.get("/callbacks")).text()
    no_token = await client.post(f"/callbacks/{ids['waiting']}", data={"action": "cancel"})
    assert no_token.status in (400, 403)
    done = await client.post(f"/callbacks/{ids['waiting']}",
                             data={"action": "cancel", "csrf_token": csrf})
    assert done.status == 200
    assert "+4930300: cancelled" in await done.text()
    again = await client.post(f"/callbacks/{ids['done']}",
                              data={"action": "cancel", "csrf_token": csrf})
    assert again.status == 400
    assert "the request is connected" in await again.text()
    later = await client.post(f"/callbacks/{ids['failed']}", data={
        "action": "reschedule", "when": "2026-12-01T09:30", "csrf_token": csrf})
    assert later.status == 200, await later.text()
    got = await store.get(ids["failed"])
    assert got is not None
    assert (got.status, got.next_attempt_at.isoformat()) == ("pending",
                                                             "2026-12-01T09:30:00+00:00")
    bad = await client.post(f"/callbacks/{ids['failed']}", data={
        "action": "reschedule", "when": "soon", "csrf_token": csrf})
    assert bad.status == 400
    assert "is not a date and time" in await bad.text()


async def test_the_metrics_page_shows_the_callback_figures(dashboard: Dashboard,
                                                           supervisor: Client) -> None:
    await seed_callbacks(CallbackStore(dashboard.store.engine))
    client, _csrf = supervisor
    html = await (await client.get("/metrics?since=2026-11-26&until=2026-11-26")).text()
    figures = dict(re.findall(r'id="kpi-cb-(\w+)"><span class="value">([^<]+)<', html))
    assert figures == {"requested": "5", "completed": "2", "time": "17:30", "avoided": "2"}
    assert "66.7% of settled" in html
