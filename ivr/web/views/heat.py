"""The heat map: a flow's diagram overlaid with traffic over a period, and its hot spots."""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from ivr.calls.query import CallFilter
from ivr.flows.graph import render
from ivr.web.app_keys import FLOWS, STORE
from ivr.web.heatmap import HeatMap, heat_map, overlay, split_shares
from ivr.web.views.metrics import PERIODS, period


async def _heat(request: web.Request) -> tuple[str, HeatMap, dt.datetime, dt.datetime, str | None]:
    deployed = await request.app[FLOWS].current()
    flow = request.match_info["flow"]
    if deployed.flowset is None or flow not in deployed.flowset.flows:
        raise web.HTTPNotFound(text="no such flow in the deployed file")
    start, end, error = period(request)
    heat = await heat_map(request.app[STORE], CallFilter(since=start, until=end), flow)
    return flow, heat, start, end, error


def _days(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    return {"since": start.date().isoformat(),
            "until": (end - dt.timedelta(days=1)).date().isoformat()}


async def heat_page(request: web.Request) -> web.StreamResponse:
    """The overlaid diagram, the period form and the hot-spot list."""
    flow, heat, start, end, error = await _heat(request)
    days = _days(start, end)
    spots = [(name, h, "/calls?" + urlencode({"abandoned_at": name, **days}))
             for name, h in heat.hot_spots()]
    deployed = await request.app[FLOWS].current()
    assert deployed.flowset is not None  # _heat checked it
    splits = split_shares(heat, deployed.flowset.flows[flow].nodes)
    return aiohttp_jinja2.render_template("heat.html", request, {
        "flow": flow, "heat": heat, "spots": spots, "splits": splits, "error": error,
        "periods": PERIODS,
        "svg": f"/flows/{flow}/heat.svg?" + urlencode(days), **days,
    }, status=400 if error else 200)


async def heat_svg(request: web.Request) -> web.StreamResponse:
    """The flow's diagram with node fill by loss rate and edge width by share."""
    flow, heat, _start, _end, _error = await _heat(request)
    deployed = await request.app[FLOWS].current()
    assert deployed.flowset is not None  # _heat checked it
    image = await asyncio.to_thread(render, deployed.flowset, flow, "svg",
                                    overlay=overlay(heat))
    return web.Response(body=image, content_type="image/svg+xml")


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/flows/{flow}/heat", heat_page)
    app.router.add_get("/flows/{flow}/heat.svg", heat_svg)
