"""Wallboard thresholds an admin sets on the Live page: checked, stored, used by the tiles."""

from __future__ import annotations

import json

from ivr.live.board import Thresholds
from ivr.live.publisher import LivePublisher
from ivr.live.state import payload
from ivr.web.app_keys import LIMITS
from ivr.web.wallboard_limits import WallboardLimits, from_config
from tests.web.conftest import ADMIN, SUPERVISOR, Client, Dashboard, client_of, log_in

QUEUES = {"sales": {"waiting": 2, "longest_s": 40.0, "free": 0, "logged_in": 1, "paused": 0,
                    "busy": 1, "estimated_s": 60.0}}
FORM = {"wait_amber_s": "30", "wait_red_s": "90", "waiting_amber": "2", "waiting_red": "4"}


async def _level(client: Client) -> str:
    body = await (await client.get("/live/events")).text()  # one message without a stream
    return str(json.loads(body.removeprefix("data: "))["queues"]["sales"]["level"])


async def test_an_admin_changes_the_thresholds_and_the_tiles_follow(
        any_dashboard: Dashboard) -> None:
    publisher = LivePublisher(any_dashboard.store.engine, "one", lambda: payload([], QUEUES))
    await publisher.publish()
    async with client_of(any_dashboard) as client:
        csrf = await log_in(client, ADMIN[0], ADMIN[2])
        assert await _level(client) == "ok"  # defaults: amber at 60 s or 3 waiting
        saved = await client.post("/live/thresholds", data={"csrf_token": csrf, **FORM})
        assert saved.status == 200
        assert "thresholds saved" in await saved.text()
        assert await _level(client) == "amber"  # 40 s past 30, 2 waiting reaches 2
    # Stored: a fresh reader (another dashboard instance) sees the same values.
    fresh = WallboardLimits(any_dashboard.store.engine, from_config(any_dashboard.config.web))
    assert await fresh.get() == Thresholds(30.0, 90.0, 2, 4)
    await publisher.close()


async def test_bad_thresholds_are_refused_with_every_reason(dashboard: Dashboard) -> None:
    async with client_of(dashboard) as client:
        csrf = await log_in(client, ADMIN[0], ADMIN[2])
        bad = {"csrf_token": csrf, "wait_amber_s": "200", "wait_red_s": "90",
               "waiting_amber": "two", "waiting_red": "-1"}
        refused = await client.post("/live/thresholds", data=bad)
        text = await refused.text()
        assert refused.status == 400
        assert "callers waiting, amber: give a whole number" in text
        assert "callers waiting, red: give a number above 0 and at most 10,000" in text
        assert "longest wait, amber (seconds) must be below longest wait, red (seconds)" in text
        assert 'value="two"' in text  # the form keeps what was typed
        nan = await client.post("/live/thresholds", data={**bad, **FORM, "wait_red_s": "nan"})
        assert nan.status == 400
    assert await dashboard.app[LIMITS].get() == from_config(dashboard.config.web)


async def test_only_admins_change_them_and_supervisors_read_them(dashboard: Dashboard) -> None:
    async with client_of(dashboard) as client:
        csrf = await log_in(client, SUPERVISOR[0], SUPERVISOR[2])
        refused = await client.post("/live/thresholds", data={"csrf_token": csrf, **FORM})
        assert refused.status == 403
        page = await (await client.get("/live")).text()
        assert 'action="/live/thresholds"' not in page
        assert "turns amber at a longest wait of 1:00 or 3 callers waiting" in page
