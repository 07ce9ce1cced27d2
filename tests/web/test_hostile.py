"""Every route, every parameter, hostile values: never a 500, always the security headers.

The walk enumerates the app's own routes (a new route is walked without anyone adding
it here) and sends each query parameter and form field the dashboard reads, one at a
time, with values chosen to break parsing, arithmetic, dates, the database (a NUL byte
PostgreSQL refuses) and HTML. It runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from aiohttp.web_urldispatcher import StaticResource
from yarl import URL

from tests.web.checks import assert_secured, assert_styled
from tests.web.conftest import ADMIN, Client, Dashboard, client_of

#: Values as text (percent-encoded before sending).
HOSTILE = [
    "-100000000000", "100000000000000000000000000", "9" * 2000, "-1", "0", "1.5", "nan",
    "inf", "-inf", "1e400", "0x10",
    "9999-12-31", "0001-01-01", "9999-12-31T23:59:59", "0001-01-01T00:00:00+23:59",
    "2026-02-30", "2026-11-20T25:00", "1969-12-31",
    "", " ", "\x00", "a\x00b", "\r\nX-Injected: 1", "\t",
    "ü€𝄞한국어", "\u202e\u2028\u0085", "\ufeff", "<script>alert(1)</script>",
    "' OR 1=1 --", "%", "%%", "..", "../../etc/passwd", "/", "//evil.example",
    "x" * 400,
]
#: Values already percent-encoded, sent as they are: invalid UTF-8 and a UTF-8 surrogate.
RAW = ["%FF", "%ED%A0%80", "%C0%AE%C0%AE", "%00", "%2e%2e"]
_FILTERS = ["since", "until", "caller", "flow", "outcome", "queue", "abandoned_at",
            "min_ivr_s", "max_ivr_s", "text"]
#: The query parameters each route reads, sent one at a time; every route also gets all of
#: them at once with each value (a route that starts reading one is still walked).
QUERY = {"/calls": [*_FILTERS, "page"], "/calls.csv": _FILTERS,
         "/metrics": ["since", "until", "days"], "/login": ["next"],
         "/flows/{flow}/heat": ["since", "until", "days"],
         "/flows/{flow}/heat.svg": ["since", "until", "days"],
         "/calls/{call_id}/diagram.svg": ["flow"]}
_ALL = sorted({name for names in QUERY.values() for name in names})
FORM = {"/users": ["name", "role", "password", "interface"], "/users/{name}": ["action", "role"],
        "/live/thresholds": ["wait_amber_s", "wait_red_s", "waiting_amber", "waiting_red"],
        "/login": ["name", "password", "next", "csrf_token"]}
#: Path parameters are filled with a value that exists, then with each hostile one.
EXISTING = {"call_id": "c9", "flow": "main", "name": "bob"}


def _values() -> list[str]:
    return [quote(v, safe="") for v in HOSTILE] + RAW


def _fill(pattern: str, hostile: str | None = None) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: hostile if hostile is not None else
                  EXISTING[m.group(1)], pattern)


def _routes(dashboard: Dashboard) -> list[tuple[str, str]]:
    found = []
    for route in dashboard.app.router.routes():
        if isinstance(route.resource, StaticResource) or route.method == "HEAD":
            continue
        assert route.resource is not None
        info = route.resource.get_info()
        found.append((route.method, str(info.get("path") or info.get("formatter"))))
    return found


async def _check(client: Client, method: str, raw: str, problems: list[str],
                 data: dict[str, str] | None = None, csrf: str = "") -> None:
    url = URL(str(client.make_url("/")).rstrip("/") + raw, encoded=True)
    response = await client.session.request(method, url, data=data, allow_redirects=False,
                                            headers={"X-CSRF-Token": csrf} if csrf else {})
    body = await response.text(errors="replace")
    where = f"{method} {raw[:120]!r} {sorted(data or {})}"
    if response.status >= 500:
        problems.append(f"{where}: {response.status}")
        return
    try:
        assert_secured(response)
        if response.content_type == "text/html":
            assert_styled(body)
    except AssertionError as exc:
        problems.append(f"{where}: {exc}")


@pytest.mark.slow
async def test_no_parameter_value_makes_any_route_fail(any_dashboard: Dashboard) -> None:
    problems: list[str] = []
    routes = _routes(any_dashboard)
    assert ("GET", "/calls/{call_id}/diagram.svg") in routes
    async with client_of(any_dashboard, ADMIN) as client:
        page = await (await client.get("/calls")).text()
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        csrf = found.group(1)
        for method, pattern in routes:
            if pattern == "/logout":
                continue  # it would end the walk's own session; walked last, below
            for value in _values():
                if "{" in pattern:
                    await _check(client, method, _fill(pattern, value), problems, csrf=csrf)
                if method == "GET" and len(value) < 300:  # (aiohttp's request-line limit)
                    everything = "&".join(f"{name}={value}" for name in _ALL)
                    await _check(client, "GET", f"{_fill(pattern)}?{everything}", problems)
                    for name in QUERY.get(pattern, []):
                        await _check(client, "GET", f"{_fill(pattern)}?{name}={value}",
                                     problems)
                for name in FORM.get(pattern, []):
                    form = {"csrf_token": csrf, "action": "role", name: value}
                    await _check(client, method, _fill(pattern), problems,
                                 data={k: _decoded(v) for k, v in form.items()})
        await _check(client, "POST", "/logout?next=%00", problems, csrf=csrf)
    assert problems == []


def _decoded(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value, errors="surrogateescape").encode("utf-8", "replace").decode(
        "utf-8", "replace")
