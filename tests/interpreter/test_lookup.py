"""A caller-controlled value in a lookup URL stays one value: no dot segment reaches the server.

The backend here is a real aiohttp server that records the raw path of every request it
gets; the URL is built by the real flow engine from a flow's ``lookup`` node.
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import unquote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st

from ivr.flows import effects as fx
from ivr.flows.engine import Call
from ivr.flows.events import LookupDone, LookupFailed
from ivr.flows.loader import parse_flowset
from ivr.flows.template import render, url_value
from ivr.interpreter.lookup import request_url, run_lookup
from tests.flows.engine_walk import FRIDAY_10, HEADER


@dataclass
class Backend:
    """Answers every path with JSON and remembers the raw paths it was asked for."""

    server: TestServer
    seen: list[str] = field(default_factory=list)

    def template(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/api/acct/{{account}}/x"


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        return web.json_response({"path": request.raw_path})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app)
    await server.start_server()
    yield Backend(server, seen)
    await server.close()


def _call(url: str, account: str) -> Call:
    flows = textwrap.indent(textwrap.dedent(f"""\
        main:
          inputs: [account]      # seeded by the dialplan (AGI arguments): caller-controlled
          start: fetch
          nodes:
            fetch:
              type: lookup
              url: "{url}"
              result: found
              next: done
              on_error: failed
            done: {{type: hangup, outcome: self_service}}
            failed: {{type: hangup, outcome: hangup}}
        """), "  ")
    flowset = parse_flowset(HEADER + "flows:\n" + flows)
    return Call(flowset, "main", call_id="t1", caller="+15550100",
                variables={"account": account})


async def _run(backend: Backend, account: str) -> tuple[LookupDone | LookupFailed, str]:
    call = _call(backend.template(), account)
    effects = call.start(FRIDAY_10)
    lookup = next(e for e in effects if isinstance(e, fx.Lookup))
    async with aiohttp.ClientSession() as http:
        result = await run_lookup(lookup, http)
    call.receive(result, FRIDAY_10)
    return result, lookup.url


@pytest.mark.parametrize("account", ["..", "."])
async def test_a_dot_segment_value_is_refused_before_any_request(backend: Backend,
                                                                 account: str) -> None:
    result, url = await _run(backend, account)
    assert isinstance(result, LookupFailed)
    assert "segment" in result.reason
    assert backend.seen == []
    assert "/api/acct/%2E" in url  # encoded by the template as well


@pytest.mark.parametrize("path", ["/api/acct/../x", "/api/acct/%2e%2E/x", "/api/./x"])
async def test_a_url_with_a_dot_segment_is_refused_however_it_was_made(backend: Backend,
                                                                      path: str) -> None:
    effect = fx.Lookup("fetch", "GET", f"http://127.0.0.1:{backend.server.port}{path}", (),
                       None, 2)
    async with aiohttp.ClientSession() as http:
        result = await run_lookup(effect, http)
    assert isinstance(result, LookupFailed)
    assert backend.seen == []


@pytest.mark.parametrize(("account", "raw"), [
    ("12.34", "/api/acct/12.34/x"),
    ("...", "/api/acct/%2E%2E%2E/x"),
    ("%2E%2E", "/api/acct/%252E%252E/x"),  # literal percent signs stay literal
    ("a/../b", "/api/acct/a%2F..%2Fb/x"),
    ("../../admin", "/api/acct/..%2F..%2Fadmin/x"),
    ("x?y#z", "/api/acct/x%3Fy%23z/x"),
])
async def test_other_values_reach_the_server_as_one_segment(backend: Backend, account: str,
                                                            raw: str) -> None:
    result, _url = await _run(backend, account)
    assert isinstance(result, LookupDone), result
    assert backend.seen == [raw]


@given(st.text(max_size=20))
def test_any_value_renders_as_exactly_one_segment_or_is_refused(value: str) -> None:
    url = render("http://backend.test/api/acct/{v}/x", {"v": value}, escape=url_value)
    parsed = request_url(url)
    if value in (".", ".."):
        assert parsed is None
        return
    assert parsed is not None
    segments = parsed.raw_path.split("/")
    assert segments[:3] == ["", "api", "acct"]
    assert segments[4:] == ["x"]
    assert unquote(segments[3]) == value
