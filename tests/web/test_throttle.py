"""Login throttling: back-off, lock, per-address limits, admin unlock; SQLite and PostgreSQL.

Time is the throttle's clock, moved by the tests instead of sleeping; everything
else is real: HTTP requests to the running dashboard, the rows in the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from pathlib import Path

import aiohttp
import pytest

from ivr.web.app_keys import THROTTLE
from ivr.web.auth import LOGIN_CSRF_COOKIE
from ivr.web.throttle import Policy
from tests.web.conftest import ADMIN, SUPERVISOR, Dashboard, client_of, running_dashboard

START = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


class Clock:
    """The throttle's time, moved by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def _clock(dashboard: Dashboard) -> Clock:
    clock = Clock()
    dashboard.app[THROTTLE].clock = clock
    return clock


async def try_login(dashboard: Dashboard, name: str, password: str,
                    address: str | None = None) -> tuple[int, str]:
    """One login try from a fresh browser (the login form's double-submit token included)."""
    headers = {"Cookie": f"{LOGIN_CSRF_COOKIE}=tok"}
    if address is not None:
        headers["X-Forwarded-For"] = f"10.9.9.9, {address}"  # the proxy appends the last
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        response = await http.post(f"{dashboard.url}login", headers=headers,
                                   allow_redirects=False, data={
                                       "name": name, "password": password,
                                       "csrf_token": "tok", "next": "/calls"})
        return response.status, await response.text()


def test_the_wait_doubles_from_the_fifth_failure_and_locks_at_the_tenth() -> None:
    policy = Policy()
    waits = [policy.blocked_until("name", n, START) for n in range(12)]
    assert waits[:5] == [None] * 5
    assert [(w - START).total_seconds() for w in waits[5:10] if w] == [1, 2, 4, 8, 16]
    assert waits[10] == waits[11] == START + dt.timedelta(minutes=15)
    assert policy.blocked_until("address", 9, START) is None
    assert policy.blocked_until("address", 30, START) == START + dt.timedelta(minutes=15)


async def test_forty_wrong_passwords_lock_the_name_until_an_admin_unlocks_it(
        any_dashboard: Dashboard, caplog: pytest.LogCaptureFixture) -> None:
    async with client_of(any_dashboard, ADMIN) as admin:
        clock = _clock(any_dashboard)
        statuses = []
        with caplog.at_level(logging.WARNING, logger="ivr.web.throttle"):
            for _ in range(40):
                status, _page = await try_login(any_dashboard, SUPERVISOR[0], "wrong password!")
                statuses.append(status)
                clock.advance(seconds=20)  # a patient attacker: longer than any back-off
        assert statuses == [401] * 10 + [429] * 30
        assert any("locked for 0:15:00" in r.getMessage() for r in caplog.records)
        assert all("wrong password" not in r.getMessage() for r in caplog.records)

        status, page = await try_login(any_dashboard, SUPERVISOR[0], SUPERVISOR[2])
        assert status == 429  # the right password, refused while locked
        assert "locked for" in page
        clock.advance(minutes=1)
        assert (await try_login(any_dashboard, SUPERVISOR[0], SUPERVISOR[2]))[0] == 429

        users = await (await admin.get("/users")).text()
        assert re.search(r'<tr class="block-name">\s*<td>name <code>bob</code></td><td>10</td>'
                         r"\s*<td>locked until", users)
        # The 20 latest failed tries: the 30 refused ones, newest first.
        assert users.count("refused (locked or backing off)") == 20
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', users)
        assert csrf is not None
        done = await admin.post("/login-locks", data={"csrf_token": csrf.group(1),
                                                      "scope": "name", "key": "bob"})
        assert done.status == 200
        assert "No name or address is locked." in await done.text()

        status, _page = await try_login(any_dashboard, SUPERVISOR[0], SUPERVISOR[2])
        assert status == 303


async def test_a_lock_ends_by_itself_and_one_more_failure_renews_it(
        any_dashboard: Dashboard) -> None:
    clock = _clock(any_dashboard)
    for _ in range(10):
        await try_login(any_dashboard, "nobody", "wrong password!")
        clock.advance(seconds=20)
    assert (await try_login(any_dashboard, "nobody", "wrong password!"))[0] == 429
    clock.advance(minutes=15)
    assert (await try_login(any_dashboard, "nobody", "wrong password!"))[0] == 401
    assert (await try_login(any_dashboard, "nobody", "wrong password!"))[0] == 429


async def test_one_address_is_throttled_across_many_names_and_others_are_not(
        tmp_path: Path, store_url: str) -> None:
    async with running_dashboard(tmp_path, store_url, trust_forwarded_for=True) as dashboard:
        clock = _clock(dashboard)
        attacker, colleague = "203.0.113.5", "198.51.100.7"
        statuses = []
        for n in range(40):  # one guess per name: no name ever reaches its own limit
            statuses.append((await try_login(dashboard, f"user{n}", "guess number 1",
                                              attacker))[0])
        assert statuses == [401] * 10 + [429] * 30
        status, page = await try_login(dashboard, SUPERVISOR[0], SUPERVISOR[2], attacker)
        assert status == 429
        assert "your address" in page
        assert (await try_login(dashboard, SUPERVISOR[0], SUPERVISOR[2], colleague))[0] == 303

        clock.advance(seconds=2)  # the back-off of 1 s has passed: one more try is checked
        assert (await try_login(dashboard, "user40", "guess", attacker))[0] == 401
        assert (await try_login(dashboard, "user41", "guess", attacker))[0] == 429

        async with client_of(dashboard, ADMIN) as admin:
            users = await (await admin.get("/users")).text()
            assert f"address <code>{attacker}</code>" in users
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', users)
            assert csrf is not None
            await admin.post("/login-locks", data={"csrf_token": csrf.group(1),
                                                   "scope": "address", "key": attacker})
            assert (await try_login(dashboard, SUPERVISOR[0], SUPERVISOR[2], attacker))[0] == 303


async def test_parallel_guesses_cannot_slip_past_the_count(any_dashboard: Dashboard) -> None:
    _clock(any_dashboard)  # time stands still: only the count decides
    results = await asyncio.gather(*(try_login(any_dashboard, SUPERVISOR[0], f"wrong {n}")
                                     for n in range(40)))
    statuses = [status for status, _page in results]
    failures = statuses.count(401)
    # At most five: each checked try's row is visible to every try that counts after it.
    # (Zero is possible: when all forty rows land before anyone counts, all are refused.)
    assert failures <= 5, statuses
    assert failures + statuses.count(429) == 40, statuses
    # Only the tries that were checked count: from five on, even the right password waits.
    right = await try_login(any_dashboard, SUPERVISOR[0], SUPERVISOR[2])
    assert right[0] == (429 if failures == 5 else 303)


async def test_failures_are_logged_with_the_name_escaped_and_never_the_password(
        dashboard: Dashboard, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ivr.web.throttle"):
        await try_login(dashboard, "eve\r\nINFO forged line <b>", "hunter2-password")
    (record,) = [r for r in caplog.records if "login failed" in r.getMessage()]
    message = record.getMessage()
    assert "'?eve\\r\\nINFO forged line <b>'" in message
    assert "\n" not in message
    assert "hunter2" not in message
    async with client_of(dashboard, ADMIN) as admin:
        users = await (await admin.get("/users")).text()
    assert "?eve\\r\\nINFO forged line &lt;b&gt;" in users
