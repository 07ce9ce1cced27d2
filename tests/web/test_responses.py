"""Every response carries the security headers, and every failure is a page of our own.

Redirects, refusals (400/401/403), missing pages (404), wrong methods (405), static
files and crashes (500) all go through the same signal and middleware; a crash shows a
styled page that says nothing about its cause.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiohttp import web

from tests.web.checks import assert_secured, assert_styled
from tests.web.conftest import ADMIN, SUPERVISOR, Client, Dashboard, client_of, running_dashboard


async def test_redirects_refusals_and_static_files_carry_the_headers(
        dashboard: Dashboard, supervisor: tuple[Client, str], anonymous: Client) -> None:
    client, _csrf = supervisor
    home = await client.get("/", allow_redirects=False)
    assert home.status == 303
    assert_secured(home)
    to_login = await anonymous.get("/calls", headers={"Accept": "text/html"},
                                   allow_redirects=False)
    assert to_login.status == 303
    assert_secured(to_login)
    unauthorised = await anonymous.get("/calls", headers={"Accept": "application/json"})
    assert unauthorised.status == 401
    assert_secured(unauthorised)
    static = await client.get("/static/style.css")
    assert static.status == 200
    assert_secured(static)
    login_page = await anonymous.get("/login")
    assert_secured(login_page)


@pytest.mark.parametrize(("method", "path", "status", "says"), [
    ("GET", "/no/such/page", 404, "There is nothing at this address."),
    ("GET", "/calls/no-such-call", 404, "no such call"),
    ("GET", "/users", 403, "not allowed for your role"),
    ("POST", "/users", 403, "not allowed for your role"),
    ("POST", "/logout", 400, "the form expired"),
    ("PUT", "/calls", 405, "does not accept that kind of request"),
    ("GET", "/calls?page=0", 400, "page: give a whole number"),
    ("GET", "/metrics?days=-100000000000", 400, "days: give a whole number"),
    ("GET", "/metrics?until=9999-12-31", 400, "between the years 1970 and 9000"),
    ("GET", "/calls.csv?since=9999-12-31", 400, "between the years 1970 and 9000"),
])
async def test_errors_are_styled_pages_with_the_headers(
        supervisor: tuple[Client, str], method: str, path: str, status: int,
        says: str) -> None:
    client, csrf = supervisor
    # The token is sent except where its absence is the point (the 400 of /logout).
    headers = {} if path == "/logout" else {"X-CSRF-Token": csrf}
    response = await client.request(method, path, allow_redirects=False, headers=headers)
    assert response.status == status
    assert_secured(response)
    html = await response.text()
    assert_styled(html)
    assert says in html
    # A bad filter keeps its page (form and message); everything else is the error page.
    own_page = path.startswith(("/calls?", "/metrics?"))
    assert ('class="card problem-page"' in html) != own_page
    if status == 405:
        assert "GET" in response.headers["Allow"]


async def test_a_crash_is_a_styled_500_that_leaks_nothing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = "db password hunter2 at /srv/ivr/app.py line 12"

    async def broken(_request: web.Request) -> web.StreamResponse:
        raise RuntimeError(secret)

    async with running_dashboard(tmp_path, f"sqlite:///{tmp_path / 'calls.sqlite3'}",
                                 extra_routes=[("/broken", broken)]) as dashboard, \
            client_of(dashboard, SUPERVISOR) as client:
        with caplog.at_level(logging.ERROR, logger="ivr.web.responses"):
            response = await client.get("/broken")
        html = await response.text()
    assert response.status == 500
    assert_secured(response)
    assert_styled(html)
    assert 'class="card problem-page"' in html
    assert "Something went wrong" in html
    assert "hunter2" not in html
    # The operator's log has the cause.
    assert any(secret in (r.exc_text or "") or (r.exc_info and secret in str(r.exc_info[1]))
               for r in caplog.records)


async def test_an_admin_sees_the_same_styled_404_with_the_menu(dashboard: Dashboard) -> None:
    async with client_of(dashboard, ADMIN) as client:
        response = await client.get("/flows/no-such-flow/diagram.svg")
        html = await response.text()
    assert response.status == 404
    assert "no such flow in the deployed file" in html
    assert 'href="/users"' in html  # the page layout knows who is logged in
