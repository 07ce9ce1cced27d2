"""Who may see what: sessions, roles and CSRF checked in one middleware for every route.

Every route needs a logged-in user unless its handler is marked :func:`public`
(only the login form and the static files are); :func:`admin_only` handlers
also need the ``admin`` role. An ``agent`` login is refused everywhere but the
handlers marked :func:`for_agents` (its hand-off page, logging out), so a new
page is closed to agents unless someone opens it on purpose. Every
state-changing request must carry the session's CSRF token. Because the check
sits in the middleware, a new route is protected without anyone remembering to
protect it (a test enumerates them).
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

from aiohttp import web
from aiohttp.web_urldispatcher import StaticResource

from ivr.web.sessions import Session, Sessions

COOKIE = "ivr_session"
#: Double-submit cookie that protects the login form itself (no session exists yet).
LOGIN_CSRF_COOKIE = "ivr_login_csrf"
SESSIONS_KEY = web.AppKey("sessions", Sessions)
SESSION = web.RequestKey("session", Session)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Handler)

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def public(handler: H) -> H:
    """Mark a handler as reachable without logging in."""
    handler.ivr_public = True  # type: ignore[attr-defined]
    return handler


def admin_only(handler: H) -> H:
    """Mark a handler as reachable only by admins."""
    handler.ivr_role = "admin"  # type: ignore[attr-defined]
    return handler


def for_agents(handler: H) -> H:
    """Mark a handler as open to ``agent`` logins too (every other one refuses them)."""
    handler.ivr_agents = True  # type: ignore[attr-defined]
    return handler


def agent_only(handler: H) -> H:
    """Mark a handler as reachable only by ``agent`` logins (their own calls)."""
    handler.ivr_role = "agent"  # type: ignore[attr-defined]
    return for_agents(handler)


def session_of(request: web.Request) -> Session:
    """The session the middleware found (handlers that are not public only)."""
    session: Session = request[SESSION]
    return session


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def set_session_cookie(response: web.StreamResponse, token: str, secure: bool) -> None:
    """The session cookie: not readable by scripts, never sent from another site."""
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=secure,
                        path="/")


def _is_public(request: web.Request) -> bool:
    route = request.match_info.route
    if isinstance(route.resource, StaticResource):
        return True
    return bool(getattr(request.match_info.handler, "ivr_public", False))


def _refuse(request: web.Request, status: int) -> NoReturn:
    wants_page = request.method in _SAFE and "text/html" in request.headers.get("Accept", "")
    if status == 401 and wants_page:
        target = quote(request.path_qs, safe="")
        raise web.HTTPSeeOther(f"/login?next={target}")
    reason = {401: "log in first", 403: "not allowed for your role",
              400: "the form expired or came from elsewhere; reload the page and try again"}
    raise _status(status, reason[status])


def _status(status: int, text: str) -> web.HTTPException:
    kinds: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden}
    return kinds[status](text=text)


async def _form_token(request: web.Request) -> str | None:
    header = request.headers.get("X-CSRF-Token")
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        value: Any = (await request.post()).get("csrf_token")
        return value if isinstance(value, str) else None
    return None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse what the request's session may not do; attach the session otherwise."""
    if _is_public(request):
        return await handler(request)
    token = request.cookies.get(COOKIE)
    sessions = request.app[SESSIONS_KEY]
    session = await sessions.lookup(token, dt.datetime.now(dt.UTC)) if token else None
    if session is None:
        _refuse(request, 401)
    # Known before any refusal, so a 403 page carries the user's own navigation.
    request[SESSION] = session
    handler_of = request.match_info.handler
    role = getattr(handler_of, "ivr_role", None)
    user = session.user
    if (role == "admin" and not user.is_admin) or (role == "agent" and not user.is_agent) or \
            (user.is_agent and not getattr(handler_of, "ivr_agents", False)):
        _refuse(request, 403)
    if request.method not in _SAFE and not same_token(await _form_token(request),
                                                      session.csrf_token):
        _refuse(request, 400)
    return await handler(request)
