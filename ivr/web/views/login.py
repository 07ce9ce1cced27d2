"""Logging in and out."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web

from ivr.web import auth
from ivr.web.app_keys import CONFIG, USERS


def _safe_next(target: str | None) -> str:
    # Only a path on this site: "next=https://evil.example" must not redirect away.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/calls"
    parts = urlsplit(target)
    return "/calls" if parts.scheme or parts.netloc else target


def _form(request: web.Request, error: str | None, status: int = 200) -> web.Response:
    token = secrets.token_urlsafe(24)
    response = aiohttp_jinja2.render_template(
        "login.html", request,
        {"error": error, "login_csrf": token, "next": _safe_next(request.query.get("next"))},
        status=status)
    response.set_cookie(auth.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict",
                        path="/login")
    return response


@auth.public
async def login_form(request: web.Request) -> web.StreamResponse:
    """The login page."""
    return _form(request, None)


@auth.public
async def login_submit(request: web.Request) -> web.StreamResponse:
    """Check the name and password; start a session."""
    form = await request.post()
    if not auth.same_token(str(form.get("csrf_token", "")),
                           request.cookies.get(auth.LOGIN_CSRF_COOKIE, "\0")):
        return _form(request, "The form expired; please try again.", 400)
    user = await request.app[USERS].verify(str(form.get("name", "")),
                                           str(form.get("password", "")))
    if user is None:
        return _form(request, "Wrong name or password.", 401)
    token, _session = await request.app[auth.SESSIONS_KEY].create(user, dt.datetime.now(dt.UTC))
    response = web.HTTPSeeOther(_safe_next(str(form.get("next", ""))))
    auth.set_session_cookie(response, token, request.app[CONFIG].web.secure_cookies)
    response.del_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session (POST with the CSRF token, like every change)."""
    token = request.cookies.get(auth.COOKIE)
    if token:
        await request.app[auth.SESSIONS_KEY].end(token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(auth.COOKIE, path="/")
    raise response


async def home(_request: web.Request) -> web.StreamResponse:
    """The calls list is the front page."""
    raise web.HTTPSeeOther("/calls")


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/", home)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
