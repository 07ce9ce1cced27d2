"""The flows page: the deployed file's validation status and each flow's diagram."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from ivr.web.app_keys import FLOWS


async def flows_page(request: web.Request) -> web.StreamResponse:
    """Validation problems (with file:line) and one diagram per flow."""
    deployed = await request.app[FLOWS].current()
    flows = sorted(deployed.flowset.flows.items()) if deployed.flowset else []
    return aiohttp_jinja2.render_template("flows.html", request, {
        "deployed": deployed, "flows": flows,
        "errors": [p for p in deployed.problems if p.severity == "error"],
        "warnings": [p for p in deployed.problems if p.severity == "warning"],
    })


async def flow_diagram(request: web.Request) -> web.StreamResponse:
    """One flow as SVG."""
    image = await request.app[FLOWS].diagram(request.match_info["flow"])
    if image is None:
        raise web.HTTPNotFound(text="no such flow in the deployed file")
    return web.Response(body=image, content_type="image/svg+xml")


def routes(app: web.Application) -> None:
    """Add the routes."""
    app.router.add_get("/flows", flows_page)
    app.router.add_get("/flows/{flow}/diagram.svg", flow_diagram)
