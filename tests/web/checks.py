"""What every dashboard response must look like: the security headers, our own layout."""

from __future__ import annotations

from aiohttp import ClientResponse

from ivr.web.responses import HEADERS


def assert_secured(response: ClientResponse) -> None:
    """The security headers are all there (caching allowed for static files only)."""
    missing = {name for name in HEADERS if response.headers.get(name) != HEADERS[name]}
    assert missing == set(), f"{response.method} {response.url.path}: {response.status}"
    if not response.url.path.startswith("/static/"):
        assert response.headers["Cache-Control"] == "no-store"


def assert_styled(html: str) -> None:
    """A page in the dashboard's layout, with no trace of Python in it."""
    assert '<link rel="stylesheet" href="/static/style.css">' in html
    for leak in ("Traceback", 'File "', "Error:", "aiohttp", ".py"):
        assert leak not in html
