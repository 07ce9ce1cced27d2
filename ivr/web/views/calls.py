"""The call list (filters, paging, CSV) and one call's journey, recording and diagram."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from ivr.calls.query import (
    OUTCOMES,
    CallFilter,
    calls_csv,
    clean_text,
    filter_params,
    iter_calls,
    parse_filter,
    search_calls,
)
from ivr.calls.record import CallRecord
from ivr.flows.graph import ENTRY
from ivr.flows.graph_path import flows_entered, hops
from ivr.web import auth
from ivr.web.app_keys import CONFIG, FLOWS, STORE, TZ
from ivr.web.views.agent import owns

PER_PAGE = 25
#: Pages beyond this are refused (the filters narrow a search; nobody pages that far).
MAX_PAGE = 100_000
#: CSV export stops here (a browser download, not a data warehouse; use the CLI for more).
CSV_LIMIT = 50_000


def _filter(request: web.Request) -> tuple[CallFilter, str | None]:
    try:
        return parse_filter(request.query, request.app[TZ]), None
    except ValueError as exc:
        return CallFilter(), str(exc)


def _page_number(request: web.Request) -> tuple[int, str | None]:
    text = request.query.get("page", "1").strip() or "1"
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= MAX_PAGE):
        return 1, f"page: give a whole number from 1 to {MAX_PAGE}"
    return int(text), None


async def call_list(request: web.Request) -> web.StreamResponse:
    """Calls matching the filters in the query string, newest first (400 for a bad filter)."""
    flt, error = _filter(request)
    page, page_error = _page_number(request)
    error = error or page_error
    found = await search_calls(request.app[STORE], flt, page, PER_PAGE)
    params = filter_params(flt)
    # The form shows what was typed (dates as days), the links carry the parsed filter.
    return aiohttp_jinja2.render_template("calls.html", request, {
        "page": found, "error": error, "form": dict(request.query), "outcomes": OUTCOMES,
        "query": urlencode(params), "csv_link": "/calls.csv?" + urlencode(params),
    }, status=400 if error else 200)


async def call_csv(request: web.Request) -> web.StreamResponse:
    """The filtered calls as a CSV download."""
    flt, error = _filter(request)
    if error:
        raise web.HTTPBadRequest(text=error)
    calls = await iter_calls(request.app[STORE], flt, limit=CSV_LIMIT)
    stamp = dt.datetime.now(request.app[TZ]).strftime("%Y%m%d-%H%M")
    return web.Response(
        text=calls_csv(calls), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="calls-{stamp}.csv"'})


async def _record(request: web.Request) -> CallRecord:
    try:
        call_id = clean_text(request.match_info["call_id"], "call id")
    except ValueError:
        call_id = None  # cannot name a stored call: not worth a query
    record = await request.app[STORE].get(call_id) if call_id else None
    if record is None:
        raise web.HTTPNotFound(text="no such call")
    if auth.session_of(request).user.is_agent and not await owns(request, record):
        raise web.HTTPForbidden(text="an agent sees only the calls handed to them")
    return record


@auth.for_agents
async def call_detail(request: web.Request) -> web.StreamResponse:
    """One call's journey."""
    record = await _record(request)
    deployed = await request.app[FLOWS].current()
    current_version = deployed.flowset.version if deployed.flowset else None
    turns = [e for e in record.timeline if e.kind == "speech"]
    drawable = deployed.flowset.flows if deployed.flowset is not None else {}
    return aiohttp_jinja2.render_template("call.html", request, {
        "call": record, "turns": turns,
        "has_recording": _recording_path(request, record) is not None,
        "diagrams": [f for f in _flows_of(record) if f in drawable],
        "version_differs": current_version not in (None, record.flow_version),
        "current_version": current_version,
    })


def _recording_path(request: web.Request, record: CallRecord) -> Path | None:
    if not record.recording:
        return None
    root = request.app[CONFIG].recordings_dir.resolve()
    path = (root / record.recording).resolve()
    # The stored name is data: it must stay inside recordings/ and be a WAV that exists.
    if not path.is_relative_to(root) or path.suffix.lower() != ".wav" or not path.is_file():
        return None
    return path


@auth.for_agents
async def call_recording(request: web.Request) -> web.StreamResponse:
    """The call's voicemail as WAV (with range requests, so the player can seek)."""
    path = _recording_path(request, await _record(request))
    if path is None:
        raise web.HTTPNotFound(text="this call has no recording")
    return web.FileResponse(path, headers={"Content-Type": "audio/wav"})


def _flows_of(record: CallRecord) -> list[str]:
    """The flows the call went through (a ``goto`` adds one), its own flow first."""
    entered = flows_entered(hops(record.timeline, ENTRY))
    return [record.flow, *(f for f in entered if f != record.flow)]


@auth.for_agents
async def call_diagram(request: web.Request) -> web.StreamResponse:
    """One flow the call went through (``?flow=``, default its own) as SVG, its path lit."""
    record = await _record(request)
    flow = request.query.get("flow", record.flow)
    if flow not in _flows_of(record):
        raise web.HTTPNotFound(text="this call did not go through that flow")
    taken = tuple(hops(record.timeline, ENTRY))
    image = await request.app[FLOWS].diagram(flow, taken)
    if image is None:
        raise web.HTTPNotFound(text="the deployed flows have no such flow")
    return web.Response(body=image, content_type="image/svg+xml")


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/calls", call_list)
    app.router.add_get("/calls.csv", call_csv)
    app.router.add_get("/calls/{call_id}", call_detail)
    app.router.add_get("/calls/{call_id}/recording.wav", call_recording)
    app.router.add_get("/calls/{call_id}/diagram.svg", call_diagram)
