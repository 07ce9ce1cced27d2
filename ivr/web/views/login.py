"""Logging in and out (login tries throttled per name and per address: ivr.web.throttle)."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import math
import secrets
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web

from ivr.web import auth
from ivr.web.app_keys import CONFIG, THROTTLE, USERS
from ivr.web.throttle import Refusal


def _safe_next(target: str | None) -> str:
    # Only a path on this site: "next=https://evil.example" must not redirect away.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/calls"
    parts = urlsplit(target)
    return "/calls" if parts.scheme or parts.netloc else target


def client_address(request: web.Request) -> str:
    """The address a login try came from (the proxy's last X-Forwarded-For hop if trusted)."""
    if request.app[CONFIG].web.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(forwarded))  # only an address reaches the log
    return (request.remote or "unknown")[:64]


def _refused(request: web.Request, refusal: Refusal) -> web.Response:
    wait = max(1, math.ceil((refusal.until - request.app[THROTTLE].clock()).total_seconds()))
    whom = "this name" if refusal.scope == "name" else "your address"
    if refusal.locked:
        minutes = math.ceil(wait / 60)
        text = (f"Too many failed logins for {whom}: locked for {minutes} more minute(s). "
                "An administrator can unlock it on the Users page.")
    else:
        text = f"Too many failed logins for {whom}; wait {wait} second(s) and try again."
    response = _form(request, text, 429)
    response.headers["Retry-After"] = str(wait)
    return response


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
    throttle = request.app[THROTTLE]
    name = str(form.get("name", ""))
    attempt = await throttle.begin(name, client_address(request), throttle.clock())
    if isinstance(attempt, Refusal):
        return _refused(request, attempt)  # the password is not even looked at
    user = await request.app[USERS].verify(name, str(form.get("password", "")))
    await throttle.finish(attempt, user is not None, throttle.clock())
    if user is None:
        return _form(request, "Wrong name or password.", 401)
    token, _session = await request.app[auth.SESSIONS_KEY].create(user, dt.datetime.now(dt.UTC))
    # An agent may open nothing but its own page, wherever the login form meant to go.
    target = "/agent" if user.is_agent else _safe_next(str(form.get("next", "")))
    response = web.HTTPSeeOther(target)
    auth.set_session_cookie(response, token, request.app[CONFIG].web.secure_cookies)
    response.del_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    raise response


@auth.for_agents
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session (POST with the CSRF token, like every change)."""
    token = request.cookies.get(auth.COOKIE)
    if token:
        await request.app[auth.SESSIONS_KEY].end(token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(auth.COOKIE, path="/")
    raise response


@auth.for_agents
async def home(request: web.Request) -> web.StreamResponse:
    """The calls list is the front page (an agent's is its hand-off page)."""
    raise web.HTTPSeeOther("/agent" if auth.session_of(request).user.is_agent else "/calls")


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/", home)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
