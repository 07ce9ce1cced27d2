"""What every dashboard response carries, and what a failure looks like.

:func:`add_security_headers` runs on ``on_response_prepare``, the signal aiohttp
fires for every response it sends — pages, redirects, static files, refusals
and error pages alike — so no route or failure can leave a header out.

:func:`error_middleware` (the outermost middleware) turns every 4xx/5xx into a
page in the dashboard's own layout: a short message, never a stack trace. An
unexpected exception is logged on the server with its traceback and shown to
the browser as a plain "something went wrong" with nothing of the cause.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from ivr.web.auth import SESSION, Handler

log = logging.getLogger(__name__)

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; "
        "style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'"
    ),
}

#: Titles of the error pages; other statuses fall back to the reason phrase.
TITLES = {400: "That request cannot be used", 401: "Please log in",
          403: "Not allowed", 404: "Not found", 405: "Method not allowed",
          413: "Too large", 429: "Too many attempts", 500: "Something went wrong"}
#: What a page says when the exception carried no message of its own.
MESSAGES = {404: "There is nothing at this address.",
            405: "This address does not accept that kind of request.",
            500: "The dashboard could not show this page. The error has been logged; "
                 "try again, and tell your administrator if it keeps happening."}
#: Headers of an HTTP error that the styled page must keep (e.g. 405's Allow).
_KEEP = ("Allow", "Retry-After", "WWW-Authenticate")


async def page_context(request: web.Request) -> dict[str, Any]:
    """What every page's layout needs: the user (absent on public pages) and the CSRF token."""
    session = request.get(SESSION)
    return {"session": session, "user": session.user if session else None,
            "csrf_token": session.csrf_token if session else "", "path": request.path}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Set the security headers (and no caching, except static files) on *response*."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


async def error_page(request: web.Request, status: int, message: str | None = None,
                     headers: dict[str, str] | None = None) -> web.Response:
    """A styled page for *status* with *message* (escaped by the template)."""
    # The context processors may not have run (the failure came before them): add it here.
    response = aiohttp_jinja2.render_template("error.html", request, {
        **await page_context(request),
        "status": status, "title": TITLES.get(status, "Error"),
        "message": message or MESSAGES.get(status, "The request could not be completed."),
    }, status=status)
    response.headers.update(headers or {})
    return response


def _message(exc: web.HTTPException) -> str | None:
    text = exc.text or ""
    # aiohttp's default body is "404: Not Found"; only a handler's own words are worth showing.
    return None if text == f"{exc.status}: {exc.reason}" else text


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Styled pages for HTTP errors and for any exception a handler lets escape."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects pass through (they get their headers from the signal)
        kept = {k: v for k, v in exc.headers.items() if k in _KEEP}
        return await error_page(request, exc.status, _message(exc), kept)
    except Exception:
        # The cause goes to the operator's log only; the path is shown escaped.
        log.exception("dashboard: %s %r failed", request.method, request.path)
        return await error_page(request, 500)
