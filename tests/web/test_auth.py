"""Every route refuses strangers; roles and CSRF tokens are enforced; passwords are hashed."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient
from aiohttp.web_urldispatcher import StaticResource
from sqlalchemy import select

from ivr.calls.store.schema import users, web_sessions
from ivr.web.app_keys import USERS
from tests.web.conftest import ADMIN, SUPERVISOR, Dashboard, log_in

Client = TestClient[web.Request, web.Application]


def _concrete(path: str) -> str:
    # Fill {placeholders} with a call id that exists, so only authentication can refuse.
    return re.sub(r"\{[^}]+\}", "c9", path)


def _routes(dashboard: Dashboard) -> list[tuple[str, str]]:
    found = []
    for route in dashboard.app.router.routes():
        if isinstance(route.resource, StaticResource) or route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        assert path, f"cannot tell the path of {route!r}"
        found.append((route.method, _concrete(str(path))))
    return found


async def test_every_route_refuses_a_request_without_a_session(
        dashboard: Dashboard, anonymous: Client) -> None:
    routes = _routes(dashboard)
    assert ("GET", "/calls/c9/recording.wav") in routes  # the enumeration sees real routes
    public = {("GET", "/login"), ("POST", "/login")}
    for method, path in routes:
        if (method, path) in public:
            continue
        response = await anonymous.request(method, path, allow_redirects=False,
                                           headers={"Accept": "application/json"})
        assert response.status == 401, (method, path, response.status)
        page = await anonymous.request(method, path, allow_redirects=False,
                                       headers={"Accept": "text/html"})
        if method == "GET":
            assert page.status == 303
            assert page.headers["Location"].startswith("/login?next=")
        else:
            assert page.status == 401


async def test_login_rejects_wrong_passwords_and_a_forged_form(
        dashboard: Dashboard, anonymous: Client) -> None:
    page = await anonymous.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token is not None
    wrong = await anonymous.post("/login", data={"name": "bob", "password": "nope nope nope",
                                                 "csrf_token": token.group(1)})
    assert wrong.status == 401
    assert "Wrong name or password" in await wrong.text()
    forged = await anonymous.post("/login", data={"name": SUPERVISOR[0],
                                                  "password": SUPERVISOR[2],
                                                  "csrf_token": "made-up"},
                                  allow_redirects=False)
    assert forged.status == 400
    assert "ivr_session" not in forged.cookies


async def test_a_login_never_redirects_off_site(dashboard: Dashboard, anonymous: Client) -> None:
    page = await anonymous.get("/login?next=https://evil.example/x")
    assert 'value="https://evil.example' not in await page.text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token is not None
    done = await anonymous.post("/login", allow_redirects=False, data={
        "name": SUPERVISOR[0], "password": SUPERVISOR[2], "csrf_token": token.group(1),
        "next": "//evil.example/x"})
    assert done.headers["Location"] == "/calls"
    cookie = done.cookies["ivr_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"


async def test_supervisors_cannot_manage_users_and_admins_can(
        dashboard: Dashboard, supervisor: tuple[Client, str], admin: tuple[Client, str]) -> None:
    sup, sup_csrf = supervisor
    assert (await sup.get("/users")).status == 403
    refused = await sup.post("/users", data={"csrf_token": sup_csrf, "name": "mallory",
                                             "role": "admin", "password": "x" * 12})
    assert refused.status == 403
    adm, adm_csrf = admin
    added = await adm.post("/users", data={"csrf_token": adm_csrf, "name": "carol",
                                           "role": "supervisor", "password": "long enough pw"})
    assert added.status == 200
    assert "added carol" in await added.text()
    async with dashboard.store.engine.connect() as conn:
        names = (await conn.execute(select(users.c.name))).scalars().all()
        stored = (await conn.execute(select(users.c.password_hash)
                                     .where(users.c.name == "carol"))).scalar_one()
    assert set(names) == {"alice", "bob", "carol"}
    assert stored.startswith("$argon2id$")
    assert "long enough pw" not in stored


async def test_a_change_without_the_sessions_csrf_token_is_refused(
        dashboard: Dashboard, admin: tuple[Client, str]) -> None:
    client, csrf = admin
    for token in ("", "x" * len(csrf)):
        response = await client.post("/users", data={"csrf_token": token, "name": "eve",
                                                      "role": "admin", "password": "y" * 12})
        assert response.status == 400
    assert "eve" not in [u.name for u in await dashboard.app[USERS].list()]


async def test_logout_ends_the_session_everywhere(
        dashboard: Dashboard, supervisor: tuple[Client, str]) -> None:
    client, csrf = supervisor
    token = client.session.cookie_jar.filter_cookies(client.make_url("/"))["ivr_session"].value
    out = await client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert out.status == 303
    async with dashboard.store.engine.connect() as conn:
        left = (await conn.execute(select(web_sessions))).all()
    assert all(row.user_name != SUPERVISOR[0] for row in left)
    # The old cookie, replayed, is worthless.
    replay = await client.get("/calls", cookies={"ivr_session": token},
                              headers={"Accept": "application/json"}, allow_redirects=False)
    assert replay.status == 401


async def test_a_disabled_user_is_logged_out_at_once(
        dashboard: Dashboard, supervisor: tuple[Client, str], admin: tuple[Client, str]) -> None:
    sup, _ = supervisor
    adm, csrf = admin
    assert (await sup.get("/calls")).status == 200
    done = await adm.post(f"/users/{SUPERVISOR[0]}", data={"csrf_token": csrf,
                                                           "action": "disable"})
    assert done.status == 200
    assert (await sup.get("/calls", headers={"Accept": "application/json"},
                          allow_redirects=False)).status == 401
    me = await adm.post(f"/users/{ADMIN[0]}", data={"csrf_token": csrf, "action": "remove"})
    assert me.status == 400  # an admin cannot lock themselves out
    assert ADMIN[0] in [u.name for u in await dashboard.app[USERS].list()]


async def test_pages_carry_security_headers(supervisor: tuple[Client, str]) -> None:
    client, _ = supervisor
    response = await client.get("/calls")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_second_login_of_the_same_user_is_independent(
        dashboard: Dashboard, supervisor: tuple[Client, str]) -> None:
    other = TestClient(dashboard.server)
    await other.start_server()
    try:
        csrf = await log_in(other, SUPERVISOR[0], SUPERVISOR[2])
        assert csrf != supervisor[1]
    finally:
        await other.session.close()
